package features

import (
	"churn/data"
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Family is the behaviour family a reason belongs to: what a marketer can
// act on. Features outside every family (tenure, attributes, margins) never
// give a reason.
type Family string

// The behaviour reasonFamilyOrder.
const (
	FamilyUsage    Family = "usage"
	FamilyVisits   Family = "visits"
	FamilySupport  Family = "support"
	FamilyNPS      Family = "nps"
	FamilySpending Family = "spending"
)

// reasonFamilyOrder in the order reasons name them on ties.
var reasonFamilyOrder = [...]Family{FamilyUsage, FamilyVisits, FamilySupport, FamilyNPS, FamilySpending}

// reasonFamilies maps feature names to reasonFamilyOrder by prefix; the longest
// matching prefix wins. A new feature joins a family with one entry here:
// it then gets a sentence from its name's shape (see genericReason) until
// it has a rule of its own in reasonRules. A feature no prefix matches
// gives no reason.
var reasonFamilies = []struct {
	prefix string
	family Family
}{
	{"core_", FamilyUsage},
	{"days_since_core", FamilyUsage},
	{"onboarding_core", FamilyUsage},
	{"engagement_", FamilyUsage},
	{"event_", FamilyUsage},

	{"sessions", FamilyVisits},
	{"session_", FamilyVisits},
	{"days_since_session", FamilyVisits},
	{"active_days", FamilyVisits},
	{"stickiness", FamilyVisits},
	{"pages_per_session", FamilyVisits},
	{"onboarding_sessions", FamilyVisits},

	{"tickets", FamilySupport},
	{"days_since_ticket", FamilySupport},
	{"first_response", FamilySupport},
	{"resolution_", FamilySupport},
	{"csat_", FamilySupport},
	{"effort_", FamilySupport},
	{"sentiment_", FamilySupport},
	{"negative_", FamilySupport},

	{"nps_", FamilyNPS},
	{"days_since_nps", FamilyNPS},

	{"orders", FamilySpending},
	{"spend", FamilySpending},
	{"days_since_order", FamilySpending},
	{"monetary_", FamilySpending},
	{"avg_order_value", FamilySpending},
	{"repeat_day_value", FamilySpending},
	{"refund", FamilySpending},
	{"purchase_days", FamilySpending},
	{"revenue", FamilySpending},
	{"last_order", FamilySpending},
}

// noReasonPrefixes name the features that are never a reason to act on,
// though the model may lean on them: how long someone has been a customer,
// what their purchases earn us. Every feature is in a family or here; a
// test holds that, so that a new feature is placed on purpose.
var noReasonPrefixes = []string{"tenure_", "margin_", "historical_clv", "plan", "region", "acquisition_", "attr_"}

// familyOf returns the family of a feature name, or "".
func familyOf(name string) Family {
	best, fam := -1, Family("")
	for _, e := range reasonFamilies {
		if strings.HasPrefix(name, e.prefix) && len(e.prefix) > best {
			best, fam = len(e.prefix), e.family
		}
	}
	return fam
}

// Language is the language reasons are written in.
type Language string

// Languages of the reasons.
const (
	English    Language = "en"
	Portuguese Language = "pt"
)

// ExplainConfig configures an Explainer.
type ExplainConfig struct {
	// Language of the sentences: "en" (default when empty) or "pt".
	Language Language
	// NegativeSentiment is the tone below which a ticket reads as negative;
	// the features' Config.NegativeSentiment.
	NegativeSentiment float64
}

// Reason is one reason a customer's churn risk is raised. Its text holds
// no ';', so that reasons can be joined with "; " and split again.
type Reason struct {
	// Code is stable across releases and languages, for a CRM to branch
	// on: the family and what happened, such as usage_decline,
	// support_unresolved or nps_detractor (the list is in doc.go).
	Code    string
	Family  Family
	Feature string  // the feature the sentence states
	Effect  float64 // the family's summed contribution, in log-odds
	Text    string
}

// NoReason is the sentence for a customer without a reason: a statement
// that there is none, not a reason. raised is what Reasons reported: some
// behaviour raised the risk, but none reads as a risk to act on (the model
// leans on values that look healthy).
func NoReason(lang Language, raised bool) string {
	switch {
	case raised && lang == Portuguese:
		return "o risco vem de padrões que não apontam um comportamento a tratar"
	case raised:
		return "the risk comes from patterns that point to no behaviour to act on"
	case lang == Portuguese:
		return "nada no comportamento recente eleva o risco acima do cliente médio"
	}
	return "nothing in their recent behaviour raises the risk above the average customer"
}

// Explainer turns per-feature contributions into reasons for the rows of
// one frame. It is read-only after NewExplainer and safe for concurrent
// use.
type Explainer struct {
	f        *Frame
	cfg      ExplainConfig
	family   []Family                      // per column, "" outside every family
	members  [len(reasonFamilyOrder)][]int // the columns of each family
	peer     []float64                     // per column, the typical (median) value among active customers; NaN when none
	base     []string                      // per column, the name without its window
	days     []int                         // per column, the window in days, 0 when none
	rules    []rule                        // per column, its rule, nil for genericReason
	mainDays int
}

// minFamilyEffect is the summed contribution, in log-odds, below which a
// family does not count as raising the risk: float dust from the
// explanation is no reason.
const minFamilyEffect = 1e-3

// Materiality: a change or a gap to the typical customer smaller than this
// is no reason, however the model leaned on it. A decline must take at
// least minDrop off the earlier level; a value must be at most
// 1-minDrop of the typical one, or at least 1/(1-minDrop) of it.
const minDrop = 0.2

// onboardingAge is the tenure, in days, after which a slow first month is
// history rather than a reason to act.
const onboardingAge = 90

// passiveAge is the age, in days, after which a passive NPS answer (7 or
// 8) is no reason; a detractor's answer is one at any age, with its date.
const passiveAge = 180

// minDaysGap is how many days longer than the typical (or usual) gap a
// "no visit for N days" must be.
const minDaysGap = 7

// peerSample bounds the rows the typical values are read from: a fixed
// stride through the frame, so the result is deterministic.
const peerSample = 20001

// NewExplainer prepares reasons for f: each column's family and the
// typical value of each family column among the frame's active customers
// (all customers when none is active).
func NewExplainer(f *Frame, cfg ExplainConfig) (*Explainer, error) {
	anyActive := slices.Contains(f.Status, Active)
	rows := PeerCandidates(f, anyActive)
	stride := PeerStride(len(rows))
	var sample []int
	for k := 0; k < len(rows); k += stride {
		sample = append(sample, rows[k])
	}
	peer := PeerValues(f.Names, len(sample), func(r, j int) float64 { return f.At(sample[r], j) })
	return NewExplainerPeers(f, cfg, peer)
}

// The typical values are read from a sample of the population's rows. A
// frame that holds a piece of the population (a distributed run's
// customer range) takes its share of the sample with PeerCandidates and
// PeerStride; PeerValues of every piece's share gives the typical values
// NewExplainer reads from the whole frame, and NewExplainerPeers explains
// the piece's rows with them.

// PeerCandidates returns the rows of f, in order, the typical values are
// sampled from: the active customers' rows, or every row when anyActive
// is false (no row of the population is active).
func PeerCandidates(f *Frame, anyActive bool) []int {
	var rows []int
	for i, st := range f.Status {
		if st == Active || !anyActive {
			rows = append(rows, i)
		}
	}
	return rows
}

// PeerStride returns the step through the population's n candidates
// (PeerCandidates, in the population's row order) of the sample: the
// candidates 0, stride, 2*stride and so on.
func PeerStride(n int) int {
	return max(1, (n+peerSample-1)/peerSample)
}

// PeerValues returns the typical value of each column of names from the
// sampled rows, whose value of column j in the r-th row (0 <= r < rows,
// in any order) is at(r, j): the median of the values that are not NaN,
// for the columns of a reason family; NaN for the other columns and where
// every value is NaN.
func PeerValues(names []string, rows int, at func(r, j int) float64) []float64 {
	peer := make([]float64, len(names))
	vals := make([]float64, 0, rows)
	for j, name := range names {
		peer[j] = math.NaN()
		if familyOf(name) == "" {
			continue
		}
		vals = vals[:0]
		for r := range rows {
			if v := at(r, j); !math.IsNaN(v) {
				vals = append(vals, v)
			}
		}
		if len(vals) > 0 {
			sort.Float64s(vals)
			peer[j] = vals[len(vals)/2]
		}
	}
	return peer
}

// NewExplainerPeers is NewExplainer with the typical values peer (from
// PeerValues, one per column of f) instead of f's own.
func NewExplainerPeers(f *Frame, cfg ExplainConfig, peer []float64) (*Explainer, error) {
	switch cfg.Language {
	case "":
		cfg.Language = English
	case English, Portuguese:
	default:
		return nil, fmt.Errorf("reasons language %q: want en or pt", cfg.Language)
	}
	nc := len(f.Names)
	if len(peer) != nc {
		return nil, fmt.Errorf("%d typical values for %d columns", len(peer), nc)
	}
	e := &Explainer{f: f, cfg: cfg, family: make([]Family, nc), peer: slices.Clone(peer),
		base: make([]string, nc), days: make([]int, nc), rules: make([]rule, nc), mainDays: f.mainDays()}
	for j, name := range f.Names {
		e.family[j] = familyOf(name)
		if e.family[j] == "" {
			continue
		}
		fi := slices.Index(reasonFamilyOrder[:], e.family[j])
		e.members[fi] = append(e.members[fi], j)
		e.base[j], e.days[j] = splitWindow(name)
		if strings.HasPrefix(e.base[j], "onboarding_") || e.base[j] == "spend_per" {
			e.days[j] = 0 // the onboarding period and a monthly rate are no recent window
		}
		e.rules[j] = e.ruleFor(e.base[j])
	}
	return e, nil
}

// Reasons returns up to k reasons for row, given each feature's
// contribution to its score (effects, in the frame's column order, in
// log-odds, positive raising the risk). A family is a reason when the sum
// of its features' contributions raises the risk; its sentence comes from
// its feature with the largest positive contribution whose value reads as
// a risk against the customer's own past or the typical customer ("visits
// per week down 62% on their usual level", "3 unresolved support
// tickets"). A feature whose value does not read as a risk (visits up,
// more visits than most) is passed over: the model may lean on it, but it
// is no reason to act. Reasons come one per family, the family of largest
// summed contribution first; none when no family raises the risk.
//
// raised reports whether any family raised the risk, sentence or not: a
// customer can be at risk for reasons that read as health, and NoReason
// then says so rather than that nothing raised the risk.
func (e *Explainer) Reasons(row int, effects []float64, k int) (reasons []Reason, raised bool) {
	var sum [len(reasonFamilyOrder)]float64
	for f, cols := range e.members {
		for _, j := range cols {
			if v := effects[j]; !math.IsNaN(v) {
				sum[f] += v
			}
		}
	}
	order := [len(reasonFamilyOrder)]int{0, 1, 2, 3, 4}
	slices.SortStableFunc(order[:], func(a, b int) int { return cmp.Compare(sum[b], sum[a]) })
	var buf [128]int
	for _, f := range order {
		if sum[f] < minFamilyEffect || k > 0 && len(reasons) == k {
			break
		}
		raised = true
		cols := buf[:0]
		for _, j := range e.members[f] {
			if effects[j] > 0 {
				cols = append(cols, j)
			}
		}
		for len(cols) > 0 {
			j := takeLargest(&cols, effects)
			if code, text, ok := e.phrase(row, j); ok {
				reasons = append(reasons, Reason{Code: code, Family: reasonFamilyOrder[f], Feature: e.f.Names[j], Effect: sum[f], Text: text})
				break
			}
		}
	}
	return reasons, raised
}

// takeLargest removes from cols, and returns, the column of the largest
// effect, the first of equal ones: taken one after another, the columns
// come in the order of a stable sort by effect, largest first, and the
// first that phrases well usually ends the search after one pass. The
// effects of cols are numbers (no NaN).
func takeLargest(cols *[]int, effects []float64) int {
	c := *cols
	best := 0
	for i := 1; i < len(c); i++ {
		if effects[c[i]] > effects[c[best]] {
			best = i
		}
	}
	j := c[best]
	*cols = slices.Delete(c, best, best+1)
	return j
}

// msg is a sentence in both languages, with fmt verbs for the arguments.
type msg struct{ en, pt string }

// fact is what a rule sees of one feature in one row.
type fact struct {
	e    *Explainer
	row  int
	j    int
	base string  // the name without its window
	days int     // the window, 0 when the name has none
	v    float64 // the value
	peer float64 // the typical value, NaN when unknown
}

func (x fact) say(m msg, args ...any) string {
	if x.e.cfg.Language == Portuguese {
		return fmt.Sprintf(m.pt, args...)
	}
	return fmt.Sprintf(m.en, args...)
}

// num formats a number in the explainer's language: one decimal at most,
// a decimal comma in Portuguese.
func (x fact) num(v float64) string {
	s := num(v)
	if x.e.cfg.Language == Portuguese {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

func (x fact) money(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	if x.e.cfg.Language == Portuguese {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

func (x fact) pct(share float64) string { return fmt.Sprintf("%.0f%%", 100*share) }

// window is "in the last N days", or "" for a feature without a window.
func (x fact) window() string {
	if x.days == 0 {
		return ""
	}
	return x.say(msg{" in the last %d days", " nos últimos %d dias"}, x.days)
}

// prev is the period a change is measured against: the previous window, or
// the previous main window for features without one.
func (x fact) prev() int {
	if x.days > 0 {
		return x.days
	}
	return x.e.mainDays
}

func (x fact) daysText(v float64) string {
	d := math.Floor(v)
	if d == 1 {
		return x.say(msg{"1 day", "1 dia"})
	}
	return x.say(msg{"%s days", "%s dias"}, x.num(d))
}

// typical is " (typical customer: M)", or "" when no typical value is
// known.
func (x fact) typical(format func(float64) string) string {
	if math.IsNaN(x.peer) {
		return ""
	}
	return x.say(msg{" (typical customer: %s)", " (cliente típico: %s)"}, format(x.peer))
}

// rule phrases one feature of one row as a risk: ok is false when the value
// does not read as one.
type rule func(x fact) (code, text string, ok bool)

// phrase returns the code and sentence of column j in row, or ok false.
func (e *Explainer) phrase(row, j int) (code, text string, ok bool) {
	x := fact{e: e, row: row, j: j, base: e.base[j], days: e.days[j], v: e.f.At(row, j), peer: e.peer[j]}
	if r := e.rules[j]; r != nil {
		return r(x)
	}
	return genericReason(x, e.family[j])
}

// The rules by feature name (without window). Each states the value against
// the customer's own past or the typical customer, and only in the
// direction that raises the risk.
var reasonRules map[string]rule

// ticketsBy is the rule of the tickets of one named channel.
var ticketsBy func(channel string) rule

// eventRule is the rule of an event-mix column of one action (see
// ruleFor).
var eventRule func(kind string, act msg) rule

// minShift is the smallest move of the mix of actions, as a share of all
// actions, that reads as a reason.
const minShift = 0.1

// ruleFor returns the rule of a feature by its name without window, nil
// for genericReason: reasonRules, then the columns named by a catalog
// rank. A share of visits by channel, or its change, is no reason: a
// customer moving from one channel to another has not left.
func (e *Explainer) ruleFor(base string) rule {
	if r := reasonRules[base]; r != nil {
		return r
	}
	if rest, ok := strings.CutPrefix(base, "event_other"); ok {
		return eventRule(rest, msg{"actions outside their main ones", "ações fora das principais"})
	}
	if rank, ok := catalogRank(base, "event_r"); ok {
		cat := e.f.Catalog
		if cat == nil || rank > len(cat.Events) || slices.Contains(cat.Automated, cat.Events[rank-1]) {
			return none // an automated signal is no behaviour
		}
		q := strconv.Quote(cat.Events[rank-1])
		return eventRule(base[len("event_rNN"):], msg{q, q})
	}
	if rank, ok := catalogRank(base, "tickets_c"); ok {
		if cat := e.f.Catalog; cat != nil && rank <= len(cat.TicketChannels) {
			return ticketsBy(cat.TicketChannels[rank-1])
		}
		return reasonRules["tickets_other"]
	}
	if (strings.HasPrefix(base, "session_c") || strings.HasPrefix(base, "session_other")) && strings.Contains(base, "_share") {
		return none
	}
	return nil
}

// catalogRank reads the rank NN of a name prefixNN (1-based), as the
// catalog's columns are named.
func catalogRank(name, prefix string) (int, bool) {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok || len(rest) < 2 {
		return 0, false
	}
	r, err := strconv.Atoi(rest[:2])
	if err != nil || r < 1 {
		return 0, false
	}
	return r, true
}

func init() {
	// decline: a ratio of now to the previous window.
	decline := func(code string, what msg) rule {
		return func(x fact) (string, string, bool) {
			if !(x.v <= 1-minDrop) {
				return "", "", false
			}
			return code, x.say(msg{what.en + " down %s on the previous %d days", what.pt + " %s abaixo dos %d dias anteriores"}, x.pct(1-x.v), x.prev()), true
		}
	}
	// usual: a ratio of the main window to the customer's earlier history.
	usual := func(code string, what, stopped msg) rule {
		return func(x fact) (string, string, bool) {
			switch {
			case x.v == 0:
				return code, x.say(stopped, x.e.mainDays), true
			case !(x.v <= 1-minDrop):
				return "", "", false
			}
			return code, x.say(msg{what.en + " down %s on their usual level", what.pt + " %s abaixo do habitual"}, x.pct(1-x.v)), true
		}
	}
	// fewer: a difference, now minus the previous window, of the level
	// feature named by level (a %d for the window): read as a share of the
	// earlier level.
	fewer := func(code string, what msg, level string) rule {
		return func(x fact) (string, string, bool) {
			name := level
			if strings.Contains(level, "%d") {
				name = fmt.Sprintf(level, x.prev())
			}
			cur := x.get(name)
			prev := cur - x.v
			if !(x.v < 0) || !(prev > 0) || -x.v/prev < minDrop {
				return "", "", false
			}
			return code, x.say(msg{what.en + " down %s on the previous %d days", what.pt + " %s abaixo dos %d dias anteriores"}, x.pct(-x.v/prev), x.prev()), true
		}
	}
	// slope: a weekly trend over 12 weeks, material when it takes minDrop
	// of the weekly level (level: a feature base, the longest window read).
	slope := func(code string, what msg, level string) rule {
		return func(x fact) (string, string, bool) {
			mean := x.longest(level)
			if !(x.v < 0) || !(mean > 0) || -x.v*weeksN < minDrop*mean {
				return "", "", false
			}
			return code, x.say(msg{"weekly " + what.en + " falling by %s a week over the last 12 weeks", what.pt + " semanais caindo %s por semana nas últimas 12 semanas"}, x.num(math.Round(-x.v*10)/10)), true
		}
	}
	// since: days without something, worse than the typical customer.
	since := func(code string, what msg) rule {
		return func(x fact) (string, string, bool) {
			if math.IsNaN(x.v) || !(math.IsNaN(x.peer) || x.v >= max(x.peer/(1-minDrop), x.peer+minDaysGap)) {
				return "", "", false
			}
			return code, x.say(what, x.daysText(x.v)) + x.typical(x.daysText), true
		}
	}
	flag := func(code string, what msg) rule {
		return func(x fact) (string, string, bool) {
			if x.v != 1 {
				return "", "", false
			}
			return code, x.say(what), true
		}
	}
	// below: less than the typical customer. format takes the value and
	// the window.
	below := func(code string, what msg, format func(x fact, v float64) string) rule {
		return func(x fact) (string, string, bool) {
			if math.IsNaN(x.v) || math.IsNaN(x.peer) || !(x.v < (1-minDrop)*x.peer) {
				return "", "", false
			}
			return code, x.say(what, format(x, x.v), x.window()) + x.typical(func(v float64) string { return format(x, v) }), true
		}
	}
	// above: more than the typical customer, and more than none.
	above := func(code string, what msg, format func(x fact, v float64) string) rule {
		return func(x fact) (string, string, bool) {
			if math.IsNaN(x.v) || x.v <= 0 || !(math.IsNaN(x.peer) || x.v >= x.peer/(1-minDrop)) {
				return "", "", false
			}
			return code, x.say(what, format(x, x.v), x.window()) + x.typical(func(v float64) string { return format(x, v) }), true
		}
	}
	n := func(x fact, v float64) string { return x.num(math.Round(v*10) / 10) }
	whole := func(x fact, v float64) string { return x.num(math.Round(v)) }
	pct := func(x fact, v float64) string { return x.pct(v) }
	money := func(x fact, v float64) string { return x.money(v) }
	minutes := func(x fact, v float64) string { return x.num(math.Round(v/6) / 10) }
	// belowN and aboveN are below and above for whole counts, with the
	// sentence for one apart.
	belowN := func(code string, one, many msg) rule {
		return countN(below(code, many, whole), one)
	}
	aboveN := func(code string, one, many msg) rule {
		return countN(above(code, many, whole), one)
	}
	negTone := func(what msg) rule {
		return func(x fact) (string, string, bool) {
			if math.IsNaN(x.v) || !(x.v < x.e.cfg.NegativeSentiment) {
				return "", "", false
			}
			return "support_negative", x.say(what, x.window()), true
		}
	}
	count := func(code string, one, many msg) rule {
		return func(x fact) (string, string, bool) {
			if math.IsNaN(x.v) || x.v <= 0 {
				return "", "", false
			}
			if x.v == 1 {
				return code, x.say(one, x.window()), true
			}
			return code, x.say(many, x.num(x.v), x.window()), true
		}
	}
	score5 := func(code string, what msg) rule {
		return func(x fact) (string, string, bool) {
			if math.IsNaN(x.v) || !(x.v <= 2 || x.v <= x.peer-1) {
				return "", "", false
			}
			return code, x.say(what, n(x, x.v), x.window()) + x.typical(func(v float64) string { return n(x, v) }), true
		}
	}
	// onboarding: a slow start, while it is recent enough to act on
	// (tenure at most onboardingAge days).
	onboarding := func(code string, what msg) rule {
		return func(x fact) (string, string, bool) {
			_, d := splitWindow(x.e.f.Names[x.j])
			if math.IsNaN(x.v) || math.IsNaN(x.peer) || !(x.v < (1-minDrop)*x.peer) || !(x.get("tenure_days") <= onboardingAge) {
				return "", "", false
			}
			return code, x.say(what, whole(x, x.v), d, whole(x, x.peer)), true
		}
	}
	nps := func(x fact) (string, string, bool) {
		latest := x.get("nps_latest")
		if math.IsNaN(latest) || latest >= 9 {
			return "", "", false
		}
		code, what := "nps_detractor", msg{"NPS detractor: answered %s of 10", "detrator no NPS: respondeu %s de 10"}
		if latest >= 7 {
			if !(x.get("days_since_nps") <= passiveAge) {
				return "", "", false // an old passive answer says little
			}
			code, what = "nps_passive", msg{"NPS passive: answered %s of 10", "neutro no NPS: respondeu %s de 10"}
		}
		text := x.say(what, x.num(latest))
		if d := x.get("days_since_nps"); !math.IsNaN(d) {
			ts := x.e.f.Cutoff[x.row] - int64(math.Round(d*float64(dayNS)/1e9))*1e9
			text += x.say(msg{" on %s", " em %s"}, data.FormatDate(time.Unix(0, ts)))
		}
		return code, text, true
	}

	// eventRule: the event-mix column kind (the name without rank, such as
	// "_vs_baseline") of one action, named by act.
	eventRule = func(kind string, act msg) rule {
		switch kind {
		case "", "_30d":
			return countN(below("usage_low", msg{"used " + act.en + " %s times%s", "usou " + act.pt + " %s vezes%s"}, whole),
				msg{"used " + act.en + " once%s", "usou " + act.pt + " uma vez%s"})
		case "_vs_baseline":
			return usual("usage_decline", msg{act.en + " per week", act.pt + " por semana"},
				msg{"no " + act.en + " in the last %d days, after regular use before", "nenhum uso de " + act.pt + " nos últimos %d dias, depois de uso regular antes"})
		case "_share_change":
			return func(x fact) (string, string, bool) {
				share := x.get(strings.TrimSuffix(x.e.f.Names[x.j], "_change") + fmt.Sprintf("_%dd", x.e.mainDays))
				if !(x.v >= minShift) || math.IsNaN(share) {
					return "", "", false
				}
				return "usage_shift", x.say(msg{act.en + " is %s of their actions in the last %d days, up from %s before", act.pt + " é %s das ações nos últimos %d dias, contra %s antes"},
					x.pct(share), x.e.mainDays, x.pct(share-x.v)), true
			}
		case "_days_since":
			return since("usage_inactive", msg{"has not used " + act.en + " for %s", "não usa " + act.pt + " há %s"})
		}
		return none // a share by itself says nothing of a change
	}

	// ticketsBy: tickets of one channel of the catalog, named.
	ticketsBy = func(channel string) rule {
		return aboveN("support_contacts",
			msg{"1 support ticket by channel " + strconv.Quote(channel) + "%s", "1 chamado de suporte pelo canal " + strconv.Quote(channel) + "%s"},
			msg{"%s support tickets by channel " + strconv.Quote(channel) + "%s", "%s chamados de suporte pelo canal " + strconv.Quote(channel) + "%s"})
	}

	reasonRules = map[string]rule{
		// usage
		"core_ratio":          decline("usage_decline", msg{"core actions per week", "ações principais por semana"}),
		"core_vs_baseline":    usual("usage_decline", msg{"core actions per week", "ações principais por semana"}, msg{"no core action in the last %d days, after regular use before", "nenhuma ação principal nos últimos %d dias, depois de uso regular antes"}),
		"core_diff":           fewer("usage_decline", msg{"core actions per week", "ações principais por semana"}, "core_per_week_%dd"),
		"core_weekly_slope":   slope("usage_decline", msg{"core actions", "ações principais"}, "core_per_week"),
		"engagement_change":   fewer("usage_decline", msg{"engagement score", "pontuação de engajamento"}, "engagement_score_%dd"),
		"days_since_core":     since("usage_inactive", msg{"no core action for %s", "nenhuma ação principal há %s"}),
		"core_never":          flag("usage_never", msg{"has never used a core feature", "nunca usou uma funcionalidade principal"}),
		"core_actions":        belowN("usage_low", msg{"1 core action%s", "1 ação principal%s"}, msg{"%s core actions%s", "%s ações principais%s"}),
		"core_per_week":       rate1(below("usage_low", msg{"%s core actions per week%s", "%s ações principais por semana%s"}, n), msg{"1 core action per week%s", "1 ação principal por semana%s"}),
		"core_active_days":    belowN("usage_low", msg{"a core action on 1 day%s", "ações principais em 1 dia%s"}, msg{"a core action on %s days%s", "ações principais em %s dias%s"}),
		"core_share":          below("usage_low", msg{"%s of product events were core actions%s", "%s dos eventos foram ações principais%s"}, pct),
		"engagement_score":    below("usage_low", msg{"engagement score %s%s", "pontuação de engajamento %s%s"}, n),
		"engagement_per_week": below("usage_low", msg{"%s engagement points per week%s", "%s pontos de engajamento por semana%s"}, n),
		"event_kinds":         belowN("usage_low", msg{"used 1 kind of product action%s", "usou 1 tipo de ação do produto%s"}, msg{"used %s different product actions%s", "usou %s ações diferentes do produto%s"}),
		"core_per_tenure_day": below("usage_low", msg{"%s core actions per day since signup%s", "%s ações principais por dia desde o cadastro%s"}, n),
		"event_mix_shift": func(x fact) (string, string, bool) {
			if !(x.v >= minShift) || !(math.IsNaN(x.peer) || x.v >= x.peer/(1-minDrop)) {
				return "", "", false
			}
			return "usage_shift", x.say(msg{"the mix of their actions moved %s away from their usual mix in the last %d days", "a combinação de ações mudou %s em relação ao habitual nos últimos %d dias"}, x.pct(x.v), x.e.mainDays) +
				x.typical(func(v float64) string { return x.pct(v) }), true
		},
		"onboarding_core":      onboarding("usage_low", msg{"%s core actions in their first %d days (typical customer: %s)", "%s ações principais nos primeiros %d dias (cliente típico: %s)"}),
		"sessions_ratio":       decline("visits_decline", msg{"visits per week", "visitas por semana"}),
		"sessions_vs_baseline": usual("visits_decline", msg{"visits per week", "visitas por semana"}, msg{"no visit in the last %d days, after regular visits before", "nenhuma visita nos últimos %d dias, depois de visitas regulares antes"}),
		// visits
		"session_seconds_ratio":   decline("visits_decline", msg{"time per visit", "tempo por visita"}),
		"pages_per_session_ratio": decline("visits_decline", msg{"pages per visit", "páginas por visita"}),
		"stickiness_change":       fewer("visits_decline", msg{"share of days with a visit", "parcela de dias com visita"}, "stickiness"),
		"session_weekly_slope":    slope("visits_decline", msg{"visits", "visitas"}, "sessions_per_week"),
		"days_since_session":      since("visits_inactive", msg{"no visit for %s", "nenhuma visita há %s"}),
		"session_never":           flag("visits_never", msg{"has never visited", "nunca visitou"}),
		"sessions":                belowN("visits_low", msg{"1 visit%s", "1 visita%s"}, msg{"%s visits%s", "%s visitas%s"}),
		"sessions_per_week":       rate1(below("visits_low", msg{"%s visits per week%s", "%s visitas por semana%s"}, n), msg{"1 visit per week%s", "1 visita por semana%s"}),
		"active_days":             belowN("visits_low", msg{"visited on 1 day%s", "visitou em 1 dia%s"}, msg{"visited on %s days%s", "visitou em %s dias%s"}),
		"stickiness":              below("visits_low", msg{"visited on %s of recent days%s", "visitou em %s dos dias recentes%s"}, pct),
		"session_seconds":         below("visits_low", msg{"visits lasted %s minutes on average%s", "visitas de %s minutos em média%s"}, minutes),
		"pages_per_session":       below("visits_low", msg{"%s pages per visit%s", "%s páginas por visita%s"}, n),
		"sessions_per_tenure_day": below("visits_low", msg{"%s visits per day since signup%s", "%s visitas por dia desde o cadastro%s"}, n),
		// How visits spread over channels says nothing a marketer can act on.
		"session_channels":          none,
		"session_top_channel_share": none,
		"session_channel_shift":     none,
		"onboarding_sessions":       onboarding("visits_low", msg{"%s visits in their first %d days (typical customer: %s)", "%s visitas nos primeiros %d dias (cliente típico: %s)"}),
		// support
		"tickets_open":         count("support_unresolved", msg{"1 unresolved support ticket%s", "1 chamado de suporte sem solução%s"}, msg{"%s unresolved support tickets%s", "%s chamados de suporte sem solução%s"}),
		"negative_tickets":     count("support_negative", msg{"1 negative support ticket%s", "1 chamado de suporte negativo%s"}, msg{"%s negative support tickets%s", "%s chamados de suporte negativos%s"}),
		"negative_share":       above("support_negative", msg{"%s of support tickets were negative%s", "%s dos chamados de suporte foram negativos%s"}, pct),
		"sentiment_latest":     negTone(msg{"latest support ticket sounded negative%s", "o último chamado de suporte teve tom negativo%s"}),
		"sentiment_mean":       negTone(msg{"support tickets sounded negative on average%s", "chamados de suporte com tom negativo em média%s"}),
		"sentiment_min":        negTone(msg{"a support ticket sounded negative%s", "um chamado de suporte teve tom negativo%s"}),
		"csat_mean":            score5("support_dissatisfied", msg{"rated support %s of 5%s", "avaliou o suporte com %s de 5%s"}),
		"csat_latest":          score5("support_dissatisfied", msg{"rated their latest support contact %s of 5%s", "avaliou o último atendimento com %s de 5%s"}),
		"effort_mean":          score5("support_effort", msg{"found support hard work: effort score %s of 5, 5 very easy%s", "achou o suporte trabalhoso: esforço %s de 5, 5 muito fácil%s"}),
		"effort_latest":        score5("support_effort", msg{"found their latest support contact hard work: effort score %s of 5%s", "achou o último atendimento trabalhoso: esforço %s de 5%s"}),
		"first_response_hours": above("support_slow", msg{"waited %s hours on average for a first answer%s", "esperou %s horas em média pela primeira resposta%s"}, n),
		"resolution_hours":     above("support_slow", msg{"support took %s hours on average to resolve their tickets%s", "o suporte levou %s horas em média para resolver os chamados%s"}, n),
		"tickets":              aboveN("support_contacts", msg{"1 support ticket%s", "1 chamado de suporte%s"}, msg{"%s support tickets%s", "%s chamados de suporte%s"}),
		"tickets_per_30d":      above("support_contacts", msg{"%s support tickets a month%s", "%s chamados de suporte por mês%s"}, n),
		"tickets_total":        aboveN("support_contacts", msg{"1 support ticket so far%s", "1 chamado de suporte até agora%s"}, msg{"%s support tickets so far%s", "%s chamados de suporte até agora%s"}),
		"tickets_stale_open":   count("support_unresolved", msg{"1 support ticket open for more than a week%s", "1 chamado de suporte aberto há mais de uma semana%s"}, msg{"%s support tickets open for more than a week%s", "%s chamados de suporte abertos há mais de uma semana%s"}),
		"tickets_low_csat":     count("support_dissatisfied", msg{"1 support ticket rated 1 or 2 of 5%s", "1 chamado de suporte avaliado com 1 ou 2 de 5%s"}, msg{"%s support tickets rated 1 or 2 of 5%s", "%s chamados de suporte avaliados com 1 ou 2 de 5%s"}),
		"tickets_change": func(x fact) (string, string, bool) {
			if math.IsNaN(x.v) || x.v <= 0 {
				return "", "", false
			}
			return "support_contacts", x.say(msg{"%s more support tickets in the last %d days than in the %d days before", "%s chamados de suporte a mais nos últimos %d dias que nos %d dias anteriores"}, x.num(x.v), x.days, x.days), true
		},
		"tickets_other": aboveN("support_contacts", msg{"1 support ticket by other channels%s", "1 chamado de suporte por outros canais%s"}, msg{"%s support tickets by other channels%s", "%s chamados de suporte por outros canais%s"}),
		// A recent ticket is no reason by itself: what it said and how it
		// went are.
		"days_since_ticket": none,
		// Absences that are no reason to act: no ticket, no NPS answer.
		"tickets_none": none,
		"nps_none":     none,
		"nps_count":    none,
		// nps
		"nps_latest":    nps,
		"nps_detractor": nps,
		"nps_passive":   nps,
		"nps_promoter":  nps,
		"days_since_nps": func(x fact) (string, string, bool) {
			return nps(x)
		},
		"nps_change": func(x fact) (string, string, bool) {
			if !(x.v < 0) {
				return "", "", false
			}
			return "nps_drop", x.say(msg{"NPS answer down %s points on the previous one", "resposta de NPS %s pontos abaixo da anterior"}, x.num(-x.v)), true
		},
		"nps_mean": func(x fact) (string, string, bool) {
			if math.IsNaN(x.v) || x.v >= 7 {
				return "", "", false
			}
			return "nps_detractor", x.say(msg{"NPS answers average %s of 10", "respostas de NPS com média %s de 10"}, n(x, x.v)), true
		},
		// spending
		"spend_vs_baseline": usual("spend_decline", msg{"spending per day", "gastos por dia"}, msg{"no spending in the last %d days, after regular spending before", "nenhum gasto nos últimos %d dias, depois de gastos regulares antes"}),
		"spend_ratio":       decline("spend_decline", msg{"spending", "gastos"}),
		"last_order_vs_avg": func(x fact) (string, string, bool) {
			if !(x.v <= 1-minDrop) {
				return "", "", false
			}
			return "spend_decline", x.say(msg{"last purchase day %s below their average purchase day", "último dia de compra %s abaixo da média dos dias de compra"}, x.pct(1-x.v)), true
		},
		"spend_change":     fewer("spend_decline", msg{"spending", "gastos"}, "spend_%dd"),
		"days_since_order": lapse,
		"refunds_count":    count("spend_refunds", msg{"1 refund so far%s", "1 reembolso até agora%s"}, msg{"%s refunds so far%s", "%s reembolsos até agora%s"}),
		"refunds_amount":   above("spend_refunds", msg{"refunded %s so far%s", "reembolsado %s até agora%s"}, money),
		"refund_share":     above("spend_refunds", msg{"%s of spending refunded%s", "%s dos gastos reembolsados%s"}, pct),
		"orders_none":      flag("spend_none", msg{"has not bought anything yet", "ainda não comprou nada"}),
		"spend":            below("spend_low", msg{"spent %s%s", "gastou %s%s"}, money),
		"orders":           belowN("spend_low", msg{"1 purchase%s", "1 compra%s"}, msg{"%s purchases%s", "%s compras%s"}),
		"spend_per":        below("spend_low", msg{"spends %s a month%s", "gasta %s por mês%s"}, money),
		"monetary_total":   below("spend_low", msg{"spent %s in total%s", "gastou %s no total%s"}, money),
		"orders_total":     belowN("spend_low", msg{"1 purchase so far%s", "1 compra até agora%s"}, msg{"%s purchases so far%s", "%s compras até agora%s"}),
		"purchase_days":    belowN("spend_low", msg{"bought on 1 day so far%s", "comprou em 1 dia até agora%s"}, msg{"bought on %s days so far%s", "comprou em %s dias até agora%s"}),
		"avg_order_value":  below("spend_low", msg{"average purchase %s%s", "compra média de %s%s"}, money),
		"repeat_day_value": below("spend_low", msg{"repeat purchases average %s%s", "compras repetidas de %s em média%s"}, money),
	}
}

// countN wraps a rule for a whole count: when the row's count is 1, the
// sentence is one (a fmt format taking the window) plus the typical value.
func countN(r rule, one msg) rule {
	return func(x fact) (string, string, bool) {
		code, text, ok := r(x)
		if !ok || math.Round(x.v) != 1 {
			return code, text, ok
		}
		return code, x.say(one, x.window()) + x.typical(func(v float64) string { return x.num(math.Round(v)) }), true
	}
}

// rate1 wraps a rule for a rate shown with one decimal: when the row's rate
// shows as 1, the sentence is one (a fmt format taking the window) plus
// the typical value.
func rate1(r rule, one msg) rule {
	return func(x fact) (string, string, bool) {
		code, text, ok := r(x)
		if !ok || math.Round(x.v*10) != 10 {
			return code, text, ok
		}
		return code, x.say(one, x.window()) + x.typical(func(v float64) string { return x.num(math.Round(v*10) / 10) }), true
	}
}

// none is the rule of a feature that never reads as a reason.
func none(fact) (string, string, bool) { return "", "", false }

// lapse: no purchase for longer than the customer's own usual gap between
// purchase days, or, with one purchase day only, than the typical customer.
func lapse(x fact) (string, string, bool) {
	if math.IsNaN(x.v) {
		return "", "", false
	}
	f := x.e.f
	if nx, tx := f.RFMx[x.row], f.RFMtx[x.row]; nx >= 1 && tx > 0 {
		gap := tx / nx
		if !(x.v >= max(gap/(1-minDrop), gap+minDaysGap)) {
			return "", "", false
		}
		return "purchase_lapse", x.say(msg{"no purchase for %s (they usually buy every %s)", "nenhuma compra há %s (costuma comprar a cada %s)"}, x.daysText(x.v), x.daysText(math.Max(1, math.Round(gap)))), true
	}
	if math.IsNaN(x.peer) || !(x.v >= max(x.peer/(1-minDrop), x.peer+minDaysGap)) {
		return "", "", false
	}
	return "purchase_lapse", x.say(msg{"no purchase for %s", "nenhuma compra há %s"}, x.daysText(x.v)) + x.typical(x.daysText), true
}

// longest is the feature of base with the longest window (base_Nd), NaN
// when the frame has none.
func (x fact) longest(base string) float64 {
	best, v := 0, math.NaN()
	for k, n := range x.e.f.Names {
		if b, d := splitWindow(n); b == base && d > best {
			best, v = d, x.e.f.At(x.row, k)
		}
	}
	return v
}

// get is another feature of the same row, NaN when the frame lacks it.
func (x fact) get(name string) float64 {
	if k := x.e.f.Col(name); k >= 0 {
		return x.e.f.At(x.row, k)
	}
	return math.NaN()
}

// genericReason phrases a family feature without a rule of its own from the
// shape of its name, against the customer's own past: a ratio ("_ratio",
// "_vs_", "baseline") at most 1-minDrop is a decline on their usual level,
// a change ("change", "diff", "slope", "trend") below 0 a decline, and
// "days_since_" well above the typical customer (as the since rule says)
// an inactivity: codes FAMILY_decline and FAMILY_inactive (spend_ for the
// spending family). Any other value, above or below the typical customer,
// is no reason: that a customer does more or less of something than most
// is nothing a marketer can act on until a rule says why it is a risk.
func genericReason(x fact, fam Family) (string, string, bool) {
	what := x.e.humanize(x.e.f.Names[x.j])
	if fam == FamilySpending {
		fam = "spend" // the codes' spelling: spend_low, spend_decline
	}
	name := x.e.f.Names[x.j]
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(name, s) {
				return true
			}
		}
		return false
	}
	switch {
	case math.IsNaN(x.v):
		return "", "", false
	case has("ratio", "_vs_", "baseline"):
		if !(x.v <= 1-minDrop) {
			return "", "", false
		}
		return string(fam) + "_decline", x.say(msg{"%s: down %s on their usual level", "%s: %s abaixo do habitual"}, what, x.pct(1-x.v)), true
	case has("change", "diff", "slope", "trend"):
		if !(x.v < 0) {
			return "", "", false
		}
		return string(fam) + "_decline", x.say(msg{"%s: down %s", "%s: queda de %s"}, what, x.num(math.Round(-x.v*10)/10)), true
	case strings.HasPrefix(x.base, "days_since_"):
		if math.IsNaN(x.peer) || !(x.v >= max(x.peer/(1-minDrop), x.peer+minDaysGap)) {
			return "", "", false
		}
		return string(fam) + "_inactive", x.say(msg{"%s: %s", "%s: %s"}, what, x.daysText(x.v)) + x.typical(x.daysText), true
	}
	return "", "", false
}

// mainDays is the length of the main window, read from the names.
func (f *Frame) mainDays() int {
	for _, n := range f.Names {
		if b, d := splitWindow(n); b == "engagement_score" {
			return d
		}
	}
	return 0
}

// splitWindow splits "tickets_30d" into "tickets" and 30.
func splitWindow(name string) (string, int) {
	i := strings.LastIndexByte(name, '_')
	if i < 0 || !strings.HasSuffix(name, "d") {
		return name, 0
	}
	d, err := strconv.Atoi(name[i+1 : len(name)-1])
	if err != nil {
		return name, 0
	}
	return name[:i], d
}

func num(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// humanize turns a feature name into words: "tickets_other_90d" reads
// "tickets other (last 90 days)".
// humanize is the package's humanize with an event-mix rank (event_rNN_*)
// replaced by the event name of that rank in the frame's catalog, so that
// a reason names the action the customer took, not its rank.
func (e *Explainer) humanize(name string) string {
	w := humanize(name)
	const prefix = "event_r"
	if e.f.Catalog == nil || len(name) < len(prefix)+2 || !strings.HasPrefix(name, prefix) {
		return w
	}
	r, err := strconv.Atoi(name[len(prefix) : len(prefix)+2])
	if err != nil || r < 1 || r > len(e.f.Catalog.Events) {
		return w
	}
	return strings.Replace(w, fmt.Sprintf("event r%02d", r), fmt.Sprintf("event %q", e.f.Catalog.Events[r-1]), 1)
}

func humanize(name string) string {
	base, d := splitWindow(name)
	if strings.HasSuffix(base, "_vs") {
		base, d = name, 0 // "sessions_30d_vs_365d" compares two windows
	}
	words := strings.ReplaceAll(base, "_", " ")
	if d > 0 {
		return fmt.Sprintf("%s (last %d days)", words, d)
	}
	return words
}
