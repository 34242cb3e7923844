package jobs

import (
	"errors"
	"fmt"

	"churn/model"
)

// PromoteSummary is what `churn promote` reports.
type PromoteSummary struct {
	Version  string `json:"version"`
	Previous string `json:"previous"`
	Forced   bool   `json:"forced"`
}

// Promote makes version the registry's promoted model. A version whose
// holdout ROC AUC is below the promoted one's is refused unless force.
func Promote(cfg Config, env Env, version string, force bool) (*PromoteSummary, error) {
	reg, err := openRegistry(cfg.Registry)
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", cfg.Registry, err)
	}
	defer reg.Close()
	prev, err := reg.Promoted()
	if err != nil && !errors.Is(err, model.ErrNoModel) {
		return nil, fmt.Errorf("registry %s: %w", cfg.Registry, err)
	}
	if err := reg.Promote(version, force); err != nil {
		if errors.Is(err, model.ErrWorseModel) || errors.Is(err, model.ErrNoModel) {
			return nil, fmt.Errorf("%w: %w", ErrInvalidInput, err)
		}
		return nil, fmt.Errorf("promote %s: %w", version, err)
	}
	env.Log.Info().Str("command", "promote").Str("version", version).Str("previous", prev).Bool("forced", force).
		Msg("model promoted")
	return &PromoteSummary{Version: version, Previous: prev, Forced: force}, nil
}
