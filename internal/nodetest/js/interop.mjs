// The writers and the reference reader of data's interop test
// (data/interop_test.go).
//
//   node interop.mjs write IN OUT   reads IN/<table>.parquet, the dataset,
//                                   and writes it again as
//                                   OUT/<variant>/<table>.parquet with
//                                   DuckDB, Polars and hyparquet-writer in
//                                   several options each.
//   node interop.mjs read FILE...   prints, for each Parquet file, what
//                                   DuckDB reads from it: one JSON object
//                                   per line, {file, columns, rows}, rows in
//                                   file order, timestamps and dates as
//                                   nanoseconds since the epoch (strings),
//                                   numbers as doubles, text as strings,
//                                   nulls as null.
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const tables = ['customers', 'sessions', 'events', 'tickets', 'surveys', 'orders'];
const q = (s) => `'${s.replaceAll("'", "''")}'`;
const con = await (await DuckDBInstance.create(':memory:')).connect();
const rows = async (sql) => (await con.runAndReadAll(sql)).getRowObjectsJS();
const describe = async (from) => await rows(`DESCRIBE SELECT * FROM ${from}`);

const [mode, ...args] = process.argv.slice(2);
if (mode === 'write') {
  await write(args[0], args[1]);
} else if (mode === 'read') {
  for (const file of args) {
    console.log(JSON.stringify(await read(file)));
  }
} else {
  throw new Error(`usage: interop.mjs write IN OUT | read FILE...`);
}

// DuckDB's reading of file, with every timestamp as nanoseconds.
async function read(file) {
  const from = `read_parquet(${q(file)}, binary_as_string = true)`;
  const cols = await describe(from);
  const exprs = cols.map(({ column_name: c, column_type: t }) => {
    const id = `"${c}"`;
    if (t === 'DATE') return `epoch_ns(${id}::TIMESTAMP)::VARCHAR AS ${id}`;
    if (t.startsWith('TIMESTAMP')) return `epoch_ns(${id})::VARCHAR AS ${id}`;
    if (t === 'VARCHAR' || t === 'BLOB') return `${id}::VARCHAR AS ${id}`;
    return `${id}::DOUBLE AS ${id}`;
  });
  const res = await con.runAndReadAll(`SELECT ${exprs.join(', ')} FROM ${from}`);
  return { file, columns: cols.map((c) => c.column_name), rows: res.getRowsJS() };
}

async function write(inDir, out) {
  for (const t of tables) {
    await con.run(`CREATE TABLE ${t} AS SELECT * FROM read_parquet(${q(join(inDir, t + '.parquet'))})`);
  }
  // DuckDB: v1 and v2 pages, every codec, small and large row groups, and
  // other timestamp units, DATE and strings without the UTF8 annotation.
  const duck = {
    'duckdb-v1-snappy': { opts: 'COMPRESSION snappy' },
    'duckdb-v2-zstd': { opts: "COMPRESSION zstd, PARQUET_VERSION v2" },
    'duckdb-v1-gzip-small-rg': { opts: 'COMPRESSION gzip, ROW_GROUP_SIZE 2048' },
    'duckdb-v2-uncompressed-large-rg': { opts: "COMPRESSION uncompressed, PARQUET_VERSION v2, ROW_GROUP_SIZE 1000000" },
    'duckdb-v1-zstd-units-blob': { opts: 'COMPRESSION zstd', cast: true },
    'duckdb-v2-snappy-units-blob': { opts: "COMPRESSION snappy, PARQUET_VERSION v2", cast: true },
  };
  for (const [name, { opts, cast }] of Object.entries(duck)) {
    mkdirSync(join(out, name), { recursive: true });
    for (const t of tables) {
      let sel = '*';
      if (cast) {
        const cols = await describe(t);
        sel = cols.map(({ column_name: c, column_type: ty }, i) => {
          const id = `"${c}"`;
          if (c === 'signup_at') return `${id}::DATE AS ${id}`;
          if (ty.startsWith('TIMESTAMP')) return `${i % 2 ? `${id}::TIMESTAMP_MS` : `${id}::TIMESTAMP_NS`} AS ${id}`;
          if (ty === 'VARCHAR' && i % 2 === 0) return `encode(${id}) AS ${id}`;
          return id;
        }).join(', ');
      }
      await con.run(`COPY (SELECT ${sel} FROM ${t}) TO ${q(join(out, name, t + '.parquet'))} (FORMAT parquet, ${opts})`);
    }
  }

  // Polars (Rust's parquet writer): LZ4_RAW, zstd and uncompressed.
  const pl = (await import('nodejs-polars')).default;
  for (const compression of ['lz4', 'zstd', 'uncompressed']) {
    const name = `polars-${compression}`;
    mkdirSync(join(out, name), { recursive: true });
    for (const t of tables) {
      pl.readParquet(join(inDir, t + '.parquet')).writeParquet(join(out, name, t + '.parquet'), { compression });
    }
  }

  // hyparquet-writer (JavaScript): v2 pages, snappy; with statistics, a
  // page index, delta and BYTE_STREAM_SPLIT encodings and BYTE_ARRAY
  // strings without UTF8, or with its default encodings and no statistics.
  const { parquetWriteFile } = await import('hyparquet-writer');
  const hyp = {
    'hyparquet-encodings-pageindex': { statistics: true, columnIndex: true, encodings: true, rowGroupSize: [300, 1500] },
    'hyparquet-nostats': { statistics: false, rowGroupSize: 5000 },
  };
  for (const [name, o] of Object.entries(hyp)) {
    mkdirSync(join(out, name), { recursive: true });
    for (const t of tables) {
      const cols = await describe(t);
      const sel = cols.map(({ column_name: c, column_type: ty }) =>
        ty.startsWith('TIMESTAMP') ? `epoch_ms("${c}") AS "${c}"` : `"${c}"`).join(', ');
      const data = (await con.runAndReadAll(`SELECT ${sel} FROM ${t}`)).getColumnsJS();
      const columnData = cols.map(({ column_name: c, column_type: ty }, i) => {
        let values = data[i];
        let type;
        let encoding;
        if (ty.startsWith('TIMESTAMP')) {
          type = 'TIMESTAMP';
          values = values.map((v) => (v === null ? null : new Date(Number(v))));
        } else if (ty === 'VARCHAR') {
          type = o.encodings && i % 2 === 0 ? 'BYTE_ARRAY' : 'STRING';
          if (type === 'BYTE_ARRAY') values = values.map((v) => (v === null ? null : new TextEncoder().encode(v)));
          if (o.encodings) encoding = i % 2 ? 'DELTA_LENGTH_BYTE_ARRAY' : 'DELTA_BYTE_ARRAY';
        } else if (ty === 'INTEGER') {
          type = 'INT32';
          if (o.encodings) encoding = 'DELTA_BINARY_PACKED';
        } else if (ty === 'BIGINT') {
          type = 'INT64';
          values = values.map((v) => (v === null ? null : BigInt(v)));
          if (o.encodings) encoding = 'DELTA_BINARY_PACKED';
        } else {
          type = 'DOUBLE';
          if (o.encodings) encoding = 'BYTE_STREAM_SPLIT';
        }
        return { name: c, data: values, type, encoding, columnIndex: o.columnIndex };
      });
      parquetWriteFile({
        filename: join(out, name, t + '.parquet'),
        columnData,
        statistics: o.statistics,
        rowGroupSize: o.rowGroupSize,
        pageSize: 4096,
      });
    }
  }
}
