package model

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
)

// modelMagic opens every model file; the byte after it is the format
// version. Layout: magic, version, uint32 header length, JSON header,
// uint64 base-model length, base-model bytes (little endian).
const modelMagic = "CHURNMDL"

const modelFormat = 1

type modelHeader struct {
	Algo        string            `json:"algo"`
	Features    []string          `json:"features"`
	Choice      string            `json:"choice"`
	Candidates  []Candidate       `json:"candidates"`
	Calibration CalibrationReport `json:"calibration"`
	Calibrator  calibrator        `json:"calibrator"`
	Refit       *RefitReport      `json:"refit,omitempty"`
}

// MarshalBinary encodes the model. The same model always gives the same
// bytes. The golearn forest cannot be encoded (ErrNotSerializable).
func (t *Trained) MarshalBinary() ([]byte, error) {
	base, err := t.base.marshal()
	if err != nil {
		return nil, err
	}
	h, err := json.Marshal(modelHeader{
		Algo: t.base.algo(), Features: t.features, Choice: t.Choice,
		Candidates: t.Candidates, Calibration: t.Calibration, Calibrator: t.cal,
		Refit: t.Refit,
	})
	if err != nil {
		return nil, fmt.Errorf("encode header: %w", err)
	}
	var b bytes.Buffer
	b.WriteString(modelMagic)
	b.WriteByte(modelFormat)
	b.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(h))))
	b.Write(h)
	b.Write(binary.LittleEndian.AppendUint64(nil, uint64(len(base))))
	b.Write(base)
	return b.Bytes(), nil
}

// UnmarshalBinary decodes a model written by MarshalBinary.
func (t *Trained) UnmarshalBinary(b []byte) error {
	bad := func(why string) error { return fmt.Errorf("%s: %w", why, ErrBadModelFile) }
	if len(b) < len(modelMagic)+5 || string(b[:len(modelMagic)]) != modelMagic {
		return bad("no model header")
	}
	b = b[len(modelMagic):]
	if b[0] != modelFormat {
		return bad(fmt.Sprintf("format version %d", b[0]))
	}
	hl := uint64(binary.LittleEndian.Uint32(b[1:5]))
	b = b[5:]
	if uint64(len(b)) < hl+8 {
		return bad("truncated header")
	}
	var h modelHeader
	if err := json.Unmarshal(b[:hl], &h); err != nil {
		return bad("header: " + err.Error())
	}
	b = b[hl:]
	bl := binary.LittleEndian.Uint64(b[:8])
	b = b[8:]
	if uint64(len(b)) != bl {
		return bad("truncated model")
	}
	var s scorer
	var err error
	a, ok := lookupAlgorithm(h.Algo)
	if !ok || a.decode == nil {
		return bad("algorithm " + h.Algo)
	}
	s, err = a.decode(b, len(h.Features))
	if err != nil {
		return fmt.Errorf("%s model: %w", h.Algo, err)
	}
	switch h.Calibrator.Method {
	case CalNone, CalPlatt:
	case CalIsotonic:
		if h.Calibrator.Isotonic == nil || len(h.Calibrator.Isotonic.X) != len(h.Calibrator.Isotonic.Y) {
			return bad("isotonic calibrator")
		}
	default:
		return bad("calibration " + h.Calibrator.Method)
	}
	*t = Trained{
		Choice: h.Choice, Candidates: h.Candidates, Calibration: h.Calibration,
		Refit: h.Refit, features: h.Features, base: s, cal: h.Calibrator,
	}
	return nil
}
