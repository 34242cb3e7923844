package jobs

import (
	"context"
	"strings"

	"churn/data"
	"churn/jobs/output"
	"churn/jobs/value"
)

// ValueSummary is what `churn value` reports: the fitted value models with
// standard errors and log-likelihoods, the discounting rule and the
// interval method.
type ValueSummary struct {
	AsOf      string    `json:"as_of"`
	Unit      string    `json:"unit"`
	Customers int       `json:"customers"`
	Fit       value.Fit `json:"fit"`
	Out       string    `json:"out,omitempty"`
}

// Value fits the value models as of the cutoff and, with out, writes
// per-customer values with their intervals. It needs no churn model: every
// value comes from the value models alone.
func Value(ctx context.Context, cfg Config, env Env, out string) (*ValueSummary, error) {
	log := env.Log.With().Str("command", "value").Logger()
	_, asOf, ds, err := openDataset(&cfg, &env)
	if err != nil {
		return nil, err
	}
	cutoff := data.Instant(asOf)
	ld, err := loadFrame(ctx, &cfg, &env, ds, []int64{cutoff}, cutoff, log)
	if err != nil {
		return nil, err
	}
	f := ld.Frame
	fit := value.FitFrame(f, cfg.Value, log)
	sum := &ValueSummary{AsOf: data.FormatDate(asOf), Unit: cfg.Value.Unit, Customers: f.Rows(), Fit: fit}
	if fit.BGNBD != nil {
		bg := fit.BGNBD
		log.Info().Float64("r", bg.R).Float64("alpha", bg.Alpha).Float64("a", bg.A).Float64("b", bg.B).
			Float64("log_likelihood", bg.LogLik).Bool("converged", bg.Converged).Msg("BG/NBD fitted")
	}
	if out == "" {
		return sum, nil
	}
	v := value.Values(f, fit, cfg.Value)
	cols := []data.OutColumn{
		{Name: "customer_id", Kind: data.String, Strings: f.CustomerID},
		{Name: "predicted_value", Kind: data.Float, Floats: v.Value},
		{Name: "predicted_value_low", Kind: data.Float, Floats: v.Low},
		{Name: "predicted_value_high", Kind: data.Float, Floats: v.High},
		{Name: "p_alive", Kind: data.Float, Floats: v.PAlive},
		{Name: "frequency", Kind: data.Float, Floats: scaled(f.RFMx, 1)},
		{Name: "recency", Kind: data.Float, Floats: scaled(f.RFMtx, value.UnitDays(cfg.Value.Unit))},
		{Name: "age", Kind: data.Float, Floats: scaled(f.RFMT, value.UnitDays(cfg.Value.Unit))},
		{Name: "mean_repeat_spend", Kind: data.Float, Floats: f.MeanRepeat},
	}
	if strings.HasSuffix(strings.ToLower(out), ".csv") {
		err = output.WriteCSVFile(out, cols)
	} else {
		err = output.WriteParquetFile(out, cols)
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
