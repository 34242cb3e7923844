package features

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Reason returns a plain-English sentence about feature in row, for a
// feature that pushed the row's score (direction > 0 raised the risk,
// < 0 lowered it). The sentence states the fact behind the feature, the
// same whichever way it pushed, e.g.
// "sessions per week down 62% on the previous 30 days", "2 negative support
// tickets in the last 30 days", "NPS detractor (3) on 2026-10-02", "no core
// action for 41 days". It never prints NaN: a missing value reads as "no
// ... yet" or "too little history".
func (f *Frame) Reason(row int, feature string, direction float64) string {
	j := f.Col(feature)
	if j < 0 || row < 0 || row >= f.Rows() {
		return humanize(feature)
	}
	v := f.At(row, j)
	get := func(name string) float64 {
		if k := f.Col(name); k >= 0 {
			return f.At(row, k)
		}
		return math.NaN()
	}
	base, days := splitWindow(feature)
	in := fmt.Sprintf("in the last %d days", days)
	prev := fmt.Sprintf("the previous %d days", days)
	mainPrev := "the previous period"
	if d := f.mainDays(); d > 0 {
		mainPrev = fmt.Sprintf("the previous %d days", d)
	}
	switch base {
	case "sessions_ratio":
		return change("sessions per week", v, prev)
	case "core_ratio":
		return change("core actions per week", v, prev)
	case "session_seconds_ratio":
		return change("time per visit", v, mainPrev)
	case "pages_per_session_ratio":
		return change("pages per visit", v, mainPrev)
	case "sessions_vs_baseline":
		return change("sessions per week", v, "the customer's earlier average")
	case "core_vs_baseline":
		return change("core actions per week", v, "the customer's earlier average")
	case "days_since_core":
		return since(v, "no core action for %s", "no core action recorded yet")
	case "days_since_session":
		return since(v, "no visit for %s", "no visit recorded yet")
	case "days_since_order":
		return since(v, "no purchase for %s", "no purchase yet")
	case "days_since_ticket":
		return since(v, "last support ticket %s ago", "no support ticket yet")
	case "negative_tickets":
		return count(v, "negative support ticket", in)
	case "tickets":
		return count(v, "support ticket", in)
	case "tickets_open":
		return count(v, "support ticket", "still open")
	case "sessions":
		return count(v, "visit", in)
	case "core_actions":
		return count(v, "core action", in)
	case "nps_latest", "nps_promoter", "nps_passive", "nps_detractor", "days_since_nps", "nps_none":
		return f.npsSentence(row, get("nps_latest"), get("days_since_nps"))
	case "nps_change":
		if math.IsNaN(v) {
			return "only one NPS answer so far"
		}
		return signed(v, "NPS up %s points since the previous answer", "NPS down %s points since the previous answer", "NPS unchanged since the previous answer")
	case "sentiment_latest":
		return tone("latest support ticket", v)
	case "sentiment_mean":
		return tone("support tickets "+in, v)
	case "sentiment_min":
		return tone("worst support ticket "+in, v)
	case "negative_share":
		if math.IsNaN(v) {
			return "no support ticket with a tone " + in
		}
		return fmt.Sprintf("%.0f%% of support tickets %s were negative", 100*v, in)
	case "csat_mean", "csat_latest":
		return score("support satisfaction (CSAT)", v, "no CSAT answer yet")
	case "effort_mean", "effort_latest":
		return score("customer effort score (5 = very easy)", v, "no effort score yet")
	case "first_response_hours":
		return hours("first response to support tickets", v, in)
	case "resolution_hours":
		return hours("time to resolve support tickets", v, in)
	case "stickiness":
		if math.IsNaN(v) {
			return "too little history to measure how often the customer visits"
		}
		return fmt.Sprintf("visited on %.0f%% of recent days", 100*v)
	case "engagement_score":
		return fmt.Sprintf("engagement score %s %s", num(v), in)
	case "engagement_change":
		return signed(v, "engagement score up %s on "+mainPrev, "engagement score down %s on "+mainPrev, "engagement score unchanged on "+mainPrev)
	case "tenure_days":
		return fmt.Sprintf("customer for %s", plural(v, "day"))
	case "core_never":
		return yesNo(v, "never used a core feature", "has used core features")
	case "session_never":
		return yesNo(v, "never visited", "has visited")
	case "orders_none":
		return yesNo(v, "no purchase yet", "has purchased")
	case "onboarding_core":
		if math.IsNaN(v) {
			return fmt.Sprintf("still in the first %d days after signup", days)
		}
		return count(v, "core action", fmt.Sprintf("in the first %d days after signup", days))
	case "monetary_total":
		return fmt.Sprintf("spent %s in total", money(v))
	case "spend":
		return fmt.Sprintf("spent %s %s", money(v), in)
	case "spend_change":
		return signed(v, "spending up %s on "+prev, "spending down %s on "+prev, "spending unchanged on "+prev)
	case "refunds_count":
		return count(v, "refund", "so far")
	case "spend_per":
		return fmt.Sprintf("spends %s per 30 days on average", money(v))
	case "sessions_per_week":
		return rate(v, "visits per week", in)
	case "core_per_week":
		return rate(v, "core actions per week", in)
	case "active_days":
		return count(v, "active day", in)
	case "core_share":
		if math.IsNaN(v) {
			return "no product events " + in
		}
		return fmt.Sprintf("%.0f%% of product events %s were core actions", 100*v, in)
	case "historical_clv":
		return fmt.Sprintf("gross margin to date %s", money(v))
	case "core_diff":
		return signed(v, "%s more core actions per week than "+prev, "%s fewer core actions per week than "+prev, "as many core actions per week as "+prev)
	case "core_weekly_slope":
		return trend("core actions", v)
	case "session_weekly_slope":
		return trend("visits", v)
	case "core_active_days":
		return count(v, "day", "with a core action "+in)
	case "event_kinds":
		return count(v, "different product action", in)
	case "engagement_per_week":
		return rate(v, "engagement points per week", in)
	case "stickiness_change":
		if math.IsNaN(v) {
			return "too little history to compare how often the customer visits"
		}
		return signed(100*v, "visiting on %s more days in every 100 than "+mainPrev, "visiting on %s fewer days in every 100 than "+mainPrev, "visiting as often as "+mainPrev)
	case "session_seconds":
		if math.IsNaN(v) {
			return "no visit " + in
		}
		return fmt.Sprintf("visits lasted %s minutes on average %s", num(math.Round(v/6)/10), in)
	case "pages_per_session":
		if math.IsNaN(v) {
			return "no visit " + in
		}
		return fmt.Sprintf("%s pages per visit on average %s", num(math.Round(v*10)/10), in)
	case "onboarding_sessions":
		if math.IsNaN(v) {
			return fmt.Sprintf("still in the first %d days after signup", days)
		}
		return count(v, "visit", fmt.Sprintf("in the first %d days after signup", days))
	case "tickets_per_30d":
		if math.IsNaN(v) {
			return "too little history to count support tickets"
		}
		return fmt.Sprintf("%s support tickets per month %s", num(math.Round(v*10)/10), in)
	case "tickets_change":
		return signed(v, "%s more support tickets than "+prev, "%s fewer support tickets than "+prev, "as many support tickets as "+prev)
	case "tickets_email", "tickets_chat", "tickets_phone", "tickets_social", "tickets_other":
		return count(v, "support ticket", "by "+strings.TrimPrefix(base, "tickets_")+" "+in)
	case "tickets_total":
		return count(v, "support ticket", "so far")
	case "tickets_none":
		return yesNo(v, "no support ticket "+in, "contacted support "+in)
	case "nps_count":
		return count(v, "NPS answer", "so far")
	case "nps_mean":
		if math.IsNaN(v) {
			return "no NPS answer yet"
		}
		return fmt.Sprintf("NPS answers average %s of 10", num(math.Round(v*10)/10))
	case "orders":
		return count(v, "purchase or refund", in)
	case "orders_total":
		return count(v, "purchase", "so far")
	case "purchase_days":
		return count(v, "day", "with a purchase so far")
	case "avg_order_value":
		if math.IsNaN(v) {
			return "no purchase yet"
		}
		return fmt.Sprintf("average purchase %s", money(v))
	case "repeat_day_value":
		if math.IsNaN(v) {
			return "no repeat purchase yet"
		}
		return fmt.Sprintf("repeat purchases average %s a day", money(v))
	case "refunds_amount":
		return fmt.Sprintf("refunded %s so far", money(v))
	case "refund_share":
		if math.IsNaN(v) {
			return "no purchase yet"
		}
		return fmt.Sprintf("%.0f%% of spending refunded", 100*v)
	case "margin_mean":
		return fmt.Sprintf("purchases carry a %.0f%% margin", 100*v)
	}
	if math.IsNaN(v) {
		return humanize(feature) + ": not known yet"
	}
	return humanize(feature) + ": " + num(v)
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

func (f *Frame) npsSentence(row int, score, days float64) string {
	if math.IsNaN(score) {
		return "no NPS answer yet"
	}
	cat := "NPS detractor"
	switch {
	case score >= 9:
		cat = "NPS promoter"
	case score >= 7:
		cat = "NPS passive"
	}
	if math.IsNaN(days) {
		return fmt.Sprintf("%s (%.0f)", cat, score)
	}
	ts := f.Cutoff[row] - int64(math.Round(days*float64(dayNS)/1e9))*1e9
	return fmt.Sprintf("%s (%.0f) on %s", cat, score, time.Unix(0, ts).UTC().Format("2006-01-02"))
}

func change(what string, r float64, against string) string {
	switch {
	case math.IsNaN(r):
		return fmt.Sprintf("too little history to compare %s with %s", what, against)
	case r < 1:
		return fmt.Sprintf("%s down %.0f%% on %s", what, 100*(1-r), against)
	case r > 1:
		return fmt.Sprintf("%s up %.0f%% on %s", what, 100*(r-1), against)
	}
	return fmt.Sprintf("%s unchanged on %s", what, against)
}

func rate(v float64, what, in string) string {
	if math.IsNaN(v) {
		return fmt.Sprintf("too little history to count %s", what)
	}
	return fmt.Sprintf("%s %s %s", num(v), what, in)
}

func since(v float64, format, none string) string {
	if math.IsNaN(v) {
		return none
	}
	return fmt.Sprintf(format, plural(math.Floor(v), "day"))
}

func count(v float64, noun, tail string) string {
	if math.IsNaN(v) {
		return fmt.Sprintf("no %ss recorded %s", noun, tail)
	}
	return plural(v, noun) + " " + tail
}

func plural(v float64, noun string) string {
	if v == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%.0f %ss", v, noun)
}

func signed(v float64, up, down, same string) string {
	switch {
	case math.IsNaN(v):
		return "too little history to compare with the previous period"
	case v > 0:
		return fmt.Sprintf(up, num(v))
	case v < 0:
		return fmt.Sprintf(down, num(-v))
	}
	return same
}

func tone(what string, v float64) string {
	if math.IsNaN(v) {
		return "no tone measured for " + what
	}
	word := "neutral"
	switch {
	case v <= -0.05:
		word = "negative"
	case v >= 0.05:
		word = "positive"
	}
	return fmt.Sprintf("%s sounded %s (%+.2f)", what, word, v)
}

func score(what string, v float64, none string) string {
	if math.IsNaN(v) {
		return none
	}
	return fmt.Sprintf("%s %s of 5", what, num(v))
}

func hours(what string, v float64, in string) string {
	if math.IsNaN(v) {
		return fmt.Sprintf("no %s measured %s", what, in)
	}
	return fmt.Sprintf("%s %s hours on average %s", what, num(v), in)
}

// trend describes a least-squares weekly slope.
func trend(what string, v float64) string {
	switch {
	case math.IsNaN(v):
		return fmt.Sprintf("too little history for a trend in weekly %s", what)
	case v < 0:
		return fmt.Sprintf("weekly %s falling by %s a week over the last 12 weeks", what, num(math.Round(-v*10)/10))
	case v > 0:
		return fmt.Sprintf("weekly %s rising by %s a week over the last 12 weeks", what, num(math.Round(v*10)/10))
	}
	return fmt.Sprintf("weekly %s flat over the last 12 weeks", what)
}

func yesNo(v float64, yes, no string) string {
	if v == 1 {
		return yes
	}
	return no
}

func num(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

func money(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

// humanize turns a feature name into words: "tickets_email_90d" reads
// "tickets email (last 90 days)".
func humanize(name string) string {
	base, d := splitWindow(name)
	words := strings.ReplaceAll(base, "_", " ")
	if d > 0 {
		return fmt.Sprintf("%s (last %d days)", words, d)
	}
	return words
}
