// Reads a churn run's part file with DuckDB and prints what the Go test
// checks, as one JSON object: row count, distinct ids, probability range,
// value at risk, segments and the column types DuckDB sees.
import { DuckDBInstance } from '@duckdb/node-api';

const path = process.argv[2].replaceAll("'", "''");
const con = await (await DuckDBInstance.create(':memory:')).connect();
const rows = async (sql) => (await con.runAndReadAll(sql)).getRowObjectsJson();
const [summary] = await rows(`SELECT count(*) AS n, count(DISTINCT customer_id) AS ids,
  min(churn_probability) AS pmin, max(churn_probability) AS pmax,
  sum(value_at_risk) AS var, sum(churn_probability * predicted_value) AS var_check
  FROM read_parquet('${path}')`);
const segments = await rows(`SELECT segment, count(*) AS n FROM read_parquet('${path}') GROUP BY 1 ORDER BY 1`);
const columns = await rows(`DESCRIBE SELECT * FROM read_parquet('${path}')`);
console.log(JSON.stringify({
  summary,
  segments,
  types: Object.fromEntries(columns.map((c) => [c.column_name, c.column_type])),
}));
