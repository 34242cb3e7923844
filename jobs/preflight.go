package jobs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"churn/data/store"
	"churn/jobs/output"
	"churn/model"
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
	} else if err := output.CheckWritableDir(cfg.Out, true); err != nil {
		errs = append(errs, fmt.Errorf("out: %w", err))
	}
	if err := checkRegistry(cfg.Registry, mayTrain); err != nil {
		errs = append(errs, err)
	}
	if cfg.MetricsFile != "" {
		if err := output.CheckOutputFile(cfg.MetricsFile); err != nil {
			errs = append(errs, fmt.Errorf("metrics file: %w", err))
		}
	}
	if cfg.MetricsPush != "" {
		if err := output.CheckPushURL(cfg.MetricsPush); err != nil {
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
		return output.CheckWritableDir(dir, false)
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
