package jobs

import (
	"context"
	"math"
	"path/filepath"
	"testing"
	"time"
)

const cdnowFile = "../data/testdata/cdnow/CDNOW_sample.txt"

// TestValueReproducesCDNOW checks the value models end to end: CDNOW_sample.txt
// converted to the contract, read by the normal readers, summarised by the
// features as of 1997-10-01 (observation through 1997-09-30) in weeks, and
// fitted. Reference values: Fader, Hardie & Lee (2005), refitted to 7
// digits (r 0.2425945, alpha 4.4136019, a 0.7929199,
// b 2.4258881, LL -9582.429; Gamma-Gamma LL -4055.9177 at p 6.25,
// q 3.74, gamma 15.44).
func TestValueReproducesCDNOW(t *testing.T) {
	root := filepath.Join(t.TempDir(), "cdnow")
	if _, err := Import(context.Background(), Env{}, "cdnow", cdnowFile, root); err != nil {
		t.Fatal(err)
	}
	cfg, env := sampleConfig(t)
	cfg.Data = root
	cfg.AsOf = time.Date(1997, 10, 1, 0, 0, 0, 0, time.UTC)
	cfg.Value.Unit = "week"
	sum, err := Value(context.Background(), cfg, env, "")
	if err != nil {
		t.Fatal(err)
	}
	bg, gg := sum.Fit.BGNBD, sum.Fit.GammaGamma
	if bg == nil || gg == nil {
		t.Fatalf("fits missing: %+v", sum.Fit)
	}
	if sum.Fit.Customers != 2357 || sum.Fit.Repeaters != 946 {
		t.Errorf("%d customers with %d repeaters, want 2357 and 946", sum.Fit.Customers, sum.Fit.Repeaters)
	}
	// BG/NBD: within 0.1% relative; Gamma-Gamma: the
	// references are published to two decimals.
	for _, p := range []struct {
		name           string
		got, want, tol float64
	}{
		{"r", bg.R, 0.2425945, 0.001 * 0.2425945},
		{"alpha", bg.Alpha, 4.4136019, 0.001 * 4.4136019},
		{"a", bg.A, 0.7929199, 0.001 * 0.7929199},
		{"b", bg.B, 2.4258881, 0.001 * 2.4258881},
		{"p", gg.P, 6.25, 0.005},
		{"q", gg.Q, 3.74, 0.005},
		{"gamma", gg.Gamma, 15.44, 0.005},
	} {
		if math.Abs(p.got-p.want) > p.tol {
			t.Errorf("%s = %.7f, want %.7f within %g", p.name, p.got, p.want, p.tol)
		}
	}
	if math.Abs(bg.LogLik-(-9582.429)) > 0.01 || math.Abs(gg.LogLik-(-4055.9177)) > 0.01 {
		t.Errorf("log-likelihoods %.4f and %.4f, want -9582.429 and -4055.9177", bg.LogLik, gg.LogLik)
	}
}
