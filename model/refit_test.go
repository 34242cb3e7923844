package model

import (
	"math"
	"slices"
	"testing"
	"time"

	"churn/model/eval"
	"churn/model/gbt"
)

// TestRefit: the refitted model keeps the selection's algorithm, choice
// and candidates, runs the early-stopping count scaled to its rows, is
// calibrated on the held-back rows, and survives encoding.
func TestRefit(t *testing.T) {
	tr, va, ca, ytr, yva, yca := trainSets(t)
	all, yall := synth(4500, 11)
	held, yheld := synth(700, 12)
	for _, algo := range []string{AlgoGBT, AlgoLogistic} {
		t.Run(algo, func(t *testing.T) {
			cfg := fastConfig(algo)
			cfg.GBT.Trees = 400
			sel, err := Train(cfg, tr, va, ca, ytr, yva, yca)
			if err != nil {
				t.Fatal(err)
			}
			var phases []string
			cfg.Phase = func(name string, _ time.Duration) { phases = append(phases, name) }
			got, err := Refit(cfg, sel, tr.Rows, all, yall, held, yheld)
			if err != nil {
				t.Fatal(err)
			}
			if got.Algo() != sel.Algo() || got.Choice != sel.Choice || !slices.Equal(got.Features(), sel.Features()) {
				t.Errorf("refit %s %q, selected %s %q", got.Algo(), got.Choice, sel.Algo(), sel.Choice)
			}
			r := got.Refit
			if r == nil || r.Rows != all.Rows || r.SelectionRows != tr.Rows || r.CalibrationRows != held.Rows {
				t.Fatalf("refit report %+v", r)
			}
			if algo == AlgoGBT {
				sb := sel.base.(*gbtScorer).m.BestIteration() + 1
				want := int(math.Round(float64(sb) * float64(all.Rows) / float64(tr.Rows)))
				want = min(want, cfg.GBT.Trees)
				if r.SelectedTrees != sb || r.Trees != want {
					t.Errorf("trees %d from %d selected, want %d", r.Trees, r.SelectedTrees, want)
				}
				if n := got.base.(*gbtScorer).m.BestIteration() + 1; n != want {
					t.Errorf("refitted model holds %d trees, want %d", n, want)
				}
			}
			hm := make([]float64, held.Rows)
			if err := got.Margins(hm, held); err != nil {
				t.Fatal(err)
			}
			if want := eval.ROCAUC(hm, yheld); r.HeldROCAUC != want || !(want > 0.6) {
				t.Errorf("held-back ROC AUC %v, want %v from the refitted margins, above 0.6", r.HeldROCAUC, want)
			}
			if got.Calibration.Rows != held.Rows {
				t.Errorf("calibrated on %d rows, want the %d held back", got.Calibration.Rows, held.Rows)
			}
			if !slices.Contains(phases, "refit "+algo) || !slices.Contains(phases, "recalibrate") {
				t.Errorf("phases %v", phases)
			}
			b, err := got.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			var back Trained
			if err := back.UnmarshalBinary(b); err != nil {
				t.Fatal(err)
			}
			if back.Refit == nil || *back.Refit != *r {
				t.Errorf("decoded refit report %+v, want %+v", back.Refit, r)
			}
			p1, p2 := make([]float64, held.Rows), make([]float64, held.Rows)
			if err := got.PredictProba(p1, held); err != nil {
				t.Fatal(err)
			}
			if err := back.PredictProba(p2, held); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(p1, p2) {
				t.Error("decoded model scores differently")
			}
		})
	}
}

func TestScaledTrees(t *testing.T) {
	for _, tt := range []struct{ selected, rows, selRows, limit, want int }{
		{100, 200, 100, 500, 200},
		{100, 150, 100, 500, 150},
		{300, 200, 100, 500, 500}, // bounded by the configured trees
		{100, 80, 100, 500, 100},  // never fewer than selected
		{1, 1000, 0, 500, 1},
	} {
		if got := scaledTrees(tt.selected, tt.rows, tt.selRows, tt.limit); got != tt.want {
			t.Errorf("scaledTrees(%d, %d, %d, %d) = %d, want %d", tt.selected, tt.rows, tt.selRows, tt.limit, got, tt.want)
		}
	}
}

// TestSearchGBT: the search tries every grid point on the time split and
// returns the one with the best validation ROC AUC.
func TestSearchGBT(t *testing.T) {
	tr, va, _, ytr, yva, _ := trainSets(t)
	cfg := fastConfig(AlgoGBT)
	grid := SearchGrid(cfg.GBT)
	if len(grid) != 6 || grid[0] != cfg.GBT {
		t.Fatalf("grid of %d, first %+v; want 6 starting with the base", len(grid), grid[0])
	}
	best, trials, err := SearchGBT(cfg, grid, tr, va, ytr, yva)
	if err != nil {
		t.Fatal(err)
	}
	if len(trials) != len(grid) {
		t.Fatalf("%d trials for %d grid points", len(trials), len(grid))
	}
	top := 0
	for k, tr := range trials {
		if tr.Trees < 1 || tr.ValidROCAUC <= 0.5 {
			t.Errorf("trial %d: %+v", k, tr)
		}
		if tr.ValidROCAUC > trials[top].ValidROCAUC {
			top = k
		}
	}
	if best != grid[top] {
		t.Errorf("best %+v, want grid[%d] %+v", best, top, grid[top])
	}
}

// TestTrainStopRows: with StopRows the GBT runs as many trees as an
// early-stopping run on the first StopRows training rows stops at, fitted
// on every training row without early stopping; StopRows of 0 or of every
// row early-stops the fit on the whole set; a negative count is refused.
func TestTrainStopRows(t *testing.T) {
	tr, va, ca, ytr, yva, yca := trainSets(t)
	cfg := fastConfig(AlgoGBT)
	cfg.GBT.Trees = 200
	cols := len(tr.Cols)
	fitDirect := func(rows int, valid bool, trees, stop int) *gbt.Model {
		p := cfg.GBT
		p.Seed, p.Trees, p.EarlyStopping = cfg.Seed, trees, stop
		var vd *gbt.Data
		if valid {
			vd = &gbt.Data{X: va.X, Rows: va.Rows, Cols: cols, Y: yva}
		}
		m, err := gbt.Fit(gbt.Data{X: tr.X[:rows*cols], Rows: rows, Cols: cols, Y: ytr[:rows]}, vd, p)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	margins := func(s scorer) []float64 {
		out := make([]float64, ca.Rows)
		if err := s.margins(out, ca); err != nil {
			t.Fatal(err)
		}
		return out
	}
	const n = 500
	stopAt := fitDirect(n, true, cfg.GBT.Trees, cfg.GBT.EarlyStopping).BestIteration() + 1
	want := &gbtScorer{m: fitDirect(tr.Rows, false, stopAt, 0), cols: cols}
	cfg.StopRows = n
	got, err := Train(cfg, tr, va, ca, ytr, yva, yca)
	if err != nil {
		t.Fatal(err)
	}
	if trees := got.base.(*gbtScorer).m.BestIteration() + 1; trees != stopAt || stopAt >= cfg.GBT.Trees {
		t.Errorf("%d trees, want the %d of the early-stopping run on %d rows (of at most %d)", trees, stopAt, n, cfg.GBT.Trees)
	}
	if !slices.Equal(margins(got.base), margins(want)) {
		t.Error("model differs from a fit on every training row with the stopping run's tree count")
	}
	plain := &gbtScorer{m: fitDirect(tr.Rows, true, cfg.GBT.Trees, cfg.GBT.EarlyStopping), cols: cols}
	for _, rows := range []int{0, tr.Rows} {
		cfg.StopRows = rows
		got, err := Train(cfg, tr, va, ca, ytr, yva, yca)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(margins(got.base), margins(plain)) {
			t.Errorf("StopRows %d: model differs from the fit early-stopped on the whole set", rows)
		}
	}
	cfg.StopRows = -1
	if _, err := Train(cfg, tr, va, ca, ytr, yva, yca); err == nil {
		t.Error("StopRows -1 accepted")
	}
}
