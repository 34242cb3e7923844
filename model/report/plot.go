package report

import (
	"bytes"
	"fmt"
	"html"
	"math"
	"strconv"
	"unicode/utf8"

	"churn/model/eval"
)

// maxCurvePoints bounds the points drawn per curve, so that a holdout of a
// million rows still gives a file of a few hundred kilobytes.
const maxCurvePoints = 300

// Colours, from the Okabe-Ito palette, which stays distinct under the common
// colour-vision deficiencies. The model is always the first.
var palette = []string{"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999933", "#000000"}

const (
	colStayed  = "#0072B2"
	colChurned = "#D55E00"
	colGrey    = "#888888"
)

// charWidth is the approximate advance of one character of the 12 px
// sans-serif plot font; legends and margins are sized with it.
const charWidth = 6.6

// scale maps a data interval onto an axis and carries its ticks.
type scale struct {
	lo, hi  float64
	ticks   []float64
	dec     int  // decimals of the tick labels
	percent bool // tick labels as percentages of 1
	// categorical axes label their ticks but draw no grid lines through
	// the bars.
	categorical bool
}

// unitScale is the [0, 1] axis of rates and probabilities.
func unitScale() scale {
	return scale{lo: 0, hi: 1, ticks: []float64{0, 0.2, 0.4, 0.6, 0.8, 1}, dec: 1}
}

// niceScale covers [lo, hi] with about n intervals at steps of 1, 2 or 5
// times a power of ten. A degenerate or non-finite interval becomes [0, 1].
func niceScale(lo, hi float64, n int) scale {
	if math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) || hi <= lo {
		lo, hi = 0, 1
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	// Take the step whose tick count comes nearest n, the larger on a tie.
	step := 10 * mag
	for _, m := range []float64{5, 2, 1} {
		if math.Abs((hi-lo)/(m*mag)-float64(n)) < math.Abs((hi-lo)/step-float64(n)) {
			step = m * mag
		}
	}
	first := math.Floor(lo/step + 1e-9)
	last := math.Ceil(hi/step - 1e-9)
	s := scale{lo: first * step, hi: last * step, dec: max(0, -int(math.Floor(math.Log10(step)+1e-9)))}
	for i := first; i <= last; i++ {
		s.ticks = append(s.ticks, i*step)
	}
	return s
}

func (s scale) label(v float64) string {
	if s.percent {
		return strconv.FormatFloat(v*100, 'f', max(0, s.dec-2), 64) + "%"
	}
	return strconv.FormatFloat(v, 'f', s.dec, 64)
}

// plot writes one SVG chart into a buffer: a frame with grid, ticks and axis
// labels, then whatever the caller draws in data coordinates.
type plot struct {
	b                        *bytes.Buffer
	w, h                     float64
	left, right, top, bottom float64
	x, y                     scale
}

// newPlot opens an SVG of w x h pixels and draws its axes.
func newPlot(b *bytes.Buffer, w, h float64, x, y scale, xlabel, ylabel string) *plot {
	p := &plot{b: b, w: w, h: h, left: 58, right: 18, top: 14, bottom: 46, x: x, y: y}
	p.open(xlabel)
	p.axes(xlabel, ylabel)
	return p
}

func (p *plot) open(label string) {
	fmt.Fprintf(p.b, `<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s" role="img" aria-label="%s">`+"\n",
		num(p.w), num(p.h), num(p.w), num(p.h), esc(label))
}

// px and py map data coordinates to pixels.
func (p *plot) px(v float64) float64 {
	return p.left + (v-p.x.lo)/(p.x.hi-p.x.lo)*(p.w-p.left-p.right)
}

func (p *plot) py(v float64) float64 {
	return p.h - p.bottom - (v-p.y.lo)/(p.y.hi-p.y.lo)*(p.h-p.top-p.bottom)
}

func (p *plot) axes(xlabel, ylabel string) {
	x0, x1 := p.left, p.w-p.right
	y0, y1 := p.h-p.bottom, p.top
	for _, t := range p.y.ticks {
		y := p.py(t)
		fmt.Fprintf(p.b, `<line class="grid" x1="%s" y1="%s" x2="%s" y2="%s"/>`+"\n", num(x0), num(y), num(x1), num(y))
		fmt.Fprintf(p.b, `<text class="tick" x="%s" y="%s" text-anchor="end" dominant-baseline="middle">%s</text>`+"\n", num(x0-6), num(y), p.y.label(t))
	}
	for _, t := range p.x.ticks {
		x := p.px(t)
		if !p.x.categorical {
			fmt.Fprintf(p.b, `<line class="grid" x1="%s" y1="%s" x2="%s" y2="%s"/>`+"\n", num(x), num(y0), num(x), num(y1))
		}
		fmt.Fprintf(p.b, `<text class="tick" x="%s" y="%s" text-anchor="middle">%s</text>`+"\n", num(x), num(y0+16), p.x.label(t))
	}
	fmt.Fprintf(p.b, `<rect class="frame" x="%s" y="%s" width="%s" height="%s"/>`+"\n", num(x0), num(y1), num(x1-x0), num(y0-y1))
	fmt.Fprintf(p.b, `<text class="axis" x="%s" y="%s" text-anchor="middle">%s</text>`+"\n", num((x0+x1)/2), num(p.h-8), esc(xlabel))
	if ylabel == "" {
		return
	}
	cy := (y0 + y1) / 2
	fmt.Fprintf(p.b, `<text class="axis" x="14" y="%s" text-anchor="middle" transform="rotate(-90 14 %s)">%s</text>`+"\n", num(cy), num(cy), esc(ylabel))
}

// line draws a polyline through the finite points inside the plot range.
func (p *plot) line(pts []eval.Point, color string, dash bool, width float64) {
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
	if b.Len() == 0 {
		return
	}
	d := ""
	if dash {
		d = ` stroke-dasharray="6 4"`
	}
	fmt.Fprintf(p.b, `<polyline fill="none" stroke="%s" stroke-width="%s"%s stroke-linejoin="round" points="%s"/>`+"\n", color, num(width), d, b.String())
}

// markers draws a dot at each finite point.
func (p *plot) markers(pts []eval.Point, color string, hollow bool) {
	fill := color
	if hollow {
		fill = "#ffffff"
	}
	for _, pt := range pts {
		if !finite(pt.X) || !finite(pt.Y) {
			continue
		}
		fmt.Fprintf(p.b, `<circle cx="%s" cy="%s" r="3.5" fill="%s" stroke="%s" stroke-width="1.5"/>`+"\n", num(p.px(pt.X)), num(p.py(pt.Y)), fill, color)
	}
}

// rect fills the data rectangle [x0, x1] x [y0, y1].
func (p *plot) rect(x0, y0, x1, y1 float64, color string, opacity float64, title string) {
	if !finite(x0) || !finite(y0) || !finite(x1) || !finite(y1) {
		return
	}
	a, b := p.px(min(x0, x1)), p.px(max(x0, x1))
	c, d := p.py(max(y0, y1)), p.py(min(y0, y1))
	t := ""
	if title != "" {
		t = "<title>" + esc(title) + "</title>"
	}
	fmt.Fprintf(p.b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s" fill-opacity="%s">%s</rect>`+"\n",
		num(a), num(c), num(b-a), num(d-c), color, num(opacity), t)
}

// text writes a label at data coordinates, shifted by dy pixels.
func (p *plot) text(x, y, dy float64, anchor, class, s string) {
	if !finite(x) || !finite(y) {
		return
	}
	fmt.Fprintf(p.b, `<text class="%s" x="%s" y="%s" text-anchor="%s">%s</text>`+"\n", class, num(p.px(x)), num(p.py(y)+dy), anchor, esc(s))
}

// message writes a note in the middle of an empty plot.
func (p *plot) message(s string) {
	fmt.Fprintf(p.b, `<text class="axis" x="%s" y="%s" text-anchor="middle">%s</text>`+"\n",
		num((p.left+p.w-p.right)/2), num((p.top+p.h-p.bottom)/2), esc(s))
}

// legendItem is one legend row: a line (dashed or not), a dot, or a swatch.
type legendItem struct {
	label  string
	color  string
	dash   bool
	swatch bool // a filled square instead of a line
	dot    bool // a marker on the line
}

// legend draws a boxed legend in a corner of the plot area: "tl", "tr",
// "bl" or "br".
func (p *plot) legend(items []legendItem, corner string) {
	if len(items) == 0 {
		return
	}
	const row, pad, sample = 17.0, 7.0, 24.0
	longest := 0
	for _, it := range items {
		longest = max(longest, utf8.RuneCountInString(it.label))
	}
	w := pad + sample + 6 + float64(longest)*charWidth + pad
	h := pad + float64(len(items))*row + pad - 4
	x := p.left + 8
	if corner == "tr" || corner == "br" {
		x = p.w - p.right - 8 - w
	}
	y := p.top + 8
	if corner == "bl" || corner == "br" {
		y = p.h - p.bottom - 8 - h
	}
	fmt.Fprintf(p.b, `<g class="legend"><rect class="box" x="%s" y="%s" width="%s" height="%s" rx="3"/>`+"\n", num(x), num(y), num(w), num(h))
	for i, it := range items {
		cy := y + pad + float64(i)*row + row/2 - 2
		sx := x + pad
		switch {
		case it.swatch:
			fmt.Fprintf(p.b, `<rect x="%s" y="%s" width="12" height="10" fill="%s" fill-opacity="0.45" stroke="%s" stroke-width="1"/>`+"\n", num(sx+6), num(cy-5), it.color, it.color)
		default:
			d := ""
			if it.dash {
				d = ` stroke-dasharray="6 4"`
			}
			fmt.Fprintf(p.b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2"%s/>`+"\n", num(sx), num(cy), num(sx+sample), num(cy), it.color, d)
			if it.dot {
				fmt.Fprintf(p.b, `<circle cx="%s" cy="%s" r="3.5" fill="%s"/>`+"\n", num(sx+sample/2), num(cy), it.color)
			}
		}
		fmt.Fprintf(p.b, `<text x="%s" y="%s" dominant-baseline="middle">%s</text>`+"\n", num(sx+sample+6), num(cy), esc(it.label))
	}
	p.b.WriteString("</g>\n")
}

func (p *plot) close() { p.b.WriteString("</svg>\n") }

// thin keeps at most n points of a curve at a fixed index stride, always
// keeping the first and the last.
func thin(pts []eval.Point, n int) []eval.Point {
	if len(pts) <= n || n < 2 {
		return pts
	}
	out := make([]eval.Point, n)
	for i := range out {
		out[i] = pts[i*(len(pts)-1)/(n-1)]
	}
	return out
}

// num formats a pixel coordinate with one decimal. Callers keep NaN and
// infinities out; should one slip through it becomes 0 rather than a token
// that breaks the SVG.
func num(v float64) string {
	if !finite(v) {
		v = 0
	}
	s := strconv.FormatFloat(v, 'f', 1, 64)
	if s == "-0.0" {
		s = "0.0"
	}
	return s
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func esc(s string) string { return html.EscapeString(s) }
