package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"churn/jobs/record"
	"churn/model"
)

// TestTrainRecordsVersion trains on the sample once and checks what the
// version says about itself: the record in meta.json, MODEL_CARD.md, the
// listing of churn models, the export and the report's SHAP sections.
func TestTrainRecordsVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on the sample")
	}
	cfg, env := sampleConfig(t)
	sum, err := Train(context.Background(), cfg, env)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(cfg.Registry, sum.Version)

	// The record in meta.json.
	b, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	var meta model.Meta
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	rec := meta.Record
	if rec == nil {
		t.Fatal("meta.json has no record")
	}
	w := rec.Window
	// Two cutoffs' 90-day windows reach into the test horizon: gap.
	if w.AsOf != "2026-11-01" || w.TestCutoff != "2026-08-01" || w.ValidCutoff != "2026-05-01" || len(w.TrainCutoffs) != cfg.Train.Cutoffs-4 ||
		!slices.Equal(w.GapCutoffs, []string{"2026-06-01", "2026-07-01"}) ||
		w.Horizon != "90d" || w.LabelsUntil != "2026-10-30" || w.Fingerprint != sum.Fingerprint {
		t.Errorf("data window %+v", w)
	}
	if rec.Algo != sum.Algo || rec.Trees < 1 || rec.Params.GBT.MaxDepth != model.DefaultTrainConfig().GBT.MaxDepth {
		t.Errorf("record algo %s, trees %d, params %+v", rec.Algo, rec.Trees, rec.Params)
	}
	if len(rec.Importance) != sum.Features || len(rec.SHAPImportance) != sum.Features || len(rec.Drift) != sum.Features {
		t.Errorf("record holds %d importances, %d mean |SHAP|, %d drift values for %d features",
			len(rec.Importance), len(rec.SHAPImportance), len(rec.Drift), sum.Features)
	}
	if len(rec.ByPlan) == 0 || len(rec.ByRegion) == 0 || rec.ByPlan["basic"].Rows != sum.ByPlan["basic"].Rows {
		t.Errorf("record per plan %v, per region %v", rec.ByPlan, rec.ByRegion)
	}

	// The model card: every section, the version's own figures.
	if sum.ModelCard != filepath.Join(dir, record.ModelCardName) {
		t.Errorf("summary names the model card %s, want %s", sum.ModelCard, filepath.Join(dir, record.ModelCardName))
	}
	card, err := os.ReadFile(sum.ModelCard)
	if err != nil {
		t.Fatal(err)
	}
	c := string(card)
	for _, want := range []string{"# Model card: churn model " + sum.Version, "## Intended use", "## Data window",
		"## Holdout metrics against the baseline", "## Holdout metrics per plan", "## Holdout metrics per region",
		"## Most important features", "## Drift within the window", "## Caveats",
		"| ROC AUC | " + record.CardNum(sum.Holdout.ROCAUC, 3) + " | " + record.CardNum(sum.Baseline.ROCAUC, 3) + " |",
		"| test cutoff | 2026-08-01, outcomes observed until 2026-10-30 |", "| 2026-01-01 | train+stop |", "| 2026-02-01 | train |", "| basic |",
		"| trees used | " + strconv.Itoa(rec.Trees) + " |", record.TopByValue(rec.SHAPImportance, 1)[0], w.Fingerprint} {
		if !strings.Contains(c, want) {
			t.Errorf("model card lacks %q", want)
		}
	}

	// churn models lists it.
	ms, err := Models(cfg, env)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms.Versions) != 1 || ms.Promoted != sum.Version || ms.Versions[0].Holdout.ROCAUC != sum.Holdout.ROCAUC ||
		ms.Versions[0].Trees != rec.Trees || len(ms.Versions[0].TopFeatures) != modelsTopFeatures {
		t.Errorf("models: %+v", ms)
	}
	missing := cfg
	missing.Registry = filepath.Join(t.TempDir(), "nope")
	if _, err := Models(missing, env); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("models on a missing registry: error %v, want invalid input", err)
	}
	if _, err := os.Stat(missing.Registry); err == nil {
		t.Error("models created the missing registry")
	}

	// The export and its calibrator.
	out := filepath.Join(t.TempDir(), "m.json")
	ex, err := ExportModel(cfg, env, sum.Version, ExportFormatXGBoostJSON, out)
	if err != nil {
		t.Fatal(err)
	}
	if ex.Calibrator != filepath.Join(filepath.Dir(out), "m.calibration.json") {
		t.Errorf("calibrator at %s", ex.Calibrator)
	}
	for _, p := range []string{out, ex.Calibrator} {
		if st, err := os.Stat(p); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", p, err)
		}
	}
	for _, bad := range []struct{ version, format string }{{sum.Version, "onnx"}, {"v0099", ExportFormatXGBoostJSON}} {
		if _, err := ExportModel(cfg, env, bad.version, bad.format, out); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("export %s as %s: error %v, want invalid input", bad.version, bad.format, err)
		}
	}

	// The report shows SHAP importance and the beeswarm.
	rep := filepath.Join(t.TempDir(), "report.html")
	if err := WriteReport(rep, sum); err != nil {
		t.Fatal(err)
	}
	html, err := os.ReadFile(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"<h2>SHAP importance</h2>", "<h2>SHAP values per customer</h2>"} {
		if !strings.Contains(string(html), h) {
			t.Errorf("report lacks %s", h)
		}
	}
}
