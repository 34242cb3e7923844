package features

import (
	"cmp"
	"math"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestFamilyOf(t *testing.T) {
	tests := []struct {
		name string
		want Family
	}{
		{"core_ratio_30d", FamilyUsage},
		{"days_since_core", FamilyUsage},
		{"engagement_change", FamilyUsage},
		{"sessions_ratio_30d", FamilyVisits},
		{"sessions_vs_baseline", FamilyVisits},
		{"days_since_session", FamilyVisits},
		{"tickets_open", FamilySupport},
		{"csat_mean_90d", FamilySupport},
		{"negative_share_90d", FamilySupport},
		{"nps_latest", FamilyNPS},
		{"days_since_nps", FamilyNPS},
		{"spend_change_30d", FamilySpending},
		{"days_since_order", FamilySpending},
		{"refund_share", FamilySpending},
		// A feature added later joins by prefix, without code.
		{"event_export_share_30d", FamilyUsage},
		{"tenure_days", ""},
		{"margin_mean", ""},
		{"historical_clv", ""},
	}
	for _, tt := range tests {
		if got := familyOf(tt.name); got != tt.want {
			t.Errorf("familyOf(%s) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestEveryFeaturePlaced: every built feature is in a reason family or
// named as never a reason, so a new feature is placed on purpose.
func TestEveryFeaturePlaced(t *testing.T) {
	f := mustBuild(t, DefaultConfig(), []int64{cut}, cut, handHistory())
	for _, n := range f.Names {
		placed := familyOf(n) != ""
		for _, p := range noReasonPrefixes {
			placed = placed || strings.HasPrefix(n, p)
		}
		if !placed {
			t.Errorf("feature %s has no reason family: add a prefix to reasonFamilies in reason.go, or to noReasonPrefixes if it is never a reason to act", n)
		}
	}
}

// reasonFrame is a hand-made frame of five active customers: row 0 is the
// one explained, rows 1-4 set the typical values.
func reasonFrame() *Frame {
	names := []string{
		"sessions_ratio_30d", "sessions_vs_baseline", "sessions_30d", "days_since_order",
		"tickets_open", "nps_latest", "days_since_nps", "margin_mean", "tenure_days",
		"csat_mean_90d", "sentiment_latest", "event_export_share_30d", "core_actions_30d",
		"spend_change_30d", "engagement_score_30d", "spend_30d",
	}
	rows := [][]float64{
		{4.0, 0.38, 3, 64, 3, 3, 36, 0.73, 400, 2.5, -0.4, 0.4, 50, -120, 10, 80},
		{1.0, 1.0, 12, 20, 0, 9, 10, 0.3, 300, 4.5, 0.2, 0.05, 10, 0, 10, 100},
		{1.1, 1.1, 14, 20, 0, 9, 10, 0.3, 300, 4.5, 0.2, 0.05, 10, 0, 10, 100},
		{0.9, 0.9, 9, 25, 0, 8, 10, 0.3, 300, 4.0, 0.2, 0.05, 10, 0, 10, 100},
		{1.0, 1.0, 12, 20, 0, 9, 10, 0.3, 300, 4.5, 0.2, 0.05, 10, 0, 10, 100},
	}
	f := &Frame{Names: names}
	for i, r := range rows {
		f.CustomerID = append(f.CustomerID, string(rune('a'+i)))
		f.Cutoff = append(f.Cutoff, cut)
		f.Status = append(f.Status, Active)
		f.X = append(f.X, r...)
		f.RFMx = append(f.RFMx, 4)
		f.RFMtx = append(f.RFMtx, 60) // a purchase day every 15 days
	}
	return f
}

// effectOn returns effects of 0 except name, which gets v.
func effectOn(f *Frame, v float64, names ...string) []float64 {
	eff := make([]float64, len(f.Names))
	for _, n := range names {
		eff[f.Col(n)] = v
	}
	return eff
}

func TestReasonsRules(t *testing.T) {
	f := reasonFrame()
	tests := []struct {
		feature  string
		lang     Language
		code     string
		text     string // "" for no reason
		familyOf Family
	}{
		{"sessions_vs_baseline", English, "visits_decline", "visits per week down 62% on their usual level", FamilyVisits},
		{"sessions_vs_baseline", Portuguese, "visits_decline", "visitas por semana 62% abaixo do habitual", FamilyVisits},
		{"tickets_open", English, "support_unresolved", "3 unresolved support tickets", FamilySupport},
		{"tickets_open", Portuguese, "support_unresolved", "3 chamados de suporte sem solução", FamilySupport},
		{"nps_latest", English, "nps_detractor", "NPS detractor: answered 3 of 10 on 2026-08-26", FamilyNPS},
		{"days_since_nps", Portuguese, "nps_detractor", "detrator no NPS: respondeu 3 de 10 em 2026-08-26", FamilyNPS},
		{"days_since_order", English, "purchase_lapse", "no purchase for 64 days (they usually buy every 15 days)", FamilySpending},
		{"sessions_30d", English, "visits_low", "3 visits in the last 30 days (typical customer: 12)", FamilyVisits},
		{"sessions_30d", Portuguese, "visits_low", "3 visitas nos últimos 30 dias (cliente típico: 12)", FamilyVisits},
		{"csat_mean_90d", English, "support_dissatisfied", "rated support 2.5 of 5 in the last 90 days (typical customer: 4.5)", FamilySupport},
		{"csat_mean_90d", Portuguese, "support_dissatisfied", "avaliou o suporte com 2,5 de 5 nos últimos 90 dias (cliente típico: 4,5)", FamilySupport},
		{"sentiment_latest", English, "support_negative", "latest support ticket sounded negative", FamilySupport},
		{"spend_change_30d", English, "spend_decline", "spending down 60% on the previous 30 days", FamilySpending},
		// A feature with no rule of its own reads from its name's shape:
		// more than the typical customer is no reason.
		{"event_export_share_30d", English, "", "", ""},
		// Facts that raise the model's score but read as health, or that
		// no one can act on, give no reason.
		{"sessions_ratio_30d", English, "", "", ""},   // visits up 300%
		{"core_actions_30d", English, "", "", ""},     // more than the typical customer
		{"engagement_score_30d", English, "", "", ""}, // as much as the typical customer
		{"margin_mean", English, "", "", ""},          // not a behaviour
		{"tenure_days", English, "", "", ""},          // not a behaviour
	}
	for _, tt := range tests {
		e, err := NewExplainer(f, ExplainConfig{Language: tt.lang, NegativeSentiment: -0.05})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := e.Reasons(0, effectOn(f, 0.5, tt.feature), 3)
		if tt.text == "" {
			if len(got) != 0 {
				t.Errorf("%s (%s): reasons %+v, want none", tt.feature, tt.lang, got)
			}
			continue
		}
		if len(got) != 1 {
			t.Errorf("%s (%s): %d reasons %+v, want 1", tt.feature, tt.lang, len(got), got)
			continue
		}
		r := got[0]
		if r.Code != tt.code || r.Text != tt.text || r.Family != tt.familyOf || r.Feature != tt.feature {
			t.Errorf("%s (%s): got %s %q (%s, %s), want %s %q (%s)", tt.feature, tt.lang, r.Code, r.Text, r.Family, r.Feature, tt.code, tt.text, tt.familyOf)
		}
	}
}

// TestGenericReason: a feature without a rule of its own reads from the
// shape of its name, as features added later will.
func TestGenericReason(t *testing.T) {
	f := &Frame{Names: []string{"sessions_30d_vs_365d", "event_export_trend_30d", "days_since_export", "event_billing_share_30d"}}
	for i, row := range [][]float64{{0.4, -3, 40, 0.3}, {1, 0, 5, 0.05}, {1, 0, 5, 0.05}} {
		f.CustomerID = append(f.CustomerID, string(rune('a'+i)))
		f.Cutoff = append(f.Cutoff, cut)
		f.Status = append(f.Status, Active)
		f.X = append(f.X, row...)
		f.RFMx, f.RFMtx = append(f.RFMx, 0), append(f.RFMtx, 0)
	}
	// days_since_export is in no family by its name: no reason.
	want := map[string]string{
		"sessions_30d_vs_365d":    "visits_decline",
		"event_export_trend_30d":  "usage_decline",
		"days_since_export":       "",
		"event_billing_share_30d": "",
	}
	e, err := NewExplainer(f, ExplainConfig{NegativeSentiment: -0.05})
	if err != nil {
		t.Fatal(err)
	}
	for name, code := range want {
		got, _ := e.Reasons(0, effectOn(f, 1, name), 3)
		switch {
		case code == "" && len(got) != 0:
			t.Errorf("%s: %+v, want no reason", name, got)
		case code != "" && (len(got) != 1 || got[0].Code != code):
			t.Errorf("%s: %+v, want %s", name, got, code)
		}
	}
	if got, _ := e.Reasons(1, effectOn(f, 1, "event_billing_share_30d"), 3); len(got) != 0 {
		t.Errorf("a typical value: %+v, want no reason", got)
	}
}

// TestReasonsGrouping: one reason per family, the family of largest summed
// contribution first; within a family, the feature of largest positive
// contribution that reads as a risk.
func TestReasonsGrouping(t *testing.T) {
	f := reasonFrame()
	e, err := NewExplainer(f, ExplainConfig{NegativeSentiment: -0.05})
	if err != nil {
		t.Fatal(err)
	}
	eff := make([]float64, len(f.Names))
	set := func(name string, v float64) { eff[f.Col(name)] = v }
	set("sessions_ratio_30d", 0.9)   // visits: up 300%, no sentence
	set("sessions_vs_baseline", 0.2) // visits: down 62%, the sentence
	set("sessions_30d", 0.1)         // visits: family total 1.2
	set("tickets_open", 0.3)
	set("csat_mean_90d", 0.4) // support: total 0.7, CSAT the larger
	set("nps_latest", -0.5)
	set("days_since_nps", 0.2) // nps: total -0.3, lowers the risk
	set("margin_mean", 3)      // in no family
	got, raised := e.Reasons(0, eff, 3)
	if !raised {
		t.Error("raised false, want true")
	}
	want := []string{"visits_decline", "support_dissatisfied"}
	var codes []string
	for _, r := range got {
		codes = append(codes, r.Code)
	}
	if strings.Join(codes, ",") != strings.Join(want, ",") {
		t.Fatalf("codes %v, want %v (%+v)", codes, want, got)
	}
	if math.Abs(got[0].Effect-1.2) > 1e-12 || math.Abs(got[1].Effect-0.7) > 1e-12 {
		t.Errorf("family effects %v and %v, want 1.2 and 0.7", got[0].Effect, got[1].Effect)
	}
	if got, _ := e.Reasons(0, eff, 1); len(got) != 1 || got[0].Code != "visits_decline" {
		t.Errorf("k=1: %+v, want visits_decline alone", got)
	}
}

// TestReasonsNone: without a family that raises the risk, no reason.
func TestReasonsNone(t *testing.T) {
	f := reasonFrame()
	e, err := NewExplainer(f, ExplainConfig{NegativeSentiment: -0.05})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		eff    []float64
		raised bool
	}{
		{"all zero", make([]float64, len(f.Names)), false},
		{"all lowering", effectOn(f, -0.3, f.Names...), false},
		{"only outside families", effectOn(f, 2, "margin_mean", "tenure_days"), false},
		{"below the float dust", effectOn(f, minFamilyEffect/2, "tickets_open"), false},
		// The model leans on values that read as health: raised, but no
		// reason to give.
		{"positive, but no sense", effectOn(f, 1, "sessions_ratio_30d", "core_actions_30d"), true},
	}
	for _, tt := range tests {
		got, raised := e.Reasons(0, tt.eff, 3)
		if len(got) != 0 || raised != tt.raised {
			t.Errorf("%s: %+v, raised %v; want no reason, raised %v", tt.name, got, raised, tt.raised)
		}
	}
	if _, err := NewExplainer(f, ExplainConfig{Language: "de"}); err == nil {
		t.Error("language de: no error")
	}
}

var codeRE = regexp.MustCompile(`^(usage|visits|support|nps|spend|purchase)_[a-z]+$`)

// TestReasonsReadWell: on built frames, every reason of every row, for
// random contributions, in both languages, is a sentence: no NaN, no
// format error, no bare feature name, and a code of the documented shape.
func TestReasonsReadWell(t *testing.T) {
	end := testCutoffs[2] + 120*dayNS
	f := mustBuild(t, DefaultConfig(), testCutoffs, end, randomHistory(5, 40, end, 400))
	r := rand.New(rand.NewPCG(1, 2))
	seen := map[string]bool{}
	for _, lang := range []Language{English, Portuguese} {
		e, err := NewExplainer(f, ExplainConfig{Language: lang, NegativeSentiment: -0.05})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < f.Rows(); i++ {
			for trial := 0; trial < 20; trial++ {
				eff := make([]float64, len(f.Names))
				for j := range eff {
					eff[j] = r.NormFloat64()
				}
				rs, _ := e.Reasons(i, eff, 0)
				for _, rs := range rs {
					seen[rs.Code] = true
					if rs.Text == "" || strings.Contains(rs.Text, "NaN") || strings.Contains(rs.Text, "Inf") || strings.Contains(rs.Text, "%!") || strings.Contains(rs.Text, "_") || strings.Contains(rs.Text, ";") {
						t.Fatalf("row %d, %s (%s): %q", i, rs.Feature, lang, rs.Text)
					}
					if !codeRE.MatchString(rs.Code) {
						t.Fatalf("row %d, %s: code %q", i, rs.Feature, rs.Code)
					}
				}
			}
		}
	}
	if len(seen) < 10 {
		t.Errorf("only %d distinct codes on random contributions: %v", len(seen), seen)
	}
}

// TestReasonCodesDocumented: every code a rule can give is listed in
// doc.go.
func TestReasonCodesDocumented(t *testing.T) {
	b, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	end := testCutoffs[2] + 120*dayNS
	f := mustBuild(t, DefaultConfig(), testCutoffs, end, randomHistory(5, 40, end, 400))
	e, err := NewExplainer(f, ExplainConfig{NegativeSentiment: -0.05})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < f.Rows(); i++ {
		for trial := 0; trial < 20; trial++ {
			eff := make([]float64, len(f.Names))
			for j := range eff {
				eff[j] = r.NormFloat64()
			}
			rs, _ := e.Reasons(i, eff, 0)
			for _, rs := range rs {
				if !strings.Contains(doc, "\t"+rs.Code+" ") {
					t.Fatalf("code %s (from %s) is not listed in doc.go", rs.Code, rs.Feature)
				}
			}
		}
	}
}

func TestNamesAreUniqueAndDocumented(t *testing.T) {
	f := mustBuild(t, DefaultConfig(), []int64{cut}, cut, handHistory())
	seen := map[string]bool{}
	for _, n := range f.Names {
		if seen[n] {
			t.Errorf("feature %s appears twice", n)
		}
		seen[n] = true
	}
	mix := 5*(len(f.Catalog.Events)+1) + 1
	if len(f.Names) < 60+mix || len(f.Names) > 100+mix+4*(1+oneHotLevels) {
		t.Errorf("%d features, want 60 to 100 plus the event mix's %d and the attributes'", len(f.Names), mix)
	}
	doc := docText(t)
	for _, n := range f.Names {
		n = docPattern(n)
		if !strings.Contains(doc, "\t"+n+" ") && !strings.Contains(doc, "\t"+n+"\t") {
			t.Errorf("feature %s is not listed in doc.go", n)
		}
	}
}

func docText(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatalf("read doc.go: %v", err)
	}
	return string(b)
}

// BenchmarkReasons measures the reasons of one row from its contributions
// (the TreeSHAP that produces them is measured in model/gbt).
func BenchmarkReasons(b *testing.B) {
	end := testCutoffs[2] + 120*dayNS
	f := mustBuild(b, DefaultConfig(), testCutoffs, end, randomHistory(5, 200, end, 400))
	e, err := NewExplainer(f, ExplainConfig{NegativeSentiment: -0.05})
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	effs := make([][]float64, f.Rows())
	for i := range effs {
		effs[i] = make([]float64, len(f.Names))
		for j := range effs[i] {
			effs[i][j] = r.NormFloat64() * 0.1
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Reasons(i%f.Rows(), effs[i%f.Rows()], 3)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// docPattern writes the names doc.go lists by pattern as the pattern:
// event_r07_30d as event_rNN_30d, attr_region_top2 as attr_NAME_topN.
func docPattern(n string) string {
	if strings.HasPrefix(n, "event_r") && len(n) > 10 && n[9] == '_' {
		return "event_rNN" + n[9:]
	}
	for _, p := range []string{"session_c", "tickets_c"} {
		if strings.HasPrefix(n, p) && len(n) > 12 && n[11] == '_' {
			return p + "NN" + n[11:]
		}
	}
	if rest, ok := strings.CutPrefix(n, "attr_"); ok {
		switch {
		case strings.HasSuffix(rest, "_rank"):
			return "attr_NAME_rank"
		case strings.Contains(rest, "_top"):
			return "attr_NAME_topN"
		}
		return "attr_NAME"
	}
	return n
}

// TestReasonNamesCatalogEvent: a reason phrased from an event-mix column
// names the event of that rank in the frame's catalog, not the rank.
func TestReasonNamesCatalogEvent(t *testing.T) {
	e := &Explainer{f: &Frame{Catalog: &Catalog{Events: []string{"login", "export_report"}}}}
	for _, tt := range []struct{ name, want string }{
		{"event_r02_30d", `event "export_report" (last 30 days)`},
		{"event_r01_share_change", `event "login" share change`},
		{"event_r03_30d", "event r03 (last 30 days)"}, // beyond the catalog: the rank stays
		{"event_other_30d", "event other (last 30 days)"},
		{"sessions_30d", "sessions (last 30 days)"},
	} {
		if got := e.humanize(tt.name); got != tt.want {
			t.Errorf("humanize(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestReasonNamesTicketChannel: tickets of a ranked channel read with the
// channel's name from the catalog; a share of visits by channel is no
// reason.
func TestReasonNamesTicketChannel(t *testing.T) {
	f := &Frame{Names: []string{"tickets_c01_90d", "session_c01_share_change", "tickets_c02_90d"}, X: []float64{3, -0.5, 1},
		CustomerID: []string{"a"}, Cutoff: []int64{cut}, Status: []Status{Active}, Catalog: &Catalog{TicketChannels: []string{"whatsapp"}}}
	for _, lang := range []Language{English, Portuguese} {
		e, err := NewExplainer(f, ExplainConfig{Language: lang})
		if err != nil {
			t.Fatal(err)
		}
		e.peer = []float64{1, 0, 0}
		code, text, ok := e.phrase(0, 0)
		want := map[Language]string{English: `3 support tickets by channel "whatsapp" in the last 90 days (typical customer: 1)`,
			Portuguese: `3 chamados de suporte pelo canal "whatsapp" nos últimos 90 dias (cliente típico: 1)`}[lang]
		if !ok || code != "support_contacts" || text != want {
			t.Errorf("%s: %q %q %v, want support_contacts %q", lang, code, text, ok, want)
		}
		if _, _, ok := e.phrase(0, 1); ok {
			t.Errorf("%s: a channel share change reads as a reason", lang)
		}
		if code, _, ok := e.phrase(0, 2); !ok || code != "support_contacts" {
			t.Errorf("%s: tickets of a rank beyond the catalog: %q %v, want support_contacts as other", lang, code, ok)
		}
	}
}

// TestReasonsEventMix: the event mix's columns read with the action's
// name against the customer's own past; an automated name gives none.
func TestReasonsEventMix(t *testing.T) {
	names := []string{"event_r01_vs_baseline", "event_r02_share_30d", "event_r02_share_change", "event_r01_days_since", "event_r03_30d", "event_mix_shift"}
	f := &Frame{Names: names, Catalog: &Catalog{Events: []string{"open_board", "export", "heartbeat"}, Automated: []string{"heartbeat"}}}
	f.Names = append(f.Names, "engagement_score_30d")
	for i, row := range [][]float64{{0.38, 0.3, 0.22, 40, 2, 0.35, 1}, {1, 0.05, 0, 3, 30, 0.05, 1}, {1, 0.05, 0, 3, 30, 0.05, 1}} {
		f.CustomerID = append(f.CustomerID, string(rune('a'+i)))
		f.Cutoff = append(f.Cutoff, cut)
		f.Status = append(f.Status, Active)
		f.X = append(f.X, row...)
	}
	for _, tt := range []struct {
		feature, code string
		text          map[Language]string
	}{
		{"event_r01_vs_baseline", "usage_decline", map[Language]string{English: `"open_board" per week down 62% on their usual level`, Portuguese: `"open_board" por semana 62% abaixo do habitual`}},
		{"event_r02_share_change", "usage_shift", map[Language]string{English: `"export" is 30% of their actions in the last 30 days, up from 8% before`, Portuguese: `"export" é 30% das ações nos últimos 30 dias, contra 8% antes`}},
		{"event_r01_days_since", "usage_inactive", map[Language]string{English: `has not used "open_board" for 40 days (typical customer: 3 days)`, Portuguese: `não usa "open_board" há 40 dias (cliente típico: 3 dias)`}},
		{"event_mix_shift", "usage_shift", map[Language]string{English: "the mix of their actions moved 35% away from their usual mix in the last 30 days (typical customer: 5%)"}},
		{"event_r03_30d", "", nil},       // heartbeat is automated: no behaviour
		{"event_r02_share_30d", "", nil}, // a share alone says nothing of a change
	} {
		for _, lang := range []Language{English, Portuguese} {
			e, err := NewExplainer(f, ExplainConfig{Language: lang})
			if err != nil {
				t.Fatal(err)
			}
			got, _ := e.Reasons(0, effectOn(f, 1, tt.feature), 3)
			switch {
			case tt.code == "" && len(got) != 0:
				t.Errorf("%s: %+v, want no reason", tt.feature, got)
			case tt.code != "" && (len(got) != 1 || got[0].Code != tt.code):
				t.Errorf("%s (%s): %+v, want %s", tt.feature, lang, got, tt.code)
			case tt.code != "" && tt.text[lang] != "" && got[0].Text != tt.text[lang]:
				t.Errorf("%s (%s): %q, want %q", tt.feature, lang, got[0].Text, tt.text[lang])
			}
		}
	}
}

// TestTakeLargestIsStableSort holds the columns that takeLargest gives,
// one after another, to the stable sort by effect, largest first, that it
// replaces: random effects with many ties, -0 and +0, one column, none.
func TestTakeLargestIsStableSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 1))
	for trial := range 2000 {
		n := rng.IntN(40)
		effects := make([]float64, 50)
		for i := range effects {
			switch rng.IntN(4) {
			case 0:
				effects[i] = float64(rng.IntN(3)) // ties
			case 1:
				effects[i] = math.Copysign(0, -1)
			default:
				effects[i] = rng.NormFloat64()
			}
		}
		cols := rng.Perm(50)[:n]
		want := slices.Clone(cols)
		slices.SortStableFunc(want, func(a, b int) int { return cmp.Compare(effects[b], effects[a]) })
		var got []int
		for left := slices.Clone(cols); len(left) > 0; {
			got = append(got, takeLargest(&left, effects))
		}
		if !slices.Equal(got, want) {
			t.Fatalf("trial %d: %v, stable sort %v", trial, got, want)
		}
	}
}
