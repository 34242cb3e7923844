package data

import (
	"bytes"
	"fmt"
	"io"

	"github.com/apache/arrow/go/v17/parquet/compress"
	"github.com/pierrec/lz4/v4"
)

// lz4Raw is Parquet's LZ4_RAW codec (thrift CompressionCodec 7): one LZ4
// block per page, with no frame. Arrow Go v17 knows the code but has no
// codec for it, and Polars and recent pyarrow write it by default, so
// Arrow's reader would refuse their files; this registers one.
const lz4Raw = compress.Compression(7)

func init() {
	if _, err := compress.GetCodec(lz4Raw); err != nil {
		compress.RegisterCodec(lz4Raw, lz4RawCodec{})
	}
}

type lz4RawCodec struct{}

// Decode uncompresses one block into dst, which Arrow sizes to the page's
// uncompressed length. Like Arrow's codecs it panics on corrupt input,
// which ReadFile turns into an ErrCorrupt FileError.
func (lz4RawCodec) Decode(dst, src []byte) []byte {
	if dst == nil {
		return decodeLZ4Grow(src)
	}
	n, err := lz4.UncompressBlock(src, dst)
	if err != nil {
		panic(fmt.Errorf("lz4_raw: %w", err))
	}
	return dst[:n]
}

// decodeLZ4Grow decodes a block of unknown uncompressed size, doubling the
// buffer up to 255 times the compressed size, LZ4's largest ratio.
func decodeLZ4Grow(src []byte) []byte {
	for size := max(4*len(src), 64); ; size *= 2 {
		dst := make([]byte, size)
		n, err := lz4.UncompressBlock(src, dst)
		if err == nil {
			return dst[:n]
		}
		if size > 255*len(src)+64 {
			panic(fmt.Errorf("lz4_raw: %w", err))
		}
	}
}

func (c lz4RawCodec) Encode(dst, src []byte) []byte { return c.EncodeLevel(dst, src, 0) }

func (lz4RawCodec) EncodeLevel(dst, src []byte, _ int) []byte {
	if len(src) == 0 {
		return append(dst[:0], 0) // one token: no literals, no match
	}
	bound := lz4.CompressBlockBound(len(src))
	if cap(dst) < bound {
		dst = make([]byte, bound)
	}
	dst = dst[:bound]
	var c lz4.Compressor
	n, err := c.CompressBlock(src, dst)
	if err != nil || n == 0 {
		// Cannot happen with a buffer of CompressBlockBound bytes.
		panic(fmt.Errorf("lz4_raw: compress %d bytes: %v", len(src), err))
	}
	return dst[:n]
}

func (lz4RawCodec) CompressBound(n int64) int64 { return int64(lz4.CompressBlockBound(int(n))) }

// NewReader reads all of r as one block: LZ4_RAW has no stream format.
func (lz4RawCodec) NewReader(r io.Reader) io.ReadCloser {
	src, err := io.ReadAll(r)
	if err != nil {
		return io.NopCloser(errReader{err})
	}
	return io.NopCloser(bytes.NewReader(decodeLZ4Grow(src)))
}

func (c lz4RawCodec) NewWriter(w io.Writer) io.WriteCloser {
	return &lz4BlockWriter{w: w, c: c}
}

func (c lz4RawCodec) NewWriterLevel(w io.Writer, _ int) (io.WriteCloser, error) {
	return c.NewWriter(w), nil
}

// lz4BlockWriter buffers what is written and writes it as one block on
// Close.
type lz4BlockWriter struct {
	w   io.Writer
	c   lz4RawCodec
	buf bytes.Buffer
}

func (b *lz4BlockWriter) Write(p []byte) (int, error) { return b.buf.Write(p) }

func (b *lz4BlockWriter) Close() error {
	_, err := b.w.Write(b.c.Encode(nil, b.buf.Bytes()))
	return err
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
