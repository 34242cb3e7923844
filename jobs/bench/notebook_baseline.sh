#!/bin/bash
# churn against a data scientist's generic notebook on one dataset: runs
# `churn features --cutoffs` (the rows and labels both sides score) and
# `churn train --json` (churn's holdout), then notebook_baseline.py (DuckDB
# features + XGBoost on the same split), and prints both ROC AUCs.
#
#   BIN=churn DATA=/path/to/dataset ASOF=2026-11-01 [CUTOFFS=8] [CONFIG=cfg.yaml] \
#     [DIR=/tmp/nb] [NB_ARGS="--ablate --with-churn"] jobs/bench/notebook_baseline.sh
#
# Needs /usr/bin/python3 with Debian's python3-pandas, python3-sklearn and
# python3-xgboost, node, and @duckdb/node-api in internal/nodetest/js
# ((cd internal/nodetest/js && npm install), as .ci/run does); the script
# says what is missing. DIR gets the feature table, a registry and the
# notebook's CSV (a few GB at 200,000 customers): delete it afterwards.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${BIN:?BIN=path to the churn binary}" "${DATA:?DATA=dataset folder}" "${ASOF:?ASOF=as-of date}"
CUTOFFS=${CUTOFFS:-8}
DIR=${DIR:-/tmp/notebook_baseline}
mkdir -p "$DIR"
cfg=()
if [ -n "${CONFIG:-}" ]; then cfg=(--config "$CONFIG"); fi
"$BIN" features "${cfg[@]}" --data "$DATA" --as-of "$ASOF" --cutoffs "$CUTOFFS" --out "$DIR/churn.parquet" --log-level warn
rm -rf "$DIR/reg"
"$BIN" train "${cfg[@]}" --data "$DATA" --as-of "$ASOF" --cutoffs "$CUTOFFS" --registry "$DIR/reg" --json --log-level warn > "$DIR/train.json"
# shellcheck disable=SC2086
/usr/bin/python3 "$here/notebook_baseline.py" --data "$DATA" --labels "$DIR/churn.parquet" --churn "$DIR/train.json" \
  --work "$DIR/nb" ${NB_ARGS:-}
