package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"regexp"
	"strings"
	"testing"

	"churn/model/eval"
)

// sample names a file to write the synthetic report to, for looking at it
// in a browser: go test ./model/report -run TestWrite$ -sample /tmp/report.html
var sample = flag.String("sample", "", "write the synthetic report to this HTML file")

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// synthetic builds a holdout of n rows where churn depends on one latent
// risk: the model sees it with little noise, the baselines with more, and
// the uncalibrated scores are overconfident. Every 97th label is missing.
func synthetic(n int) Input {
	rng := rand.New(rand.NewPCG(4, 8))
	in := Input{
		Title:    "Churn model v0003",
		Subtitle: "model v0003 (gbt), as of 2026-11-01, data fingerprint 9f2c41e7",
		Prob:     make([]float64, n), Label: make([]float64, n), Uncalibrated: make([]float64, n),
		Baselines: []Baseline{
			{Name: "days since last activity", Prob: make([]float64, n)},
			{Name: "logistic", Prob: make([]float64, n)},
		},
	}
	plans := []string{"basic", "standard", "premium"}
	plan := make([]string, n)
	for i := range n {
		z := rng.NormFloat64()
		if rng.Float64() < sigmoid(-2.2+1.4*z) {
			in.Label[i] = 1
		}
		if i%97 == 96 {
			in.Label[i] = math.NaN()
		}
		seen := z + 0.45*rng.NormFloat64()
		in.Prob[i] = sigmoid(-2.1 + 1.25*seen)
		in.Uncalibrated[i] = sigmoid(-1.0 + 2.2*seen)
		in.Baselines[0].Prob[i] = sigmoid(-2 + 0.7*(z+1.1*rng.NormFloat64()))
		in.Baselines[1].Prob[i] = sigmoid(-2.1 + 1.1*(z+0.7*rng.NormFloat64()))
		plan[i] = plans[i%3]
	}
	in.Importance = map[string]float64{}
	names := []string{"sessions_per_week_trend", "days_since_last_activity", "negative_tickets_30d", "nps_last",
		"onboarding_activation", "tenure_days", "monthly_charge", "payment_failures_90d", "share_of_core_actions",
		"ticket_resolution_hours", "a_feature_with_a_name_long_enough_to_need_truncation_in_the_chart"}
	for i, name := range names {
		in.Importance[name] = 1000 / float64(i+1)
	}
	for i := range 20 {
		in.Importance[fmt.Sprintf("feature_%02d", i)] = float64(20 - i)
	}
	in.Cutoffs = []CutoffRow{
		{"2026-03-01", "train", 41210, 41210, 0.112},
		{"2026-04-01", "train", 42007, 42007, 0.118},
		{"2026-05-01", "validation", 42950, 42950, 0.121},
		{"2026-06-01", "calibration", 43512, 43512, 0.119},
		{"2026-07-01", "test", 44100, 44100, 0.124},
		{"2026-11-01", "score", 45020, 0, math.NaN()},
	}
	in.Groups = map[string]map[string]eval.Report{
		"plan": eval.EvaluateBy(in.Prob, in.Label, plan),
	}
	in.Notes = []string{
		"auto chose gbt: validation ROC AUC 0.781 against 0.752 for logistic.",
		"Isotonic calibration kept: Brier 0.0912 against 0.0915 for Platt.",
	}
	return in
}

func write(t *testing.T, in Input) string {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, in); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return b.String()
}

var svgRE = regexp.MustCompile(`(?s)<svg.*?</svg>`)

// checkSVG parses every SVG of doc as XML and returns how many there are.
func checkSVG(t *testing.T, doc string) int {
	t.Helper()
	svgs := svgRE.FindAllString(doc, -1)
	for i, s := range svgs {
		d := xml.NewDecoder(strings.NewReader(s))
		for {
			_, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("svg %d is not well-formed XML: %v", i, err)
			}
		}
	}
	return len(svgs)
}

func TestWrite(t *testing.T) {
	in := synthetic(4000)
	doc := write(t, in)
	if *sample != "" {
		if err := os.WriteFile(*sample, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Six charts in the grid and the importance bars.
	if got, want := checkSVG(t, doc), 7; got != want {
		t.Errorf("got %d svg elements, want %d", got, want)
	}
	for _, h := range []string{"Metrics", "ROC curve", "Precision-recall curve", "Reliability", "Cumulative gains",
		"Lift by decile", "Score distribution", "Feature importance", "Data per cutoff", "Metrics by group", "Notes"} {
		if !strings.Contains(doc, "<h2>"+h+"</h2>") {
			t.Errorf("no section %q", h)
		}
	}
	model := eval.Evaluate(in.Prob, in.Label)
	uncal := eval.Evaluate(in.Uncalibrated, in.Label)
	base := eval.Evaluate(in.Baselines[0].Prob, in.Label)
	for _, want := range []string{
		fmt.Sprintf("%.3f", model.ROCAUC), fmt.Sprintf("%.3f", model.PRAUC), fmt.Sprintf("%.4f", model.LogLoss),
		fmt.Sprintf("%.4f", model.Brier), fmt.Sprintf("%.4f", model.ECE), fmt.Sprintf("%.2f", model.LiftTopDecile),
		fmt.Sprintf("%.1f%%", 100*model.CaptureTopDecile), fmt.Sprintf("%.1f%%", 100*model.PrecisionAtK),
		fmt.Sprintf("%.4f", uncal.ECE), fmt.Sprintf("%.3f", base.ROCAUC), fmt.Sprintf("%.4f", base.Brier),
		"days since last activity", "logistic", "precision at 100", "41,210", "calibration", "standard",
		"Isotonic calibration kept", "sessions_per_week_trend",
		fmt.Sprintf("%d rows without a label skipped", model.MissingLabels),
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if model.MissingLabels == 0 {
		t.Errorf("synthetic input has no missing labels: the skip is untested")
	}
	for _, bad := range []string{"NaN", "Inf", "http://", "https://"} {
		// The SVG namespace is a name, not a fetch.
		if strings.Contains(strings.ReplaceAll(doc, `xmlns="http://www.w3.org/2000/svg"`, ""), bad) {
			t.Errorf("report contains %q", bad)
		}
	}
	// 25 feature names drawn, the 26th not.
	if !strings.Contains(doc, ">feature_13<") || strings.Contains(doc, ">feature_14<") {
		t.Errorf("importance chart does not stop at the top %d", topFeatures)
	}
}

func TestWriteDeterministic(t *testing.T) {
	in := synthetic(1500)
	a := write(t, in)
	for range 3 {
		if b := write(t, in); a != b {
			t.Fatalf("two writes of the same input differ")
		}
	}
}

func TestWriteEscapes(t *testing.T) {
	in := synthetic(300)
	in.Title = `Churn & "friends"`
	in.Importance[`<script>alert(1)</script>`] = 5000
	in.Baselines[0].Name = `<img src=x onerror=alert(2)>`
	in.Groups["<plan>"] = map[string]eval.Report{"<b>gold</b>": eval.Evaluate(in.Prob, in.Label)}
	in.Cutoffs[0].Role = "<i>train</i>"
	in.Notes = append(in.Notes, "</li><script>alert(3)</script>")
	doc := write(t, in)
	for _, raw := range []string{"<script", "<img", "<b>gold", "<i>train", "<plan>", `Churn & "friends"`} {
		if strings.Contains(doc, raw) {
			t.Errorf("unescaped %q in the report", raw)
		}
	}
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x onerror=alert(2)&gt;", "Churn &amp; &#34;friends&#34;"} {
		if !strings.Contains(doc, want) {
			t.Errorf("report lacks escaped %q", want)
		}
	}
	checkSVG(t, doc)
}

func TestWriteDegenerate(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name string
		in   Input
		want string // a message the report must give
	}{
		{"empty", Input{}, "No labelled rows."},
		{"all stayed", Input{Prob: []float64{0.1, 0.2, 0.3}, Label: []float64{0, 0, 0},
			Baselines: []Baseline{{"recency", []float64{0.5, 0.5, 0.5}}}}, msgOneClass},
		{"all churned", Input{Prob: []float64{0.1, 0.9}, Label: []float64{1, 1}, Uncalibrated: []float64{0.2, 0.8}}, msgOneClass},
		{"all labels NaN", Input{Prob: []float64{0.1, 0.9}, Label: []float64{nan, nan}}, "No labelled rows."},
		{"NaN labels and scores", Input{Prob: []float64{0.1, nan, 0.7, 0.4}, Label: []float64{0, 1, nan, 1},
			Baselines: []Baseline{}}, "1 row without a label skipped"},
		{"constant scores", Input{Prob: []float64{0.3, 0.3, 0.3, 0.3}, Label: []float64{0, 1, 0, 1},
			Importance: map[string]float64{"a": 0, "b": 0}}, "base rate 50.0%"},
		{"non-finite importance", Input{Prob: []float64{0.2, 0.6}, Label: []float64{0, 1},
			Importance: map[string]float64{"inf": math.Inf(1), "nan": nan}}, "No finite importance values."},
		{"scores outside [0,1]", Input{Prob: []float64{-3, 0.5, 7}, Label: []float64{0, 1, 1}}, "AUC 1.000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := write(t, tt.in)
			checkSVG(t, doc)
			for _, bad := range []string{"NaN", "Inf"} {
				if strings.Contains(doc, bad) {
					t.Errorf("report contains %q", bad)
				}
			}
			if !strings.Contains(doc, tt.want) {
				t.Errorf("report lacks %q", tt.want)
			}
		})
	}
}

func TestWriteLengthMismatch(t *testing.T) {
	y := []float64{0, 1, 0}
	p := []float64{0.1, 0.8, 0.3}
	tests := []struct {
		name string
		in   Input
	}{
		{"prob", Input{Prob: p[:2], Label: y}},
		{"uncalibrated", Input{Prob: p, Label: y, Uncalibrated: p[:1]}},
		{"baseline", Input{Prob: p, Label: y, Baselines: []Baseline{{"recency", p[:2]}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			err := Write(&b, tt.in)
			if !errors.Is(err, ErrLengthMismatch) {
				t.Errorf("got error %v, want %v", err, ErrLengthMismatch)
			}
			if b.Len() != 0 {
				t.Errorf("wrote %d bytes before failing", b.Len())
			}
		})
	}
}

type failWriter struct{}

var errDiskFull = errors.New("disk full")

func (failWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestWriteReturnsWriterError(t *testing.T) {
	if err := Write(failWriter{}, synthetic(50)); !errors.Is(err, errDiskFull) {
		t.Errorf("got %v, want %v", err, errDiskFull)
	}
}

func TestCurvesThinned(t *testing.T) {
	doc := write(t, synthetic(20000))
	for _, m := range regexp.MustCompile(`points="([^"]*)"`).FindAllStringSubmatch(doc, -1) {
		if n := len(strings.Fields(m[1])); n > maxCurvePoints+2 {
			t.Errorf("a curve has %d points, want at most %d", n, maxCurvePoints+2)
		}
	}
	// Measured at 20,000 rows: about 120 kB; the bound leaves room for
	// styling, not for unthinned curves (those add ~1 MB).
	if len(doc) > 250_000 {
		t.Errorf("report is %d bytes, want at most 250,000", len(doc))
	}
}

func TestThin(t *testing.T) {
	pts := make([]eval.Point, 1001)
	for i := range pts {
		pts[i] = eval.Point{X: float64(i)}
	}
	got := thin(pts, 11)
	if len(got) != 11 || got[0].X != 0 || got[10].X != 1000 || got[5].X != 500 {
		t.Errorf("thin(1001 points, 11) = %v", got)
	}
	if got := thin(pts[:5], 11); len(got) != 5 {
		t.Errorf("thin kept %d of 5 points, want all", len(got))
	}
}

func TestNiceScale(t *testing.T) {
	tests := []struct {
		name           string
		lo, hi         float64
		n              int
		wantLo, wantHi float64
		wantTicks      int
		wantLabel      string // of the second tick
	}{
		{"lift", 0, 4.3, 5, 0, 5, 6, "1"},
		{"shares", 0, 0.137, 5, 0, 0.14, 8, "0.02"},
		{"negative", -0.03, 0.26, 8, -0.05, 0.3, 8, "0.00"},
		{"degenerate", 0, 0, 5, 0, 1, 6, "0.2"},
		{"NaN", math.NaN(), 1, 5, 0, 1, 6, "0.2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := niceScale(tt.lo, tt.hi, tt.n)
			if math.Abs(s.lo-tt.wantLo) > 1e-12 || math.Abs(s.hi-tt.wantHi) > 1e-12 || len(s.ticks) != tt.wantTicks {
				t.Fatalf("got [%v, %v] with %d ticks, want [%v, %v] with %d", s.lo, s.hi, len(s.ticks), tt.wantLo, tt.wantHi, tt.wantTicks)
			}
			if got := s.label(s.ticks[1]); got != tt.wantLabel {
				t.Errorf("second tick label %q, want %q", got, tt.wantLabel)
			}
		})
	}
}

func TestDecileLift(t *testing.T) {
	// 20 rows by falling score; churners at ranks 0, 1, 2 and 19: the first
	// decile (2 rows) holds 2 of 4 churners on 1/10 of the rows, lift 5.
	p := make([]float64, 20)
	y := make([]float64, 20)
	for i := range p {
		p[i] = float64(20-i) / 20
	}
	y[0], y[1], y[2], y[19] = 1, 1, 1, 1
	got := decileLift(run{p: p, y: y})
	want := []float64{5, 2.5, 0, 0, 0, 0, 0, 0, 0, 2.5}
	for d := range want {
		if math.Abs(got[d]-want[d]) > 1e-12 {
			t.Errorf("decile %d: got lift %v, want %v", d+1, got[d], want[d])
		}
	}
}

func TestFmtInt(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 540715: "540,715", -1234567: "-1,234,567"} {
		if got := fmtInt(n); got != want {
			t.Errorf("fmtInt(%d) = %q, want %q", n, got, want)
		}
	}
}

var update = flag.Bool("update", false, "rewrite testdata/report.golden.html")

// TestGolden holds the whole document of a small synthetic input, so that a
// change to any chart shows in review. Look at the file in a browser before
// accepting it with -update.
func TestGolden(t *testing.T) {
	doc := write(t, synthetic(400))
	const golden = "testdata/report.golden.html"
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if doc != string(want) {
		t.Errorf("report differs from %s; run with -update and look at it", golden)
	}
}
