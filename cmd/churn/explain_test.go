package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"churn/data"
	"churn/data/runs"
	"churn/model"
)

// TestRunExplainOut: churn run --explain-out writes every customer's SHAP
// values, whose sum with base_value is the margin that the exported
// calibrator turns into the run's churn_probability; the file is the same
// for one worker and for four.
func TestRunExplainOut(t *testing.T) {
	dir := t.TempDir()
	expl := filepath.Join(dir, "shap.parquet")
	out := filepath.Join(dir, "out")
	if r := runGen(t, out, "--explain-out", expl, "--workers", "1"); r.code != 0 {
		t.Fatalf("churn run --explain-out: %s", r)
	}
	cols, err := data.ReadColumns(expl)
	if err != nil {
		t.Fatal(err)
	}
	scores, err := data.ReadColumns(filepath.Join(runs.Dir(out, genAsOf), runs.PartFile))
	if err != nil {
		t.Fatal(err)
	}
	man := readManifest(t, runs.Dir(out, genAsOf))
	reg := registry(t)
	r, err := model.OpenRegistry(reg)
	if err != nil {
		t.Fatal(err)
	}
	clf, _, err := r.Load(man.ModelVersion)
	if err != nil {
		t.Fatal(err)
	}
	feats := clf.Features()
	if len(cols) != len(feats)+2 || cols[0].Name != "customer_id" || cols[len(cols)-1].Name != "base_value" {
		t.Fatalf("explanations hold %d columns (first %s, last %s), want customer_id, %d features, base_value",
			len(cols), cols[0].Name, cols[len(cols)-1].Name, len(feats))
	}
	for j, name := range feats {
		if cols[1+j].Name != name {
			t.Fatalf("column %d is %s, want feature %s", 1+j, cols[1+j].Name, name)
		}
	}
	ids := column(t, cols, "customer_id").Strings
	if want := column(t, scores, "customer_id").Strings; len(ids) != len(want) || len(ids) != man.Customers {
		t.Fatalf("%d explained customers, %d scored", len(ids), len(want))
	}
	// The calibrator as churn export-model writes it.
	exp := filepath.Join(dir, "m.json")
	if r := churn(t, dir, "export-model", man.ModelVersion, "--registry", reg, "--out", exp); r.code != 0 {
		t.Fatalf("churn export-model: %s", r)
	}
	var cal struct {
		Calibrator model.CalibratorSpec `json:"calibrator"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "m.calibration.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &cal); err != nil {
		t.Fatal(err)
	}
	prob := map[string]float64{}
	for i, id := range column(t, scores, "customer_id").Strings {
		prob[id] = column(t, scores, "churn_probability").Floats[i]
	}
	base := cols[len(cols)-1].Floats
	var worst float64
	for i, id := range ids {
		m := base[i]
		for j := range feats {
			m += cols[1+j].Floats[i]
		}
		worst = max(worst, math.Abs(applyCalibrator(t, cal.Calibrator, m)-prob[id]))
	}
	if worst > 1e-9 {
		t.Errorf("calibrated base_value + contributions differ from churn_probability by up to %.3g", worst)
	}

	again := filepath.Join(dir, "shap4.parquet")
	if r := runGen(t, filepath.Join(dir, "out4"), "--explain-out", again, "--workers", "4"); r.code != 0 {
		t.Fatalf("churn run --explain-out --workers 4: %s", r)
	}
	a, _ := os.ReadFile(expl)
	b4, _ := os.ReadFile(again)
	if !bytes.Equal(a, b4) {
		t.Error("explanations differ between 1 and 4 workers")
	}

	// A folder that does not exist is refused before any work.
	if r := runGen(t, filepath.Join(dir, "out5"), "--explain-out", filepath.Join(dir, "missing", "x.parquet")); r.code != 2 {
		t.Errorf("--explain-out into a missing folder: exit %d, want 2\n%s", r.code, r)
	}
	if _, err := os.Stat(filepath.Join(dir, "out5")); err == nil {
		t.Error("the refused run wrote its output folder")
	}
}
