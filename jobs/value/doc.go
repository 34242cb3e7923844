// Package value fits the customer value models on a frame of feature rows
// and values every customer, for the nightly run and churn value.
//
// FitFrame fits BG/NBD and Gamma-Gamma on the non-contractual customers'
// purchase histories, in the unit of Options (a week or a day), and one
// shifted-beta-geometric model of renewals per plan, or per signup year,
// with a pooled fit for small or failing groups, on the contractual ones
// (periods of ContractPeriodDays). Values then gives every customer a
// predicted value with its interval and, without a contract, P(alive);
// every path discounts cash flows by the same rule (model/clv/doc.go).
// What was fitted, and every fallback taken, is returned in Fit for the
// manifest and the summary.
//
// It does not import jobs: jobs.Config.Value is an Options.
package value
