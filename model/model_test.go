package model

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

var testCols = []string{"a", "b", "some_missing", "const", "all_missing", "inf"}

// synth draws n rows where churn follows sigmoid(1.5a - b + 0.8s - 1) and
// carries a constant, an all-missing and an infinite column.
func synth(n int, seed uint64) (*Matrix, []float64) {
	rng := rand.New(rand.NewPCG(seed, 99))
	m := NewMatrix(testCols, n)
	y := make([]float64, n)
	for i := 0; i < n; i++ {
		r := m.Row(i)
		r[0], r[1], r[2] = rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()
		z := 1.5*r[0] - r[1] + 0.8*r[2] - 1
		if rng.Float64() < 0.2 {
			r[2] = math.NaN()
		}
		r[3], r[4], r[5] = 7, math.NaN(), float64(i%3)
		if i%50 == 0 {
			r[5] = math.Inf(1)
		}
		if rng.Float64() < sigmoid(z) {
			y[i] = 1
		}
	}
	return m, y
}

func fastConfig(algo string) TrainConfig {
	cfg := DefaultTrainConfig()
	cfg.Algo = algo
	cfg.GBT.Trees = 60
	cfg.GBT.EarlyStopping = 10
	cfg.GBT.Workers = 1
	return cfg
}

func trainSets(t *testing.T) (tr, va, ca *Matrix, ytr, yva, yca []float64) {
	t.Helper()
	tr, ytr = synth(1500, 1)
	va, yva = synth(600, 2)
	ca, yca = synth(800, 3)
	return
}

func TestTrainEachAlgo(t *testing.T) {
	tr, va, ca, ytr, yva, yca := trainSets(t)
	test, _ := synth(300, 4)
	// Unseen extremes must not produce NaN either.
	test.Row(0)[0], test.Row(1)[1], test.Row(2)[2] = math.Inf(1), math.Inf(-1), math.NaN()
	for _, algo := range []string{AlgoLogistic, AlgoGBT, AlgoAuto} {
		t.Run(algo, func(t *testing.T) {
			m, err := Train(fastConfig(algo), tr, va, ca, ytr, yva, yca)
			if err != nil {
				t.Fatal(err)
			}
			if m.Choice == "" || len(m.Candidates) == 0 {
				t.Errorf("choice %q, candidates %v", m.Choice, m.Candidates)
			}
			best := m.Candidates[0].Valid.ROCAUC
			// The generating model's AUC on this design is about 0.80.
			if best < 0.7 {
				t.Errorf("validation ROC AUC %v, want >= 0.7", best)
			}
			p := make([]float64, test.Rows)
			if err := m.PredictProba(p, test); err != nil {
				t.Fatal(err)
			}
			for i, v := range p {
				if math.IsNaN(v) || v < 0 || v > 1 {
					t.Fatalf("p[%d] = %v", i, v)
				}
			}
			if got := len(m.Importance()); got != len(testCols) {
				t.Errorf("importance has %d features, want %d", got, len(testCols))
			}
		})
	}
}

func TestLogisticDropsBadColumns(t *testing.T) {
	x, y := synth(1000, 7)
	m, err := FitLogistic(x, y, DefaultLogisticParams())
	if err != nil {
		t.Fatal(err)
	}
	notes := strings.Join(m.Notes, "\n")
	for _, want := range []string{"dropped const: constant", "dropped all_missing: all missing", "dropped inf: infinite values"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes %q lack %q", notes, want)
		}
	}
	// Contributions sum to the margin minus the intercept.
	row := x.Row(3)
	c := make([]float64, len(testCols))
	m.Contributions(c, row)
	var sum float64
	for _, v := range c {
		sum += v
	}
	z := make([]float64, len(m.Terms))
	if got := m.margin(z, row) - m.Intercept; math.Abs(got-sum) > 1e-12 {
		t.Errorf("contributions sum %v, margin - intercept %v", sum, got)
	}
	// Coefficient signs follow the generator: a up, b down.
	imp := m.Importance()
	if c := m.Terms[0].Coef; m.Terms[0].Feature != 0 || c <= 0 || imp[0] <= imp[3] {
		t.Errorf("coef on a = %v, importance %v", c, imp)
	}
}

func TestDeterministicModelBytes(t *testing.T) {
	tr, va, ca, ytr, yva, yca := trainSets(t)
	var first []byte
	for k := 0; k < 2; k++ {
		m, err := Train(fastConfig(AlgoAuto), tr, va, ca, ytr, yva, yca)
		if err != nil {
			t.Fatal(err)
		}
		b, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if k == 0 {
			first = b
		} else if string(b) != string(first) {
			t.Error("same data and seed gave different model bytes")
		}
	}
}

func TestCalibrationFixesMiscalibration(t *testing.T) {
	tr, va, ca, ytr, yva, yca := trainSets(t)
	cfg := fastConfig(AlgoLogistic)
	cfg.PosWeight = 8 // inflates every probability
	m, err := Train(cfg, tr, va, ca, ytr, yva, yca)
	if err != nil {
		t.Fatal(err)
	}
	c := m.Calibration
	if c.Method == CalNone || !(c.BrierAfter < c.BrierBefore) || !(c.ECEAfter < c.ECEBefore) {
		t.Errorf("calibration %+v: want a method that lowers Brier and ECE", c)
	}
	none := fastConfig(AlgoLogistic)
	none.PosWeight, none.Calibration = 8, CalNone
	raw, err := Train(none, tr, va, ca, ytr, yva, yca)
	if err != nil {
		t.Fatal(err)
	}
	if raw.Calibration.Method != CalNone || raw.Calibration.BrierAfter != c.BrierBefore {
		t.Errorf("none: %+v", raw.Calibration)
	}
}

func TestFeatureMismatch(t *testing.T) {
	tr, va, ca, ytr, yva, yca := trainSets(t)
	m, err := Train(fastConfig(AlgoLogistic), tr, va, ca, ytr, yva, yca)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cols []string
		want string
	}{
		{"missing", []string{"a", "b", "some_missing", "const", "all_missing", "x"}, "missing inf; extra x"},
		{"reordered", []string{"b", "a", "some_missing", "const", "all_missing", "inf"}, "reordered b at 0, want 1; a at 1, want 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := NewMatrix(tt.cols, 2)
			err := m.PredictProba(make([]float64, 2), x)
			if !errors.Is(err, ErrFeatureMismatch) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want ErrFeatureMismatch naming %q", err, tt.want)
			}
		})
	}
}

func TestTrainBadInput(t *testing.T) {
	tr, va, ca, ytr, yva, yca := trainSets(t)
	ones := make([]float64, len(ytr))
	for i := range ones {
		ones[i] = 1
	}
	nanY := append([]float64(nil), ytr...)
	nanY[10] = math.NaN()
	small, ysmall := synth(150, 5)
	allBad := NewMatrix([]string{"c", "m"}, tr.Rows)
	for i := 0; i < tr.Rows; i++ {
		allBad.Row(i)[0], allBad.Row(i)[1] = 1, math.NaN()
	}
	badCfg := fastConfig("xgboost")
	tests := []struct {
		name string
		cfg  TrainConfig
		x    *Matrix
		y    []float64
		want error
	}{
		{"single class", fastConfig(AlgoLogistic), tr, ones, ErrSingleClass},
		{"nan label", fastConfig(AlgoLogistic), tr, nanY, ErrBadLabel},
		{"too few rows", fastConfig(AlgoLogistic), small, ysmall, ErrTooFewRows},
		{"length mismatch", fastConfig(AlgoLogistic), tr, ytr[:10], ErrLengthMismatch},
		{"unknown algo", badCfg, tr, ytr, ErrUnknownAlgo},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Train(tt.cfg, tt.x, va, ca, tt.y, yva, yca)
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
	_, err := FitLogistic(allBad, ytr, DefaultLogisticParams())
	if !errors.Is(err, ErrNoUsableFeatures) {
		t.Errorf("all-bad columns: err = %v, want ErrNoUsableFeatures", err)
	}
}

func TestTopContributions(t *testing.T) {
	tr, va, ca, ytr, yva, yca := trainSets(t)
	m, err := Train(fastConfig(AlgoLogistic), tr, va, ca, ytr, yva, yca)
	if err != nil {
		t.Fatal(err)
	}
	row := []float64{3, -2, math.NaN(), 7, math.NaN(), 1}
	top, err := TopContributions(m, row, 2)
	if err != nil {
		t.Fatal(err)
	}
	// a = 3 (coef > 0) and b = -2 (coef < 0) both push risk up the most.
	if len(top) != 2 || top[0].Effect < top[1].Effect || top[0].Effect <= 0 {
		t.Fatalf("top = %+v", top)
	}
	names := top[0].Feature + "," + top[1].Feature
	if names != "a,b" && names != "b,a" {
		t.Errorf("top features %s, want a and b", names)
	}
	all, _ := TopContributions(m, row, 0)
	// Dropped columns tie at zero and sort by name.
	var zeros []string
	for _, c := range all {
		if c.Effect == 0 {
			zeros = append(zeros, c.Feature)
		}
	}
	if strings.Join(zeros, ",") != "all_missing,const,inf" {
		t.Errorf("zero-effect features %v, want sorted dropped columns", zeros)
	}
}

func TestPSI(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	base := make([]float64, 5000)
	same := make([]float64, 5000)
	shifted := make([]float64, 5000)
	for i := range base {
		base[i] = rng.NormFloat64()
		same[i] = rng.NormFloat64()
		shifted[i] = rng.NormFloat64() + 1
		if i%10 == 0 {
			shifted[i] = math.NaN()
		}
	}
	d := NewDistribution(base, 10)
	if len(d.Edges) != 9 || len(d.Props) != 10 || d.Missing != 0 {
		t.Fatalf("distribution %+v", d)
	}
	if psi := d.PSI(same); psi > 0.02 {
		t.Errorf("PSI on the same distribution %v, want < 0.02", psi)
	}
	if psi := d.PSI(shifted); psi < 0.2 || math.IsInf(psi, 0) {
		t.Errorf("PSI on a 1 sd shift with 10%% missing %v, want > 0.2 and finite", psi)
	}
	x, _ := synth(400, 10)
	prof := Profile(x, 10)
	if c := prof["const"]; len(c.Edges) != 0 || c.Props[0] != 1 || c.PSI([]float64{7, 7}) != 0 {
		t.Errorf("constant column profile %+v", c)
	}
	if c := prof["all_missing"]; c.Missing != 1 || c.PSI([]float64{math.NaN()}) != 0 {
		t.Errorf("all-missing profile %+v", c)
	}
}
