// Package liststest writes run folders like churn run's, for the tests of
// the packages that read them.
package liststest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"churn/data"
	"churn/data/runs"
)

// Run describes a fake run.
type Run struct {
	AsOf      string   // YYYY-MM-DD
	Customers int      // rows
	Seed      uint64   // same seed, same run
	Drop      []string // columns to leave out, as an older version would
	// Odd, when set, makes customer 0 an id and texts that need escaping
	// in HTML, CSV and JSON.
	Odd bool
	// Names renames segments (canonical id -> name), as segments.names
	// does; the manifest records them as segment_names.
	Names map[string]string
	// Parts, when above 1, splits the rows in order into that many part
	// files, as churn-beam run writes one per customer range.
	Parts int
}

// OddID is customer 0's id when Run.Odd is set.
const OddID = `C<b>"x",y</b>&amp;`

// Reasons are the sentences fake reasons are drawn from.
var Reasons = []string{
	"no core action for 41 days",
	"sessions fell to 30% of their usual weekly level",
	"latest NPS answer was 3 (a detractor)",
	"2 support tickets still open",
	"no order for 120 days, far longer than usual",
	"ticket tone négatif, \"frustrated\", repeated",
}

// ReasonCodes are the stable codes of Reasons, in the same order.
var ReasonCodes = []string{"usage_inactive", "visits_decline", "nps_detractor", "support_unresolved", "purchase_lapse", "support_negative"}

// Write writes the run folder under scores through runs.Write, as churn
// run does (part file, manifest, _SUCCESS), or in r.Parts parts through
// runs.CommitParts, as churn-beam run does, and returns it. Customer ids
// are C0000001.. in the same order in every run; values depend on the
// seed.
func Write(tb testing.TB, scores string, r Run) string {
	tb.Helper()
	cols, segs := Columns(r)
	var keep []data.OutColumn
	for _, c := range cols {
		if !slices.Contains(r.Drop, c.Name) {
			keep = append(keep, c)
		}
	}
	m := &runs.Manifest{
		AsOf: r.AsOf, ModelVersion: "v0003", Algo: "gbt",
		Customers: r.Customers, Segments: segs, SegmentNames: r.Names,
	}
	if r.Parts <= 1 {
		if err := runs.Write(scores, keep, m, nil); err != nil {
			tb.Fatal(err)
		}
		return runs.Dir(scores, r.AsOf)
	}
	p, err := runs.CreatePending(scores, r.AsOf)
	if err != nil {
		tb.Fatal(err)
	}
	var parts []string
	for k := range r.Parts {
		lo, hi := k*r.Customers/r.Parts, (k+1)*r.Customers/r.Parts
		part := make([]data.OutColumn, len(keep))
		for j, c := range keep {
			part[j] = c
			if c.Strings != nil {
				part[j].Strings = c.Strings[lo:hi]
			}
			if c.Floats != nil {
				part[j].Floats = c.Floats[lo:hi]
			}
			if c.Ints != nil {
				part[j].Ints = c.Ints[lo:hi]
			}
			if c.Times != nil {
				part[j].Times = c.Times[lo:hi]
			}
		}
		parts = append(parts, runs.PartName(k))
		if err := data.WriteParquet(filepath.Join(p.Dir(), parts[k]), part, data.WriteOptions{}); err != nil {
			tb.Fatal(err)
		}
	}
	if err := runs.CommitParts(p, parts, m, nil); err != nil {
		tb.Fatal(err)
	}
	return runs.Dir(scores, r.AsOf)
}

// Columns returns the columns of a fake run's part file and its segments.
func Columns(r Run) ([]data.OutColumn, []runs.Segment) {
	n := r.Customers
	rng := rand.New(rand.NewPCG(r.Seed, 7))
	if err := runs.CheckDate(r.AsOf); err != nil {
		panic(fmt.Sprintf("liststest: as of %q: %v", r.AsOf, err))
	}
	str := func() []string { return make([]string, n) }
	flt := func() []float64 { return make([]float64, n) }
	ids, risk, tier, seg, reasons, codes, ver, status, plan, region := str(), str(), str(), str(), str(), str(), str(), str(), str(), str()
	prob, value, vr, palive, eng := flt(), flt(), flt(), flt(), flt()
	core, sess, trend, nps, tickets, order, tenure := flt(), flt(), flt(), flt(), flt(), flt(), flt()
	plans := []string{"basic", "pro", "team"}
	regions := []string{"north", "south", "São Paulo", "west"}
	sum := map[string]*runs.Segment{}
	for i := 0; i < n; i++ {
		ids[i] = fmt.Sprintf("C%07d", i+1)
		p := math.Round(rng.Float64()*rng.Float64()*1e6) / 1e6
		if i%97 == 5 {
			p = 0.42 // ties, broken by customer id
		}
		v := math.Round(math.Exp(rng.NormFloat64()+5)*100) / 100
		prob[i], value[i], vr[i] = p, v, p*v
		palive[i] = 1 - p/2
		eng[i] = math.Round(rng.Float64()*1000) / 10
		core[i] = float64(rng.IntN(90))
		sess[i] = float64(rng.IntN(60))
		trend[i] = math.Round(rng.Float64()*200) / 100
		nps[i] = float64(rng.IntN(11))
		if i%4 == 1 {
			nps[i] = math.NaN() // never answered
		}
		tickets[i] = float64(rng.IntN(4))
		order[i] = float64(rng.IntN(365))
		tenure[i] = float64(10 + rng.IntN(1000))
		switch {
		case p >= 0.5:
			risk[i] = runs.High
		case p >= 0.2:
			risk[i] = runs.Medium
		default:
			risk[i] = runs.Low
		}
		switch {
		case v >= 300:
			tier[i] = runs.High
		case v >= 100:
			tier[i] = runs.Medium
		default:
			tier[i] = runs.Low
		}
		status[i] = "active"
		switch {
		case (i+int(r.Seed%50))%50 == 3:
			seg[i], status[i] = runs.Churned, "churned"
		case tenure[i] < 30:
			seg[i] = runs.New
		case p >= 0.5 && tier[i] == runs.High:
			seg[i] = runs.AtRiskHighValue
		case p >= 0.5:
			seg[i] = runs.AtRisk
		case tier[i] == runs.High:
			seg[i] = runs.HighValue
		default:
			seg[i] = runs.Healthy
		}
		pick := rng.Perm(len(Reasons))
		reasons[i] = Reasons[pick[0]] + "; " + Reasons[pick[1]] + "; " + Reasons[pick[2]]
		codes[i] = ReasonCodes[pick[0]] + ";" + ReasonCodes[pick[1]] + ";" + ReasonCodes[pick[2]]
		ver[i] = "v0003"
		plan[i] = plans[rng.IntN(len(plans))]
		region[i] = regions[rng.IntN(len(regions))]
		s := sum[seg[i]]
		if s == nil {
			s = &runs.Segment{Segment: seg[i]}
			sum[seg[i]] = s
		}
		s.Customers++
		s.ValueAtRisk += vr[i]
	}
	if r.Odd && n > 0 {
		ids[0] = OddID
		reasons[0] = `<img src=x onerror=alert(1)>; "quoted, with comma"`
		plan[0] = "<i>pro</i>"
	}
	var segs []runs.Segment
	for _, name := range runs.Segments {
		if s := sum[name]; s != nil {
			if n := r.Names[name]; n != "" {
				s.Segment = n
			}
			segs = append(segs, *s)
		}
	}
	for i, id := range seg {
		if n := r.Names[id]; n != "" {
			seg[i] = n
		}
	}
	cols := []data.OutColumn{
		runs.CustomerID.Strings(ids),
		runs.ChurnProbability.Floats(prob),
		runs.ChurnRisk.Strings(risk),
		runs.PredictedValue.Floats(value),
		runs.ValueTier.Strings(tier),
		runs.ValueAtRisk.Floats(vr),
		runs.PAlive.Floats(palive),
		runs.EngagementScore.Floats(eng),
		runs.SegmentColumn.Strings(seg),
		runs.Reasons.Strings(reasons),
		runs.ReasonCodes.Strings(codes),
		runs.ModelVersion.Strings(ver),
		runs.Status.Strings(status),
		runs.Plan.Strings(plan),
		runs.Region.Strings(region),
		{Name: "days_since_core", Kind: data.Float, Floats: core},
		{Name: "days_since_session", Kind: data.Float, Floats: sess},
		{Name: "sessions_vs_baseline", Kind: data.Float, Floats: trend},
		{Name: "nps_latest", Kind: data.Float, Floats: nps},
		{Name: "tickets_open", Kind: data.Float, Floats: tickets},
		{Name: "days_since_order", Kind: data.Float, Floats: order},
		{Name: "tenure_days", Kind: data.Float, Floats: tenure},
	}
	return cols, segs
}
