package synth

import (
	"math"
	"math/rand/v2"
	"time"
)

const (
	dayNS   = int64(24 * time.Hour)
	microNS = int64(time.Microsecond)
	secNS   = int64(time.Second)
)

// plan indexes planSpecs.
type plan uint8

const (
	basic plan = iota
	pro
	business
	payg // non-contractual: no subscription, ad-hoc orders only
)

// planSpec holds the parameters of one plan; see doc.go.
type planSpec struct {
	name      string
	share     float64 // among contractual customers
	price     float64 // monthly, in the dataset's currency; 0 for payg
	logVisits float64 // mean log sessions per weekday at baseline
	hazard    float64 // daily churn hazard at baseline
	margin    float64 // invoice margin
	tickets   float64 // ticket rate multiplier
	core      float64 // core actions per session at baseline
	integ     float64 // share with an integration that syncs daily
	activate  int     // core actions in the first 21 days that activate
}

var planSpecs = [...]planSpec{
	basic:    {"basic", 0.50, 29, -0.45, 0.0006, 0.72, 1.0, 1.1, 0.10, 7},
	pro:      {"pro", 0.35, 79, -0.10, 0.00045, 0.80, 1.2, 1.3, 0.35, 9},
	business: {"business", 0.15, 249, 0.40, 0.00027, 0.85, 1.6, 1.5, 0.60, 12},
	payg:     {"pay_as_you_go", 0, 0, -1.40, 0.0006, math.NaN(), 0.5, 0.5, 0, 1},
}

// regionSpec is a region with its share, UTC offset and language.
type regionSpec struct {
	name  string
	share float64
	tz    int64 // hours east of UTC
	lang  lang
}

var regionSpecs = [...]regionSpec{
	{"US", 0.30, -5, english},
	{"BR", 0.26, -3, portuguese},
	{"UK", 0.14, 0, english},
	{"DE", 0.14, 1, english},
	{"PT", 0.16, 0, portuguese},
}

// channelSpec is an acquisition channel with its share and its effect on
// the log churn hazard.
type channelSpec struct {
	name   string
	share  float64
	hazard float64
}

var channelSpecs = [...]channelSpec{
	{"organic", 0.30, 0},
	{"paid_search", 0.25, 0.25},
	{"social", 0.15, 0.15},
	{"referral", 0.15, -0.35},
	{"partner", 0.15, -0.15},
}

// Event names, interned: every row points at these strings.
const (
	evLogin       = "login"
	evDashboard   = "view_dashboard"
	evReport      = "create_report"
	evExport      = "export"
	evInvite      = "invite_user"
	evIntegration = "integration_sync"
	evHeartbeat   = "heartbeat"
)

// Session channels and ticket channels, interned.
const (
	chWeb    = "web"
	chApp    = "app"
	chEmail  = "email"
	chChat   = "chat"
	chPhone  = "phone"
	chSocial = "social"
)

// Parameters of the generative story; doc.go explains each.
const (
	kappa          = 0.05   // daily mean reversion of engagement
	sigma          = 0.12   // daily engagement noise
	pDecline       = 0.0018 // daily chance that a decline episode starts
	pRecover       = 0.5    // chance that a decline episode is followed by recovery
	recoverRate    = 0.96   // daily shrink of the offset while recovering
	pProblem       = 0.003  // daily chance of a product problem
	badHalfLife    = 60.0   // days for a bad support experience to weigh half
	hAbrupt        = 0.0002 // daily hazard of leaving for reasons the data cannot see
	maxHazard      = 0.2
	weekendVisits  = 0.45 // weekend session rate of contractual (B2B) customers
	ticketBase     = 0.005
	surveyRate     = 1.0 / 110 // daily chance of being asked for NPS
	surveyResponse = 0.35
	refundShare    = 0.03
)

var badDecay = math.Exp(-math.Ln2 / badHalfLife)

// poisson draws a Poisson variate of mean lam.
func poisson(r *rand.Rand, lam float64) int {
	if lam <= 0 {
		return 0
	}
	if lam > 30 {
		k := math.Round(lam + math.Sqrt(lam)*r.NormFloat64())
		return int(max(k, 0))
	}
	l := math.Exp(-lam)
	k, p := 0, r.Float64()
	for p > l {
		k++
		p *= r.Float64()
	}
	return k
}

// gamma draws a Gamma(shape, scale) variate (Marsaglia and Tsang 2000).
func gamma(r *rand.Rand, shape, scale float64) float64 {
	if shape < 1 {
		u := r.Float64()
		for u == 0 {
			u = r.Float64()
		}
		return gamma(r, shape+1, scale) * math.Pow(u, 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v * scale
		}
	}
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func clamp(x, lo, hi float64) float64 { return max(lo, min(hi, x)) }

// round rounds x to the given number of decimals.
func round(x float64, decimals int) float64 {
	p := math.Pow10(decimals)
	return math.Round(x*p) / p
}

// splitmix64 scrambles x; it decorrelates the per-customer seeds.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// weighted returns an index drawn with probability proportional to w(i).
func weighted(r *rand.Rand, n int, w func(int) float64) int {
	u := r.Float64()
	for i := 0; i < n; i++ {
		u -= w(i)
		if u < 0 {
			return i
		}
	}
	return n - 1
}
