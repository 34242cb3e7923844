package runs

import (
	"fmt"
	"strings"
)

// Canonical segment ids, the defaults of SPEC.md. A run writes each
// segment under its display name (see Names); comparisons between runs
// use the ids.
const (
	AtRiskHighValue = "at_risk_high_value"
	AtRisk          = "at_risk"
	HighValue       = "high_value"
	Healthy         = "healthy"
	New             = "new"
	Churned         = "churned"
)

// Segments lists the canonical segment ids in the order people read them.
var Segments = []string{AtRiskHighValue, AtRisk, HighValue, Healthy, New, Churned}

// Tiers of churn risk (ChurnRisk) and of value (ValueTier).
const (
	High   = "high"
	Medium = "medium"
	Low    = "low"
)

// Tiers lists the tiers, highest first.
var Tiers = []string{High, Medium, Low}

// Names maps canonical segment ids to display names, as segments.names
// configures them and the manifest records them (segment_names). An id
// without an entry, or with an empty one, is displayed as itself: runs
// written before the names were recorded used the ids.
type Names map[string]string

// Of returns the display name of the segment id.
func (n Names) Of(id string) string {
	if s := n[id]; s != "" {
		return s
	}
	return id
}

// All returns the display names of every segment, keyed by id.
func (n Names) All() map[string]string {
	m := make(map[string]string, len(Segments))
	for _, id := range Segments {
		m[id] = n.Of(id)
	}
	return m
}

// List returns the display names in the order of Segments.
func (n Names) List() []string {
	out := make([]string, len(Segments))
	for i, id := range Segments {
		out[i] = n.Of(id)
	}
	return out
}

// Check reports every problem of the names at once: an id that is not a
// segment, and two segments with the same display name.
func (n Names) Check() []error {
	var errs []error
	for k := range n {
		if !isSegment(k) {
			errs = append(errs, fmt.Errorf("unknown segment %q, want one of %s", k, strings.Join(Segments, ", ")))
		}
	}
	named := map[string]string{}
	for _, id := range Segments {
		s := n.Of(id)
		if other, ok := named[s]; ok {
			errs = append(errs, fmt.Errorf("%s and %s are both named %q", other, id, s))
		}
		named[s] = id
	}
	return errs
}

// IDs maps every display name back to its segment id. Two segments with
// the same display name are an error.
func (n Names) IDs() (map[string]string, error) {
	byName := make(map[string]string, len(Segments))
	for _, id := range Segments {
		s := n.Of(id)
		if prev, dup := byName[s]; dup {
			return nil, fmt.Errorf("segments %s and %s are both named %q", prev, id, s)
		}
		byName[s] = id
	}
	return byName, nil
}

func isSegment(id string) bool {
	for _, s := range Segments {
		if s == id {
			return true
		}
	}
	return false
}
