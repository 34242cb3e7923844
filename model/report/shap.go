package report

import (
	"bytes"
	"fmt"
	"math"
	"sort"
	"unicode/utf8"
)

// SHAP holds the SHAP values (margin contributions, log-odds) of a sample
// of holdout rows, for the mean |SHAP| chart and the beeswarm.
type SHAP struct {
	Features []string
	Rows     int
	// Values holds Rows x len(Features) contributions, row by row.
	Values []float64
	// X holds the same rows' feature values in the same layout; they colour
	// the beeswarm. NaN is missing (drawn grey); nil draws every point grey.
	X []float64
}

func (s *SHAP) check() error {
	n := s.Rows * len(s.Features)
	if s.Rows < 0 || len(s.Values) != n || (s.X != nil && len(s.X) != n) {
		return fmt.Errorf("shap: %d values and %d feature values for %d rows x %d features: %w",
			len(s.Values), len(s.X), s.Rows, len(s.Features), ErrLengthMismatch)
	}
	return nil
}

// meanAbs returns each feature's mean absolute SHAP value over the rows
// with a finite value.
func (s *SHAP) meanAbs() map[string]float64 {
	out := make(map[string]float64, len(s.Features))
	cols := len(s.Features)
	for j, name := range s.Features {
		var sum float64
		n := 0
		for i := range s.Rows {
			if v := s.Values[i*cols+j]; finite(v) {
				sum += math.Abs(v)
				n++
			}
		}
		if n > 0 {
			out[name] = sum / float64(n)
		}
	}
	return out
}

// Layout of the beeswarm.
const (
	beeswarmFeatures = 15  // rows of the beeswarm: the features of largest mean |SHAP|
	beeswarmMaxRows  = 400 // points per feature, an even stride over the rows
	beeswarmRow      = 30  // pixels per feature
	beeswarmBins     = 100 // horizontal bins in which points stack
	beeswarmLevels   = 11  // colour steps from low to high feature value
	beeswarmLegendW  = 70
)

// Beeswarm colours: low feature values blue, high red, as SHAP draws them.
var (
	beeLow  = [3]float64{0x00, 0x8b, 0xfb}
	beeHigh = [3]float64{0xff, 0x00, 0x51}
)

func beeColor(level int) string {
	t := float64(level) / float64(beeswarmLevels-1)
	var c [3]int
	for k := range c {
		c[k] = int(math.Round(beeLow[k] + t*(beeHigh[k]-beeLow[k])))
	}
	return fmt.Sprintf("#%02x%02x%02x", c[0], c[1], c[2])
}

func writeSHAP(b *bytes.Buffer, s *SHAP) {
	if s == nil {
		return
	}
	imp := s.meanAbs()
	b.WriteString("<section>\n<h2>SHAP importance</h2>\n")
	if s.Rows == 0 || len(imp) == 0 {
		b.WriteString("<p class=\"cap\">No SHAP values were given.</p>\n</section>\n")
		return
	}
	fmt.Fprintf(b, "<p class=\"cap\">Mean absolute SHAP value of the %d features with the largest, over %s of the holdout: how far each feature moves a customer's score (log-odds of churn, before calibration) on average, in either direction.</p>\n",
		min(topFeatures, len(imp)), rows(s.Rows))
	meanAbsPlot(b, imp)
	b.WriteString("</section>\n<section>\n<h2>SHAP values per customer</h2>\n")
	fmt.Fprintf(b, "<p class=\"cap\">Each dot is one customer (%s of the holdout at most): how far the feature moved their score (log-odds of churn) and which way; the colour is the customer's value of the feature, from low (blue) to high (red) within the 5th to 95th percentile, grey when missing. Dots stack where they crowd.</p>\n",
		rows(min(s.Rows, beeswarmMaxRows)))
	beeswarmPlot(b, s, imp)
	b.WriteString("</section>\n")
}

// meanAbsPlot draws the mean |SHAP| values as horizontal bars, the largest
// on top.
func meanAbsPlot(b *bytes.Buffer, imp map[string]float64) {
	fs, _ := rankFeatures(imp)
	fs = fs[:min(len(fs), topFeatures)]
	hi := 0.0
	longest := 0
	for _, f := range fs {
		hi = max(hi, f.value)
		longest = max(longest, min(utf8.RuneCountInString(f.name), maxNameRunes+1))
	}
	x := niceScale(0, hi*1.15, 8)
	y := scale{lo: 0, hi: float64(max(len(fs), 1))}
	p := &plot{b: b, w: importanceW, top: 10, right: 18, bottom: 46, x: x, y: y}
	p.left = max(80, 20+float64(longest)*(charWidth+0.4))
	p.h = p.top + p.bottom + float64(max(len(fs), 1))*importanceRow
	p.open("mean absolute SHAP value")
	p.axes("mean |SHAP value| (log-odds)", "")
	for i, f := range fs {
		row := float64(len(fs) - 1 - i)
		y0, y1 := row+(1-importanceBarH)/2, row+(1+importanceBarH)/2
		p.rect(0, y0, f.value, y1, palette[0], 0.85, f.name+": "+fmtNum(f.value, 4))
		featureLabel(p, f.name, row)
		fmt.Fprintf(p.b, `<text class="small" x="%s" y="%s" text-anchor="start" dominant-baseline="middle">%s</text>`+"\n",
			num(p.px(f.value)+4), num(p.py(row+0.5)), fmtNum(f.value, 3))
	}
	p.close()
}

// featureLabel writes a feature's name left of its row, shortened when
// long, with the full name as a tooltip.
func featureLabel(p *plot, name string, row float64) {
	short := name
	if utf8.RuneCountInString(short) > maxNameRunes {
		short = string([]rune(short)[:maxNameRunes]) + "…"
	}
	fmt.Fprintf(p.b, `<text x="%s" y="%s" text-anchor="end" dominant-baseline="middle"><title>%s</title>%s</text>`+"\n",
		num(p.left-8), num(p.py(row+0.5)), esc(name), esc(short))
}

// beeswarmPlot draws one row of dots per feature, the features of largest
// mean |SHAP| on top. Dots that fall in the same of beeswarmBins
// horizontal bins stack alternately above and below the row's centre, in
// row order, as SHAP's summary plot stacks them (without its shuffle, so
// the same input draws the same picture).
func beeswarmPlot(b *bytes.Buffer, s *SHAP, imp map[string]float64) {
	fs, _ := rankFeatures(imp)
	fs = fs[:min(len(fs), beeswarmFeatures)]
	cols := len(s.Features)
	col := make(map[string]int, cols)
	for j, name := range s.Features {
		col[name] = j
	}
	stride := (s.Rows + beeswarmMaxRows - 1) / beeswarmMaxRows
	var picked []int
	for i := 0; i < s.Rows; i += stride {
		picked = append(picked, i)
	}
	lo, hi := 0.0, 0.0
	longest := 0
	for _, f := range fs {
		j := col[f.name]
		for _, i := range picked {
			if v := s.Values[i*cols+j]; finite(v) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
		longest = max(longest, min(utf8.RuneCountInString(f.name), maxNameRunes+1))
	}
	x := niceScale(lo, hi, 8)
	y := scale{lo: 0, hi: float64(max(len(fs), 1))}
	p := &plot{b: b, w: importanceW, top: 10, right: 18 + beeswarmLegendW, bottom: 46, x: x, y: y}
	p.left = max(80, 20+float64(longest)*(charWidth+0.4))
	p.h = p.top + p.bottom + float64(max(len(fs), 1))*beeswarmRow
	p.open("SHAP values per customer")
	p.axes("SHAP value (effect on the log-odds of churn)", "")
	fmt.Fprintf(p.b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`+"\n",
		num(p.px(0)), num(p.top), num(p.px(0)), num(p.h-p.bottom), colGrey)
	for i, f := range fs {
		row := float64(len(fs) - 1 - i)
		featureLabel(p, f.name, row)
		beeswarmRowDots(p, s, col[f.name], picked, row)
	}
	beeswarmLegend(p)
	p.close()
}

// beeswarmRowDots draws feature j's dots on one row, grouped by colour so
// that each dot is a short element.
func beeswarmRowDots(p *plot, s *SHAP, j int, picked []int, row float64) {
	cols := len(s.Features)
	// Colour scale: the 5th to 95th percentile of the feature's values.
	var vals []float64
	if s.X != nil {
		for _, i := range picked {
			if v := s.X[i*cols+j]; finite(v) {
				vals = append(vals, v)
			}
		}
	}
	sort.Float64s(vals)
	vlo, vhi := 0.0, 0.0
	if len(vals) > 0 {
		vlo, vhi = vals[int(0.05*float64(len(vals)-1))], vals[int(0.95*float64(len(vals)-1))]
		if vhi <= vlo {
			vlo, vhi = vals[0], vals[len(vals)-1]
		}
	}
	// Stack the dots: the layer within a bin alternates above and below.
	type dot struct {
		x     float64
		layer int
		color int // -1: missing or no values
	}
	dots := make([]dot, 0, len(picked))
	layers := map[int]int{}
	maxLayer := 1
	for _, i := range picked {
		v := s.Values[i*cols+j]
		if !finite(v) {
			continue
		}
		bin := int(math.Round(float64(beeswarmBins) * (v - p.x.lo) / (p.x.hi - p.x.lo)))
		layer := layers[bin]
		layers[bin]++
		maxLayer = max(maxLayer, (layer+1)/2)
		c := -1
		if s.X != nil {
			if xv := s.X[i*cols+j]; finite(xv) {
				t := 0.5
				if vhi > vlo {
					t = min(1, max(0, (xv-vlo)/(vhi-vlo)))
				}
				c = int(math.Round(t * float64(beeswarmLevels-1)))
			}
		}
		dots = append(dots, dot{x: v, layer: layer, color: c})
	}
	half := 0.42 * beeswarmRow // pixels from the centre to the outermost dot
	step := min(2.5, half/float64(maxLayer))
	cy := p.py(row + 0.5)
	for c := -1; c < beeswarmLevels; c++ {
		color := colGrey
		if c >= 0 {
			color = beeColor(c)
		}
		opened := false
		for _, d := range dots {
			if d.color != c {
				continue
			}
			if !opened {
				fmt.Fprintf(p.b, `<g fill="%s" fill-opacity="0.85">`, color)
				opened = true
			}
			off := float64((d.layer+1)/2) * step
			if d.layer%2 == 1 {
				off = -off
			}
			fmt.Fprintf(p.b, `<circle cx="%s" cy="%s" r="2.2"/>`, num(p.px(d.x)), num(cy+off))
		}
		if opened {
			p.b.WriteString("</g>\n")
		}
	}
}

// beeswarmLegend draws the colour scale right of the plot.
func beeswarmLegend(p *plot) {
	x := p.w - p.right + 20
	top, bottom := p.top+10, p.h-p.bottom-40
	if bottom-top < 40 {
		bottom = top + 40
	}
	h := (bottom - top) / beeswarmLevels
	for c := range beeswarmLevels {
		y := bottom - float64(c+1)*h
		fmt.Fprintf(p.b, `<rect x="%s" y="%s" width="10" height="%s" fill="%s"/>`+"\n", num(x), num(y), num(h+0.5), beeColor(c))
	}
	fmt.Fprintf(p.b, `<text class="small" x="%s" y="%s">high</text>`+"\n", num(x+14), num(top+4))
	fmt.Fprintf(p.b, `<text class="small" x="%s" y="%s">low</text>`+"\n", num(x+14), num(bottom))
	fmt.Fprintf(p.b, `<circle cx="%s" cy="%s" r="3" fill="%s"/>`+"\n", num(x+5), num(bottom+18), colGrey)
	fmt.Fprintf(p.b, `<text class="small" x="%s" y="%s" dominant-baseline="middle">missing</text>`+"\n", num(x+14), num(bottom+18))
}
