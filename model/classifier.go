package model

// Classifier scores rows with probabilities and explains them. [*Trained]
// implements it; jobs declare the subset they call.
type Classifier interface {
	// Algo names the fitted algorithm: "gbt", "logistic" or "golearn-rf".
	Algo() string
	// Features lists the columns the model expects, in order.
	Features() []string
	// PredictProba writes one probability per row of x into dst. It refuses
	// a matrix whose columns differ from Features (ErrFeatureMismatch).
	PredictProba(dst []float64, x *Matrix) error
	// Contributions writes one effect per feature into dst (len(Features())),
	// in margin (log-odds) space: positive pushed the risk up.
	Contributions(dst []float64, row []float64) error
}

// scorer is a fitted base model before calibration.
type scorer interface {
	algo() string
	// margins writes the log-odds of each row of x (columns already checked).
	margins(dst []float64, x *Matrix) error
	contributions(dst, row []float64) error
	importance() []float64
	marshal() ([]byte, error)
}
