package gbt

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

// tol is the tolerance for values computed two ways in floating point.
const tol = 1e-9

// exactParams switches off sampling so that small cases can be checked by
// hand.
func exactParams() Params {
	p := DefaultParams()
	p.Subsample, p.ColSample = 1, 1
	p.EarlyStopping = 0
	p.MinChildWeight = 0
	p.Workers = 1
	return p
}

// synthetic draws rows with 10 columns and a ground truth that has
// interactions, thresholds and curvature a linear model cannot express;
// column 5 is missing for 10% of rows, and missing means risk.
func synthetic(rows int, seed uint64) Data {
	const cols = 10
	rng := rand.New(rand.NewPCG(seed, 7))
	d := Data{X: make([]float64, rows*cols), Rows: rows, Cols: cols, Y: make([]float64, rows)}
	for i := 0; i < rows; i++ {
		x := d.X[i*cols : (i+1)*cols]
		for j := range x {
			x[j] = rng.NormFloat64()
		}
		logit := 1.5*math.Sin(2*x[0]) + 1.2*x[1]*x[2] - 0.8*x[3]*x[3] + 0.5
		if x[4] > 0.7 {
			logit += 1.5
		}
		if rng.Float64() < 0.1 {
			x[5] = math.NaN()
			logit += 1
		} else {
			logit += 0.3 * x[5]
		}
		if rng.Float64() < sigmoid(logit) {
			d.Y[i] = 1
		}
	}
	return d
}

// auc is the ROC AUC of scores against labels, ties counted half.
func auc(scores, y []float64) float64 {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	var pos, neg, rankSum float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		mid := float64(i+j+1) / 2
		for k := i; k < j; k++ {
			if y[idx[k]] == 1 {
				rankSum += mid
			}
		}
		i = j
	}
	for _, v := range y {
		if v == 1 {
			pos++
		} else {
			neg++
		}
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

func TestSingleSplitByHand(t *testing.T) {
	p := exactParams()
	p.Trees, p.MaxDepth, p.LearningRate, p.L2 = 1, 1, 0.5, 1
	d := Data{X: []float64{1, 2, 3, 4}, Rows: 4, Cols: 1, Y: []float64{0, 0, 1, 1}}
	m, err := Fit(d, nil, p)
	if err != nil {
		t.Fatal(err)
	}
	// Prior 2/2 gives base margin 0, p = 0.5: g = p-y = ±0.5, h = 0.25.
	// Split x <= 2.5: GL = 1, HL = 0.5, GR = -1, HR = 0.5, G = 0, H = 1.
	gl, hl, gr, hr, g, h, lambda, eta := 1.0, 0.5, -1.0, 0.5, 0.0, 1.0, 1.0, 0.5
	wantGain := 0.5 * (gl*gl/(hl+lambda) + gr*gr/(hr+lambda) - g*g/(h+lambda))
	wantLeft := -gl / (hl + lambda) * eta
	wantRight := -gr / (hr + lambda) * eta
	if got := m.Importance()[0]; math.Abs(got-wantGain) > tol {
		t.Errorf("gain = %v, want %v", got, wantGain)
	}
	tests := []struct {
		name string
		x    float64
		want float64
	}{
		{"left of edge", 2.5, wantLeft},
		{"right of edge", 2.6, wantRight},
		{"far left", -100, wantLeft},
		{"far right", 100, wantRight},
	}
	for _, tt := range tests {
		got := []float64{0}
		m.PredictMargin(got, []float64{tt.x})
		if math.Abs(got[0]-tt.want) > tol {
			t.Errorf("%s: margin(%v) = %v, want %v", tt.name, tt.x, got[0], tt.want)
		}
	}
}

func TestMissingDirectionLearned(t *testing.T) {
	p := exactParams()
	p.Trees, p.MaxDepth = 20, 2
	// Finite values carry no signal; NaN means positive.
	rng := rand.New(rand.NewPCG(3, 3))
	const rows = 400
	d := Data{X: make([]float64, rows), Rows: rows, Cols: 1, Y: make([]float64, rows)}
	for i := range d.X {
		if i%4 == 0 {
			d.X[i] = math.NaN()
			d.Y[i] = 1
			continue
		}
		d.X[i] = rng.Float64()
	}
	m, err := Fit(d, nil, p)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]float64, 4)
	m.Predict(got, []float64{math.NaN(), 0.3, math.Inf(1), math.Inf(-1)})
	if got[0] < 0.85 || got[1] > 0.15 {
		t.Errorf("P(NaN) = %v, P(0.3) = %v: want NaN high, finite low", got[0], got[1])
	}
	if got[2] != got[0] || got[3] != got[0] {
		t.Errorf("P(+Inf) = %v, P(-Inf) = %v, want both as missing, %v", got[2], got[3], got[0])
	}
}

func TestBadInput(t *testing.T) {
	nan := math.NaN()
	good := func() Data {
		return Data{X: []float64{1, 5, 2, 6, 3, 7}, Rows: 3, Cols: 2, Y: []float64{0, 1, 0}}
	}
	tests := []struct {
		name   string
		change func(*Data, *Params)
		want   error
	}{
		{"one row", func(d *Data, _ *Params) { d.X, d.Rows, d.Y = d.X[:2], 1, d.Y[:1] }, ErrTooFewRows},
		{"short X", func(d *Data, _ *Params) { d.X = d.X[:5] }, ErrShape},
		{"short Y", func(d *Data, _ *Params) { d.Y = d.Y[:2] }, ErrShape},
		{"short W", func(d *Data, _ *Params) { d.W = []float64{1} }, ErrShape},
		{"no columns", func(d *Data, _ *Params) { d.Cols = 0 }, ErrShape},
		{"NaN label", func(d *Data, _ *Params) { d.Y[1] = nan }, ErrLabel},
		{"label 2", func(d *Data, _ *Params) { d.Y[1] = 2 }, ErrLabel},
		{"negative weight", func(d *Data, _ *Params) { d.W = []float64{1, -1, 1} }, ErrWeight},
		{"NaN weight", func(d *Data, _ *Params) { d.W = []float64{1, nan, 1} }, ErrWeight},
		{"single class", func(d *Data, _ *Params) { d.Y = []float64{1, 1, 1} }, ErrSingleClass},
		{"positives weighted out", func(d *Data, _ *Params) { d.W = []float64{1, 0, 1} }, ErrSingleClass},
		{"constant and missing columns", func(d *Data, _ *Params) {
			d.X = []float64{4, nan, 4, nan, 4, math.Inf(1)}
		}, ErrNoUsableColumn},
		{"bad params", func(_ *Data, p *Params) { p.MaxBins = 1000 }, ErrParams},
	}
	for _, tt := range tests {
		d, p := good(), exactParams()
		tt.change(&d, &p)
		_, err := Fit(d, nil, p)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestNeverSplitsOnConstantColumns(t *testing.T) {
	d := synthetic(2000, 11)
	// Overwrite columns 6 (constant), 7 (all NaN) and 8 (±Inf only).
	for i := 0; i < d.Rows; i++ {
		d.X[i*d.Cols+6] = 3
		d.X[i*d.Cols+7] = math.NaN()
		d.X[i*d.Cols+8] = math.Inf(1 - 2*(i%2))
	}
	p := exactParams()
	p.Trees = 30
	m, err := Fit(d, nil, p)
	if err != nil {
		t.Fatal(err)
	}
	imp := m.Importance()
	for _, j := range []int{6, 7, 8} {
		if imp[j] != 0 {
			t.Errorf("importance of unusable column %d = %v, want 0", j, imp[j])
		}
	}
	pr := make([]float64, d.Rows)
	m.Predict(pr, d.X)
	for i, v := range pr {
		if !(v > 0 && v < 1) {
			t.Fatalf("row %d: probability %v", i, v)
		}
	}
}

func TestDeterministicForAnyWorkers(t *testing.T) {
	train := synthetic(3000, 1)
	valid := synthetic(1000, 2)
	p := DefaultParams()
	p.Trees, p.MaxBins = 40, 64
	var want []byte
	for _, workers := range []int{1, 2, 3, 7} {
		p.Workers = workers
		m, err := Fit(train, &valid, p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if want == nil {
			want = got
			continue
		}
		if !slices.Equal(got, want) {
			t.Errorf("Workers %d: model differs from Workers 1", workers)
		}
	}
	p.Seed = 2
	m, err := Fit(train, &valid, p)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := m.MarshalBinary(); slices.Equal(got, want) {
		t.Errorf("Seed 2 gave the same model as Seed 1: sampling ignores the seed")
	}
}

func TestEarlyStopping(t *testing.T) {
	// Pure noise: validation loss bottoms out early.
	rng := rand.New(rand.NewPCG(5, 5))
	noise := func(rows int) Data {
		d := Data{X: make([]float64, rows*3), Rows: rows, Cols: 3, Y: make([]float64, rows)}
		for i := range d.X {
			d.X[i] = rng.Float64()
		}
		for i := range d.Y {
			d.Y[i] = float64(rng.IntN(2))
		}
		return d
	}
	train, valid := noise(1000), noise(1000)
	p := DefaultParams()
	p.Trees, p.EarlyStopping, p.Workers = 300, 10, 1
	m, err := Fit(train, &valid, p)
	if err != nil {
		t.Fatal(err)
	}
	best := m.BestIteration()
	if best < 0 || best >= 60 {
		t.Fatalf("BestIteration = %d on noise, want an early stop", best)
	}
	// The kept model is the one of least validation loss: one more round
	// of the full run must not be better, nor any earlier prefix.
	full := p
	full.EarlyStopping = 0
	full.Trees = best + p.EarlyStopping + 1
	mf, err := Fit(train, &valid, full)
	if err != nil {
		t.Fatal(err)
	}
	margin := make([]float64, valid.Rows)
	lossAt := func(trees int) float64 {
		for i := range margin {
			margin[i] = mf.base
		}
		for b := 0; b*predictBlockRows < valid.Rows; b++ {
			lo, hi := b*predictBlockRows, min((b+1)*predictBlockRows, valid.Rows)
			mf.addTrees(margin[lo:hi], valid.X[lo*3:hi*3], 0, trees)
		}
		return validLoss(margin, valid, float64(valid.Rows))
	}
	bestLoss := lossAt(best + 1)
	for n := 1; n <= full.Trees; n++ {
		if l := lossAt(n); l < bestLoss {
			t.Errorf("loss with %d trees %v < loss at best iteration %d, %v", n, l, best, bestLoss)
		}
	}
	got := make([]float64, valid.Rows)
	m.PredictMargin(got, valid.X)
	lossAt(best + 1)
	for i := range got {
		if got[i] != margin[i] {
			t.Fatalf("row %d: early-stopped margin %v != prefix margin %v", i, got[i], margin[i])
		}
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	d := synthetic(3000, 4)
	p := DefaultParams()
	p.Trees = 50
	m, err := Fit(d, nil, p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back Model
	if err := back.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	b2, _ := back.MarshalBinary()
	if !slices.Equal(b, b2) {
		t.Errorf("re-encoding differs")
	}
	want := make([]float64, d.Rows)
	got := make([]float64, d.Rows)
	m.Predict(want, d.X)
	back.Predict(got, d.X)
	for i := range got {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Fatalf("row %d: %v after round trip, want %v", i, got[i], want[i])
		}
	}
	if back.Cols() != m.Cols() || back.BestIteration() != m.BestIteration() {
		t.Errorf("Cols, BestIteration = %d, %d, want %d, %d", back.Cols(), back.BestIteration(), m.Cols(), m.BestIteration())
	}
	// Every truncation and a flipped byte in each node field are errors,
	// never a panic.
	for n := 0; n < len(b); n += 97 {
		if err := new(Model).UnmarshalBinary(b[:n]); !errors.Is(err, ErrFormat) {
			t.Fatalf("truncated to %d bytes: err = %v, want ErrFormat", n, err)
		}
	}
	for i := 30; i < 30+3*nodeBytes; i++ {
		c := slices.Clone(b)
		c[i] ^= 0xff
		var bad Model
		if err := bad.UnmarshalBinary(c); err == nil {
			x := make([]float64, bad.Cols())
			bad.Predict(make([]float64, 1), x)
		}
	}
}

func TestQualityBeatsLogistic(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: fits 20,000 rows")
	}
	train, valid, test := synthetic(20000, 21), synthetic(5000, 22), synthetic(20000, 23)
	p := DefaultParams()
	p.Trees = 300
	m, err := Fit(train, &valid, p)
	if err != nil {
		t.Fatal(err)
	}
	pr := make([]float64, test.Rows)
	m.Predict(pr, test.X)
	gbtAUC := auc(pr, test.Y)
	linAUC := auc(logistic(train, test), test.Y)
	t.Logf("test AUC: gbt %.4f (%d trees), logistic %.4f", gbtAUC, m.BestIteration()+1, linAUC)
	if gbtAUC < linAUC+0.05 {
		t.Errorf("gbt AUC %.4f, logistic %.4f: want gbt ahead by 0.05", gbtAUC, linAUC)
	}
}

// logistic fits an L2 logistic regression on standardised columns (missing
// values at the mean, plus an indicator per column) by gradient descent on
// train, and returns its scores on test.
func logistic(train, test Data) []float64 {
	cols := train.Cols
	mean, sd := make([]float64, cols), make([]float64, cols)
	for j := 0; j < cols; j++ {
		var s, s2, n float64
		for i := 0; i < train.Rows; i++ {
			if v := train.X[i*cols+j]; !missing(v) {
				s, s2, n = s+v, s2+v*v, n+1
			}
		}
		mean[j] = s / n
		sd[j] = math.Sqrt(max(s2/n-mean[j]*mean[j], 1e-12))
	}
	features := func(x []float64, dst []float64) {
		for j, v := range x {
			dst[2*j], dst[2*j+1] = 0, 1
			if !missing(v) {
				dst[2*j], dst[2*j+1] = (v-mean[j])/sd[j], 0
			}
		}
	}
	k := 2 * cols
	w := make([]float64, k+1)
	f := make([]float64, k)
	grad := make([]float64, k+1)
	for iter := 0; iter < 300; iter++ {
		clear(grad)
		for i := 0; i < train.Rows; i++ {
			features(train.X[i*cols:(i+1)*cols], f)
			z := w[k]
			for j, v := range f {
				z += w[j] * v
			}
			e := sigmoid(z) - train.Y[i]
			for j, v := range f {
				grad[j] += e * v
			}
			grad[k] += e
		}
		for j := range w {
			reg := 0.0
			if j < k {
				reg = 1e-3 * w[j]
			}
			w[j] -= 0.5 * (grad[j]/float64(train.Rows) + reg)
		}
	}
	out := make([]float64, test.Rows)
	for i := range out {
		features(test.X[i*cols:(i+1)*cols], f)
		z := w[k]
		for j, v := range f {
			z += w[j] * v
		}
		out[i] = z
	}
	return out
}
