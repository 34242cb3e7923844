package data

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/thrift/lib/go/thrift"
)

// rowGroupOrdinals reads the footer of the Parquet file at path and
// returns, per row group, its ordinal (RowGroup field 7), or -1 where the
// field is absent. It walks the Thrift compact encoding itself, as no
// Parquet library tells an absent ordinal from an ordinal of 0.
func rowGroupOrdinals(path string) ([]int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 12 || string(b[len(b)-4:]) != "PAR1" {
		return nil, fmt.Errorf("%s: no footer", path)
	}
	n := int(binary.LittleEndian.Uint32(b[len(b)-8:]))
	if n > len(b)-12 {
		return nil, fmt.Errorf("%s: footer of %d bytes", path, n)
	}
	buf := thrift.NewTMemoryBufferLen(n)
	buf.Write(b[len(b)-8-n : len(b)-8])
	p := thrift.NewTCompactProtocolConf(buf, nil)
	ctx := context.Background()
	// fields calls fn for each field of the struct at p, which must read
	// or skip its value.
	fields := func(fn func(id int16, typ thrift.TType) error) error {
		if _, err := p.ReadStructBegin(ctx); err != nil {
			return err
		}
		for {
			_, typ, id, err := p.ReadFieldBegin(ctx)
			if err != nil {
				return err
			}
			if typ == thrift.STOP {
				return p.ReadStructEnd(ctx)
			}
			if err := fn(id, typ); err != nil {
				return err
			}
		}
	}
	var ords []int
	err = fields(func(id int16, typ thrift.TType) error {
		if id != 4 || typ != thrift.LIST { // FileMetaData.row_groups
			return p.Skip(ctx, typ)
		}
		_, size, err := p.ReadListBegin(ctx)
		if err != nil {
			return err
		}
		for range size {
			ord := -1
			if err := fields(func(id int16, typ thrift.TType) error {
				if id != 7 || typ != thrift.I16 { // RowGroup.ordinal
					return p.Skip(ctx, typ)
				}
				v, err := p.ReadI16(ctx)
				ord = int(v)
				return err
			}); err != nil {
				return err
			}
			ords = append(ords, ord)
		}
		return p.ReadListEnd(ctx)
	})
	return ords, err
}

// TestWritersSetRowGroupOrdinals: every writer of the package gives every
// row group its ordinal, 0 included. Arrow's Rust reader (arrow-rs 57.1
// and later, in DataFusion, delta-rs and parquet-wasm) refuses a file
// whose first row group lacks it while the others have it, as older
// parquet-go writers wrote. cmd/churn's TestForeignReadersOpenOutputs
// reads the same writers' files with that reader.
func TestWritersSetRowGroupOrdinals(t *testing.T) {
	const n, per = 1000, 300 // four row groups
	ids := make([]string, n)
	xs := make([]float64, n)
	ts := make([]int64, n)
	sessions := make([]Session, n)
	for i := range n {
		ids[i] = fmt.Sprintf("C%04d", i%97)
		xs[i] = float64(i) / 7
		ts[i] = t0 + int64(i)*1e9
		sessions[i] = Session{CustomerID: ids[i], StartedAt: ts[i], DurationS: xs[i], Pages: 3, Channel: "web"}
	}
	cols := []OutColumn{
		{Name: "customer_id", Kind: String, Strings: ids},
		{Name: "x", Kind: Float, Floats: xs},
		{Name: "at", Kind: Timestamp, Times: ts},
		{Name: "day", Kind: Timestamp, Date: true, Times: ts},
	}
	dir := t.TempDir()
	opt := WriteOptions{RowGroupRows: per}
	writers := []struct {
		name  string
		write func(path string) error
	}{
		{"WriteParquet", func(path string) error { return WriteParquet(path, cols, opt) }},
		{"TableWriter", func(path string) error {
			w, err := NewTableWriter[Session](path, opt)
			if err != nil {
				return err
			}
			if err := w.Write(sessions); err != nil {
				return err
			}
			return w.Close()
		}},
		{"ParquetStream", func(path string) error {
			s, err := CreateParquetStream(path, cols, opt)
			if err != nil {
				return err
			}
			for lo := 0; lo < n; lo += 250 { // pieces that straddle row groups
				piece := make([]OutColumn, len(cols))
				for j, c := range cols {
					piece[j] = OutColumn{Name: c.Name, Kind: c.Kind, Date: c.Date}
					switch c.Kind {
					case String:
						piece[j].Strings = c.Strings[lo : lo+250]
					case Float:
						piece[j].Floats = c.Floats[lo : lo+250]
					case Timestamp:
						piece[j].Times = c.Times[lo : lo+250]
					}
				}
				if err := s.Write(piece); err != nil {
					s.Abort()
					return err
				}
			}
			return s.Close()
		}},
	}
	for _, w := range writers {
		t.Run(w.name, func(t *testing.T) {
			path := filepath.Join(dir, w.name+".parquet")
			if err := w.write(path); err != nil {
				t.Fatal(err)
			}
			ords, err := rowGroupOrdinals(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(ords) != (n+per-1)/per {
				t.Fatalf("%d row groups, want %d", len(ords), (n+per-1)/per)
			}
			for i, o := range ords {
				if o != i {
					t.Errorf("row group %d: ordinal %d (-1: absent), want %d", i, o, i)
				}
			}
		})
	}
}
