package features

import (
	"bytes"
	"encoding/gob"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"testing"
)

// TestMatrix holds a matrix through WriteMatrix and ReadMatrix equal to
// itself bit for bit (NaN payloads, infinities, negative zero), at every
// length around the conversion chunk, the same bytes each time, and a
// second matrix after the first read from where the first ended.
func TestMatrix(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 3, matrixChunk - 1, matrixChunk, matrixChunk + 1, 5*matrixChunk + 7} {
		x := make([]float64, n)
		for i := range x {
			x[i] = rng.NormFloat64() * 1e9
		}
		for i, v := range []float64{math.Float64frombits(0x7ff8_0000_dead_beef), math.NaN(), math.Inf(-1), math.Copysign(0, -1)} {
			if i < n {
				x[(i*7919)%n] = v
			}
		}
		var buf bytes.Buffer
		if err := WriteMatrix(&buf, x); err != nil {
			t.Fatal(err)
		}
		if err := WriteMatrix(&buf, []float64{42}); err != nil {
			t.Fatal(err)
		}
		if got, want := buf.Len(), 8+8*n+16; got != want {
			t.Fatalf("%d values: %d bytes, want %d", n, got, want)
		}
		var again bytes.Buffer
		WriteMatrix(&again, x)
		if !bytes.HasPrefix(buf.Bytes(), again.Bytes()) {
			t.Fatalf("%d values: the same matrix gave other bytes", n)
		}
		got, err := ReadMatrix(&buf, n)
		if err != nil {
			t.Fatalf("%d values: %v", n, err)
		}
		if n == 0 && got != nil {
			t.Fatalf("no values read back as %v, want nil", got)
		}
		if len(got) != n {
			t.Fatalf("%d values read back as %d", n, len(got))
		}
		for i := range x {
			if math.Float64bits(got[i]) != math.Float64bits(x[i]) {
				t.Fatalf("%d values: [%d] = %#x, want %#x", n, i, math.Float64bits(got[i]), math.Float64bits(x[i]))
			}
		}
		if next, err := ReadMatrix(&buf, 1); err != nil || len(next) != 1 || next[0] != 42 {
			t.Fatalf("%d values: the next matrix read back as %v, %v", n, next, err)
		}
	}
}

// TestMatrixDamaged holds damaged bytes to errors: a length over the
// frame's (never allocated), the input ending in the length or in the
// values (io.ErrUnexpectedEOF, never a short matrix).
func TestMatrixDamaged(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteMatrix(&buf, make([]float64, 2*matrixChunk+5)); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if _, err := ReadMatrix(bytes.NewReader(b), 2*matrixChunk+4); !errors.Is(err, ErrMatrixSize) {
		t.Errorf("a matrix over its bound: %v, want ErrMatrixSize", err)
	}
	huge := bytes.Clone(b)
	for i := range 8 {
		huge[i] = 0xff
	}
	if _, err := ReadMatrix(bytes.NewReader(huge), 1<<20); !errors.Is(err, ErrMatrixSize) {
		t.Errorf("a length of 2^64-1: %v, want ErrMatrixSize", err)
	}
	for _, cut := range []int{0, 3, 8, 9, 8 + 8*matrixChunk, len(b) - 1} {
		_, err := ReadMatrix(bytes.NewReader(b[:cut]), 1<<20)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("cut at %d of %d bytes: %v, want io.ErrUnexpectedEOF", cut, len(b), err)
		}
	}
}

// BenchmarkMatrix reads back a range's matrix (50,000 rows of 80
// features) written by WriteMatrix, against gob's own encoding of the
// same []float64: what a spilled or cached frame's X costs either way.
func BenchmarkMatrix(b *testing.B) {
	x := make([]float64, 50_000*80)
	for i := range x {
		x[i] = float64(i%977) / 7
	}
	var mat, gb bytes.Buffer
	if err := WriteMatrix(&mat, x); err != nil {
		b.Fatal(err)
	}
	if err := gob.NewEncoder(&gb).Encode(x); err != nil {
		b.Fatal(err)
	}
	b.Run("matrix/read", func(b *testing.B) {
		b.SetBytes(int64(8 * len(x)))
		for b.Loop() {
			if _, err := ReadMatrix(bytes.NewReader(mat.Bytes()), len(x)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("gob/read", func(b *testing.B) {
		b.SetBytes(int64(8 * len(x)))
		for b.Loop() {
			var y []float64
			if err := gob.NewDecoder(bytes.NewReader(gb.Bytes())).Decode(&y); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("matrix/write", func(b *testing.B) {
		b.SetBytes(int64(8 * len(x)))
		for b.Loop() {
			if err := WriteMatrix(io.Discard, x); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("gob/write", func(b *testing.B) {
		b.SetBytes(int64(8 * len(x)))
		for b.Loop() {
			if err := gob.NewEncoder(io.Discard).Encode(x); err != nil {
				b.Fatal(err)
			}
		}
	})
}
