package jobs

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	"churn/model"

	"churn/data/store"
)

// preflightRun checks, before the run reads any data or takes the lock,
// everything a run will need at its end: the output folder (created when
// missing, and writable), the registry (a folder with a promoted model,
// unless the run may train one first), the metrics file's folder
// (existing and writable: it belongs to node_exporter, so it is not
// created) and the Pushgateway URL. It reports every problem at once, as
// invalid input: retrying the same command cannot help.
func preflightRun(cfg *Config, mayTrain bool) error {
	var errs []error
	if store.IsURL(cfg.Out) {
		// A bucket is checked by taking its lock, the run's first request.
	} else if err := checkWritableDir(cfg.Out, true); err != nil {
		errs = append(errs, fmt.Errorf("out: %w", err))
	}
	if err := checkRegistry(cfg.Registry, mayTrain); err != nil {
		errs = append(errs, err)
	}
	if cfg.MetricsFile != "" {
		if err := CheckOutputFile(cfg.MetricsFile); err != nil {
			errs = append(errs, fmt.Errorf("metrics file: %w", err))
		}
	}
	if cfg.MetricsPush != "" {
		if err := checkPushURL(cfg.MetricsPush); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); errors.Is(err, store.ErrUnavailable) {
		return err // a registry's store that could not be reached: a retry may succeed
	} else if err != nil {
		return invalid(err)
	}
	return nil
}

// checkRegistry reports whether dir can serve a run: a folder (or nothing
// yet, when the run may train first) or a bucket URL with a promoted
// model. A bucket that the run may train into is probed for writing.
func checkRegistry(dir string, mayTrain bool) error {
	if store.IsURL(dir) && mayTrain {
		if err := checkRegistryWritable(dir); err != nil {
			return fmt.Errorf("registry: %w", err)
		}
		return nil
	}
	if store.IsURL(dir) {
		return checkPromoted(dir)
	}
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist) && mayTrain:
		return nil
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("registry %s does not exist: run `churn train --registry %s` first: %w", dir, dir, ErrNoModel)
	case err != nil:
		return fmt.Errorf("registry: %w", err)
	case !st.IsDir():
		return fmt.Errorf("registry %s is not a folder", dir)
	}
	if mayTrain {
		return checkWritableDir(dir, false)
	}
	return checkPromoted(dir)
}

// checkPromoted reports whether the registry at loc has a promoted model.
func checkPromoted(loc string) error {
	reg, err := openRegistry(loc)
	if err != nil {
		return fmt.Errorf("registry %s: %w", loc, err)
	}
	defer reg.Close()
	if _, err := reg.Promoted(); err != nil {
		if errors.Is(err, model.ErrNoModel) {
			return fmt.Errorf("%w in registry %s: run `churn train --registry %s` first", ErrNoModel, loc, loc)
		}
		return fmt.Errorf("registry %s: %w", loc, err)
	}
	return nil
}

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
	return checkWritableDir(filepath.Dir(path), false)
}

// checkWritableDir reports whether dir is a folder this process can create
// files in, creating it (and its parents) first when create is set. It
// creates and removes a probe file: permission bits alone do not tell
// (read-only mounts, ACLs, root).
func checkWritableDir(dir string, create bool) error {
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

// checkPushURL reports whether u can be a Pushgateway URL.
func checkPushURL(u string) error {
	p, err := url.Parse(u)
	if err != nil {
		return fmt.Errorf("metrics push URL %q: %w", u, err)
	}
	if (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return fmt.Errorf("metrics push URL %q: want http://host:port or https://host:port", u)
	}
	return nil
}
