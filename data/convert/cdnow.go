package convert

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"churn/data"
)

// CDNOW converts a CDNOW purchase log into the contract under outDir.
//
// It reads the 1/10 sample (CDNOW_sample.txt: whitespace-separated
// `master_id sample_id yyyymmdd n_cds dollars`, no header) or the master
// file (CDNOW_master.txt: `customer_id date n_cds dollars` under a header
// line), CRLF or LF. Each line becomes one order at midnight UTC of its day
// with amount = dollars (same-day purchases stay separate rows: the feature
// code merges them). Each customer, with id = the first field as written
// (for example "00004"), signs up at the day of their first purchase.
func CDNOW(r io.Reader, outDir string) (Stats, error) {
	var st Stats
	signup := map[string]int64{}
	var orders []data.Order
	sc := bufio.NewScanner(r)
	var line int64
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		fs := strings.Fields(text)
		if len(fs) == 0 {
			continue
		}
		var id, day, dollars string
		switch len(fs) {
		case 5:
			id, day, dollars = fs[0], fs[2], fs[4]
		case 4:
			id, day, dollars = fs[0], fs[1], fs[3]
		default:
			return st, fmt.Errorf("cdnow: %w", lineError(line, text, fmt.Errorf("%d fields, want 4 or 5: %w", len(fs), ErrMalformed)))
		}
		if line == 1 && strings.Contains(strings.ToLower(text), "date") {
			continue // the master file's header
		}
		st.RowsRead++
		d, err := time.Parse("20060102", day)
		if err != nil {
			return st, fmt.Errorf("cdnow: %w", lineError(line, text, fmt.Errorf("date %q: %w", day, ErrMalformed)))
		}
		amount, err := strconv.ParseFloat(dollars, 64)
		if err != nil || math.IsNaN(amount) || math.IsInf(amount, 0) {
			return st, fmt.Errorf("cdnow: %w", lineError(line, text, fmt.Errorf("dollars %q: %w", dollars, ErrMalformed)))
		}
		ts := data.Instant(d)
		if s, ok := signup[id]; !ok || ts < s {
			signup[id] = ts
		}
		orders = append(orders, data.Order{CustomerID: id, TS: ts, Amount: amount, Margin: math.NaN()})
	}
	if err := sc.Err(); err != nil {
		return st, fmt.Errorf("cdnow: read line %d: %w", line+1, err)
	}
	customers := make([]data.Customer, 0, len(signup))
	for id, ts := range signup {
		customers = append(customers, data.Customer{ID: id, SignupAt: ts, CancelledAt: data.NoTime})
	}
	if err := write(outDir, customers, orders); err != nil {
		return st, fmt.Errorf("cdnow: %w", err)
	}
	st.Customers, st.Orders = len(customers), len(orders)
	return st, nil
}
