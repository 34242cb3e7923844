package jobs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const telcoFile = "../../shared/datasets/telco_churn/Telco-Customer-Churn.csv"

// telcoBar is the bar on IBM's Telco churn data: stratified 5-fold
// ROC AUC at least the better of the two peers measured with a fixed fold
// seed (logistic regression 0.845, XGBoost 0.841) minus 0.002. Measured
// here when written: gbt 0.8438, logistic 0.8450.
const telcoBar = 0.845 - 0.002

func TestTrainTableTelco(t *testing.T) {
	if _, err := os.Stat(telcoFile); err != nil {
		t.Skipf("SKIPPED: %s not found: the shared datasets are absent", telcoFile)
	}
	cfg, env := sampleConfig(t)
	sum, err := TrainTable(context.Background(), cfg, env, TableOptions{File: telcoFile, Label: "Churn", ID: "customerID"})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Rows != 7043 || sum.Unlabelled != 0 {
		t.Errorf("%d rows, %d unlabelled; want 7043 and 0", sum.Rows, sum.Unlabelled)
	}
	// 11 blank TotalCharges are missing values, not zeros.
	if sum.MissingCells != 11 {
		t.Errorf("%d missing cells, want the 11 blank TotalCharges", sum.MissingCells)
	}
	best := 0.0
	for _, a := range sum.Algos {
		t.Logf("%s: ROC AUC %.4f ± %.4f, Brier %.4f", a.Algo, a.ROCAUCMean, a.ROCAUCStd, a.BrierMean)
		best = max(best, a.ROCAUCMean)
	}
	if best < telcoBar {
		t.Errorf("best 5-fold ROC AUC %.4f, want at least %.3f", best, telcoBar)
	}
}

func TestTrainTableRefusesBadLabels(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.csv")
	csv := "id,x,churn\na,1,yes\nb,2,maybe\n"
	if err := os.WriteFile(path, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, env := sampleConfig(t)
	_, err := TrainTable(context.Background(), cfg, env, TableOptions{File: path, Label: "churn", ID: "id"})
	if !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("got %v, want invalid input", err)
	}
	for _, want := range []string{"churn", "maybe", "row 2"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	_, err = TrainTable(context.Background(), cfg, env, TableOptions{File: path, Label: "nope"})
	if !errors.Is(err, ErrInvalidInput) || !strings.Contains(err.Error(), "nope") {
		t.Errorf("unknown label column: got %v, want invalid input naming it", err)
	}
}
