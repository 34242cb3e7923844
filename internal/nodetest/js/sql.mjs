// Runs SQL statements with DuckDB, in one in-memory database, one after
// the other, and prints the rows of each statement that returns any as
// one JSON line (an array of objects, numbers as JSON numbers where they
// fit, else strings): for tests that write datasets as other writers do
// (COPY ... TO ... (FORMAT parquet, PARTITION_BY ...)) and read back
// what DuckDB wrote (parquet_metadata).
//
//   node sql.mjs STATEMENT...
import { DuckDBInstance } from '@duckdb/node-api';

const con = await (await DuckDBInstance.create(':memory:')).connect();
for (const sql of process.argv.slice(2)) {
  const res = await con.runAndReadAll(sql);
  const rows = res.getRowObjectsJson();
  if (rows.length > 0) {
    console.log(JSON.stringify(rows));
  }
}
