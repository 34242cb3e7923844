package features

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"churn/data"
	"churn/features/sentiment"
)

// Day is the length of a day; every window is a whole number of days.
const Day = 24 * time.Hour

// MaxWindows is the largest number of windows a Config may list.
const MaxWindows = 4

// maxDayBits is how many days before a cutoff the per-day activity bitmap
// covers: the longest window, and twice the main window, must fit in it.
const maxDayBits = 64 * dayWords

// LabelMode says how the churn label is defined.
type LabelMode string

// The label modes.
const (
	// Contractual: churned when cancelled_at falls in
	// [cutoff+gap, cutoff+gap+horizon).
	Contractual LabelMode = "contractual"
	// Noncontractual: churned when a customer active (any session, event
	// or order; refunds, negative amounts, are not activity) in
	// [cutoff-lookback, cutoff) has none in [cutoff+gap, cutoff+gap+horizon).
	Noncontractual LabelMode = "noncontractual"
	// Auto decides per customer and cutoff c, from the customers table as
	// it stood before c: a plan is contractual at c when at least one
	// customer on it cancelled before c; a customer with no plan follows
	// the majority of the customers with a plan who signed up before c
	// (ties: noncontractual); when nobody has a plan, everyone is
	// contractual at c when at least 1% of the customers who signed up
	// before c cancelled before it. A cancellation at or after c never
	// decides, and one stray cancellation does not make the plan-less
	// customers contractual.
	Auto LabelMode = "auto"
)

// Config holds the windows and thresholds of the feature families. The zero
// value is not useful: start from DefaultConfig.
type Config struct {
	// Windows are the look-back windows, ascending, whole days, at most
	// MaxWindows of them. The middle one (Windows[len/2]) is the "main"
	// window used by single-window features such as stickiness and the
	// engagement score; the last one is the "long" window of the ticket and
	// NPS aggregates. Default 7, 30 and 90 days.
	Windows []time.Duration
	// Horizon is the label horizon. Default 90 days.
	Horizon time.Duration
	// Gap separates the cutoff from the start of the horizon. Default 0.
	Gap time.Duration
	// Label chooses the label definition. Default Auto.
	Label LabelMode
	// Lookback is the activity window that makes a customer active (and so
	// eligible for the noncontractual label). Default 90 days.
	Lookback time.Duration
	// NewDays is the tenure, in days, below which a customer is new.
	// Default 30.
	NewDays int
	// CoreEvents are the event names that count as core actions; empty
	// means every event is a core action. Default empty.
	CoreEvents []string
	// EngagementWeights weighs each core action in the engagement score by
	// its event name; events not listed weigh 1. Default none (see
	// DefaultEngagementWeights).
	EngagementWeights map[string]float64
	// DefaultMargin is the margin of an order whose margin is null.
	// Default 0.3.
	DefaultMargin float64
	// NegativeSentiment is the threshold below which a ticket is negative.
	// Default sentiment.Negative (-0.05), the threshold the scorer's
	// accuracy is measured with.
	NegativeSentiment float64
	// EventVocab is K, the number of event names of the event mix: the K
	// most frequent names of the training data get columns by rank (see
	// Catalog), the rest fold into "other". 0 turns the family off.
	// Default 30, at most MaxEventVocab.
	EventVocab int
	// IgnoreEvents are event names that are not engagement: they count in
	// the event mix but not as core actions, in recency of use, in the
	// engagement score or as activity. Names the catalog detects as
	// automated are ignored the same way unless CoreEvents lists them.
	// Default empty.
	IgnoreEvents []string
	// Attributes are the customers columns used as features (plan, region,
	// acquisition_channel and any extra column); nil means every one that
	// is not an id, free text, a timestamp or constant (see Catalog).
	// Default nil.
	Attributes []string
}

// MaxEventVocab bounds Config.EventVocab.
const MaxEventVocab = 200

// DefaultEngagementWeights are the default weights of the engagement
// score: none, so every core action weighs 1. Weights name events, and the
// defaults may not depend on names a dataset may not use: a dataset's own
// weights come from Config.EngagementWeights.
var DefaultEngagementWeights = map[string]float64{}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	w := make(map[string]float64, len(DefaultEngagementWeights))
	for k, v := range DefaultEngagementWeights {
		w[k] = v
	}
	return Config{
		Windows:           []time.Duration{7 * Day, 30 * Day, 90 * Day},
		Horizon:           90 * Day,
		Gap:               0,
		Label:             Auto,
		Lookback:          90 * Day,
		NewDays:           30,
		EngagementWeights: w,
		DefaultMargin:     0.3,
		NegativeSentiment: sentiment.Negative,
		EventVocab:        30,
	}
}

// Validate reports every problem of the configuration at once.
func (c Config) Validate() error {
	var errs []error
	if len(c.Windows) == 0 || len(c.Windows) > MaxWindows {
		errs = append(errs, fmt.Errorf("windows: want 1 to %d, got %d", MaxWindows, len(c.Windows)))
	}
	for i, w := range c.Windows {
		if w <= 0 || w%Day != 0 {
			errs = append(errs, fmt.Errorf("window %v: want a positive whole number of days", w))
		}
		if i > 0 && w <= c.Windows[i-1] {
			errs = append(errs, fmt.Errorf("window %v: windows must be strictly ascending", w))
		}
	}
	if len(c.Windows) > 0 && len(c.Windows) <= MaxWindows {
		long := c.Windows[len(c.Windows)-1]
		main := c.Windows[len(c.Windows)/2]
		if long > maxDayBits*Day || 2*main > maxDayBits*Day {
			errs = append(errs, fmt.Errorf("windows: the longest window and twice the main window must be at most %d days", maxDayBits))
		}
	}
	if c.Horizon <= 0 {
		errs = append(errs, fmt.Errorf("horizon %v: want positive", c.Horizon))
	}
	if c.Gap < 0 {
		errs = append(errs, fmt.Errorf("gap %v: want zero or positive", c.Gap))
	}
	switch c.Label {
	case Contractual, Noncontractual, Auto:
	default:
		errs = append(errs, fmt.Errorf("label %q: want contractual, noncontractual or auto", c.Label))
	}
	if c.Lookback <= 0 {
		errs = append(errs, fmt.Errorf("lookback %v: want positive", c.Lookback))
	}
	if c.NewDays < 0 {
		errs = append(errs, fmt.Errorf("new days %d: want zero or positive", c.NewDays))
	}
	for _, e := range c.CoreEvents {
		if e == "" {
			errs = append(errs, errors.New("core events: empty event name"))
		}
	}
	for _, e := range c.IgnoreEvents {
		if e == "" {
			errs = append(errs, errors.New("ignore events: empty event name"))
		}
	}
	for _, a := range c.Attributes {
		if a == "" {
			errs = append(errs, errors.New("attributes: empty column name"))
		}
	}
	if c.EventVocab < 0 || c.EventVocab > MaxEventVocab {
		errs = append(errs, fmt.Errorf("event vocab %d: want 0 to %d", c.EventVocab, MaxEventVocab))
	}
	names := make([]string, 0, len(c.EngagementWeights))
	for k := range c.EngagementWeights {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if w := c.EngagementWeights[k]; math.IsNaN(w) || math.IsInf(w, 0) || math.Abs(w) > 1e6 {
			errs = append(errs, fmt.Errorf("engagement weight %q = %v: want a finite number of magnitude at most 1e6", k, w))
		}
	}
	if math.IsNaN(c.DefaultMargin) || c.DefaultMargin < 0 || c.DefaultMargin > 1 {
		errs = append(errs, fmt.Errorf("default margin %v: want a fraction in [0, 1]", c.DefaultMargin))
	}
	if math.IsNaN(c.NegativeSentiment) || c.NegativeSentiment < -1 || c.NegativeSentiment > 1 {
		errs = append(errs, fmt.Errorf("negative sentiment %v: want a threshold in [-1, 1]", c.NegativeSentiment))
	}
	return errors.Join(errs...)
}

// LabelSpan is how far past a cutoff c its label looks: Gap + Horizon. The
// label of c is complete once the data reaches c + LabelSpan.
func (c Config) LabelSpan() time.Duration { return c.Gap + c.Horizon }

// MonthlyCutoffs returns n cutoffs one calendar month apart, ascending, as
// instants (data.Instant), each at midnight UTC. They fall on the day of
// the month of asOf (clamped to the month's last day, so a 31st gives Feb
// 28 or 29), and the latest is the latest such month step c with
// c + LabelSpan <= asOf: its label is complete by asOf. n <= 0 gives none.
func (c Config) MonthlyCutoffs(asOf time.Time, n int) []int64 {
	span := c.LabelSpan()
	if n <= 0 {
		return nil
	}
	asOf = asOf.UTC()
	y, m, d := asOf.Date()
	step := func(back int) time.Time {
		first := time.Date(y, m-time.Month(back), 1, 0, 0, 0, 0, time.UTC)
		last := first.AddDate(0, 1, -1).Day()
		return first.AddDate(0, 0, min(d, last)-1)
	}
	back := 0
	for step(back).Add(span).After(asOf) {
		back++
	}
	out := make([]int64, n)
	for i := range out {
		out[n-1-i] = data.Instant(step(back + i))
	}
	return out
}
