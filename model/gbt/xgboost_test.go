package gbt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"testing"
)

// xgbEval is an independent reading of an XGBoost JSON model, the way
// XGBoost 1.7's CPU predictor evaluates it (src/predictor/cpu_predictor.cc,
// include/xgboost/tree_model.h): inputs are float32, a row goes left when
// its value is below split_conditions, NaN follows default_left, a leaf's
// value is its split_conditions entry, and the margin starts from
// ProbToMargin(base_score) = -logf(1/base_score - 1) and sums the leaves in
// float32. It reads the JSON as untyped maps, so that it shares nothing
// with the writer but the format.
type xgbEval struct {
	base32 float32
	base64 float64
	trees  []xgbEvalTree
	names  []string
}

type xgbEvalTree struct {
	left, right, feat []int
	cond              []float32
	defaultLeft       []bool
}

// parseXGB checks the parts of doc/model.schema that a loader needs and
// returns the trees.
func parseXGB(t *testing.T, b []byte, cols int) *xgbEval {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("the export is not JSON: %v", err)
	}
	obj := func(v any, what string) map[string]any {
		o, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: %T, want an object", what, v)
		}
		return o
	}
	arr := func(o map[string]any, key string) []any {
		a, ok := o[key].([]any)
		if !ok {
			t.Fatalf("%s: %T, want an array", key, o[key])
		}
		return a
	}
	str := func(o map[string]any, key string) string {
		s, ok := o[key].(string)
		if !ok {
			t.Fatalf("%s: %T, want a string (the schema's parameters are strings)", key, o[key])
		}
		return s
	}
	ver := arr(doc, "version")
	if len(ver) != 3 || ver[0] != 1.0 {
		t.Fatalf("version %v, want [1, minor, patch]", ver)
	}
	learner := obj(doc["learner"], "learner")
	names := arr(learner, "feature_names")
	if len(names) != cols || len(arr(learner, "feature_types")) != cols {
		t.Fatalf("%d feature names and %d types for %d columns", len(names), len(arr(learner, "feature_types")), cols)
	}
	obj_ := obj(learner["objective"], "objective")
	if str(obj_, "name") != "binary:logistic" {
		t.Fatalf("objective %q", str(obj_, "name"))
	}
	obj(obj_["reg_loss_param"], "reg_loss_param")
	lmp := obj(learner["learner_model_param"], "learner_model_param")
	if nf, _ := strconv.Atoi(str(lmp, "num_feature")); nf != cols {
		t.Fatalf("num_feature %q, want %d", str(lmp, "num_feature"), cols)
	}
	bs, err := strconv.ParseFloat(str(lmp, "base_score"), 32)
	if err != nil || !(bs > 0 && bs < 1) {
		t.Fatalf("base_score %q: want a probability in (0, 1) (%v)", str(lmp, "base_score"), err)
	}
	p := float32(bs)
	e := &xgbEval{
		// float32 arithmetic as XGBoost's ProbToMargin does it.
		base32: -float32(math.Log(float64(float32(float64(float32(1/float64(p))) - 1)))),
		base64: -math.Log(1/bs - 1),
	}
	for _, n := range names {
		e.names = append(e.names, n.(string))
	}
	gb := obj(learner["gradient_booster"], "gradient_booster")
	if str(gb, "name") != "gbtree" {
		t.Fatalf("gradient_booster %q", str(gb, "name"))
	}
	model := obj(gb["model"], "model")
	trees := arr(model, "trees")
	param := obj(model["gbtree_model_param"], "gbtree_model_param")
	if nt, _ := strconv.Atoi(str(param, "num_trees")); nt != len(trees) || len(arr(model, "tree_info")) != len(trees) {
		t.Fatalf("num_trees %q, tree_info %d, trees %d", str(param, "num_trees"), len(arr(model, "tree_info")), len(trees))
	}
	str(param, "size_leaf_vector")
	for ti, tv := range trees {
		tr := obj(tv, "tree")
		tp := obj(tr["tree_param"], "tree_param")
		n, _ := strconv.Atoi(str(tp, "num_nodes"))
		str(tp, "num_feature")
		str(tp, "size_leaf_vector")
		if id, _ := tr["id"].(float64); int(id) != ti {
			t.Fatalf("tree %d has id %v", ti, tr["id"])
		}
		ints := func(key string) []int {
			a := arr(tr, key)
			if len(a) != n {
				t.Fatalf("tree %d %s: %d entries for %d nodes", ti, key, len(a), n)
			}
			out := make([]int, n)
			for i, v := range a {
				f, ok := v.(float64)
				if !ok || f != math.Trunc(f) {
					t.Fatalf("tree %d %s[%d] = %v, want an integer", ti, key, i, v)
				}
				out[i] = int(f)
			}
			return out
		}
		nums := func(key string) []float32 {
			a := arr(tr, key)
			if len(a) != n {
				t.Fatalf("tree %d %s: %d entries for %d nodes", ti, key, len(a), n)
			}
			out := make([]float32, n)
			for i, v := range a {
				f, ok := v.(float64)
				if !ok {
					t.Fatalf("tree %d %s[%d] = %v, want a number", ti, key, i, v)
				}
				out[i] = float32(f)
			}
			return out
		}
		for _, key := range []string{"categories", "categories_nodes", "categories_segments", "categories_sizes"} {
			if len(arr(tr, key)) != 0 {
				t.Fatalf("tree %d %s is not empty", ti, key)
			}
		}
		nums("loss_changes")
		nums("sum_hessian")
		nums("base_weights")
		ev := xgbEvalTree{left: ints("left_children"), right: ints("right_children"), feat: ints("split_indices"), cond: nums("split_conditions")}
		parents := ints("parents")
		for _, d := range ints("default_left") {
			ev.defaultLeft = append(ev.defaultLeft, d == 1)
		}
		for i, st := range ints("split_type") {
			if st != 0 {
				t.Fatalf("tree %d node %d split_type %d, want 0 (numerical)", ti, i, st)
			}
		}
		if parents[0] != math.MaxInt32 {
			t.Fatalf("tree %d root parent %d", ti, parents[0])
		}
		for i := range n {
			l, r := ev.left[i], ev.right[i]
			if l == -1 && r == -1 {
				continue
			}
			if l <= i || r <= i || l >= n || r >= n || parents[l] != i || parents[r] != i || ev.feat[i] < 0 || ev.feat[i] >= cols {
				t.Fatalf("tree %d node %d: children %d, %d, feature %d", ti, i, l, r, ev.feat[i])
			}
		}
		e.trees = append(e.trees, ev)
	}
	return e
}

// margins returns each row's margin as XGBoost computes it (float32 sums)
// and as an exact reading of the exported numbers (float64 sums).
func (e *xgbEval) margins(X []float64, cols int) (f32, f64 []float64) {
	rows := len(X) / cols
	f32, f64 = make([]float64, rows), make([]float64, rows)
	for r := range rows {
		x := X[r*cols : (r+1)*cols]
		s32, s64 := e.base32, e.base64
		for _, tr := range e.trees {
			i := 0
			for tr.left[i] != -1 {
				v := float32(x[tr.feat[i]])
				switch {
				case v != v:
					if tr.defaultLeft[i] {
						i = tr.left[i]
					} else {
						i = tr.right[i]
					}
				case v < tr.cond[i]:
					i = tr.left[i]
				default:
					i = tr.right[i]
				}
			}
			s32 += tr.cond[i]
			s64 += float64(tr.cond[i])
		}
		f32[r], f64[r] = float64(s32), s64
	}
	return f32, f64
}

func exportXGB(t *testing.T, m *Model) []byte {
	t.Helper()
	names := make([]string, m.Cols())
	for j := range names {
		names[j] = fmt.Sprintf("f_%d", j)
	}
	var b bytes.Buffer
	if err := m.WriteXGBoostJSON(&b, names); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestXGBoostJSONMatchesModel exports a model trained with missing values
// and evaluates the JSON the way XGBoost does, on the training rows, on
// values exactly at every threshold and at the floats next to them, and on
// missing values in every column: each row must take the same leaves.
func TestXGBoostJSONMatchesModel(t *testing.T) {
	d := synthetic(3000, 11)
	p := exactParams()
	p.Trees, p.MaxDepth = 60, 5
	m, err := Fit(d, nil, p)
	if err != nil {
		t.Fatal(err)
	}
	b := exportXGB(t, m)
	e := parseXGB(t, b, d.Cols)
	if len(e.trees) != len(m.roots) {
		t.Fatalf("%d trees exported, the model has %d", len(e.trees), len(m.roots))
	}

	// Rows at thresholds: for every split, a row of the training data with
	// the split's column set to the threshold, the float64s on either side,
	// and NaN. Thresholds are float32-representable here only by chance,
	// so this probes the rounding of split conditions.
	X := append([]float64(nil), d.X...)
	for i, s := range m.nodes {
		if m.leaf(int32(i)) || math.IsInf(s.thr, 0) {
			continue
		}
		base := d.X[(i%d.Rows)*d.Cols : (i%d.Rows+1)*d.Cols]
		for _, v := range []float64{s.thr, math.Nextafter(s.thr, math.Inf(-1)), math.NaN()} {
			row := append([]float64(nil), base...)
			row[s.feat] = v
			X = append(X, row...)
		}
	}
	rows := len(X) / d.Cols
	ours := make([]float64, rows)
	m.PredictMargin(ours, X)
	f32, f64 := e.margins(X, d.Cols)
	var worst32, worst64 float64
	for r := range rows {
		worst32 = max(worst32, math.Abs(f32[r]-ours[r]))
		worst64 = max(worst64, math.Abs(f64[r]-ours[r]))
	}
	// float64 sums of the exported float32 leaves: off only by the rounding
	// of each leaf (2^-24 relative) and of the base; a row that took
	// another leaf would be off by a leaf value, orders of magnitude more.
	if worst64 > 1e-6 {
		t.Errorf("exact reading of the export: worst margin difference %.3g over %d rows, want <= 1e-6", worst64, rows)
	}
	// XGBoost's float32 sums add a rounding per tree.
	if tol := float64(len(m.roots)) * 0x1p-23 * 4; worst32 > tol {
		t.Errorf("float32 reading of the export: worst margin difference %.3g, want <= %.3g", worst32, tol)
	}
	t.Logf("%d rows, %d trees: worst |margin difference| %.3g (float64 sums of the export), %.3g (XGBoost's float32 sums)", rows, len(m.roots), worst64, worst32)
}

// TestXGBoostJSONDeterministic: equal models export equal bytes.
func TestXGBoostJSONDeterministic(t *testing.T) {
	d := synthetic(500, 3)
	p := exactParams()
	p.Trees = 10
	m1, err := Fit(d, nil, p)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Fit(d, nil, p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(exportXGB(t, m1), exportXGB(t, m2)) {
		t.Error("two equal models exported different JSON")
	}
}

func TestXGBoostJSONRefusesWrongNames(t *testing.T) {
	d := synthetic(300, 3)
	p := exactParams()
	p.Trees = 2
	m, err := Fit(d, nil, p)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.WriteXGBoostJSON(&bytes.Buffer{}, []string{"a"}); !errors.Is(err, ErrShape) {
		t.Errorf("one name for %d columns: error %v, want ErrShape", m.Cols(), err)
	}
	var zero Model
	if err := zero.WriteXGBoostJSON(&bytes.Buffer{}, nil); !errors.Is(err, ErrShape) {
		t.Errorf("zero model: error %v, want ErrShape", err)
	}
}

// TestExpectedMarginIsTheBias: ExpectedMargin is the bias Contributions
// write, so base value plus contributions is the margin.
func TestExpectedMarginIsTheBias(t *testing.T) {
	d := synthetic(1000, 5)
	p := exactParams()
	p.Trees = 20
	m, err := Fit(d, nil, p)
	if err != nil {
		t.Fatal(err)
	}
	phi := make([]float64, d.Cols+1)
	m.Contributions(phi, d.X[:d.Cols])
	if got, want := m.ExpectedMargin(), phi[d.Cols]; math.Abs(got-want) > tol {
		t.Errorf("ExpectedMargin %v, Contributions' bias %v", got, want)
	}
}

func TestXGBCondition(t *testing.T) {
	for _, thr := range []float64{0, 1, -1, 0.1, 1.0 / 3, 1e-30, -1e-30, 12345.678, math.MaxFloat32, 1e300, math.Inf(1), -1e300} {
		c := xgbCondition(thr)
		if math.IsInf(float64(c), 0) || math.IsNaN(float64(c)) {
			t.Errorf("thr %v: condition %v is not finite", thr, c)
			continue
		}
		// Every float32 of a value at or below thr is below c.
		if thr < math.MaxFloat32 && !(float32(thr) < c) {
			t.Errorf("thr %v: float32(thr) %v not below condition %v", thr, float32(thr), c)
		}
		// The next float32 above float32(thr) is not below c.
		if above := math.Nextafter32(float32(thr), float32(math.Inf(1))); thr < math.MaxFloat32 && above < c {
			t.Errorf("thr %v: %v above the threshold still goes left of %v", thr, above, c)
		}
	}
}

// TestCut32 checks the edge's contract on float32 pairs of every kind: for
// each float64 near the edge, v <= edge exactly when float32(v) <= c, for
// one float32 c between the two values.
func TestCut32(t *testing.T) {
	up := float32(math.Inf(1))
	pairs := [][2]float32{{0, 1}, {-1, 1}, {0.1, 0.2}, {1, math.Nextafter32(1, up)}, {-2, math.Nextafter32(-2, up)},
		{-1e-45, 0}, {0, 1e-45}, {16777216, 16777218}, {-3.5, -3.25}, {1e30, 3e38}, {-math.MaxFloat32, math.MaxFloat32}}
	for _, p := range pairs {
		a, b := float64(p[0]), float64(p[1])
		edge := cut32(a, b)
		if !(a <= edge && edge < b) {
			t.Errorf("cut32(%v, %v) = %v, not in [a, b)", a, b, edge)
			continue
		}
		c := float32(edge)
		probe := []float64{a, b, edge, math.Nextafter(edge, math.Inf(1)), math.Nextafter(edge, math.Inf(-1)),
			float64(c), float64(math.Nextafter32(c, up)), float64(c)/2 + float64(math.Nextafter32(c, up))/2}
		for _, v := range probe {
			if (v <= edge) != (float32(v) <= c) {
				t.Errorf("cut32(%v, %v) = %v: v = %v goes %v here, float32(v) = %v <= %v is %v", a, b, edge, v, v <= edge, float32(v), c, float32(v) <= c)
			}
		}
	}
}
