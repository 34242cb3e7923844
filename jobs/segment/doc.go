// Package segment places every scored customer: a churn risk tier (high,
// medium, low) by thresholds that are absolute or relative to the base
// rate of the customers not churned, a value tier by quantiles among the
// customers who have a value, the value at risk (probability times value),
// and one of the six segments of SPEC.md, named as configured (Options).
// Assemble does all of it for a frame; Count totals customers and value at
// risk per segment, in the order of runs.Segments. Nothing depends on the
// order of the rows beyond the row itself, except the base rate and the
// quantiles, which are taken over the whole population: from Population
// and CutValues, summaries that merge exactly in any grouping and order
// (the base rate is the correctly rounded mean), so that a job scoring
// its customers in ranges gets the thresholds and cut points of one pass
// over every customer.
package segment
