package plot

import (
	"encoding/xml"
	"html"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
)

// wellFormed parses the SVG as XML so a broken chart fails here, not in a
// browser.
func wellFormed(t *testing.T, svg string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		_, err := d.Token()
		if err != nil {
			if err.Error() == "EOF" {
				return
			}
			t.Fatalf("not well-formed: %v\n%s", err, svg)
		}
	}
}

// polylines returns the points attribute of every polyline of svg, in
// order.
func polylines(t *testing.T, svg string) []string {
	t.Helper()
	var pts []string
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return pts
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, svg)
		}
		if el, ok := tok.(xml.StartElement); ok && el.Name.Local == "polyline" {
			p := ""
			for _, a := range el.Attr {
				if a.Name.Local == "points" {
					p = a.Value
				}
			}
			pts = append(pts, p)
		}
	}
}

func TestLines(t *testing.T) {
	for _, tc := range []struct {
		name   string
		series []Series
		points []int // coordinate pairs in each series' polyline
	}{
		{"two series", []Series{{Name: "a<b", X: []float64{0, 1, 2}, Y: []float64{0, 1, 4}}, {Name: "ref", X: []float64{0, 2}, Y: []float64{0, 4}, Dash: true}}, []int{3, 2}},
		{"NaN skipped", []Series{{Name: "n", X: []float64{0, 1, 2}, Y: []float64{1, math.NaN(), 3}}}, []int{2}},
		{"empty", []Series{{Name: "e"}}, []int{0}},
		{"Y shorter than X", []Series{{Name: "s", X: []float64{0, 1, 2}, Y: []float64{5}}}, []int{1}},
		{"flat", []Series{{Name: "f", X: []float64{1, 1}, Y: []float64{2, 2}}}, []int{2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svg := Lines(Chart{Title: "t & u", XLabel: "x", YLabel: "y"}, tc.series...)
			wellFormed(t, svg)
			lines := polylines(t, svg)
			if len(lines) != len(tc.points) {
				t.Fatalf("got %d polylines, want %d (one per series)", len(lines), len(tc.points))
			}
			for k, pts := range lines {
				pairs := strings.Fields(pts)
				if len(pairs) != tc.points[k] {
					t.Errorf("series %d: got %d coordinate pairs %q, want %d", k, len(pairs), pts, tc.points[k])
				}
				for _, pair := range pairs {
					x, y, ok := strings.Cut(pair, ",")
					_, errX := strconv.ParseFloat(x, 64)
					_, errY := strconv.ParseFloat(y, 64)
					if !ok || errX != nil || errY != nil {
						t.Errorf("series %d: coordinate pair %q is not two numbers", k, pair)
					}
				}
			}
			for _, s := range tc.series {
				if !strings.Contains(svg, html.EscapeString(s.Name)) {
					t.Errorf("legend lacks series %q", s.Name)
				}
			}
			if strings.Contains(svg, "NaN") || strings.Contains(svg, "Inf") {
				t.Errorf("non-finite coordinate in %s", svg)
			}
		})
	}
}

func TestBars(t *testing.T) {
	svg := Bars(Chart{Title: "b", W: 300, H: 200}, []string{"a", "b", "c"}, []float64{1, -2, math.NaN()})
	wellFormed(t, svg)
	if got, want := strings.Count(svg, "<rect"), 1+2; got != want { // background + 2 bars
		t.Errorf("got %d rects, want %d", got, want)
	}
}

func TestTick(t *testing.T) {
	for _, tc := range []struct {
		v, span float64
		want    string
	}{
		{3e-9, 0.9, "0"},
		{0.25, 1, "0.25"},
		{12.345, 100, "12.3"},
		{4339, 4000, "4339"},
	} {
		if got := tick(tc.v, tc.span); got != tc.want {
			t.Errorf("tick(%v, %v) = %q, want %q", tc.v, tc.span, got, tc.want)
		}
	}
}
