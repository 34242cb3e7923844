package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"churn/internal/fsutil"
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

// Registry is a folder of model versions v0001, v0002, ... and a PROMOTED
// file naming the one that scoring uses.
type Registry struct{ dir string }

// OpenRegistry opens the registry in dir, creating the folder if needed.
func OpenRegistry(dir string) (*Registry, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open registry: %w", err)
	}
	return &Registry{dir: dir}, nil
}

// Dir returns the registry's folder.
func (r *Registry) Dir() string { return r.dir }

// Versions lists the saved versions in order.
func (r *Registry) Versions() ([]string, error) {
	ents, err := os.ReadDir(r.dir)
	if err != nil {
		return nil, fmt.Errorf("list registry: %w", err)
	}
	var vs []string
	for _, e := range ents {
		if _, ok := versionNumber(e.Name()); ok && e.IsDir() {
			if _, err := os.Stat(filepath.Join(r.dir, e.Name(), modelFile)); err == nil {
				vs = append(vs, e.Name())
			}
		}
	}
	slices.Sort(vs) // fixed width: lexical order is numeric order below v9999
	return vs, nil
}

func versionNumber(name string) (int, bool) {
	if len(name) < 5 || name[0] != 'v' {
		return 0, false
	}
	n, err := strconv.Atoi(name[1:])
	return n, err == nil && n > 0
}

// Save writes t and meta as a new version and promotes it when the registry
// had no promoted version. The version number is claimed with an exclusive
// claim file (two savers never get the same name); the files are written
// into a temporary folder, fsynced, and the folder renamed into place.
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
	defer os.Remove(r.claimPath(version))
	pending, err := fsutil.CreatePending(r.dir, version)
	if err != nil {
		return "", false, fmt.Errorf("save %s: %w", version, err)
	}
	defer func() {
		if err != nil {
			pending.Abort()
		}
	}()
	files := []struct {
		name string
		data []byte
	}{{modelFile, model}, {metricsFile, metrics}, {featuresFile, features}, {metaFile, metaJSON}}
	for _, x := range extra {
		if err = checkExtraName(x.Name); err != nil {
			return "", false, fmt.Errorf("save %s: %w", version, err)
		}
		var b []byte
		if b, err = x.Render(version); err != nil {
			return "", false, fmt.Errorf("save %s: render %s: %w", version, x.Name, err)
		}
		files = append(files, struct {
			name string
			data []byte
		}{x.Name, b})
	}
	for _, f := range files {
		if err = os.WriteFile(filepath.Join(pending.Dir(), f.name), f.data, 0o666); err != nil {
			return "", false, fmt.Errorf("save %s: %w", version, err)
		}
	}
	// The claim keeps the version's name free: Commit renames, never
	// replaces.
	if err = pending.Commit(); err != nil {
		return "", false, fmt.Errorf("save %s: %w", version, err)
	}
	if _, perr := r.Promoted(); errors.Is(perr, ErrNoModel) {
		if err = r.setPromoted(version); err != nil {
			return version, false, err
		}
		return version, true, nil
	}
	return version, false, nil
}

// claim reserves the next free version number by creating the file
// .vNNNN.claim with O_EXCL: if another process took the number first, the
// next is tried. The claim file is removed once the version folder exists.
func (r *Registry) claim() (string, error) {
	ents, err := os.ReadDir(r.dir)
	if err != nil {
		return "", fmt.Errorf("list registry: %w", err)
	}
	next := 1
	for _, e := range ents {
		name := strings.TrimSuffix(strings.TrimPrefix(e.Name(), "."), ".claim")
		if n, ok := versionNumber(name); ok && n >= next {
			next = n + 1
		}
	}
	for tries := 0; tries < 1000; tries++ {
		v := fmt.Sprintf("v%04d", next)
		f, err := os.OpenFile(r.claimPath(v), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err == nil {
			if err := f.Close(); err != nil {
				return "", fmt.Errorf("claim %s: %w", v, err)
			}
			if _, err := os.Stat(filepath.Join(r.dir, v)); err == nil {
				// A saver finished v and removed its claim since we listed.
				os.Remove(r.claimPath(v))
				next++
				continue
			}
			return v, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("claim %s: %w", v, err)
		}
		next++
	}
	return "", fmt.Errorf("claim a version in %s: too many concurrent savers", r.dir)
}

func (r *Registry) claimPath(version string) string {
	return filepath.Join(r.dir, "."+version+".claim")
}

// Promoted returns the promoted version, or ErrNoModel.
func (r *Registry) Promoted() (string, error) {
	b, err := os.ReadFile(filepath.Join(r.dir, promotedFile))
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("registry %s has no promoted model: %w", r.dir, ErrNoModel)
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
	return r.setPromoted(version)
}

func (r *Registry) readMeta(version string) (Meta, error) {
	var m Meta
	if _, ok := versionNumber(version); !ok {
		return m, fmt.Errorf("version %q: %w", version, ErrNoModel)
	}
	b, err := os.ReadFile(filepath.Join(r.dir, version, metaFile))
	if errors.Is(err, fs.ErrNotExist) {
		return m, fmt.Errorf("version %s: %w", version, ErrNoModel)
	}
	if err != nil {
		return m, fmt.Errorf("read %s meta: %w", version, err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("decode %s meta: %w", version, err)
	}
	return m, nil
}

// setPromoted writes the PROMOTED pointer atomically.
func (r *Registry) setPromoted(version string) error {
	if err := fsutil.WriteFile(filepath.Join(r.dir, promotedFile), []byte(version+"\n")); err != nil {
		return fmt.Errorf("promote %s: %w", version, err)
	}
	return nil
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
	b, err := os.ReadFile(filepath.Join(r.dir, version, modelFile))
	if err != nil {
		return nil, Meta{}, fmt.Errorf("read %s model: %w", version, err)
	}
	var t Trained
	if err := t.UnmarshalBinary(b); err != nil {
		return nil, Meta{}, fmt.Errorf("load %s: %w", version, err)
	}
	return &t, meta, nil
}
