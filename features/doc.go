// Package features turns customer histories into feature vectors as of a
// cutoff instant, with churn labels and value-model inputs. It is pure: no
// I/O, no logging, no goroutines.
//
// # Use
//
//	b, err := features.NewBuilder(cfg, cutoffs, dataEnd)
//	b.AddCustomers(rows) // the whole customers table first
//	b.Freeze()
//	b.AddSessions(rows)  // ... AddEvents, AddTickets, AddSurveys, AddOrders
//	frame, err := b.Build(present) // or b.BuildAt(present, k), one cutoff at a time,
//	                               // or b.BuildLabelled(present), the rows with a label alone
//
// To fold on n goroutines, split the fold by customer:
//
//	shards := b.Shards(n)             // shard w folds the customers with index % n == w
//	idx, unknown, err := b.Resolve(idx, rows) // once per batch, from any goroutine
//	shards[w].AddResolved(rows, idx)  // every shard sees every batch, on its own goroutine
//	err = b.JoinShards(shards)        // then b.Build as above
//
// To build on n goroutines, fill the parts of one plan:
//
//	p, err := b.PlanBuild(present, labelled) // Build's frame (BuildLabelled's with labelled), rows laid out
//	err = p.Fill(j)                          // for 0 <= j < p.Parts(), from any goroutine, in any order
//	frame := p.Frame                         // once every part is filled: Build's frame, bit for bit
//
// b.PlanBuildMapped(present, labelled) is the same plan with the matrix
// mapped off the Go heap: the heap would clear it on the goroutine that
// allocates it, while mapped memory is first written, and faulted in huge
// pages, by the goroutines that fill the parts. Its X lives as long as a
// copy of the Frame is reachable (Frame.X).
//
// To learn the catalog while folding the events (one read of them), fold
// them under a guess and settle it with the catalog learned:
//
//	b.SetCatalog(guess); shards := b.Shards(n) // or ShareCatalog
//	mark, err := b.MarkEvents(shards)          // before the first event row
//	...                                        // fold the events, profiling every row (EventProfile)
//	refold, err := b.Recatalog(mark, learned)  // true: fold every event row again
//
// Each table is read once, whatever the number of cutoffs: every row is
// routed to the cutoffs whose windows it falls in and folded into
// fixed-size per-customer, per-cutoff accumulators (counters, 12 weekly
// bins, a 192-day activity bitmap). Lifetime counters of sessions and core
// actions (count, last, onboarding) are kept per bucket between two
// cutoffs and summed at Build, so an old row touches one accumulator, not
// one per cutoff. Sums are kept in integers (fixed point to 1e-6 for money,
// sentiment, margins and weights; milliseconds for durations), so merges
// are exact and associative. The RFM figures come from per-cutoff order
// sums (with the first and last purchase day and the amount of the first)
// and one bitmap of purchase days per customer, one bit per day from the
// first purchase to the last, which counts distinct days exactly: the only
// state that grows with history length, by 1 bit per customer-day. Memory
// otherwise grows with customers x cutoffs, never with events or history
// length. A table's accumulators are allocated on its first row, in pages
// of 1,024 customers kept off the Go heap where the platform allows
// (offheap.go), so a shard holds only the tables and customers it folds.
//
// A Builder is not safe for concurrent use; shards share only read-only
// state and may run in parallel, and together hold one set of
// accumulators. Resolve and Index read only the frozen index and may be
// called from many goroutines at once, as may a BuildPlan's Fill for
// different parts. JoinShards moves the shards'
// accumulators into b without a copy and gives the features that feeding
// b alone gives; joined shards are spent. sentiment.Score is safe for
// concurrent use.
//
// Each table's accumulators, fold, merge and feature families are in one
// file of its name (customers.go, sessions.go, events.go, tickets.go,
// surveys.go, orders.go); a history table declares what the Builder does
// with it beyond its fold (the batches it takes, merging, sharding, the
// row view of Build) as a tableFold, and tableFolds lists them. The label
// rule, from the activity flags the fold sets to a row's status and label,
// is label.go.
//
// Shards are the parallel fold within one process. Across processes, a
// fold is split by rows: a fork (Fork) folds some files, EncodePartial
// carries its accumulators as bytes, DecodePartial turns them back into a
// fork, and Merge combines forks (partial.go). Merging is exact in any
// grouping and order.
//
// # Point in time
//
// One boundary convention holds for every instant here, a cutoff as much
// as a Builder's dataEnd: it is the first instant not covered. A label is
// complete only when c + Config.LabelSpan <= dataEnd. Readers bounded with
// data.ReadOptions.Until = dataEnd (inclusive) may hand on a row at exactly
// dataEnd: every cutoff up to dataEnd, and every complete label, leaves it
// out.
//
// A feature for cutoff c uses only rows with timestamp strictly before c;
// a row at c belongs to the label side. The customers table counts only as
// of c: customers who sign up at or after c have no row, and cancelled_at
// matters only through the status (cancelled before c: churned) and the
// label. Values known later than a row's timestamp wait for that instant:
// a ticket's first response counts once created_at + first_response_s <
// c, its resolution time once resolved_at < c, and its CSAT and effort once
// it is resolved (at creation when it has no resolution time); a ticket
// resolved at or after c is open at c.
//
// # Status and label
//
// Status at c: churned when cancelled_at < c, or, for a noncontractual
// customer past NewDays, with no session, event or order in the lookback
// window [c-Lookback, c); new when tenure < NewDays; active otherwise.
// Refunds (orders with a negative amount) are not activity, here or in the
// label. Status is the label's; it says nothing of a customer's value.
//
// Label at c, over the horizon [c+Gap, c+Gap+Horizon): NaN when
// c+Gap+Horizon > dataEnd (incomplete horizon; Gap+Horizon is
// Config.LabelSpan) or the customer is churned at c. Contractual: 1 when
// cancelled_at is in the horizon, 0 when it is null or after it, NaN when
// it falls in the gap. Noncontractual: NaN unless active in the lookback
// window; then 1 when the horizon holds no session, event or order, else
// 0. LabelMode Auto picks the definition per customer and cutoff from the
// plan and the cancellations before the cutoff (see Auto).
//
// # Windows and tenure
//
// Windows come from Config.Windows (default 7, 30, 90 days); "Nd" in a name
// is the window length. The main window is the middle one (30 days by
// default), the long window the last (90). A window [c-w, c) is compared
// with the one before it, [c-2w, c-w). Rates are per week over the part of
// the window after signup (exposure), so a 3-week-old customer is not
// "declining" for having an empty 90-day window; a comparison with the
// previous window is NaN until that window holds at least min(w, 7 days)
// of tenure. Missing means NaN, never zero: a mean over nothing, a ratio
// over zero, a latest value that does not exist, and every column of a
// family whose table the dataset lacks. Indicator columns (…_never,
// …_none) say when the absence itself is the signal.
//
// # Features
//
// In order, for the default windows. Each line: name, unit, window, and
// how it stays before the cutoff where that needs saying.
//
// Family profile (customers):
//
//	tenure_days  days  signup to c
//
// Family usage (events; core actions are Config.CoreEvents, or all
// events, minus Config.IgnoreEvents and the catalog's automated names
// (EventProfile.Catalog: near-daily for nearly everyone, and as frequent
// on the days without a visit as on the days with one) that
// CoreEvents does not list):
//
//	core_actions_7d  count  [c-7d, c)
//	core_per_week_7d  per week  [c-7d, c), over the exposure after signup
//	core_ratio_7d  ratio  weekly rate in [c-7d, c) over [c-14d, c-7d); NaN when the earlier rate is 0
//	core_diff_7d  per week  same rates, difference
//	core_actions_30d  count  [c-30d, c)
//	core_per_week_30d  per week  [c-30d, c)
//	core_ratio_30d  ratio  [c-30d, c) over [c-60d, c-30d)
//	core_diff_30d  per week  [c-30d, c) minus [c-60d, c-30d)
//	core_actions_90d  count  [c-90d, c)
//	core_per_week_90d  per week  [c-90d, c)
//	core_ratio_90d  ratio  [c-90d, c) over [c-180d, c-90d)
//	core_diff_90d  per week  [c-90d, c) minus [c-180d, c-90d)
//	core_weekly_slope  per week per week  least-squares slope of the weekly counts over the last 12 complete weeks after signup (NaN under 4)
//	days_since_core  days  c minus the last core action; NaN when none
//	core_never  0/1  no core action before c
//	core_share_30d  fraction  core actions over all events, [c-30d, c)
//	event_kinds_30d  count  distinct event names in [c-30d, c): each of the catalog's names, all others as one
//	core_active_days_30d  days  days with a core action in [c-30d, c)
//	core_vs_baseline  ratio  weekly rate in [c-30d, c) over the rate from signup to c-30d; NaN under 30 days of earlier tenure
//	onboarding_core_14d  count  core actions in [signup, signup+14d); NaN until that period has passed
//	onboarding_core_30d  count  same, first 30 days
//
// Family visits (sessions):
//
//	sessions_7d  count  [c-7d, c)
//	sessions_per_week_7d  per week  [c-7d, c), over the exposure
//	sessions_ratio_7d  ratio  weekly rate in [c-7d, c) over [c-14d, c-7d)
//	active_days_7d  days  distinct days with a session in [c-7d, c) (days counted back from c)
//	sessions_30d  count  [c-30d, c)
//	sessions_per_week_30d  per week  [c-30d, c)
//	sessions_ratio_30d  ratio  [c-30d, c) over [c-60d, c-30d)
//	active_days_30d  days  [c-30d, c)
//	sessions_90d  count  [c-90d, c)
//	sessions_per_week_90d  per week  [c-90d, c)
//	sessions_ratio_90d  ratio  [c-90d, c) over [c-180d, c-90d)
//	active_days_90d  days  [c-90d, c)
//	stickiness  fraction  active days over days of tenure in [c-30d, c): the per-customer DAU/MAU
//	stickiness_change  fraction  stickiness minus that of [c-60d, c-30d)
//	days_since_session  days  c minus the last session; NaN when none
//	session_never  0/1  no session before c
//	session_seconds_30d  seconds  mean duration, [c-30d, c)
//	session_seconds_ratio  ratio  mean duration in [c-30d, c) over [c-60d, c-30d)
//	pages_per_session_30d  pages  mean pages, [c-30d, c)
//	pages_per_session_ratio  ratio  [c-30d, c) over [c-60d, c-30d)
//	session_weekly_slope  per week per week  as core_weekly_slope, for sessions
//	sessions_vs_baseline  ratio  as core_vs_baseline, for sessions
//	onboarding_sessions_14d  count  sessions in [signup, signup+14d); NaN until then
//	onboarding_sessions_30d  count  same, first 30 days
//
// Family engagement (events; core actions as for usage): the engagement score is the sum of
// w(event) over the core actions, with w from Config.EngagementWeights
// (none by default: the defaults name no event; events not listed weigh
// 1).
//
//	engagement_score_30d  points  [c-30d, c)
//	engagement_change  points  minus the score of [c-60d, c-30d); NaN under 60 days of tenure
//	engagement_per_week  points per week  [c-30d, c), over the exposure
//
// Family tickets (tickets, by created_at):
//
//	tickets_7d  count  [c-7d, c)
//	tickets_30d  count  [c-30d, c)
//	tickets_90d  count  [c-90d, c)
//	tickets_per_30d_90d  per 30 days  [c-90d, c), over the exposure
//	tickets_change_30d  count  [c-30d, c) minus [c-60d, c-30d)
//	tickets_cNN_90d  count  tickets of the catalog's ticket channel of rank NN (01 up to MaxChannels, the most frequent first; see Catalog), [c-90d, c)
//	tickets_other_90d  count  tickets of any other channel or none, [c-90d, c)
//	tickets_open  count  created before c, not resolved before c
//	tickets_total  count  created before c
//	days_since_ticket  days  c minus the last ticket; NaN when none
//	first_response_hours_90d  hours  mean first response of tickets in [c-90d, c) answered before c
//	resolution_hours_90d  hours  mean created-to-resolved of tickets in [c-90d, c) resolved before c
//	csat_mean_90d  1..5  mean CSAT of tickets in [c-90d, c) known before c
//	csat_latest  1..5  the CSAT known last
//	effort_mean_90d  1..5  mean effort score (5 = very easy), same rule
//	effort_latest  1..5  the effort score known last
//	tickets_none_90d  0/1  no ticket in [c-90d, c)
//
// Family sentiment (tickets; the precomputed sentiment column wins, else
// sentiment.Score of the text; tickets with neither have no tone):
//
//	sentiment_mean_90d  -1..1  tickets in [c-90d, c)
//	sentiment_latest  -1..1  the latest ticket with a tone in [c-90d, c)
//	sentiment_min_90d  -1..1  the worst
//	negative_share_90d  fraction  tone below Config.NegativeSentiment, over the tickets with a tone
//	negative_tickets_30d  count  negative tickets in [c-30d, c)
//	negative_tickets_90d  count  negative tickets in [c-90d, c)
//
// Family nps (surveys, by answered_at; ties in time resolve to the higher
// score):
//
//	nps_latest  0..10  the latest answer before c
//	nps_promoter  0/1  latest is 9 or 10 (0 when no answer)
//	nps_passive  0/1  latest is 7 or 8
//	nps_detractor  0/1  latest is 0 to 6
//	nps_change  points  latest minus the answer before it
//	days_since_nps  days  c minus the latest answer
//	nps_count  count  answers before c
//	nps_mean  0..10  mean answer before c
//	nps_none  0/1  no answer before c
//
// Family value (orders; amount >= 0 is a purchase, < 0 a refund; days are
// UTC calendar days):
//
//	orders_total  count  purchases before c
//	purchase_days  count  distinct purchase days before c
//	days_since_order  days  the last day before c minus the last purchase day; NaN when none
//	monetary_total  currency  purchases before c
//	avg_order_value  currency  monetary_total over orders_total
//	repeat_day_value  currency  mean of the purchase days after the first (Frame.MeanRepeat)
//	refunds_count  count  refunds before c
//	refunds_amount  currency  refunded before c, positive
//	refund_share  fraction  refunds_amount over monetary_total
//	spend_30d  currency  net amount in [c-30d, c)
//	spend_change_30d  currency  minus the net amount of [c-60d, c-30d); NaN under 60 days of tenure
//	orders_90d  count  purchases and refunds in [c-90d, c)
//	spend_per_30d  currency  net amount per 30 days of tenure, tenure counted as at least 30 days (Frame.SpendRate)
//	margin_mean  fraction  mean known margin of the purchases, Config.DefaultMargin when none
//	historical_clv  currency  average sale x purchases per month x months of tenure x margin = net amount x margin_mean
//	orders_none  0/1  no purchase before c
//
// Family event_mix (events; the catalog's names by rank, NN = 01 up to
// K = Config.EventVocab or the number of names the training data had,
// then "other" for every other name; see Catalog; K = 0 turns the family
// off). The columns are named by rank, never by event name, so renaming a
// dataset's events changes no column; the catalog stored with a model
// fixes them at scoring. The catalog is learned once per training from
// the rows before its latest cutoff: which names get a column is chosen
// with rows after the earlier cutoffs, but no value sees them. Counts and recency come from the rows before
// c only; the lifetime part is kept per bucket between cutoffs like the
// usage family's:
//
//	event_rNN_30d  count  rows of the rank-NN name in [c-30d, c)
//	event_rNN_vs_baseline  ratio  its weekly rate in [c-30d, c) over its weekly rate from signup to c-30d; NaN under 30 days of earlier tenure or no earlier row
//	event_rNN_share_30d  fraction  its rows over all event rows in [c-30d, c); NaN when none
//	event_rNN_share_change  fraction  its share in [c-30d, c) minus its share of all event rows before c-30d
//	event_rNN_days_since  days  c minus its latest row before c, at hour resolution; NaN when none
//	event_other_30d  count  the same five for every name outside the catalog
//	event_other_vs_baseline  ratio
//	event_other_share_30d  fraction
//	event_other_share_change  fraction
//	event_other_days_since  days
//	event_mix_shift  fraction  half the sum of the share changes' magnitudes: how far the mix of [c-30d, c) moved from the customer's earlier mix (0 same, 1 disjoint)
//
// Family attributes (customers; the catalog's attributes, see Catalog and
// attributes.go for the rules). The customers table has one row per
// customer and no history: its columns are taken as they are, for every
// cutoff, so a column that records what happened later (a churn flag, a
// last-login date) would leak the future; such columns must be left out
// with Config.Attributes. Per numeric attribute NAME (the column's name in
// lower case, other bytes as '_'):
//
//	attr_NAME  number  the value; NaN when null
//
// per categorical attribute:
//
//	attr_NAME_rank  rank  the value's frequency rank (0 the most frequent, the number of kept levels for "other"); NaN when null
//	attr_NAME_topN  0/1  the value is the N-th most frequent level (N up to 6); NaN when null
//
// Family channels (sessions; a channel is its name, told apart by a
// 32-bit hash; a customer's state keeps the 4 channels with the smallest
// hashes and sums the others into one, which only matters to a customer
// with more than 4 channels in the 60 days before c). The catalog's
// session channels (see Catalog) are ranked by their rows before the
// latest cutoff, like the event mix's names, and get columns by rank, NN
// = 01 up to MaxChannels; every other channel, and none, is "other". The
// ticket channels of the tickets family are learned the same way. No
// channel is named in code:
//
//	session_channels_30d  count  channels with a session in [c-30d, c)
//	session_top_channel_share_30d  fraction  sessions of the customer's most used channel of [c-30d, c) over all their sessions there; NaN when none
//	session_channel_shift  fraction  half the sum over channels of |share in [c-30d, c) - share in [c-60d, c-30d)|; NaN when either window has no session
//	sessions_per_tenure_day  per day  sessions before c over days of tenure (at least 1), for tenure up to 90 days; NaN after
//	session_cNN_share_30d  fraction  sessions of the rank-NN channel over all sessions in [c-30d, c); NaN when none
//	session_cNN_share_change  fraction  that share minus its share of [c-60d, c-30d); NaN when either window has no session
//	session_other_share_30d  fraction  the same two for every other channel
//	session_other_share_change  fraction
//
// Family pace (events):
//
//	core_per_tenure_day  per day  core actions before c over days of tenure (at least 1), for tenure up to 90 days; NaN after
//
// Family support_load (tickets):
//
//	tickets_low_csat_90d  count  tickets in [c-90d, c) whose CSAT (1 or 2) was known before c
//	tickets_stale_open  count  tickets created before c-7d and not resolved before c
//
// Family spend_trend (orders):
//
//	spend_vs_baseline  ratio  net amount per day in [c-30d, c) over the net amount per day from signup to c-30d; NaN under 30 days of earlier tenure or no earlier net spend
//	spend_ratio_30d  ratio  net amount in [c-30d, c) over that of [c-60d, c-30d); NaN under 60 days of tenure or when the earlier is 0
//	last_order_vs_avg  ratio  purchases on the last purchase day before c over the mean purchases per purchase day; NaN without a purchase
//
// # Reasons
//
// An Explainer (reason.go) turns a model's per-feature contributions
// (log-odds, positive raising the risk; TreeSHAP for trees) into at most a
// few reasons a marketer can act on, each a sentence in English or
// Portuguese with a stable code for a CRM to branch on.
//
// Features are grouped into behaviour families by name prefix
// (reasonFamilies; the longest prefix wins): usage (core_, engagement_,
// event_, days_since_core, onboarding_core), visits (sessions, session_,
// active_days, stickiness, pages_per_session, days_since_session,
// onboarding_sessions), support (tickets, csat_, effort_, sentiment_,
// negative_, first_response, resolution_, days_since_ticket), nps (nps_,
// days_since_nps) and spending (orders, spend, refund, monetary_,
// avg_order_value, repeat_day_value, purchase_days, days_since_order,
// revenue, last_order). tenure_days, margin_mean, historical_clv and
// customer attributes (plan, region, acquisition_, attr_) are in no
// family (noReasonPrefixes): the model may lean on them, but they are no
// reason to act. A new feature joins a family, or the no-reason list,
// with one prefix entry; a test fails for a feature placed nowhere.
//
// A family is a reason when its features' contributions sum to more than
// 0.001. Its sentence states the feature with the largest positive
// contribution whose value reads as a risk against the customer's own
// past (a ratio below 1, a change below 0, a longer gap than their usual
// one between purchases) or against the typical customer (the median among
// the frame's active customers, shown in brackets); a value that reads as
// health (visits up, more visits than most) is passed over. One reason per
// family, the largest family first. A customer with no such family gets no
// reason: the output says that nothing raises the risk.
//
// Codes (family_what):
//
//	usage_decline  core actions or engagement down on the previous window or the customer's usual level, or falling week on week
//	usage_inactive  no core action, or no use of an action, for longer than the typical customer
//	usage_never  never used a core feature
//	usage_low  fewer core actions, active days, kinds of action, uses of an action or engagement than the typical customer, or fewer core actions per day since signup (young accounts)
//	visits_decline  visits, time or pages per visit, or share of days visited down on the previous window or the usual level
//	visits_inactive  no visit for longer than the typical customer
//	visits_never  never visited
//	visits_low  fewer or shorter visits than the typical customer, or fewer visits per day since signup (young accounts)
//	support_unresolved  support tickets still open, or open for more than a week
//	support_negative  negative tickets, or a negative tone, in the window
//	support_dissatisfied  CSAT 2 or less, or a point below the typical customer; tickets rated 1 or 2
//	support_effort  customer effort score below the typical customer
//	support_slow  first answers or resolutions slower than for the typical customer
//	support_contacts  more tickets than the typical customer or than the previous window, or a recent ticket
//	nps_detractor  latest NPS answer 0 to 6, or answers averaging below 7
//	nps_passive  latest NPS answer 7 or 8, in the last 180 days
//	nps_drop  latest NPS answer below the previous one
//	spend_decline  net spend down on the previous window or on their usual level, or a last purchase day well below their average one
//	purchase_lapse  no purchase for longer than the customer's usual gap between purchase days (the typical customer's gap when they bought on one day only)
//	spend_refunds  refunds: count, amount or share of spending
//	spend_none  has not bought anything yet
//	spend_low  spends or buys less than the typical customer
//	usage_shift  an action takes a larger share of their actions than before (event_rNN_share_change), or the mix of actions moved away from their usual mix (event_mix_shift), by at least 10 points
//
// The event mix's columns read with the action's name from the catalog:
// its weekly rate down on the customer's usual level (usage_decline), not
// used for longer than the typical customer (usage_inactive), used fewer
// times than the typical customer (usage_low), a rising share of the
// actions (usage_shift); columns of an automated name give no reason. A
// share of visits by channel, the number of channels and the shift
// between them give none: moving between channels is not leaving.
//
// A feature of a family without a rule of its own reads from its name,
// against the customer's own past only: FAMILY_decline for a ratio
// (_ratio, _vs_, baseline) at most 0.8 or a change (change, diff, slope,
// trend) below 0, FAMILY_inactive for days_since_ well above the typical
// customer (FAMILY is usage, visits, support, nps or spend). Any other
// value gives no reason: more or less of something than most customers
// is no risk until a rule says why.
//
// # Value-model inputs
//
// Frame.RFMx, RFMtx, RFMT and MeanRepeat follow lifetimes'
// summary_data_from_transaction_data with freq "D" and
// observation_period_end the last day before the cutoff: x is the number of
// distinct purchase days minus one, t_x the days from the first to the last
// purchase day, T the days from the first purchase day to the last day
// before c, MeanRepeat the mean amount of the purchase days after the first
// (orders of one day summed; 0 when x = 0, where the feature
// repeat_day_value is NaN). They are NaN for a customer without a
// purchase. Frame.SignupAt and CancelledAt give the contractual value model
// its tenures; CancelledAt is data.NoTime unless the cancellation fell
// before c.
package features
