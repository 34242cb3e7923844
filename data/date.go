package data

import "time"

// Instants. Inside churn an instant (a row's timestamp, a cutoff, the end
// of the data) is an int64 of nanoseconds since the Unix epoch, UTC, and
// NoTime is none; time.Time is for the edges (flags, config, folder and
// file names, logs, reports). Instant and TimeOf convert between the two.
// A range of instants is half open: a bound such as a cutoff or the end of
// the data is the first instant it does not cover (ReadOptions.Until
// alone keeps a row at its bound, which no feature and no complete label
// reads).

// Instant returns the instant of t.
func Instant(t time.Time) int64 { return t.UnixNano() }

// TimeOf returns instant ns as a time.Time in UTC.
func TimeOf(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// DateLayout is the layout of every calendar date churn reads or writes
// (an as-of date, a cutoff, a DATE column as text): YYYY-MM-DD, the day in
// UTC.
const DateLayout = time.DateOnly

// FormatDate returns the UTC calendar date of t, YYYY-MM-DD.
func FormatDate(t time.Time) string { return t.UTC().Format(DateLayout) }

// ParseDate reads a date YYYY-MM-DD as its first instant: midnight UTC.
func ParseDate(s string) (time.Time, error) { return time.Parse(DateLayout, s) }
