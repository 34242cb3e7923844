package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"

	"churn/model/eval"
)

// Files inside a registry and its versions.
const (
	promotedFile = "PROMOTED"
	modelFile    = "model.bin"
	metricsFile  = "metrics.json"
	featuresFile = "features.json"
	metaFile     = "meta.json"
)

// Meta describes a saved model version. The caller supplies CreatedAt:
// library code reads no clock.
type Meta struct {
	CreatedAt       time.Time               `json:"created_at"`
	DataFingerprint string                  `json:"data_fingerprint"`
	CodeVersion     string                  `json:"code_version"`
	Config          any                     `json:"config"`
	Holdout         eval.Report             `json:"holdout"`
	Baseline        eval.Report             `json:"baseline"`
	Profile         map[string]Distribution `json:"profile"`
	ScoreProfile    Distribution            `json:"score_profile"`
	Extra           map[string]any          `json:"extra,omitempty"`
	// Record says how the version was trained and on what data; versions
	// saved before it existed have none.
	Record *Record `json:"record,omitempty"`
}

// Registry is a set of model versions v0001, v0002, ... and a PROMOTED
// pointer naming the one that scoring uses, kept in a local folder
// ([OpenRegistry]) or on object storage ([OpenStorageRegistry]), with the
// same layout and the same guarantees on both: a version is visible
// whole or not at all, two savers never get the same version, and the
// pointer is replaced in one step.
type Registry struct{ b backend }

// backend is where a registry keeps its files: a folder, which renames a
// finished version into place, or a Storage, which has no rename and
// uploads a version's meta.json last. Names are a version and a file name
// in it, or a name at the top of the registry.
type backend interface {
	// String names the registry in messages: a folder or a URL.
	String() string
	// names lists the names at the top of the registry: versions, whole
	// or not, and claims.
	names() ([]string, error)
	// complete lists the versions that are visible.
	complete() ([]string, error)
	// used reports whether anything of version exists, visible or not.
	used(version string) (bool, error)
	// create makes the empty top-level name, failing with an error that
	// wraps fs.ErrExist when it exists, atomically.
	create(name string) error
	// remove deletes the top-level name; a missing one is no error.
	remove(name string) error
	// commit writes version's files, so that the version becomes visible
	// only with all of them. The last of files is meta.json.
	commit(version string, files []versionFile) error
	// read returns a file of a version, or the top-level name when version
	// is ""; missing is an error that wraps fs.ErrNotExist.
	read(version, name string) ([]byte, error)
	// replace writes the top-level name in one step: readers see the old
	// contents or the new. With ifNone it fails, wrapping fs.ErrExist,
	// when name exists.
	replace(name string, b []byte, ifNone bool) error
	// close releases the store's client, if any.
	close() error
}

type versionFile struct {
	name string
	data []byte
}

// Versions lists the saved versions in order.
func (r *Registry) Versions() ([]string, error) {
	vs, err := r.b.complete()
	if err != nil {
		return nil, fmt.Errorf("list registry %s: %w", r.b, err)
	}
	slices.Sort(vs) // fixed width: lexical order is numeric order below v9999
	return vs, nil
}

// String is the registry's folder or URL.
func (r *Registry) String() string { return r.b.String() }

// Close releases what the registry holds open: the client of a Storage
// that is an io.Closer; nothing for a folder.
func (r *Registry) Close() error { return r.b.close() }

func versionNumber(name string) (int, bool) {
	if len(name) < 5 || name[0] != 'v' {
		return 0, false
	}
	n, err := strconv.Atoi(name[1:])
	return n, err == nil && n > 0
}

// Save writes t and meta as a new version and promotes it when the registry
// had no promoted version. The version number is claimed with an exclusive
// claim (two savers never get the same name); the version becomes visible
// with all its files (see [OpenRegistry] and [OpenStorageRegistry] for
// how).
//
// Each of extra renders one more file of the version, given the version's
// name, and is written with the others, so that it appears with them.
func (r *Registry) Save(t *Trained, meta Meta, extra ...VersionFile) (version string, promoted bool, err error) {
	model, err := t.MarshalBinary()
	if err != nil {
		return "", false, err
	}
	metrics, err := json.MarshalIndent(struct {
		Choice      string            `json:"choice"`
		Candidates  []Candidate       `json:"candidates"`
		Calibration CalibrationReport `json:"calibration"`
		Holdout     eval.Report       `json:"holdout"`
		Baseline    eval.Report       `json:"baseline"`
	}{t.Choice, t.Candidates, t.Calibration, meta.Holdout, meta.Baseline}, "", "  ")
	if err != nil {
		return "", false, fmt.Errorf("encode metrics: %w", err)
	}
	features, err := json.MarshalIndent(t.features, "", "  ")
	if err != nil {
		return "", false, fmt.Errorf("encode features: %w", err)
	}
	metaJSON, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return "", false, fmt.Errorf("encode meta: %w", err)
	}

	version, err = r.claim()
	if err != nil {
		return "", false, err
	}
	defer r.b.remove(claimName(version))
	files := []versionFile{{modelFile, model}, {metricsFile, metrics}, {featuresFile, features}}
	for _, x := range extra {
		if err = checkExtraName(x.Name); err != nil {
			return "", false, fmt.Errorf("save %s: %w", version, err)
		}
		var b []byte
		if b, err = x.Render(version); err != nil {
			return "", false, fmt.Errorf("save %s: render %s: %w", version, x.Name, err)
		}
		files = append(files, versionFile{x.Name, b})
	}
	// meta.json last: on object storage it is what makes the version
	// visible.
	files = append(files, versionFile{metaFile, metaJSON})
	if err = r.b.commit(version, files); err != nil {
		return "", false, fmt.Errorf("save %s in %s: %w", version, r.b, err)
	}
	err = r.b.replace(promotedFile, []byte(version+"\n"), true)
	switch {
	case errors.Is(err, fs.ErrExist):
		return version, false, nil
	case err != nil:
		return version, false, fmt.Errorf("promote %s in %s: %w", version, r.b, err)
	}
	return version, true, nil
}

// claim reserves the next free version number by creating the claim
// .vNNNN.claim exclusively: if another saver took the number first, the
// next is tried. Save removes the claim once the version is visible (or
// its save failed), so a number is never reused while a saver holds it,
// and a claim left by a saver that died keeps its number unused.
func (r *Registry) claim() (string, error) {
	names, err := r.b.names()
	if err != nil {
		return "", fmt.Errorf("list registry %s: %w", r.b, err)
	}
	next := 1
	for _, name := range names {
		name = strings.TrimSuffix(strings.TrimPrefix(name, "."), ".claim")
		if n, ok := versionNumber(name); ok && n >= next {
			next = n + 1
		}
	}
	for tries := 0; tries < 1000; tries++ {
		v := fmt.Sprintf("v%04d", next)
		err := r.b.create(claimName(v))
		if err == nil {
			used, err := r.b.used(v)
			if err != nil {
				r.b.remove(claimName(v))
				return "", fmt.Errorf("claim %s in %s: %w", v, r.b, err)
			}
			if used {
				// A saver finished v and removed its claim since we listed.
				r.b.remove(claimName(v))
				next++
				continue
			}
			return v, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("claim %s in %s: %w", v, r.b, err)
		}
		next++
	}
	return "", fmt.Errorf("claim a version in %s: too many concurrent savers", r.b)
}

func claimName(version string) string { return "." + version + ".claim" }

// Promoted returns the promoted version, or ErrNoModel.
func (r *Registry) Promoted() (string, error) {
	b, err := r.b.read("", promotedFile)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("registry %s has no promoted model: %w", r.b, ErrNoModel)
	}
	if err != nil {
		return "", fmt.Errorf("read promoted: %w", err)
	}
	v := strings.TrimSpace(string(b))
	if _, ok := versionNumber(v); !ok {
		return "", fmt.Errorf("promoted file holds %q: %w", v, ErrNoModel)
	}
	return v, nil
}

// Promote makes version the promoted one. Unless force, it refuses a
// version whose holdout ROC AUC is below the promoted version's
// (ErrWorseModel, naming both).
func (r *Registry) Promote(version string, force bool) error {
	meta, err := r.readMeta(version)
	if err != nil {
		return err
	}
	cur, err := r.Promoted()
	if err != nil && !errors.Is(err, ErrNoModel) {
		return err
	}
	if err == nil && cur != version && !force {
		curMeta, err := r.readMeta(cur)
		if err != nil {
			return err
		}
		if meta.Holdout.ROCAUC < curMeta.Holdout.ROCAUC {
			return fmt.Errorf("%s holdout ROC AUC %.4f < promoted %s %.4f (force to override): %w",
				version, meta.Holdout.ROCAUC, cur, curMeta.Holdout.ROCAUC, ErrWorseModel)
		}
	}
	if err := r.b.replace(promotedFile, []byte(version+"\n"), false); err != nil {
		return fmt.Errorf("promote %s in %s: %w", version, r.b, err)
	}
	return nil
}

// readMeta reads a visible version's meta; a version that is not visible
// (missing, or still being written) is ErrNoModel.
func (r *Registry) readMeta(version string) (Meta, error) {
	var m Meta
	if _, ok := versionNumber(version); !ok {
		return m, fmt.Errorf("version %q: %w", version, ErrNoModel)
	}
	b, err := r.b.read(version, metaFile)
	if errors.Is(err, fs.ErrNotExist) {
		return m, fmt.Errorf("version %s in %s: %w", version, r.b, ErrNoModel)
	}
	if err != nil {
		return m, fmt.Errorf("read %s meta: %w", version, err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("decode %s meta: %w", version, err)
	}
	return m, nil
}

// Load reads a version: "" means the promoted one.
func (r *Registry) Load(version string) (*Trained, Meta, error) {
	if version == "" {
		v, err := r.Promoted()
		if err != nil {
			return nil, Meta{}, err
		}
		version = v
	}
	meta, err := r.readMeta(version)
	if err != nil {
		return nil, Meta{}, err
	}
	b, err := r.b.read(version, modelFile)
	if err != nil {
		return nil, Meta{}, fmt.Errorf("read %s model: %w", version, err)
	}
	var t Trained
	if err := t.UnmarshalBinary(b); err != nil {
		return nil, Meta{}, fmt.Errorf("load %s: %w", version, err)
	}
	return &t, meta, nil
}
