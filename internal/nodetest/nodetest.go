// Package nodetest runs the Node.js programs that tests use as Parquet
// readers and writers independent of ours: DuckDB, Polars (Rust's
// parquet) and hyparquet-writer, installed by npm into js/ (.ci/run runs
// `npm install` there; package.json pins the exact versions).
//
// A test that needs them calls Node first. Where node or a package is
// missing, the test is skipped with a message that says so and how to
// install them, or fails when the CI environment variable is set, since
// CI installs them.
package nodetest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Dir returns the folder of the npm package: package.json, the scripts
// and node_modules.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "js")
}

// Node returns the path of node once it has checked that every npm
// package of pkgs is installed in Dir.
func Node(t testing.TB, pkgs ...string) string {
	t.Helper()
	missing := func(what string) {
		t.Helper()
		msg := "SKIPPED: " + what + ": run `npm install` in " + Dir() + " (.ci/run does)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("no node on PATH")
	}
	for _, p := range pkgs {
		if _, err := os.Stat(filepath.Join(Dir(), "node_modules", filepath.FromSlash(p), "package.json")); err != nil {
			missing("npm package " + p + " is not installed")
		}
	}
	return node
}

// Run runs script, a file of Dir, with node and args, and returns what it
// printed on stdout; the test fails with its stderr when it fails.
func Run(t testing.TB, node, script string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(node, append([]string{filepath.Join(Dir(), script)}, args...)...)
	cmd.Dir = Dir()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node %s: %v\n%s", script, err, stderr.Bytes())
	}
	return out
}
