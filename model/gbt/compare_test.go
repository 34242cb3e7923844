package gbt

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestWriteComparison writes the matrices of a Go fit, and its figures, for
// testdata/compare_xgboost.py to fit XGBoost on exactly the same split:
//
//	GBT_COMPARE_DIR=/tmp/cmp GBT_COMPARE_ROWS=500000 go test -run WriteComparison ./model/gbt/
//	/usr/bin/python3 model/gbt/testdata/compare_xgboost.py /tmp/cmp
//
// It is skipped unless GBT_COMPARE_DIR is set.
func TestWriteComparison(t *testing.T) {
	dir := os.Getenv("GBT_COMPARE_DIR")
	if dir == "" {
		t.Skip("set GBT_COMPARE_DIR to write the XGBoost comparison matrices")
	}
	rows := 200_000
	if s := os.Getenv("GBT_COMPARE_ROWS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("GBT_COMPARE_ROWS: %v", err)
		}
		rows = n
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	train, valid, test := wide(rows, 100, 31), wide(rows/4, 100, 32), wide(rows/2, 100, 33)
	for name, d := range map[string]Data{"train": train, "valid": valid, "test": test} {
		if err := writeCSV(filepath.Join(dir, name+".csv"), d); err != nil {
			t.Fatal(err)
		}
	}
	p := DefaultParams()
	start := time.Now()
	m, err := Fit(train, &valid, p)
	if err != nil {
		t.Fatal(err)
	}
	secs := time.Since(start).Seconds()
	pr := make([]float64, test.Rows)
	m.Predict(pr, test.X)
	res := map[string]any{
		"auc":     auc(pr, test.Y),
		"seconds": secs,
		"trees":   m.BestIteration() + 1,
		"workers": workerCount(p.Workers),
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("go: %s", b)
}

// writeCSV writes d with the label first and empty fields for NaN.
func writeCSV(path string, d Data) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	w := bufio.NewWriter(f)
	fmt.Fprint(w, "y")
	for j := 0; j < d.Cols; j++ {
		fmt.Fprintf(w, ",x%d", j)
	}
	fmt.Fprintln(w)
	buf := make([]byte, 0, 32)
	for i := 0; i < d.Rows; i++ {
		buf = strconv.AppendFloat(buf[:0], d.Y[i], 'g', -1, 64)
		for _, v := range d.X[i*d.Cols : (i+1)*d.Cols] {
			buf = append(buf, ',')
			if !missing(v) {
				buf = strconv.AppendFloat(buf, v, 'g', -1, 64)
			}
		}
		buf = append(buf, '\n')
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return w.Flush()
}
