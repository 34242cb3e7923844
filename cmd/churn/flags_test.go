package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"strconv"
	"testing"

	"churn/jobs"
)

// TestFlagDefaultsAreConfigDefaults: every flag that sets a config field
// shows, in --help, the default that jobs.DefaultConfig gives the field,
// so that the two cannot drift apart.
func TestFlagDefaultsAreConfigDefaults(t *testing.T) {
	def := jobs.DefaultConfig()
	registry := map[string]string{"registry": def.Registry}
	want := map[string]map[string]string{
		"run": {"out": def.Out, "registry": def.Registry, "seed": strconv.FormatUint(def.Seed, 10)},
		"train": {
			"registry": def.Registry, "horizon": days(def.Features.Horizon),
			"cutoffs": strconv.Itoa(def.Train.Cutoffs), "algo": def.Train.Algo,
			"calibration": def.Train.Calibration, "promote": strconv.FormatBool(def.Train.Promote),
			"search": strconv.FormatBool(def.Train.Search), "seed": strconv.FormatUint(def.Seed, 10),
		},
		"promote":      registry,
		"models":       registry,
		"export-model": registry,
		"value":        {"unit": def.Value.Unit},
		"lists":        {"scores": def.Out},
		"serve":        {"scores": def.Out},
	}
	// --workers 0 stands for DefaultConfig's Workers, the number of CPUs,
	// which --help names in words rather than as this machine's count.
	workers := map[string]bool{"run": true, "train": true, "features": true, "generate": true}
	for _, cmd := range commands {
		t.Run(cmd.name, func(t *testing.T) {
			var out bytes.Buffer
			c := &cli{name: cmd.name, usage: cmd.usage, args: []string{"--help"}, stdout: &out, stderr: &out}
			if err := cmd.run(context.Background(), c); !errors.Is(err, flag.ErrHelp) {
				t.Fatalf("--help: %v, want flag.ErrHelp", err)
			}
			if c.fs == nil {
				t.Fatal("the command made no flag set")
			}
			for name, w := range want[cmd.name] {
				f := c.fs.Lookup(name)
				if f == nil {
					t.Errorf("--%s: no such flag", name)
					continue
				}
				if f.DefValue != w {
					t.Errorf("--%s defaults to %q, DefaultConfig to %q", name, f.DefValue, w)
				}
			}
			if f := c.fs.Lookup("workers"); f != nil && (!workers[cmd.name] || f.DefValue != "0") {
				t.Errorf("--workers defaults to %q in %s, want 0 (the number of CPUs) in %v only", f.DefValue, cmd.name, workers)
			}
		})
	}
	// The horizon's default reads back as DefaultConfig's.
	if d, err := jobs.ParseDuration(days(def.Features.Horizon)); err != nil || d != def.Features.Horizon {
		t.Errorf("--horizon %s reads as %v, %v; want %v", days(def.Features.Horizon), d, err, def.Features.Horizon)
	}
}
