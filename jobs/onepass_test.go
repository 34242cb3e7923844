package jobs

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"churn/data"
)

// onePassCase is a generated dataset for TestCatalogOnePass: customers
// who act on random days with names of given weights, visits on the days
// they act, and the event files split by customer or by time.
type onePassCase struct {
	name      string
	seed      uint64
	customers int                // 90 when 0
	files     int                // event files
	byTime    bool               // files by day rather than by customer
	names     int                // names n0, n1, ... of weights 1, 1/2, 1/3, ... (close: all about 1)
	close     bool               // names of nearly equal weight
	heartbeat bool               // an automated name that fires every day for everyone
	special   func(i int) string // a name customer i also uses every other day, "" none
	guess     string             // what becomes of the guess; "" when the profile reads every file
}

// write writes the case's dataset under root and returns its last day.
func (c onePassCase) write(t *testing.T, root string) (start int64, days int) {
	t.Helper()
	const day = int64(24 * time.Hour)
	days = 300
	start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	rng := rand.New(rand.NewPCG(c.seed, 3))
	var ids []string
	var signups []int64
	var sessIDs []string
	var sessAt []int64
	evIDs := make([][]string, c.files)
	evAt := make([][]int64, c.files)
	evName := make([][]string, c.files)
	weights := make([]float64, c.names)
	total := 0.0
	for j := range weights {
		weights[j] = 1 / float64(j+1)
		if c.close {
			weights[j] = 1 + 0.01*rng.Float64()
		}
		total += weights[j]
	}
	customers := cmp.Or(c.customers, 90)
	for i := range customers {
		id := fmt.Sprintf("c%03d", i)
		ids, signups = append(ids, id), append(signups, start+int64(rng.IntN(60))*day)
		p := 0.2 + 0.6*rng.Float64()
		for d := range days {
			t0 := start + int64(d)*day
			if t0 < signups[i] {
				continue
			}
			file := i % c.files
			if c.byTime {
				file = d * c.files / days
			}
			add := func(at int64, name string) {
				evIDs[file] = append(evIDs[file], id)
				evAt[file] = append(evAt[file], at)
				evName[file] = append(evName[file], name)
			}
			if c.heartbeat {
				add(t0+3*3600e9, "beat")
			}
			if rng.Float64() > p {
				continue
			}
			sessIDs, sessAt = append(sessIDs, id), append(sessAt, t0+9*3600e9)
			for range 1 + rng.IntN(4) {
				r := rng.Float64() * total
				j := 0
				for ; j < len(weights)-1 && r >= weights[j]; j++ {
					r -= weights[j]
				}
				add(t0+9*3600e9+int64(rng.IntN(3600))*1e9, fmt.Sprintf("n%d", j))
			}
			if c.special != nil && d%2 == 0 {
				if name := c.special(i); name != "" {
					add(t0+10*3600e9, name)
				}
			}
		}
	}
	// A row of an unknown customer and a row without a customer id in the
	// last file: counted once, however often the events are read.
	last := c.files - 1
	evIDs[last], evAt[last], evName[last] = append(evIDs[last], "nobody", ""), append(evAt[last], start+day, start+2*day), append(evName[last], "n0", "n0")
	write := func(table, file string, cols []data.OutColumn) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(root, table), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := data.WriteParquet(filepath.Join(root, table, file), cols, data.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	write("customers", "part-0.parquet", []data.OutColumn{{Name: "customer_id", Kind: data.String, Strings: ids}, {Name: "signup_at", Kind: data.Timestamp, Times: signups}})
	write("sessions", "part-0.parquet", []data.OutColumn{{Name: "customer_id", Kind: data.String, Strings: sessIDs}, {Name: "started_at", Kind: data.Timestamp, Times: sessAt}})
	for f := range c.files {
		write("events", fmt.Sprintf("part-%02d.parquet", f), []data.OutColumn{{Name: "customer_id", Kind: data.String, Strings: evIDs[f]},
			{Name: "ts", Kind: data.Timestamp, Times: evAt[f]}, {Name: "event", Kind: data.String, Strings: evName[f]}})
	}
	return start, days
}

// TestCatalogOnePass: loadFrame guessing the catalog from a sample of the
// event files and folding the events once (when the guess folds every
// name as the learned catalog does) gives the frame, the catalog and the
// read's counts of loadFrame reading every event file for the profile
// first, bit for bit, with 1 and 3 workers; over random catalogues whose
// guess is kept, has its ranks moved, or has the events folded again.
func TestCatalogOnePass(t *testing.T) {
	const day = int64(24 * time.Hour)
	for _, c := range []onePassCase{
		{name: "by customer", seed: 1, files: 12, names: 6, guess: "kept"},
		// The sampled file's customers must be enough to call a name
		// automated (automatedMinCustomers, 20).
		{name: "heartbeat, by customer", seed: 2, customers: 300, files: 12, names: 5, heartbeat: true, guess: "kept"},
		{name: "heartbeat, too few customers sampled", seed: 2, files: 12, names: 5, heartbeat: true, guess: "events folded again"},
		{name: "heartbeat, by time", seed: 3, files: 10, names: 5, heartbeat: true, byTime: true, guess: "kept"},
		{name: "close ranks", seed: 4, files: 12, names: 8, close: true, guess: "ranks moved"},
		{name: "sample's customers rank a name first", seed: 5, files: 12, names: 3, guess: "ranks moved",
			special: func(i int) string {
				if i%12 == 6 {
					return "a" // the sampled file's customers: "a" first there, last overall
				}
				return ""
			}},
		{name: "a name the sample does not see", seed: 6, files: 12, names: 4, guess: "events folded again",
			special: func(i int) string {
				if i%12 == 11 {
					return "rare"
				}
				return ""
			}},
		{name: "more names than the mix", seed: 7, files: 20, names: 45, close: true, guess: "events folded again"},
		{name: "one name", seed: 8, files: 12, names: 1, guess: "kept"},
		{name: "one event file", seed: 9, files: 1, names: 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			start, days := c.write(t, root)
			ds, err := discover(root)
			if err != nil {
				t.Fatal(err)
			}
			end := start + int64(days)*day
			cuts := []int64{start + 150*day, start + 180*day, start + 210*day}
			ctx := context.Background()
			for _, workers := range []int{1, 3} {
				load := func(readAll bool) (*loaded, string) {
					cfg, env := sampleConfig(t)
					cfg.Workers = workers
					cfg.catalog.readAll = readAll
					var logs bytes.Buffer
					log := zerolog.New(&logs)
					ld, err := loadFrame(ctx, &cfg, &env, ds, cuts, end, log)
					if err != nil {
						t.Fatal(err)
					}
					guess := ""
					for _, line := range strings.Split(logs.String(), "\n") {
						var m map[string]any
						if json.Unmarshal([]byte(line), &m) == nil && m["message"] == "features catalog learned" {
							guess, _ = m["guess"].(string)
						}
					}
					return ld, guess
				}
				want, wantGuess := load(true)
				got, guess := load(false)
				if wantGuess != "" {
					t.Fatalf("reading every event file, the log says the guess was %q", wantGuess)
				}
				if c.guess != "" && guess != c.guess {
					t.Errorf("%d workers: guess %q, want %q", workers, guess, c.guess)
				}
				if c.files >= 2*sampleEvery && guess == "" {
					t.Errorf("%d workers: %d event files and no guess", workers, c.files)
				}
				t.Logf("%d workers: guess %q, catalog %q, automated %q", workers, guess, got.Frame.Catalog.Events, got.Frame.Catalog.Automated)
				if c.heartbeat && len(want.Frame.Catalog.Automated) == 0 {
					t.Fatal("no automated name: the case tests nothing")
				}
				if !reflect.DeepEqual(*got.Frame.Catalog, *want.Frame.Catalog) {
					t.Fatalf("%d workers: catalog %+v, want %+v", workers, *got.Frame.Catalog, *want.Frame.Catalog)
				}
				if fmt.Sprint(got.Frame.Names, got.Frame.CustomerID, got.Frame.Status) != fmt.Sprint(want.Frame.Names, want.Frame.CustomerID, want.Frame.Status) {
					t.Fatalf("%d workers: names, rows or statuses differ", workers)
				}
				for k := range want.Frame.X {
					if math.Float64bits(got.Frame.X[k]) != math.Float64bits(want.Frame.X[k]) {
						n := len(want.Frame.Names)
						t.Fatalf("%d workers: row %d, %s: %v, want %v", workers, k/n, want.Frame.Names[k%n], got.Frame.X[k], want.Frame.X[k])
					}
				}
				for k := range want.Frame.Label {
					if math.Float64bits(got.Frame.Label[k]) != math.Float64bits(want.Frame.Label[k]) {
						t.Fatalf("%d workers: row %d: label %v, want %v", workers, k, got.Frame.Label[k], want.Frame.Label[k])
					}
				}
				if fmt.Sprint(got.Inputs, got.Rows, got.Skipped, got.Cleaned) != fmt.Sprint(want.Inputs, want.Rows, want.Skipped, want.Cleaned) {
					t.Fatalf("%d workers: read counts\n%v %v %v %v\nwant\n%v %v %v %v", workers, got.Inputs, got.Rows, got.Skipped, got.Cleaned,
						want.Inputs, want.Rows, want.Skipped, want.Cleaned)
				}
				if got.Skipped["events/unknown_customer"] != 1 || len(got.Skipped) != 2 {
					t.Errorf("%d workers: skipped %v, want one unknown customer's event and one without an id", workers, got.Skipped)
				}
			}
		})
	}
}
