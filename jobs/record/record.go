package record

import (
	"errors"
	"fmt"
	"math"
	"time"

	"churn/data"
	"churn/features"
	"churn/jobs/trainset"
	"churn/model"
)

// shapSampleRows bounds the holdout rows explained for the training
// report's SHAP plots and the registry's mean |SHAP| importance: an even
// stride over the holdout, so the same holdout gives the same rows.
const shapSampleRows = 2000

// HoldoutSHAP is the SHAP values (margin contributions) of a sample of
// holdout rows.
type HoldoutSHAP struct {
	Features []string
	Rows     int
	Values   []float64 // Rows x len(Features), row-major
	X        []float64 // the same rows' feature values, same layout
	MeanAbs  map[string]float64
}

// ExplainHoldout explains an even stride of at most shapSampleRows rows
// of m. A model without contributions gives nil and no error.
func ExplainHoldout(tr *model.Trained, m *model.Matrix) (*HoldoutSHAP, error) {
	if m.Rows == 0 {
		return nil, nil
	}
	cols := len(m.Cols)
	stride := (m.Rows + shapSampleRows - 1) / shapSampleRows
	s := &model.Matrix{Cols: m.Cols}
	for i := 0; i < m.Rows; i += stride {
		s.X = append(s.X, m.X[i*cols:(i+1)*cols]...)
		s.Rows++
	}
	vals := make([]float64, s.Rows*cols)
	if err := tr.ContributionsRows(vals, s); err != nil {
		if errors.Is(err, model.ErrNoContributions) {
			return nil, nil
		}
		return nil, fmt.Errorf("explain holdout: %w", err)
	}
	h := &HoldoutSHAP{Features: m.Cols, Rows: s.Rows, Values: vals, X: s.X, MeanAbs: make(map[string]float64, cols)}
	for j, name := range m.Cols {
		var sum float64
		for i := range s.Rows {
			sum += math.Abs(vals[i*cols+j])
		}
		h.MeanAbs[name] = sum / float64(s.Rows)
	}
	return h, nil
}

// HoldoutDrift is the population stability index of each feature of the
// holdout rows against the training profile.
func HoldoutDrift(profile map[string]model.Distribution, m *model.Matrix) map[string]float64 {
	out := make(map[string]float64, len(m.Cols))
	col := make([]float64, m.Rows)
	for j, name := range m.Cols {
		dist, ok := profile[name]
		if !ok {
			continue
		}
		for i := range col {
			col[i] = m.X[i*len(m.Cols)+j]
		}
		out[name] = round4(dist.PSI(col))
	}
	return out
}

// DataWindow describes the cutoffs of a training run by their roles.
func DataWindow(fc features.Config, asOf time.Time, cutoffs []trainset.CutoffSummary, root, fingerprint string) model.DataWindow {
	w := model.DataWindow{AsOf: data.FormatDate(asOf), Horizon: days(fc.Horizon), Data: root, Fingerprint: fingerprint}
	for _, c := range cutoffs {
		switch c.Role {
		case trainset.RoleTrain, "train+stop":
			w.TrainCutoffs = append(w.TrainCutoffs, c.Cutoff)
		case trainset.RoleGap:
			w.GapCutoffs = append(w.GapCutoffs, c.Cutoff)
		case "valid+calib":
			w.ValidCutoff = c.Cutoff
		case "test":
			w.TestCutoff = c.Cutoff
			if t, err := data.ParseDate(c.Cutoff); err == nil {
				w.LabelsUntil = data.FormatDate(t.Add(fc.LabelSpan()))
			}
		}
	}
	return w
}

// days writes a duration of whole days as "90d", else as Go does.
func days(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}
