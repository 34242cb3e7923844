package clv

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestJSONWritesNonFiniteAsNull(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name string
		v    any
		want []string
	}{
		{"bgnbd", BGNBD{R: 0.25, Alpha: 4.4, A: 0.8, B: 2.4, SE: [4]float64{0.01, nan, math.Inf(1), 0.7}, LogLik: -9582.4, N: 3, Converged: true},
			[]string{`"r":0.25`, `"se":[0.01,null,null,0.7]`, `"log_likelihood":-9582.4`, `"converged":true`}},
		{"gamma-gamma", GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.44, SE: [3]float64{nan, nan, nan}, LogLik: nan},
			[]string{`"p":6.25`, `"se":[null,null,null]`, `"log_likelihood":null`}},
		{"fallback", Fallback{Rate: nan, MeanSpend: 12.5, N: 4}, []string{`"rate":null`, `"mean_spend":12.5`, `"n":4`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.v)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(b), w) {
					t.Errorf("got %s, want it to contain %s", b, w)
				}
			}
		})
	}
}
