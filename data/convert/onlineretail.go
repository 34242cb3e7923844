package convert

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"churn/data"
)

// retailHeader is the header of the UCI Online Retail CSV.
var retailHeader = []string{"InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"}

// OnlineRetail converts the UCI Online Retail invoice lines (a CSV with
// retailHeader, already decompressed) into the contract under outDir.
//
//   - Lines without CustomerID are dropped (Stats.Dropped["no_customer_id"]).
//   - The lines of an invoice become one order: order_id = InvoiceNo,
//     ts = InvoiceDate (`YYYY-MM-DD HH:MM:SS`, read as UTC) of its first
//     line, amount = Σ Quantity x UnitPrice in input order.
//   - A cancellation (InvoiceNo starting with "C") becomes a refund order
//     with a negative amount (-|Σ|); Stats counts its lines and orders.
//   - CustomerID is a float string ("17850.0"): the id is its integer
//     ("17850"). A line naming another customer than its invoice's first
//     line is dropped ("customer_conflict").
//   - A customer signs up at their first invoice (by time, then input
//     order), and their region is that invoice's Country.
func OnlineRetail(r io.Reader, outDir string) (Stats, error) {
	var st Stats
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(retailHeader)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return st, fmt.Errorf("online retail: header: %w", err)
	}
	for i, h := range retailHeader {
		if strings.TrimPrefix(head[i], "\ufeff") != h {
			return st, fmt.Errorf("online retail: header column %d is %q, want %q: %w", i+1, head[i], h, ErrMalformed)
		}
	}
	type invoice struct {
		order   data.Order
		country string
		refund  bool
	}
	index := map[string]int{}
	var invoices []invoice
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return st, fmt.Errorf("online retail: %w", err)
		}
		st.RowsRead++
		line, _ := cr.FieldPos(0)
		no, cust := rec[0], strings.TrimSpace(rec[6])
		if cust == "" {
			st.drop(DropNoCustomerID)
			continue
		}
		id, err := customerID(cust)
		if err != nil {
			return st, fmt.Errorf("online retail: line %d: %w", line, err)
		}
		qty, err1 := strconv.ParseFloat(rec[3], 64)
		price, err2 := strconv.ParseFloat(rec[5], 64)
		if err := errors.Join(err1, err2); err != nil || !finite(qty) || !finite(price) {
			return st, fmt.Errorf("online retail: line %d: quantity %q unit price %q: %w", line, rec[3], rec[5], ErrMalformed)
		}
		i, ok := index[no]
		if !ok {
			ts, err := time.Parse(time.DateTime, rec[4])
			if err != nil {
				return st, fmt.Errorf("online retail: line %d: invoice date %q: %w", line, rec[4], ErrMalformed)
			}
			i = len(invoices)
			index[no] = i
			invoices = append(invoices, invoice{
				order:   data.Order{CustomerID: id, TS: data.Instant(ts), OrderID: strings.Clone(no), Margin: math.NaN()},
				country: strings.Clone(rec[7]),
				refund:  strings.HasPrefix(no, "C"),
			})
		}
		inv := &invoices[i]
		if inv.order.CustomerID != id {
			st.drop(DropCustomerChanged)
			continue
		}
		inv.order.Amount += qty * price
		if inv.refund {
			st.RefundLines++
		}
	}
	orders := make([]data.Order, len(invoices))
	first := map[string]int{} // customer -> index of their first invoice
	var customers []data.Customer
	for i, inv := range invoices {
		o := inv.order
		if inv.refund {
			o.Amount = -math.Abs(o.Amount)
			st.RefundOrders++
		}
		orders[i] = o
		j, ok := first[o.CustomerID]
		if !ok {
			first[o.CustomerID] = len(customers)
			customers = append(customers, data.Customer{ID: o.CustomerID, SignupAt: o.TS, Region: inv.country, CancelledAt: data.NoTime})
			continue
		}
		if o.TS < customers[j].SignupAt {
			customers[j].SignupAt, customers[j].Region = o.TS, inv.country
		}
	}
	if err := write(outDir, customers, orders); err != nil {
		return st, fmt.Errorf("online retail: %w", err)
	}
	st.Customers, st.Orders = len(customers), len(orders)
	return st, nil
}

// customerID turns the float string of the dataset ("17850.0") into the
// integer id ("17850").
func customerID(s string) (string, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v != math.Trunc(v) || v < 0 || v > 1e15 {
		return "", fmt.Errorf("customer id %q: %w", s, ErrMalformed)
	}
	return strconv.FormatInt(int64(v), 10), nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
