package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/aws/smithy-go"
	"gocloud.dev/gcerrors"
)

// Retry bounds the retries of a request that failed for a reason that may
// pass (throttling, a 5xx answer, a dropped connection): up to Attempts
// tries in all, waiting Base, then twice as long each time up to Max, each
// wait jittered by up to half of it so that parallel readers spread out.
type Retry struct {
	Attempts  int
	Base, Max time.Duration
}

// DefaultRetry gives up after 6 tries and at most about 10 s of waiting.
var DefaultRetry = Retry{Attempts: 6, Base: 200 * time.Millisecond, Max: 4 * time.Second}

// do runs fn until it succeeds, fails for good, or has been tried
// s.retry.Attempts times, waiting between tries as Retry says.
func (s *Store) do(ctx context.Context, fn func() error) error {
	wait := s.retry.Base
	for try := 1; ; try++ {
		err := fn()
		if err == nil || try >= s.retry.Attempts || ctx.Err() != nil || !transient(err) {
			if err != nil && try > 1 && transient(err) {
				err = fmt.Errorf("after %d tries: %w", try, err)
			}
			return err
		}
		d := wait/2 + rand.N(wait/2+1)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, s.retry.Max)
	}
}

type errCode int

const (
	codeOther errCode = iota
	codeNotFound
	codeExists
	codeDenied
)

// code classifies an error of gocloud's blob.
func code(err error) errCode {
	if err == nil {
		return codeOther
	}
	switch gcerrors.Code(err) {
	case gcerrors.NotFound:
		return codeNotFound
	case gcerrors.FailedPrecondition, gcerrors.AlreadyExists:
		return codeExists
	case gcerrors.PermissionDenied, gcerrors.InvalidArgument:
		return codeDenied
	}
	if status(err) == http.StatusUnauthorized || status(err) == http.StatusForbidden || credentials(err) || noEndpoint(err) {
		return codeDenied
	}
	return codeOther
}

// status is the HTTP status code of the answer that err reports, 0 when
// there was none.
func status(err error) int {
	var hs interface{ HTTPStatusCode() int }
	if errors.As(err, &hs) {
		return hs.HTTPStatusCode()
	}
	return 0
}

// credentials reports whether err says that no credentials were found or
// that they could not be used to sign the request: the SDKs fail before
// any request is sent.
func credentials(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "failed to retrieve credentials") ||
		strings.Contains(msg, "could not find default credentials") ||
		strings.Contains(msg, "no EC2 IMDS role found")
}

// noBucket reports whether err says that the bucket itself does not
// exist (S3's NoSuchBucket, GCS's "bucket doesn't exist"), not only the
// object asked for.
func noBucket(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "NoSuchBucket" {
		return true
	}
	return strings.Contains(err.Error(), "bucket doesn't exist")
}

// noEndpoint reports whether err says that the SDK could not work out
// where to send the request, before sending it: S3 without a region (no
// AWS_REGION, no region in ~/.aws/config or in the URL).
func noEndpoint(err error) bool {
	return strings.Contains(err.Error(), "resolve endpoint")
}

// transient reports whether a retry of the request that failed with err
// may succeed.
func transient(err error) bool {
	if errors.Is(err, context.Canceled) || code(err) != codeOther {
		return false
	}
	switch gcerrors.Code(err) {
	case gcerrors.ResourceExhausted, gcerrors.Internal, gcerrors.DeadlineExceeded:
		return true
	}
	switch s := status(err); {
	case s == http.StatusTooManyRequests, s == http.StatusRequestTimeout, s >= 500:
		return true
	}
	var oe *net.OpError
	var ne net.Error
	return errors.As(err, &oe) || errors.As(err, &ne) && ne.Timeout() || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED)
}

// fail names the failed operation and key and marks err with what the
// user can do about it: ErrAccess to fix (credentials, permissions, a
// bucket that does not exist), ErrGone for an object that vanished after
// it was listed, ErrUnavailable for the rest, which a retry may fix.
func (s *Store) fail(op, key string, err error) error {
	what := fmt.Sprintf("%s %s", op, s.URL(key))
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded) && !transient(err):
		return fmt.Errorf("%s: %w", what, err)
	case noEndpoint(err):
		return fmt.Errorf("%s: %w (no region or endpoint: set AWS_REGION or add ?region= to the URL): %w", what, ErrAccess, err)
	case code(err) == codeDenied:
		return fmt.Errorf("%s: %w (check the credentials of the cloud's standard chain and the bucket's permissions): %w", what, ErrAccess, err)
	case code(err) == codeNotFound && noBucket(err):
		return fmt.Errorf("%s: %w (does the bucket exist?): %w", what, ErrAccess, err)
	case code(err) == codeNotFound && (op == "open" || op == "read"):
		return fmt.Errorf("%s: %w: %w", what, ErrGone, err)
	case code(err) == codeNotFound && op == "list":
		return fmt.Errorf("%s: %w (does the bucket exist?): %w", what, ErrAccess, err)
	case code(err) == codeNotFound:
		return fmt.Errorf("%s: %w: %w", what, fs.ErrNotExist, err)
	}
	return fmt.Errorf("%s: %w: %w", what, ErrUnavailable, err)
}
