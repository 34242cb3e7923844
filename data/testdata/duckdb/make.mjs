import { DuckDBInstance } from '@duckdb/node-api';
// Writes the DuckDB fixtures of data/pages_test.go. From the module root,
// after .ci/run has installed DuckDB:
//
//   cp data/testdata/duckdb/make.mjs internal/nodetest/js/ \
//     && (cd internal/nodetest/js && node make.mjs ../../../data/testdata/duckdb) \
//     ; rm internal/nodetest/js/make.mjs
const out = process.argv[2];
const con = await (await DuckDBInstance.create(':memory:')).connect();
const run = (sql) => con.run(sql);
await run(`CREATE TABLE customers AS SELECT 'c' || lpad(i::VARCHAR, 5, '0') AS customer_id,
  (DATE '2024-01-01' + (i % 500)::INTEGER) AS signup_at,
  CASE WHEN i % 7 = 0 THEN NULL ELSE ['basic','pro','team'][1 + i % 3] END AS plan,
  ['north','south','east','west','é-région'][1 + i % 5] AS region,
  CASE WHEN i % 11 = 0 THEN NULL ELSE 'web' END AS channel,
  CASE WHEN i % 13 = 0 THEN TIMESTAMPTZ '2025-06-01 00:00:00+00' + to_hours(i) ELSE NULL END AS cancelled_at
  FROM range(3000) t(i)`);
await run(`CREATE TABLE sessions AS SELECT 'c' || lpad((i * 7919 % 3000)::VARCHAR, 5, '0') AS customer_id,
  TIMESTAMP '2025-01-01' + to_seconds(i * 613) AS started_at,
  CASE WHEN i % 17 = 0 THEN NULL ELSE (i % 3600)::DOUBLE END AS duration_s,
  CASE WHEN i % 19 = 0 THEN NULL ELSE (i % 40)::INTEGER END AS pages,
  CASE WHEN i % 5 = 0 THEN NULL ELSE ['web','ios','android'][1 + i % 3] END AS channel
  FROM range(24000) t(i)`);
await run(`CREATE TABLE events AS SELECT 'c' || lpad((i * 104729 % 3000)::VARCHAR, 5, '0') AS customer_id,
  (TIMESTAMP '2025-01-01' + to_seconds(i * 301))::TIMESTAMP_NS AS ts,
  ['login','export','share','report','invite','search'][1 + i % 6] AS event,
  CASE WHEN i % 4 = 0 THEN NULL ELSE (i % 9)::BIGINT END AS quantity
  FROM range(24000) t(i)`);
await run(`CREATE TABLE tickets AS SELECT 'c' || lpad((i * 31 % 3000)::VARCHAR, 5, '0') AS customer_id,
  't' || i AS ticket_id,
  TIMESTAMPTZ '2025-01-01 00:00:00+00' + to_minutes(i * 97) AS created_at,
  ['email','chat','phone'][1 + i % 3] AS channel,
  CASE WHEN i % 9 = 0 THEN NULL WHEN i % 2 = 0 THEN 'Não consigo acessar, péssimo ' || i ELSE 'Thanks, great help! ' || repeat('x', i % 50) END AS text,
  CASE WHEN i % 3 = 0 THEN NULL ELSE ((i % 21) - 10) / 10.0 END::DOUBLE AS sentiment,
  CASE WHEN i % 6 = 0 THEN NULL ELSE (i * 13 % 7200)::DOUBLE END AS first_response_s,
  CASE WHEN i % 4 = 0 THEN NULL ELSE TIMESTAMPTZ '2025-01-02 00:00:00+00' + to_minutes(i * 97) END AS resolved_at,
  CASE WHEN i % 5 = 0 THEN NULL ELSE (1 + i % 6)::SMALLINT END AS csat,
  CASE WHEN i % 7 = 0 THEN NULL ELSE (1 + i % 5)::FLOAT END AS effort
  FROM range(4000) t(i)`);
await run(`CREATE TABLE surveys AS SELECT 'c' || lpad((i * 17 % 3000)::VARCHAR, 5, '0') AS customer_id,
  TIMESTAMP '2025-01-01' + to_hours(i * 5) AS answered_at,
  (i % 12)::TINYINT AS nps,
  CASE WHEN i % 3 = 0 THEN NULL ELSE 'ok ' || i END AS comment
  FROM range(2000) t(i)`);
await run(`CREATE TABLE orders AS SELECT 'c' || lpad((i * 13 % 3000)::VARCHAR, 5, '0') AS customer_id,
  TIMESTAMP '2025-01-01' + to_minutes(i * 211) AS ts,
  CASE WHEN i % 10 = 0 THEN -5.5 ELSE (i % 300) + 0.99 END::DOUBLE AS amount,
  'o' || i AS order_id,
  CASE WHEN i % 3 = 0 THEN NULL ELSE 0.3 END::DOUBLE AS margin
  FROM range(5000) t(i)`);
for (const t of ['customers','sessions','events','tickets','surveys','orders']) {
  await run(`COPY ${t} TO '${out}/${t}.parquet' (FORMAT parquet, ROW_GROUP_SIZE 10000)`);
}
