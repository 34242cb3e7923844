// Package serve is churn serve: a read-only web page of a run's scores for
// marketing.
//
// # The page
//
// Counts and value at risk per segment as an SVG bar chart; a filterable
// (segment, churn risk, value tier, region, plan, minimum value, minimum
// probability, customer id) and sortable table with paging; a customer's
// detail with the reasons and each fact's percentile among all customers
// of the run; a "Download CSV" link for the current filter, written by the
// same code as churn lists; the run's date and model version.
//
// # The API behind it
//
//	GET /api/summary?as_of=DATE
//	GET /api/customers?as_of=&segment=&risk=&value_tier=&region=&plan=&min_value=&min_risk=&q=&sort=&page=&size=
//	GET /api/customer/{id}?as_of=DATE
//	GET /download.csv?(the filters of /api/customers)
//
// Bad filters, unknown segments or sort columns and malformed dates answer
// 400, unknown runs and customers 404, each with {"error": "..."}.
//
// # Safety
//
// The assets are embedded; the Content-Security-Policy allows nothing
// beyond the page's own origin. The script builds the page with
// textContent, never innerHTML. Run dates must match YYYY-MM-DD and name an
// existing run folder, so no request reaches a path outside the scores
// folder. ListenAndServe is given the address; the command binds
// 127.0.0.1 by default.
//
// # Speed
//
// Runs stay in memory (lists.Run) with category codes and sorted orders
// computed once per sort column, so a filtered page of a million customers
// is one pass over a precomputed order.
package serve
