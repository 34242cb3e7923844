package serve

import (
	"bytes"
	"net/http"
	"testing"

	"churn/internal/s3test"
	"churn/jobs/lists/liststest"
)

// TestServeFromS3: the page serves the runs of a bucket (gofakes3, the
// real protocol) as it serves them from a folder, answer for answer, and
// a run whose upload has not finished (parts and manifest, no _SUCCESS)
// is neither listed nor served.
func TestServeFromS3(t *testing.T) {
	srv := s3test.Start(t, "scores")
	dir := t.TempDir()
	liststest.Write(t, dir, liststest.Run{AsOf: "2024-05-01", Customers: 500, Seed: 1})
	liststest.Write(t, dir, liststest.Run{AsOf: "2024-06-01", Customers: 2000, Seed: 2, Odd: true})
	srv.PutDir(t, "scores", "nightly", dir)
	// A later run caught mid-upload: everything but _SUCCESS.
	half := t.TempDir()
	liststest.Write(t, half, liststest.Run{AsOf: "2024-07-01", Customers: 300, Seed: 3})
	srv.PutDir(t, "scores", "nightly", half)
	srv.Delete(t, "scores", "nightly/as_of=2024-07-01/_SUCCESS")

	local, err := Handler(Options{Scores: dir})
	if err != nil {
		t.Fatal(err)
	}
	remote, err := Handler(Options{Scores: srv.URL("scores", "nightly")})
	if err != nil {
		t.Fatalf("Handler on S3: %v", err)
	}
	for _, target := range []string{"/api/summary", "/api/summary?as_of=2024-05-01",
		"/api/customers?segment=at_risk&sort=-churn_probability&page=2&size=9",
		"/download.csv?as_of=2024-06-01&risk=high", "/api/customer/C0000007"} {
		wc, _, want := get(t, local, target)
		gc, _, got := get(t, remote, target)
		if gc != wc || !bytes.Equal(got, want) {
			t.Errorf("%s: S3 answered %d, %d bytes; the folder %d, %d bytes, or other bytes", target, gc, len(got), wc, len(want))
		}
		if wc != http.StatusOK {
			t.Errorf("%s: %d from the folder, want 200", target, wc)
		}
	}
	if code, _, body := get(t, remote, "/api/summary?as_of=2024-07-01"); code != http.StatusNotFound {
		t.Errorf("the run without _SUCCESS: %d %s; want 404", code, body)
	}
}
