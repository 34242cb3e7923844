package report

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// syntheticSHAP makes SHAP values for n rows of four features whose mean
// absolute values are known: "strong" moves the score with its value
// (high value, positive SHAP), "weak <&>" the other way and less, "sparse"
// is missing in every third row, "zero" never moves it.
func syntheticSHAP(n int) *SHAP {
	rng := rand.New(rand.NewPCG(3, 4))
	s := &SHAP{Features: []string{"zero", "weak <&>", "strong", "sparse"}, Rows: n}
	for i := range n {
		x := rng.NormFloat64()
		w := rng.Float64()
		sp := rng.NormFloat64()
		if i%3 == 0 {
			sp = math.NaN()
		}
		s.X = append(s.X, 5, w, x, sp)
		s.Values = append(s.Values, 0, -0.1*(w-0.5), 0.8*x, 0.2)
	}
	return s
}

func TestWriteSHAP(t *testing.T) {
	in := synthetic(800)
	in.SHAP = syntheticSHAP(1200) // every third row drawn: 400 per feature
	doc := write(t, in)
	if got, want := checkSVG(t, doc), 9; got != want {
		t.Errorf("got %d svg elements, want 9: the seven charts, the mean |SHAP| bars and the beeswarm", got)
	}
	for _, h := range []string{"SHAP importance", "SHAP values per customer"} {
		if !strings.Contains(doc, "<h2>"+h+"</h2>") {
			t.Errorf("no section %q", h)
		}
	}
	// Mean |SHAP|, computed here from the values.
	imp := in.SHAP.meanAbs()
	for _, name := range []string{"strong", "weak <&>", "sparse"} {
		if want := fmtNum(imp[name], 3); !strings.Contains(doc, ">"+want+"<") {
			t.Errorf("mean |SHAP| of %s (%s) not shown", name, want)
		}
	}
	if math.Abs(imp["sparse"]-0.2) > 1e-12 || imp["zero"] != 0 {
		t.Errorf("mean |SHAP| %v: want sparse 0.2 and zero 0", imp)
	}
	if strings.Contains(doc, "weak <&>") || !strings.Contains(doc, "weak &lt;&amp;&gt;") {
		t.Error("feature names are not escaped")
	}
	// The beeswarm holds at most beeswarmMaxRows dots per feature drawn.
	bee := doc[strings.Index(doc, "<h2>SHAP values per customer</h2>"):]
	bee = bee[:strings.Index(bee, "</svg>")]
	dots := strings.Count(bee, "<circle")
	if want := 4*beeswarmMaxRows + 1; dots != want { // and the legend's grey dot
		t.Errorf("beeswarm draws %d dots, want %d (%d per feature and the legend's)", dots, want, beeswarmMaxRows)
	}
	// "strong": its highest values have the largest SHAP values, so its
	// rightmost dot is red and its leftmost blue; "sparse" has grey dots.
	if !strings.Contains(bee, `fill="`+beeColor(beeswarmLevels-1)+`"`) || !strings.Contains(bee, `fill="`+beeColor(0)+`"`) {
		t.Error("beeswarm lacks the low or the high colour")
	}
	if !strings.Contains(bee, `<g fill="`+colGrey+`"`) {
		t.Error("missing values are not drawn grey")
	}
	if s := rightmostColor(t, bee); s != beeColor(beeswarmLevels-1) {
		t.Errorf("the dot with the largest SHAP value has colour %s, want the high colour %s", s, beeColor(beeswarmLevels-1))
	}
	for _, bad := range []string{"NaN", "Inf"} {
		if strings.Contains(bee, bad) {
			t.Errorf("beeswarm contains %q", bad)
		}
	}
	if a, b := doc, write(t, in); a != b {
		t.Error("two writes of the same SHAP input differ")
	}
}

var groupRE = regexp.MustCompile(`<g fill="(#[0-9a-f]{6})" fill-opacity="0.85">((?:<circle [^>]*/>)*)</g>`)
var cxRE = regexp.MustCompile(`cx="([0-9.]+)"`)

// rightmostColor returns the colour of the dot furthest right.
func rightmostColor(t *testing.T, svg string) string {
	t.Helper()
	best, color := -1.0, ""
	for _, g := range groupRE.FindAllStringSubmatch(svg, -1) {
		for _, cx := range cxRE.FindAllStringSubmatch(g[2], -1) {
			var x float64
			fmt.Sscan(cx[1], &x)
			if x > best {
				best, color = x, g[1]
			}
		}
	}
	return color
}

func TestWriteSHAPLengthMismatch(t *testing.T) {
	in := synthetic(300)
	in.SHAP = syntheticSHAP(10)
	in.SHAP.Values = in.SHAP.Values[:len(in.SHAP.Values)-1]
	if err := Write(&strings.Builder{}, in); !errors.Is(err, ErrLengthMismatch) {
		t.Errorf("short SHAP values: error %v, want ErrLengthMismatch", err)
	}
	in.SHAP = syntheticSHAP(10)
	in.SHAP.X = in.SHAP.X[:3]
	if err := Write(&strings.Builder{}, in); !errors.Is(err, ErrLengthMismatch) {
		t.Errorf("short feature values: error %v, want ErrLengthMismatch", err)
	}
}

func TestWriteSHAPEmpty(t *testing.T) {
	in := synthetic(300)
	in.SHAP = &SHAP{Features: []string{"a"}}
	doc := write(t, in)
	if !strings.Contains(doc, "No SHAP values were given.") {
		t.Error("an empty SHAP input does not say so")
	}
}
