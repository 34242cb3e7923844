// Package clv estimates customer value: how many purchases a customer will
// still make, what they will spend, and what that is worth today.
//
// It works on plain slices (per-customer summaries in one time unit) and
// imports neither data nor features; jobs builds the summaries.
//
// # Non-contractual: BG/NBD
//
// Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way: An
// Alternative to the Pareto/NBD Model", Marketing Science 24(2), 275-284.
// While alive a customer buys as a Poisson process with rate λ ~ Gamma(r, α);
// after each purchase they drop out with probability p ~ Beta(a, b). Each
// customer is summarised by x (repeat purchases in the calibration period),
// t_x (time of the last one, 0 when x = 0) and T (time from the first
// purchase to the end of the period). The likelihood (their eq. 6) is
//
//	L = B(a, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
//	  + [x>0] B(a+1, b+x-1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x))
//
// evaluated in logs with math.Lgamma and a log-sum-exp, so it stays finite
// for any x, t_x and T. FitBGNBD maximises it over log parameters with
// gonum/optimize's BFGS from several deterministic starts, with an analytic
// gradient, until the gradient is below a threshold; customers with
// identical (x, t_x, T) are grouped. Standard errors come from the inverse of
// the observed information (a central-difference Hessian, gonum/diff/fd).
//
//	P(alive | x, t_x, T) = 1 / (1 + [x>0] a/(b+x-1) ((α+T)/(α+t_x))^(r+x))
//	E[X(t)]              = (a+b-1)/(a-1) [1 - (α/(α+t))^r 2F1(r, b; a+b-1; t/(α+t))]
//	E[Y(t) | x, t_x, T]  = (a+b+x-1)/(a-1)
//	                       · [1 - ((α+T)/(α+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(α+T+t))]
//	                       / (1 + [x>0] a/(b+x-1) ((α+T)/(α+t_x))^(r+x))
//
// The Gauss hypergeometric function is summed after Euler's transformation
// (see bracket in hyp.go), which keeps it finite for large x and exact at
// a = 1, where the formula has a removable singularity.
//
// # Non-contractual: Gamma-Gamma spend
//
// Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value"
// (brucehardie.com/notes/025); Fader, Hardie & Lee (2005), "RFM and CLV:
// Using Iso-Value Curves", J. Marketing Research 42(4), 415-430. The mean
// spend m̄ of a customer's x repeat purchases has
//
//	f(m̄ | p, q, γ, x) = Γ(px+q) / (Γ(px) Γ(q)) · γ^q m̄^(px-1) x^(px) / (γ + x m̄)^(px+q)
//	E[M | x, m̄]       = p (γ + x m̄) / (px + q - 1)
//
// It assumes spend independent of purchase frequency; only customers with
// x > 0 and m̄ > 0 enter the fit.
//
// # Discounting
//
// One rule for every value in this package: a cash flow expected k periods
// after the cutoff is counted at the end of period k and divided by
//
//	(1+d)^k,  d = PeriodDiscount(annual, u) = (1+annual)^(u/365) - 1
//
// with u the period's length in days, so the factor is
// (1+annual)^(-k·u/365) whether the period is a day, a week or a month.
// The horizon is n = CLVOptions.Periods periods from the cutoff.
//
// # Lifetime value, non-contractual
//
//	V = margin · E[M | x, m̄] · Σ_{k=1..n} (E[Y(k)] - E[Y(k-1)]) / (1+d)^k
//
// over n time units of the fit, E[M | x, m̄] from Gamma-Gamma (the
// population mean pγ/(q-1) for x = 0) or from Fallback. The series of every
// period share their coefficients, so CLV computes them once and evaluates
// them at each period's z; BGNBD.DiscountedPurchases values many customers
// and sums the series once per distinct (x, T). Every customer who has
// bought is valued, however long ago: P(alive) already discounts the
// quiet ones.
//
// # Lifetime value, contractual
//
// Fader & Hardie (2007), "How to Project Customer Retention", J. Interactive
// Marketing 21(1), 76-90, and Fader & Hardie (2010), "Customer-Base
// Valuation in a Contractual Setting: The Perils of Ignoring
// Heterogeneity", Marketing Science 29(1), 85-93. In the
// shifted-beta-geometric model each customer renews at the end of every
// period with probability 1-θ, θ ~ Beta(α, β). FitSBGCensored fits it by
// maximum likelihood to customers observed for different numbers of
// periods (those still active are right-censored):
//
//	LL = Σ_t d_t ln[B(α+1, β+t-1)/B(α, β)] + Σ_t c_t ln[B(α, β+t)/B(α, β)]
//
// An active customer who has made m renewals has θ ~ Beta(α, β+m), and is
// worth, paying s per period at each renewal,
//
//	V = margin · s · Σ_{k=1..n} B(α, β+m+k)/B(α, β+m) / (1+d)^k
//
// (SBG.DiscountedPayments). As n grows this tends to margin · s ·
// DERL(d | α, β, m)/(1+d), F&H 2010's discounted expected residual lifetime
//
//	DERL(d | α, β, m) = B(α, β+m+1)/B(α, β+m) · 2F1(1, β+m+1; α+β+m+1; 1/(1+d))
//
// which counts the coming renewal's payment undiscounted; the rule above
// counts it at the end of the first period, hence the 1/(1+d). A finite
// horizon is the difference of two DERLs:
//
//	Σ_{k=1..n} = [DERL(m) - (1+d)^(-n) B(α, β+m+n)/B(α, β+m) DERL(m+n)] / (1+d)
//
// ContractualValue is the same sum for a known constant churn probability.
//
// # Uncertainty
//
// Every value comes with an IntervalLevel (95%) interval from the fitted
// parameters' covariance (the inverse of the observed information, as for
// the standard errors), carried to ln(value) by the delta method with
// finite differences in the log parameters:
//
//	Var[ln V] ≈ ∇' Σ ∇,  [low, high] = V · exp(∓1.96 sqrt(Var[ln V]))
//
// BG/NBD and Gamma-Gamma add their variances (the spend model assumes spend
// independent of the purchase process); Fallback uses the Poisson error of
// its pooled rate and the sandwich error of its pooled spend. The interval
// is about the population parameters; it is not a prediction interval for
// what one customer will spend.
//
// # Failures
//
// Fits return sentinel errors (errors.go): ErrBadInput, ErrNoCustomers,
// ErrNoRepeat, ErrNotConverged (with the best point, Converged = false) and
// ErrInfiniteMean. A caller that gets one values customers with Fallback,
// the pooled repeat rate and mean spend, which never yields NaN.
//
// # Time unit
//
// Nothing here assumes days or weeks: α, t, t_x, T and Periods share the
// unit of the summaries the model was fitted on, and the caller records it.
// The published CDNOW results are in weeks.
package clv
