package jobs

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"churn/data/store"
	"churn/internal/s3test"
	"churn/model"
)

// TestRegistryStorage: data/store, adapted to model.Storage, keeps the
// contract the registry relies on, on S3 (gofakes3) and on file://: a
// missing object wraps fs.ErrNotExist, a conditional write of a taken key
// fs.ErrExist and leaves the first writer's bytes, and errors name the
// object's URL; an empty registry has no promoted model.
func TestRegistryStorage(t *testing.T) {
	srv := s3test.Start(t, "models")
	for name, loc := range map[string]string{
		"s3":   srv.URL("models", "churn"),
		"file": "file:///" + strings.TrimPrefix(filepath.ToSlash(filepath.Join(t.TempDir(), "reg")), "/"),
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s, err := store.Open(ctx, loc, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			rs := registryStorage{s: s, ctx: ctx}
			defer rs.Close()
			if _, err := rs.Get("PROMOTED"); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), rs.String()+"/PROMOTED") {
				t.Errorf("Get of a missing object = %v, want fs.ErrNotExist naming it", err)
			}
			if err := rs.Put(".v0001.claim", nil, true); err != nil {
				t.Fatal(err)
			}
			if err := rs.Put("v0001/meta.json", []byte("{}"), false); err != nil {
				t.Fatal(err)
			}
			if err := rs.Put(".v0001.claim", []byte("second"), true); !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), ".v0001.claim") {
				t.Errorf("second conditional Put = %v, want fs.ErrExist naming the key", err)
			}
			if b, err := rs.Get(".v0001.claim"); err != nil || len(b) != 0 {
				t.Errorf("the claim holds %q, %v; want the first writer's empty object", b, err)
			}
			if keys, err := rs.List(""); err != nil || !slices.Equal(keys, []string{".v0001.claim", "v0001/meta.json"}) {
				t.Errorf("List = %v, %v", keys, err)
			}
			if keys, err := rs.List("v0001/"); err != nil || !slices.Equal(keys, []string{"v0001/meta.json"}) {
				t.Errorf("List(v0001/) = %v, %v", keys, err)
			}
			if err := rs.Delete(".v0001.claim"); err != nil {
				t.Fatal(err)
			}
			if err := rs.Delete(".v0001.claim"); err != nil {
				t.Errorf("Delete of a missing object = %v, want nil", err)
			}
			reg, err := openRegistry(loc)
			if err != nil {
				t.Fatal(err)
			}
			defer reg.Close()
			if _, err := reg.Promoted(); !errors.Is(err, model.ErrNoModel) {
				t.Errorf("Promoted of a registry without PROMOTED = %v, want ErrNoModel", err)
			}
			if vs, err := reg.Versions(); err != nil || !slices.Equal(vs, []string{"v0001"}) {
				t.Errorf("Versions = %v, %v; want v0001, whose meta.json exists", vs, err)
			}
		})
	}
}
