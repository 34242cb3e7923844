package main

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"churn/data"
	"churn/model"
)

// pythonWithXGBoost returns a Python 3 that imports xgboost, or "" and why
// none does. Debian's python3-xgboost installs into /usr/bin/python3's
// path, which another python3 first on PATH does not see.
func pythonWithXGBoost() (string, string) {
	var tried []string
	for _, name := range []string{"python3", "/usr/bin/python3"} {
		py, err := exec.LookPath(name)
		if err != nil {
			tried = append(tried, name+": not found")
			continue
		}
		out, err := exec.Command(py, "-c", "import xgboost, numpy; print(xgboost.__version__)").CombinedOutput()
		if err == nil {
			return py, ""
		}
		tried = append(tried, py+": "+lastLines(string(out), 1))
	}
	return "", strings.Join(tried, "; ")
}

// TestXGBoostReadsExportedModel exports the sample-trained model with
// churn export-model, loads it in Python with xgboost.Booster(model_file=),
// and scores the feature table that churn features writes. Every customer
// must reach the same leaves: the leaf values XGBoost picks, summed in
// float64, equal the model's margin within 1e-6. XGBoost's own margins,
// which it sums in float32, must be within that arithmetic's rounding, and
// XGBoost's TreeSHAP (pred_contribs) must equal the model's contributions;
// the exported calibrator applied to XGBoost's margins must give the
// model's probabilities. .ci/run installs
// Debian's python3-xgboost; without it the test says loudly that it was
// skipped.
func TestXGBoostReadsExportedModel(t *testing.T) {
	py, why := pythonWithXGBoost()
	if py == "" {
		t.Skipf("SKIPPED: no Python with xgboost (%s): apt-get install python3-xgboost (.ci/run does)", why)
	}
	script, err := filepath.Abs(filepath.Join("testdata", "xgboost", "predict.py"))
	if err != nil {
		t.Fatal(err)
	}
	reg := registry(t)
	promoted, err := os.ReadFile(filepath.Join(reg, "PROMOTED"))
	if err != nil {
		t.Fatal(err)
	}
	version := strings.TrimSpace(string(promoted))
	dir := t.TempDir()
	feats, modelJSON, pyOut := filepath.Join(dir, "features.csv"), filepath.Join(dir, "model.json"), filepath.Join(dir, "python.json")
	if r := churn(t, dir, "features", "--out", feats); r.code != 0 {
		t.Fatalf("churn features: %s", r)
	}
	if r := churn(t, dir, "export-model", version, "--registry", reg, "--format", "xgboost-json", "--out", modelJSON); r.code != 0 {
		t.Fatalf("churn export-model: %s", r)
	}
	if out, err := exec.Command(py, script, modelJSON, feats, pyOut).CombinedOutput(); err != nil {
		t.Fatalf("python %s: %v\n%s", script, err, out)
	}
	var got struct {
		Version       string      `json:"xgboost_version"`
		Features      []string    `json:"features"`
		IDs           []string    `json:"customer_id"`
		Margin        []float64   `json:"margin"`
		LeafSum       []float64   `json:"leaf_sum"`
		Contributions [][]float64 `json:"contributions"`
	}
	b, err := os.ReadFile(pyOut)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}

	r, err := model.OpenRegistry(reg)
	if err != nil {
		t.Fatal(err)
	}
	clf, _, err := r.Load(version)
	if err != nil {
		t.Fatal(err)
	}
	names := clf.Features()
	if strings.Join(got.Features, ",") != strings.Join(names, ",") {
		t.Fatalf("XGBoost's feature names %v, the model's %v", got.Features, names)
	}
	table, err := data.ReadFeatureTableCSV(feats)
	if err != nil {
		t.Fatal(err)
	}
	x := &model.Matrix{Cols: names, Rows: len(table.Rows), X: make([]float64, 0, len(table.Rows)*len(names))}
	for _, row := range table.Rows {
		for _, name := range names {
			v := math.NaN()
			if cell := row[table.Column(name)]; cell != "" {
				if v, err = strconv.ParseFloat(cell, 64); err != nil {
					t.Fatalf("feature %s: %v", name, err)
				}
			}
			x.X = append(x.X, v)
		}
	}
	if len(got.Margin) != x.Rows || len(got.IDs) != x.Rows {
		t.Fatalf("XGBoost scored %d rows, the table holds %d", len(got.Margin), x.Rows)
	}
	ours := make([]float64, x.Rows)
	if err := clf.Margins(ours, x); err != nil {
		t.Fatal(err)
	}
	var worstLeaf, worst, sum float64
	var over int
	trees := float64(clf.Trees())
	for i := range ours {
		if id := row(table, i, "customer_id"); got.IDs[i] != id {
			t.Fatalf("row %d: Python read customer %s, the table holds %s", i, got.IDs[i], id)
		}
		if d := math.Abs(got.LeafSum[i] - ours[i]); d > marginTol {
			t.Errorf("customer %s: XGBoost's leaves sum to %.9g, our margin is %.9g: another leaf was taken", got.IDs[i], got.LeafSum[i], ours[i])
		} else {
			worstLeaf = max(worstLeaf, d)
		}
		d := math.Abs(got.Margin[i] - ours[i])
		worst, sum = max(worst, d), sum+d
		if d > marginTol {
			over++
		}
		// Each of XGBoost's float32 additions rounds by at most half a
		// float32 step of the running sum.
		if tol := (trees + 2) * 0x1p-24 * max(1, 2*math.Abs(ours[i])); d > tol {
			t.Errorf("customer %s: XGBoost's margin %.9g, ours %.9g: off by %.3g, more than float32 rounding (%.3g)", got.IDs[i], got.Margin[i], ours[i], d, tol)
		}
	}
	t.Logf("XGBoost %s, %d customers, %d trees: the leaves XGBoost picks sum to our margins within %.3g; its float32 margins differ by at most %.3g (mean %.3g), %d above %g",
		got.Version, x.Rows, clf.Trees(), worstLeaf, worst, sum/float64(x.Rows), over, marginTol)

	// XGBoost's TreeSHAP against ours, the bias last.
	cols := len(names)
	phi := make([]float64, x.Rows*cols)
	if err := clf.ContributionsRows(phi, x); err != nil {
		t.Fatal(err)
	}
	base, err := clf.BaseValue()
	if err != nil {
		t.Fatal(err)
	}
	var worstPhi float64
	for i := range x.Rows {
		c := got.Contributions[i]
		if len(c) != cols+1 {
			t.Fatalf("row %d: %d contributions from XGBoost, want %d and the bias", i, len(c), cols)
		}
		for j := range cols {
			worstPhi = max(worstPhi, math.Abs(c[j]-phi[i*cols+j]))
		}
		worstPhi = max(worstPhi, math.Abs(c[cols]-base))
	}
	t.Logf("XGBoost's pred_contribs differ from our TreeSHAP by at most %.3g", worstPhi)
	if worstPhi > shapTol {
		t.Errorf("XGBoost's pred_contribs differ from our TreeSHAP values by up to %.3g, want <= %g", worstPhi, shapTol)
	}

	// The calibrator written beside the model turns the margins of
	// XGBoost's leaves into churn's probabilities.
	var cal struct {
		Calibrator model.CalibratorSpec `json:"calibrator"`
	}
	cb, err := os.ReadFile(filepath.Join(dir, "model.calibration.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(cb, &cal); err != nil {
		t.Fatal(err)
	}
	prob := make([]float64, x.Rows)
	if err := clf.PredictProba(prob, x); err != nil {
		t.Fatal(err)
	}
	var worstP float64
	for i, m := range got.LeafSum {
		worstP = max(worstP, math.Abs(applyCalibrator(t, cal.Calibrator, m)-prob[i]))
	}
	t.Logf("calibrator %s on XGBoost's leaf sums: probabilities differ by at most %.3g", cal.Calibrator.Method, worstP)
	if worstP > marginTol {
		t.Errorf("probabilities from XGBoost's leaves and the exported calibrator differ from churn's by up to %.3g", worstP)
	}
}

// Tolerances against XGBoost, which reads inputs, thresholds and leaves
// as float32 and sums the trees in float32.
const (
	marginTol = 1e-6
	shapTol   = 1e-5
)

func row(t *data.FeatureTable, i int, col string) string { return t.Rows[i][t.Column(col)] }

// applyCalibrator is the calibrator file's formula, written from its
// documentation alone.
func applyCalibrator(t *testing.T, c model.CalibratorSpec, m float64) float64 {
	sig := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
	switch c.Method {
	case "none":
		return sig(m)
	case "platt":
		return sig(c.A*m + c.B)
	case "isotonic":
		n := len(c.X)
		switch {
		case m <= c.X[0]:
			return c.Y[0]
		case m >= c.X[n-1]:
			return c.Y[n-1]
		}
		k := 1
		for c.X[k] < m {
			k++
		}
		f := (m - c.X[k-1]) / (c.X[k] - c.X[k-1])
		return c.Y[k-1] + f*(c.Y[k]-c.Y[k-1])
	}
	t.Fatalf("calibrator method %q", c.Method)
	return 0
}
