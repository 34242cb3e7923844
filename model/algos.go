package model

import "strings"

// Algorithm is one classifier Train can fit. The list in algorithms is
// the one place that names them: Validate, Train's choice under "auto",
// the codec and the jobs' config checks all read it, so a new algorithm
// is one entry here plus its own fit and scorer.
type Algorithm struct {
	Name string
	// Auto says whether --algo auto fits it beside the others and keeps
	// the best on validation.
	Auto bool
	fit  func(cfg TrainConfig, train, valid *Matrix, ytrain, yvalid []float64) (scorer, []string, error)
	// decode reads a saved model back; nil for one that cannot be saved.
	decode func(b []byte, features int) (scorer, error)
}

// algorithms in the order "auto" fits them; that order breaks ties of
// validation ROC AUC in favour of the earlier one.
var algorithms = []Algorithm{
	{
		Name: AlgoGBT, Auto: true,
		fit: func(cfg TrainConfig, train, valid *Matrix, ytrain, yvalid []float64) (scorer, []string, error) {
			s, notes, err := fitGBT(cfg, train, valid, ytrain, yvalid)
			if err != nil {
				return nil, nil, err
			}
			return s, notes, nil
		},
		decode: unmarshalGBT,
	},
	{
		Name: AlgoLogistic, Auto: true,
		fit: func(cfg TrainConfig, train, _ *Matrix, ytrain, _ []float64) (scorer, []string, error) {
			p := DefaultLogisticParams()
			p.L2, p.PosWeight, p.Workers = cfg.L2, cfg.PosWeight, cfg.Workers
			m, err := FitLogistic(train, ytrain, p)
			if err != nil {
				return nil, nil, err
			}
			return logisticScorer{m}, m.Notes, nil
		},
		decode: func(b []byte, _ int) (scorer, error) { return unmarshalLogistic(b) },
	},
	{
		Name: AlgoGolearnRF,
		fit: func(cfg TrainConfig, train, _ *Matrix, ytrain, _ []float64) (scorer, []string, error) {
			return fitGolearnRF(cfg, train, ytrain)
		},
	},
}

// lookupAlgorithm returns the entry named name.
func lookupAlgorithm(name string) (Algorithm, bool) {
	for _, a := range algorithms {
		if a.Name == name {
			return a, true
		}
	}
	return Algorithm{}, false
}

// AlgoNames lists every value TrainConfig.Algo accepts: AlgoAuto first,
// then each algorithm in order.
func AlgoNames() []string {
	names := []string{AlgoAuto}
	for _, a := range algorithms {
		names = append(names, a.Name)
	}
	return names
}

// AutoAlgos lists the algorithms AlgoAuto fits, in order.
func AutoAlgos() []string {
	var names []string
	for _, a := range algorithms {
		if a.Auto {
			names = append(names, a.Name)
		}
	}
	return names
}

// AlgoChoices is AlgoNames for a message: "auto, gbt, logistic or
// golearn-rf".
func AlgoChoices() string {
	n := AlgoNames()
	return strings.Join(n[:len(n)-1], ", ") + " or " + n[len(n)-1]
}
