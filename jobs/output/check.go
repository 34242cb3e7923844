package output

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
)

// CheckOutputFile reports whether a file can be written at path: its
// folder exists and this process can create files in it. Commands call it
// before their work, so that a wrong path fails at once and not after
// hours of it.
func CheckOutputFile(path string) error {
	if path == "" {
		return errors.New("no file name")
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("%s is a folder, want a file", path)
	}
	return CheckWritableDir(filepath.Dir(path), false)
}

// CheckWritableDir reports whether dir is a folder this process can create
// files in, creating it (and its parents) first when create is set. It
// creates and removes a probe file: permission bits alone do not tell
// (read-only mounts, ACLs, root).
func CheckWritableDir(dir string, create bool) error {
	if create {
		if err := os.MkdirAll(dir, 0o777); err != nil {
			return fmt.Errorf("folder %s: %w", dir, err)
		}
	}
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("folder %s does not exist", dir)
	}
	if err != nil {
		return fmt.Errorf("folder %s: %w", dir, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a folder", dir)
	}
	f, err := os.CreateTemp(dir, ".churn-probe-*")
	if err != nil {
		return fmt.Errorf("folder %s is not writable: %w", dir, err)
	}
	name := f.Name()
	f.Close()
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("folder %s: %w", dir, err)
	}
	return nil
}

// CheckPushURL reports whether u can be a Pushgateway URL.
func CheckPushURL(u string) error {
	p, err := url.Parse(u)
	if err != nil {
		return fmt.Errorf("metrics push URL %q: %w", u, err)
	}
	if (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return fmt.Errorf("metrics push URL %q: want http://host:port or https://host:port", u)
	}
	return nil
}
