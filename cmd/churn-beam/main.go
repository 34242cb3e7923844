// Command churn-beam runs `churn features` and `churn run` on Apache Beam:
// on Prism locally, on Dataflow, or on Flink or Spark through a portable
// job server. Each command takes the flags and config of its churn
// namesake, plus Beam's pipeline options (--runner, --endpoint,
// --project, --region, --temp_location, --staging_location,
// --environment_type and the rest of the Go SDK's). features writes the
// rows `churn features` writes, as a folder of Parquet parts with a
// manifest; run writes the run `churn run` writes.
//
// It is a module of its own so that the churn module's build does not
// carry Beam.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"
	"github.com/rs/zerolog"

	"churn/data/runs"
	"churn/data/store"
	"churn/internal/fsutil"
	"churn/jobs"
	"churn/jobs/output"
)

const usage = `usage: churn-beam features --out DIR|URL [--data DIR|URL] [--as-of DATE] [--cutoffs N] [--ranges N] [flags] [Beam options]
       churn-beam run [--data DIR|URL] [--out DIR|URL] [--as-of DATE] [--registry DIR|URL] [--ranges N] [flags] [Beam options]

features writes the feature table of ` + "`churn features`" + ` with an Apache Beam
pipeline: one element per input file, whose per-customer accumulators are
combined per customer range; every range's rows (every cutoff) are one
Parquet part of DIR, with manifest.json, and DIR appears whole when the job
succeeds. The rows and values are those of ` + "`churn features`" + ` on the same inputs.

--data, --out and --registry take s3://, gs:// and file:// URLs, as churn's
do; the workers reach the buckets themselves (the cloud's standard
credentials where they run). With --out a bucket, the workers upload the
parts under a temporary prefix and the launcher commits (parts, manifest,
_SUCCESS last); the job's temporary folder is then in the launcher's
$TMPDIR, which every worker must reach.

run is ` + "`churn run`" + ` (same flags, config, checks, lock, output folder
OUT/as_of=DATE/ and exit codes) whose features come from the same
pipeline, which also scores, explains, values and segments each range's
rows with the promoted model (loaded once per worker) and writes them as
the range's part file; only summaries that merge exactly (counts, the
value fits' inputs, value buckets, bin counts, top lists) cross ranges,
and the launcher writes the manifest, with churn run's figures, and
_SUCCESS last. The rows are those
of ` + "`churn run`" + ` on the same inputs and model, one part per range;
--explain-out is refused.

Beam options select the runner: --runner=prism (the default: in-process),
--runner=universal --endpoint=HOST:PORT --environment_type=LOOPBACK (a
Prism, Flink or Spark job server), or --runner=dataflow --project=P
--region=R --temp_location=gs://... --staging_location=gs://...
What the steps hand each other (spilled partials, a run's ranges and
results, a bucket table's manifest) goes under --temp_location when it
is a bucket URL (a prefix churn-beam-PID-TIME of its own, removed when
the job ends), else into a folder every worker must reach: the
launcher's temporary folder, or one beside a folder --out.

exit codes: 0 success, 1 the run failed, 2 bad usage or invalid input,
75 another run holds the lock of OUT (run).`

const (
	exitOK      = 0
	exitFailed  = 1
	exitInvalid = 2
	exitLocked  = 75
)

var errUsage = errors.New("bad usage")

func main() {
	if len(os.Args) < 2 || strings.HasPrefix(os.Args[1], "-") {
		// A worker started by a runner: Beam's flags only.
		flag.Parse()
		if f := flag.Lookup("worker"); f != nil && f.Value.String() == "true" {
			startWorker()
		}
		beam.Init()
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(exitInvalid)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1], os.Args[2:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs one command and returns its exit code.
func run(ctx context.Context, cmd string, args []string, stdout, stderr io.Writer) int {
	var err error
	switch cmd {
	case "features":
		err = cmdFeatures(ctx, args, stdout, stderr)
	case "run":
		err = cmdRun(ctx, args, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return exitOK
	default:
		err = fmt.Errorf("%w: unknown command %q (want features or run)", errUsage, cmd)
	}
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, jobs.ErrLocked):
		fmt.Fprintf(stderr, "churn-beam %s: %v\n", cmd, err)
		return exitLocked
	case errors.Is(err, errUsage), errors.Is(err, jobs.ErrInvalidInput), errors.Is(err, store.ErrAccess):
		fmt.Fprintf(stderr, "churn-beam %s: %v\n", cmd, err)
		return exitInvalid
	default:
		fmt.Fprintf(stderr, "churn-beam %s: %v\n", cmd, err)
		return exitFailed
	}
}

// common are the flags every command of `churn` has.
type common struct {
	configFile, logFormat, logLevel string
	json                            bool
}

// newFlags returns a flag set with the common flags and every flag the
// Beam SDK registered (the pipeline options), which set the SDK's values.
func newFlags(name string, c *common) *flag.FlagSet {
	fs := flag.NewFlagSet("churn-beam "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.configFile, "config", "", "config `file`, YAML or TOML; default $CHURN_CONFIG; CHURN_* variables and flags override it")
	fs.StringVar(&c.logFormat, "log-format", "json", "log format on stderr: json or console")
	fs.StringVar(&c.logLevel, "log-level", "info", "least severe log level: debug, info, warn or error")
	fs.BoolVar(&c.json, "json", false, "print the command's summary as one JSON object on stdout")
	flag.CommandLine.VisitAll(func(f *flag.Flag) {
		if fs.Lookup(f.Name) == nil {
			fs.Var(f.Value, f.Name, f.Usage)
		}
	})
	return fs
}

// setup parses args and returns the config (defaults, file, CHURN_*
// variables), the flags set on the command line, and the logger.
func setup(fs *flag.FlagSet, c *common, args []string, stdout, stderr io.Writer) (jobs.Config, map[string]bool, zerolog.Logger, error) {
	var log zerolog.Logger
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, usage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return jobs.Config{}, nil, log, err
		}
		return jobs.Config{}, nil, log, fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() > 0 {
		return jobs.Config{}, nil, log, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	level, err := zerolog.ParseLevel(c.logLevel)
	if err != nil || c.logLevel == "" {
		return jobs.Config{}, nil, log, fmt.Errorf("%w: --log-level %q: want debug, info, warn or error", errUsage, c.logLevel)
	}
	var w io.Writer = stderr
	switch c.logFormat {
	case "json":
	case "console":
		w = zerolog.ConsoleWriter{Out: stderr, TimeFormat: time.Kitchen}
	default:
		return jobs.Config{}, nil, log, fmt.Errorf("%w: --log-format %q: want json or console", errUsage, c.logFormat)
	}
	zerolog.TimeFieldFormat = time.RFC3339Nano
	log = zerolog.New(w).Level(level).With().Timestamp().Logger()
	cfg := jobs.DefaultConfig()
	file := c.configFile
	if file == "" {
		file = os.Getenv(jobs.EnvConfigFile)
	}
	if file != "" {
		if err := jobs.LoadConfigFile(&cfg, file); err != nil {
			return cfg, nil, log, fmt.Errorf("%w: %w", jobs.ErrInvalidInput, err)
		}
	}
	if err := jobs.ApplyEnv(&cfg, os.LookupEnv); err != nil {
		return cfg, nil, log, fmt.Errorf("%w: %w", jobs.ErrInvalidInput, err)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	beam.Init()
	return cfg, set, log, nil
}

func cmdFeatures(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c common
	fs := newFlags("features", &c)
	dataDir := fs.String("data", "", "dataset `folder` or s3://, gs://, file:// URL; default: the embedded sample")
	asOf := fs.String("as-of", "", "cutoff `date`; default today (the sample's end on the sample)")
	out := fs.String("out", "", "output `folder` or s3://, gs://, file:// URL: Parquet parts and manifest.json (and _SUCCESS in a bucket) (required)")
	cutoffs := fs.Int("cutoffs", 0, "write N monthly training cutoffs with labels instead of the one as-of cutoff")
	workers := fs.Int("workers", 0, "goroutines reading files where the job is launched; default the number of CPUs")
	ranges := fs.Int("ranges", 0, "customer ranges, one merge and one part each; default one per 50,000 customers, at least 1")
	cfg, set, log, err := setup(fs, &c, args, stdout, stderr)
	if err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("%w: --out is required", errUsage)
	}
	if *ranges < 0 {
		return fmt.Errorf("%w: --ranges %d: want 0 (automatic) or more", errUsage, *ranges)
	}
	if set["data"] {
		cfg.Data = *dataDir
	}
	if *workers > 0 {
		cfg.Workers = *workers
	}
	if set["as-of"] {
		t, err := jobs.ParseDate(*asOf)
		if err != nil {
			return fmt.Errorf("%w: --as-of: %w", errUsage, err)
		}
		cfg.AsOf = t
	}
	m, err := runFeatures(ctx, cfg, jobs.Env{Log: log, CodeVersion: codeVersion()}, *out, *cutoffs, *ranges)
	if err != nil {
		return err
	}
	if c.json {
		return json.NewEncoder(stdout).Encode(struct {
			Out      string   `json:"out"`
			Rows     int      `json:"rows"`
			Features int      `json:"features"`
			Parts    int      `json:"parts"`
			Cutoffs  []string `json:"cutoffs"`
			Labelled bool     `json:"labelled"`
		}{*out, m.Rows, len(m.Features), len(m.Parts), m.Cutoffs, m.Labelled})
	}
	fmt.Fprintf(stdout, "churn-beam features: %d rows x %d features written to %s in %d parts (cutoffs %s).\n",
		m.Rows, len(m.Features), *out, len(m.Parts), strings.Join(m.Cutoffs, ", "))
	return nil
}

// rangeCustomers is how many customers one range holds by default: the
// size of the merge that one worker holds at a time.
const rangeCustomers = 50000

// runFeatures plans the job, runs the pipeline on the runner the Beam
// options select (Prism when none), and returns the committed manifest.
// out is a folder, or a bucket URL: the workers upload the parts under the
// table's pending prefix and this process commits it (the parts, the
// manifest, then _SUCCESS), after the pipeline; the job's temporary
// folder (the parts before upload) is then one in this process's
// temporary folder ($TMPDIR). The job's shared location (the spilled
// partials; for a bucket, the manifest) is a prefix under
// --temp_location when that is a bucket URL, else the temporary folder,
// which every worker must then reach (a shared mount; in this process
// for Prism and LOOPBACK workers).
func runFeatures(ctx context.Context, cfg jobs.Config, env jobs.Env, out string, cutoffs, ranges int) (*jobs.FeaturesManifest, error) {
	bucket := store.IsURL(out)
	if fi, err := os.Stat(out); err == nil && !fi.IsDir() && !bucket {
		return nil, fmt.Errorf("%w: --out %s is a file: churn-beam writes a folder", errUsage, out)
	}
	var pending runs.Pending
	if bucket {
		var err error
		if pending, err = jobs.CreateFeaturesPending(ctx, out); err != nil {
			return nil, err
		}
		defer pending.Abort() // after a commit, nothing
	}
	plan, err := jobs.PlanFeatures(ctx, cfg, env, cutoffs)
	if err != nil {
		return nil, err
	}
	if ranges == 0 {
		ranges = max(1, (plan.Customers+rangeCustomers-1)/rangeCustomers)
	}
	ranges = max(1, min(ranges, plan.Customers))
	var dst tableDest
	if bucket {
		dst.Staging = output.PartsLocation(pending)
		if dst.Tmp, err = os.MkdirTemp("", "churn-beam-features-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(dst.Tmp)
	} else {
		if dst.Out, err = filepath.Abs(out); err != nil {
			return nil, err
		}
		dst.Tmp = jobs.TempFeaturesDir(dst.Out, strconv.Itoa(os.Getpid())+"-"+strconv.FormatInt(time.Now().UnixNano(), 36))
	}
	dst.Shared = dst.Tmp
	if t := tempLocation(); t != "" {
		dst.Shared = t
		defer removeShared(context.WithoutCancel(ctx), t)
	}
	p, err := featuresPipeline(plan, dst, ranges, env.CodeVersion)
	if err != nil {
		return nil, err
	}
	env.Log.Info().Int("files", len(plan.Files)+len(plan.CustomerFiles)).Int("customers", plan.Customers).
		Int("ranges", ranges).Msg("pipeline submitted")
	began := time.Now()
	if err := execute(ctx, p); err != nil {
		os.RemoveAll(dst.Tmp)
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	manifest := filepath.Join(dst.Out, jobs.FeaturesManifestName)
	if bucket {
		manifest = subLocation(dst.Shared, jobs.FeaturesManifestName)
	}
	b, err := getShared(ctx, manifest, nil)
	if err != nil {
		return nil, fmt.Errorf("pipeline finished without a manifest: %w", err)
	}
	m := &jobs.FeaturesManifest{}
	if err := json.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("read %s: %w", manifest, err)
	}
	if bucket {
		// commitFn's bytes, as they are: the pending folder's manifest.
		if err := fsutil.WriteFile(filepath.Join(pending.Dir(), jobs.FeaturesManifestName), b); err != nil {
			return nil, fmt.Errorf("commit %s: %w", out, err)
		}
		if err := pending.Commit(); err != nil {
			return nil, fmt.Errorf("commit %s: %w", out, err)
		}
	}
	env.Log.Info().Str("out", out).Int("rows", m.Rows).Int64("duration_ms", time.Since(began).Milliseconds()).Msg("features written")
	return m, nil
}

// execute runs p on the runner the Beam options select (Prism when none)
// and waits for it; a job that a DoFn stopped on invalid input returns
// that error (inputFailure). The Go SDK leaves an empty placeholder file,
// beamloopbackworker-*, in the temporary folder for each job whose
// workers run in this process (LOOPBACK, which Prism in-process uses
// too); the job runs with a temporary folder of its own, removed when it
// ends, so that nothing it wrote there is left behind.
func execute(ctx context.Context, p *beam.Pipeline) error {
	if *runners.Runner == "" {
		*runners.Runner = "prism"
	}
	dir, err := os.MkdirTemp("", "churn-beam-job-")
	if err != nil {
		return err
	}
	prev, had := os.LookupEnv("TMPDIR")
	os.Setenv("TMPDIR", dir)
	defer func() {
		if had {
			os.Setenv("TMPDIR", prev)
		} else {
			os.Unsetenv("TMPDIR")
		}
		os.RemoveAll(dir)
	}()
	_, err = beamx.RunWithMetrics(ctx, p)
	if ie := inputFailure(err); ie != nil {
		return ie
	}
	return err
}

func codeVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
		return bi.Main.Version
	}
	return "unknown"
}
