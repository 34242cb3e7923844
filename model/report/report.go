package report

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"

	"churn/model/eval"
)

// Input is everything a report shows. Only Prob and Label are required;
// empty optional parts leave their section out or say that nothing was
// given.
type Input struct {
	Title    string
	Subtitle string // e.g. "model v0003 (gbt), as of 2026-11-01, data fingerprint ..."

	// Prob holds the holdout probabilities (calibrated) and Label the 0/1
	// outcomes of the same rows. Rows with a NaN label or score are skipped.
	Prob, Label []float64

	// Uncalibrated optionally holds the holdout probabilities before
	// calibration, same rows as Prob: the reliability diagram and the metrics
	// table then show the effect of calibration.
	Uncalibrated []float64

	// Baselines are scored on the same rows as Prob, such as "days since last
	// activity" or "logistic".
	Baselines []Baseline

	// Importance maps feature names to their importance (total gain); the
	// top 25 are drawn.
	Importance map[string]float64

	// SHAP optionally holds the SHAP values of a sample of holdout rows:
	// the report then adds their mean absolute value per feature and a
	// beeswarm.
	SHAP *SHAP

	// Cutoffs summarise the data of each cutoff, in the order given.
	Cutoffs []CutoffRow

	// Groups holds metrics per group value, such as "plan" -> "basic" ->
	// metrics.
	Groups map[string]map[string]eval.Report

	// Notes are plain sentences, such as which model was chosen and why.
	Notes []string
}

// Baseline is a competing score on the holdout rows.
type Baseline struct {
	Name string
	Prob []float64
}

// CutoffRow summarises the data of one cutoff.
type CutoffRow struct {
	Cutoff    string  // e.g. "2026-08-01"
	Role      string  // e.g. "train", "validation", "calibration", "test"
	Rows      int     // customers with a feature vector
	Labelled  int     // customers whose outcome is known
	ChurnRate float64 // share of labelled customers who churned
}

// topFeatures is the number of features drawn in the importance chart.
const topFeatures = 25

// run is one set of scores on the holdout, cleaned of NaN rows.
type run struct {
	name  string
	p, y  []float64
	rep   eval.Report
	color string
	dash  bool
}

func newRun(name string, p, y []float64, color string, dash bool) run {
	r := run{name: name, color: color, dash: dash, rep: eval.Evaluate(p, y)}
	for i := range min(len(p), len(y)) {
		if math.IsNaN(p[i]) || math.IsNaN(y[i]) {
			continue
		}
		r.p = append(r.p, p[i])
		r.y = append(r.y, y[i])
	}
	return r
}

// Write renders the report of in as one self-contained HTML document. It
// fails only on scores whose length differs from the labels', SHAP values
// whose length differs from their rows and features, or on an error from
// w.
func Write(w io.Writer, in Input) error {
	n := len(in.Label)
	if len(in.Prob) != n {
		return fmt.Errorf("model: %d scores for %d labels: %w", len(in.Prob), n, ErrLengthMismatch)
	}
	if in.Uncalibrated != nil && len(in.Uncalibrated) != n {
		return fmt.Errorf("uncalibrated: %d scores for %d labels: %w", len(in.Uncalibrated), n, ErrLengthMismatch)
	}
	for _, b := range in.Baselines {
		if len(b.Prob) != n {
			return fmt.Errorf("baseline %q: %d scores for %d labels: %w", b.Name, len(b.Prob), n, ErrLengthMismatch)
		}
	}

	if in.SHAP != nil {
		if err := in.SHAP.check(); err != nil {
			return err
		}
	}

	model := newRun("model", in.Prob, in.Label, palette[0], false)
	ranked := []run{model}
	for i, b := range in.Baselines {
		ranked = append(ranked, newRun(b.Name, b.Prob, in.Label, palette[1+i%(len(palette)-1)], true))
	}
	var uncal *run
	if in.Uncalibrated != nil {
		u := newRun("model, before calibration", in.Uncalibrated, in.Label, palette[5], true)
		uncal = &u
	}

	var b bytes.Buffer
	title := in.Title
	if title == "" {
		title = "Churn model report"
	}
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	b.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	fmt.Fprintf(&b, "<title>%s</title>\n<style>\n%s</style>\n</head>\n<body>\n", esc(title), css)
	fmt.Fprintf(&b, "<header>\n<h1>%s</h1>\n", esc(title))
	if in.Subtitle != "" {
		fmt.Fprintf(&b, "<p class=\"sub\">%s</p>\n", esc(in.Subtitle))
	}
	writeSummary(&b, model.rep)
	b.WriteString("</header>\n")

	writeMetrics(&b, model, uncal, ranked[1:])

	b.WriteString("<div class=\"plots\">\n")
	figure(&b, "ROC curve", "True positive rate against false positive rate as the score threshold falls; the diagonal is a random ranking.",
		func(b *bytes.Buffer) { rocPlot(b, ranked) })
	figure(&b, "Precision-recall curve", "Share of churners among those flagged (precision) against share of churners flagged (recall); the dashed grey line is the base rate.",
		func(b *bytes.Buffer) { prPlot(b, ranked) })
	figure(&b, "Reliability", "Observed churn rate against mean predicted probability in ten equal-width bins; on the diagonal, probabilities mean what they say. Under the axis: the model's rows per bin.",
		func(b *bytes.Buffer) { reliabilityPlot(b, model, uncal) })
	figure(&b, "Cumulative gains", "Share of all churners found when contacting the top share of customers by score; the diagonal is a random list, the thin dark line a perfect one.",
		func(b *bytes.Buffer) { gainsPlot(b, ranked) })
	figure(&b, "Lift by decile", "Churn rate in each score decile (1 = highest scores) over the overall churn rate; 1 is no better than random. The numbers are the model's lift.",
		func(b *bytes.Buffer) { liftPlot(b, ranked) })
	figure(&b, "Score distribution", "Model probabilities of customers who churned and who stayed, each as a share of its own group.",
		func(b *bytes.Buffer) { distributionPlot(b, model) })
	b.WriteString("</div>\n")

	writeImportance(&b, in.Importance)
	writeSHAP(&b, in.SHAP)
	writeCutoffs(&b, in.Cutoffs)
	writeGroups(&b, in.Groups)
	if len(in.Notes) > 0 {
		b.WriteString("<section>\n<h2>Notes</h2>\n<ul class=\"notes\">\n")
		for _, s := range in.Notes {
			fmt.Fprintf(&b, "<li>%s</li>\n", esc(s))
		}
		b.WriteString("</ul>\n</section>\n")
	}
	b.WriteString("</body>\n</html>\n")
	_, err := w.Write(b.Bytes())
	return err
}

func writeSummary(b *bytes.Buffer, r eval.Report) {
	fmt.Fprintf(b, "<p class=\"summary\">Holdout: %s, %s churned (base rate %s)",
		rows(r.Rows), fmtInt(r.Positives), fmtPct(r.BaseRate, 1))
	if r.MissingLabels > 0 {
		fmt.Fprintf(b, "; %s without a label skipped", rows(r.MissingLabels))
	}
	if r.MissingScores > 0 {
		fmt.Fprintf(b, "; %s without a score skipped", rows(r.MissingScores))
	}
	b.WriteString(".</p>\n")
}

func figure(b *bytes.Buffer, heading, caption string, draw func(*bytes.Buffer)) {
	fmt.Fprintf(b, "<section class=\"plot\">\n<h2>%s</h2>\n<p class=\"cap\">%s</p>\n", esc(heading), esc(caption))
	draw(b)
	b.WriteString("</section>\n")
}

// metricCol is one column of the metrics table.
type metricCol struct {
	head, title string
	higher      bool // higher is better
	get         func(eval.Report) float64
	format      func(float64) string
}

func metricCols(k int) []metricCol {
	f := func(dec int) func(float64) string { return func(v float64) string { return fmtNum(v, dec) } }
	pct := func(v float64) string { return fmtPct(v, 1) }
	return []metricCol{
		{"ROC AUC", "area under the ROC curve", true, func(r eval.Report) float64 { return r.ROCAUC }, f(3)},
		{"PR AUC", "average precision", true, func(r eval.Report) float64 { return r.PRAUC }, f(3)},
		{"log loss", "mean negative log-likelihood", false, func(r eval.Report) float64 { return r.LogLoss }, f(4)},
		{"Brier", "mean squared error of the probability", false, func(r eval.Report) float64 { return r.Brier }, f(4)},
		{"ECE", "expected calibration error, 10 bins", false, func(r eval.Report) float64 { return r.ECE }, f(4)},
		{"lift top 10%", "churn rate in the top decile over the base rate", true, func(r eval.Report) float64 { return r.LiftTopDecile }, f(2)},
		{"capture top 10%", "share of all churners in the top decile", true, func(r eval.Report) float64 { return r.CaptureTopDecile }, pct},
		{"precision at " + strconv.Itoa(k), "share of churners among the highest " + strconv.Itoa(k) + " scores", true, func(r eval.Report) float64 { return r.PrecisionAtK }, pct},
	}
}

func writeMetrics(b *bytes.Buffer, model run, uncal *run, baselines []run) {
	runs := []run{model}
	if uncal != nil {
		runs = append(runs, *uncal)
	}
	runs = append(runs, baselines...)
	cols := metricCols(model.rep.K)
	b.WriteString("<section>\n<h2>Metrics</h2>\n<table class=\"metrics\">\n<thead><tr><th>scores</th><th>rows</th>")
	for _, c := range cols {
		fmt.Fprintf(b, "<th title=\"%s\">%s</th>", esc(c.title), esc(c.head))
	}
	b.WriteString("</tr></thead>\n<tbody>\n")
	// The best of each column is bolded, unless every row shows the same:
	// then there is nothing to beat.
	best := make([]string, len(cols))
	for j, c := range cols {
		bv := math.NaN()
		same := true
		for _, r := range runs {
			v := c.get(r.rep)
			same = same && c.format(v) == c.format(c.get(runs[0].rep))
			if finite(v) && (math.IsNaN(bv) || (c.higher && v > bv) || (!c.higher && v < bv)) {
				bv = v
			}
		}
		if finite(bv) && !same {
			best[j] = c.format(bv)
		}
	}
	for _, r := range runs {
		fmt.Fprintf(b, "<tr><th><span class=\"key\" style=\"background:%s\"></span>%s</th><td>%s</td>", r.color, esc(r.name), fmtInt(r.rep.Rows))
		for j, c := range cols {
			v := c.get(r.rep)
			cls := ""
			if c.format(v) == best[j] {
				cls = " class=\"best\""
			}
			fmt.Fprintf(b, "<td%s>%s</td>", cls, c.format(v))
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody>\n</table>\n")
	b.WriteString("<p class=\"cap\">Higher is better for the AUCs, lift, capture and precision; lower for log loss, Brier and ECE. The best of each column is in bold; a dash marks a metric the holdout leaves undefined.</p>\n</section>\n")
}

func writeImportance(b *bytes.Buffer, imp map[string]float64) {
	b.WriteString("<section>\n<h2>Feature importance</h2>\n")
	if len(imp) == 0 {
		b.WriteString("<p class=\"cap\">No feature importance was given.</p>\n</section>\n")
		return
	}
	fmt.Fprintf(b, "<p class=\"cap\">The %d most important of %d features, as a share of the summed absolute importance (gain).</p>\n",
		min(topFeatures, len(imp)), len(imp))
	importancePlot(b, imp)
	b.WriteString("</section>\n")
}

func writeCutoffs(b *bytes.Buffer, cutoffs []CutoffRow) {
	if len(cutoffs) == 0 {
		return
	}
	b.WriteString("<section>\n<h2>Data per cutoff</h2>\n<table>\n<thead><tr><th>cutoff</th><th>role</th><th>rows</th><th>labelled</th><th>churn rate</th></tr></thead>\n<tbody>\n")
	for _, r := range cutoffs {
		fmt.Fprintf(b, "<tr><th>%s</th><td class=\"l\">%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
			esc(r.Cutoff), esc(r.Role), fmtInt(r.Rows), fmtInt(r.Labelled), fmtPct(r.ChurnRate, 1))
	}
	b.WriteString("</tbody>\n</table>\n</section>\n")
}

func writeGroups(b *bytes.Buffer, groups map[string]map[string]eval.Report) {
	if len(groups) == 0 {
		return
	}
	b.WriteString("<section>\n<h2>Metrics by group</h2>\n")
	for _, g := range sortedKeys(groups) {
		vals := groups[g]
		k := 0
		for _, r := range vals {
			k = max(k, r.K)
		}
		cols := metricCols(k)
		fmt.Fprintf(b, "<h3>By %s</h3>\n<table class=\"metrics\">\n<thead><tr><th>%s</th><th>rows</th><th>churned</th><th>base rate</th>", esc(g), esc(g))
		for _, c := range cols {
			fmt.Fprintf(b, "<th title=\"%s\">%s</th>", esc(c.title), esc(c.head))
		}
		b.WriteString("</tr></thead>\n<tbody>\n")
		for _, v := range sortedKeys(vals) {
			r := vals[v]
			fmt.Fprintf(b, "<tr><th>%s</th><td>%s</td><td>%s</td><td>%s</td>", esc(v), fmtInt(r.Rows), fmtInt(r.Positives), fmtPct(r.BaseRate, 1))
			for _, c := range cols {
				fmt.Fprintf(b, "<td>%s</td>", c.format(c.get(r)))
			}
			b.WriteString("</tr>\n")
		}
		b.WriteString("</tbody>\n</table>\n")
	}
	b.WriteString("<p class=\"cap\">Precision at K uses each group's own K (the top rows, at most the group's size).</p>\n</section>\n")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// undefined stands for an undefined value in tables and labels.
const undefined = "–"

func fmtNum(v float64, dec int) string {
	if !finite(v) {
		return undefined
	}
	return strconv.FormatFloat(v, 'f', dec, 64)
}

func fmtPct(v float64, dec int) string {
	if !finite(v) {
		return undefined
	}
	return strconv.FormatFloat(v*100, 'f', dec, 64) + "%"
}

// rows counts rows in words: "1 row", "3,959 rows".
func rows(n int) string {
	if n == 1 {
		return "1 row"
	}
	return fmtInt(n) + " rows"
}

// fmtInt writes n with thousands separators: 540715 -> "540,715".
func fmtInt(n int) string {
	s := strconv.Itoa(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

const css = `body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#222;background:#fff;max-width:1160px;margin:24px auto;padding:0 16px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:17px;margin:28px 0 6px}
h3{font-size:14px;margin:16px 0 4px}
.sub{color:#555;margin:0}
.summary{margin:6px 0 0}
.cap{color:#555;font-size:12.5px;margin:0 0 8px}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;margin:4px 0}
th,td{padding:4px 10px;border-bottom:1px solid #e3e3e3;text-align:right;white-space:nowrap}
thead th{border-bottom:2px solid #999;font-weight:600;vertical-align:bottom}
tbody th{text-align:left;font-weight:500}
td.l{text-align:left}
td.best{font-weight:700}
.key{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}
.plots{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:4px 28px}
.plot h2{margin-top:22px}
.plot .cap{min-height:34px}
svg{display:block;max-width:100%;height:auto;font-family:inherit}
svg text{font-size:12px;fill:#333}
svg .tick{font-size:11px;fill:#555}
svg .axis{font-size:12.5px;fill:#222}
svg .small{font-size:10px;fill:#444}
svg .value{font-size:10.5px;font-weight:600;fill:#0072B2}
svg .small,svg .value{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
svg .grid{stroke:#ececec;stroke-width:1}
svg .frame{fill:none;stroke:#888;stroke-width:1}
svg .legend .box{fill:#fff;fill-opacity:.9;stroke:#ccc}
.notes li{margin:2px 0}
`
