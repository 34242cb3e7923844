package jobs

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"churn/data"
	"churn/jobs/trainset"
	"churn/model"
	"churn/model/eval"
)

// TableOptions are the flags of `churn train --features`.
type TableOptions struct {
	File  string // CSV or Parquet feature table, one row per customer
	Label string // label column: Yes/No, true/false or 1/0
	ID    string // id column, excluded from features
	Algo  string // auto, gbt, logistic: which to report; auto reports both
	Folds int    // default 5
}

// TableSummary is the cross-validated result of training on a feature
// table.
type TableSummary struct {
	File         string   `json:"file"`
	Rows         int      `json:"rows"`
	Unlabelled   int      `json:"unlabelled_rows_skipped"`
	Features     int      `json:"features"`
	Label        string   `json:"label"`
	PositiveRate float64  `json:"positive_rate"`
	Folds        int      `json:"folds"`
	Seed         uint64   `json:"seed"`
	Categorical  []string `json:"categorical"`
	Dropped      []string `json:"dropped,omitempty"`
	Algos        []AlgoCV `json:"algos"`
	DurationMS   int64    `json:"duration_ms"`
	MissingCells int      `json:"missing_cells"`
	FoldSizes    []int    `json:"fold_sizes"`
	Notes        []string `json:"notes,omitempty"`
}

// AlgoCV is one algorithm's metrics across folds.
type AlgoCV struct {
	Algo       string    `json:"algo"`
	ROCAUCMean float64   `json:"roc_auc_mean"`
	ROCAUCStd  float64   `json:"roc_auc_std"`
	ROCAUC     []float64 `json:"roc_auc_per_fold"`
	PRAUCMean  float64   `json:"pr_auc_mean"`
	BrierMean  float64   `json:"brier_mean"`
	ECEMean    float64   `json:"ece_mean"`
}

// maxLevels is the most levels a categorical column may have before it is
// dropped rather than one-hot encoded.
const maxLevels = 64

// TrainTable trains on a table that already has one row per customer and
// reports stratified k-fold metrics. Within each training fold, a
// stratified tenth is held out for early stopping and another for
// calibration, so the test fold is never seen.
func TrainTable(ctx context.Context, cfg Config, env Env, o TableOptions) (*TableSummary, error) {
	began := time.Now()
	log := env.Log.With().Str("command", "train").Str("features", o.File).Logger()
	if o.Folds == 0 {
		o.Folds = 5
	}
	read := data.ReadFeatureTableCSV
	if strings.HasSuffix(strings.ToLower(o.File), ".parquet") {
		read = data.ReadFeatureTableParquet
	}
	t, err := read(o.File)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	m, y, sum, err := encodeTable(t, o)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	sum.Folds, sum.Seed = o.Folds, cfg.Seed
	folds := trainset.StratifiedFolds(y, o.Folds, cfg.Seed)
	algos := model.AutoAlgos()
	if o.Algo != "" && o.Algo != model.AlgoAuto {
		algos = []string{o.Algo}
	}
	for _, algo := range algos {
		cv := AlgoCV{Algo: algo}
		var prs, briers, eces []float64
		for k := range o.Folds {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			var trainRows, testRows []int
			for i, f := range folds {
				if f == k {
					testRows = append(testRows, i)
				} else {
					trainRows = append(trainRows, i)
				}
			}
			fit, valid, calib := trainset.SplitInner(trainRows, y, cfg.Seed+uint64(k))
			tcfg := model.DefaultTrainConfig()
			tcfg.Algo, tcfg.Seed = algo, cfg.Seed
			tcfg.GBT.Workers = cfg.Workers
			tr, err := model.Train(tcfg, trainset.MatrixRows(m, fit), trainset.MatrixRows(m, valid), trainset.MatrixRows(m, calib), trainset.Pick(y, fit), trainset.Pick(y, valid), trainset.Pick(y, calib))
			if err != nil {
				return nil, fmt.Errorf("fold %d, %s: %w", k+1, algo, err)
			}
			test := trainset.MatrixRows(m, testRows)
			p := make([]float64, test.Rows)
			if err := tr.PredictProba(p, test); err != nil {
				return nil, fmt.Errorf("fold %d, %s: %w", k+1, algo, err)
			}
			r := eval.Evaluate(p, trainset.Pick(y, testRows))
			cv.ROCAUC = append(cv.ROCAUC, r.ROCAUC)
			prs, briers, eces = append(prs, r.PRAUC), append(briers, r.Brier), append(eces, r.ECE)
			log.Info().Str("algo", algo).Int("fold", k+1).Float64("roc_auc", r.ROCAUC).Float64("brier", r.Brier).Msg("fold evaluated")
		}
		cv.ROCAUCMean, cv.ROCAUCStd = trainset.MeanStd(cv.ROCAUC)
		cv.PRAUCMean, _ = trainset.MeanStd(prs)
		cv.BrierMean, _ = trainset.MeanStd(briers)
		cv.ECEMean, _ = trainset.MeanStd(eces)
		sum.Algos = append(sum.Algos, cv)
	}
	for k := range o.Folds {
		n := 0
		for _, f := range folds {
			if f == k {
				n++
			}
		}
		sum.FoldSizes = append(sum.FoldSizes, n)
	}
	sum.DurationMS = time.Since(began).Milliseconds()
	return sum, nil
}

// encodeTable types the table's columns: a column whose every non-blank
// cell parses as a number is numeric (blanks are missing); any other is
// categorical and one-hot encoded, levels sorted, up to maxLevels.
func encodeTable(t *data.FeatureTable, o TableOptions) (*model.Matrix, []float64, *TableSummary, error) {
	li := t.Column(o.Label)
	if li < 0 {
		return nil, nil, nil, fmt.Errorf("%s: no label column %q (columns: %s)", t.Path, o.Label, strings.Join(t.Columns, ", "))
	}
	ii := -1
	if o.ID != "" {
		if ii = t.Column(o.ID); ii < 0 {
			return nil, nil, nil, fmt.Errorf("%s: no id column %q", t.Path, o.ID)
		}
	}
	sum := &TableSummary{File: t.Path, Label: o.Label}
	// Rows without a label (a blank cell) cannot be learned from: they are
	// left out and counted.
	var rows [][]string
	var y []float64
	var pos float64
	for r, rec := range t.Rows {
		if strings.TrimSpace(rec[li]) == "" {
			sum.Unlabelled++
			continue
		}
		v, ok := parseLabel(rec[li])
		if !ok {
			return nil, nil, nil, &data.RowError{File: t.Path, Row: int64(r + 1), Column: o.Label, Value: rec[li],
				Err: fmt.Errorf("label: want Yes/No, true/false or 1/0")}
		}
		rows = append(rows, rec)
		y = append(y, v)
		pos += v
	}
	sum.Rows = len(rows)
	sum.PositiveRate = pos / float64(max(len(y), 1))
	type enc struct {
		col    int
		levels []string // nil: numeric
	}
	var encs []enc
	var names []string
	for c, name := range t.Columns {
		if c == li || c == ii {
			continue
		}
		numeric, instant := true, true
		levels := map[string]bool{}
		for _, rec := range rows {
			s := strings.TrimSpace(rec[c])
			if s == "" {
				continue
			}
			if _, err := strconv.ParseFloat(s, 64); err != nil {
				numeric = false
			}
			if _, err := ParseDate(s); err != nil {
				instant = false
			}
			levels[s] = true
		}
		if instant && len(levels) > 0 {
			// A point in time (such as a cutoff) describes when, not who:
			// as a feature it would let the model learn the calendar.
			sum.Dropped = append(sum.Dropped, name)
			continue
		}
		if numeric {
			encs = append(encs, enc{col: c})
			names = append(names, name)
			continue
		}
		if len(levels) > maxLevels {
			sum.Dropped = append(sum.Dropped, name)
			continue
		}
		ls := make([]string, 0, len(levels))
		for l := range levels {
			ls = append(ls, l)
		}
		sort.Strings(ls)
		encs = append(encs, enc{col: c, levels: ls})
		sum.Categorical = append(sum.Categorical, name)
		for _, l := range ls {
			names = append(names, name+"="+l)
		}
	}
	m := &model.Matrix{Cols: names, Rows: len(rows), X: make([]float64, 0, len(rows)*len(names))}
	for _, rec := range rows {
		for _, e := range encs {
			s := strings.TrimSpace(rec[e.col])
			if e.levels == nil {
				v := math.NaN()
				if s != "" {
					v, _ = strconv.ParseFloat(s, 64)
				} else {
					sum.MissingCells++
				}
				m.X = append(m.X, v)
				continue
			}
			for _, l := range e.levels {
				v := 0.0
				if s == l {
					v = 1
				}
				m.X = append(m.X, v)
			}
		}
	}
	sum.Features = len(names)
	return m, y, sum, nil
}

func parseLabel(s string) (float64, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "true", "1", "1.0", "y", "t":
		return 1, true
	case "no", "false", "0", "0.0", "n", "f":
		return 0, true
	}
	return 0, false
}
