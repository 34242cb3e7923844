package jobs

import (
	"context"
	"fmt"
	"math"
	"strings"

	"golang.org/x/sync/errgroup"

	"churn/features"
	"churn/jobs/segment"
	"churn/model"
)

// scored is one scoring pass over a frame: a row per customer of the frame.
type scored = segment.Scored

// matrixOf views a frame as the model's matrix, without copying.
func matrixOf(f *features.Frame) *model.Matrix {
	return &model.Matrix{Cols: f.Names, Rows: f.Rows(), X: f.X}
}

// predict scores every row of the frame with the classifier. Probabilities
// are clamped into [0, 1]; a NaN would be a defect of the model, and is
// reported as an error rather than written.
func predict(c model.Classifier, f *features.Frame) ([]float64, error) {
	p := make([]float64, f.Rows())
	if err := c.PredictProba(p, matrixOf(f)); err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	for i, v := range p {
		if math.IsNaN(v) {
			return nil, fmt.Errorf("score: model %s gave NaN for customer %s", c.Algo(), f.CustomerID[i])
		}
	}
	return p, nil
}

// reasonsPerRow is how many reasons each customer gets at most.
const reasonsPerRow = 3

// explainBlock is how many rows one worker explains at a time: the
// contributions of a block are held at once, so it bounds that memory.
const explainBlock = 4096

// contributor explains many rows at once; *model.Trained is one.
type contributor interface {
	Features() []string
	ContributionsRows(dst []float64, x *model.Matrix) error
}

// explain writes, for every row, the reasons in plain words ("; "-joined)
// and their codes (";"-joined, in the same order): the behaviour families
// whose contributions raised the score, as features.Explainer reads them.
// Blocks of rows go to the workers; each row's text depends on that row
// and the frame's typical values alone, so the result does not depend on
// the number of workers. When keep is not nil, it is handed every block's
// contributions (rows lo.. of the frame, len(f.Names) per row) from the
// worker that computed them, so that the explanations file takes them from
// the same pass; blocks never share rows.
func explain(ctx context.Context, c contributor, f *features.Frame, cfg *Config, keep func(lo int, eff []float64)) (reasons, codes []string, err error) {
	ex, err := features.NewExplainer(f, explainConfig(cfg))
	if err != nil {
		return nil, nil, err
	}
	return explainWith(ctx, c, f, ex, cfg, keep)
}

// explainConfig is the reasons' part of cfg.
func explainConfig(cfg *Config) features.ExplainConfig {
	return features.ExplainConfig{
		Language:          features.Language(cfg.Reasons.Language),
		NegativeSentiment: cfg.Features.NegativeSentiment,
	}
}

// explainWith is explain with the explainer ex of f's rows.
func explainWith(ctx context.Context, c contributor, f *features.Frame, ex *features.Explainer, cfg *Config, keep func(lo int, eff []float64)) (reasons, codes []string, err error) {
	reasons, codes = make([]string, f.Rows()), make([]string, f.Rows())
	cols := len(f.Names)
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(max(cfg.Workers, 1))
	for lo := 0; lo < f.Rows(); lo += explainBlock {
		hi := min(lo+explainBlock, f.Rows())
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			block := &model.Matrix{Cols: f.Names, Rows: hi - lo, X: f.X[lo*cols : hi*cols]}
			eff := make([]float64, block.Rows*cols)
			if err := c.ContributionsRows(eff, block); err != nil {
				return fmt.Errorf("explain customers %s to %s: %w", f.CustomerID[lo], f.CustomerID[hi-1], err)
			}
			if keep != nil {
				keep(lo, eff)
			}
			for i := lo; i < hi; i++ {
				k := i - lo
				rs, raised := ex.Reasons(i, eff[k*cols:(k+1)*cols], reasonsPerRow)
				reasons[i], codes[i] = reasonText(rs, raised, features.Language(cfg.Reasons.Language))
			}
			return nil
		})
	}
	return reasons, codes, g.Wait()
}

// reasonText joins reasons into the output's two columns; with none, the
// text says so and the codes are empty.
func reasonText(rs []features.Reason, raised bool, lang features.Language) (text, codes string) {
	if len(rs) == 0 {
		return features.NoReason(lang, raised), ""
	}
	t, c := make([]string, len(rs)), make([]string, len(rs))
	for i, r := range rs {
		t[i], c[i] = r.Text, r.Code
	}
	return strings.Join(t, "; "), strings.Join(c, ";")
}
