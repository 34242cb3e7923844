package data

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
)

var update = flag.Bool("update", false, "rewrite the fixtures in testdata/")

// writeArrow writes one record of cols as a plain-encoded Parquet file with
// Arrow's writer, an independent writer from ours.
func writeArrow(t testing.TB, path string, fields []arrow.Field, build func(b *array.RecordBuilder)) {
	t.Helper()
	mem := memory.NewGoAllocator()
	b := array.NewRecordBuilder(mem, arrow.NewSchema(fields, nil))
	defer b.Release()
	build(b)
	rec := b.NewRecord()
	defer rec.Release()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	fw, err := pqarrow.NewFileWriter(rec.Schema(), f, parquet.NewWriterProperties(parquet.WithDictionaryDefault(false)), pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	if err := fw.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestTimestampUnits(t *testing.T) {
	const day = int64(19_000) // 2022-01-08
	tests := []struct {
		name string
		typ  arrow.DataType
		v    int64
		want int64
	}{
		{"milli", &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}, 1_700_000_000_123, 1_700_000_000_123_000_000},
		{"micro", &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, 1_700_000_000_123_456, 1_700_000_000_123_456_000},
		{"nano", &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "UTC"}, 1_700_000_000_123_456_789, 1_700_000_000_123_456_789},
		{"micro local", &arrow.TimestampType{Unit: arrow.Microsecond}, 1_700_000_000_000_000, 1_700_000_000_000_000_000},
		{"date", arrow.FixedWidthTypes.Date32, day, day * nsPerDay},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "customers", "part-0.parquet")
			writeArrow(t, path, []arrow.Field{
				{Name: "customer_id", Type: arrow.BinaryTypes.String, Nullable: true},
				{Name: "signup_at", Type: tt.typ, Nullable: true},
				{Name: "extra", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
			}, func(b *array.RecordBuilder) {
				b.Field(0).(*array.StringBuilder).AppendValues([]string{"c1", "c2"}, nil)
				switch fb := b.Field(1).(type) {
				case *array.TimestampBuilder:
					fb.Append(arrow.Timestamp(tt.v))
				case *array.Date32Builder:
					fb.Append(arrow.Date32(tt.v))
				}
				b.Field(1).AppendNull()
				b.Field(2).(*array.Int32Builder).AppendValues([]int32{1, 2}, nil)
			})
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			var got []Customer
			var bad []*RowError
			_, err := ReadFile(context.Background(), File{Table: Customers, Path: path, Rel: "customers/part-0.parquet"},
				ReadOptions{Allocator: mem, OnBad: func(e *RowError) error { bad = append(bad, e); return nil }},
				func(b []Customer) error { got = append(got, b...); return nil })
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].SignupAt != tt.want || got[0].CancelledAt != NoTime {
				t.Errorf("got %+v, want signup_at %d", got, tt.want)
			}
			if len(bad) != 1 || bad[0].Reason() != "null_signup_at" || bad[0].Row != 1 {
				t.Errorf("bad rows = %v, want row 1 null_signup_at", bad)
			}
		})
	}
}

func TestMappingAndSchemaErrors(t *testing.T) {
	dir := t.TempDir()
	renamed := filepath.Join(dir, "renamed.parquet")
	writeArrow(t, renamed, []arrow.Field{
		{Name: "user", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "when", Type: &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}, Nullable: true},
		{Name: "score", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	}, func(b *array.RecordBuilder) {
		b.Field(0).(*array.StringBuilder).Append("u1")
		b.Field(1).(*array.TimestampBuilder).Append(1000)
		b.Field(2).(*array.Int32Builder).Append(9)
	})
	m := Mapping{Surveys: {"customer_id": "user", "answered_at": "when", "nps": "score"}}
	var got []Survey
	_, err := ReadFile(context.Background(), File{Path: renamed, Rel: "surveys/renamed.parquet"}, ReadOptions{Mapping: m},
		func(b []Survey) error { got = append(got, b...); return nil })
	if err != nil || len(got) != 1 || got[0] != (Survey{CustomerID: "u1", AnsweredAt: 1_000_000_000, NPS: 9}) {
		t.Errorf("mapped read = %+v, %v", got, err)
	}

	_, err = ReadFile(context.Background(), File{Path: renamed, Rel: "surveys/renamed.parquet"}, ReadOptions{}, func([]Survey) error { return nil })
	var fe *FileError
	if !errors.As(err, &fe) || !errors.Is(err, ErrMissingColumn) || fe.Column != "customer_id" {
		t.Errorf("unmapped read error = %v, want missing customer_id", err)
	}

	wrong := filepath.Join(dir, "wrong.parquet")
	writeArrow(t, wrong, []arrow.Field{
		{Name: "customer_id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "started_at", Type: arrow.BinaryTypes.String, Nullable: true},
	}, func(b *array.RecordBuilder) {
		b.Field(0).(*array.StringBuilder).Append("c")
		b.Field(1).(*array.StringBuilder).Append("2024-01-01")
	})
	_, err = ReadFile(context.Background(), File{Path: wrong, Rel: "sessions/wrong.parquet"}, ReadOptions{}, func([]Session) error { return nil })
	if !errors.As(err, &fe) || !errors.Is(err, ErrWrongType) || fe.Column != "started_at" {
		t.Errorf("wrong type error = %v, want wrong type on started_at", err)
	}
}

// malformed lists the files of testdata/malformed/ with the table they are
// read as and the sentinel their error must wrap.
var malformed = []struct {
	file  string
	table Table
	want  error
}{
	{"truncated.parquet", Sessions, ErrCorrupt},
	{"not-parquet.parquet", Customers, ErrCorrupt},
	{"wrong-type.parquet", Sessions, ErrWrongType},
	{"missing-column.parquet", Surveys, ErrMissingColumn},
}

// writeFixtures rewrites testdata/ with deterministic content.
func writeFixtures(t *testing.T) {
	good := filepath.Join("testdata", "dataset")
	os.RemoveAll(good)
	writeRows(t, filepath.Join(good, "customers", "part-0.parquet"), []Customer{
		{ID: "c1", SignupAt: t0, Plan: "pro", CancelledAt: NoTime},
		{ID: "c2", SignupAt: t0, Plan: "free", CancelledAt: t0 + 1e15},
	})
	writeRows(t, filepath.Join(good, "sessions", "day=2023-11-14", "part-0.parquet"), []Session{
		{CustomerID: "c1", StartedAt: t0, DurationS: 30, Pages: 2, Channel: "web"},
		{CustomerID: "c2", StartedAt: t0, DurationS: -1, Pages: 1},
	})
	writeRows(t, filepath.Join(good, "surveys", "part-0.parquet"), []Survey{
		{CustomerID: "c1", AnsweredAt: t0, NPS: 11},
		{CustomerID: "c2", AnsweredAt: t0, NPS: 3, Comment: "meh"},
	})
	bad := filepath.Join("testdata", "malformed")
	os.RemoveAll(bad)
	src := filepath.Join(t.TempDir(), "s.parquet")
	writeRows(t, src, []Session{{CustomerID: "c1", StartedAt: t0, DurationS: 1, Pages: 1}})
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(bad, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, "truncated.parquet"), b[:len(b)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, "not-parquet.parquet"), []byte("customer_id,signup_at\nc1,2024-01-01\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	writeArrow(t, filepath.Join(bad, "wrong-type.parquet"), []arrow.Field{
		{Name: "customer_id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "started_at", Type: arrow.BinaryTypes.String, Nullable: true},
	}, func(b *array.RecordBuilder) {
		b.Field(0).(*array.StringBuilder).Append("c1")
		b.Field(1).(*array.StringBuilder).Append("2024-01-01")
	})
	writeRows(t, filepath.Join(bad, "missing-column.parquet"), []Customer{{ID: "c1", SignupAt: t0, CancelledAt: NoTime}})
}

// writeRows writes rows as the file path, in the writer's row groups.
func writeRows[T Row](t *testing.T, path string, rows []T) {
	t.Helper()
	writeRowGroups(t, path, rows, 0)
}

// writeRowGroups writes rows as the file path, in row groups of per rows
// (0: the writer's default).
func writeRowGroups[T Row](t *testing.T, path string, rows []T, per int) {
	t.Helper()
	w, err := NewTableWriter[T](path, WriteOptions{RowGroupRows: per})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func readAs(ctx context.Context, table Table, f File) error {
	_, err := readAny(ctx, table, f, ReadOptions{}, map[string]string{}, &Report{Counts: map[string]int64{}})
	return err
}

func TestMalformed(t *testing.T) {
	if *update {
		writeFixtures(t)
	}
	for _, m := range malformed {
		t.Run(m.file, func(t *testing.T) {
			path := filepath.Join("testdata", "malformed", m.file)
			if _, err := os.Stat(path); err != nil {
				t.Fatalf("committed fixture missing: %v (go test -run TestMalformed -update rewrites it)", err)
			}
			err := readAs(context.Background(), m.table, File{Path: path, Rel: m.file})
			var fe *FileError
			if !errors.As(err, &fe) || !errors.Is(err, m.want) || !strings.Contains(err.Error(), m.file) {
				t.Errorf("error = %v, want a FileError naming the file and wrapping %v", err, m.want)
			}
		})
	}
}

func TestValidateFixtures(t *testing.T) {
	d, err := Discover(filepath.Join("testdata", "dataset"))
	if err != nil {
		t.Fatalf("committed fixture dataset: %v (go test -run TestMalformed -update rewrites it)", err)
	}
	if got := d.Files[Sessions][0].Partition["day"]; got != "2023-11-14" {
		t.Errorf("partition day = %q, want 2023-11-14", got)
	}
	rep, err := Validate(context.Background(), d, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || rep.Fatal() {
		t.Errorf("OK %v Fatal %v, want false false", rep.OK(), rep.Fatal())
	}
	want := map[string]int64{"sessions/negative_duration": 1, "surveys/nps_out_of_range": 1}
	for k, v := range want {
		if rep.Counts[k] != v {
			t.Errorf("count %s = %d, want %d", k, rep.Counts[k], v)
		}
	}
	var sb strings.Builder
	if err := rep.WriteText(&sb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sb.String(), "surveys/part-0.parquet: row group 0, row 0, column nps: value 11") {
		t.Errorf("report text lacks the nps line:\n%s", sb.String())
	}

	// A duplicate id and a corrupt file make the dataset unusable.
	dir := t.TempDir()
	writeRows(t, filepath.Join(dir, "customers", "a.parquet"), []Customer{{ID: "c1", SignupAt: t0, CancelledAt: NoTime}})
	writeRows(t, filepath.Join(dir, "customers", "b.parquet"), []Customer{{ID: "c1", SignupAt: t0, CancelledAt: NoTime}})
	if err := os.WriteFile(filepath.Join(dir, "customers", "c.parquet"), []byte("PAR1 garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err = Discover(dir)
	if err != nil {
		t.Fatal(err)
	}
	rep, err = Validate(context.Background(), d, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Fatal() || rep.Counts["customers/duplicate_customer_id"] != 1 || rep.Counts["customers/corrupt_file"] != 1 {
		t.Errorf("fatal %v counts %v", rep.Fatal(), rep.Counts)
	}
}

func TestDiscoverErrors(t *testing.T) {
	if _, err := Discover(filepath.Join(t.TempDir(), "nope")); !errors.Is(err, ErrNoDataset) {
		t.Errorf("missing root: %v, want ErrNoDataset", err)
	}
	dir := t.TempDir()
	writeRows(t, filepath.Join(dir, "sessions", "p.parquet"), []Session{{CustomerID: "c", StartedAt: t0}})
	if _, err := Discover(dir); !errors.Is(err, ErrNoCustomers) || !strings.Contains(err.Error(), "customers") {
		t.Errorf("no customers: %v, want ErrNoCustomers naming customers", err)
	}
}

func FuzzReadFile(f *testing.F) {
	for _, dir := range []string{"testdata/malformed", "testdata/dataset/customers", "testdata/dataset/surveys"} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if b, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("PAR1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "f.parquet")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, table := range Tables {
			err := readAs(context.Background(), table, File{Path: path, Rel: "f.parquet"})
			var fe *FileError
			if err != nil && !errors.As(err, &fe) {
				t.Fatalf("read as %s: %v is not a *FileError", table, err)
			}
		}
	})
}

func FuzzRowChecks(f *testing.F) {
	f.Add("c1", int64(0), 1.5, 2.0, 3, "text", 4.0, 0.5)
	f.Add("", t0, -1.0, -2.0, 11, "\xff\xfe", 9.0, -3.0)
	f.Fuzz(func(t *testing.T, id string, ts int64, dur, pages float64, nps int, text string, csat, sentiment float64) {
		if ts == NoTime {
			ts++
		}
		dir := t.TempDir()
		writeRows(t, filepath.Join(dir, "sessions", "p.parquet"), []Session{{CustomerID: id, StartedAt: ts, DurationS: dur, Pages: pages}})
		writeRows(t, filepath.Join(dir, "surveys", "p.parquet"), []Survey{{CustomerID: id, AnsweredAt: ts, NPS: nps, Comment: text}})
		writeRows(t, filepath.Join(dir, "tickets", "p.parquet"), []Ticket{{CustomerID: id, CreatedAt: ts, Text: text, CSAT: csat, Effort: csat, Sentiment: sentiment, ResolvedAt: NoTime}})
		ctx := context.Background()
		check := func(kept int64, st FileStats, err error) {
			if err != nil {
				t.Fatal(err)
			}
			var skipped int64
			for _, n := range st.Skipped {
				skipped += n
			}
			if st.Rows != 1 || kept+skipped != 1 || st.Kept != kept {
				t.Fatalf("rows %d kept %d skipped %d", st.Rows, kept, skipped)
			}
		}
		var kept int64
		st, err := ReadFile(ctx, File{Path: filepath.Join(dir, "sessions", "p.parquet")}, ReadOptions{}, func(b []Session) error {
			for _, s := range b {
				if s.CustomerID == "" || s.DurationS < 0 || s.Pages < 0 {
					t.Fatalf("bad session kept: %+v", s)
				}
			}
			kept += int64(len(b))
			return nil
		})
		check(kept, st, err)
		kept = 0
		st, err = ReadFile(ctx, File{Path: filepath.Join(dir, "surveys", "p.parquet")}, ReadOptions{}, func(b []Survey) error {
			for _, s := range b {
				if s.NPS < 0 || s.NPS > 10 || len(s.Comment) > MaxTextBytes {
					t.Fatalf("bad survey kept: %+v", s)
				}
			}
			kept += int64(len(b))
			return nil
		})
		check(kept, st, err)
		kept = 0
		st, err = ReadFile(ctx, File{Path: filepath.Join(dir, "tickets", "p.parquet")}, ReadOptions{}, func(b []Ticket) error {
			for _, s := range b {
				if s.CSAT < 1 || s.CSAT > 5 || s.Sentiment < -1 || s.Sentiment > 1 {
					t.Fatalf("out of range ticket kept: %+v", s)
				}
			}
			kept += int64(len(b))
			return nil
		})
		check(kept, st, err)
	})
}
