package model

import (
	"errors"
	"math"
	"slices"
	"testing"
)

// TestContributionsRows checks that explaining a matrix at once gives each
// row's Contributions, for trees (explained in blocks) and for the
// logistic model (row by row), and that TopEffects ranks them as
// TopContributions does.
func TestContributionsRows(t *testing.T) {
	tr, va, ca, ytr, yva, yca := trainSets(t)
	x, _ := synth(700, 5) // more rows than one block of 256
	x.Row(0)[0], x.Row(1)[1], x.Row(2)[2] = math.Inf(1), math.Inf(-1), math.NaN()
	for _, algo := range []string{AlgoGBT, AlgoLogistic} {
		t.Run(algo, func(t *testing.T) {
			m, err := Train(fastConfig(algo), tr, va, ca, ytr, yva, yca)
			if err != nil {
				t.Fatal(err)
			}
			cols := len(m.Features())
			all := make([]float64, x.Rows*cols)
			if err := m.ContributionsRows(all, x); err != nil {
				t.Fatal(err)
			}
			one := make([]float64, cols)
			for i := 0; i < x.Rows; i++ {
				if err := m.Contributions(one, x.Row(i)); err != nil {
					t.Fatal(err)
				}
				got := all[i*cols : (i+1)*cols]
				if !slices.Equal(got, one) {
					t.Fatalf("row %d: ContributionsRows %v, Contributions %v", i, got, one)
				}
				want, err := TopContributions(m, x.Row(i), 3)
				if err != nil {
					t.Fatal(err)
				}
				same := func(a, b Contribution) bool {
					return a.Feature == b.Feature && a.Effect == b.Effect &&
						math.Float64bits(a.Value) == math.Float64bits(b.Value)
				}
				if top := TopEffects(m.Features(), x.Row(i), got, 3); !slices.EqualFunc(top, want, same) {
					t.Fatalf("row %d: TopEffects %v, TopContributions %v", i, top, want)
				}
			}
			if err := m.ContributionsRows(all[1:], x); !errors.Is(err, ErrLengthMismatch) {
				t.Errorf("short dst: err = %v, want ErrLengthMismatch", err)
			}
		})
	}
}
