package features

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// A frame written to a file (a cached cutoff, a range's rows waiting
// between the steps of a distributed run) is a gob message of the value
// that holds it, with the frame's X set aside, followed by X written by
// WriteMatrix. gob would write the matrix value by value, hold the whole
// encoded message in memory before writing it, and read it back into a
// slice it grows as it goes: several times the time and the memory of
// the matrix's bytes.

// matrixChunk is how many values WriteMatrix and ReadMatrix convert at
// once.
const matrixChunk = 1024

// WriteMatrix writes x to w: its length, then its values, little-endian
// (the bits of each float, NaN payloads included). The same x always
// gives the same bytes.
func WriteMatrix(w io.Writer, x []float64) error {
	var buf [8 * matrixChunk]byte
	binary.LittleEndian.PutUint64(buf[:8], uint64(len(x)))
	if _, err := w.Write(buf[:8]); err != nil {
		return err
	}
	for len(x) > 0 {
		n := min(len(x), matrixChunk)
		for i, v := range x[:n] {
			binary.LittleEndian.PutUint64(buf[8*i:], math.Float64bits(v))
		}
		if _, err := w.Write(buf[:8*n]); err != nil {
			return err
		}
		x = x[n:]
	}
	return nil
}

// ErrMatrixSize is the error of ReadMatrix for a length over its bound.
var ErrMatrixSize = errors.New("matrix larger than its frame")

// ReadMatrix reads a matrix that WriteMatrix wrote, of at most most
// values (the frame's rows times its columns): a longer one is damaged,
// and is not allocated. No values give nil.
func ReadMatrix(r io.Reader, most int) ([]float64, error) {
	var buf [8 * matrixChunk]byte
	if _, err := io.ReadFull(r, buf[:8]); err != nil {
		return nil, fmt.Errorf("matrix length: %w", noEOF(err))
	}
	n := binary.LittleEndian.Uint64(buf[:8])
	if n > uint64(most) {
		return nil, fmt.Errorf("%d values, at most %d: %w", n, most, ErrMatrixSize)
	}
	if n == 0 {
		return nil, nil
	}
	x := make([]float64, n)
	for v := x; len(v) > 0; {
		k := min(len(v), matrixChunk)
		if _, err := io.ReadFull(r, buf[:8*k]); err != nil {
			return nil, fmt.Errorf("matrix of %d values: %w", n, noEOF(err))
		}
		for i := range v[:k] {
			v[i] = math.Float64frombits(binary.LittleEndian.Uint64(buf[8*i:]))
		}
		v = v[k:]
	}
	return x, nil
}

// noEOF turns the end of the input inside a matrix into
// io.ErrUnexpectedEOF: a matrix ends only after its values.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
