package plot

import (
	"encoding/xml"
	"math"
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

func TestLines(t *testing.T) {
	for _, tc := range []struct {
		name   string
		series []Series
		points int // coordinates pairs expected in all polylines
	}{
		{"two series", []Series{{Name: "a<b", X: []float64{0, 1, 2}, Y: []float64{0, 1, 4}}, {Name: "ref", X: []float64{0, 2}, Y: []float64{0, 4}, Dash: true}}, 5},
		{"NaN skipped", []Series{{Name: "n", X: []float64{0, 1, 2}, Y: []float64{1, math.NaN(), 3}}}, 2},
		{"empty", []Series{{Name: "e"}}, 0},
		{"flat", []Series{{Name: "f", X: []float64{1, 1}, Y: []float64{2, 2}}}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svg := Lines(Chart{Title: "t & u", XLabel: "x", YLabel: "y"}, tc.series...)
			wellFormed(t, svg)
			if got := strings.Count(svg, ","); got < tc.points {
				t.Errorf("got %d coordinate pairs, want at least %d", got, tc.points)
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
