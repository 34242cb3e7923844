package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"churn/jobs"
)

// setup parses the flags of a command that takes no positional arguments,
// loads the config file, and says which flags were set: only those
// override the config.
func (c *cli) setup(fs *flag.FlagSet) (jobs.Config, map[string]bool, error) {
	if err := c.parse(fs); err != nil {
		return jobs.Config{}, nil, err
	}
	if fs.NArg() > 0 {
		return jobs.Config{}, nil, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	cfg, err := c.config()
	return cfg, setFlags(fs), err
}

// setFlags tells which flags the command line set, so that only those
// override the config file.
func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// applyAsOf parses --as-of into the config when given.
func applyAsOf(cfg *jobs.Config, set map[string]bool, asOf string) error {
	if !set["as-of"] {
		return nil
	}
	t, err := jobs.ParseDate(asOf)
	if err != nil {
		return fmt.Errorf("%w: --as-of: %w", errUsage, err)
	}
	cfg.AsOf = t
	return nil
}

// printJSON prints the summary as one JSON object on one line: schedulers
// such as Airflow take the last line of stdout as the task's result.
func (c *cli) printJSON(v any) error {
	return json.NewEncoder(c.stdout).Encode(v)
}

func override[T comparable](set map[string]bool, name string, dst *T, v T) {
	if set[name] {
		*dst = v
	}
}

// thousands formats v with a thousands separator and the given decimals.
func thousands(v float64, decimals int) string {
	s := fmt.Sprintf("%.*f", decimals, v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	out := b.String()
	if frac != "" {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// days spells a duration as --horizon takes it: whole days as "90d", any
// other duration as Go writes it.
func days(d time.Duration) string {
	const day = 24 * time.Hour
	if d > 0 && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	return d.String()
}

// cpuProfileFlag registers --cpuprofile, which commands that do long work
// take; its value goes to startCPUProfile.
func cpuProfileFlag(fs *flag.FlagSet) *string {
	return fs.String("cpuprofile", "", "write a CPU profile of the command to this `file` (go tool pprof)")
}

// startCPUProfile profiles the process into path until stop is called; an
// empty path profiles nothing.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("%w: --cpuprofile: %w", errUsage, err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
