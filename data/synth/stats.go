package synth

// Stats counts what a generation wrote.
type Stats struct {
	Customers int64
	Sessions  int64
	Events    int64
	Tickets   int64
	Surveys   int64
	Orders    int64
	// Churned counts customers who left inside the window: contractual
	// customers with cancelled_at set, and non-contractual customers who
	// stopped.
	Churned int64
}

// Add adds the counts of o to s, to merge the Stats of several shards.
func (s *Stats) Add(o Stats) {
	s.Customers += o.Customers
	s.Sessions += o.Sessions
	s.Events += o.Events
	s.Tickets += o.Tickets
	s.Surveys += o.Surveys
	s.Orders += o.Orders
	s.Churned += o.Churned
}

// Rows returns the number of rows written across the six tables.
func (s Stats) Rows() int64 {
	return s.Customers + s.Sessions + s.Events + s.Tickets + s.Surveys + s.Orders
}
