package convert

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// datasets is the shared datasets folder beside the checkout, relative to
// this package; the CDNOW sample is shipped in the repository (cdnowSample).
const datasets = "../../../shared/datasets"

// cdnowSample is the CDNOW purchase log shipped in data/testdata/cdnow.
const cdnowSample = "../testdata/cdnow/CDNOW_sample.txt"

func openShared(t *testing.T, rel string) *os.File {
	t.Helper()
	path := filepath.Join(datasets, rel)
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		t.Skipf("SKIPPED: %s not found: the shared datasets are absent beside this checkout", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// numRows opens a written table file and returns its row count.
func numRows(t *testing.T, dir string, table string) int64 {
	t.Helper()
	path := filepath.Join(dir, table, "part-00000.parquet")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(f, info.Size())
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	return pf.NumRows()
}

func TestCDNOWSample(t *testing.T) {
	f, err := os.Open(cdnowSample)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dir := t.TempDir()
	st, err := CDNOW(f, dir)
	if err != nil {
		t.Fatalf("CDNOW: %v", err)
	}
	t.Logf("stats %+v", st)
	// datasets/README.md: 6,919 lines, 2,357 customers.
	if st.RowsRead != 6919 || st.Customers != 2357 || st.Orders != 6919 || len(st.Dropped) != 0 {
		t.Errorf("stats %+v, want 6919 rows and orders, 2357 customers, nothing dropped", st)
	}
	if got := numRows(t, dir, "customers"); got != 2357 {
		t.Errorf("customers file has %d rows, want 2357", got)
	}
	if got := numRows(t, dir, "orders"); got != 6919 {
		t.Errorf("orders file has %d rows, want 6919", got)
	}
	// Same input, same bytes.
	if _, err := f.Seek(0, 0); err != nil {
		t.Fatal(err)
	}
	dir2 := t.TempDir()
	if _, err := CDNOW(f, dir2); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"customers", "orders"} {
		a, _ := os.ReadFile(filepath.Join(dir, table, "part-00000.parquet"))
		b, _ := os.ReadFile(filepath.Join(dir2, table, "part-00000.parquet"))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s: two conversions differ (%d and %d bytes)", table, len(a), len(b))
		}
	}
}

func TestCDNOWMalformed(t *testing.T) {
	for _, c := range []struct{ name, in string }{
		{"fields", " 00004 0001 19970101  2\r\n 1 2 3\r\n"},
		{"date", " 00004 0001 1997-01-01  2   29.33\r\n"},
		{"dollars", " 00004 0001 19970101  2   abc\r\n"},
	} {
		if _, err := CDNOW(strings.NewReader(c.in), t.TempDir()); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", c.name, err)
		}
	}
}

func TestOnlineRetailSmall(t *testing.T) {
	f, err := os.Open("testdata/online_retail_small.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dir := t.TempDir()
	st, err := OnlineRetail(f, dir)
	if err != nil {
		t.Fatalf("OnlineRetail: %v", err)
	}
	// 7 lines: one without a customer; invoices 536365 (2 lines), 536367,
	// C536379 (a refund), 536380, 536381, for customers 17850, 13047, 14527.
	want := Stats{RowsRead: 7, Customers: 3, Orders: 5, RefundOrders: 1, RefundLines: 1, Dropped: map[string]int64{DropNoCustomerID: 1}}
	if st.RowsRead != want.RowsRead || st.Customers != want.Customers || st.Orders != want.Orders ||
		st.RefundOrders != want.RefundOrders || st.RefundLines != want.RefundLines || st.Dropped[DropNoCustomerID] != 1 {
		t.Errorf("stats %+v, want %+v", st, want)
	}
	if got := numRows(t, dir, "orders"); got != 5 {
		t.Errorf("orders file has %d rows, want 5", got)
	}
}

func TestCustomerID(t *testing.T) {
	for _, c := range []struct{ in, want string }{{"17850.0", "17850"}, {"12346", "12346"}} {
		if got, err := customerID(c.in); err != nil || got != c.want {
			t.Errorf("customerID(%q) = %q, %v, want %q", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{"17850.5", "x", "-3", "NaN"} {
		if _, err := customerID(in); !errors.Is(err, ErrMalformed) {
			t.Errorf("customerID(%q): err = %v, want ErrMalformed", in, err)
		}
	}
}

func TestOnlineRetailReal(t *testing.T) {
	if testing.Short() {
		t.Skip("converts 541,909 lines; skipped with -short")
	}
	f := openShared(t, "online_retail/online_retail.csv.gz")
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	st, err := OnlineRetail(zr, t.TempDir())
	if err != nil {
		t.Fatalf("OnlineRetail: %v", err)
	}
	t.Logf("stats %+v", st)
	// datasets/README.md: 541,909 lines, 135,080 without CustomerID,
	// 4,372 customers, 9,288 cancellation lines (some without a customer).
	if st.RowsRead != 541909 || st.Dropped[DropNoCustomerID] != 135080 || st.Customers != 4372 {
		t.Errorf("stats %+v, want 541909 rows, 135080 without customer, 4372 customers", st)
	}
	if st.RefundLines == 0 || st.RefundLines > 9288 || st.RefundOrders == 0 {
		t.Errorf("refund lines %d, orders %d: want some, at most 9288 lines", st.RefundLines, st.RefundOrders)
	}
}
