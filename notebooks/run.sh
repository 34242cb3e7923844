#!/usr/bin/env bash
# Runs every notebook in this folder headlessly with the GoNB kernel and
# writes executed copies and HTML into notebooks/out/ (ignored by git).
# Installs what is missing first: Debian's nbconvert and jupyter-client,
# GoNB v0.11.4 and goimports (pinned; the module proxy refuses @latest),
# and registers the kernel under notebooks/.jupyter/ (ignored by git).
# Ends with "notebooks: N passed, N failed"; exits 1 when any failed.
#
#   bash notebooks/run.sh               # all notebooks
#   bash notebooks/run.sh 04-value      # only those whose name matches
set -uo pipefail
cd "$(dirname "$0")"
nbdir=$PWD

GONB_VERSION=v0.11.4
# goimports from the x/tools release the project's go.mod already uses.
GOIMPORTS_VERSION=v0.22.0

gobin=$(go env GOBIN)
[ -n "$gobin" ] || gobin="$(go env GOPATH)/bin"
export PATH="$gobin:$PATH"
export JUPYTER_DATA_DIR="$nbdir/.jupyter"

log() { echo "notebooks: $*"; }

if [ ! -x /usr/bin/jupyter-nbconvert ] || [ ! -x /usr/bin/jupyter-kernel ]; then
  log "installing Debian's jupyter-nbconvert and jupyter-client"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  if ! apt-get install -y -qq jupyter-nbconvert jupyter-client >/dev/null; then
    # A half-configured package left by another install blocks apt: finish
    # it first, then try again.
    apt-get install -y -qq -f >/dev/null
    apt-get install -y -qq jupyter-nbconvert jupyter-client >/dev/null || { log "apt-get install failed"; exit 1; }
  fi
fi

# gonb --version prints an older string; the binary's module version is exact.
if ! go version -m "$(command -v gonb 2>/dev/null || echo /nonexistent)" 2>/dev/null |
    grep -q "github.com/janpfeifer/gonb[[:space:]]*$GONB_VERSION"; then
  log "installing gonb $GONB_VERSION"
  tmp=$(mktemp -d)
  # A throwaway module, so that go get -tool pins the version and does not
  # touch the project's go.mod.
  ( cd "$tmp" && go mod init gonbtool >/dev/null 2>&1 &&
    go get -tool "github.com/janpfeifer/gonb@$GONB_VERSION" &&
    go install github.com/janpfeifer/gonb ) || { log "gonb install failed"; rm -rf "$tmp"; exit 1; }
  rm -rf "$tmp"
fi
if ! command -v goimports >/dev/null; then
  log "installing goimports $GOIMPORTS_VERSION"
  go install "golang.org/x/tools/cmd/goimports@$GOIMPORTS_VERSION" || { log "goimports install failed"; exit 1; }
fi
if [ ! -f "$JUPYTER_DATA_DIR/kernels/gonb/kernel.json" ]; then
  log "registering the gonb kernel in $JUPYTER_DATA_DIR"
  # --force_deps: gopls (autocomplete only) needs a newer Go at @latest.
  gonb --install --force_deps --raw_error >/dev/null 2>&1 || { log "gonb --install failed"; exit 1; }
fi

out="$nbdir/out"
mkdir -p "$out"
pass=0 fail=0
for nb in [0-9][0-9]-*.ipynb; do
  name=${nb%.ipynb}
  if [ $# -gt 0 ] && [[ "$name" != *"$1"* ]]; then continue; fi
  start=$(date +%s)
  # --allow-errors keeps the executed copy (with the failing cell's panic)
  # for reading; the verdict comes from the executed copy's error outputs.
  /usr/bin/jupyter nbconvert --to notebook --execute --allow-errors "$nb" --output-dir "$out" \
    --ExecutePreprocessor.timeout=900 >"$out/$name.log" 2>&1
  /usr/bin/jupyter nbconvert --to html "$out/$nb" --output-dir "$out" >>"$out/$name.log" 2>&1
  if errors=$(/usr/bin/python3 - "$out/$nb" <<'PY'
import json, sys
try:
    nb = json.load(open(sys.argv[1]))
except Exception as e:
    print("no executed copy:", e); sys.exit(1)
bad = 0
for i, c in enumerate(nb["cells"]):
    for o in c.get("outputs", []):
        if o.get("output_type") == "error":
            bad += 1
            print(f"cell {i}: {o.get('ename')}: {o.get('evalue')}")
            print("\n".join(o.get("traceback", []))[-3000:])
sys.exit(1 if bad else 0)
PY
  ); then
    pass=$((pass + 1))
    log "PASS $name ($(( $(date +%s) - start ))s)"
  else
    fail=$((fail + 1))
    log "FAIL $name ($(( $(date +%s) - start ))s): executed copy and log in $out/"
    echo "$errors" | tail -40
  fi
done
echo "notebooks: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
