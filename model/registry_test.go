package model

import (
	"errors"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"churn/model/eval"
)

// TestRegistry: the same saves, promotions and loads behave alike on a
// folder and on object storage.
func TestRegistry(t *testing.T) {
	tr, va, ca, ytr, yva, yca := trainSets(t)
	m, err := Train(fastConfig(AlgoGBT), tr, va, ca, ytr, yva, yca)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("folder", func(t *testing.T) {
		reg, err := OpenRegistry(filepath.Join(t.TempDir(), "reg"))
		if err != nil {
			t.Fatal(err)
		}
		testRegistry(t, reg, m)
	})
	t.Run("storage", func(t *testing.T) {
		testRegistry(t, OpenStorageRegistry(newMemStorage()), m)
	})
}

func testRegistry(t *testing.T, reg *Registry, m *Trained) {
	if _, err := reg.Promoted(); !errors.Is(err, ErrNoModel) {
		t.Fatalf("empty registry: err = %v, want ErrNoModel", err)
	}
	test, ytest := synth(300, 11)
	p := make([]float64, test.Rows)
	if err := m.PredictProba(p, test); err != nil {
		t.Fatal(err)
	}
	meta := Meta{
		CreatedAt:    time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		CodeVersion:  "test",
		Holdout:      eval.Evaluate(p, ytest),
		Profile:      Profile(test, 10),
		ScoreProfile: NewDistribution(p, 10),
	}
	v1, promoted, err := reg.Save(m, meta)
	if err != nil || v1 != "v0001" || !promoted {
		t.Fatalf("first save = %s, %v, %v; want v0001 promoted", v1, promoted, err)
	}

	worse := meta
	worse.Holdout.ROCAUC = meta.Holdout.ROCAUC - 0.05
	v2, promoted, err := reg.Save(m, worse)
	if err != nil || v2 != "v0002" || promoted {
		t.Fatalf("second save = %s, %v, %v; want v0002 not promoted", v2, promoted, err)
	}
	err = reg.Promote(v2, false)
	if !errors.Is(err, ErrWorseModel) || !strings.Contains(err.Error(), "v0002") || !strings.Contains(err.Error(), "v0001") {
		t.Errorf("promote worse: err = %v, want ErrWorseModel naming both", err)
	}
	if err := reg.Promote(v2, true); err != nil {
		t.Errorf("forced promote: %v", err)
	}
	if cur, _ := reg.Promoted(); cur != v2 {
		t.Errorf("promoted = %s, want %s", cur, v2)
	}
	if err := reg.Promote("v0099", true); !errors.Is(err, ErrNoModel) {
		t.Errorf("promote missing version: err = %v, want ErrNoModel", err)
	}

	loaded, lmeta, err := reg.Load(v1)
	if err != nil {
		t.Fatal(err)
	}
	q := make([]float64, test.Rows)
	if err := loaded.PredictProba(q, test); err != nil {
		t.Fatal(err)
	}
	for i := range p {
		if math.Float64bits(p[i]) != math.Float64bits(q[i]) {
			t.Fatalf("row %d: saved model %v, loaded %v", i, p[i], q[i])
		}
	}
	if !lmeta.CreatedAt.Equal(meta.CreatedAt) || lmeta.Holdout.ROCAUC != meta.Holdout.ROCAUC || len(lmeta.Profile) != len(testCols) {
		t.Errorf("meta round trip: %+v", lmeta)
	}
	for _, f := range []string{modelFile, metricsFile, featuresFile, metaFile} {
		if _, err := reg.b.read(v1, f); err != nil {
			t.Errorf("version lacks %s: %v", f, err)
		}
	}

	// Concurrent savers never share a version.
	var wg sync.WaitGroup
	got := make([]string, 4)
	for k := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[k], _, _ = reg.Save(m, meta)
		}()
	}
	wg.Wait()
	vs, err := reg.Versions()
	if err != nil || len(vs) != 6 {
		t.Fatalf("versions = %v, %v; want 6 distinct", vs, err)
	}
	seen := map[string]bool{}
	for _, v := range got {
		if v == "" || seen[v] {
			t.Errorf("concurrent saves gave %v", got)
		}
		seen[v] = true
	}
}

func TestLoadRefusesCorruptFile(t *testing.T) {
	var m Trained
	for _, b := range [][]byte{nil, []byte("CHURNMDL"), []byte("CHURNMDL\x02\x00\x00\x00\x00")} {
		if err := m.UnmarshalBinary(b); !errors.Is(err, ErrBadModelFile) {
			t.Errorf("UnmarshalBinary(%q) = %v, want ErrBadModelFile", b, err)
		}
	}
}
