package synth

import (
	"errors"
	"fmt"
	"time"
)

// DefaultShardSize is the number of customers per shard when
// Config.ShardSize is zero.
const DefaultShardSize = 10000

// maxDays bounds Config.Days: a century of days keeps every instant inside
// the int64 nanosecond range.
const maxDays = 36500

// Config describes one synthetic dataset. The same Config writes the same
// bytes.
type Config struct {
	// Customers is the number of customers across all shards. Customer i
	// (0-based) gets the id C%07d of i+1.
	Customers int
	// Days is the number of days simulated, ending at End.
	Days int
	// End is the exclusive end instant: the last day simulated is
	// [End-24h, End). Every row is before End. It is truncated to the
	// microsecond, the precision of the files.
	End time.Time
	// Seed picks the dataset. Each customer's history is drawn from its own
	// stream seeded by (Seed, customer index), so it does not depend on the
	// shard size or on the order in which shards run.
	Seed int64
	// ShardSize is the number of customers per shard, so per file;
	// 0 means DefaultShardSize.
	ShardSize int
	// InitialShare is the share of customers who signed up before the
	// window (the initial base); the rest sign up during it. Default 0.45.
	InitialShare float64
	// NonContractualShare is the share of customers without a subscription,
	// who only buy ad hoc and leave silently. Default 0.25.
	NonContractualShare float64
	// AutomatedEvent adds an event ("heartbeat") that fires once a day, at
	// a time fixed per customer, for every subscriber from signup to
	// cancellation, whatever their use of the product: the kind of signal
	// that must not count as engagement. It draws no random number, so the
	// other rows are those of the same Config without it.
	AutomatedEvent bool
	// Rename, when not zero, writes every event name, plan, region,
	// acquisition channel, session channel and ticket channel as an opaque
	// token drawn from Rename (the same name always gives the same token):
	// the same dataset under names nobody chose for it.
	Rename uint64
}

// DefaultConfig returns a Config of 10,000 customers over 540 days ending
// at 2026-11-01T00:00:00Z, seed 1.
func DefaultConfig() Config {
	return Config{
		Customers:           10000,
		Days:                540,
		End:                 time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		Seed:                1,
		ShardSize:           DefaultShardSize,
		InitialShare:        0.45,
		NonContractualShare: 0.25,
	}
}

// Validate reports every problem of c at once.
func (c Config) Validate() error {
	var errs []error
	if c.Customers <= 0 {
		errs = append(errs, fmt.Errorf("customers %d: must be positive", c.Customers))
	}
	if c.Days <= 0 || c.Days > maxDays {
		errs = append(errs, fmt.Errorf("days %d: must be in 1..%d", c.Days, maxDays))
	}
	if c.End.IsZero() {
		errs = append(errs, errors.New("end: must be set"))
	} else if y := c.End.UTC().Year(); y < 1900 || y > 2200 {
		errs = append(errs, fmt.Errorf("end %s: year must be in 1900..2200", c.End.UTC().Format(time.RFC3339)))
	}
	if c.ShardSize < 0 {
		errs = append(errs, fmt.Errorf("shard size %d: must not be negative", c.ShardSize))
	}
	if !(c.InitialShare >= 0 && c.InitialShare <= 1) {
		errs = append(errs, fmt.Errorf("initial share %g: must be in [0, 1]", c.InitialShare))
	}
	if !(c.NonContractualShare >= 0 && c.NonContractualShare <= 1) {
		errs = append(errs, fmt.Errorf("non-contractual share %g: must be in [0, 1]", c.NonContractualShare))
	}
	return errors.Join(errs...)
}

func (c Config) shardSize() int {
	if c.ShardSize <= 0 {
		return DefaultShardSize
	}
	return c.ShardSize
}

// Shards returns the number of shards of cfg: Customers divided by the
// shard size, rounded up.
func Shards(cfg Config) int {
	if cfg.Customers <= 0 {
		return 0
	}
	n := cfg.shardSize()
	return (cfg.Customers + n - 1) / n
}

// shardRange returns the customer indices [lo, hi) of a shard.
func (c Config) shardRange(shard int) (lo, hi int) {
	n := c.shardSize()
	lo = shard * n
	hi = min(lo+n, c.Customers)
	return lo, hi
}

// CustomerID returns the id of the customer with 0-based index i.
func CustomerID(i int) string {
	return fmt.Sprintf("C%07d", i+1)
}
