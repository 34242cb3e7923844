package record

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"churn/model"
	"churn/model/eval"
)

// logisticModel trains a small logistic model on random rows.
func logisticModel(t *testing.T) (*model.Trained, model.TrainConfig) {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, 6))
	mk := func(n int) (*model.Matrix, []float64) {
		m := &model.Matrix{Cols: []string{"a", "b|c"}, Rows: n}
		y := make([]float64, n)
		for i := range n {
			a, b := rng.NormFloat64(), rng.NormFloat64()
			m.X = append(m.X, a, b)
			if rng.Float64() < 1/(1+math.Exp(-2*a)) {
				y[i] = 1
			}
		}
		return m, y
	}
	tr, ytr := mk(400)
	va, yva := mk(200)
	cfg := model.DefaultTrainConfig()
	cfg.Algo, cfg.Calibration = model.AlgoLogistic, model.CalPlatt
	m, err := model.Train(cfg, tr, va, nil, ytr, yva, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m, cfg
}

// TestModelCardCaveats: a card says loudly when the model does not beat
// the baseline, flags small groups, writes undefined metrics as a dash,
// names drifted features, keeps table cells intact, and describes a
// logistic model without trees.
func TestModelCardCaveats(t *testing.T) {
	m, cfg := logisticModel(t)
	rec := model.NewRecord(m, cfg)
	rec.Window = model.DataWindow{AsOf: "2026-11-01", Horizon: "90d", TestCutoff: "2026-08-01", LabelsUntil: "2026-10-30"}
	oneClass := eval.Evaluate([]float64{0.1, 0.2, 0.3}, []float64{0, 0, 0})
	rec.ByPlan = map[string]eval.Report{"tiny": oneClass}
	rec.Drift = map[string]float64{"a": 0.35, "b|c": 0.01}
	meta := &model.Meta{
		Holdout:  eval.Report{ROCAUC: 0.61, Rows: 500, Positives: 50, BaseRate: 0.1},
		Baseline: eval.Report{ROCAUC: 0.64},
		Record:   rec,
	}
	c := string(modelCard("v0007", meta, m, nil, 0.2))
	for _, want := range []string{
		"# Model card: churn model v0007",
		"**The model does not rank better than the baseline on the holdout** (ROC AUC 0.610 against 0.640)",
		"| tiny ⚠ | 3 | 0 | 0.0% | – |",
		"fewer than 200 customers or 20 churners: their metrics are noisy (plan tiny)",
		"1 feature drifted", "1 feature moved between the training cutoffs and the test cutoff (a)",
		"| a | 0.3500 |", `| b\|c |`,
		"| algorithm | logistic |", "| parameters | L2 ", "absolute standardised coefficient",
		"No region was recorded.",
		"calibration | platt",
		"Calibration: no calibration cutoff given",
	} {
		if !strings.Contains(c, want) {
			t.Errorf("card lacks %q", want)
		}
	}
	if strings.Contains(c, "trees used") {
		t.Error("a logistic model's card names trees")
	}
	if strings.Contains(c, "NaN") {
		t.Error("card prints NaN")
	}
}
