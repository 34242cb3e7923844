package runs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"churn/data"
)

func TestFolder(t *testing.T) {
	tests := []struct {
		name string
		day  string
		ok   bool
	}{
		{"as_of=2026-11-01", "2026-11-01", true},
		{"as_of=2024-02-29", "2024-02-29", true},
		{"as_of=2023-02-29", "", false}, // not a calendar date
		{"as_of=2026-1-01", "", false},
		{"as_of=../etc", "", false},
		{".tmp-as_of=2026-11-01-12-ab", "", false},
		{"as_of=2026-11-01T00:00:00Z", "", false},
		{"2026-11-01", "", false},
	}
	for _, tt := range tests {
		day, ok := ParseFolder(tt.name)
		if day != tt.day || ok != tt.ok {
			t.Errorf("ParseFolder(%q) = %q, %v, want %q, %v", tt.name, day, ok, tt.day, tt.ok)
		}
		if ok && Folder(day) != tt.name {
			t.Errorf("Folder(%q) = %q, want %q", day, Folder(day), tt.name)
		}
	}
	cut := time.Date(2026, 11, 1, 23, 30, 0, 0, time.FixedZone("x", -3600))
	if got := Day(cut); got != "2026-11-02" {
		t.Errorf("Day(%v) = %q, want the UTC date 2026-11-02", cut, got)
	}
	if err := CheckDate("2026-13-01"); !errors.Is(err, ErrBadDate) {
		t.Errorf("CheckDate(2026-13-01) = %v, want ErrBadDate", err)
	}
}

// fakeRun writes a run folder by hand: finished (with _SUCCESS) or not.
func fakeRun(t *testing.T, out, name string, finished bool) {
	t.Helper()
	dir := filepath.Join(out, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if finished {
		if err := os.WriteFile(filepath.Join(dir, SuccessFile), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDatesTrustOnlyFinishedRuns(t *testing.T) {
	out := t.TempDir()
	fakeRun(t, out, "as_of=2026-09-01", true)
	fakeRun(t, out, "as_of=2026-10-01", true)
	fakeRun(t, out, "as_of=2026-11-01", false)          // half-copied
	fakeRun(t, out, ".tmp-as_of=2026-12-01-1-ab", true) // being written
	fakeRun(t, out, "as_of=2026-02-30", true)           // not a date
	fakeRun(t, out, "other", true)
	if err := os.WriteFile(filepath.Join(out, "as_of=2026-08-01"), nil, 0o644); err != nil { // a file
		t.Fatal(err)
	}
	dates, err := Dates(out)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"2026-09-01", "2026-10-01"}; !slices.Equal(dates, want) {
		t.Errorf("Dates = %v, want %v", dates, want)
	}
	if d, err := Latest(out); d != "2026-10-01" || err != nil {
		t.Errorf("Latest = %q, %v, want 2026-10-01", d, err)
	}
	oct := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name string
		got  func() (string, error)
		want string
	}{
		{"before the cutoff of a run", func() (string, error) { return Before(out, oct) }, "2026-09-01"},
		{"at or before the cutoff of a run", func() (string, error) { return AtOrBefore(out, oct) }, "2026-10-01"},
		{"at or before a nanosecond earlier", func() (string, error) { return AtOrBefore(out, oct.Add(-1)) }, "2026-09-01"},
		{"before the first run", func() (string, error) { return Before(out, oct.AddDate(0, -1, 0)) }, ""},
	} {
		d, err := tt.got()
		if d != tt.want || (tt.want == "") != errors.Is(err, ErrNoRun) {
			t.Errorf("%s: %q, %v, want %q", tt.name, d, err, tt.want)
		}
	}
	if _, err := Latest(t.TempDir()); !errors.Is(err, ErrNoRun) {
		t.Errorf("Latest of an empty folder: %v, want ErrNoRun", err)
	}
	if _, err := Dates(filepath.Join(out, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Dates of a missing folder: %v, want fs.ErrNotExist", err)
	}
}

func TestWriteOpenRead(t *testing.T) {
	out := t.TempDir()
	cols := []data.OutColumn{
		CustomerID.Strings([]string{"a", "b"}),
		ChurnProbability.Floats([]float64{0.1, 0.9}),
		SegmentColumn.Strings([]string{"Gone", AtRisk}),
	}
	man := &Manifest{AsOf: "2026-11-01", ModelVersion: "v0001", SegmentNames: Names{Churned: "Gone"}.All()}
	stamped := false
	if err := Write(out, cols, man, func() { stamped = true }); err != nil {
		t.Fatal(err)
	}
	if !stamped || !slices.Equal(man.Parts, []string{PartFile}) {
		t.Errorf("finish called %v, parts %v, want true and [%s]", stamped, man.Parts, PartFile)
	}
	// A second write of the same date replaces the first.
	cols[1].Floats[0] = 0.2
	if err := Write(out, cols, man, nil); err != nil {
		t.Fatal(err)
	}
	if d, err := Latest(out); d != "2026-11-01" || err != nil {
		t.Fatalf("Latest = %q, %v, want the run just written", d, err)
	}
	r, err := Open(out, "2026-11-01")
	if err != nil {
		t.Fatal(err)
	}
	if r.Manifest.ModelVersion != "v0001" || r.Manifest.Names().Of(Churned) != "Gone" || r.Manifest.Names().Of(New) != New {
		t.Errorf("manifest read back as %+v", r.Manifest)
	}
	got, err := r.Read(ChurnProbability.Name)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !slices.Equal(got[0].Floats, []float64{0.2, 0.9}) {
		t.Errorf("Read(churn_probability) = %+v, want the second write's values", got)
	}
	if _, err := Open(out, "../x"); !errors.Is(err, ErrBadDate) {
		t.Errorf("Open(../x): %v, want ErrBadDate", err)
	}
	if err := Write(out, cols, &Manifest{AsOf: "2026-11"}, nil); !errors.Is(err, ErrBadDate) {
		t.Errorf("Write of a bad date: %v, want ErrBadDate", err)
	}
}

func TestOpenRefusesPartsOutsideTheRun(t *testing.T) {
	out := t.TempDir()
	fakeRun(t, out, "as_of=2026-11-01", true)
	b := []byte(`{"as_of": "2026-11-01", "parts": ["../../etc/passwd.parquet"]}`)
	if err := os.WriteFile(filepath.Join(out, "as_of=2026-11-01", ManifestFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(out, "2026-11-01"); !errors.Is(err, ErrBadPart) {
		t.Errorf("Open: %v, want ErrBadPart", err)
	}
}

func TestNames(t *testing.T) {
	n := Names{AtRisk: "Watch", Churned: ""}
	if got := n.List(); !slices.Equal(got, []string{AtRiskHighValue, "Watch", HighValue, Healthy, New, Churned}) {
		t.Errorf("List = %v", got)
	}
	ids, err := n.IDs()
	if err != nil || ids["Watch"] != AtRisk || ids[Churned] != Churned {
		t.Errorf("IDs = %v, %v", ids, err)
	}
	bad := Names{"vip": "x", AtRisk: Healthy}
	if errs := bad.Check(); len(errs) != 2 {
		t.Errorf("Check of an unknown id and a duplicate name: %v, want 2 errors", errs)
	}
	if _, err := bad.IDs(); err == nil {
		t.Error("IDs of a duplicate name: no error")
	}
}

func TestRaw(t *testing.T) {
	var nilMap map[string]int
	if b, err := Raw(nilMap); b != nil || err != nil {
		t.Errorf("Raw(nil map) = %q, %v, want nil", b, err)
	}
	if b, err := Raw(map[string]int{"a": 1}); string(b) != `{"a":1}` || err != nil {
		t.Errorf("Raw = %q, %v", b, err)
	}
}

// recorder is a Pending that records what WriteTo did, in order, as a
// store without rename (an object store) would see it.
type recorder struct {
	dir    string
	calls  []string
	commit error
}

func (r *recorder) Dir() string { return r.dir }

func (r *recorder) MarkSuccess() error {
	ents, _ := os.ReadDir(r.dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	r.calls = append(r.calls, "mark after "+strings.Join(names, ","))
	return nil
}

func (r *recorder) Commit() error { r.calls = append(r.calls, "commit"); return r.commit }
func (r *recorder) Abort() error  { r.calls = append(r.calls, "abort"); return nil }

// TestWriteToProtocol: the part and the manifest are written before the
// success marker, the commit comes last, and a failed commit aborts.
func TestWriteToProtocol(t *testing.T) {
	cols := []data.OutColumn{CustomerID.Strings([]string{"a"})}
	r := &recorder{dir: t.TempDir()}
	if err := WriteTo(r, cols, &Manifest{AsOf: "2026-11-01"}, nil); err != nil {
		t.Fatal(err)
	}
	want := []string{"mark after " + ManifestFile + "," + PartFile, "commit"}
	if !slices.Equal(r.calls, want) {
		t.Errorf("calls %q, want %q", r.calls, want)
	}
	boom := errors.New("boom")
	r = &recorder{dir: t.TempDir(), commit: boom}
	if err := WriteTo(r, cols, &Manifest{AsOf: "2026-11-01"}, nil); !errors.Is(err, boom) {
		t.Errorf("WriteTo with a failing commit: %v, want boom", err)
	}
	if r.calls[len(r.calls)-1] != "abort" {
		t.Errorf("calls %q, want an abort after the failed commit", r.calls)
	}
}
