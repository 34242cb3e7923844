package lists

import "math"

// The kinds of change between two runs, in the order Compare lists them.
const (
	NewlyAtRisk    = "newly_at_risk"    // at risk now (at_risk or at_risk_high_value), not before
	NewlyHighValue = "newly_high_value" // value tier high now, not before
	Recovered      = "recovered"        // at risk before, neither at risk nor churned now
	Churned        = "churned"          // in segment churned now, not before
)

// ChangeKinds lists the kinds of change in output order.
var ChangeKinds = []string{NewlyAtRisk, NewlyHighValue, Recovered, Churned}

func atRisk(segment string) bool { return segment == "at_risk" || segment == "at_risk_high_value" }

// Compare lists what changed for each customer of cur since prev: one row
// per change, grouped by kind in the order of ChangeKinds, each group
// sorted by key over cur's columns, at most top rows when top > 0. The
// filter applies to cur's values. A customer absent from prev counts as
// not at risk and not high value before. Leading columns: change,
// previous_segment, previous_churn_probability, previous_value_at_risk.
func Compare(prev, cur *Run, f Filter, key string, top int) (*Table, error) {
	rows, err := cur.Select(f, key, 0)
	if err != nil {
		return nil, err
	}
	before := make(map[string]int32, prev.N)
	for i, id := range prev.ids {
		before[id] = int32(i)
	}
	// Kinds of change are decided on canonical segment ids, so that runs
	// with renamed segments compare as the default names do; the output
	// shows the names the runs wrote.
	prevSeg, curSeg := prev.segID, cur.segID
	prevName := prev.cols[prev.index["segment"]].s
	prevTier := prev.cols[prev.index["value_tier"]].s
	curTier := cur.cols[cur.index["value_tier"]].s
	byKind := make([][]int32, len(ChangeKinds))
	prevOf := map[int32]int32{}
	for _, i := range rows {
		j, had := before[cur.ids[i]]
		if had {
			prevOf[i] = j
		}
		now := atRisk(curSeg[i])
		was := had && atRisk(prevSeg[j])
		if now && !was {
			byKind[0] = append(byKind[0], i)
		}
		if curTier[i] == "high" && (!had || prevTier[j] != "high") {
			byKind[1] = append(byKind[1], i)
		}
		if was && !now && curSeg[i] != "churned" {
			byKind[2] = append(byKind[2], i)
		}
		if curSeg[i] == "churned" && had && prevSeg[j] != "churned" {
			byKind[3] = append(byKind[3], i)
		}
	}
	t := &Table{r: cur, extra: []column{
		{name: "change"},
		{name: "previous_segment"},
		{name: "previous_churn_probability", dec: 4},
		{name: "previous_value_at_risk", dec: 2},
	}}
	for k, kind := range ChangeKinds {
		for _, i := range byKind[k] {
			if top > 0 && len(t.rows) == top {
				break
			}
			t.rows = append(t.rows, i)
			t.extra[0].s = append(t.extra[0].s, kind)
			seg, p, v := "", math.NaN(), math.NaN()
			if j, ok := prevOf[i]; ok {
				seg, p, v = prevName[j], prev.prob[j], prev.var_[j]
			}
			t.extra[1].s = append(t.extra[1].s, seg)
			t.extra[2].f = append(t.extra[2].f, p)
			t.extra[3].f = append(t.extra[3].f, v)
		}
	}
	// A column of no rows still needs its kind: strings non-nil, floats
	// non-nil.
	for c := range t.extra {
		if c < 2 && t.extra[c].s == nil {
			t.extra[c].s = []string{}
		}
		if c >= 2 && t.extra[c].f == nil {
			t.extra[c].f = []float64{}
		}
	}
	return t, nil
}
