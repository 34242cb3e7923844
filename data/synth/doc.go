// Package synth writes realistic synthetic customer histories that follow
// the input contract: the six tables of SPEC.md as Parquet files, for
// tests, demos, benchmarks and the embedded sample dataset. The data is
// what models learn on, so it is built to pose a fair but not trivial
// problem: a logistic regression on a dozen history features ranks 90-day
// churners with a ROC AUC near 0.78 (TestRealism), not 0.5 and not 0.99.
//
// # Files, shards and determinism
//
// Customers are split into shards of Config.ShardSize (default 10,000).
// GenerateShard writes shard s as OUT/<table>/part-<s:05d>.parquet for each
// of the six tables through data.TableWriter, every file's rows sorted by
// time (histories arrive sorted by time, not by customer). The simulation
// runs day by day across the shard's customers; each day's rows are sorted
// by time and appended, so no shard-wide sort is needed and memory holds a
// few days of rows, not the shard's history. Files are written under a
// temporary name (fsutil.TempPath) and renamed when the whole shard is
// complete.
//
// Every customer draws from its own PCG stream seeded by (Seed, customer
// index), so a customer's history depends on neither the shard size nor
// the order or parallelism in which shards run: the same Config writes the
// same bytes. Customer i gets the id C%07d of i+1. Timestamps are whole
// seconds, strings are interned (one id string per customer, constant
// event and channel names) and row buffers are reused, so the generator
// allocates little per row. Generate runs the shards one after the other;
// callers that want parallelism run GenerateShard on several goroutines.
//
// # The generative story
//
// Customers. A share InitialShare (default 0.45) signed up before the
// window, 30 days plus an exponential tenure of mean 300 days earlier (at
// most 2,000); the rest sign up during it, more towards the end (day =
// Days * U^0.8), so there are new customers at the end. A share
// NonContractualShare (default 0.25) has plan pay_as_you_go: no
// subscription, ad-hoc orders only, and they leave silently; the others
// subscribe to basic (50%, 29/month), pro (35%, 79) or business (15%,
// 249) and get cancelled_at when they leave. 20% of subscribers pay 15%
// less in their first year. Regions: US 30%, BR 26%, PT 16%, UK 14%, DE
// 14% (1% null), with their UTC offsets for the hour of activity;
// acquisition channels organic, paid_search, social, referral, partner
// (3% null).
//
// Engagement. Each customer has a baseline log visit rate mu (plan mean
// plus N(0, 0.6)) and a latent level e that follows a mean-reverting
// random walk: e += 0.05 (mu + offset - 0.4 sev - e) + N(0, 0.12) per day.
// Decline episodes start with probability 0.0018 a day and push offset
// down by 0.006-0.02 a day for 20 + Exp(50) days; afterwards half of the
// customers recover (offset shrinks by 4% a day), half stay low. Product
// problems (probability 0.003 a day, 3 + Exp(10) days, severity sev in
// 0.3..1) lower engagement and raise tickets and churn. Customers who
// sign up in the window start below baseline, the more so the lower their
// onboarding propensity onb ~ N(0, 1), which also scales their core
// actions in the first 30 days.
//
// Churn. The daily hazard is plan base (basic 0.0006, pro 0.00045,
// business 0.00027, pay_as_you_go 0.0006) times exp of
//
//	-2.0 (e - mu)            engagement below the personal baseline
//	-0.35 (mu - plan mean)   customers who use the product little by nature
//	-2.0 (e7 - e45)          the trend: 7-day against 45-day average of e
//	+0.45 bad                bad support experiences, half-life 60 days
//	+0.6 sev                 an ongoing product problem
//	-0.5 satP                personal satisfaction, seen only through NPS
//	+channel                 paid_search +0.25, social +0.15, referral -0.35, partner -0.15
//	+exp(-tenure/90)         the first months are riskier
//	+1.0                     not activated (fewer core actions in the first
//	                         21 days than the plan's threshold), first year
//	-0.25 / +0.4             discounted first year / the 90 days after the price went up
//
// clamped to exp(+-4), plus 0.0002 a day of abrupt leaving for reasons the
// data cannot show, capped at 0.2. So some customers decline slowly before
// leaving, some leave abruptly with little warning, and some dip and
// recover. The leaving instant falls inside the day; activity stops there.
//
// Sessions. Poisson(exp(e)) a day, 0.45 times that on weekends for
// subscribers; hour of day around local office hours; duration_s
// lognormal (median exp(5.2 + 0.3 (e - mu)) s, sigma 0.8, at most 4 h),
// pages 1 + Poisson(duration/75), channel app or web by a personal share;
// 2% null durations, 2% null pages, 1% null channels.
//
// Events. A login at the start of 85% of sessions, then Poisson(plan rate
// x exp(0.5 (e - mu))) core actions inside the session: view_dashboard,
// create_report (weight 1.2 exp(0.4 (e - mu))), export (0.5 exp(-0.8 (e -
// mu)), quantity lognormal rows) and invite_user (0.15 exp(e - mu)): as
// engagement falls, reports and invitations give way to exports.
// Customers with an integration (pro 35%, business 60%) get a nightly
// integration_sync while engaged. 3% of quantities are null (1).
//
// Tickets. Rate 0.005 x plan factor x exp(-0.6 (e - mu)) x (1 + 5 sev) a
// day. The tone (negative, neutral, positive) follows satP, engagement,
// bad experiences and problems plus noise; the text, English for US, UK,
// DE and Portuguese for BR, PT, is a subject and one to three sentences
// drawn from many templates of that tone (with intensifiers, negations
// such as "not bad" and "não funciona", and the odd neutral sentence in an
// angry message). Channel email 45%, chat 35%, phone 20%, with a quarter of
// angry tickets on social; first_response_s lognormal around a channel
// median (email 3 h, chat 90 s, phone 40 s, social 1.5 h; 3% null); a
// latent service quality decides resolution (about 85% resolved, the
// others have a null resolved_at, as do resolutions after End), csat (50%
// present) and effort (40% present), 1..5. Unresolved or poor contacts add
// to bad. sentiment is set on 4% of tickets only.
//
// Surveys. NPS asked with probability 1/110 a day, answered 35% of the
// time: round(7.2 + 1.6 s + N(0, 1.2)) clamped to 0..10, where s is
// satisfaction from satP, engagement, bad experiences and problems; 30%
// carry a comment in the customer's language.
//
// Orders. Subscribers are invoiced every 30 days from signup at the
// (discounted) monthly price, 80% with the plan's margin. Everyone buys ad
// hoc with a personal rate (Gamma: pay_as_you_go mean 1/20 a day, shape
// 0.8; subscribers' add-ons mean 1/90, shape 0.5) times exp(0.6 (e - mu)),
// spending a personal lognormal mean (pay_as_you_go median 45, add-ons
// 30) times lognormal noise (sigma 0.35); 60% carry a margin. 3% of ad-hoc
// orders are refunded, fully or partly, 1 to 14 days later, as a negative
// amount.
package synth
