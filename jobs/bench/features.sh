#!/usr/bin/env bash
# The features benchmark of issue 3: generate N customers x DAYS days (by
# default 200,000 x 540, some 126 million session and event rows) and time
# `churn features` for 7 monthly cutoffs under /usr/bin/time -v, reporting
# wall time, CPU time (user + system), peak memory, and the wall time of
# the event catalogue's profile and of the whole read.
#
#   jobs/bench/features.sh                    # 200,000 x 540
#   N=200000 DAYS=1080 jobs/bench/features.sh # twice the history
#   ROUNDS=3 jobs/bench/features.sh           # 3 interleaved rounds, medians
#   BIN=/path/to/churn jobs/bench/features.sh # a prebuilt binary
#   PROFILE=1 jobs/bench/features.sh          # also a CPU profile per run
#
# The same runs on copies of the dataset rewritten by DuckDB (its defaults:
# v1 pages, snappy) and by Polars (LZ4_RAW), which must read within 10% of
# our own writer's files: the reader picks its fast path by what a file
# holds, not by who wrote it. The copies need the npm tools of
# internal/nodetest (cd internal/nodetest/js && npm install); WRITERS=""
# skips them. Every run must write the same feature table, byte for byte.
#
# A round runs every writer's files once, one after the other (ours,
# duckdb, polars, ours, ...), so that a machine whose load changes during
# the benchmark slows every writer alike; compare the medians of several
# rounds, and on a shared machine the CPU times rather than the wall.
# Run it from the module root. The dataset and its copies are kept in $DIR
# and reused by later runs; generating and rewriting them is not timed.
set -euo pipefail
N=${N:-200000}
DAYS=${DAYS:-540}
CUTOFFS=${CUTOFFS:-7}
ROUNDS=${ROUNDS:-1}
DIR=${DIR:-/tmp/churn-bench-$N-$DAYS}
TIME=${TIME:-/usr/bin/time} # GNU time, for -v
mkdir -p "$DIR"
BIN=${BIN:-}
if [ -z "$BIN" ]; then
  BIN="$DIR/churn"
  go build -o "$BIN" ./cmd/churn
fi
if [ ! -d "$DIR/data/customers" ]; then
  echo "generating $N customers x $DAYS days into $DIR/data"
  "$TIME" -f "generate: %e s wall, %M KiB peak" "$BIN" generate --customers "$N" --days "$DAYS" \
    --end 2026-11-01 --seed 7 --out "$DIR/data" --log-level warn
fi
WRITERS=${WRITERS-duckdb polars}
for w in $WRITERS; do
  if [ ! -d "$DIR/data-$w/customers" ]; then
    echo "rewriting $DIR/data with $w into $DIR/data-$w"
    rm -rf "$DIR/data-$w.tmp"
    "$TIME" -f "rewrite ($w): %e s wall, %M KiB peak" \
      node internal/nodetest/js/rewrite.mjs "$w" "$DIR/data" "$DIR/data-$w.tmp" 2>"$DIR/rewrite-$w.log"
    tail -1 "$DIR/rewrite-$w.log"
    mv "$DIR/data-$w.tmp" "$DIR/data-$w"
  fi
done
du -sh "$DIR/data" $(for w in $WRITERS; do echo "$DIR/data-$w"; done)

# phase LOG MESSAGE: the duration_ms of the last log line with MESSAGE.
phase() {
  grep "\"message\":\"$2\"" "$1" | tail -1 | grep -o '"duration_ms":[0-9]*' | cut -d: -f2 || true
}

# features NAME DATA ROUND: times churn features on DATA, prints a line
# and appends "NAME wall_s cpu_s peak_mib" to $DIR/runs.
features() {
  local name=$1 data=$2 round=$3 log="$DIR/features-$1-$3.log" prof=()
  if [ "${PROFILE:-}" = 1 ]; then
    prof=(--cpuprofile "$DIR/features-$name-$round.prof")
  fi
  "$TIME" -v "$BIN" features --data "$data" --as-of 2026-11-01 --cutoffs "$CUTOFFS" \
    --out "$DIR/features-$name.parquet" --json "${prof[@]}" >"$DIR/features-$name.json" 2>"$log"
  local wall user sys peak
  wall=$(grep "Elapsed (wall clock)" "$log" | awk '{print $NF}' | awk -F: '{s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s}')
  user=$(grep "User time" "$log" | awk '{print $NF}')
  sys=$(grep "System time" "$log" | awk '{print $NF}')
  peak=$(($(grep "Maximum resident set size" "$log" | awk '{print $NF}') / 1024))
  local cpu
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.1f", u + s}')
  echo "round $round, $name files: wall $wall s, CPU $cpu s, peak $peak MiB;" \
    "catalogue $(phase "$log" "features catalog learned") ms, read $(phase "$log" "inputs read") ms"
  echo "$name $wall $cpu $peak" >>"$DIR/runs"
  # The features must not depend on the writer of the files.
  if [ "$name" != churn ] && ! cmp -s "$DIR/features-churn.parquet" "$DIR/features-$name.parquet"; then
    echo "features of $name's files differ from our writer's"
    exit 1
  fi
}

rm -f "$DIR/runs"
for round in $(seq 1 "$ROUNDS"); do
  features churn "$DIR/data" "$round"
  for w in $WRITERS; do
    features "$w" "$DIR/data-$w" "$round"
  done
done
echo "medians of $ROUNDS rounds (and against our writer's files):"
for name in churn $WRITERS; do
  grep "^$name " "$DIR/runs" | awk -v name="$name" '
    { w[NR] = $2; c[NR] = $3; p[NR] = $4 }
    function med(a, n,   i, j, t) {
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    END { printf "%s %s %s %s\n", name, med(w, NR), med(c, NR), med(p, NR) }'
done | awk '
  NR == 1 { w0 = $2; c0 = $3 }
  { printf "  %-7s wall %6.1f s (%5.1f%%), CPU %6.1f s (%5.1f%%), peak %5d MiB\n", $1, $2, 100 * $2 / w0, $3, 100 * $3 / c0, $4 }'
