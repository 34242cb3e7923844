package eval

import (
	"encoding/json"
	"math"
	"sort"
)

// Report holds the metrics of one set of scores against outcomes. Undefined
// metrics are NaN and encode as JSON null.
type Report struct {
	Rows          int     `json:"rows"`           // rows measured
	Positives     int     `json:"positives"`      // rows with label 1
	MissingLabels int     `json:"missing_labels"` // rows skipped: NaN label
	MissingScores int     `json:"missing_scores"` // rows skipped: NaN score
	BaseRate      float64 `json:"base_rate"`
	ROCAUC        float64 `json:"roc_auc"`
	PRAUC         float64 `json:"pr_auc"`
	LogLoss       float64 `json:"log_loss"`
	Brier         float64 `json:"brier"`
	ECE           float64 `json:"ece"`
	LiftTopDecile float64 `json:"lift_top_decile"`
	// CaptureTopDecile is the share of all positives in the top decile.
	CaptureTopDecile float64            `json:"capture_top_decile"`
	K                int                `json:"k"`
	PrecisionAtK     float64            `json:"precision_at_k"`
	Reliability      []ReliabilityPoint `json:"reliability"`
	Gains            []Point            `json:"gains"` // at each decile
}

// Evaluate measures scores p against labels y, skipping rows whose label or
// score is NaN and counting them. Lengths must match; extra entries of the
// longer slice are ignored.
func Evaluate(p, y []float64) Report {
	n := min(len(p), len(y))
	var r Report
	cp := make([]float64, 0, n)
	cy := make([]float64, 0, n)
	for i := 0; i < n; i++ {
		switch {
		case math.IsNaN(y[i]):
			r.MissingLabels++
		case math.IsNaN(p[i]):
			r.MissingScores++
		default:
			cp = append(cp, p[i])
			cy = append(cy, y[i])
		}
	}
	r.Rows = len(cp)
	pos, _ := counts(cy)
	r.Positives = int(pos)
	r.BaseRate = math.NaN()
	if r.Rows > 0 {
		r.BaseRate = pos / float64(r.Rows)
	}
	r.ROCAUC = ROCAUC(cp, cy)
	r.PRAUC = PRAUC(cp, cy)
	r.LogLoss = LogLoss(cp, cy)
	r.Brier = Brier(cp, cy)
	r.ECE = ECE(cp, cy)
	r.LiftTopDecile, r.CaptureTopDecile = LiftCapture(cp, cy, TopFraction)
	r.K = min(DefaultK, r.Rows)
	r.PrecisionAtK = PrecisionAtK(cp, cy, r.K)
	r.Reliability = Reliability(cp, cy, ECEBins)
	r.Gains = Gains(cp, cy, 10)
	return r
}

// EvaluateBy evaluates each group apart: group[i] names the group of row i
// (a plan, a region). Groups are visited in sorted order.
func EvaluateBy(p, y []float64, group []string) map[string]Report {
	n := min(len(p), len(y), len(group))
	rows := make(map[string][]int)
	for i := 0; i < n; i++ {
		rows[group[i]] = append(rows[group[i]], i)
	}
	names := make([]string, 0, len(rows))
	for g := range rows {
		names = append(names, g)
	}
	sort.Strings(names)
	out := make(map[string]Report, len(rows))
	for _, g := range names {
		gp := make([]float64, len(rows[g]))
		gy := make([]float64, len(rows[g]))
		for j, i := range rows[g] {
			gp[j], gy[j] = p[i], y[i]
		}
		out[g] = Evaluate(gp, gy)
	}
	return out
}

// reportJSON mirrors Report with nullable numbers.
type reportJSON struct {
	Rows             int                `json:"rows"`
	Positives        int                `json:"positives"`
	MissingLabels    int                `json:"missing_labels"`
	MissingScores    int                `json:"missing_scores"`
	BaseRate         *float64           `json:"base_rate"`
	ROCAUC           *float64           `json:"roc_auc"`
	PRAUC            *float64           `json:"pr_auc"`
	LogLoss          *float64           `json:"log_loss"`
	Brier            *float64           `json:"brier"`
	ECE              *float64           `json:"ece"`
	LiftTopDecile    *float64           `json:"lift_top_decile"`
	CaptureTopDecile *float64           `json:"capture_top_decile"`
	K                int                `json:"k"`
	PrecisionAtK     *float64           `json:"precision_at_k"`
	Reliability      []ReliabilityPoint `json:"reliability"`
	Gains            []pointJSON        `json:"gains"`
}

type pointJSON struct {
	X         float64  `json:"x"`
	Y         float64  `json:"y"`
	Threshold *float64 `json:"threshold"`
}

func nullable(f float64) *float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return &f
}

func fromNullable(f *float64) float64 {
	if f == nil {
		return math.NaN()
	}
	return *f
}

// MarshalJSON encodes undefined (NaN) metrics as null.
func (r Report) MarshalJSON() ([]byte, error) {
	j := reportJSON{
		Rows: r.Rows, Positives: r.Positives, MissingLabels: r.MissingLabels, MissingScores: r.MissingScores,
		BaseRate: nullable(r.BaseRate), ROCAUC: nullable(r.ROCAUC), PRAUC: nullable(r.PRAUC),
		LogLoss: nullable(r.LogLoss), Brier: nullable(r.Brier), ECE: nullable(r.ECE),
		LiftTopDecile: nullable(r.LiftTopDecile), CaptureTopDecile: nullable(r.CaptureTopDecile),
		K: r.K, PrecisionAtK: nullable(r.PrecisionAtK), Reliability: r.Reliability,
	}
	for _, g := range r.Gains {
		j.Gains = append(j.Gains, pointJSON{g.X, g.Y, nullable(g.Threshold)})
	}
	return json.Marshal(j)
}

// UnmarshalJSON decodes null metrics as NaN and a null gains threshold as
// +Inf (the curve's starting point).
func (r *Report) UnmarshalJSON(b []byte) error {
	var j reportJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = Report{
		Rows: j.Rows, Positives: j.Positives, MissingLabels: j.MissingLabels, MissingScores: j.MissingScores,
		BaseRate: fromNullable(j.BaseRate), ROCAUC: fromNullable(j.ROCAUC), PRAUC: fromNullable(j.PRAUC),
		LogLoss: fromNullable(j.LogLoss), Brier: fromNullable(j.Brier), ECE: fromNullable(j.ECE),
		LiftTopDecile: fromNullable(j.LiftTopDecile), CaptureTopDecile: fromNullable(j.CaptureTopDecile),
		K: j.K, PrecisionAtK: fromNullable(j.PrecisionAtK), Reliability: j.Reliability,
	}
	for _, g := range j.Gains {
		t := math.Inf(1)
		if g.Threshold != nil {
			t = *g.Threshold
		}
		r.Gains = append(r.Gains, Point{g.X, g.Y, t})
	}
	return nil
}
