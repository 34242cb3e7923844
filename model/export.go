package model

import (
	"fmt"
	"io"
	"slices"
)

// WriteXGBoostJSON writes the base model, before calibration, in XGBoost's
// JSON model format (see gbt.Model.WriteXGBoostJSON for how it maps), with
// the features as its feature names. Only trees export: another algorithm
// gives ErrNotTrees. The booster's raw margin (output_margin=True) is
// Margins; its "probability" is the sigmoid of that margin, not
// PredictProba: apply [Trained.CalibratorSpec] to the margin for that.
func (t *Trained) WriteXGBoostJSON(w io.Writer) error {
	g, ok := t.base.(*gbtScorer)
	if !ok {
		return fmt.Errorf("export %s as xgboost json: %w", t.base.algo(), ErrNotTrees)
	}
	return g.m.WriteXGBoostJSON(w, t.features)
}

// CalibratorSpec is the map from margin to calibrated probability, spelled
// out for users outside Go. With margin m (the raw model output):
//
//   - "none":     p = 1 / (1 + exp(-m))
//   - "platt":    p = 1 / (1 + exp(-(A*m + B)))
//   - "isotonic": p = linear interpolation of Y at m between the knots X
//     (increasing), Y[0] below X[0] and Y[last] above X[last], which is
//     numpy.interp(m, X, Y); a missing margin gets Y[len/2].
type CalibratorSpec struct {
	Input   string    `json:"input"`
	Method  string    `json:"method"`
	Formula string    `json:"formula"`
	A       float64   `json:"a,omitempty"`
	B       float64   `json:"b,omitempty"`
	X       []float64 `json:"x,omitempty"`
	Y       []float64 `json:"y,omitempty"`
}

// CalibratorSpec returns the calibration step of PredictProba: applied to
// Margins, it gives PredictProba's probabilities.
func (t *Trained) CalibratorSpec() CalibratorSpec {
	s := CalibratorSpec{Input: "margin (log-odds) of the base model, before calibration", Method: t.cal.Method}
	switch t.cal.Method {
	case CalPlatt:
		s.Formula = "p = 1 / (1 + exp(-(a * margin + b)))"
		s.A, s.B = t.cal.Platt.A, t.cal.Platt.B
	case CalIsotonic:
		s.Formula = "p = numpy.interp(margin, x, y): linear between the knots, flat outside them"
		s.X, s.Y = slices.Clone(t.cal.Isotonic.X), slices.Clone(t.cal.Isotonic.Y)
	default:
		s.Formula = "p = 1 / (1 + exp(-margin))"
	}
	return s
}

// BaseValue returns the margin that Contributions are measured from, so
// that a row's contributions plus BaseValue equal its margin: the expected
// margin over the training data (weighted by tree cover) for trees, the
// intercept for the logistic model. The golearn forest has none
// (ErrNoContributions).
func (t *Trained) BaseValue() (float64, error) {
	switch b := t.base.(type) {
	case *gbtScorer:
		return b.m.ExpectedMargin(), nil
	case logisticScorer:
		return b.m.Intercept, nil
	}
	return 0, fmt.Errorf("%s base value: %w", t.base.algo(), ErrNoContributions)
}
