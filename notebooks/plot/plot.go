// Package plot draws the small SVG charts of the notebooks: line charts with
// several series and bar charts, self-contained and dependency-free, for
// gonbui.DisplaySVG / DisplayHTML.
package plot

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// Series is one named line of (X, Y) points; NaN points are skipped.
type Series struct {
	Name string
	X, Y []float64
	Dash bool // dashed line, for references such as a diagonal
}

// Chart describes the axes shared by Lines and Bars.
type Chart struct {
	Title, XLabel, YLabel string
	W, H                  int // pixels; 0 means 480 x 300
}

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"}

const padL, padR, padT, padB = 56, 12, 28, 42

func (c Chart) size() (w, h float64) {
	if c.W <= 0 || c.H <= 0 {
		return 480, 300
	}
	return float64(c.W), float64(c.H)
}

// bounds returns the data range of all series, padded when empty or flat.
func bounds(ss []Series) (x0, x1, y0, y1 float64) {
	x0, y0 = math.Inf(1), math.Inf(1)
	x1, y1 = math.Inf(-1), math.Inf(-1)
	for _, s := range ss {
		for i := range s.X {
			if i >= len(s.Y) || math.IsNaN(s.X[i]) || math.IsNaN(s.Y[i]) {
				continue
			}
			x0, x1 = math.Min(x0, s.X[i]), math.Max(x1, s.X[i])
			y0, y1 = math.Min(y0, s.Y[i]), math.Max(y1, s.Y[i])
		}
	}
	if math.IsInf(x0, 0) {
		return 0, 1, 0, 1
	}
	if x1 == x0 {
		x0, x1 = x0-0.5, x1+0.5
	}
	if y1 == y0 {
		y0, y1 = y0-0.5, y1+0.5
	}
	if y0 > 0 && y0 < 0.25*y1 {
		y0 = 0 // counts and rates read better from zero
	}
	return
}

// frame writes the SVG header, axes with 5 ticks each, title and labels,
// and returns the data-to-pixel mappings.
func (c Chart) frame(b *strings.Builder, x0, x1, y0, y1 float64, xTicks bool) (px, py func(float64) float64) {
	w, h := c.size()
	px = func(x float64) float64 { return padL + (x-x0)/(x1-x0)*(w-padL-padR) }
	py = func(y float64) float64 { return h - padB - (y-y0)/(y1-y0)*(h-padT-padB) }
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" font-family="sans-serif" font-size="11">`, w, h)
	fmt.Fprintf(b, `<rect width="%g" height="%g" fill="white"/>`, w, h)
	fmt.Fprintf(b, `<text x="%g" y="16" text-anchor="middle" font-size="13" font-weight="bold">%s</text>`, w/2, html.EscapeString(c.Title))
	fmt.Fprintf(b, `<line x1="%d" y1="%g" x2="%g" y2="%g" stroke="black"/>`, padL, h-padB, w-padR, h-padB)
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%g" stroke="black"/>`, padL, padT, padL, h-padB)
	for i := 0; i <= 4; i++ {
		xv := x0 + float64(i)/4*(x1-x0)
		yv := y0 + float64(i)/4*(y1-y0)
		if xTicks {
			fmt.Fprintf(b, `<text x="%.1f" y="%g" text-anchor="middle">%s</text>`, px(xv), h-padB+14, tick(xv, x1-x0))
		}
		fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`, padL-4, py(yv)+4, tick(yv, y1-y0))
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%g" y2="%.1f" stroke="#eee"/>`, padL+1, py(yv), w-padR, py(yv))
	}
	fmt.Fprintf(b, `<text x="%g" y="%g" text-anchor="middle">%s</text>`, (w+padL)/2, h-8, html.EscapeString(c.XLabel))
	fmt.Fprintf(b, `<text x="14" y="%g" text-anchor="middle" transform="rotate(-90 14 %g)">%s</text>`, h/2, h/2, html.EscapeString(c.YLabel))
	return px, py
}

// tick formats an axis value; values tiny against the axis span are 0.
func tick(v, span float64) string {
	if math.Abs(v) < 1e-6*span {
		v = 0
	}
	a := math.Abs(v)
	switch {
	case a >= 1000:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.3g", v)
	}
}

func legend(b *strings.Builder, names []string) {
	for i, n := range names {
		y := padT + 6 + 14*i
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d">%s</text>`,
			padL+8, y, palette[i%len(palette)], padL+22, y+9, html.EscapeString(n))
	}
}

// Lines draws each series as a polyline over shared axes, with a legend.
func Lines(c Chart, ss ...Series) string {
	var b strings.Builder
	x0, x1, y0, y1 := bounds(ss)
	px, py := c.frame(&b, x0, x1, y0, y1, true)
	var names []string
	for k, s := range ss {
		var pts []string
		for i := range s.X {
			if i < len(s.Y) && !math.IsNaN(s.X[i]) && !math.IsNaN(s.Y[i]) {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(s.X[i]), py(s.Y[i])))
			}
		}
		dash := ""
		if s.Dash {
			dash = ` stroke-dasharray="5,4"`
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2"%s points="%s"/>`,
			palette[k%len(palette)], dash, strings.Join(pts, " "))
		names = append(names, s.Name)
	}
	legend(&b, names)
	b.WriteString("</svg>")
	return b.String()
}

// Bars draws one bar per label with height values[i]; the y axis starts at
// zero unless a value is negative.
func Bars(c Chart, labels []string, values []float64) string {
	var b strings.Builder
	n := float64(len(values))
	lo, hi := 0.0, 0.0
	for _, v := range values {
		if !math.IsNaN(v) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if hi == lo {
		hi = lo + 1
	}
	px, py := c.frame(&b, 0, math.Max(n, 1), lo, hi, false) // bars carry their own labels
	bw := (px(1) - px(0)) * 0.8
	// Label every bar when the labels fit (about 6 px a character), else
	// every k-th.
	longest := 1
	for _, l := range labels {
		longest = max(longest, len(l))
	}
	every := max(1, int(math.Ceil(float64(6*longest+6)/(px(1)-px(0)))))
	for i, v := range values {
		if math.IsNaN(v) {
			continue
		}
		top, bot := py(math.Max(v, 0)), py(math.Min(v, 0))
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %g</title></rect>`,
			px(float64(i))+bw/8, top, bw, bot-top, palette[0], html.EscapeString(labels[i]), v)
		if i < len(labels) && i%every == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="9">%s</text>`,
				px(float64(i)+0.5), py(lo)-3, html.EscapeString(labels[i]))
		}
	}
	b.WriteString("</svg>")
	return b.String()
}
