package load

import (
	"context"
	"math"
	"testing"

	"churn/data"
	"churn/data/sample"
	"churn/features"
)

// sampleCustomers is the customer count of the embedded sample
// (data/sample/doc.go).
const sampleCustomers = 1800

func TestAllAndFrame(t *testing.T) {
	ctx := context.Background()
	ds, err := Dataset("")
	if err != nil {
		t.Fatal(err)
	}
	cs, st, err := All[data.Customer](ctx, ds, data.Customers, data.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != sampleCustomers || st.Kept != sampleCustomers {
		t.Fatalf("got %d customers (kept %d), want %d", len(cs), st.Kept, sampleCustomers)
	}
	ids := map[string]bool{}
	for _, c := range cs {
		ids[c.ID] = true
	}
	if len(ids) != sampleCustomers {
		t.Errorf("got %d distinct ids after cloning, want %d", len(ids), sampleCustomers)
	}

	end, _ := data.ParseDate(sample.End)
	cfg := features.DefaultConfig()
	cut := cfg.MonthlyCutoffs(end, 1)
	full, err := Frame(ctx, ds, cfg, cut, end.UnixNano(), 0)
	if err != nil {
		t.Fatal(err)
	}
	// Rows after the cutoff must not change the features (the leakage rule
	// of features/doc.go).
	past, err := Frame(ctx, ds, cfg, cut, end.UnixNano(), cut[0])
	if err != nil {
		t.Fatal(err)
	}
	if full.Rows() == 0 || full.Rows() != past.Rows() {
		t.Fatalf("rows: full %d, until cutoff %d", full.Rows(), past.Rows())
	}
	for i := range full.X {
		a, b := full.X[i], past.X[i]
		if a != b && !(math.IsNaN(a) && math.IsNaN(b)) {
			t.Fatalf("feature %s of row %d: %v with later rows, %v without", full.Names[i%len(full.Names)], i/len(full.Names), a, b)
		}
	}
}
