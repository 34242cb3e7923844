package jobs

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"churn/data/synth"
)

// TestRenamedCatalogueSameHoldout: a generated dataset with an automated
// event, trained as is and with every event name, plan, region and
// acquisition, session and ticket channel renamed to tokens, gives the
// same features, so the same model and holdout. The automated event is
// found in both (it fires on the days without a visit too, where the
// logins do not), and left out of engagement.
func TestRenamedCatalogueSameHoldout(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: generates and trains on two datasets")
	}
	ctx := context.Background()
	var got []*TrainSummary
	for _, rename := range []uint64{0, 12345} {
		dir := t.TempDir()
		sc := synth.DefaultConfig()
		sc.Customers, sc.Days, sc.Seed, sc.AutomatedEvent, sc.Rename = 2000, 420, 3, true, rename
		if _, err := synth.Generate(ctx, sc, filepath.Join(dir, "data")); err != nil {
			t.Fatal(err)
		}
		cfg, env := sampleConfig(t)
		cfg.Data, cfg.AsOf = filepath.Join(dir, "data"), sc.End
		cfg.Train.Cutoffs = 6
		sum, err := Train(ctx, cfg, env)
		if err != nil {
			t.Fatalf("rename %d: %v", rename, err)
		}
		got = append(got, sum)
	}
	a, b := got[0], got[1]
	if a.Holdout.ROCAUC != b.Holdout.ROCAUC || a.Holdout.Brier != b.Holdout.Brier {
		t.Errorf("holdout ROC AUC %v, Brier %v with our names; %v, %v renamed", a.Holdout.ROCAUC, a.Holdout.Brier, b.Holdout.ROCAUC, b.Holdout.Brier)
	}
	if !slices.Equal(a.Catalog.Automated, []string{"heartbeat"}) || len(b.Catalog.Automated) != 1 {
		t.Errorf("automated events %q with our names, %q renamed; want heartbeat and its token", a.Catalog.Automated, b.Catalog.Automated)
	}
	if len(a.Catalog.Events) != len(b.Catalog.Events) {
		t.Errorf("%d event names in the mix with our names, %d renamed", len(a.Catalog.Events), len(b.Catalog.Events))
	}
	for _, ch := range [][2][]string{{a.Catalog.SessionChannels, b.Catalog.SessionChannels}, {a.Catalog.TicketChannels, b.Catalog.TicketChannels}} {
		if len(ch[0]) == 0 || len(ch[0]) != len(ch[1]) || slices.Equal(ch[0], ch[1]) {
			t.Errorf("channels %q with our names, %q renamed: want as many, under other names", ch[0], ch[1])
		}
	}
	t.Logf("holdout ROC AUC %.4f, catalog %q, automated %q", a.Holdout.ROCAUC, a.Catalog.Events, a.Catalog.Automated)
}
