package model

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"churn/model/eval"
)

// Record says what a registry version is: how it was trained, on which
// window of data, and how it did. Train's caller fills it, because the
// data window and the groups are the caller's; [NewRecord] fills what the
// model itself knows.
type Record struct {
	// Algo is the kept algorithm; Params the training configuration that
	// produced it, tree parameters included.
	Algo   string      `json:"algo"`
	Params TrainConfig `json:"params"`
	// Trees is the number of trees the model uses (after early stopping);
	// 0 for a model without trees.
	Trees int `json:"trees"`
	// Calibration is the calibration method kept.
	Calibration string `json:"calibration"`
	// Importance is each feature's importance as [Trained.Importance]
	// gives it; SHAPImportance the mean absolute SHAP value (margin
	// contribution) on the holdout rows, when measured.
	Importance     map[string]float64 `json:"importance"`
	SHAPImportance map[string]float64 `json:"importance_mean_abs_shap,omitempty"`
	// Window is the data the version was trained and tested on.
	Window DataWindow `json:"data_window"`
	// ByPlan and ByRegion hold the holdout metrics per group.
	ByPlan   map[string]eval.Report `json:"holdout_by_plan,omitempty"`
	ByRegion map[string]eval.Report `json:"holdout_by_region,omitempty"`
	// Drift is the population stability index of each feature on the
	// holdout cutoff against the training rows: how far the population
	// moved within the window.
	Drift map[string]float64 `json:"holdout_drift_psi,omitempty"`
}

// DataWindow is the time span a version learned from, as dates
// (YYYY-MM-DD, UTC).
type DataWindow struct {
	// AsOf is the end of the data: no row at or after it was read.
	AsOf string `json:"as_of"`
	// Horizon is the label horizon: churn means leaving within it after a
	// cutoff.
	Horizon string `json:"horizon"`
	// TrainCutoffs trained the selected model; ValidCutoff chose it and
	// calibrated it; TestCutoff measured it. GapCutoffs, whose label
	// windows reach into the test horizon, took no part in that; a refit
	// (Refit) learnt from them and from part of TestCutoff too.
	TrainCutoffs []string `json:"train_cutoffs"`
	GapCutoffs   []string `json:"gap_cutoffs,omitempty"`
	ValidCutoff  string   `json:"valid_cutoff"`
	TestCutoff   string   `json:"test_cutoff"`
	// LabelsUntil is the end of the test cutoff's horizon: the latest
	// outcome the version was measured on.
	LabelsUntil string `json:"labels_until"`
	// Data is the dataset folder and Fingerprint the hash of its files and
	// the config.
	Data        string `json:"data"`
	Fingerprint string `json:"fingerprint"`
}

// NewRecord fills what t itself knows: algorithm, trees, calibration and
// importance, with params the configuration it was trained with.
func NewRecord(t *Trained, params TrainConfig) *Record {
	return &Record{
		Algo:        t.Algo(),
		Params:      params,
		Trees:       t.Trees(),
		Calibration: t.Calibration.Method,
		Importance:  t.Importance(),
	}
}

// Trees returns the number of trees the model sums, or 0 for a model
// without trees.
func (t *Trained) Trees() int {
	if g, ok := t.base.(*gbtScorer); ok {
		return g.m.BestIteration() + 1
	}
	return 0
}

// VersionFile is one more file saved inside a version by [Registry.Save],
// rendered once the version's name is known (a model card that names its
// version).
type VersionFile struct {
	Name   string
	Render func(version string) ([]byte, error)
}

// checkExtraName refuses an extra file that would replace one of the
// registry's own or leave the version folder.
func checkExtraName(name string) error {
	if name == "" || name != filepath.Base(name) || strings.HasPrefix(name, ".") ||
		slices.Contains([]string{modelFile, metricsFile, featuresFile, metaFile}, name) {
		return fmt.Errorf("extra file name %q: want a plain name other than the registry's own files", name)
	}
	return nil
}

// VersionInfo is one saved version as a listing shows it.
type VersionInfo struct {
	Version  string `json:"version"`
	Promoted bool   `json:"promoted"`
	Meta     Meta   `json:"meta"`
}

// List returns every saved version with its meta, in version order. A
// version whose meta cannot be read is an error naming it.
func (r *Registry) List() ([]VersionInfo, error) {
	vs, err := r.Versions()
	if err != nil {
		return nil, err
	}
	promoted, err := r.Promoted()
	if err != nil && !errors.Is(err, ErrNoModel) {
		return nil, err
	}
	out := make([]VersionInfo, 0, len(vs))
	for _, v := range vs {
		m, err := r.readMeta(v)
		if err != nil {
			return nil, err
		}
		out = append(out, VersionInfo{Version: v, Promoted: v == promoted, Meta: m})
	}
	return out, nil
}
