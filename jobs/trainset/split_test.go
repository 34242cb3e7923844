package trainset

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"churn/features"
	"churn/jobs/ingest"
)

// splitFrame is a frame of customers x cutoffs, every row labelled, the
// feature the row's cutoff so that a test can see where rows went.
func splitFrame(cutoffs []int64, customers int) *features.Frame {
	f := &features.Frame{Names: []string{"cutoff_ns"}}
	for _, c := range cutoffs {
		for k := range customers {
			f.CustomerID = append(f.CustomerID, fmt.Sprintf("c%03d", k))
			f.Cutoff = append(f.Cutoff, c)
			f.X = append(f.X, float64(c))
			f.Label = append(f.Label, float64(k%3%2))
			f.Plan = append(f.Plan, "p")
			f.Region = append(f.Region, "r")
		}
	}
	return f
}

// TestSplitByTimeNoOverlap: no row that trains, validates or calibrates
// the selected model has a label window reaching into the test cutoff's
// horizon; the cutoffs in between are kept for the refit only, the test
// cutoff is whole in the holdout and split into refit and held-back
// halves, and too few cutoffs are refused with the number needed. The
// training cutoffs whose label windows end by the validation cutoff come
// first as role stop, and only when some training cutoffs' windows do not.
func TestSplitByTimeNoOverlap(t *testing.T) {
	asOf := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name    string
		n       int
		window  time.Duration
		gaps    int
		stops   int
		wantErr bool
	}{
		{"8 cutoffs, 90 days", 8, 90 * 24 * time.Hour, 2, 1, false},
		{"12 cutoffs, 90 days", 12, 90 * 24 * time.Hour, 2, 5, false},
		{"8 cutoffs, 30 days", 8, 30 * 24 * time.Hour, 0, 0, false}, // every training window ends by the validation cutoff
		{"8 cutoffs, 28 days", 8, 28 * 24 * time.Hour, 0, 0, false},
		{"5 cutoffs, 120 days", 5, 120 * 24 * time.Hour, 3, 0, true},
		{"6 cutoffs, 120 days", 6, 120 * 24 * time.Hour, 3, 0, false},
		{"4 cutoffs, 90 days", 4, 90 * 24 * time.Hour, 2, 0, true},
		{"5 cutoffs, 90 days", 5, 90 * 24 * time.Hour, 2, 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cutoffs := features.Config{Horizon: tt.window}.MonthlyCutoffs(asOf, tt.n)
			f := splitFrame(cutoffs, 40)
			orig := slices.Clone(f.X)
			built := make([]int, len(cutoffs))
			for k := range built {
				built[k] = 40
			}
			sp, sums, err := ByTime(f, built, cutoffs, tt.window, 1)
			if tt.wantErr {
				if !errors.Is(err, ingest.ErrInvalidInput) {
					t.Fatalf("err %v, want ingest.ErrInvalidInput", err)
				}
				if want := fmt.Sprintf("want at least %d", tt.gaps+3); err != nil && !strings.Contains(err.Error(), want) {
					t.Errorf("err %q lacks %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			last := cutoffs[len(cutoffs)-1]
			gaps, stops := 0, 0
			var valid int64
			for k, s := range sums {
				switch s.Role {
				case RoleGap:
					gaps++
				case "train+stop":
					stops++
				case "valid+calib":
					valid = cutoffs[k]
				}
			}
			if gaps != tt.gaps || stops != tt.stops {
				t.Errorf("%d gap and %d stop cutoffs, want %d and %d (%+v)", gaps, stops, tt.gaps, tt.stops, sums)
			}
			stop := sp.Role(RoleStop)
			if stop.M.Rows != 40*tt.stops {
				t.Errorf("%d stop rows, want %d", stop.M.Rows, 40*tt.stops)
			}
			for i := range stop.M.Rows {
				if c := int64(stop.M.X[i]); c+tt.window.Nanoseconds() > valid {
					t.Fatalf("stop row %d: cutoff %s, label window ends %s, after the validation cutoff %s",
						i, day(c), day(c+tt.window.Nanoseconds()), day(valid))
				}
			}
			train := sp.Span(RoleStop, RoleTrain)
			if want := 40 * (len(cutoffs) - 2 - gaps); train.M.Rows != want {
				t.Errorf("stop and train hold %d rows, want every cutoff before the validation one's, %d", train.M.Rows, want)
			}
			for i := range train.M.Rows {
				if got, want := int64(train.M.X[i]) < valid && int64(train.M.X[i])+tt.window.Nanoseconds() <= valid, i < stop.M.Rows; got != want && tt.stops > 0 {
					t.Fatalf("training row %d, cutoff %s: label window ending by the validation cutoff %v, in role stop %v", i, day(int64(train.M.X[i])), got, want)
				}
			}
			for _, role := range []string{RoleTrain, RoleValid, RoleCalib} {
				s := sp.Role(role)
				if s.M.Rows == 0 {
					t.Fatalf("no %s rows", role)
				}
				for i := range s.M.Rows {
					c := int64(s.M.X[i])
					if end := c + tt.window.Nanoseconds(); end > last {
						t.Fatalf("%s row %d: cutoff %s, label window ends %s, after the test cutoff %s",
							role, i, day(c), day(end), day(last))
					}
				}
			}
			test := sp.Span(RoleFit, RoleHeld)
			if test.M.Rows != 40 {
				t.Errorf("test holds %d rows, want the whole cutoff's 40", test.M.Rows)
			}
			for i := range test.M.Rows {
				if int64(test.M.X[i]) != last {
					t.Fatalf("test row %d from cutoff %s, want %s", i, day(int64(test.M.X[i])), day(last))
				}
			}
			fit, held := sp.Role(RoleFit), sp.Role(RoleHeld)
			if fit.M.Rows == 0 || held.M.Rows == 0 {
				t.Errorf("test cutoff split %d refit, %d held back; want both", fit.M.Rows, held.M.Rows)
			}
			refit := sp.Span(RoleStop, RoleFit)
			if want := len(f.CustomerID) - held.M.Rows; refit.M.Rows != want {
				t.Errorf("refit holds %d rows, want every labelled row less the held-back ones, %d", refit.M.Rows, want)
			}
			seen := map[string]bool{}
			for _, i := range held.Rows {
				seen[f.CustomerID[i]] = true
			}
			for _, i := range fit.Rows {
				if seen[f.CustomerID[i]] {
					t.Fatalf("customer %s both in the refit and held back", f.CustomerID[i])
				}
			}
			for k, i := range sp.rows {
				if got := sp.all.X[k]; got != orig[i] || sp.y[k] != f.Label[i] || math.IsNaN(sp.y[k]) {
					t.Fatalf("matrix row %d does not hold frame row %d", k, i)
				}
			}
		})
	}
}

// TestSplitLabelledAlone: a frame without its unlabelled rows, as
// features.Builder.BuildLabelled gives it, splits into the same matrices,
// labels and summaries as the whole frame, given the cutoffs' row counts.
func TestSplitLabelledAlone(t *testing.T) {
	asOf := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	window := 90 * 24 * time.Hour
	cutoffs := features.Config{Horizon: window}.MonthlyCutoffs(asOf, 8)
	for seed := range uint64(5) {
		rng := rand.New(rand.NewPCG(seed, 5))
		whole := splitFrame(cutoffs, 60)
		for i := range whole.X {
			whole.X[i] += rng.Float64() // rows told apart
			if rng.IntN(3) == 0 {
				whole.Label[i] = math.NaN()
			}
		}
		n := whole.Rows()
		whole.Status, whole.Contractual = make([]features.Status, n), make([]bool, n)
		whole.SignupAt, whole.CancelledAt = make([]int64, n), make([]int64, n)
		for _, col := range []*[]float64{&whole.RFMx, &whole.RFMtx, &whole.RFMT, &whole.MeanRepeat, &whole.SpendRate, &whole.Margin} {
			*col = make([]float64, n)
		}
		built := make([]int, len(cutoffs))
		var keep []int
		for i, c := range whole.Cutoff {
			built[slices.Index(cutoffs, c)]++
			if !math.IsNaN(whole.Label[i]) {
				keep = append(keep, i)
			}
		}
		labelled := whole.Select(keep)
		want, wantSums, err := ByTime(whole, built, cutoffs, window, seed)
		if err != nil {
			t.Fatal(err)
		}
		got, gotSums, err := ByTime(labelled, built, cutoffs, window, seed)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(gotSums, wantSums) {
			t.Fatalf("seed %d: summaries %+v, want %+v", seed, gotSums, wantSums)
		}
		for _, r := range roleOrder {
			a, b := want.Role(r), got.Role(r)
			if !slices.Equal(a.M.X, b.M.X) || !slices.Equal(a.Y, b.Y) {
				t.Fatalf("seed %d: role %s differs", seed, r)
			}
			for k := range a.Rows {
				if whole.CustomerID[a.Rows[k]] != labelled.CustomerID[b.Rows[k]] {
					t.Fatalf("seed %d: role %s row %d is customer %s, want %s", seed, r, k, labelled.CustomerID[b.Rows[k]], whole.CustomerID[a.Rows[k]])
				}
			}
		}
	}
	if _, _, err := ByTime(splitFrame(cutoffs, 3), []int{3}, cutoffs, window, 1); err == nil {
		t.Error("row counts of one cutoff for 8 accepted")
	}
}

// TestMoveRowsToFront: the rows named come first, in order, and every row
// survives the permutation, for many orders.
func TestMoveRowsToFront(t *testing.T) {
	const cols = 3
	for seed := range uint64(50) {
		rng := rand.New(rand.NewPCG(seed, 3))
		rows := 1 + rng.IntN(40)
		x := make([]float64, rows*cols)
		for i := range x {
			x[i] = float64(i/cols) + float64(i%cols)/10
		}
		orig := slices.Clone(x)
		perm := rng.Perm(rows)
		order := perm[:rng.IntN(rows+1)]
		moveRowsToFront(x, cols, order)
		for k, i := range order {
			if !slices.Equal(x[k*cols:(k+1)*cols], orig[i*cols:(i+1)*cols]) {
				t.Fatalf("seed %d: row %d holds %v, want row %d's %v", seed, k, x[k*cols:(k+1)*cols], i, orig[i*cols:(i+1)*cols])
			}
		}
		a, b := slices.Clone(x), slices.Clone(orig)
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(a, b) {
			t.Fatalf("seed %d: values lost or duplicated", seed)
		}
	}
}
