// Compares two Parquet tables row for row with DuckDB, a reader that
// shares no code with churn's, and prints one JSON object: the rows of
// each and the rows of each that the other lacks (as multisets: EXCEPT
// ALL; DuckDB takes NaN as equal to NaN and null to null).
//
//   node same.mjs A B    A and B: a file, or a glob of files
import { DuckDBInstance } from '@duckdb/node-api';

const [a, b] = process.argv.slice(2);
const quote = (s) => `read_parquet('${s.replaceAll("'", "''")}')`;
const con = await (await DuckDBInstance.create(':memory:')).connect();
const [row] = (await con.runAndReadAll(`SELECT
  (SELECT count(*) FROM ${quote(a)}) AS a_rows,
  (SELECT count(*) FROM ${quote(b)}) AS b_rows,
  (SELECT count(*) FROM (SELECT * FROM ${quote(a)} EXCEPT ALL SELECT * FROM ${quote(b)})) AS a_only,
  (SELECT count(*) FROM (SELECT * FROM ${quote(b)} EXCEPT ALL SELECT * FROM ${quote(a)})) AS b_only`)).getRowObjectsJson();
console.log(JSON.stringify(Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)]))));
