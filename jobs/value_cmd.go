package jobs

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"churn/data"
	"churn/model"
)

// ValueSummary is what `churn value` reports: the fitted value models with
// standard errors and log-likelihoods.
type ValueSummary struct {
	AsOf      string   `json:"as_of"`
	Unit      string   `json:"unit"`
	Customers int      `json:"customers"`
	Fit       ValueFit `json:"fit"`
	Out       string   `json:"out,omitempty"`
}

// Value fits the value models as of the cutoff and, with out, writes
// per-customer values. Contractual customers' value needs the churn model:
// it comes from the registry's promoted model when there is one, and is
// left missing (NaN, with a note) when there is none.
func Value(ctx context.Context, cfg Config, env Env, out string) (*ValueSummary, error) {
	log := env.Log.With().Str("command", "value").Logger()
	_, asOf, ds, err := openDataset(&cfg, &env)
	if err != nil {
		return nil, err
	}
	cutoff := asOf.UnixNano()
	ld, err := loadFrame(ctx, &cfg, &env, ds, []int64{cutoff}, cutoff, log)
	if err != nil {
		return nil, err
	}
	f := ld.Frame
	fit := fitValue(f, &cfg, log)
	sum := &ValueSummary{AsOf: asOf.Format("2006-01-02"), Unit: cfg.Value.Unit, Customers: f.Rows(), Fit: fit}
	if fit.BGNBD != nil {
		bg := fit.BGNBD
		log.Info().Float64("r", bg.R).Float64("alpha", bg.Alpha).Float64("a", bg.A).Float64("b", bg.B).
			Float64("log_likelihood", bg.LogLik).Bool("converged", bg.Converged).Msg("BG/NBD fitted")
	}
	if out == "" {
		return sum, nil
	}
	prob := make([]float64, f.Rows())
	haveModel := false
	if reg, err := model.OpenRegistry(cfg.Registry); err == nil {
		if v, err := reg.Promoted(); err == nil {
			if clf, _, err := reg.Load(v); err == nil {
				if p, err := predict(clf, f); err == nil {
					prob, haveModel = p, true
				}
			}
		} else if !errors.Is(err, model.ErrNoModel) {
			return nil, fmt.Errorf("registry %s: %w", cfg.Registry, err)
		}
	}
	value, pAlive := values(f, prob, fit, &cfg)
	if !haveModel {
		sum.Fit.Notes = append(sum.Fit.Notes, "no promoted churn model: contractual customers' value is left missing")
		for i := range value {
			if f.Contractual[i] {
				value[i] = math.NaN()
			}
		}
	}
	cols := []data.OutColumn{
		{Name: "customer_id", Kind: data.String, Strings: f.CustomerID},
		{Name: "predicted_value", Kind: data.Float, Floats: value},
		{Name: "p_alive", Kind: data.Float, Floats: pAlive},
		{Name: "frequency", Kind: data.Float, Floats: scaled(f.RFMx, 1)},
		{Name: "recency", Kind: data.Float, Floats: scaled(f.RFMtx, unitDays(cfg.Value.Unit))},
		{Name: "age", Kind: data.Float, Floats: scaled(f.RFMT, unitDays(cfg.Value.Unit))},
		{Name: "mean_repeat_spend", Kind: data.Float, Floats: f.MeanRepeat},
	}
	if strings.HasSuffix(strings.ToLower(out), ".csv") {
		err = writeCSVFile(out, cols)
	} else {
		err = writeParquetFile(out, cols)
	}
	if err != nil {
		return nil, err
	}
	sum.Out = out
	return sum, nil
}

func scaled(v []float64, div float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = x / div
	}
	return out
}
