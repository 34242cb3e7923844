package clv

import (
	"encoding/json"
	"math"
)

// The fitted models encode as JSON with snake_case names, and with null
// where a number is not finite (a standard error where the Hessian is not
// negative definite): JSON has no NaN, and a report must still be written.

// jsonNumber returns v, or nil when v is NaN or infinite.
func jsonNumber(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func jsonNumbers(v []float64) []*float64 {
	out := make([]*float64, len(v))
	for i, x := range v {
		out[i] = jsonNumber(x)
	}
	return out
}

// MarshalJSON encodes the fit with null for non-finite numbers.
func (m BGNBD) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		R          *float64   `json:"r"`
		Alpha      *float64   `json:"alpha"`
		A          *float64   `json:"a"`
		B          *float64   `json:"b"`
		SE         []*float64 `json:"se"`
		LogLik     *float64   `json:"log_likelihood"`
		N          int        `json:"n"`
		Converged  bool       `json:"converged"`
		Iterations int        `json:"iterations"`
		Starts     int        `json:"starts"`
	}{jsonNumber(m.R), jsonNumber(m.Alpha), jsonNumber(m.A), jsonNumber(m.B), jsonNumbers(m.SE[:]), jsonNumber(m.LogLik),
		m.N, m.Converged, m.Iterations, m.Starts})
}

// MarshalJSON encodes the fit with null for non-finite numbers.
func (g GammaGamma) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		P          *float64   `json:"p"`
		Q          *float64   `json:"q"`
		Gamma      *float64   `json:"gamma"`
		SE         []*float64 `json:"se"`
		LogLik     *float64   `json:"log_likelihood"`
		N          int        `json:"n"`
		Converged  bool       `json:"converged"`
		Skipped    int        `json:"skipped"`
		Iterations int        `json:"iterations"`
		Starts     int        `json:"starts"`
	}{jsonNumber(g.P), jsonNumber(g.Q), jsonNumber(g.Gamma), jsonNumbers(g.SE[:]), jsonNumber(g.LogLik),
		g.N, g.Converged, g.Skipped, g.Iterations, g.Starts})
}

// MarshalJSON encodes the fallback with null for non-finite numbers.
func (f Fallback) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Rate       *float64 `json:"rate"`
		MeanSpend  *float64 `json:"mean_spend"`
		RateRelSE  *float64 `json:"rate_relative_se"`
		SpendRelSE *float64 `json:"mean_spend_relative_se"`
		N          int      `json:"n"`
	}{jsonNumber(f.Rate), jsonNumber(f.MeanSpend), jsonNumber(f.RateRelSE), jsonNumber(f.SpendRelSE), f.N})
}

// MarshalJSON encodes the fit with null for non-finite numbers.
func (m SBG) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Alpha     *float64   `json:"alpha"`
		Beta      *float64   `json:"beta"`
		SE        []*float64 `json:"se"`
		LogLik    *float64   `json:"log_likelihood"`
		N         int        `json:"n"`
		Churned   int        `json:"churned"`
		Exposure  float64    `json:"periods_at_risk"`
		Converged bool       `json:"converged"`
	}{jsonNumber(m.Alpha), jsonNumber(m.Beta), jsonNumbers(m.SE[:]), jsonNumber(m.LogLik), m.N, m.Churned, m.Exposure, m.Converged})
}
