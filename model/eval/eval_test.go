package eval

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/integrate"
	"gonum.org/v1/gonum/stat"
)

// tol is the tolerance for hand-computed reference values: they are exact
// fractions, so only float rounding separates them.
const tol = 1e-12

func near(a, b, eps float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= eps
}

func TestMetricsByHand(t *testing.T) {
	six := []float64{0.9, 0.8, 0.7, 0.6, 0.5, 0.4}
	sixY := []float64{1, 0, 1, 1, 0, 0}
	tests := []struct {
		name string
		fn   func(p, y []float64) float64
		p, y []float64
		want float64
	}{
		// 7 of the 9 positive-negative pairs are ordered right.
		{"roc auc six", ROCAUC, six, sixY, 7.0 / 9},
		{"roc auc all tied", ROCAUC, []float64{0.5, 0.5, 0.5}, []float64{1, 0, 0}, 0.5},
		// Positive 0.7 ties negative 0.7 (one half) and beats 0.2; positive 0.9 beats both.
		{"roc auc tie block", ROCAUC, []float64{0.9, 0.7, 0.7, 0.2}, []float64{1, 1, 0, 0}, 3.5 / 4},
		{"roc auc one class", ROCAUC, []float64{0.1, 0.2}, []float64{1, 1}, math.NaN()},
		// Precision 1, 2/3, 3/4 at the three positives.
		{"pr auc six", PRAUC, six, sixY, (1 + 2.0/3 + 3.0/4) / 3},
		// One block holding both positives of four rows: precision 1/2, recall 1.
		{"pr auc tied", PRAUC, []float64{0.3, 0.3, 0.3, 0.3}, []float64{1, 0, 1, 0}, 0.5},
		{"brier", Brier, []float64{0.8, 0.3}, []float64{1, 0}, (0.04 + 0.09) / 2},
		{"log loss", LogLoss, []float64{0.8, 0.3}, []float64{1, 0}, -(math.Log(0.8) + math.Log(0.7)) / 2},
		{"log loss clipped", LogLoss, []float64{0}, []float64{1}, -math.Log(logLossEps)},
		// Bin [0.1,0.2): 0.15 vs 0.5 on two rows; bin [0.8,0.9): 0.85 vs 1 on two rows.
		{"ece", ECE, []float64{0.15, 0.15, 0.85, 0.85}, []float64{0, 1, 1, 1}, (2*0.35 + 2*0.15) / 4},
		{"precision at 2", func(p, y []float64) float64 { return PrecisionAtK(p, y, 2) }, six, sixY, 0.5},
		{"precision at 3", func(p, y []float64) float64 { return PrecisionAtK(p, y, 3) }, six, sixY, 2.0 / 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.fn(tt.p, tt.y); !near(got, tt.want, tol) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLiftCapture(t *testing.T) {
	// 20 rows, 4 positives; the top decile (2 rows) holds one positive.
	p := make([]float64, 20)
	y := make([]float64, 20)
	for i := range p {
		p[i] = float64(20-i) / 20
	}
	y[0], y[5], y[10], y[15] = 1, 1, 1, 1
	lift, capture := LiftCapture(p, y, TopFraction)
	// Rate in top 1/2 over base rate 4/20 = 2.5; capture 1/4.
	if !near(lift, 2.5, tol) || !near(capture, 0.25, tol) {
		t.Errorf("lift, capture = %v, %v; want 2.5, 0.25", lift, capture)
	}
	g := Gains(p, y, 10)
	if len(g) != 11 || g[0].X != 0 || !near(g[10].Y, 1, tol) || !near(g[1].Y, 0.25, tol) {
		t.Errorf("gains = %v", g)
	}
}

func TestCurves(t *testing.T) {
	p := []float64{0.9, 0.7, 0.7, 0.2}
	y := []float64{1, 1, 0, 0}
	roc := ROCCurve(p, y)
	want := []Point{{0, 0, math.Inf(1)}, {0, 0.5, 0.9}, {0.5, 1, 0.7}, {1, 1, 0.2}}
	if len(roc) != len(want) {
		t.Fatalf("roc = %v, want %v", roc, want)
	}
	for i := range want {
		if roc[i] != want[i] {
			t.Errorf("roc[%d] = %v, want %v", i, roc[i], want[i])
		}
	}
	pr := PRCurve(p, y)
	if len(pr) != 3 || pr[1].X != 1 || !near(pr[1].Y, 2.0/3, tol) {
		t.Errorf("pr = %v", pr)
	}
	rel := Reliability(p, y, 10)
	if len(rel) != 3 || rel[1].Count != 2 || rel[1].Observed != 0.5 {
		t.Errorf("reliability = %v", rel)
	}
}

// gonumTol bounds the difference between our rank-based ROC AUC and gonum's
// stat.ROC integrated with integrate.Trapezoidal: both are exact for ties
// (the trapezoid across a tied block is the one-half credit), so they differ
// only by summation order.
const gonumTol = 1e-12

func TestROCAUCMatchesGonum(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 20; trial++ {
		n := 50 + rng.IntN(500)
		p := make([]float64, n)
		y := make([]float64, n)
		for i := range p {
			y[i] = float64(rng.IntN(2))
			// Rounded scores make many ties.
			p[i] = math.Round((rng.Float64()*0.6+0.3*y[i])*20) / 20
		}
		got := ROCAUC(p, y)

		sp := append([]float64(nil), p...)
		classes := make([]bool, n)
		for i := range y {
			classes[i] = y[i] == 1
		}
		stat.SortWeightedLabeled(sp, classes, nil)
		tpr, fpr, _ := stat.ROC(nil, sp, classes, nil)
		want := integrate.Trapezoidal(fpr, tpr)
		if !near(got, want, gonumTol) {
			t.Errorf("trial %d: ROCAUC = %v, gonum = %v", trial, got, want)
		}
	}
}

func TestEvaluateSkipsAndEncodes(t *testing.T) {
	p := []float64{0.9, 0.1, math.NaN(), 0.4}
	y := []float64{1, 0, 1, math.NaN()}
	r := Evaluate(p, y)
	if r.Rows != 2 || r.MissingLabels != 1 || r.MissingScores != 1 || r.Positives != 1 {
		t.Errorf("counts = %+v", r)
	}
	if r.ROCAUC != 1 {
		t.Errorf("roc auc = %v, want 1", r.ROCAUC)
	}
	one := Evaluate([]float64{0.2, 0.3}, []float64{0, 0})
	b, err := json.Marshal(one)
	if err != nil {
		t.Fatalf("marshal single-class report: %v", err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	if !math.IsNaN(back.ROCAUC) || back.Brier != one.Brier || back.Rows != 2 {
		t.Errorf("round trip = %+v, want %+v", back, one)
	}
}

func TestEvaluateBy(t *testing.T) {
	p := []float64{0.9, 0.1, 0.8, 0.7}
	y := []float64{1, 0, 0, 1}
	g := []string{"a", "a", "b", "b"}
	got := EvaluateBy(p, y, g)
	if len(got) != 2 || got["a"].ROCAUC != 1 || got["b"].ROCAUC != 0 {
		t.Errorf("by group = %+v", got)
	}
}
