// Package gbt trains gradient-boosted decision trees for binary log loss,
// the way XGBoost's "hist" method does, and scores and explains rows with
// them. It is the default churn classifier; package model wraps it.
//
// # Training
//
// Fit bins every column into at most MaxBins quantile bins, with edges
// from an exact sort of an evenly strided sample of up to 200,000 rows,
// and stores the bin codes as uint8, column by column and again row by
// row (a byte per value each way). Values are told
// apart as float32, as XGBoost reads them, and every edge lies on the
// rounding boundary between two float32s, so that a value is at or below
// an edge exactly when its float32 is at or below one float32: an
// exported model sends every row the same way in XGBoost. Trees grow depth by
// depth. For every node it builds gradient and hessian histograms of the
// columns drawn for the tree, for the smaller child of each split only:
// the larger child's histogram is its parent's minus the smaller one's.
// A split's gain is
//
//	1/2 [GL²/(HL+λ) + GR²/(HR+λ) - G²/(H+λ)]
//
// with λ = L2, each child holding a hessian of at least MinChildWeight; a
// leaf's value is -G/(H+λ) times LearningRate. Missing values go the way
// that gains more at each split (the heavier child when none reached the
// node in training), and a column may split on missingness alone.
//
// Each tree draws Subsample of the rows and ColSample of the columns from a
// PCG generator seeded with Seed. The base margin is the log odds of the
// weighted training prior, positives weighted by PosWeight. With a
// validation set and EarlyStopping, training stops when the validation log
// loss has not improved for that many rounds and keeps the best round.
//
// # Missing and infinite values
//
// NaN is missing. ±Inf is treated as missing too, in training and in
// prediction: an infinity has no place on a quantile scale, and clamping
// it would invent a value. A column with fewer than two distinct finite
// values and no missing ones (constant, all missing, all infinite) is
// never split on; if no column is usable Fit returns ErrNoUsableColumn.
//
// # Concurrency and determinism
//
// Histograms are built by Workers goroutines that Fit starts and waits
// for, one (node, column) task at a time. A column's histogram is always
// summed by one goroutine in row order, so no partial histograms need
// reducing and the model is bit-identical for any Workers value; the best
// split is chosen afterwards in column order. A node holding fewer than
// one in 20 of the training rows reads its codes from the row-major copy,
// where a row's codes for a group of columns share a cache line or two;
// denser nodes read the column-major codes, which stream in order. Either
// way each bin takes the node's rows in order, so the sums are the same.
// On amd64 the histogram loop (eight or four columns per pass over a
// node's rows) adds a gradient and hessian pair to a bin as one SSE2
// vector (hist_amd64.s), whose two lanes round as two scalar additions
// do, so the model is the same bit for bit as the Go loop's, which other
// platforms and the purego build tag use.
// The nodes of a level partition their rows in parallel, and a tree's
// leaves add their values to their rows' margins in parallel; nodes and
// leaves own disjoint rows, so every sum keeps its order. Predict spreads blocks of
// rows over goroutines the same way; Contributions and ContributionsRows
// run on the caller's goroutine. Equal data, Params and Seed give
// equal models, and MarshalBinary gives equal bytes.
//
// # Prediction
//
// Fit and UnmarshalBinary lay the trees out again for prediction (packed.go),
// unless a tree is deeper than 10 or the splits read more than 4,096
// columns. Each tree becomes a perfect binary tree in heap order, 10 bytes
// per inner node (a key and a 16-bit offset) and 8 per leaf, so a walk is
// depth steps of h = 2h + (go right) with no leaf test; a leaf above the
// full depth becomes nodes that send every row left. Values and
// thresholds are compared as order-preserving uint64 keys: missing values
// (NaN, ±Inf) get key 0, and a node that sends them right subtracts one
// from both sides, so that 0 wraps around above every threshold. A node
// stores the complement of its key, so that a row goes right exactly when
// adding its key carries, and the carry goes straight into h = 2h + carry
// (an add-with-carry): every result equals v > thr on finite values.
//
// Rows are taken 32 at a time. The keys of the columns that splits read
// are computed once (without branches), column by column, with key-1
// beside each for the nodes that send missing values right, into a buffer
// that every node reaches with its 16-bit offset without a bounds check.
// Each tree then moves all 32 rows one level at a time, so that the
// processor overlaps 32 independent walks, with their positions in an
// array rather than in registers, where the compiler would spill them at
// every step; trees deeper than 7 and the last, shorter block of a matrix
// go eight rows at a time. Each row's margin is summed tree after tree
// from the base, as the node walk does, so predictions are bit-identical
// to it (tested on trained and random models with NaN, ±Inf, -0, values
// on thresholds and the floats next to them, leaves at every depth,
// single-leaf trees and thousands of columns). Tasks of 1,024 rows are
// spread over Params.Workers goroutines, each reusing a buffer of keys
// (512 KB) from a pool.
//
// # Explanations
//
// Contributions and ContributionsRows give exact TreeSHAP values
// (Lundberg, Erion and Lee 2018), computed as Fast TreeSHAP v2 does
// (Yang 2021): for each leaf, a table over every subset of the distinct
// columns on its path, built once per model on the first explanation, so
// that a row costs d steps per leaf instead of d² (fastshap.go has the
// algebra). A tree whose tables would exceed 2^16 entries (deeper than
// about 8), or whose cover fractions include 0, keeps the recursive
// TreeSHAP. The results
// match the recursive TreeSHAP to 1e-9, sum to the margin, and match
// Shapley values computed from their definition on a small model.
// ContributionsRows explains blocks of 256 rows tree by tree, so each
// tree's tables are read from cache for all of them; on a CPU with
// AVX-512 (F and VL) the per-block passes run as assembly kernels
// (fastshap_amd64.s) that add the same terms in the same order as the Go
// loops, so the values are bit for bit those of the Go loops. No
// path-based (Saabas) approximation is used.
//
// # Export
//
// WriteXGBoostJSON writes the trees in XGBoost's JSON model format
// (binary:logistic), which xgboost.Booster(model_file=...) and SHAP's
// TreeExplainer load: the same leaves for every row (NaN for missing
// values; this model also treats ±Inf as missing), sum_hessian from the
// covers so that XGBoost's TreeSHAP gives these contributions, and the
// base margin as base_score's probability. XGBoost sums leaves in float32,
// so its margins differ from PredictMargin by float32 rounding, which
// grows with the number of trees and the size of the margin.
package gbt
