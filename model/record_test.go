package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestSaveRecordAndExtraFiles: a version keeps its Record in meta.json,
// an extra file rendered with the version's name appears with the others,
// and List returns every version with its meta, the promoted one marked.
func TestSaveRecordAndExtraFiles(t *testing.T) {
	tr, va, ca, ytr, yva, yca := trainSets(t)
	cfg := fastConfig(AlgoGBT)
	m, err := Train(cfg, tr, va, ca, ytr, yva, yca)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := OpenRegistry(filepath.Join(t.TempDir(), "reg"))
	if err != nil {
		t.Fatal(err)
	}
	rec := NewRecord(m, cfg)
	rec.Window = DataWindow{AsOf: "2026-11-01", TestCutoff: "2026-08-01"}
	if rec.Trees != m.Trees() || rec.Trees < 1 || rec.Trees > cfg.GBT.Trees {
		t.Errorf("record holds %d trees, the model %d (at most %d)", rec.Trees, m.Trees(), cfg.GBT.Trees)
	}
	if len(rec.Importance) != len(testCols) || rec.Params.GBT.Trees != cfg.GBT.Trees || rec.Algo != AlgoGBT {
		t.Errorf("record %+v does not hold the model's importance, params and algorithm", rec)
	}
	meta := Meta{CreatedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Record: rec}
	card := VersionFile{Name: "CARD.md", Render: func(v string) ([]byte, error) { return []byte("# " + v + "\n"), nil }}
	v, _, err := reg.Save(m, meta, card)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(reg.String(), v, "CARD.md"))
	if err != nil || string(b) != "# v0001\n" {
		t.Errorf("extra file holds %q (%v), want the version's name", b, err)
	}
	v2, _, err := reg.Save(m, Meta{CreatedAt: meta.CreatedAt})
	if err != nil {
		t.Fatal(err)
	}
	list, err := reg.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Version != v || !list[0].Promoted || list[1].Version != v2 || list[1].Promoted {
		t.Fatalf("List = %+v, want %s promoted then %s", list, v, v2)
	}
	got := list[0].Meta.Record
	if got == nil || got.Trees != rec.Trees || got.Window.TestCutoff != "2026-08-01" || got.Params.GBT.MaxDepth != cfg.GBT.MaxDepth {
		t.Errorf("record read back as %+v", got)
	}
	if list[1].Meta.Record != nil {
		t.Errorf("a version saved without a record lists one: %+v", list[1].Meta.Record)
	}
}

// TestSaveRefusesBadExtraFiles: an extra file may not replace the
// registry's own files or leave the version folder, and a failed render
// leaves no version behind.
func TestSaveRefusesBadExtraFiles(t *testing.T) {
	tr, va, ca, ytr, yva, yca := trainSets(t)
	m, err := Train(fastConfig(AlgoLogistic), tr, va, ca, ytr, yva, yca)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := OpenRegistry(filepath.Join(t.TempDir(), "reg"))
	if err != nil {
		t.Fatal(err)
	}
	ok := func(string) ([]byte, error) { return []byte("x"), nil }
	for _, f := range []VersionFile{
		{Name: "meta.json", Render: ok},
		{Name: "../escape.md", Render: ok},
		{Name: ".hidden", Render: ok},
		{Name: "", Render: ok},
		{Name: "card.md", Render: func(string) ([]byte, error) { return nil, errors.New("disk on fire") }},
	} {
		if v, _, err := reg.Save(m, Meta{}, f); err == nil {
			t.Errorf("extra file %q saved as %s, want an error", f.Name, v)
		}
	}
	if vs, _ := reg.Versions(); len(vs) != 0 {
		t.Errorf("refused saves left versions %v", vs)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(reg.String()), "escape.md")); err == nil {
		t.Error("an extra file escaped the version folder")
	}
}

// TestExportSpecs: the calibrator spec reproduces PredictProba from
// Margins, BaseValue plus contributions is the margin, and only trees
// export as XGBoost JSON.
func TestExportSpecs(t *testing.T) {
	tr, va, ca, ytr, yva, yca := trainSets(t)
	for _, c := range []struct{ algo, cal string }{{AlgoGBT, CalPlatt}, {AlgoGBT, CalIsotonic}, {AlgoLogistic, CalNone}} {
		cfg := fastConfig(c.algo)
		cfg.Calibration = c.cal
		m, err := Train(cfg, tr, va, ca, ytr, yva, yca)
		if err != nil {
			t.Fatal(err)
		}
		margins := make([]float64, va.Rows)
		prob := make([]float64, va.Rows)
		if err := m.Margins(margins, va); err != nil {
			t.Fatal(err)
		}
		if err := m.PredictProba(prob, va); err != nil {
			t.Fatal(err)
		}
		spec := m.CalibratorSpec()
		if spec.Method != c.cal {
			t.Fatalf("%s: spec method %q, want %q", c.algo, spec.Method, c.cal)
		}
		js, err := json.Marshal(spec)
		if err != nil {
			t.Fatal(err)
		}
		var back CalibratorSpec
		if err := json.Unmarshal(js, &back); err != nil {
			t.Fatal(err)
		}
		base, err := m.BaseValue()
		if err != nil {
			t.Fatal(err)
		}
		phi := make([]float64, len(testCols))
		for i := range va.Rows {
			if d := math.Abs(specProb(back, margins[i]) - prob[i]); d > 1e-12 {
				t.Fatalf("%s/%s row %d: spec gives %v, PredictProba %v", c.algo, c.cal, i, specProb(back, margins[i]), prob[i])
			}
			if err := m.Contributions(phi, va.Row(i)); err != nil {
				t.Fatal(err)
			}
			sum := base
			for _, v := range phi {
				sum += v
			}
			if math.Abs(sum-margins[i]) > 1e-9 {
				t.Fatalf("%s row %d: base value + contributions = %v, margin %v", c.algo, i, sum, margins[i])
			}
		}
		err = m.WriteXGBoostJSON(&bytes.Buffer{})
		if c.algo == AlgoGBT && err != nil {
			t.Errorf("gbt export: %v", err)
		}
		if c.algo == AlgoLogistic && !errors.Is(err, ErrNotTrees) {
			t.Errorf("logistic export: error %v, want ErrNotTrees", err)
		}
	}
}

// specProb applies a calibrator spec as its documentation says.
func specProb(s CalibratorSpec, m float64) float64 {
	sig := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
	switch s.Method {
	case CalPlatt:
		return sig(s.A*m + s.B)
	case CalIsotonic:
		n := len(s.X)
		if m <= s.X[0] {
			return s.Y[0]
		}
		if m >= s.X[n-1] {
			return s.Y[n-1]
		}
		k := 1
		for s.X[k] <= m {
			k++
		}
		return s.Y[k-1] + (m-s.X[k-1])/(s.X[k]-s.X[k-1])*(s.Y[k]-s.Y[k-1])
	}
	return sig(m)
}
