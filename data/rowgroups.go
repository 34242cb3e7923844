package data

import (
	"context"
	"fmt"

	"github.com/apache/arrow/go/v17/parquet/metadata"
)

// RowGroupRange selects the row groups [From, To) of a file, numbered
// from 0 as in its footer. The zero value selects every row group.
type RowGroupRange struct {
	From, To int
}

// All reports whether g selects every row group of a file.
func (g RowGroupRange) All() bool { return g == RowGroupRange{} }

// bounds returns the row groups g selects of a file of n row groups.
func (g RowGroupRange) bounds(n int) (from, to int, err error) {
	if g.All() {
		return 0, n, nil
	}
	if g.From < 0 || g.To <= g.From || g.To > n {
		return 0, 0, fmt.Errorf("row groups %d to %d asked of a file of %d", g.From, g.To, n)
	}
	return g.From, g.To, nil
}

// RowGroupInfo is what a file's footer says of one of its row groups.
type RowGroupInfo struct {
	Rows  int64 // rows
	Bytes int64 // compressed bytes of its column chunks, every column
}

// rowGroupsOf returns the row groups md lists. A column chunk whose
// metadata cannot be read counts no bytes (the read that reaches it
// reports it).
func rowGroupsOf(md *metadata.FileMetaData) []RowGroupInfo {
	out := make([]RowGroupInfo, len(md.RowGroups))
	for rg := range out {
		g := md.RowGroup(rg)
		out[rg].Rows = g.NumRows()
		for c := range g.NumColumns() {
			if cc, err := g.ColumnChunk(c); err == nil {
				out[rg].Bytes += cc.TotalCompressedSize()
			}
		}
	}
	return out
}

// RowGroupsOf returns the row groups of the Parquet file f as its footer
// lists them, reading the footer alone (ranged reads in a bucket). A file
// whose footer cannot be parsed is a *FileError wrapping ErrCorrupt, as
// ReadFile reports it.
func RowGroupsOf(ctx context.Context, f File) (groups []RowGroupInfo, err error) {
	rel := f.Rel
	if rel == "" {
		rel = f.Path
	}
	ra, fr, err := openArrow(ctx, f, rel, nil, DefaultBatchSize)
	if err != nil {
		return nil, err
	}
	defer ra.Close()
	defer func() {
		if p := recover(); p != nil {
			groups, err = nil, &FileError{File: rel, Err: fmt.Errorf("decode: %v: %w", p, ErrCorrupt)}
		}
	}()
	return rowGroupsOf(fr.ParquetReader().MetaData()), nil
}
