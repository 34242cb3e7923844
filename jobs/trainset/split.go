package trainset

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"sort"
	"time"

	"churn/data"
	"churn/features"
	"churn/jobs/ingest"
	"churn/model"
)

// CutoffSummary describes one training cutoff.
type CutoffSummary struct {
	Cutoff    string  `json:"cutoff"`
	Role      string  `json:"role"`
	Rows      int     `json:"rows"`
	Labelled  int     `json:"labelled"`
	ChurnRate float64 `json:"churn_rate"`
}

// Set is the rows of a frame that one role (train, valid, calib,
// test) uses.
type Set struct {
	Rows []int
	M    *model.Matrix
	Y    []float64
}

func day(ns int64) string { return data.FormatDate(data.TimeOf(ns)) }

// Roles of the time split. Rows of the training matrix come in this order,
// the latest cutoff's refit half before its held-back half, so that every
// role, the whole training set (stop and train), the whole test cutoff and
// the refit set are each one range of rows.
const (
	RoleStop  = "stop"  // oldest training cutoffs, whose label windows end by the validation cutoff: also fit the early-stopping run
	RoleTrain = "train" // the other training cutoffs
	RoleGap   = "gap"   // label window overlaps the test horizon: refit only
	RoleValid = "valid" // early stopping, model choice
	RoleCalib = "calib" // calibration of the selected model
	RoleFit   = "test"  // latest complete cutoff, refit half
	RoleHeld  = "held"  // latest complete cutoff, held back to calibrate the refit
)

var roleOrder = []string{RoleStop, RoleTrain, RoleGap, RoleValid, RoleCalib, RoleFit, RoleHeld}

// Split is every labelled row of the training cutoffs in one matrix,
// ordered by role, with the range of rows of each role. The matrix shares
// the frame's memory: ByTime reorders the frame's rows in place.
type Split struct {
	all   *model.Matrix
	y     []float64
	rows  []int // frame row of each matrix row
	start map[string]int
	end   map[string]int
}

// Span returns the rows from the first of roles to the last, which must be
// adjacent in roleOrder, as one matrix sharing memory with s.all.
func (s *Split) Span(first, last string) *Set {
	lo, hi := s.start[first], s.end[last]
	c := len(s.all.Cols)
	return &Set{
		Rows: s.rows[lo:hi],
		M:    &model.Matrix{Cols: s.all.Cols, Rows: hi - lo, X: s.all.X[lo*c : hi*c : hi*c]},
		Y:    s.y[lo:hi:hi],
	}
}

// Role returns the rows of one role.
func (s *Split) Role(role string) *Set { return s.Span(role, role) }

// ByTime assigns labelled rows to roles by cutoff. The latest cutoff
// is the test set. No training or validation row may have a label window
// that reaches into the test horizon (window = horizon plus gap), so the
// cutoffs whose window would are set aside (role gap); the latest cutoff
// left is split by customer into validation (early stopping, model
// choice) and calibration halves, and all older cutoffs train. The test
// cutoff is split by customer too: one half joins the refit, the other is
// held back to calibrate it; the holdout is the whole cutoff.
//
// The training cutoffs whose label windows end at or before the
// validation cutoff come first (role stop): an early-stopping run fitted
// on them alone sees the validation cutoff at least one window past its
// labels, as the saved model, refitted on every labelled cutoff, sees the
// cutoff it scores; the newer training cutoffs' labels run into the
// validation period, so a run fitted on them would stop at the tree count
// of a problem a few weeks ahead, not a window ahead. Role stop is empty
// when no training cutoff is that old (or all are: then it is role train).
//
// f holds the rows of the cutoffs in any order; its unlabelled rows, if
// any, are left out. built[k] is the number of rows cutoff k has in all,
// labelled or not, which its summary reports: a frame built with its
// labelled rows alone (features.Builder.BuildLabelled) does not hold them.
func ByTime(f *features.Frame, built []int, cutoffs []int64, window time.Duration, seed uint64) (*Split, []CutoffSummary, error) {
	if len(built) != len(cutoffs) {
		return nil, nil, fmt.Errorf("split: %d row counts for %d cutoffs", len(built), len(cutoffs))
	}
	last := cutoffs[len(cutoffs)-1]
	var valid int64
	found, gaps := false, 0
	for _, c := range cutoffs[:len(cutoffs)-1] {
		if c+window.Nanoseconds() <= last {
			valid, found = c, true
		} else {
			gaps++
		}
	}
	if !found || valid == cutoffs[0] {
		return nil, nil, fmt.Errorf("%w: %d cutoffs: the label windows of the %d before the test cutoff %s reach into its horizon, which leaves no cutoffs to train and validate on: want at least %d",
			ingest.ErrInvalidInput, len(cutoffs), gaps, day(last), gaps+3)
	}
	stops, trains := 0, 0
	for _, c := range cutoffs {
		if c < valid {
			trains++
			if c+window.Nanoseconds() <= valid {
				stops++
			}
		}
	}
	per := map[int64]*CutoffSummary{}
	role := map[int64]string{}
	for k, c := range cutoffs {
		r := RoleTrain
		switch {
		case c == last:
			r = "test"
		case c == valid:
			r = "valid+calib"
		case c > valid:
			r = RoleGap
		case stops < trains && c+window.Nanoseconds() <= valid:
			r = "train+stop"
		}
		per[c] = &CutoffSummary{Cutoff: day(c), Role: r, Rows: built[k]}
		role[c] = r
	}
	idx := map[string][]int{}
	churned := map[int64]int{}
	for i := range f.Rows() {
		c := f.Cutoff[i]
		s := per[c]
		if s == nil || math.IsNaN(f.Label[i]) {
			continue
		}
		s.Labelled++
		if f.Label[i] == 1 {
			churned[c]++
		}
		switch r := role[c]; r {
		case "test":
			if half(f.CustomerID[i], seed) {
				idx[RoleFit] = append(idx[RoleFit], i)
			} else {
				idx[RoleHeld] = append(idx[RoleHeld], i)
			}
		case "valid+calib":
			if half(f.CustomerID[i], seed) {
				idx[RoleValid] = append(idx[RoleValid], i)
			} else {
				idx[RoleCalib] = append(idx[RoleCalib], i)
			}
		case "train+stop":
			idx[RoleStop] = append(idx[RoleStop], i)
		default:
			idx[r] = append(idx[r], i)
		}
	}
	var sums []CutoffSummary
	for _, c := range cutoffs {
		s := per[c]
		if s.Labelled > 0 {
			s.ChurnRate = math.Round(1e4*float64(churned[c])/float64(s.Labelled)) / 1e4
		}
		sums = append(sums, *s)
	}
	var errs []error
	for _, r := range []string{RoleTrain, RoleValid, RoleCalib, RoleFit, RoleHeld} {
		n := len(idx[r])
		if r == RoleTrain {
			n += len(idx[RoleStop])
		}
		if n == 0 {
			name := r
			if r == RoleFit || r == RoleHeld {
				name = "test"
			}
			errs = append(errs, fmt.Errorf("%w: no labelled rows for the %s set: the data may not span enough cutoffs with complete horizons", ingest.ErrInvalidInput, name))
		}
	}
	if len(errs) > 0 {
		return nil, sums, errors.Join(errs...)
	}
	var order []int
	sp := &Split{start: map[string]int{}, end: map[string]int{}}
	for _, r := range roleOrder {
		sp.start[r] = len(order)
		order = append(order, idx[r]...)
		sp.end[r] = len(order)
	}
	cols := len(f.Names)
	sp.y = make([]float64, len(order))
	for k, i := range order {
		sp.y[k] = f.Label[i]
	}
	sp.rows = order
	moveRowsToFront(f.X, cols, order)
	sp.all = &model.Matrix{Cols: f.Names, Rows: len(order), X: f.X[: len(order)*cols : len(order)*cols]}
	return sp, sums, nil
}

// moveRowsToFront permutes the rows of x (cols values each) in place so
// that row k holds what row order[k] held; the rows order leaves out end up
// after them in no promised order. It follows the permutation's cycles with
// two rows of scratch, so the training matrix needs no second copy of the
// frame.
func moveRowsToFront(x []float64, cols int, order []int) {
	rows := len(x) / cols
	pos := make([]int, rows)
	for i := range pos {
		pos[i] = -1
	}
	for k, i := range order {
		pos[i] = k
	}
	next := len(order)
	for i := range pos {
		if pos[i] < 0 {
			pos[i], next = next, next+1
		}
	}
	done := make([]bool, rows)
	cur, nxt := make([]float64, cols), make([]float64, cols)
	for s := range rows {
		if done[s] || pos[s] == s {
			done[s] = true
			continue
		}
		copy(cur, x[s*cols:(s+1)*cols])
		for j := s; !done[j]; {
			done[j] = true
			t := pos[j]
			copy(nxt, x[t*cols:(t+1)*cols])
			copy(x[t*cols:(t+1)*cols], cur)
			cur, nxt = nxt, cur
			j = t
		}
	}
}

// half puts a customer in the validation half or the calibration half, by
// a seeded hash of the id, so the split is stable across runs.
func half(id string, seed uint64) bool {
	h := fnv.New64a()
	var b [8]byte
	for i := range b {
		b[i] = byte(seed >> (8 * i))
	}
	h.Write(b[:])
	h.Write([]byte(id))
	return h.Sum64()%2 == 0
}

// recencyColumns are the features whose minimum is the days since a
// customer's last activity of any kind.
var recencyColumns = []string{"days_since_core", "days_since_session", "days_since_order"}

// Baseline is the naive model the real one must beat: the longer since
// a customer's last activity, the likelier they leave. A customer with no
// recorded activity ranks as the riskiest.
func Baseline(m *model.Matrix) []float64 {
	var cols []int
	for _, name := range recencyColumns {
		if j := m.Col(name); j >= 0 {
			cols = append(cols, j)
		}
	}
	out := make([]float64, m.Rows)
	for i := range out {
		v := math.Inf(1)
		for _, j := range cols {
			if x := m.X[i*len(m.Cols)+j]; !math.IsNaN(x) {
				v = math.Min(v, x)
			}
		}
		// Squash into [0, 1] so probability metrics stay defined; ranking
		// metrics are what the baseline is for.
		out[i] = 1 - math.Exp(-v/30)
	}
	return out
}

// Fingerprint hashes the inputs' checksums and the config: the same
// fingerprint means the same training data.
func Fingerprint(inputs []ingest.InputFile, config map[string]any) string {
	h := sha256.New()
	keys := make([]string, 0, len(inputs))
	byPath := map[string]string{}
	for _, in := range inputs {
		keys = append(keys, in.Path)
		byPath[in.Path] = in.Checksum()
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "%s %s\n", k, byPath[k])
	}
	b, _ := json.Marshal(config)
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}
