package data

import "math"

// NoTime marks a null timestamp. Every timestamp in this package is an
// instant in nanoseconds since the Unix epoch, UTC, whatever unit (milli,
// micro, nano, DATE) the Parquet file stored it in.
const NoTime int64 = math.MinInt64

// Table names one of the six tables of the input contract. Its value is the
// name of the table's sub-folder in a dataset.
type Table string

// The tables of the input contract. Only Customers is mandatory.
const (
	Customers Table = "customers"
	Sessions  Table = "sessions"
	Events    Table = "events"
	Tickets   Table = "tickets"
	Surveys   Table = "surveys"
	Orders    Table = "orders"
)

// Tables lists every table of the contract in a fixed order.
var Tables = []Table{Customers, Sessions, Events, Tickets, Surveys, Orders}

// Kind is the logical type of a contract column.
type Kind int

// The kinds of contract columns.
const (
	String    Kind = iota // BYTE_ARRAY, UTF-8
	Timestamp             // TIMESTAMP (milli, micro or nanos) or DATE
	Float                 // DOUBLE or FLOAT; integers are accepted and widened
	Int                   // INT32 or INT64
)

func (k Kind) String() string {
	switch k {
	case String:
		return "string"
	case Timestamp:
		return "timestamp"
	case Float:
		return "double"
	case Int:
		return "int"
	}
	return "unknown"
}

// Column is one column of the contract.
type Column struct {
	Name     string
	Kind     Kind
	Required bool
}

// Contract is the input contract of SPEC.md as code: for each table, its
// columns with their kind and whether they are required. Unknown extra
// columns in a file are ignored.
var Contract = map[Table][]Column{
	Customers: {
		{"customer_id", String, true},
		{"signup_at", Timestamp, true},
		{"plan", String, false},
		{"region", String, false},
		{"acquisition_channel", String, false},
		{"cancelled_at", Timestamp, false},
	},
	Sessions: {
		{"customer_id", String, true},
		{"started_at", Timestamp, true},
		{"duration_s", Float, false},
		{"pages", Int, false},
		{"channel", String, false},
	},
	Events: {
		{"customer_id", String, true},
		{"ts", Timestamp, true},
		{"event", String, true},
		{"quantity", Float, false},
	},
	Tickets: {
		{"customer_id", String, true},
		{"ticket_id", String, false},
		{"created_at", Timestamp, true},
		{"channel", String, false},
		{"text", String, false},
		{"sentiment", Float, false},
		{"first_response_s", Float, false},
		{"resolved_at", Timestamp, false},
		{"csat", Int, false},
		{"effort", Int, false},
	},
	Surveys: {
		{"customer_id", String, true},
		{"answered_at", Timestamp, true},
		{"nps", Int, true},
		{"comment", String, false},
	},
	Orders: {
		{"customer_id", String, true},
		{"ts", Timestamp, true},
		{"amount", Float, true},
		{"order_id", String, false},
		{"margin", Float, false},
	},
}

// The row types below are what readers hand to the rest of the program, one
// per table. Conventions, the same in every type: a null timestamp is
// NoTime, a null number is NaN, a null string is "". A row that breaks the
// contract never reaches a caller as a row: readers report it as a
// *RowError and skip it.

// Customer is one row of customers/.
type Customer struct {
	ID          string
	SignupAt    int64
	Plan        string
	Region      string
	Channel     string // acquisition_channel
	CancelledAt int64  // NoTime while active
}

// Session is one row of sessions/.
type Session struct {
	CustomerID string
	StartedAt  int64
	DurationS  float64 // NaN when null
	Pages      float64 // NaN when null
	Channel    string
}

// Event is one row of events/: a core product action.
type Event struct {
	CustomerID string
	TS         int64
	Event      string
	Quantity   float64 // 1 when null
}

// Ticket is one row of tickets/: a support contact.
type Ticket struct {
	CustomerID     string
	TicketID       string
	CreatedAt      int64
	Channel        string
	Text           string
	Sentiment      float64 // precomputed score in [-1, 1]; NaN when null
	FirstResponseS float64 // NaN when null
	ResolvedAt     int64   // NoTime while unresolved
	CSAT           float64 // 1..5; NaN when null
	Effort         float64 // 1..5; NaN when null
}

// Survey is one row of surveys/: an NPS answer.
type Survey struct {
	CustomerID string
	AnsweredAt int64
	NPS        int // 0..10
	Comment    string
}

// Order is one row of orders/: a purchase, renewal, invoice or refund.
type Order struct {
	CustomerID string
	TS         int64
	Amount     float64 // negative for refunds
	OrderID    string
	Margin     float64 // fraction 0..1; NaN when null (a config default applies)
}

// Row is the set of contract row types: the type parameter of the readers
// and writers of this package.
type Row interface {
	Customer | Session | Event | Ticket | Survey | Order
}
