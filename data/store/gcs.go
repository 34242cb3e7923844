//go:build !nogcs

package store

import (
	"context"
	"fmt"

	"gocloud.dev/blob"
	"gocloud.dev/blob/gcsblob"
	"gocloud.dev/gcp"
)

// Google's storage client brings gRPC and OpenTelemetry, most of what the
// cloud drivers add to the binary: build with -tags nogcs to leave it out,
// and gs:// URLs are then refused.
func init() { openGCS = openGCSBucket }

// openGCSBucket opens a GCS bucket with Application Default Credentials,
// failing when there are none (gocloud's URL opener would print a warning
// and go on without).
func openGCSBucket(ctx context.Context, bucket string) (*blob.Bucket, error) {
	creds, err := gcp.DefaultCredentials(ctx)
	if err != nil {
		return nil, err
	}
	client, err := gcp.NewHTTPClient(gcp.DefaultTransport(), gcp.CredentialsTokenSource(creds))
	if err != nil {
		return nil, fmt.Errorf("gcs client: %w", err)
	}
	return gcsblob.OpenBucket(ctx, client, bucket, nil)
}
