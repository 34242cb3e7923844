#!/usr/bin/env bash
# The features benchmark of issue 3: generate N customers x DAYS days (by
# default 200,000 x 540, some 126 million session and event rows) and time
# `churn features` for 7 monthly cutoffs under /usr/bin/time -v, reporting
# wall time, peak memory and rows per second.
#
#   jobs/bench/features.sh                    # 200,000 x 540
#   N=200000 DAYS=1080 jobs/bench/features.sh # twice the history
#
# Run it from the module root on a quiet machine. The dataset is kept in
# $DIR and reused by later runs.
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
du -sh "$DIR/data"
/usr/bin/time -v "$DIR/churn" features --data "$DIR/data" --as-of 2026-11-01 --cutoffs "$CUTOFFS" \
  --out "$DIR/features.parquet" --json >"$DIR/features.json" 2>"$DIR/features.log"
rows=$(grep -o '"rows_read":[0-9]*' "$DIR/features.log" | tail -1 | cut -d: -f2 || true)
wall=$(grep "Elapsed (wall clock)" "$DIR/features.log" | awk '{print $NF}')
peak=$(grep "Maximum resident set size" "$DIR/features.log" | awk '{print $NF}')
echo "features: $CUTOFFS cutoffs, wall $wall, peak $((peak / 1024)) MiB, rows read ${rows:-?}"
cat "$DIR/features.json"
