package jobs

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"gopkg.in/yaml.v3"

	"churn/data"
	"churn/data/runs"
	"churn/features"
	"churn/jobs/metrics"
	"churn/jobs/segment"
	"churn/jobs/value"
	"churn/model"
	"churn/model/gbt"
)

// Config is everything a pipeline needs, with documented defaults from
// DefaultConfig. Time and randomness are injected: AsOf and Seed.
type Config struct {
	// catalog is where reads take the features catalog from (see
	// catalogSource); set by Train and Run, not by users.
	catalog catalogSource
	// Data is the dataset folder. Empty means the embedded sample dataset.
	Data string
	// Out is the folder that receives as_of=YYYY-MM-DD/ run folders.
	// Default ./churn-out.
	Out string
	// Registry is the model registry: a folder or a bucket URL (s3://,
	// gs://, file://). Default ./churn-registry.
	Registry string
	// AsOf is the cutoff instant; features see only rows strictly before
	// it. Zero means today at midnight UTC (the day after the sample's last
	// day when running on the embedded sample).
	AsOf time.Time
	// Seed makes every random choice reproducible. Default 1.
	Seed uint64
	// Workers bounds the goroutines that read files. Default: the number of
	// CPUs.
	Workers int

	// Mapping maps contract column names onto the files' column names.
	Mapping data.Mapping
	// Features configures windows, horizon, label and engagement weights.
	Features features.Config

	Train    TrainOptions
	Segments SegmentOptions
	Lists    ListsConfig
	Value    ValueOptions
	BadRows  BadRowOptions
	Reasons  ReasonOptions

	// DriftThreshold is the population stability index above which a
	// feature or the score is reported as drifted. Default 0.2.
	DriftThreshold float64
	// MetricsFile, when set, receives run metrics in the Prometheus text
	// format (for node_exporter's textfile collector).
	MetricsFile string
	// MetricsPush, when set, is a Prometheus Pushgateway URL that the run
	// metrics are pushed to.
	MetricsPush string
	// ExplainOut, when set, is a Parquet file that run writes every
	// customer's SHAP values to (churn run --explain-out; not a file key).
	ExplainOut string
}

// TrainOptions configures churn train.
type TrainOptions struct {
	// Cutoffs is the number of monthly cutoffs in the training set. Default 8.
	Cutoffs int
	// Algo is auto, gbt, logistic or golearn-rf. Default auto.
	Algo string
	// Calibration is auto, platt, isotonic or none. Default auto.
	Calibration string
	// Promote makes the new version the promoted one even when the registry
	// already has one.
	Promote bool
	// Refit refits the chosen model on every labelled cutoff up to the
	// latest complete one, less a held-back half of its customers that
	// calibrates it, after selection and the holdout. Default true.
	Refit bool
	// Search tries a small grid of tree depths and learning rates around
	// GBT on the time split and keeps the best validation log loss
	// (churn train --search). Default false.
	Search bool
	// GBT holds the gradient-boosted trees' parameters (train.gbt); the
	// defaults are model/gbt's.
	GBT GBTOptions
}

// GBTOptions are the tunable parameters of the gradient-boosted trees;
// model/gbt documents each (Params). Early stopping always runs on the
// validation cutoff.
type GBTOptions struct {
	Trees          int     // most boosting rounds. Default 500.
	Depth          int     // most tree depth. Default 6.
	LearningRate   float64 // shrinkage. Default 0.1.
	Leaves         int     // most leaves per tree; 0 means no bound beyond Depth. Default 0.
	MinChildWeight float64 // least hessian sum per child. Default 1.
	Subsample      float64 // share of rows drawn per tree. Default 0.8.
	ColSample      float64 // share of columns drawn per tree. Default 0.8.
	L2             float64 // leaf value regularisation. Default 1.
}

// DefaultGBTOptions returns model/gbt's defaults.
func DefaultGBTOptions() GBTOptions {
	p := gbt.DefaultParams()
	return GBTOptions{
		Trees: p.Trees, Depth: p.MaxDepth, LearningRate: p.LearningRate, Leaves: p.MaxLeaves,
		MinChildWeight: p.MinChildWeight, Subsample: p.Subsample, ColSample: p.ColSample, L2: p.L2,
	}
}

// Params returns o over model/gbt's defaults.
func (o GBTOptions) Params() gbt.Params {
	p := gbt.DefaultParams()
	p.Trees, p.MaxDepth, p.LearningRate, p.MaxLeaves = o.Trees, o.Depth, o.LearningRate, o.Leaves
	p.MinChildWeight, p.Subsample, p.ColSample, p.L2 = o.MinChildWeight, o.Subsample, o.ColSample, o.L2
	return p
}

// SegmentOptions holds the thresholds and names of the output segments.
type SegmentOptions = segment.Options

// ListsConfig configures what the scores carry for lists and the page.
type ListsConfig struct {
	// Passthrough names columns of customers/ (such as email, crm_id or
	// owner) that run copies into the scores, as text, so that lists, the
	// page and its download carry a key a CRM matches on.
	Passthrough []string
}

// ValueOptions configures the customer value models (value.Options).
type ValueOptions = value.Options

// BadRowOptions is the policy for rows that break the contract.
type BadRowOptions struct {
	// Policy is "skip" (default: count, log and skip) or "fail".
	Policy string
	// MaxFraction is the share of bad rows in any table above which the run
	// fails with exit code 2. Default 0.05.
	MaxFraction float64
	// OptionalFiles lists dataset-relative paths whose corruption is
	// skipped with a warning instead of failing the run.
	OptionalFiles []string
}

// ReasonOptions configures the reasons written with each score.
type ReasonOptions struct {
	// Language of the reasons' text: "en" (default) or "pt". The codes
	// are the same in every language.
	Language string
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		Out:      "churn-out",
		Registry: "churn-registry",
		Seed:     1,
		Workers:  runtime.GOMAXPROCS(0),
		Features: features.DefaultConfig(),
		Train:    TrainOptions{Cutoffs: 8, Algo: "auto", Calibration: "auto", Refit: true, GBT: DefaultGBTOptions()},
		Segments: SegmentOptions{
			HighRiskLift: 3, MediumRiskLift: 2,
			HighValueQuantile: 0.8, MediumValueQuantile: 0.5,
		},
		Value:          ValueOptions{Unit: "week", HorizonDays: 365, Margin: 0.3, AnnualDiscount: 0.1},
		BadRows:        BadRowOptions{Policy: "skip", MaxFraction: 0.05},
		Reasons:        ReasonOptions{Language: "en"},
		DriftThreshold: 0.2,
	}
}

// SegmentName returns the configured display name of a segment id (one
// of runs.Segments).
func (c *Config) SegmentName(id string) string { return c.Segments.Name(id) }

// metricsTarget is where a run publishes its metrics.
func metricsTarget(c *Config) metrics.Target {
	return metrics.Target{File: c.MetricsFile, Push: c.MetricsPush}
}

// Validate reports every problem of the configuration at once.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Out == "" {
		bad("out: must not be empty")
	}
	if c.Registry == "" {
		bad("registry: must not be empty")
	}
	if c.Workers < 1 {
		bad("workers: %d, want at least 1", c.Workers)
	}
	if err := c.Features.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("features: %w", err))
	}
	if c.Train.Cutoffs < 3 {
		bad("train.cutoffs: %d, want at least 3 (train, validation and test cutoffs)", c.Train.Cutoffs)
	}
	if !slices.Contains(model.AlgoNames(), c.Train.Algo) {
		bad("train.algo: %q, want %s", c.Train.Algo, model.AlgoChoices())
	}
	switch c.Train.Calibration {
	case "auto", "platt", "isotonic", "none":
	default:
		bad("train.calibration: %q, want auto, platt, isotonic or none", c.Train.Calibration)
	}
	if err := c.Train.GBT.Params().Validate(); err != nil {
		errs = append(errs, fmt.Errorf("train.gbt: %w", err))
	}
	s := c.Segments
	if !(0 <= s.MediumRisk && s.MediumRisk < 1 && 0 <= s.HighRisk && s.HighRisk < 1) ||
		s.MediumRisk > 0 && s.HighRisk > 0 && s.MediumRisk > s.HighRisk {
		bad("segments: want 0 < medium_risk (%g) <= high_risk (%g) < 1, or 0 for thresholds relative to the base rate", s.MediumRisk, s.HighRisk)
	}
	if !(0 < s.MediumRiskLift && s.MediumRiskLift <= s.HighRiskLift) {
		bad("segments: want 0 < medium_risk_lift (%g) <= high_risk_lift (%g)", s.MediumRiskLift, s.HighRiskLift)
	}
	if !(0 < s.MediumValueQuantile && s.MediumValueQuantile <= s.HighValueQuantile && s.HighValueQuantile < 1) {
		bad("segments: want 0 < medium_value_quantile (%g) <= high_value_quantile (%g) < 1", s.MediumValueQuantile, s.HighValueQuantile)
	}
	for _, err := range runs.Names(s.Names).Check() {
		bad("segments.names: %v", err)
	}
	seen := map[string]bool{}
	for _, name := range c.Lists.Passthrough {
		if name == "" || seen[name] {
			bad("lists.passthrough: %q empty or named twice", name)
		}
		seen[name] = true
	}
	if c.Value.Unit != "week" && c.Value.Unit != "day" {
		bad("value.unit: %q, want week or day", c.Value.Unit)
	}
	if c.Value.HorizonDays < 1 {
		bad("value.horizon_days: %d, want at least 1", c.Value.HorizonDays)
	}
	if c.Value.Margin <= 0 || c.Value.Margin > 1 {
		bad("value.margin: %g, want in (0, 1]", c.Value.Margin)
	}
	if c.Value.AnnualDiscount < 0 || c.Value.AnnualDiscount >= 1 {
		bad("value.annual_discount: %g, want in [0, 1)", c.Value.AnnualDiscount)
	}
	if c.BadRows.Policy != "skip" && c.BadRows.Policy != "fail" {
		bad("bad_rows.policy: %q, want skip or fail", c.BadRows.Policy)
	}
	if c.BadRows.MaxFraction < 0 || c.BadRows.MaxFraction > 1 {
		bad("bad_rows.max_fraction: %g, want in [0, 1]", c.BadRows.MaxFraction)
	}
	if c.Reasons.Language != "en" && c.Reasons.Language != "pt" {
		bad("reasons.language: %q, want en or pt", c.Reasons.Language)
	}
	if c.DriftThreshold <= 0 {
		bad("drift_threshold: %g, want > 0", c.DriftThreshold)
	}
	return errors.Join(errs...)
}

// fileConfig is the shape of a config file, YAML or TOML. Durations are
// strings such as "90d", "12w" or "36h". Every field is optional.
type fileConfig struct {
	Data     *string                      `yaml:"data" toml:"data"`
	Out      *string                      `yaml:"out" toml:"out"`
	Registry *string                      `yaml:"registry" toml:"registry"`
	Seed     *uint64                      `yaml:"seed" toml:"seed"`
	Workers  *int                         `yaml:"workers" toml:"workers"`
	Columns  map[string]map[string]string `yaml:"columns" toml:"columns"`
	Features struct {
		Windows           []string           `yaml:"windows" toml:"windows"`
		Horizon           *string            `yaml:"horizon" toml:"horizon"`
		Gap               *string            `yaml:"gap" toml:"gap"`
		Label             *string            `yaml:"label" toml:"label"`
		Lookback          *string            `yaml:"lookback" toml:"lookback"`
		NewDays           *int               `yaml:"new_days" toml:"new_days"`
		CoreEvents        []string           `yaml:"core_events" toml:"core_events"`
		EngagementWeights map[string]float64 `yaml:"engagement_weights" toml:"engagement_weights"`
		DefaultMargin     *float64           `yaml:"default_margin" toml:"default_margin"`
		NegativeSentiment *float64           `yaml:"negative_sentiment" toml:"negative_sentiment"`
		EventVocab        *int               `yaml:"event_vocab" toml:"event_vocab"`
		IgnoreEvents      []string           `yaml:"ignore_events" toml:"ignore_events"`
		Attributes        []string           `yaml:"attributes" toml:"attributes"` // nil: unset; empty: none
	} `yaml:"features" toml:"features"`
	Train struct {
		Cutoffs     *int    `yaml:"cutoffs" toml:"cutoffs"`
		Algo        *string `yaml:"algo" toml:"algo"`
		Calibration *string `yaml:"calibration" toml:"calibration"`
		Refit       *bool   `yaml:"refit" toml:"refit"`
		Search      *bool   `yaml:"search" toml:"search"`
		GBT         struct {
			Trees          *int     `yaml:"trees" toml:"trees"`
			Depth          *int     `yaml:"depth" toml:"depth"`
			LearningRate   *float64 `yaml:"learning_rate" toml:"learning_rate"`
			Leaves         *int     `yaml:"leaves" toml:"leaves"`
			MinChildWeight *float64 `yaml:"min_child_weight" toml:"min_child_weight"`
			Subsample      *float64 `yaml:"subsample" toml:"subsample"`
			ColSample      *float64 `yaml:"colsample" toml:"colsample"`
			L2             *float64 `yaml:"l2" toml:"l2"`
		} `yaml:"gbt" toml:"gbt"`
	} `yaml:"train" toml:"train"`
	Segments struct {
		HighRisk            *float64          `yaml:"high_risk" toml:"high_risk"`
		MediumRisk          *float64          `yaml:"medium_risk" toml:"medium_risk"`
		HighRiskLift        *float64          `yaml:"high_risk_lift" toml:"high_risk_lift"`
		MediumRiskLift      *float64          `yaml:"medium_risk_lift" toml:"medium_risk_lift"`
		HighValueQuantile   *float64          `yaml:"high_value_quantile" toml:"high_value_quantile"`
		MediumValueQuantile *float64          `yaml:"medium_value_quantile" toml:"medium_value_quantile"`
		Names               map[string]string `yaml:"names" toml:"names"`
	} `yaml:"segments" toml:"segments"`
	Lists struct {
		Passthrough []string `yaml:"passthrough" toml:"passthrough"`
	} `yaml:"lists" toml:"lists"`
	Value struct {
		Unit           *string  `yaml:"unit" toml:"unit"`
		HorizonDays    *int     `yaml:"horizon_days" toml:"horizon_days"`
		Margin         *float64 `yaml:"margin" toml:"margin"`
		AnnualDiscount *float64 `yaml:"annual_discount" toml:"annual_discount"`
	} `yaml:"value" toml:"value"`
	BadRows struct {
		Policy        *string  `yaml:"policy" toml:"policy"`
		MaxFraction   *float64 `yaml:"max_fraction" toml:"max_fraction"`
		OptionalFiles []string `yaml:"optional_files" toml:"optional_files"`
	} `yaml:"bad_rows" toml:"bad_rows"`
	Reasons struct {
		Language *string `yaml:"language" toml:"language"`
	} `yaml:"reasons" toml:"reasons"`
	DriftThreshold *float64 `yaml:"drift_threshold" toml:"drift_threshold"`
	MetricsFile    *string  `yaml:"metrics_file" toml:"metrics_file"`
	MetricsPush    *string  `yaml:"metrics_push" toml:"metrics_push"`
}

// LoadConfigFile applies a YAML (.yaml, .yml) or TOML (.toml) file on top of
// c. Unknown keys are an error, so that a typo does not pass silently.
func LoadConfigFile(c *Config, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	var f fileConfig
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml":
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&f); err != nil {
			return fmt.Errorf("config %s: %w", path, err)
		}
	case ".toml":
		md, err := toml.Decode(string(b), &f)
		if err != nil {
			return fmt.Errorf("config %s: %w", path, err)
		}
		if und := md.Undecoded(); len(und) > 0 {
			return fmt.Errorf("config %s: unknown key %q", path, und[0].String())
		}
	default:
		return fmt.Errorf("config %s: want a .yaml, .yml or .toml file", path)
	}
	if err := f.apply(c); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	return nil
}

func (f *fileConfig) apply(c *Config) error {
	var errs []error
	set(&c.Data, f.Data)
	set(&c.Out, f.Out)
	set(&c.Registry, f.Registry)
	set(&c.Seed, f.Seed)
	if f.Workers != nil {
		c.Workers = *f.Workers
		if c.Workers == 0 {
			c.Workers = runtime.GOMAXPROCS(0) // 0 means the number of CPUs
		}
	}
	if len(f.Columns) > 0 {
		c.Mapping = data.Mapping{}
		for table, cols := range f.Columns {
			t := data.Table(table)
			if _, ok := data.Contract[t]; !ok {
				errs = append(errs, fmt.Errorf("columns: unknown table %q", table))
				continue
			}
			for contractName := range cols {
				if !hasColumn(t, contractName) {
					errs = append(errs, fmt.Errorf("columns.%s: unknown contract column %q", table, contractName))
				}
			}
			c.Mapping[t] = cols
		}
	}
	fc := &c.Features
	if len(f.Features.Windows) > 0 {
		fc.Windows = fc.Windows[:0:0]
		for _, w := range f.Features.Windows {
			d, err := ParseDuration(w)
			if err != nil {
				errs = append(errs, fmt.Errorf("features.windows: %w", err))
				continue
			}
			fc.Windows = append(fc.Windows, d)
		}
	}
	durations := []struct {
		name string
		src  *string
		dst  *time.Duration
	}{
		{"features.horizon", f.Features.Horizon, &fc.Horizon},
		{"features.gap", f.Features.Gap, &fc.Gap},
		{"features.lookback", f.Features.Lookback, &fc.Lookback},
	}
	for _, d := range durations {
		if d.src == nil {
			continue
		}
		v, err := ParseDuration(*d.src)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", d.name, err))
			continue
		}
		*d.dst = v
	}
	if f.Features.Label != nil {
		fc.Label = features.LabelMode(*f.Features.Label)
	}
	set(&fc.NewDays, f.Features.NewDays)
	if f.Features.CoreEvents != nil {
		fc.CoreEvents = f.Features.CoreEvents
	}
	if f.Features.EngagementWeights != nil {
		fc.EngagementWeights = f.Features.EngagementWeights
	}
	set(&fc.DefaultMargin, f.Features.DefaultMargin)
	set(&fc.NegativeSentiment, f.Features.NegativeSentiment)
	set(&fc.EventVocab, f.Features.EventVocab)
	if len(f.Features.IgnoreEvents) > 0 {
		fc.IgnoreEvents = f.Features.IgnoreEvents
	}
	if f.Features.Attributes != nil {
		fc.Attributes = append([]string{}, f.Features.Attributes...)
	}
	set(&c.Train.Cutoffs, f.Train.Cutoffs)
	set(&c.Train.Algo, f.Train.Algo)
	set(&c.Train.Calibration, f.Train.Calibration)
	set(&c.Train.Refit, f.Train.Refit)
	set(&c.Train.Search, f.Train.Search)
	g, fg := &c.Train.GBT, &f.Train.GBT
	set(&g.Trees, fg.Trees)
	set(&g.Depth, fg.Depth)
	set(&g.LearningRate, fg.LearningRate)
	set(&g.Leaves, fg.Leaves)
	set(&g.MinChildWeight, fg.MinChildWeight)
	set(&g.Subsample, fg.Subsample)
	set(&g.ColSample, fg.ColSample)
	set(&g.L2, fg.L2)
	set(&c.Segments.HighRisk, f.Segments.HighRisk)
	set(&c.Segments.MediumRisk, f.Segments.MediumRisk)
	set(&c.Segments.HighRiskLift, f.Segments.HighRiskLift)
	set(&c.Segments.MediumRiskLift, f.Segments.MediumRiskLift)
	set(&c.Segments.HighValueQuantile, f.Segments.HighValueQuantile)
	set(&c.Segments.MediumValueQuantile, f.Segments.MediumValueQuantile)
	if f.Segments.Names != nil {
		c.Segments.Names = f.Segments.Names
	}
	if f.Lists.Passthrough != nil {
		c.Lists.Passthrough = f.Lists.Passthrough
	}
	set(&c.Value.Unit, f.Value.Unit)
	set(&c.Value.HorizonDays, f.Value.HorizonDays)
	set(&c.Value.Margin, f.Value.Margin)
	set(&c.Value.AnnualDiscount, f.Value.AnnualDiscount)
	set(&c.BadRows.Policy, f.BadRows.Policy)
	set(&c.BadRows.MaxFraction, f.BadRows.MaxFraction)
	if f.BadRows.OptionalFiles != nil {
		c.BadRows.OptionalFiles = f.BadRows.OptionalFiles
	}
	set(&c.Reasons.Language, f.Reasons.Language)
	set(&c.DriftThreshold, f.DriftThreshold)
	set(&c.MetricsFile, f.MetricsFile)
	set(&c.MetricsPush, f.MetricsPush)
	return errors.Join(errs...)
}

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

func hasColumn(t data.Table, name string) bool {
	for _, c := range data.Contract[t] {
		if c.Name == name {
			return true
		}
	}
	return false
}

// ParseDuration reads a duration such as "90d", "12w", "36h" or "1h30m".
// Days and weeks are 24 and 168 hours: cutoffs are UTC instants, so there
// is no daylight saving to account for.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if num, ok := strings.CutSuffix(s, suffix); ok {
			n, err := strconv.ParseFloat(num, 64)
			if err != nil || n < 0 {
				return 0, fmt.Errorf("duration %q: want a number of days (d) or weeks (w), or a Go duration", s)
			}
			return time.Duration(n * float64(unit)), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("duration %q: want a number of days (d) or weeks (w), or a Go duration", s)
	}
	return d, nil
}

// ParseDate reads a run date: YYYY-MM-DD (midnight UTC) or an RFC 3339
// instant.
func ParseDate(s string) (time.Time, error) {
	if t, err := data.ParseDate(s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q: want YYYY-MM-DD or an RFC 3339 instant", s)
	}
	return t.UTC(), nil
}
