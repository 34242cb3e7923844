package jobs

import (
	"compress/gzip"
	"context"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/stat"

	"churn/data"
	"churn/data/convert"
	"churn/data/runs"
	"churn/features"
)

const retailFile = "../../shared/datasets/online_retail/online_retail.csv.gz"

// Floors for the UCI Online Retail check, below the figures
// measured when it was written: holdout ROC AUC 0.749 (days since last
// activity: 0.613), and a Spearman rank correlation of 0.489 (average
// ranks for ties) between predicted value and the spend of the following
// 90 days, over 3,412 customers scored as of 2011-09-10.
const (
	retailMinAUC      = 0.72
	retailMinSpearman = 0.40
)

// TestOnlineRetailEndToEnd converts the real Online Retail invoices to the
// contract, trains with the 90-day inactivity label, runs as of a date with
// 90 days of data after it, and measures churn ranking and value ranking
// against what happened.
func TestOnlineRetailEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("converts and trains on 541,909 invoice lines")
	}
	in, err := os.Open(retailFile)
	if err != nil {
		t.Skipf("SKIPPED: %s not found: the shared datasets are absent", retailFile)
	}
	defer in.Close()
	gz, err := gzip.NewReader(in)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "retail")
	if _, err := convert.OnlineRetail(gz, root); err != nil {
		t.Fatalf("convert: %v", err)
	}
	cfg, env := sampleConfig(t)
	cfg.Data = root
	cfg.Features.Label = features.Noncontractual
	cfg.Train.Cutoffs = 6
	cfg.AsOf = time.Date(2011, 12, 10, 0, 0, 0, 0, time.UTC)
	ctx := context.Background()
	tr, err := Train(ctx, cfg, env)
	if err != nil {
		t.Fatalf("train: %v", err)
	}
	t.Logf("holdout ROC AUC %.3f (baseline %.3f), Brier %.4f, lift %.2f", tr.Holdout.ROCAUC, tr.Baseline.ROCAUC, tr.Holdout.Brier, tr.Holdout.LiftTopDecile)
	if tr.Holdout.ROCAUC < retailMinAUC || tr.Holdout.ROCAUC <= tr.Baseline.ROCAUC {
		t.Errorf("holdout ROC AUC %.3f, want at least %.2f and above the baseline's %.3f", tr.Holdout.ROCAUC, retailMinAUC, tr.Baseline.ROCAUC)
	}

	asOf := time.Date(2011, 9, 10, 0, 0, 0, 0, time.UTC)
	cfg.AsOf = asOf
	sum, err := Run(ctx, cfg, env)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	cols, err := data.ReadColumns(filepath.Join(sum.Output, runs.PartFile))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	var value []float64
	for _, c := range cols {
		switch c.Name {
		case "customer_id":
			ids = c.Strings
		case "predicted_value":
			value = c.Floats
		}
	}
	spend := realisedSpend(t, root, asOf.UnixNano(), asOf.Add(90*24*time.Hour).UnixNano())
	realised := make([]float64, len(ids))
	for i, id := range ids {
		realised[i] = spend[id]
		if math.IsNaN(value[i]) {
			t.Fatalf("customer %s has no predicted value", id)
		}
	}
	rho := stat.Correlation(ranks(value), ranks(realised), nil)
	t.Logf("Spearman rank correlation of predicted value and the next 90 days' spend: %.3f over %d customers", rho, len(ids))
	if rho < retailMinSpearman {
		t.Errorf("Spearman %.3f, want at least %.2f", rho, retailMinSpearman)
	}
}

// realisedSpend sums each customer's orders in [from, to).
func realisedSpend(t *testing.T, root string, from, to int64) map[string]float64 {
	t.Helper()
	ds, err := data.Discover(root)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range ds.Files[data.Orders] {
		_, err := data.ReadFile(context.Background(), f, data.ReadOptions{}, func(rows []data.Order) error {
			for _, o := range rows {
				if o.TS >= from && o.TS < to {
					id := o.CustomerID
					if _, ok := out[id]; !ok {
						id = strings.Clone(id) // the batch's strings are the reader's
					}
					out[id] += o.Amount
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// ranks gives average ranks, ties sharing the mean of their positions, as
// Spearman's coefficient needs.
func ranks(v []float64) []float64 {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return v[idx[a]] < v[idx[b]] })
	r := make([]float64, len(v))
	for lo := 0; lo < len(idx); {
		hi := lo
		for hi+1 < len(idx) && v[idx[hi+1]] == v[idx[lo]] {
			hi++
		}
		for k := lo; k <= hi; k++ {
			r[idx[k]] = float64(lo+hi)/2 + 1
		}
		lo = hi + 1
	}
	return r
}

// Online Retail holdout, as of 2011-09-10 in weeks, over the next 90 days
// (the comparison TestHoldoutCDNOW makes on CDNOW), measured when this test
// was written: the BG/NBD's E[Y(90 days) | x, t_x, T] summed over customers
// against their purchase days in the window, the same by calibration
// frequency, and the Spearman rank correlation of E[Y] x Gamma-Gamma E[M]
// with the net spend of the window. The data has no published holdout
// figures, so they are held within retailHoldoutTol of what was measured.
// The model under-forecasts this window by a quarter: it runs into the
// Christmas trade, a seasonality BG/NBD does not know.
var (
	retailHoldoutActual    = 4450.0
	retailHoldoutPredicted = 3347.4
	retailHoldoutSpearman  = 0.4997
	// By calibration repeat purchase days x = 0..6 and 7+: mean purchase
	// days per customer in the window.
	retailHoldoutByXActual    = [8]float64{0.5778, 0.9242, 1.1579, 1.5902, 1.8707, 1.9623, 2.7342, 5.1739}
	retailHoldoutByXPredicted = [8]float64{0.3827, 0.7128, 0.9859, 1.2170, 1.5036, 1.7258, 2.0056, 3.7891}
)

// retailHoldoutTol is relative for the totals and absolute for the
// correlation.
const retailHoldoutTol = 0.01

// TestOnlineRetailHoldout runs `churn value` on the converted invoices as of
// 2011-09-10 and compares the BG/NBD and Gamma-Gamma forecasts with the
// next 90 days (figures above).
func TestOnlineRetailHoldout(t *testing.T) {
	if testing.Short() {
		t.Skip("converts 541,909 invoice lines")
	}
	in, err := os.Open(retailFile)
	if err != nil {
		t.Skipf("SKIPPED: %s not found: the shared datasets are absent", retailFile)
	}
	defer in.Close()
	gz, err := gzip.NewReader(in)
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(t.TempDir(), "retail")
	if _, err := convert.OnlineRetail(gz, root); err != nil {
		t.Fatalf("convert: %v", err)
	}
	cfg, env := sampleConfig(t)
	cfg.Data = root
	cfg.Features.Label = features.Noncontractual
	asOf := time.Date(2011, 9, 10, 0, 0, 0, 0, time.UTC)
	cfg.AsOf = asOf
	cfg.Value.Unit = "week"
	out := filepath.Join(t.TempDir(), "values.parquet")
	sum, err := Value(context.Background(), cfg, env, out)
	if err != nil {
		t.Fatal(err)
	}
	bg, gg := sum.Fit.BGNBD, sum.Fit.GammaGamma
	if bg == nil || gg == nil {
		t.Fatalf("fits: %+v", sum.Fit)
	}
	cols, err := data.ReadColumns(out)
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]data.OutColumn{}
	for _, c := range cols {
		col[c.Name] = c
	}
	from, to := asOf.UnixNano(), asOf.Add(90*24*time.Hour).UnixNano()
	days, spend := holdoutDays(t, root, from, to)
	ids := col["customer_id"].Strings
	x, tx, T, mbar, pAlive := col["frequency"].Floats, col["recency"].Floats, col["age"].Floats, col["mean_repeat_spend"].Floats, col["p_alive"].Floats
	var n, act, pred [8]float64
	var predSpend, actSpend []float64
	var sumA, sumP float64
	for i, id := range ids {
		if math.IsNaN(x[i]) {
			continue // never bought before the cutoff
		}
		if math.IsNaN(pAlive[i]) {
			t.Errorf("customer %s has bought but has no p_alive", id)
		}
		e := bg.ConditionalExpected(90.0/7, x[i], tx[i], T[i])
		a := float64(days[id])
		k := min(int(x[i]), 7)
		n[k]++
		act[k] += a
		pred[k] += e
		sumA += a
		sumP += e
		predSpend = append(predSpend, e*gg.ExpectedSpend(x[i], mbar[i]))
		actSpend = append(actSpend, spend[id])
	}
	rho := stat.Correlation(ranks(predSpend), ranks(actSpend), nil)
	t.Logf("%d customers: purchase days in the next 90 days actual %.0f, predicted %.1f; Spearman(predicted, actual spend) %.4f", len(predSpend), sumA, sumP, rho)
	for k := range n {
		a, p := act[k]/n[k], pred[k]/n[k]
		t.Logf("x=%d%s n=%4.0f actual %.4f predicted %.4f", k, map[bool]string{true: "+"}[k == 7], n[k], a, p)
		if math.Abs(a-retailHoldoutByXActual[k]) > retailHoldoutTol*a || math.Abs(p-retailHoldoutByXPredicted[k]) > retailHoldoutTol*p {
			t.Errorf("x=%d: actual %.4f predicted %.4f, want %.4f and %.4f", k, a, p, retailHoldoutByXActual[k], retailHoldoutByXPredicted[k])
		}
	}
	if math.Abs(sumA-retailHoldoutActual) > retailHoldoutTol*retailHoldoutActual ||
		math.Abs(sumP-retailHoldoutPredicted) > retailHoldoutTol*retailHoldoutPredicted ||
		math.Abs(rho-retailHoldoutSpearman) > retailHoldoutTol {
		t.Errorf("actual %.0f predicted %.1f Spearman %.4f, want %.0f, %.1f, %.4f", sumA, sumP, rho, retailHoldoutActual, retailHoldoutPredicted, retailHoldoutSpearman)
	}
}

// holdoutDays counts each customer's distinct purchase days (orders with a
// positive amount) in [from, to) and sums their net spend there.
func holdoutDays(t *testing.T, root string, from, to int64) (map[string]int, map[string]float64) {
	t.Helper()
	ds, err := data.Discover(root)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]map[int64]bool{}
	spend := map[string]float64{}
	for _, f := range ds.Files[data.Orders] {
		_, err := data.ReadFile(context.Background(), f, data.ReadOptions{}, func(rows []data.Order) error {
			for _, o := range rows {
				if o.TS < from || o.TS >= to {
					continue
				}
				id := strings.Clone(o.CustomerID)
				spend[id] += o.Amount
				if o.Amount > 0 {
					if seen[id] == nil {
						seen[id] = map[int64]bool{}
					}
					seen[id][o.TS/int64(24*time.Hour)] = true
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	days := map[string]int{}
	for id, s := range seen {
		days[id] = len(s)
	}
	return days, spend
}
