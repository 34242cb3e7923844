package model

import "encoding/json"

// logisticScorer adapts *Logistic to scorer.
type logisticScorer struct{ m *Logistic }

func (s logisticScorer) algo() string { return AlgoLogistic }

func (s logisticScorer) margins(dst []float64, x *Matrix) error {
	s.m.Margins(dst, x)
	return nil
}

func (s logisticScorer) contributions(dst, row []float64) error {
	s.m.Contributions(dst, row)
	return nil
}

func (s logisticScorer) importance() []float64 { return s.m.Importance() }

// marshal encodes the model as JSON: Go writes float64 in the shortest form
// that reads back to the same bits, so a loaded model predicts identically.
func (s logisticScorer) marshal() ([]byte, error) { return json.Marshal(s.m) }

func unmarshalLogistic(b []byte) (scorer, error) {
	var m Logistic
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for _, t := range m.Terms {
		if t.Feature < 0 || t.Feature >= len(m.Features) || !(t.Scale > 0) {
			return nil, ErrBadModelFile
		}
	}
	return logisticScorer{&m}, nil
}
