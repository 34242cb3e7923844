package report

import (
	"bytes"
	"fmt"
	"math"
	"sort"
	"unicode/utf8"

	"churn/model/eval"
)

// Size of the charts in the two-column grid, in pixels.
const (
	chartW = 560
	chartH = 380
)

// msgOneClass explains an empty ranking chart.
const msgOneClass = "Not defined: the labelled holdout holds one class."

func diagonal(p *plot) {
	p.line([]eval.Point{{X: 0, Y: 0}, {X: 1, Y: 1}}, colGrey, true, 1.2)
}

// drawRanked draws one curve per run, the model last so that it lies on
// top, and returns the legend with the model first.
func drawRanked(p *plot, runs []run, curve func(run) []eval.Point, label func(run) string) []legendItem {
	var items []legendItem
	for i := len(runs) - 1; i >= 0; i-- {
		r := runs[i]
		pts := curve(r)
		if len(pts) == 0 {
			continue
		}
		width := 1.8
		if i == 0 {
			width = 2.4
		}
		p.line(thin(pts, maxCurvePoints), r.color, r.dash, width)
		items = append([]legendItem{{label: label(r), color: r.color, dash: r.dash}}, items...)
	}
	return items
}

func rocPlot(b *bytes.Buffer, runs []run) {
	p := newPlot(b, chartW, chartH, unitScale(), unitScale(), "false positive rate", "true positive rate")
	diagonal(p)
	items := drawRanked(p, runs, func(r run) []eval.Point { return eval.ROCCurve(r.p, r.y) },
		func(r run) string { return r.name + " (AUC " + fmtNum(r.rep.ROCAUC, 3) + ")" })
	if len(items) == 0 {
		p.message(msgOneClass)
	} else {
		p.legend(append(items, legendItem{label: "random", color: colGrey, dash: true}), "br")
	}
	p.close()
}

func prPlot(b *bytes.Buffer, runs []run) {
	p := newPlot(b, chartW, chartH, unitScale(), unitScale(), "recall", "precision")
	base := runs[0].rep.BaseRate
	if finite(base) {
		p.line([]eval.Point{{X: 0, Y: base}, {X: 1, Y: base}}, colGrey, true, 1.2)
	}
	items := drawRanked(p, runs, func(r run) []eval.Point { return eval.PRCurve(r.p, r.y) },
		func(r run) string { return r.name + " (AP " + fmtNum(r.rep.PRAUC, 3) + ")" })
	if len(items) == 0 {
		p.message("Not defined: the labelled holdout holds no churner.")
	} else {
		p.legend(append(items, legendItem{label: "base rate " + fmtPct(base, 1), color: colGrey, dash: true}), "tr")
	}
	p.close()
}

// Layout of the rows-per-bin strip under the reliability axes, in pixels.
const (
	stripH    = 50 // added to the chart's height
	stripBarH = 24 // tallest bar
)

func reliabilityPlot(b *bytes.Buffer, model run, uncal *run) {
	p := &plot{b: b, w: chartW, h: chartH + stripH, left: 58, right: 18, top: 14, bottom: 46 + stripH, x: unitScale(), y: unitScale()}
	p.open("reliability")
	p.axes("mean predicted probability", "observed churn rate")
	cal := eval.Reliability(model.p, model.y, eval.ECEBins)
	if len(cal) == 0 {
		p.message("No labelled rows.")
		p.close()
		return
	}
	// The rows per bin go in a strip of their own under the tick labels:
	// inside the axes they would collide with the curve, which runs along
	// the bottom wherever most rows are.
	base := p.h - p.bottom + stripH + 12
	fmt.Fprintf(p.b, `<line class="frame" x1="%s" y1="%s" x2="%s" y2="%s"/>`+"\n", num(p.left), num(base), num(p.w-p.right), num(base))
	fmt.Fprintf(p.b, `<text class="tick" x="%s" y="%s" text-anchor="end">rows</text>`+"\n", num(p.left-6), num(base-2))
	most := 0
	for _, pt := range cal {
		most = max(most, pt.Count)
	}
	for _, pt := range cal {
		h := stripBarH * float64(pt.Count) / float64(most)
		x0, x1 := p.px(pt.Lo)+2, p.px(pt.Hi)-2
		fmt.Fprintf(p.b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s" fill-opacity="0.35"/>`+"\n", num(x0), num(base-h), num(x1-x0), num(h), colGrey)
		fmt.Fprintf(p.b, `<text class="small" x="%s" y="%s" text-anchor="middle">%s</text>`+"\n", num((x0+x1)/2), num(base-h-3), fmtInt(pt.Count))
	}
	diagonal(p)
	items := []legendItem{{label: "model (ECE " + fmtNum(model.rep.ECE, 3) + ")", color: model.color, dot: true}}
	if uncal != nil {
		u := reliabilityPoints(eval.Reliability(uncal.p, uncal.y, eval.ECEBins))
		p.line(u, uncal.color, true, 1.8)
		p.markers(u, uncal.color, true)
		items = append(items, legendItem{label: "before calibration (ECE " + fmtNum(uncal.rep.ECE, 3) + ")", color: uncal.color, dash: true, dot: true})
	}
	c := reliabilityPoints(cal)
	p.line(c, model.color, false, 2.4)
	p.markers(c, model.color, false)
	p.legend(append(items, legendItem{label: "perfectly calibrated", color: colGrey, dash: true}), "tl")
	p.close()
}

func reliabilityPoints(bins []eval.ReliabilityPoint) []eval.Point {
	pts := make([]eval.Point, len(bins))
	for i, pt := range bins {
		pts[i] = eval.Point{X: pt.Predicted, Y: pt.Observed}
	}
	return pts
}

// gainsSteps is the number of population shares the gains curve is
// measured at.
const gainsSteps = 100

func gainsPlot(b *bytes.Buffer, runs []run) {
	p := newPlot(b, chartW, chartH, unitScale(), unitScale(), "share of customers contacted, by score", "share of churners found")
	diagonal(p)
	if base := runs[0].rep.BaseRate; finite(base) && base > 0 {
		p.line([]eval.Point{{X: 0, Y: 0}, {X: base, Y: 1}, {X: 1, Y: 1}}, "#555555", false, 1)
	}
	items := drawRanked(p, runs, func(r run) []eval.Point { return eval.Gains(r.p, r.y, gainsSteps) },
		func(r run) string { return r.name + " (top 10%: " + fmtPct(r.rep.CaptureTopDecile, 1) + ")" })
	if len(items) == 0 {
		p.message("Not defined: the labelled holdout holds no churner.")
	} else {
		p.legend(append(items,
			legendItem{label: "perfect", color: "#555555"},
			legendItem{label: "random", color: colGrey, dash: true}), "br")
	}
	p.close()
}

// decileLift returns the lift of each score decile: its share of all
// churners over its share of the rows. It is nil without churners.
func decileLift(r run) []float64 {
	g := eval.Gains(r.p, r.y, 10)
	if len(g) != 11 {
		return nil
	}
	lift := make([]float64, 10)
	for d := range lift {
		lift[d] = (g[d+1].Y - g[d].Y) / (g[d+1].X - g[d].X)
	}
	return lift
}

func liftPlot(b *bytes.Buffer, runs []run) {
	lifts := make([][]float64, len(runs))
	top := 1.0
	for i, r := range runs {
		lifts[i] = decileLift(r)
		for _, v := range lifts[i] {
			if finite(v) {
				top = max(top, v)
			}
		}
	}
	x := scale{lo: 0.5, hi: 10.5, categorical: true}
	for d := 1; d <= 10; d++ {
		x.ticks = append(x.ticks, float64(d))
	}
	p := newPlot(b, chartW, chartH, x, niceScale(0, top*1.12, 5), "score decile (1 = highest scores)", "lift")
	if lifts[0] == nil {
		p.message("Not defined: the labelled holdout holds no churner.")
		p.close()
		return
	}
	var drawn []int
	for i := range runs {
		if lifts[i] != nil {
			drawn = append(drawn, i)
		}
	}
	const group = 0.8
	bw := group / float64(len(drawn))
	var items []legendItem
	for k, i := range drawn {
		r := runs[i]
		for d, v := range lifts[i] {
			x0 := float64(d+1) - group/2 + float64(k)*bw
			p.rect(x0, 0, x0+bw*0.92, v, r.color, 0.85, r.name+", decile "+fmt.Sprint(d+1)+": lift "+fmtNum(v, 2))
		}
		items = append(items, legendItem{label: r.name, color: r.color, swatch: true})
	}
	// The model's lift is written over each decile, above the tallest bar
	// so that no neighbour hides it.
	for d, v := range lifts[0] {
		top := v
		for _, i := range drawn {
			top = max(top, lifts[i][d])
		}
		p.text(float64(d+1), top, -4, "middle", "value", fmtNum(v, 1))
	}
	p.line([]eval.Point{{X: 0.5, Y: 1}, {X: 10.5, Y: 1}}, "#444444", true, 1.2)
	p.legend(append(items, legendItem{label: "random (lift 1)", color: "#444444", dash: true}), "tr")
	p.close()
}

// histBins is the number of bins of the score distribution.
const histBins = 20

func distributionPlot(b *bytes.Buffer, model run) {
	// The x axis ends at the highest score, rounded up to a tenth, so that
	// the low probabilities of a rare event are not squeezed into one bin.
	hi := 0.1
	for _, v := range model.p {
		if finite(v) {
			hi = max(hi, math.Ceil(v*10-1e-9)/10)
		}
	}
	hi = min(hi, 1)
	var counts [2][histBins]float64
	var totals [2]float64
	for i, v := range model.p {
		if !finite(v) {
			continue
		}
		c := 0
		if model.y[i] > 0.5 {
			c = 1
		}
		k := min(max(int(v/hi*histBins), 0), histBins-1)
		counts[c][k]++
		totals[c]++
	}
	top := 0.0
	for c := range counts {
		for k := range counts[c] {
			if totals[c] > 0 {
				counts[c][k] /= totals[c]
				top = max(top, counts[c][k])
			}
		}
	}
	// The axis ends where the bins end, at hi; the ticks stay round.
	x := niceScale(0, hi, 5)
	x.hi = hi
	for len(x.ticks) > 0 && x.ticks[len(x.ticks)-1] > hi+1e-9 {
		x.ticks = x.ticks[:len(x.ticks)-1]
	}
	y := niceScale(0, top*1.05, 5)
	y.percent = true
	p := newPlot(b, chartW, chartH, x, y, "predicted churn probability", "share of group")
	if totals[0]+totals[1] == 0 {
		p.message("No labelled rows.")
		p.close()
		return
	}
	names := [2]string{"stayed", "churned"}
	colors := [2]string{colStayed, colChurned}
	var items []legendItem
	for c := range counts {
		if totals[c] == 0 {
			continue
		}
		pts := []eval.Point{{X: 0, Y: 0}}
		for k, s := range counts[c] {
			lo, up := hi*float64(k)/histBins, hi*float64(k+1)/histBins
			pts = append(pts, eval.Point{X: lo, Y: s}, eval.Point{X: up, Y: s})
		}
		pts = append(pts, eval.Point{X: hi, Y: 0})
		p.area(pts, colors[c], 0.3)
		items = append(items, legendItem{label: names[c] + " (" + fmtInt(int(totals[c])) + ")", color: colors[c], swatch: true})
	}
	p.legend(items, "tr")
	p.close()
}

// area fills the polygon through pts and strokes its outline.
func (p *plot) area(pts []eval.Point, color string, opacity float64) {
	var b bytes.Buffer
	for _, pt := range pts {
		if !finite(pt.X) || !finite(pt.Y) {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(num(p.px(pt.X)) + "," + num(p.py(pt.Y)))
	}
	fmt.Fprintf(p.b, `<polygon fill="%s" fill-opacity="%s" stroke="%s" stroke-width="1.5" stroke-linejoin="round" points="%s"/>`+"\n",
		color, num(opacity), color, b.String())
}

// Layout of the importance chart.
const (
	importanceW    = 1120
	importanceRow  = 22
	maxNameRunes   = 44
	importanceBarH = 0.7 // share of a row
)

type feature struct {
	name  string
	value float64
}

// rankFeatures returns the finite importances by decreasing magnitude, ties
// by name, and the sum of their magnitudes.
func rankFeatures(imp map[string]float64) ([]feature, float64) {
	var fs []feature
	var total float64
	for name, v := range imp {
		if !finite(v) {
			continue
		}
		fs = append(fs, feature{name, v})
		total += math.Abs(v)
	}
	sort.Slice(fs, func(i, j int) bool {
		if a, b := math.Abs(fs[i].value), math.Abs(fs[j].value); a != b {
			return a > b
		}
		return fs[i].name < fs[j].name
	})
	return fs, total
}

func importancePlot(b *bytes.Buffer, imp map[string]float64) {
	fs, total := rankFeatures(imp)
	fs = fs[:min(len(fs), topFeatures)]
	shares := make([]float64, len(fs))
	lo, hi := 0.0, 0.0
	longest := 0
	for i, f := range fs {
		if total > 0 {
			shares[i] = f.value / total
		}
		lo, hi = min(lo, shares[i]), max(hi, shares[i])
		longest = max(longest, min(utf8.RuneCountInString(f.name), maxNameRunes+1))
	}
	x := niceScale(lo*1.12, hi*1.12, 8) // room for the value labels
	x.percent = true
	y := scale{lo: 0, hi: float64(max(len(fs), 1))}
	p := &plot{b: b, w: importanceW, top: 10, right: 18, bottom: 46, x: x, y: y}
	// Names are sized a little wider than legend text: long snake_case
	// names run wider than the average character.
	p.left = max(80, 20+float64(longest)*(charWidth+0.4))
	p.h = p.top + p.bottom + float64(max(len(fs), 1))*importanceRow
	p.open("feature importance")
	p.axes("share of total importance", "")
	if len(fs) == 0 {
		p.message("No finite importance values.")
		p.close()
		return
	}
	for i, f := range fs {
		row := float64(len(fs) - 1 - i) // first feature on top
		y0, y1 := row+(1-importanceBarH)/2, row+(1+importanceBarH)/2
		p.rect(0, y0, shares[i], y1, palette[0], 0.85, f.name+": "+fmtNum(f.value, 4))
		name := f.name
		if utf8.RuneCountInString(name) > maxNameRunes {
			name = string([]rune(name)[:maxNameRunes]) + "…"
		}
		cy := p.py(row + 0.5)
		fmt.Fprintf(p.b, `<text x="%s" y="%s" text-anchor="end" dominant-baseline="middle"><title>%s</title>%s</text>`+"\n",
			num(p.left-8), num(cy), esc(f.name), esc(name))
		anchor, dx := "start", 4.0
		if shares[i] < 0 {
			anchor, dx = "end", -4
		}
		fmt.Fprintf(p.b, `<text class="small" x="%s" y="%s" text-anchor="%s" dominant-baseline="middle">%s</text>`+"\n",
			num(p.px(shares[i])+dx), num(cy), anchor, fmtPct(shares[i], 1))
	}
	p.close()
}
