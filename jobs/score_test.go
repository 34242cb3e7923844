package jobs

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"churn/features"
	"churn/model"
)

// fixedEffects is a contributor that gives every row the same
// contributions, so that explain is tested apart from any model.
type fixedEffects struct {
	names   []string
	effects []float64
}

func (c fixedEffects) Features() []string { return c.names }

func (c fixedEffects) ContributionsRows(dst []float64, x *model.Matrix) error {
	for i := 0; i < x.Rows; i++ {
		copy(dst[i*len(c.names):], c.effects)
	}
	return nil
}

// explainFrame has n active customers; customer 0 has three unresolved
// tickets and visits down 62% on their usual level, the others none and
// steady visits.
func explainFrame(n int) *features.Frame {
	f := &features.Frame{Names: []string{"sessions_vs_baseline", "tickets_open", "tenure_days"}}
	for i := range n {
		f.CustomerID = append(f.CustomerID, fmt.Sprintf("C%05d", i))
		f.Cutoff = append(f.Cutoff, 0)
		f.Status = append(f.Status, features.Active)
		f.RFMx = append(f.RFMx, 0)
		f.RFMtx = append(f.RFMtx, 0)
		if i == 0 {
			f.X = append(f.X, 0.38, 3, 400)
		} else {
			f.X = append(f.X, 1, 0, 400)
		}
	}
	return f
}

func TestExplain(t *testing.T) {
	f := explainFrame(2*explainBlock + 3) // three blocks
	c := fixedEffects{names: f.Names, effects: []float64{0.2, 0.5, 1}}
	tests := []struct {
		lang, text, codes, none string
	}{
		{"en", "3 unresolved support tickets; visits per week down 62% on their usual level", "support_unresolved;visits_decline",
			features.NoReason(features.English, true)},
		{"pt", "3 chamados de suporte sem solução; visitas por semana 62% abaixo do habitual", "support_unresolved;visits_decline",
			features.NoReason(features.Portuguese, true)},
	}
	for _, tt := range tests {
		var first []string
		for _, workers := range []int{1, 3} {
			cfg := DefaultConfig()
			cfg.Reasons.Language = tt.lang
			cfg.Workers = workers
			reasons, codes, err := explain(context.Background(), c, f, &cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if reasons[0] != tt.text || codes[0] != tt.codes {
				t.Errorf("%s: row 0: %q [%s], want %q [%s]", tt.lang, reasons[0], codes[0], tt.text, tt.codes)
			}
			// The others raise the risk through the same families, but
			// their values read as health: no fabricated reason.
			if last := len(reasons) - 1; reasons[last] != tt.none || codes[last] != "" {
				t.Errorf("%s: last row: %q [%s], want %q and no code", tt.lang, reasons[last], codes[last], tt.none)
			}
			if first == nil {
				first = reasons
			} else if !slices.Equal(first, reasons) {
				t.Errorf("%s: reasons differ between 1 and %d workers", tt.lang, workers)
			}
		}
	}
	cfg := DefaultConfig()
	cfg.Reasons.Language = "de"
	if _, _, err := explain(context.Background(), c, f, &cfg, nil); err == nil || !strings.Contains(err.Error(), "de") {
		t.Errorf("language de: error %v, want one naming it", err)
	}
}

// rowEffects is a contributor whose contributions differ from row to
// row: feature j of a row contributes its value times j+1, plus a tenth
// of the row's first value.
type rowEffects struct{ names []string }

func (c rowEffects) Features() []string          { return c.names }
func (c rowEffects) BaseValue() (float64, error) { return -1.5, nil }

func (c rowEffects) ContributionsRows(dst []float64, x *model.Matrix) error {
	n := len(c.names)
	for i := 0; i < x.Rows; i++ {
		row := x.X[i*n : (i+1)*n]
		for j, v := range row {
			dst[i*n+j] = v*float64(j+1) + row[0]/10
		}
	}
	return nil
}

// TestExplainKeepsContributions holds the explanations file's values,
// now taken from the pass that gives the reasons, to the model's
// contributions computed over the whole frame at once, for any number of
// workers, and the reasons to those of a pass that keeps nothing.
func TestExplainKeepsContributions(t *testing.T) {
	f := explainFrame(2*explainBlock + 3)
	for i := range f.Rows() {
		f.X[i*3] = 0.3 + float64(i%97)/100
		f.X[i*3+1] = float64(i % 5)
	}
	c := rowEffects{names: f.Names}
	want := make([]float64, len(f.X))
	if err := c.ContributionsRows(want, matrixOf(f)); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	plain, plainCodes, err := explain(context.Background(), c, f, &cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{1, 3} {
		cfg.Workers = workers
		shap, err := newExplanations(c, f)
		if err != nil {
			t.Fatal(err)
		}
		reasons, codes, err := explain(context.Background(), c, f, &cfg, shap.keep)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(reasons, plain) || !slices.Equal(codes, plainCodes) {
			t.Errorf("%d workers: the reasons of the pass that keeps contributions differ from the plain pass's", workers)
		}
		for i := range f.Rows() {
			for j := range f.Names {
				if got := shap.cols[j][i]; got != want[i*3+j] {
					t.Fatalf("%d workers: customer %d feature %s: kept %v, model %v", workers, i, f.Names[j], got, want[i*3+j])
				}
			}
		}
	}
}
