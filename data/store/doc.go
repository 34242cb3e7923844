// Package store reaches the bytes of datasets and outputs wherever they
// live: a local folder, or a prefix of a bucket named by a URL. data's
// discovery and readers, and the jobs' outputs, go through it for both, so
// a folder and a bucket follow one code path.
//
// # Locations
//
// A plain path is a local folder. A URL names a bucket and a prefix in it:
//
//	s3://BUCKET/PREFIX   Amazon S3 or any S3-compatible store; query
//	                     parameters region, endpoint, profile, use_path_style,
//	                     disable_https (e.g. for MinIO:
//	                     ?endpoint=http://minio:9000&use_path_style=true)
//	gs://BUCKET/PREFIX   Google Cloud Storage
//	file:///FOLDER       a local folder through gocloud's fileblob: it
//	                     behaves as a bucket (no folder renames); for tests
//	                     and for checking the bucket code path on one machine
//
// Credentials come from each cloud's standard chain: for S3, the
// environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_PROFILE), the
// shared files ~/.aws/credentials and ~/.aws/config, web identity, the
// container and instance roles; for GCS, Application Default Credentials
// (GOOGLE_APPLICATION_CREDENTIALS, gcloud's login, the metadata server).
// The buckets go through one library, gocloud.dev/blob, with one API for
// the three stores. A build with -tags nogcs leaves the GCS driver (and
// the gRPC and OpenTelemetry modules it brings) out; gs:// is then refused.
//
// # Reading
//
// Open gives a Reader: an io.ReaderAt of known size, what Parquet readers
// need. On a bucket it reads with ranged GETs, never the whole object
// first: Open fetches the object's last 64 KiB, Parquet's footer, once;
// Prefetch fetches the byte ranges a reader names (the column chunks of a
// row group it is about to read), four requests at once, 64 MiB at most,
// held until the next Prefetch; a small ReadAt
// elsewhere fetches a window of 1 MiB from its offset on, kept (eight at
// most) for the page headers and pages that follow, and a large one its
// own bytes. ReadAt is safe for concurrent use, so parallel readers of
// many files each make their own requests.
//
// List gives each object's key, size and time, and, on S3 and GCS,
// what the listing says of its content (Object.Checksum: S3's ETag, GCS's
// MD5), which identifies it without reading it again.
//
// # Writing
//
// Put writes one object whole or not at all: a bucket shows an object
// once its upload completes; locally the bytes go to a temporary file,
// fsynced and renamed. With ifNotExist, Put fails with ErrExists when the
// key is taken, atomically: S3's and GCS's conditional writes
// (If-None-Match: *); for a local folder and a file:// URL, a complete
// temporary file hard-linked to the key, which fails when the key exists
// whichever process made it (fileblob's own check holds only within one
// process).
// A bucket has no atomic rename of a prefix: Pending uploads a folder's
// parts, then its manifest, under a temporary prefix, copies them into
// place with server-side copies (Copy) and writes _SUCCESS last, and
// readers trust only folders with _SUCCESS. Other processes (the workers
// of a distributed job) upload parts straight under that temporary prefix
// (PutStaged into Pending.Staging); the Commit of the process that holds
// the Pending publishes them with the rest.
//
// # Many processes
//
// A Store does not travel between processes; its location does.
// Location gives the URL, query included, that opens the same prefix
// elsewhere, and Shared opens each location once per process, for the
// workers that get locations with every element (data.Reattach binds a
// dataset's files to it).
//
// # Failures
//
// A request that fails for a reason that may pass (throttling such as
// S3's 503 SlowDown or a 429, a 5xx answer, a refused or dropped
// connection) is retried as Retry says: DefaultRetry tries 6 times with
// jittered exponential waits, about 10 s at most; S3's SDK retries are off
// so that this one bounded policy holds (GCS's client keeps its own).
// Every error names the operation and the URL, and is marked:
//
//   - ErrAccess: the user must fix something (credentials, permissions, a
//     bucket that does not exist, a malformed URL); commands exit 2;
//   - ErrGone: an object listed earlier could not be read, or holds
//     other content than the listing said (its ETag or MD5 when opened
//     differs); the dataset changed during the run, a new run lists it
//     again; commands exit 1;
//   - ErrUnavailable: the store was unreachable or kept failing after the
//     retries; commands exit 1.
package store
