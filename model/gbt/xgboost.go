package gbt

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// The XGBoost JSON model format (doc/model.schema in XGBoost's repository,
// the layout XGBoost 1.7 writes and every later release reads): a
// "learner" with a "gbtree" booster whose trees are parallel arrays indexed
// by node id, the root at 0.
type xgbModel struct {
	Version [3]int     `json:"version"`
	Learner xgbLearner `json:"learner"`
}

type xgbLearner struct {
	Attributes        map[string]string `json:"attributes"`
	FeatureNames      []string          `json:"feature_names"`
	FeatureTypes      []string          `json:"feature_types"`
	GradientBooster   xgbBooster        `json:"gradient_booster"`
	LearnerModelParam map[string]string `json:"learner_model_param"`
	Objective         xgbObjective      `json:"objective"`
}

type xgbBooster struct {
	Model xgbGBTree `json:"model"`
	Name  string    `json:"name"`
}

type xgbGBTree struct {
	Param    map[string]string `json:"gbtree_model_param"`
	TreeInfo []int             `json:"tree_info"`
	Trees    []xgbTree         `json:"trees"`
}

type xgbObjective struct {
	Name         string            `json:"name"`
	RegLossParam map[string]string `json:"reg_loss_param"`
}

// xgbTree is one tree. XGBoost keeps node statistics and thresholds as
// float32, so they are written as float32.
type xgbTree struct {
	BaseWeights        xgbFloats         `json:"base_weights"`
	Categories         []int             `json:"categories"`
	CategoriesNodes    []int             `json:"categories_nodes"`
	CategoriesSegments []int             `json:"categories_segments"`
	CategoriesSizes    []int             `json:"categories_sizes"`
	DefaultLeft        []int             `json:"default_left"`
	ID                 int               `json:"id"`
	LeftChildren       []int32           `json:"left_children"`
	LossChanges        xgbFloats         `json:"loss_changes"`
	Parents            []int32           `json:"parents"`
	RightChildren      []int32           `json:"right_children"`
	SplitConditions    xgbFloats         `json:"split_conditions"`
	SplitIndices       []int32           `json:"split_indices"`
	SplitType          []int             `json:"split_type"`
	SumHessian         xgbFloats         `json:"sum_hessian"`
	TreeParam          map[string]string `json:"tree_param"`
}

// xgbFloats is an array of float32 that always writes a fraction or an
// exponent: XGBoost's JSON reader takes "0" for an integer and refuses it
// where the schema has a number.
type xgbFloats []float32

func (a xgbFloats) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 2+12*len(a))
	b = append(b, '[')
	for i, v := range a {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("xgboost json: %v is not a JSON number: %w", v, ErrFormat)
		}
		if i > 0 {
			b = append(b, ',')
		}
		s := strconv.FormatFloat(f, 'g', -1, 32)
		mant, exp, hasExp := strings.Cut(s, "e")
		if !strings.Contains(mant, ".") {
			mant += ".0"
		}
		b = append(b, mant...)
		if hasExp {
			b = append(b, 'e')
			b = append(b, exp...)
		}
	}
	return append(b, ']'), nil
}

// xgbNoParent is the parent XGBoost writes for a root: its invalid node id
// (-1) with the "is left child" bit cleared.
const xgbNoParent = math.MaxInt32

// WriteXGBoostJSON writes the model in XGBoost's JSON model format with the
// objective binary:logistic, so that XGBoost (xgboost.Booster(model_file=...))
// and SHAP's TreeExplainer load it. names are the column names, Cols of them.
//
// The exported booster's raw margin (predict with output_margin=True) is
// this model's PredictMargin up to XGBoost's float32 arithmetic:
//
//   - A row goes left when its value is at or below a threshold here, and
//     when it is below the split condition in XGBoost, which also rounds
//     inputs to float32. Each split condition is therefore the next float32
//     above the threshold rounded to float32: every value at or below the
//     threshold goes left, and only a value above it by less than half a
//     float32 step (about 6e-8 relative) can go left where this model sends
//     it right.
//   - Missing values take the same side: default_left is set where this
//     model sends NaN left. XGBoost treats only NaN as missing, while this
//     model also treats ±Inf as missing: replace ±Inf by NaN before
//     predicting with XGBoost.
//   - A split on missingness alone (all finite values on one side) gets
//     the largest float32 as its condition.
//   - base_score holds the probability of the base margin, as XGBoost
//     expects for binary:logistic; XGBoost turns it back into a margin in
//     float32. Leaf values are rounded to float32 and XGBoost sums them in
//     float32.
//
// sum_hessian holds each node's training hessian sum (the cover TreeSHAP
// weighs by), so XGBoost's pred_contribs and SHAP give this model's
// TreeSHAP values. base_weights holds each leaf's value and each inner
// node's cover-weighted mean leaf value; loss_changes is 0, because the
// split gains are not kept per node (Importance has them per column).
func (m *Model) WriteXGBoostJSON(w io.Writer, names []string) error {
	if len(names) != m.cols {
		return fmt.Errorf("xgboost json: %d names for %d columns: %w", len(names), m.cols, ErrShape)
	}
	if len(m.roots) == 0 {
		return fmt.Errorf("xgboost json: the model has no trees: %w", ErrShape)
	}
	p := sigmoid(m.base)
	p32 := float32(p)
	if !(p32 > 0 && p32 < 1) {
		return fmt.Errorf("xgboost json: base margin %v is out of float32's probability range: %w", m.base, ErrFormat)
	}
	cols := strconv.Itoa(m.cols)
	types := make([]string, m.cols)
	for j := range types {
		types[j] = "float"
	}
	out := xgbModel{
		Version: [3]int{1, 7, 4},
		Learner: xgbLearner{
			Attributes:   map[string]string{},
			FeatureNames: names,
			FeatureTypes: types,
			GradientBooster: xgbBooster{
				Name: "gbtree",
				Model: xgbGBTree{
					Param: map[string]string{
						"num_parallel_tree": "1",
						"num_trees":         strconv.Itoa(len(m.roots)),
						"size_leaf_vector":  "0",
					},
					TreeInfo: make([]int, len(m.roots)),
				},
			},
			LearnerModelParam: map[string]string{
				"base_score":         strconv.FormatFloat(float64(p32), 'g', -1, 32),
				"boost_from_average": "0",
				"num_class":          "0",
				"num_feature":        cols,
				"num_target":         "1",
			},
			Objective: xgbObjective{
				Name:         "binary:logistic",
				RegLossParam: map[string]string{"scale_pos_weight": "1"},
			},
		},
	}
	for t := range m.roots {
		out.Learner.GradientBooster.Model.Trees = append(out.Learner.GradientBooster.Model.Trees, m.xgbTree(t, cols))
	}
	b, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("xgboost json: %w", err)
	}
	_, err = w.Write(b)
	return err
}

// xgbTree lays tree t out as XGBoost's parallel arrays. Node ids are the
// positions in m.nodes less the root's, so children keep their order
// (left, then right) and every id stays below the tree's node count.
func (m *Model) xgbTree(t int, cols string) xgbTree {
	root := m.roots[t]
	end := int32(len(m.nodes))
	if t+1 < len(m.roots) {
		end = m.roots[t+1]
	}
	n := int(end - root)
	x := xgbTree{
		BaseWeights:        make(xgbFloats, n),
		Categories:         []int{},
		CategoriesNodes:    []int{},
		CategoriesSegments: []int{},
		CategoriesSizes:    []int{},
		DefaultLeft:        make([]int, n),
		ID:                 t,
		LeftChildren:       make([]int32, n),
		LossChanges:        make(xgbFloats, n),
		Parents:            make([]int32, n),
		RightChildren:      make([]int32, n),
		SplitConditions:    make(xgbFloats, n),
		SplitIndices:       make([]int32, n),
		SplitType:          make([]int, n),
		SumHessian:         make(xgbFloats, n),
		TreeParam: map[string]string{
			"num_deleted":      "0",
			"num_feature":      cols,
			"num_nodes":        strconv.Itoa(n),
			"size_leaf_vector": "0",
		},
	}
	x.Parents[0] = xgbNoParent
	for k := range n {
		i := root + int32(k)
		s := m.nodes[i]
		x.SumHessian[k] = float32(m.covers[i])
		x.BaseWeights[k] = float32(m.expected(i))
		if m.leaf(i) {
			x.LeftChildren[k], x.RightChildren[k] = -1, -1
			x.SplitConditions[k] = float32(m.values[i])
			continue
		}
		l := s.left - root
		x.LeftChildren[k], x.RightChildren[k] = l, l+1
		x.Parents[l], x.Parents[l+1] = int32(k), int32(k)
		x.SplitIndices[k] = s.feat
		x.SplitConditions[k] = xgbCondition(s.thr)
		if s.missRight == 0 {
			x.DefaultLeft[k] = 1
		}
	}
	return x
}

// xgbCondition returns the float32 c for which XGBoost's float32(v) < c
// sends left every v at or below thr: the next float32 above thr rounded
// to float32, or the largest float32 for thresholds beyond its range.
func xgbCondition(thr float64) float32 {
	if thr >= math.MaxFloat32 {
		return math.MaxFloat32
	}
	t := float32(thr)
	if math.IsInf(float64(t), -1) {
		return -math.MaxFloat32
	}
	c := math.Nextafter32(t, float32(math.Inf(1)))
	if math.IsInf(float64(c), 1) {
		return math.MaxFloat32
	}
	return c
}

// ExpectedMargin returns the margin that Contributions measure from: the
// base plus each tree's leaf values averaged by training cover. It equals
// the bias Contributions writes after the columns.
func (m *Model) ExpectedMargin() float64 {
	e := m.base
	for _, root := range m.roots {
		e += m.expected(root)
	}
	return e
}
