package record

import (
	"bytes"
	"fmt"
	"math"
	"sort"
	"strings"

	"churn/jobs/trainset"
	"churn/model"
	"churn/model/eval"
)

// ModelCardName is the model card inside every version trained by Train.
const ModelCardName = "MODEL_CARD.md"

// Groups with fewer labelled rows or churners than these have metrics the
// card flags as noisy.
const (
	cardMinGroupRows      = 200
	cardMinGroupChurners  = 20
	cardTopFeatures       = 15
	cardTopDriftedColumns = 5
)

// ModelCardFile renders the model card of a version from what Train
// saves with it, so that the card and meta.json say the same.
func ModelCardFile(meta *model.Meta, tr *model.Trained, cutoffs []trainset.CutoffSummary, driftThreshold float64) model.VersionFile {
	return model.VersionFile{Name: ModelCardName, Render: func(version string) ([]byte, error) {
		return modelCard(version, meta, tr, cutoffs, driftThreshold), nil
	}}
}

// modelCard writes the card in Markdown: intended use, the model, the data
// window and cutoffs, holdout metrics against the baseline, metrics per
// plan and per region, the most important features, drift within the
// window, and caveats.
func modelCard(version string, meta *model.Meta, tr *model.Trained, cutoffs []trainset.CutoffSummary, driftThreshold float64) []byte {
	rec := meta.Record
	if rec == nil {
		rec = &model.Record{}
	}
	w := rec.Window
	var b bytes.Buffer
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("# Model card: churn model %s\n\n", version)
	p("Written by `churn train` together with the version; `meta.json` holds the same facts as data.\n\n")

	p("## Intended use\n\n")
	p("Ranks current customers by the probability that they leave within %s after the scoring date, so that `churn run` and `churn lists` can put those worth keeping in front of a retention team. ", w.Horizon)
	p("The probability is calibrated on a cutoff that training did not see, so it can be read as a rate over many customers; the reasons explain the score before calibration.\n\n")
	p("Not intended for: decisions about one customer without a person who can overrule it; customers in the `new` segment (too little history); populations, products or horizons other than the ones it was trained on (see Drift and Caveats).\n\n")

	p("## Model\n\n")
	p("| | |\n|---|---|\n")
	p("| version | %s |\n", version)
	p("| algorithm | %s |\n", tr.Algo())
	if rec.Trees > 0 {
		p("| trees used | %d |\n", rec.Trees)
	}
	p("| features | %d |\n", len(tr.Features()))
	p("| calibration | %s |\n", tr.Calibration.Method)
	p("| choice | %s |\n", mdEscape(tr.Choice))
	if tr.Algo() == model.AlgoGBT {
		g := rec.Params.GBT
		p("| parameters | at most %d trees, depth %d, learning rate %g, L2 %g, min child weight %g, subsample %g, column sample %g, %d bins, early stopping after %d rounds, seed %d |\n",
			g.Trees, g.MaxDepth, g.LearningRate, g.L2, g.MinChildWeight, g.Subsample, g.ColSample, g.MaxBins, g.EarlyStopping, rec.Params.Seed)
	} else {
		p("| parameters | L2 %g, positive weight %g |\n", rec.Params.L2, rec.Params.PosWeight)
	}
	p("| created | %s |\n", meta.CreatedAt.Format("2006-01-02 15:04:05 MST"))
	p("| code version | %s |\n\n", mdEscape(meta.CodeVersion))

	p("## Data window\n\n")
	p("| | |\n|---|---|\n")
	p("| data | %s |\n", mdEscape(w.Data))
	p("| data end (as of) | %s: no row at or after it was read |\n", w.AsOf)
	p("| label | leaving within %s after a cutoff |\n", w.Horizon)
	p("| training cutoffs | %s |\n", strings.Join(w.TrainCutoffs, ", "))
	if len(w.GapCutoffs) > 0 {
		p("| left out of selection | %s: their label windows reach into the test horizon |\n", strings.Join(w.GapCutoffs, ", "))
	}
	p("| validation and calibration cutoff | %s (customers split in two halves) |\n", w.ValidCutoff)
	p("| test cutoff | %s, outcomes observed until %s |\n", w.TestCutoff, w.LabelsUntil)
	if r := tr.Refit; r != nil {
		p("| saved model | refitted on %d rows of every cutoff up to the test cutoff, less %d held-back rows of it that calibrate it; the holdout metrics below measure the model selected before the refit |\n",
			r.Rows, r.CalibrationRows)
	}
	p("| fingerprint | `%s` |\n\n", w.Fingerprint)
	if len(cutoffs) > 0 {
		p("| cutoff | role | customers | labelled | churn rate |\n|---|---|--:|--:|--:|\n")
		for _, c := range cutoffs {
			p("| %s | %s | %d | %d | %.1f%% |\n", c.Cutoff, c.Role, c.Rows, c.Labelled, 100*c.ChurnRate)
		}
		p("\nEvery feature of a cutoff sees only rows strictly before it; labels see only rows at or after it.\n\n")
	}

	p("## Holdout metrics against the baseline\n\n")
	p("On the test cutoff (%s), against a naive baseline that ranks by days since the last activity:\n\n", w.TestCutoff)
	p("| metric | model | baseline |\n|---|--:|--:|\n")
	h, base := meta.Holdout, meta.Baseline
	for _, r := range []struct {
		name string
		m, b float64
		dec  int
	}{
		{"ROC AUC", h.ROCAUC, base.ROCAUC, 3}, {"PR AUC", h.PRAUC, base.PRAUC, 3},
		{"lift, top decile", h.LiftTopDecile, base.LiftTopDecile, 2}, {"capture, top decile", h.CaptureTopDecile, base.CaptureTopDecile, 3},
		{"Brier", h.Brier, base.Brier, 4}, {"log loss", h.LogLoss, base.LogLoss, 4}, {"ECE", h.ECE, base.ECE, 4},
	} {
		p("| %s | %s | %s |\n", r.name, CardNum(r.m, r.dec), CardNum(r.b, r.dec))
	}
	p("\n%d customers, %d churned (base rate %s). The baseline's probabilities are a squashed ranking: compare it on the ranking metrics (AUCs, lift, capture).\n\n",
		h.Rows, h.Positives, cardPct(h.BaseRate))

	var noisy []string
	for _, g := range []struct {
		name    string
		reports map[string]eval.Report
	}{{"plan", rec.ByPlan}, {"region", rec.ByRegion}} {
		p("## Holdout metrics per %s\n\n", g.name)
		if len(g.reports) == 0 {
			p("No %s was recorded.\n\n", g.name)
			continue
		}
		p("| %s | customers | churned | base rate | ROC AUC | PR AUC | lift, top decile | Brier | ECE |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|\n", g.name)
		for _, k := range sortedKeys(g.reports) {
			r := g.reports[k]
			name := k
			if name == "" {
				name = "(none)"
			}
			if r.Rows < cardMinGroupRows || r.Positives < cardMinGroupChurners {
				noisy = append(noisy, g.name+" "+name)
				name += " ⚠"
			}
			p("| %s | %d | %d | %s | %s | %s | %s | %s | %s |\n", mdEscape(name), r.Rows, r.Positives, cardPct(r.BaseRate),
				CardNum(r.ROCAUC, 3), CardNum(r.PRAUC, 3), CardNum(r.LiftTopDecile, 2), CardNum(r.Brier, 4), CardNum(r.ECE, 4))
		}
		p("\n")
	}

	p("## Most important features\n\n")
	imp := rec.Importance
	var total float64
	for _, v := range imp {
		total += math.Abs(v)
	}
	rank := rec.SHAPImportance
	what := "mean |SHAP| (log-odds) on holdout rows"
	if len(rank) == 0 {
		rank, what = imp, "importance"
	}
	p("Ranked by %s; the share is of the summed importance (%s).\n\n", what, importanceKind(tr.Algo()))
	p("| feature | mean abs SHAP | importance share |\n|---|--:|--:|\n")
	for _, name := range TopByValue(rank, cardTopFeatures) {
		share := math.NaN()
		if total > 0 {
			share = math.Abs(imp[name]) / total
		}
		shap := math.NaN()
		if v, ok := rec.SHAPImportance[name]; ok {
			shap = v
		}
		p("| %s | %s | %s |\n", mdEscape(name), CardNum(shap, 4), cardPct(share))
	}
	p("\n")

	p("## Drift within the window\n\n")
	var drifted []string
	for _, name := range TopByValue(rec.Drift, len(rec.Drift)) {
		if rec.Drift[name] > driftThreshold {
			drifted = append(drifted, name)
		}
	}
	if len(rec.Drift) == 0 {
		p("Not measured.\n\n")
	} else {
		p("Population stability index of each feature on the test cutoff against the training rows (above %g counts as drift). ", driftThreshold)
		if len(drifted) == 0 {
			p("No feature drifted. The largest:\n\n")
		} else {
			p("%s drifted. The largest:\n\n", countOf(len(drifted), "feature"))
		}
		p("| feature | PSI |\n|---|--:|\n")
		for _, name := range TopByValue(rec.Drift, cardTopDriftedColumns) {
			p("| %s | %.4f |\n", mdEscape(name), rec.Drift[name])
		}
		p("\nEvery `churn run` measures the drift of its own population against this version's training rows and records it in its manifest.\n\n")
	}

	p("## Caveats\n\n")
	p("- The metrics come from one test cutoff (%s): they say how the model did on one quarter's outcomes, not a range.\n", w.TestCutoff)
	if !(h.ROCAUC > base.ROCAUC) {
		p("- **The model does not rank better than the baseline on the holdout** (ROC AUC %s against %s): do not promote it without a reason.\n", CardNum(h.ROCAUC, 3), CardNum(base.ROCAUC, 3))
	}
	if len(noisy) > 0 {
		p("- Groups marked ⚠ hold fewer than %d customers or %d churners: their metrics are noisy (%s).\n", cardMinGroupRows, cardMinGroupChurners, strings.Join(noisy, ", "))
	}
	if len(drifted) > 0 {
		p("- %s moved between the training cutoffs and the test cutoff (%s): the population is changing, retrain often.\n", countOf(len(drifted), "feature"), strings.Join(drifted[:min(len(drifted), cardTopDriftedColumns)], ", "))
	}
	if tr.Calibration.Note != "" {
		p("- Calibration: %s.\n", mdEscape(tr.Calibration.Note))
	}
	p("- Reasons and SHAP values explain the margin (log-odds) before calibration; calibration is one monotone map of it.\n")
	p("- The label is a proxy: a customer who leaves after %s, or pauses without cancelling, counts as staying.\n", w.Horizon)
	return b.Bytes()
}

// importanceKind names what Importance measures for an algorithm.
func importanceKind(algo string) string {
	if algo == model.AlgoGBT {
		return "total split gain"
	}
	return "absolute standardised coefficient"
}

// TopByValue returns the k keys of m with the largest values, ties by name.
func TopByValue(m map[string]float64, k int) []string {
	keys := make([]string, 0, len(m))
	for name := range m {
		keys = append(keys, name)
	}
	sort.Slice(keys, func(a, b int) bool {
		if m[keys[a]] != m[keys[b]] {
			return m[keys[a]] > m[keys[b]]
		}
		return keys[a] < keys[b]
	})
	return keys[:min(k, len(keys))]
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// CardNum formats a metric, a dash when undefined.
func CardNum(v float64, dec int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	return fmt.Sprintf("%.*f", dec, v)
}

func cardPct(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	return fmt.Sprintf("%.1f%%", 100*v)
}

// mdEscape keeps a value from breaking a Markdown table.
func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ").Replace(s)
}

// countOf writes "1 feature", "3 features".
func countOf(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
