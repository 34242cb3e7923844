// Package data is the input contract of churn as code, and every byte that
// crosses the disk: dataset discovery, streaming Parquet readers, row
// validation, the output writers and atomic output folders. The synthetic
// generator and the embedded sample live in data/synth and data/sample.
//
// # The contract
//
// The tables are one list (contract.go): each entry holds the table's
// columns, their kinds and whether they are required, its main timestamp,
// its row rules and how its rows are read from checked columns and written
// to Parquet. The readers, Validate and TableWriter read the list rather
// than switching on the table; Tables, Contract, NumTables and Table.Index
// are derived from it. A new table is a new entry, a row type and its
// place in Row. Customer, Session, Event, Ticket, Survey and Order are the
// rows that readers hand on: a null timestamp is NoTime, a null number
// NaN, a null string "". Timestamps are nanoseconds since the Unix
// epoch, UTC. A calendar date, wherever churn reads or writes one, is
// YYYY-MM-DD in UTC (DateLayout, FormatDate, ParseDate). A Mapping renames
// contract columns to the names in the files.
//
// # Discovery
//
// Discover finds, under a dataset root (a folder, or a bucket URL:
// s3://, gs://, file://, through package store), one folder per table and
// every *.parquet file at any depth below it, Hive key=value folders included
// (File.Partition), sorted by path so that every run reads in the same
// order. Names starting with "." or "_" are ignored (Spark's and Hadoop's
// _SUCCESS and .crc files among them). Only customers/ is mandatory.
//
// A folder under a table that holds a Delta Lake log (_delta_log/) or
// Iceberg metadata (metadata/*.metadata.json) is refused with
// ErrLakehouse, and nothing is read: such folders keep the Parquet files
// that overwrites, merges and compactions removed from the table, and only
// the log says which files are current. The error names the folder and
// the DuckDB command that exports the current snapshot to plain Parquet.
//
// # Reading: Apache Arrow, and parquet-go's pages
//
// Every file is opened through package store as an io.ReaderAt of known
// size: a local file, or an object read with ranged requests (its footer
// once, then the column chunks of each row group read, fetched side by
// side before the row group is decoded), never downloaded whole. A request
// that fails is the store's error (store.ErrAccess, ErrGone,
// ErrUnavailable), never a FileError: the file itself may be fine.
//
// ReadFile streams one file row group by row group in batches of
// ReadOptions.BatchSize rows, reading only the contract columns, and hands
// batches of contract rows to a callback; the batch and its strings are
// reused, so memory is bounded by one page per column plus one batch,
// whatever the file or row group size. ReadOptions.RowGroups has it read
// a range of the file's row groups alone (only their chunks are fetched),
// with what the whole read does in them: the same rows, skips, fixes and
// row errors, with the file's row group and row numbers, so that a file
// can be read in pieces by several workers; RowGroupsOf, and
// ReadOptions.OnRowGroups during a read, give each row group's rows and
// compressed bytes from the footer to plan those pieces. Arrow (parquet/file and
// parquet/pqarrow) reads every schema and decides what each column means:
// TIMESTAMP in milli, micro and nanoseconds, INT96, DATE,
// dictionary-encoded strings, every integer width.
//
// The values are then decoded one of two ways (pages.go), chosen per row
// group from what the file says, never from which writer made it. A row
// group goes the page path, decoded page by page with parquet-go, when
// every contract column is a flat column of a plain physical type (BYTE_ARRAY
// strings, INT64 and INT96 timestamps, INT32 dates, numbers; INT96 is
// converted as Arrow converts it) and every one of its
// column chunks is in what the page decoder is known to read right:
//
//   - codecs UNCOMPRESSED, SNAPPY, GZIP, BROTLI, ZSTD and LZ4_RAW;
//   - data pages v1 and v2 and dictionary pages;
//   - encodings PLAIN, PLAIN_DICTIONARY and RLE_DICTIONARY, RLE levels,
//     DELTA_BINARY_PACKED integers, DELTA_LENGTH_BYTE_ARRAY and
//     DELTA_BYTE_ARRAY strings, BYTE_STREAM_SPLIT floats and doubles;
//     BIT_PACKED only for a REQUIRED column (whose levels are empty);
//   - a nullable column with v2 data pages only where the chunk's
//     statistics count its nulls, or where every v2 page's header counts
//     the nulls its definition levels hold: parquet-go takes a v2 page's
//     value count from the header's num_nulls, which Arrow's Go writer
//     leaves at 0 when statistics are off. Of a v1 page it counts the
//     levels. The page headers, and the levels of such v2 pages (never
//     compressed), are read and checked before the row group is decoded.
//
// A dictionary is converted once, strings are copied once per batch into an
// arena and checked for UTF-8 in bulk: several times less CPU than
// Arrow's record reader, which copies every string into a builder and
// allocates new arrays per batch. Every other row group (half floats,
// nested columns, LZO or Hadoop LZ4, v2 pages whose null counts are wrong)
// goes through Arrow's record reader. Both ways give the same rows,
// counts and errors; the differential tests hold them, and DuckDB, to it
// over files of DuckDB, Arrow Go, parquet-go, Polars and hyparquet-writer.
// Arrow's allocator is the Go allocator: Arrow reads some buffers after
// freeing them, so an allocator that reuses freed buffers corrupts reads.
// LZ4_RAW, which Arrow Go v17 lacks, is registered here (lz4.go).
//
// Schema problems are found before any row: a missing required column
// (ErrMissingColumn) or a type that cannot be widened to the column's kind
// (ErrWrongType; ints widen to doubles, TIMESTAMP of any unit and DATE are
// timestamps, a string is never a timestamp) give a *FileError. So does a
// file that is not Parquet, truncated or garbled (ErrCorrupt); Arrow panics
// on some garbage and ReadFile turns such a panic into a FileError. Before
// a row group is decoded, the page headers of its chunks are read and
// checked (pagecheck.go): a page that claims more bytes than its chunk
// holds, more uncompressed bytes than the whole chunk, or more values than
// the row group has rows is an ErrCorrupt FileError naming the column and
// the row group, found before either decoder allocates what it claims.
//
// # Row rules
//
// A row that breaks the contract is skipped and reported as a *RowError
// naming file, row group, row, column and value, with a Reason key:
//
//	null_<column>       null (or "") in a required column
//	negative_duration   duration_s < 0
//	negative_pages      pages < 0
//	nps_out_of_range    nps outside 0..10 or not an integer
//	amount_out_of_range an infinite amount
//	future_timestamp    main timestamp after ReadOptions.Until
//
// Some values are fixed in kept rows and counted in FileStats.Cleaned:
// csat and effort outside 1..5 and sentiment outside [-1, 1] become NaN
// (csat_out_of_range, effort_out_of_range, sentiment_out_of_range); text
// that is not UTF-8 is repaired with strings.ToValidUTF8 (invalid_utf8);
// text longer than MaxTextBytes is cut at a rune boundary (text_truncated).
// A null quantity reads as 1.
//
// Validate runs every check over a whole dataset, adds duplicate customer
// ids across the customers files, and collects a Report instead of stopping.
//
// # Writing: parquet-go
//
// TableWriter writes contract files (for the generator and converters) and
// WriteParquet writes outputs from columns. We write with parquet-go
// because its writers are simple, deterministic (same rows, same bytes),
// and take explicit logical types and zstd per file; Arrow's writer would
// need record builders for every output. (ParquetStream, for outputs too
// big to hold, is Arrow's.) Every column is OPTIONAL, nulls are the
// package's null values, strings are dictionary encoded, columns keep the
// order given.
//
// Every writer records each row group's ordinal in the footer, row group 0
// included (parquet-go v0.32.1 does; Arrow always has):
// Arrow's Rust reader (arrow-rs 57.1 and later, in DataFusion, delta-rs
// and parquet-wasm) refuses files whose first row group lacks it while the
// others have it. The tests check the footers, and read multi-row-group
// files of every writer with that reader and with DuckDB.
//
// # Atomic output
//
// The writers here write the path they are given. Making a file or a
// folder appear whole, fsync and the temporary names are
// internal/fsutil's business (File, Pending, TempPath and Rename); the run
// folder's layout is data/runs'.
package data
