package gbt

import (
	"math"
	"sync"

	"churn/model/internal/parallel"
)

// Model is a trained ensemble of binary log-loss trees, made by Fit or
// UnmarshalBinary; the zero Model has no columns and predicts nothing. Its
// methods may be called from several goroutines at once.
type Model struct {
	cols int
	// base is the margin before any tree: the log odds of the weighted
	// training prior.
	base float64
	// roots[t] is the index in nodes of tree t's root; depths[t] is the
	// number of steps from that root to its deepest leaf.
	roots  []int32
	depths []uint8
	nodes  []split
	// values and covers are parallel to nodes: the leaf value (shrinkage
	// applied; 0 for inner nodes) and the training hessian sum.
	values []float64
	covers []float64
	// importance is the total split gain per column.
	importance []float64
	// workers is Params.Workers, used when predicting; not serialized.
	workers int
	// packed is the trees laid out for prediction by prepare, or nil when
	// they are too deep for it; derived, not serialized.
	packed *packed
	// shap builds the tables of the fast TreeSHAP on first use; derived,
	// not serialized.
	shap *lazyShap
}

// lazyShap builds a model's shapTables once, on first use: they take
// tens of bytes per leaf and subset, which scoring alone does not need.
type lazyShap struct {
	once   sync.Once
	tables *shapTables
}

// prepare derives the layouts that prediction and explanation use from
// the trees; Fit and UnmarshalBinary call it once the trees are final.
func (m *Model) prepare() {
	m.packed = m.pack()
	m.shap = &lazyShap{}
}

// shapTables returns m's fast TreeSHAP tables, or nil for a Model that
// Fit or UnmarshalBinary did not make.
func (m *Model) shapTables() *shapTables {
	if m.shap == nil {
		return nil
	}
	m.shap.once.Do(func() { m.shap.tables = m.shapTablesOf() })
	return m.shap.tables
}

// split is one node in flattened form, kept small for prediction. A row
// goes to nodes[left+1] when its value is above thr, to nodes[left] when it
// is at or below it, and to nodes[left+missRight] when it is missing (NaN
// or ±Inf). A leaf points to itself with thr = +Inf and missRight = 0, so
// that a row stays on it for any number of further steps.
type split struct {
	thr       float64
	feat      int32
	left      int32
	missRight int32
}

func (m *Model) leaf(i int32) bool { return m.nodes[i].left == i }

// Cols returns the number of columns the model was trained on and reads
// from every row.
func (m *Model) Cols() int { return m.cols }

// BestIteration returns the 0-based boosting round the model ends with:
// the round of least validation log loss under early stopping, else the
// last round. The model holds BestIteration()+1 trees.
func (m *Model) BestIteration() int { return len(m.roots) - 1 }

// Importance returns the total split gain of every column over the kept
// trees, in a new slice of length Cols.
func (m *Model) Importance() []float64 {
	return append([]float64(nil), m.importance...)
}

// predictBlockRows is the number of rows walked through one tree together:
// the walks are independent, so the processor overlaps their memory loads;
// 32 rows of 100 columns (25 KB) and a depth-6 tree (3 KB) stay in L1.
const predictBlockRows = 32

// PredictMargin writes the margin (log odds) of each row of the row-major
// matrix X, which holds len(X)/Cols rows, to dst. NaN and ±Inf values are
// missing. dst must have one element per row.
func (m *Model) PredictMargin(dst, X []float64) {
	rows := len(X) / m.cols
	if len(dst) != rows || len(X) != rows*m.cols {
		panic("gbt: PredictMargin: dst or X length does not match Cols")
	}
	if m.packed == nil {
		blocks := (rows + predictBlockRows - 1) / predictBlockRows
		// Each block is independent work of about a thousand node steps
		// per tree; spreading blocks over workers gives identical results.
		parallel.For(parallel.Workers(m.workers), blocks, func(b int) {
			lo := b * predictBlockRows
			hi := min(lo+predictBlockRows, rows)
			out := dst[lo:hi]
			for i := range out {
				out[i] = m.base
			}
			m.addTrees(out, X[lo*m.cols:hi*m.cols], 0, len(m.roots))
		})
		return
	}
	// A task of predictTaskRows rows takes one buffer of keys, which every
	// block of p.rows rows reuses.
	p := m.packed
	tasks := (rows + predictTaskRows - 1) / predictTaskRows
	parallel.For(parallel.Workers(m.workers), tasks, func(task int) {
		w := p.window()
		defer p.putWindow(w)
		end := min((task+1)*predictTaskRows, rows)
		for lo := task * predictTaskRows; lo < end; lo += p.rows {
			hi := min(lo+p.rows, end)
			out := dst[lo:hi]
			for i := range out {
				out[i] = m.base
			}
			p.blockKeys(*w, X[lo*m.cols:hi*m.cols], m.cols)
			p.addTrees(out, *w)
		}
	})
}

// predictTaskRows is the number of rows a worker takes at a time.
const predictTaskRows = 1024

// Predict writes the probability of the positive class of each row of X to
// dst; see PredictMargin.
func (m *Model) Predict(dst, X []float64) {
	m.PredictMargin(dst, X)
	for i, v := range dst {
		dst[i] = sigmoid(v)
	}
}

// addTrees adds the leaf values of trees [t0, t1) to dst for the rows of X
// (at most predictBlockRows of them).
func (m *Model) addTrees(dst, X []float64, t0, t1 int) {
	var cur [predictBlockRows]int32
	n := min(len(dst), predictBlockRows)
	cols := m.cols
	nodes := m.nodes
	for t := t0; t < t1; t++ {
		root := m.roots[t]
		for i := range cur[:n] {
			cur[i] = root
		}
		for d := 0; d < int(m.depths[t]); d++ {
			row := X
			for i, c := range cur[:n] {
				s := &nodes[c]
				v := row[s.feat]
				next := s.left
				if v > s.thr {
					next++
				}
				if v-v != 0 {
					next = s.left + s.missRight
				}
				cur[i] = next
				if i+1 < n {
					row = row[cols:]
				}
			}
		}
		for i, c := range cur[:n] {
			dst[i] += m.values[c]
		}
	}
}

func sigmoid(v float64) float64 { return 1 / (1 + math.Exp(-v)) }

// softplus returns log(1+e^v) without overflow.
func softplus(v float64) float64 {
	return max(v, 0) + math.Log1p(math.Exp(-math.Abs(v)))
}
