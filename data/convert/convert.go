package convert

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"churn/data"
)

// Stats counts what a conversion read and wrote.
type Stats struct {
	RowsRead     int64            // input lines or records, header excluded
	Customers    int              // customers written
	Orders       int              // orders written
	RefundOrders int              // orders written with a negative amount from a cancellation
	RefundLines  int64            // input lines of cancellations that were kept
	Dropped      map[string]int64 // input rows left out, by reason
}

func (s *Stats) drop(reason string) {
	if s.Dropped == nil {
		s.Dropped = map[string]int64{}
	}
	s.Dropped[reason]++
}

// Reasons for dropped rows.
const (
	DropNoCustomerID    = "no_customer_id"    // Online Retail line without CustomerID
	DropCustomerChanged = "customer_conflict" // a line of an invoice that names another customer
)

// ErrMalformed reports an input line that does not follow the dataset's
// format; the error names the line.
var ErrMalformed = errors.New("malformed line")

const batchRows = 64 * 1024

// write writes the customers, sorted by id, and the orders, sorted by time
// and then by their position, under outDir. On error it removes the files
// it wrote.
func write(outDir string, customers []data.Customer, orders []data.Order) error {
	slices.SortFunc(customers, func(a, b data.Customer) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortStableFunc(orders, func(a, b data.Order) int { return cmp.Compare(a.TS, b.TS) })
	cp := filepath.Join(outDir, string(data.Customers), "part-00000.parquet")
	op := filepath.Join(outDir, string(data.Orders), "part-00000.parquet")
	err := writeTable(cp, customers)
	if err == nil {
		err = writeTable(op, orders)
	}
	if err != nil {
		os.Remove(cp)
		os.Remove(op)
	}
	return err
}

func writeTable[T data.Row](path string, rows []T) error {
	w, err := data.NewTableWriter[T](path, data.WriteOptions{})
	if err != nil {
		return err
	}
	for len(rows) > 0 {
		n := min(len(rows), batchRows)
		if err := w.Write(rows[:n]); err != nil {
			w.Close()
			return err
		}
		rows = rows[n:]
	}
	return w.Close()
}

func lineError(line int64, text string, err error) error {
	return fmt.Errorf("line %d %q: %w", line, text, err)
}
