package ingest

import (
	"sync"

	"github.com/rs/zerolog"

	"churn/data"
)

// SplitKey splits a skip key, "table/reason", into its table and reason.
func SplitKey(key string) (data.Table, string) {
	for i := 0; i < len(key); i++ {
		if key[i] == '/' {
			return data.Table(key[:i]), key[i+1:]
		}
	}
	return data.Table(key), ""
}

// BadRows applies the bad-row policy: under "fail" the first bad row stops
// the read; under "skip" each is counted by the reader, and the first few of
// each reason are logged so that a person sees examples.
type BadRows struct {
	mu     sync.Mutex
	logged map[string]int
	fail   bool
	log    zerolog.Logger
}

const badRowExamples = 3

// NewBadRows applies the policy "fail" when fail is set, else "skip";
// examples go to log.
func NewBadRows(fail bool, log zerolog.Logger) *BadRows {
	return &BadRows{logged: map[string]int{}, fail: fail, log: log}
}

// OnBad is the data.ReadOptions.OnBad of the policy.
func (b *BadRows) OnBad(e *data.RowError) error {
	reason := e.Reason()
	if reason == "future_timestamp" {
		return nil // rows after the as-of date are ignored, not bad
	}
	if b.fail {
		return e
	}
	key := string(e.Table) + "/" + reason
	b.mu.Lock()
	n := b.logged[key]
	b.logged[key] = n + 1
	b.mu.Unlock()
	if n < badRowExamples {
		b.log.Warn().Str("table", string(e.Table)).Str("file", e.File).Int("row_group", e.RowGroup).
			Int64("row", e.Row).Str("column", e.Column).Str("value", e.Value).Str("reason", reason).
			Msg("bad row skipped")
	}
	return nil
}
