package jobs

import (
	"churn/jobs/record"
	"churn/model"
	"churn/model/eval"
)

// ModelsSummary is what `churn models` reports: every version of a
// registry with its metrics, oldest first.
type ModelsSummary struct {
	Registry string         `json:"registry"`
	Promoted string         `json:"promoted"`
	Versions []ModelVersion `json:"versions"`
}

// ModelVersion is one registry version as `churn models` lists it. Fields
// a version saved before training records existed lacks stay empty.
type ModelVersion struct {
	Version     string           `json:"version"`
	Promoted    bool             `json:"promoted"`
	CreatedAt   string           `json:"created_at"`
	Algo        string           `json:"algo"`
	Trees       int              `json:"trees"`
	Calibration string           `json:"calibration"`
	Window      model.DataWindow `json:"data_window"`
	Holdout     eval.Report      `json:"holdout"`
	Baseline    eval.Report      `json:"baseline_days_since_activity"`
	TopFeatures []string         `json:"top_features"`
	CodeVersion string           `json:"code_version"`
}

// modelsTopFeatures is how many of each version's most important features
// the listing names.
const modelsTopFeatures = 3

// Models lists the versions of the registry cfg.Registry, which must
// exist.
func Models(cfg Config, env Env) (*ModelsSummary, error) {
	reg, err := openExistingRegistry(cfg.Registry)
	if err != nil {
		return nil, err
	}
	defer reg.Close()
	infos, err := reg.List()
	if err != nil {
		return nil, err
	}
	sum := &ModelsSummary{Registry: cfg.Registry, Versions: []ModelVersion{}}
	for _, in := range infos {
		m := in.Meta
		v := ModelVersion{
			Version: in.Version, Promoted: in.Promoted, CreatedAt: m.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"),
			Holdout: m.Holdout, Baseline: m.Baseline, CodeVersion: m.CodeVersion,
		}
		if r := m.Record; r != nil {
			v.Algo, v.Trees, v.Calibration, v.Window = r.Algo, r.Trees, r.Calibration, r.Window
			rank := r.SHAPImportance
			if len(rank) == 0 {
				rank = r.Importance
			}
			v.TopFeatures = record.TopByValue(rank, modelsTopFeatures)
		}
		if in.Promoted {
			sum.Promoted = in.Version
		}
		sum.Versions = append(sum.Versions, v)
	}
	env.Log.Debug().Str("command", "models").Int("versions", len(sum.Versions)).Msg("registry listed")
	return sum, nil
}
