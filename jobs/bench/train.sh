#!/usr/bin/env bash
# The training benchmark of issue 14: generate N customers x DAYS days (by
# default 200,000 x 540) and time `churn train` for 8 monthly cutoffs as of
# 2026-11-01 under /usr/bin/time -v, on CORES cores (taskset, GOMAXPROCS),
# into a fresh registry so that no cutoff comes from the feature cache.
# Prints wall, CPU, peak memory and the wall and CPU time of every phase.
#
#   jobs/bench/train.sh                         # builds ./cmd/churn
#   BIN=/path/to/churn jobs/bench/train.sh      # a prebuilt binary
#   CORES=16 N=50000 jobs/bench/train.sh
#   CPUSET=2-3 jobs/bench/train.sh              # two runs side by side
#   PROFILE=1 jobs/bench/train.sh               # also a CPU profile
#
# Run it from the module root on a quiet machine. The dataset is kept in
# $DIR and reused by later runs; generating it is not timed.
set -euo pipefail
N=${N:-200000}
DAYS=${DAYS:-540}
CUTOFFS=${CUTOFFS:-8}
CORES=${CORES:-2}
CPUSET=${CPUSET:-0-$((CORES - 1))} # the cores taskset pins the run to
DIR=${DIR:-/tmp/churn-bench-$N-$DAYS}
mkdir -p "$DIR"
BIN=${BIN:-}
if [ -z "$BIN" ]; then
  BIN="$DIR/churn"
  go build -o "$BIN" ./cmd/churn
fi
if [ ! -d "$DIR/data/customers" ]; then
  echo "generating $N customers x $DAYS days into $DIR/data"
  /usr/bin/time -f "generate: %e s wall, %M KiB peak" "$BIN" generate --customers "$N" --days "$DAYS" \
    --end 2026-11-01 --seed 1 --out "$DIR/data" --log-level warn
fi
du -sh "$DIR/data"
rm -rf "$DIR/registry"
pin=()
if command -v taskset >/dev/null; then
  pin=(taskset -c "$CPUSET")
fi
prof=()
if [ -n "${PROFILE:-}" ]; then
  prof=(--cpuprofile "$DIR/train.prof")
fi
GOMAXPROCS=$CORES /usr/bin/time -v "${pin[@]}" "$BIN" train --data "$DIR/data" --registry "$DIR/registry" \
  --as-of 2026-11-01 --cutoffs "$CUTOFFS" --json "${prof[@]}" >"$DIR/train.json" 2>"$DIR/train.log"
wall=$(grep "Elapsed (wall clock)" "$DIR/train.log" | awk '{print $NF}')
user=$(grep "User time" "$DIR/train.log" | awk '{print $NF}')
sys=$(grep "System time" "$DIR/train.log" | awk '{print $NF}')
peak=$(grep "Maximum resident set size" "$DIR/train.log" | awk '{print $NF}')
echo "train: $N customers, $CUTOFFS cutoffs, $CORES cores: wall $wall, user ${user}s, sys ${sys}s, peak $((peak / 1024)) MiB"
grep '"message":"phase done"' "$DIR/train.log" | grep -o '"phase":"[^"]*"\|"duration_ms":[0-9]*\|"cpu_ms":[0-9]*' | paste - - - || true
grep -o '"phases":\[[^]]*\]' "$DIR/train.json" || true
grep -o '"holdout":{"rows":[0-9]*,[^}]*' "$DIR/train.json" | grep -o '"roc_auc":[0-9.]*' | head -1 || true
