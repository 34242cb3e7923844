//go:build amd64

package gbt

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateFit = flag.Bool("update-fit", false, "rewrite testdata/fit_digests.txt")

// fitGoldenCases is the number of random fits TestFitGolden holds to
// their recorded digests.
const fitGoldenCases = 160

// fitGoldenCase draws case k: a matrix with an edge case or two (NaN and
// ±Inf, integer ties, constant and all-missing columns, a column with one
// value and missing ones, huge values, weights, two rows) and parameters
// across their ranges, with a validation set for early stopping on some.
func fitGoldenCase(k int) (train Data, valid *Data, p Params) {
	rng := rand.New(rand.NewPCG(uint64(k), 0xf17))
	rows := []int{2, 3, 17, 200, 1000, 3000}[rng.IntN(6)]
	cols := 1 + rng.IntN(40)
	draw := func(rows int) Data {
		d := Data{X: make([]float64, rows*cols), Rows: rows, Cols: cols, Y: make([]float64, rows)}
		kind := make([]int, cols)
		for j := range kind {
			kind[j] = rng.IntN(8)
		}
		for i := 0; i < rows; i++ {
			x := d.X[i*cols : (i+1)*cols]
			logit := -1.0
			for j := range x {
				switch kind[j] {
				case 0: // continuous
					x[j] = rng.NormFloat64()
				case 1: // integer ties
					x[j] = float64(rng.IntN(5))
				case 2: // constant
					x[j] = 3
				case 3: // all missing
					x[j] = math.NaN()
				case 4: // one value and missing ones
					x[j] = 1
					if rng.Float64() < 0.3 {
						x[j] = math.NaN()
					}
				case 5: // missing, infinities and huge values
					switch u := rng.Float64(); {
					case u < 0.1:
						x[j] = math.NaN()
					case u < 0.15:
						x[j] = math.Inf(1 - 2*rng.IntN(2))
					case u < 0.2:
						x[j] = 1e300 * rng.NormFloat64()
					default:
						x[j] = rng.ExpFloat64()
					}
				case 6: // many distinct values, some missing
					x[j] = rng.Float64() * 1e4
					if rng.Float64() < 0.05 {
						x[j] = math.NaN()
					}
				default: // binary
					x[j] = float64(rng.IntN(2))
				}
				if v := x[j]; v-v == 0 && math.Abs(v) < 1e6 {
					logit += 0.4 * v * float64(j%3-1)
				}
			}
			if rng.Float64() < 1/(1+math.Exp(-logit)) {
				d.Y[i] = 1
			}
		}
		// Both classes, as Fit requires.
		d.Y[0], d.Y[rows-1] = 0, 1
		if rng.IntN(3) == 0 {
			d.W = make([]float64, rows)
			for i := range d.W {
				d.W[i] = []float64{0, 0.5, 1, 2.5}[rng.IntN(4)]
			}
			d.W[0], d.W[rows-1] = 1, 1
		}
		return d
	}
	train = draw(rows)
	p = DefaultParams()
	p.Trees = 1 + rng.IntN(30)
	p.MaxDepth = 1 + rng.IntN(8)
	if rng.IntN(3) == 0 {
		p.MaxLeaves = 2 + rng.IntN(20)
	}
	p.LearningRate = []float64{0.05, 0.1, 0.3, 1}[rng.IntN(4)]
	p.L2 = []float64{0, 1, 10}[rng.IntN(3)]
	p.MinChildWeight = []float64{0, 0.5, 1, 5}[rng.IntN(4)]
	p.Subsample = []float64{0.3, 0.8, 1}[rng.IntN(3)]
	p.ColSample = []float64{0.2, 0.8, 1}[rng.IntN(3)]
	p.MaxBins = []int{2, 7, 64, 255}[rng.IntN(4)]
	p.PosWeight = []float64{1, 3}[rng.IntN(2)]
	p.Seed = rng.Uint64()
	p.Workers = 1 + rng.IntN(3)
	p.EarlyStopping = 0
	if rows >= 17 && rng.IntN(2) == 0 {
		v := draw(rows/2 + 1)
		valid = &v
		p.EarlyStopping = 1 + rng.IntN(5)
	}
	return train, valid, p
}

// fitDigest is the SHA-256 of the encoded model (trees, thresholds, leaf
// values, covers, importances), or of the error's text.
func fitDigest(k int) string {
	train, valid, p := fitGoldenCase(k)
	m, err := Fit(train, valid, p)
	if err != nil {
		return "error " + err.Error()
	}
	b, err := m.MarshalBinary()
	if err != nil {
		return "error " + err.Error()
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestFitGolden is the differential test of Fit's speedups: every random
// case of fitGoldenCase must give the model, bit for bit, that the plain
// code before them gave (testdata/fit_digests.txt, written by -update-fit
// from that code). A change that means to change models rewrites the file
// and says why. The digests hold where Go computes float64 arithmetic
// without fused multiply-adds, as it does on amd64; other platforms may
// fuse and differ in the last bit, so the file is checked only there
// (TestDeterministicForAnyWorkers and the kernel tests run everywhere).
func TestFitGolden(t *testing.T) {
	path := filepath.Join("testdata", "fit_digests.txt")
	got := make([]string, fitGoldenCases)
	for k := range got {
		got[k] = fitDigest(k)
	}
	if *updateFit {
		var b strings.Builder
		for k, d := range got {
			fmt.Fprintf(&b, "%d %s\n", k, d)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var want []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		_, d, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			t.Fatalf("%s: bad line %q", path, sc.Text())
		}
		want = append(want, d)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(want) != len(got) {
		t.Fatalf("%s holds %d digests, want %d", path, len(want), len(got))
	}
	errs := 0
	for k := range got {
		if got[k] != want[k] {
			train, _, p := fitGoldenCase(k)
			t.Errorf("case %d (%d rows x %d columns, %+v): model digest %s, want %s", k, train.Rows, train.Cols, p, got[k], want[k])
			errs++
		}
	}
	if errs == 0 && !strings.HasPrefix(want[0], "error") {
		t.Logf("%d models equal to the recorded ones", len(got))
	}
}
