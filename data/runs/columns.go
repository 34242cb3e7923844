package runs

import "churn/data"

// Column is one column of a run's part files: its name and kind.
type Column struct {
	Name string
	Kind data.Kind
}

// The columns every part file starts with, in this order (see Columns).
var (
	CustomerID         = Column{"customer_id", data.String}
	ChurnProbability   = Column{"churn_probability", data.Float}
	ChurnRisk          = Column{"churn_risk", data.String} // a tier: High, Medium or Low
	PredictedValue     = Column{"predicted_value", data.Float}
	PredictedValueLow  = Column{"predicted_value_low", data.Float}
	PredictedValueHigh = Column{"predicted_value_high", data.Float}
	ValueTier          = Column{"value_tier", data.String} // a tier: High, Medium or Low
	ValueAtRisk        = Column{"value_at_risk", data.Float}
	PAlive             = Column{"p_alive", data.Float}
	EngagementScore    = Column{"engagement_score", data.Float}
	SegmentColumn      = Column{"segment", data.String} // the segment's display name
	Reasons            = Column{"reasons", data.String} // "; "-joined sentences
	ReasonCodes        = Column{"reason_codes", data.String}
	ModelVersion       = Column{"model_version", data.String}
	Status             = Column{"status", data.String}
	Plan               = Column{"plan", data.String}
	Region             = Column{"region", data.String}
)

// Columns are the leading columns of every part file churn run writes, in
// order. The customers/ columns the run passes through (Manifest's
// Passthrough, as strings) follow, then the model's main features, as
// Float columns named as the model names them. as_of is not a column: it
// is the folder's Hive key, and, as with Spark's partitionBy and pyarrow's
// write_dataset, a partition column lives in the path only, so that
// readers that merge the two never see it twice, typed twice.
var Columns = []Column{
	CustomerID, ChurnProbability, ChurnRisk, PredictedValue, PredictedValueLow, PredictedValueHigh,
	ValueTier, ValueAtRisk, PAlive, EngagementScore, SegmentColumn, Reasons, ReasonCodes,
	ModelVersion, Status, Plan, Region,
}

// Required are the columns a reader of a run may count on, with their
// kinds; runs written by older versions may lack the others.
var Required = []Column{CustomerID, SegmentColumn, ChurnProbability, ChurnRisk, PredictedValue, ValueTier, ValueAtRisk}

// Strings makes the column c holding v.
func (c Column) Strings(v []string) data.OutColumn {
	return data.OutColumn{Name: c.Name, Kind: data.String, Strings: v}
}

// Floats makes the column c holding v.
func (c Column) Floats(v []float64) data.OutColumn {
	return data.OutColumn{Name: c.Name, Kind: data.Float, Floats: v}
}
