package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"churn/data"
)

// TestPassthroughEmailToList: an email column of customers/, named in
// lists.passthrough (here through CHURN_LISTS_PASSTHROUGH), is carried by
// the scores into a CSV list beside each customer's id.
func TestPassthroughEmailToList(t *testing.T) {
	t.Parallel()
	ds := t.TempDir()
	copyTree(t, generated(t), ds)
	files, err := filepath.Glob(filepath.Join(ds, "customers", "*.parquet"))
	if err != nil || len(files) == 0 {
		t.Fatalf("customers files: %v %v", files, err)
	}
	email := func(id string) string { return strings.ToLower(id) + "@example.com" }
	for _, f := range files {
		cols, err := data.ReadColumns(f)
		if err != nil {
			t.Fatal(err)
		}
		ids := column(t, cols, "customer_id").Strings
		e := make([]string, len(ids))
		for i, id := range ids {
			e[i] = email(id)
		}
		cols = append(cols, data.OutColumn{Name: "email", Kind: data.String, Strings: e})
		if err := data.WriteParquet(f, cols, data.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	cmd := churnCmd(t.TempDir(), "run", "--data", ds, "--registry", registry(t), "--out", out, "--as-of", genAsOf)
	cmd.Env = append(cmd.Env, "CHURN_LISTS_PASSTHROUGH=email")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("run with a passthrough column: %v\n%s", err, lastLines(string(b), 10))
	}
	list := filepath.Join(t.TempDir(), "list.csv")
	if r := churn(t, t.TempDir(), "lists", "--scores", out, "--segment", "at_risk", "--out", list); r.code != 0 {
		t.Fatalf("lists: %s", r)
	}
	f, err := os.Open(list)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) < 2 || !slices.Equal(recs[0][:2], []string{"customer_id", "email"}) {
		t.Fatalf("list header %v with %d rows, want customer_id, email first and some rows", recs[0], len(recs)-1)
	}
	for _, r := range recs[1:] {
		if r[1] != email(r[0]) {
			t.Errorf("customer %s has email %q, want %q", r[0], r[1], email(r[0]))
		}
	}
}
