package jobs

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"churn/data/convert"
	"churn/internal/fsutil"
)

// ImportSummary is what `churn import` reports.
type ImportSummary struct {
	Kind  string        `json:"kind"`
	In    string        `json:"in"`
	Out   string        `json:"out"`
	Stats convert.Stats `json:"stats"`
}

// Import converts a public dataset into the input contract. The dataset
// folder appears whole: it is written beside out and renamed into place.
func Import(ctx context.Context, env Env, kind, in, out string) (*ImportSummary, error) {
	var conv func(io.Reader, string) (convert.Stats, error)
	switch kind {
	case "cdnow":
		conv = convert.CDNOW
	case "online-retail":
		conv = convert.OnlineRetail
	default:
		return nil, fmt.Errorf("%w: import %q: want cdnow or online-retail", ErrInvalidInput, kind)
	}
	f, err := os.Open(in)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(in, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrInvalidInput, in, err)
		}
		defer gz.Close()
		r = gz
	}
	out = filepath.Clean(out)
	pending, err := fsutil.CreatePending(filepath.Dir(out), filepath.Base(out))
	if err != nil {
		return nil, fmt.Errorf("import into %s: %w", out, err)
	}
	st, err := conv(r, pending.Dir())
	if err != nil {
		pending.Abort()
		return nil, fmt.Errorf("%w: import %s: %w", ErrInvalidInput, in, err)
	}
	if err := pending.MarkSuccess(); err != nil {
		pending.Abort()
		return nil, fmt.Errorf("import into %s: %w", out, err)
	}
	if err := pending.Commit(); err != nil {
		pending.Abort()
		return nil, fmt.Errorf("import into %s: %w", out, err)
	}
	env.Log.Info().Str("command", "import").Str("kind", kind).Str("in", in).Str("out", out).
		Int64("rows_read", st.RowsRead).Msg("dataset imported")
	return &ImportSummary{Kind: kind, In: in, Out: out, Stats: st}, nil
}
