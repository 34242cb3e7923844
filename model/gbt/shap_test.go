package gbt

import (
	"math"
	"testing"
)

func shapModel(t *testing.T, cols int) (*Model, Data) {
	t.Helper()
	full := synthetic(3000, 9)
	d := Data{X: make([]float64, full.Rows*cols), Rows: full.Rows, Cols: cols, Y: full.Y}
	for i := 0; i < full.Rows; i++ {
		copy(d.X[i*cols:(i+1)*cols], full.X[i*full.Cols:i*full.Cols+cols])
	}
	p := DefaultParams()
	p.Trees, p.MaxDepth, p.EarlyStopping = 30, 4, 0
	m, err := Fit(d, nil, p)
	if err != nil {
		t.Fatal(err)
	}
	return m, d
}

func TestContributionsSumToMargin(t *testing.T) {
	m, d := shapModel(t, 10)
	phi := make([]float64, d.Cols+1)
	margin := make([]float64, 1)
	for i := 0; i < 200; i++ {
		x := d.X[i*d.Cols : (i+1)*d.Cols]
		m.Contributions(phi, x)
		m.PredictMargin(margin, x)
		var sum float64
		for _, v := range phi {
			sum += v
		}
		if math.Abs(sum-margin[0]) > tol {
			t.Fatalf("row %d: contributions sum to %v, margin %v", i, sum, margin[0])
		}
	}
}

// TestContributionsBruteForce checks TreeSHAP against Shapley values from
// their definition: every subset S of the 4 columns, with the value of S
// the expected margin when the columns in S are fixed at x and the others
// follow the training distribution as recorded by node covers.
func TestContributionsBruteForce(t *testing.T) {
	const cols = 4
	m, d := shapModel(t, cols)
	value := func(x []float64, in uint) float64 {
		v := m.base
		var cond func(i int32) float64
		cond = func(i int32) float64 {
			if m.leaf(i) {
				return m.values[i]
			}
			s := m.nodes[i]
			if in&(1<<s.feat) != 0 {
				return cond(m.next(i, x))
			}
			cl, cr := m.covers[s.left], m.covers[s.left+1]
			return (cl*cond(s.left) + cr*cond(s.left+1)) / (cl + cr)
		}
		for _, r := range m.roots {
			v += cond(r)
		}
		return v
	}
	fact := func(n int) float64 {
		f := 1.0
		for k := 2; k <= n; k++ {
			f *= float64(k)
		}
		return f
	}
	phi := make([]float64, cols+1)
	for i := 0; i < 50; i++ {
		x := d.X[i*cols : (i+1)*cols]
		if i%5 == 0 {
			x[i%cols] = math.NaN()
		}
		m.Contributions(phi, x)
		want := make([]float64, cols+1)
		want[cols] = value(x, 0)
		for j := 0; j < cols; j++ {
			for s := uint(0); s < 1<<cols; s++ {
				if s&(1<<j) != 0 {
					continue
				}
				size := 0
				for k := 0; k < cols; k++ {
					if s&(1<<k) != 0 {
						size++
					}
				}
				w := fact(size) * fact(cols-size-1) / fact(cols)
				want[j] += w * (value(x, s|1<<j) - value(x, s))
			}
		}
		for j := range want {
			if math.Abs(phi[j]-want[j]) > tol {
				t.Errorf("row %d column %d: TreeSHAP %v, brute force %v", i, j, phi[j], want[j])
			}
		}
	}
}
