package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"churn/jobs"
)

func init() {
	register.DoFn1x1[[]byte, error](&failFn{})
}

// failFn fails with Msg, as invalid input when Invalid.
type failFn struct {
	Msg     string
	Invalid bool
}

func (fn *failFn) ProcessElement(_ []byte) error {
	err := errors.New(fn.Msg)
	if fn.Invalid {
		err = fmt.Errorf("%w: %w", jobs.ErrInvalidInput, err)
	}
	return markInput(err)
}

// TestInputFailure: a job whose DoFn stops on invalid input fails, on
// Prism in-process, with that DoFn's message alone, as invalid input
// (exit 2), however the runner reports the failed bundle; a DoFn's other
// errors stay what they are (exit 1).
func TestInputFailure(t *testing.T) {
	defer emptyTemp(t)()
	for name, v := range map[string]string{"runner": "prism", "endpoint": "", "environment_type": "LOOPBACK"} {
		if err := flag.Set(name, v); err != nil {
			t.Fatal(err)
		}
	}
	beam.Init()
	for _, invalid := range []bool{true, false} {
		p, s := beam.NewPipelineWithRoot()
		msg := "events/part-1.parquet: corrupt parquet file"
		beam.ParDo0(s, &failFn{Msg: msg, Invalid: invalid}, beam.Impulse(s))
		err := execute(context.Background(), p)
		if err == nil {
			t.Fatal("a failing job: no error")
		}
		if got := errors.Is(err, jobs.ErrInvalidInput); got != invalid {
			t.Errorf("DoFn error invalid input %v: the job's error is %v (%v)", invalid, got, err)
		}
		if want := "invalid input: " + msg; invalid && err.Error() != want {
			t.Errorf("the job's error %q, want the DoFn's %q", err, want)
		}
	}
}
