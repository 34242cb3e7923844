package features

import (
	"math"

	"churn/data"
)

// The label rule, whole: the statuses, the activity flags the fold sets
// (markActivity), the label definition per customer and cutoff
// (labelModes) and the status and label of a row (statusLabel).

// Status is where a customer stands at a cutoff.
type Status string

// Flags per customer and cutoff.
const (
	flagLabelActive    uint8 = 1 << iota // a session, event or order in [c+gap, c+gap+horizon)
	flagLookbackActive                   // a session, event or order in [c-lookback, c)
)

// minCancelShare is the share of customers who must have cancelled before a
// cutoff for a dataset in which no customer has a plan to count as
// contractual under Auto: a stray cancellation is not a contract.
const minCancelShare = 0.01

// labelModes says, for every customer and cutoff, whether the contractual
// label applies, from the customers table as of each cutoff (see Auto):
// a plan is contractual at c when one of its customers cancelled before
// c; a customer without a plan follows the majority of the customers with
// one who signed up before c (ties: noncontractual), and when none has a
// plan, the customers are contractual at c when at least minCancelShare of
// those who signed up before c cancelled before it.
func labelModes(mode LabelMode, c *customers, cutoffs []int64) []bool {
	nk := len(cutoffs)
	out := make([]bool, len(c.ids)*nk)
	switch mode {
	case Contractual:
		for i := range out {
			out[i] = true
		}
		return out
	case Noncontractual:
		return out
	}
	firstCancel := map[string]int64{} // plan -> earliest cancellation
	for i, p := range c.plan {
		if t := c.cancelled[i]; p != "" && t != data.NoTime {
			if f, ok := firstCancel[p]; !ok || t < f {
				firstCancel[p] = t
			}
		}
	}
	planAt := func(p string, cut int64) bool {
		f, ok := firstCancel[p]
		return ok && f < cut
	}
	for k, cut := range cutoffs {
		var withPlan, onContract, signed, cancelled int
		for i, p := range c.plan {
			if c.signup[i] >= cut {
				continue
			}
			signed++
			if t := c.cancelled[i]; t != data.NoTime && t < cut {
				cancelled++
			}
			if p != "" {
				withPlan++
				if planAt(p, cut) {
					onContract++
				}
			}
		}
		var noPlan bool
		if withPlan > 0 {
			noPlan = 2*onContract > withPlan
		} else {
			noPlan = cancelled > 0 && float64(cancelled) >= minCancelShare*float64(signed)
		}
		for i, p := range c.plan {
			if p == "" {
				out[i*nk+k] = noPlan
			} else {
				out[i*nk+k] = planAt(p, cut)
			}
		}
	}
	return out
}

// markActivity sets the label and lookback flags of customer i for a
// session, event or order at ts.
func (b *Builder) markActivity(i int32, ts int64) {
	f := b.flags[(int(i)-b.lo)*len(b.g.cutoffs):]
	for k, c := range b.g.cutoffs {
		if start := c + b.g.gap; ts >= start && ts-start < b.g.horizon {
			f[k] |= flagLabelActive
		}
		if ts < c && c-ts <= b.g.lookback {
			f[k] |= flagLookbackActive
		}
	}
}

// statusLabel gives customer i's status and label at cutoff k.
func (b *Builder) statusLabel(i, k int, c int64) (Status, float64) {
	cu := b.cust
	flags := b.flags[(i-b.lo)*len(b.g.cutoffs)+k]
	contractual := cu.contractual[i*len(b.g.cutoffs)+k]
	cancelled := cu.cancelled[i]
	var st Status
	switch {
	case cancelled != data.NoTime && cancelled < c:
		st = Churned
	case c-cu.signup[i] < int64(b.cfg.NewDays)*dayNS:
		st = New
	case !contractual && flags&flagLookbackActive == 0:
		st = Churned
	default:
		st = Active
	}
	start := c + b.g.gap
	if st == Churned || start+b.g.horizon > b.dataEnd {
		return st, math.NaN()
	}
	if contractual {
		switch {
		case cancelled == data.NoTime || cancelled-start >= b.g.horizon:
			return st, 0
		case cancelled < start:
			return st, math.NaN() // left during the gap
		}
		return st, 1
	}
	if flags&flagLookbackActive == 0 {
		return st, math.NaN()
	}
	if flags&flagLabelActive != 0 {
		return st, 0
	}
	return st, 1
}

// hasLabel reports whether customer i's row at cutoff k has a label.
func (b *Builder) hasLabel(i, k int, c int64) bool {
	_, label := b.statusLabel(i, k, c)
	return !math.IsNaN(label)
}
