// Rewrites every *.parquet file under IN to the same path under OUT with
// another writer, for jobs/bench/features.sh (foreign files at full
// speed):
//
//   node rewrite.mjs duckdb IN OUT   DuckDB's defaults (v1 pages, snappy,
//                                    row groups of 122,880 rows)
//   node rewrite.mjs polars IN OUT   Polars (Rust's writer), LZ4_RAW
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdirSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const [writer, inDir, outDir] = process.argv.slice(2);
const files = readdirSync(inDir, { recursive: true }).filter((f) => f.endsWith('.parquet')).sort();
const q = (s) => `'${s.replaceAll("'", "''")}'`;
let con;
let pl;
if (writer === 'duckdb') {
  con = await (await DuckDBInstance.create(':memory:')).connect();
} else if (writer === 'polars') {
  pl = (await import('nodejs-polars')).default;
} else {
  throw new Error(`unknown writer ${writer}: duckdb or polars`);
}
for (const f of files) {
  const src = join(inDir, f);
  const dst = join(outDir, relative(inDir, src));
  mkdirSync(dirname(dst), { recursive: true });
  if (con) {
    await con.run(`COPY (SELECT * FROM read_parquet(${q(src)})) TO ${q(dst)} (FORMAT parquet)`);
  } else {
    pl.readParquet(src).writeParquet(dst, { compression: 'lz4' });
  }
  console.error(`${writer}: ${dst}`);
}
