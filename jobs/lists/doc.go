// Package lists turns a run's scored customers into lists for marketing:
// who should get a retention offer today, and why.
//
// # Runs
//
// A scores folder holds one as_of=YYYY-MM-DD/ folder per run, written by
// churn run: part-*.parquet files, one row per customer, manifest.json and
// _SUCCESS. Package data/runs owns that layout; a folder without _SUCCESS
// is not a run.
// The run's date comes from the folder name (the part files carry no
// as_of column; an in-file one, from older runs, is ignored).
// Load reads the latest run (or a given date) into memory as a Run, keeping
// every column and precomputing what filtering needs (small integer codes
// for segments, tiers, regions and plans). Orders sorted by any output
// column are computed once per column and direction and kept, so that a
// page can filter and page a million customers in milliseconds.
//
// # Lists
//
// Write filters a run (segment, churn risk tier, value tier, minimum value,
// minimum probability, region, plan), sorts it (value at risk descending by
// default; ties by customer id), keeps the top N and writes CSV (UTF-8,
// header, ISO dates, decimal point), JSON lines, Parquet or an Excel
// workbook. The columns are customer_id, the run's passthrough columns of
// customers/ (such as email), segment, churn_probability,
// predicted_value, value_at_risk, reason_1..reason_3, reason_codes (the
// reasons' stable codes, ";"-joined), the facts behind the reasons
// (every extra double column of the run, such as days_since_session or
// nps_latest), plan, region, churn_risk, value_tier and as_of.
//
// # Spreadsheets
//
// CSVOptions spells CSV for the program that opens it: a byte order mark,
// a delimiter, decimal commas, and escaping of text cells that a
// spreadsheet would run as formulas (OWASP's CSV injection advice). Plain
// CSV, for CRM imports, escapes nothing; WriteXLSX always escapes.
//
// # Budgeted lists
//
// Budgeted ranks customers by expected net retained value, probability x
// value x save rate - offer cost, and stops where it is not positive or
// at the budget of offers.
//
// # Segments
//
// Runs may rename segments (segments.names); the manifest records the
// names, and comparisons between runs use the canonical ids of
// runs.Segments.
//
// # Changes
//
// With Options.Changes, Write compares the run with the previous one (or
// Options.Since) and writes one row per change, with a change column:
// newly_at_risk, recovered, newly_high_value and churned.
//
// # Errors
//
// Every failure caused by the input wraps ErrInvalid, so that commands map
// it to exit code 2; missing run dates and customers also wrap ErrNotFound.
package lists
