package main

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"churn/data/runs"
)

// An independent generator that follows SPEC.md and shares no code with
// data/synth or data's writers: parquet-go's GenericWriter with its own
// struct tags, timestamps in MILLIS, signup_at as DATE, extra columns the
// contract does not know, Hive-style region=XX/ folders and several files
// per table.

type indCustomer struct {
	ID          string `parquet:"customer_id"`
	SignupAt    int32  `parquet:"signup_at,date"`
	Plan        string `parquet:"plan"`
	Region      string `parquet:"region"`
	Channel     string `parquet:"acquisition_channel"`
	CancelledAt int64  `parquet:"cancelled_at,optional,timestamp(millisecond)"` // 0 is null
	Loyalty     string `parquet:"loyalty_tier"`                                 // unknown to the contract
	Score       int64  `parquet:"internal_score"`
}

type indSession struct {
	CustomerID string  `parquet:"customer_id"`
	StartedAt  int64   `parquet:"started_at,timestamp(millisecond)"`
	DurationS  float64 `parquet:"duration_s"`
	Pages      int32   `parquet:"pages"`
	Channel    string  `parquet:"channel"`
	Browser    string  `parquet:"browser"` // unknown
}

type indEvent struct {
	CustomerID string  `parquet:"customer_id"`
	TS         int64   `parquet:"ts,timestamp(millisecond)"`
	Event      string  `parquet:"event"`
	Quantity   float64 `parquet:"quantity"`
}

type indSurvey struct {
	CustomerID string `parquet:"customer_id"`
	AnsweredAt int64  `parquet:"answered_at,timestamp(millisecond)"`
	NPS        int32  `parquet:"nps"`
	Comment    string `parquet:"comment,optional"`
}

// independentDataset writes n customers over days days ending at end.
// About a third stop being active and cancel; the rest stay.
func independentDataset(t testing.TB, n, days int, end time.Time) string {
	t.Helper()
	root := t.TempDir()
	rng := rand.New(rand.NewPCG(42, 7))
	start := end.AddDate(0, 0, -days)
	regions := []string{"BR", "US"}
	for ri, region := range regions {
		for shard := range 2 {
			var cust []indCustomer
			var sess []indSession
			var events []indEvent
			var surveys []indSurvey
			for i := range n / (len(regions) * 2) {
				id := fmt.Sprintf("%s-%d-%05d", region, shard, i)
				signup := start.AddDate(0, 0, rng.IntN(days/3))
				last := end
				c := indCustomer{ID: id, SignupAt: int32(signup.Unix() / 86400), Plan: []string{"basic", "pro"}[rng.IntN(2)],
					Region: region, Channel: "ads", Loyalty: "gold", Score: int64(ri*1000 + i)}
				if rng.Float64() < 0.35 {
					last = signup.AddDate(0, 0, 30+rng.IntN(days-days/3-30))
					if last.AddDate(0, 0, 10).Before(end) {
						c.CancelledAt = last.AddDate(0, 0, 10).UnixMilli()
					}
				}
				cust = append(cust, c)
				gap := 2 + rng.IntN(6)
				for d := signup.AddDate(0, 0, 1); d.Before(last) && d.Before(end); d = d.AddDate(0, 0, gap) {
					at := d.Add(time.Duration(rng.IntN(20)) * time.Hour)
					if !at.Before(end) {
						break
					}
					sess = append(sess, indSession{CustomerID: id, StartedAt: at.UnixMilli(), DurationS: float64(30 + rng.IntN(900)),
						Pages: int32(1 + rng.IntN(12)), Channel: []string{"web", "app"}[rng.IntN(2)], Browser: "firefox"})
					events = append(events, indEvent{CustomerID: id, TS: at.Add(time.Minute).UnixMilli(), Event: "report_created", Quantity: 1})
				}
				if rng.Float64() < 0.5 {
					surveys = append(surveys, indSurvey{CustomerID: id, AnsweredAt: signup.AddDate(0, 0, 20).UnixMilli(), NPS: int32(rng.IntN(11))})
				}
			}
			part := fmt.Sprintf("part-%d.parquet", shard)
			dir := "region=" + region
			writeGeneric(t, filepath.Join(root, "customers", dir, part), cust)
			writeGeneric(t, filepath.Join(root, "sessions", dir, "year=2026", part), sess)
			writeGeneric(t, filepath.Join(root, "events", dir, part), events)
			writeGeneric(t, filepath.Join(root, "surveys", dir, part), surveys)
		}
	}
	return root
}

func TestIndependentDataset(t *testing.T) {
	t.Parallel()
	end := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	root := independentDataset(t, 1200, 480, end)
	work := t.TempDir()
	v := churn(t, work, "validate", "--data", root)
	if v.code != 0 {
		t.Fatalf("validate on an independently written dataset: %s", v)
	}
	if !strings.Contains(v.stdout, "files: 16") {
		t.Errorf("validate read other than the 16 files written:\n%s", v.stdout)
	}
	reg := filepath.Join(work, "reg")
	tr := churn(t, work, "train", "--data", root, "--registry", reg, "--as-of", "2026-06-01", "--cutoffs", "6")
	if tr.code != 0 {
		t.Fatalf("train on an independently written dataset: %s", tr)
	}
	out := filepath.Join(work, "out")
	r := churn(t, work, "run", "--data", root, "--registry", reg, "--out", out, "--as-of", "2026-06-01")
	if r.code != 0 {
		t.Fatalf("run on an independently written dataset: %s", r)
	}
	dir := runs.Dir(out, "2026-06-01")
	counts := checkRunFolder(t, dir)
	total := 0
	for _, n := range counts {
		total += n
	}
	if total != 1200 {
		t.Errorf("run scored %d customers, want the 1200 written across the region= folders", total)
	}
	if counts["churned"] == 0 || counts["churned"] == total {
		t.Errorf("segments %v: want some churned customers and some not", counts)
	}
}

// A small generated dataset, on which the value models' standard errors
// come out NaN.
func TestRunSmallGeneratedDataset(t *testing.T) {
	t.Parallel()
	work := t.TempDir()
	r := churn(t, work, "generate", "--customers", "300", "--days", "120", "--end", "2026-11-01", "--seed", "3", "--out", "g")
	if r.code != 0 {
		t.Fatalf("generate: %s", r)
	}
	r = churn(t, work, "run", "--data", "g", "--registry", registry(t), "--out", "out", "--as-of", "2026-11-01")
	if r.code != 0 {
		t.Fatalf("run on a small generated dataset: %s", r)
	}
	checkRunFolder(t, runs.Dir(filepath.Join(work, "out"), "2026-11-01"))
}
