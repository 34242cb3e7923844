package data

import (
	"sync"

	"github.com/apache/arrow/go/v17/parquet/compress"
	"github.com/klauspost/compress/zstd"
)

// Arrow's zstd codec builds a new encoder, and zeroes its tables, for
// every page it compresses at a given level (EncodeLevel, which its Parquet
// writer calls), a large share of a wide table's write. This codec keeps
// one encoder per level; EncodeAll is safe for concurrent use and gives
// the same bytes.
func init() {
	if c, err := compress.GetCodec(compress.Codecs.Zstd); err == nil {
		compress.RegisterCodec(compress.Codecs.Zstd, &zstdCodec{Codec: c, enc: map[int]*zstd.Encoder{}})
	}
}

type zstdCodec struct {
	compress.Codec // Arrow's, for everything but EncodeLevel
	mu             sync.Mutex
	enc            map[int]*zstd.Encoder
}

func (z *zstdCodec) EncodeLevel(dst, src []byte, level int) []byte {
	z.mu.Lock()
	enc, ok := z.enc[level]
	if !ok {
		// Arrow's mapping of levels.
		l := zstd.EncoderLevelFromZstd(level)
		if level == compress.DefaultCompressionLevel {
			l = zstd.SpeedDefault
		}
		var err error
		if enc, err = zstd.NewWriter(nil, zstd.WithZeroFrames(true), zstd.WithEncoderLevel(l)); err != nil {
			z.mu.Unlock()
			return z.Codec.EncodeLevel(dst, src, level)
		}
		z.enc[level] = enc
	}
	z.mu.Unlock()
	return enc.EncodeAll(src, dst[:0])
}
