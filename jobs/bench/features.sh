#!/usr/bin/env bash
# The features benchmark of issue 3: generate N customers x DAYS days (by
# default 200,000 x 540, some 126 million session and event rows) and time
# `churn features` for 7 monthly cutoffs under /usr/bin/time -v, reporting
# wall time, peak memory and rows per second.
#
#   jobs/bench/features.sh                    # 200,000 x 540
#   N=200000 DAYS=1080 jobs/bench/features.sh # twice the history
#
# Then the same on copies of the dataset rewritten by DuckDB (its defaults:
# v1 pages, snappy) and by Polars (LZ4_RAW), which must read within 10% of
# our own writer's files: the reader picks its fast path by what a file
# holds, not by who wrote it. The copies need the npm tools of
# internal/nodetest (cd internal/nodetest/js && npm install); WRITERS=""
# skips them.
#
# Run it from the module root on a quiet machine. The dataset and its
# copies are kept in $DIR and reused by later runs.
set -euo pipefail
N=${N:-200000}
DAYS=${DAYS:-540}
CUTOFFS=${CUTOFFS:-7}
DIR=${DIR:-/tmp/churn-bench-$N-$DAYS}
mkdir -p "$DIR"
go build -o "$DIR/churn" ./cmd/churn
if [ ! -d "$DIR/data/customers" ]; then
  echo "generating $N customers x $DAYS days into $DIR/data"
  /usr/bin/time -f "generate: %e s wall, %M KiB peak" "$DIR/churn" generate --customers "$N" --days "$DAYS" \
    --end 2026-11-01 --seed 7 --out "$DIR/data" --log-level warn
fi
WRITERS=${WRITERS-duckdb polars}

# features NAME DATA: times churn features on DATA, prints a summary line.
features() {
  local name=$1 data=$2
  du -sh "$data"
  /usr/bin/time -v "$DIR/churn" features --data "$data" --as-of 2026-11-01 --cutoffs "$CUTOFFS" \
    --out "$DIR/features-$name.parquet" --json >"$DIR/features-$name.json" 2>"$DIR/features-$name.log"
  rows=$(grep -o '"rows_read":[0-9]*' "$DIR/features-$name.log" | tail -1 | cut -d: -f2 || true)
  wall=$(grep "Elapsed (wall clock)" "$DIR/features-$name.log" | awk '{print $NF}')
  peak=$(grep "Maximum resident set size" "$DIR/features-$name.log" | awk '{print $NF}')
  echo "features ($name files): $CUTOFFS cutoffs, wall $wall, peak $((peak / 1024)) MiB, rows read ${rows:-?}"
  cat "$DIR/features-$name.json"
}

features churn "$DIR/data"
for w in $WRITERS; do
  if [ ! -d "$DIR/data-$w/customers" ]; then
    echo "rewriting $DIR/data with $w into $DIR/data-$w"
    /usr/bin/time -f "rewrite ($w): %e s wall, %M KiB peak" \
      node internal/nodetest/js/rewrite.mjs "$w" "$DIR/data" "$DIR/data-$w.tmp" 2>"$DIR/rewrite-$w.log"
    tail -1 "$DIR/rewrite-$w.log"
    mv "$DIR/data-$w.tmp" "$DIR/data-$w"
  fi
  features "$w" "$DIR/data-$w"
  # The features must not depend on the writer of the files.
  if ! cmp -s "$DIR/features-churn.parquet" "$DIR/features-$w.parquet"; then
    echo "features of $w's files differ from our writer's"
  fi
done
