package data

import "time"

// DateLayout is the layout of every calendar date churn reads or writes
// (an as-of date, a cutoff, a DATE column as text): YYYY-MM-DD, the day in
// UTC.
const DateLayout = time.DateOnly

// FormatDate returns the UTC calendar date of t, YYYY-MM-DD.
func FormatDate(t time.Time) string { return t.UTC().Format(DateLayout) }

// ParseDate reads a date YYYY-MM-DD as its first instant: midnight UTC.
func ParseDate(s string) (time.Time, error) { return time.Parse(DateLayout, s) }
