// Reads churn's Parquet outputs with readers that share no code with
// churn's, and prints what the Go tests check as one JSON object.
//
//   node check.mjs part FILE      DuckDB on a run's part file: row count,
//                                 distinct ids, probability range, value
//                                 at risk, segments and column types
//   node check.mjs folder DIR     DuckDB on a scores folder of
//                                 as_of=YYYY-MM-DD/ runs, with Hive
//                                 partitioning: rows, column types and the
//                                 as_of values
//   node check.mjs files FILE...  every file with DuckDB and with Arrow's
//                                 Rust reader (arrow-rs, in parquet-wasm):
//                                 rows, row groups and columns, or the
//                                 reader's error
import { DuckDBInstance } from '@duckdb/node-api';
import { readParquet } from 'parquet-wasm';
import { readFileSync } from 'node:fs';

const [mode, ...args] = process.argv.slice(2);
const quote = (s) => `'${s.replaceAll("'", "''")}'`;
const con = await (await DuckDBInstance.create(':memory:')).connect();
const rows = async (sql) => (await con.runAndReadAll(sql)).getRowObjectsJson();
const types = (columns) => Object.fromEntries(columns.map((c) => [c.column_name, c.column_type]));

async function part(path) {
  const src = `read_parquet(${quote(path)})`;
  const [summary] = await rows(`SELECT count(*) AS n, count(DISTINCT customer_id) AS ids,
    min(churn_probability) AS pmin, max(churn_probability) AS pmax,
    sum(value_at_risk) AS var, sum(churn_probability * predicted_value) AS var_check FROM ${src}`);
  const segments = await rows(`SELECT segment, count(*) AS n FROM ${src} GROUP BY 1 ORDER BY 1`);
  return { summary, segments, types: types(await rows(`DESCRIBE SELECT * FROM ${src}`)) };
}

async function folder(dir) {
  const src = `read_parquet(${quote(dir + '/*/*.parquet')}, hive_partitioning = true)`;
  const [n] = await rows(`SELECT count(*) AS n FROM ${src}`);
  const asOf = await rows(`SELECT DISTINCT CAST(as_of AS VARCHAR) AS as_of FROM ${src} ORDER BY 1`);
  return { rows: n.n, types: types(await rows(`DESCRIBE SELECT * FROM ${src}`)), as_of: asOf.map((r) => r.as_of) };
}

async function file(path) {
  const out = { path, duckdb: {}, arrow_rs: {} };
  try {
    const [n] = await rows(`SELECT count(*) AS n FROM read_parquet(${quote(path)})`);
    const [rg] = await rows(`SELECT count(DISTINCT row_group_id) AS n FROM parquet_metadata(${quote(path)})`);
    out.duckdb = { rows: Number(n.n), row_groups: Number(rg.n) };
  } catch (e) {
    out.duckdb = { error: String(e) };
  }
  try {
    const table = readParquet(new Uint8Array(readFileSync(path)));
    const batches = table.recordBatches();
    out.arrow_rs = {
      rows: batches.reduce((s, b) => s + b.numRows, 0),
      columns: batches.length > 0 ? batches[0].numColumns : 0,
    };
  } catch (e) {
    out.arrow_rs = { error: String(e) };
  }
  return out;
}

let result;
switch (mode) {
  case 'part': result = await part(args[0]); break;
  case 'folder': result = await folder(args[0]); break;
  case 'files': result = []; for (const f of args) result.push(await file(f)); break;
  default: throw new Error(`mode ${mode}: want part, folder or files`);
}
console.log(JSON.stringify(result));
