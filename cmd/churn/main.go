// Command churn tells a business, every night, which customers are about to
// leave and which are worth keeping. Run `churn help` for the commands.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"

	"churn/data/store"
	"churn/jobs"
)

// Exit codes: what a scheduler can rely on.
const (
	exitOK      = 0  // success
	exitFailed  = 1  // the run failed (or was interrupted)
	exitInvalid = 2  // bad usage or invalid input: retrying will not help
	exitLocked  = 75 // EX_TEMPFAIL (sysexits.h): another run holds the lock; try again later
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// command is one subcommand: its one-line purpose, a longer text for
// --help, and the function that parses its flags and runs it.
type command struct {
	name    string
	summary string
	usage   string
	run     func(ctx context.Context, c *cli) error
}

var commands []command

func init() {
	commands = []command{
		{"run", "score every customer as of a date and write scored segments", runUsage, cmdRun},
		{"train", "train, evaluate on a time-based holdout and register a model", trainUsage, cmdTrain},
		{"promote", "make a registered model version the one that run uses", promoteUsage, cmdPromote},
		{"models", "list a registry's versions with their metrics side by side", modelsUsage, cmdModels},
		{"export-model", "write a model version in XGBoost's JSON format, with its calibrator", exportUsage, cmdExportModel},
		{"features", "write the feature table as of a date", featuresUsage, cmdFeatures},
		{"lists", "at-risk lists for marketing from a run's scores", listsUsage, cmdLists},
		{"serve", "a read-only web page of a run's scores for marketing", serveUsage, cmdServe},
		{"validate", "check a dataset against the input contract", validateUsage, cmdValidate},
		{"generate", "write a realistic synthetic dataset", generateUsage, cmdGenerate},
		{"value", "fit the customer value models and print their parameters", valueUsage, cmdValue},
		{"import", "convert a public dataset (CDNOW, Online Retail) to the input contract", importUsage, cmdImport},
		{"version", "print the code version", "usage: churn version", cmdVersion},
	}
}

// run parses the command line, runs one command and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		args = []string{"run"} // no arguments at all: the nightly job on the sample
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "--help" || name == "-help" {
		if len(args) > 1 {
			if c := lookup(args[1]); c != nil {
				fmt.Fprintln(stdout, c.usage)
				return exitOK
			}
		}
		printUsage(stdout)
		return exitOK
	}
	c := lookup(name)
	if c == nil {
		fmt.Fprintf(stderr, "churn: unknown command %q\n\n", name)
		printUsage(stderr)
		return exitInvalid
	}
	cl := &cli{name: c.name, usage: c.usage, args: args[1:], stdout: stdout, stderr: stderr}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := c.run(ctx, cl)
	return cl.exit(ctx, err)
}

func lookup(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, `churn: which customers are about to leave, and which are worth keeping.

usage: churn COMMAND [flags]

With no command at all, churn runs the nightly job on the embedded sample
dataset, training a model first when the registry has none.

commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Every command takes --help, --config FILE (YAML or TOML), --log-format
json|gcp|console, --log-level and --json (its summary as one JSON object on
stdout). Logs go to stderr as JSON lines.

exit codes: 0 success, 1 the run failed, 2 bad usage or invalid input,
75 another run holds the lock (try again later).
`)
}

// codeVersion is the VCS revision the binary was built from. Without one
// (a build with -buildvcs=false, or outside a checkout) it is a hash of the
// executable, so that caches and manifests still tell two builds apart.
func codeVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			if dirty {
				rev += "-dirty"
			}
			return rev
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return "unknown"
	}
	f, err := os.Open(exe)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "unknown"
	}
	return "build-" + hex.EncodeToString(h.Sum(nil))[:16]
}

// errUsage marks bad usage; it exits 2.
var errUsage = errors.New("bad usage")

// cli holds what every command shares: its flags, the config, the logger
// and the output streams.
type cli struct {
	name, usage    string
	args           []string
	stdout, stderr io.Writer

	configFile string
	logFormat  string
	logLevel   string
	json       bool

	log    zerolog.Logger
	logged bool

	fs *flag.FlagSet // the command's flags, once it made them
}

// flags returns a flag set with the common flags; the caller adds its own.
func (c *cli) flags() *flag.FlagSet {
	fs := flag.NewFlagSet("churn "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.fs = fs
	fs.StringVar(&c.configFile, "config", "", "config `file`, YAML (.yaml, .yml) or TOML (.toml); default $CHURN_CONFIG; CHURN_* variables and flags override it")
	fs.StringVar(&c.logFormat, "log-format", "json", "log format on stderr: json (JSON lines, for schedulers), gcp (JSON lines with Cloud Logging's severity beside level, for GKE) or console (for people)")
	fs.StringVar(&c.logLevel, "log-level", "info", "least severe log level: debug, info, warn or error")
	fs.BoolVar(&c.json, "json", false, "print the command's summary as one JSON object on stdout")
	return fs
}

// parse parses the flags; --help prints the command's usage and flags.
func (c *cli) parse(fs *flag.FlagSet) error {
	err := fs.Parse(c.args)
	if errors.Is(err, flag.ErrHelp) {
		c.printHelp(fs, c.stdout)
		return flag.ErrHelp
	}
	if err != nil {
		fmt.Fprintf(c.stderr, "churn %s: %v\n\n", c.name, err)
		c.printHelp(fs, c.stderr)
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if err := c.setupLog(); err != nil {
		return err
	}
	return nil
}

func (c *cli) printHelp(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprintln(w, c.usage)
	fmt.Fprintln(w, "\nflags:")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

func (c *cli) setupLog() error {
	level, err := zerolog.ParseLevel(c.logLevel)
	if err != nil || c.logLevel == "" {
		return fmt.Errorf("%w: --log-level %q: want debug, info, warn or error", errUsage, c.logLevel)
	}
	var w io.Writer = c.stderr
	gcp := false
	switch c.logFormat {
	case "json":
	case "gcp":
		gcp = true
	case "console":
		w = zerolog.ConsoleWriter{Out: c.stderr, TimeFormat: time.Kitchen}
	default:
		return fmt.Errorf("%w: --log-format %q: want json, gcp or console", errUsage, c.logFormat)
	}
	zerolog.TimeFieldFormat = time.RFC3339Nano
	c.log = zerolog.New(w).Level(level).With().Timestamp().Logger()
	if gcp {
		c.log = c.log.Hook(severityHook{})
	}
	c.logged = true
	return nil
}

// severityHook adds Cloud Logging's severity field, in upper case, beside
// zerolog's level: GKE's agent reads it, and without it files every
// stderr line as an error.
type severityHook struct{}

func (severityHook) Run(e *zerolog.Event, level zerolog.Level, _ string) {
	sev := "DEFAULT"
	switch level {
	case zerolog.TraceLevel, zerolog.DebugLevel:
		sev = "DEBUG"
	case zerolog.InfoLevel:
		sev = "INFO"
	case zerolog.WarnLevel:
		sev = "WARNING"
	case zerolog.ErrorLevel:
		sev = "ERROR"
	case zerolog.FatalLevel:
		sev = "CRITICAL"
	case zerolog.PanicLevel:
		sev = "ALERT"
	}
	e.Str("severity", sev)
}

// config starts from the defaults, applies the config file (--config, or
// CHURN_CONFIG), then the CHURN_* environment variables; the caller then
// applies what the flags said: flags over environment over file over
// defaults.
func (c *cli) config() (jobs.Config, error) {
	cfg := jobs.DefaultConfig()
	file := c.configFile
	if file == "" {
		file = os.Getenv(jobs.EnvConfigFile)
	}
	if file != "" {
		if err := jobs.LoadConfigFile(&cfg, file); err != nil {
			return cfg, fmt.Errorf("%w: %w", jobs.ErrInvalidInput, err)
		}
	}
	if err := jobs.ApplyEnv(&cfg, os.LookupEnv); err != nil {
		return cfg, fmt.Errorf("%w: %w", jobs.ErrInvalidInput, err)
	}
	return cfg, nil
}

func (c *cli) env() jobs.Env {
	env := jobs.Env{Log: c.log, CodeVersion: codeVersion()}
	if f, ok := c.stderr.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
		env.Progress = progressBar(f)
	}
	return env
}

// progressBar draws long reads as a bar on a terminal, redrawn in place.
func progressBar(w io.Writer) func(jobs.Progress) {
	const width = 30
	return func(p jobs.Progress) {
		n := int(p.Fraction*width + 0.5)
		n = max(0, min(width, n))
		bar := strings.Repeat("#", n) + strings.Repeat(".", width-n)
		fmt.Fprintf(w, "\r[%s] %3.0f%%  %s rows  %s rows/s\x1b[K", bar, 100*p.Fraction,
			thousands(float64(p.Rows), 0), thousands(p.RowsPerSecond, 0))
		if p.Done {
			fmt.Fprintln(w)
		}
	}
}

// exit maps an error to the exit code in one place, and logs it once.
func (c *cli) exit(ctx context.Context, err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	code := exitFailed
	switch {
	case errors.Is(err, errUsage), errors.Is(err, jobs.ErrInvalidInput), errors.Is(err, store.ErrAccess):
		code = exitInvalid
	case errors.Is(err, jobs.ErrLocked):
		code = exitLocked
	case ctx.Err() != nil:
		err = fmt.Errorf("interrupted: %w", err)
	}
	if c.logged {
		c.log.Error().Err(err).Int("exit_code", code).Msg(c.name + " failed")
	} else {
		fmt.Fprintf(c.stderr, "churn %s: %v\n", c.name, err)
	}
	return code
}
