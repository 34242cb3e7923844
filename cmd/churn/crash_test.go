//go:build unix

// The crash tests send POSIX signals and take flock(2) locks.

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"churn/data/runs"
)

// waitLocked waits until the lock file of out holds a holder record, that
// is until a run has taken the lock, and returns the record.
func waitLocked(t *testing.T, out string, limit time.Duration) map[string]any {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(filepath.Join(out, ".churn.lock"))
		if err == nil && len(b) > 0 {
			var h map[string]any
			if json.Unmarshal(b, &h) == nil {
				return h
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no run took the lock of %s within %v", out, limit)
	return nil
}

func TestRunLockHeldByTest(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	f, err := os.OpenFile(filepath.Join(out, ".churn.lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	holder := `{"pid":424242,"host":"nightly-host-7","started_at":"2026-11-02T01:00:00Z","command":"churn run"}`
	if _, err := f.WriteString(holder); err != nil {
		t.Fatal(err)
	}
	r := churn(t, t.TempDir(), "run", "--data", generated(t), "--registry", registry(t), "--out", out, "--as-of", genAsOf)
	if r.code != exitLocked {
		t.Fatalf("run while the lock is held: %s, want exit %d", r, exitLocked)
	}
	for _, want := range []string{"424242", "nightly-host-7", "2026-11-02T01:00:00Z"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr does not name the holder (%s):\n%s", want, r.stderr)
		}
	}
	if _, err := os.Stat(runs.Dir(out, genAsOf)); !os.IsNotExist(err) {
		t.Errorf("the locked-out run wrote output (stat: %v)", err)
	}
	b, _ := os.ReadFile(filepath.Join(out, ".churn.lock"))
	if string(b) != holder {
		t.Errorf("the locked-out run changed the holder record to %q", b)
	}
}

// lockHeld reports whether another process holds the flock(2) lock of
// out's lock file.
func lockHeld(t *testing.T, out string) bool {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(out, ".churn.lock"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	switch err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); {
	case err == nil:
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		return false
	case errors.Is(err, syscall.EWOULDBLOCK):
		return true
	default:
		t.Fatal(err)
		return false
	}
}

func TestRunTwoAtOnce(t *testing.T) {
	t.Parallel()
	// The first run is stopped (SIGSTOP) once it has taken the lock, so
	// that the second meets it holding the lock however fast it runs (800
	// customers take a fraction of a second). A first run that let the
	// lock go before the stop reached it is let finish and started again.
	var (
		out     string
		first   *exec.Cmd
		stderr1 bytes.Buffer
		h       map[string]any
	)
	for attempt := 1; ; attempt++ {
		out = t.TempDir()
		stderr1.Reset()
		first = churnCmd(t.TempDir(), "run", "--data", generated(t), "--registry", registry(t), "--out", out, "--as-of", genAsOf)
		first.Stderr = &stderr1
		if err := first.Start(); err != nil {
			t.Fatal(err)
		}
		cmd := first
		t.Cleanup(func() {
			if cmd.ProcessState == nil {
				_ = cmd.Process.Kill()
				_ = cmd.Process.Signal(syscall.SIGCONT)
				_ = cmd.Wait()
			}
		})
		h = waitLocked(t, out, 30*time.Second)
		if err := first.Process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		if lockHeld(t, out) {
			break
		}
		if err := first.Process.Signal(syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
		if err := first.Wait(); err != nil {
			t.Fatalf("the first run failed: %v\n%s", err, lastLines(stderr1.String(), 10))
		}
		if attempt == 5 {
			t.Fatalf("the first run let the lock go before it could be stopped, %d times", attempt)
		}
	}
	if pid, _ := h["pid"].(float64); int(pid) != first.Process.Pid {
		t.Errorf("lock holder pid %v, want the first run's %d", h["pid"], first.Process.Pid)
	}
	r := churn(t, t.TempDir(), "run", "--data", generated(t), "--registry", registry(t), "--out", out, "--as-of", genAsOf)
	if err := first.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	err := first.Wait()
	if err != nil {
		t.Fatalf("the first run failed: %v\n%s", err, lastLines(stderr1.String(), 10))
	}
	if r.code != exitLocked {
		t.Fatalf("second run while the first holds the lock: %s, want exit %d", r, exitLocked)
	}
	host, _ := os.Hostname()
	for _, want := range []string{strconv.Itoa(first.Process.Pid), host} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("second run's stderr does not name the holder (%s):\n%s", want, r.stderr)
		}
	}
	checkRunFolder(t, runs.Dir(out, genAsOf))
}

// deadPID returns the pid of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := churnCmd(t.TempDir(), "version")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func TestRunTakesOverStaleLock(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	pid := deadPID(t)
	stale := `{"pid":` + strconv.Itoa(pid) + `,"host":"old-host","started_at":"2026-10-31T01:00:00Z","command":"churn run"}`
	if err := os.WriteFile(filepath.Join(out, ".churn.lock"), []byte(stale), 0o644); err != nil {
		t.Fatal(err)
	}
	// What a killed run leaves beside the lock: a temporary folder.
	if err := os.MkdirAll(filepath.Join(out, ".tmp-as_of="+genAsOf+"-"+strconv.Itoa(pid)+"-abcd", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := runGen(t, out)
	if r.code != 0 {
		t.Fatalf("run over a stale lock: %s", r)
	}
	var warned bool
	for _, line := range strings.Split(r.stderr, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) != nil {
			continue
		}
		if m["level"] == "warn" && strings.Contains(line, strconv.Itoa(pid)) && strings.Contains(line, "old-host") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no warning naming the stale holder (pid %d, old-host) in the log:\n%s", pid, lastLines(r.stderr, 10))
	}
	if left := tmpLeftovers(t, out); len(left) > 0 {
		t.Errorf("the run did not remove an earlier run's temporary folder: %v", left)
	}
	b, _ := os.ReadFile(filepath.Join(out, ".churn.lock"))
	if len(b) != 0 {
		t.Errorf("after a clean run the lock file holds %q, want it empty", b)
	}
	checkRunFolder(t, runs.Dir(out, genAsOf))
}

// checkVisible checks that every as_of= folder of out is complete: a
// manifest whose parts all exist and read.
func checkVisible(t *testing.T, out string) {
	t.Helper()
	entries, err := os.ReadDir(out)
	if err != nil {
		if os.IsNotExist(err) {
			return
		}
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "as_of=") {
			checkRunFolder(t, filepath.Join(out, e.Name()))
		}
	}
}

func TestRunSIGKILL(t *testing.T) {
	t.Parallel()
	trials := 20
	if testing.Short() {
		trials = 3
	}
	out := t.TempDir()
	rng := rand.New(rand.NewPCG(6, 6))
	// A run on the generated dataset takes about 3 seconds on a quiet
	// machine; the kills spread over that and a little beyond.
	for trial := range trials {
		delay := time.Duration(rng.Int64N(int64(3500 * time.Millisecond)))
		cmd := churnCmd(t.TempDir(), "run", "--data", generated(t), "--registry", registry(t), "--out", out, "--as-of", genAsOf)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		checkVisible(t, out)
		if t.Failed() {
			t.Fatalf("trial %d: killed after %v: partial output visible", trial, delay)
		}
		if trial%10 == 9 || trial == trials-1 {
			r := runGen(t, out)
			if r.code != 0 {
				t.Fatalf("trial %d: the run after a kill at %v failed: %s", trial, delay, r)
			}
			checkVisible(t, out)
			if left := tmpLeftovers(t, out); len(left) > 0 {
				t.Errorf("trial %d: a good run after kills left temporary files: %v", trial, left)
			}
		}
	}
}

func TestRunSIGTERM(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	cmd := churnCmd(t.TempDir(), "run", "--data", generated(t), "--registry", registry(t), "--out", out, "--as-of", genAsOf)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Signal as soon as the run holds the lock: the run on this small
	// dataset takes well under a second now, and a fixed wait once let it
	// finish first.
	waitLocked(t, out, 30*time.Second)
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	code := 0
	if err != nil {
		code = cmd.ProcessState.ExitCode()
	}
	if code != 1 {
		t.Fatalf("run stopped by SIGTERM exited %d, want 1:\n%s", code, lastLines(stderr.String(), 10))
	}
	if !strings.Contains(strings.ToLower(stderr.String()), "interrupted") {
		t.Errorf("no log line says the run was interrupted:\n%s", lastLines(stderr.String(), 5))
	}
	if left := tmpLeftovers(t, out); len(left) > 0 {
		t.Errorf("SIGTERM left temporary files: %v", left)
	}
	if _, err := os.Stat(runs.Dir(out, genAsOf)); !os.IsNotExist(err) {
		t.Errorf("an interrupted run left its as_of= folder (stat: %v)", err)
	}
	b, _ := os.ReadFile(filepath.Join(out, ".churn.lock"))
	if len(b) != 0 {
		t.Errorf("an interrupted run left its holder record in the lock: %q", b)
	}
}
