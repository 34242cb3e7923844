package model

import (
	"errors"
	"slices"
	"testing"
)

// TestAlgorithmsList: every accepted name has an entry (auto aside), the
// names are unique, auto fits only savable algorithms, and Validate and
// fitOne refuse a name that is not in the list.
func TestAlgorithmsList(t *testing.T) {
	names := AlgoNames()
	if names[0] != AlgoAuto {
		t.Fatalf("AlgoNames starts with %q, want %q", names[0], AlgoAuto)
	}
	seen := map[string]bool{}
	for _, n := range names[1:] {
		if seen[n] {
			t.Fatalf("algorithm %q listed twice", n)
		}
		seen[n] = true
		a, ok := lookupAlgorithm(n)
		if !ok || a.fit == nil {
			t.Fatalf("algorithm %q has no fit", n)
		}
	}
	for _, n := range AutoAlgos() {
		if a, _ := lookupAlgorithm(n); a.decode == nil {
			t.Fatalf("auto fits %q, which cannot be saved", n)
		}
	}
	if got, want := AlgoChoices(), "auto, gbt, logistic or golearn-rf"; got != want {
		t.Fatalf("AlgoChoices = %q, want %q", got, want)
	}
	cfg := DefaultTrainConfig()
	cfg.Algo = "xgb"
	if err := cfg.Validate(); !errors.Is(err, ErrUnknownAlgo) {
		t.Fatalf("Validate of algo xgb: %v, want ErrUnknownAlgo", err)
	}
	if _, _, err := fitOne("xgb", cfg, nil, nil, nil, nil); !errors.Is(err, ErrUnknownAlgo) {
		t.Fatalf("fitOne of xgb: %v, want ErrUnknownAlgo", err)
	}
	if !slices.Equal(AutoAlgos(), []string{AlgoGBT, AlgoLogistic}) {
		t.Fatalf("AutoAlgos = %v", AutoAlgos())
	}
}
