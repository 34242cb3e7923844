#!/usr/bin/python3
"""A data scientist's generic churn notebook, as a benchmark for churn's
features: DuckDB SQL features per customer and monthly cutoff, XGBoost
with early stopping, the test ROC AUC printed beside churn's own holdout
ROC AUC on the same rows, labels and time split.

    jobs/bench/notebook_baseline.sh   (runs churn and this script; see there)

or by hand:

    churn features --data DIR --as-of DATE --cutoffs 8 --out W/churn.parquet
    churn train    --data DIR --as-of DATE --cutoffs 8 --registry W/reg --json > W/train.json
    /usr/bin/python3 jobs/bench/notebook_baseline.py --data DIR --labels W/churn.parquet \\
        --churn W/train.json --work W [--seed 1] [--window-days 90] [--ablate] [--with-churn]

(pass the same --config to both churn commands when the dataset needs one,
for example `features: {label: noncontractual}` for Online Retail.)

What it builds, knowing nothing of churn's features or of the data's names:
every event name, session channel and customer attribute is read from the
data. Per customer and cutoff c, from rows strictly before c (days in UTC):
  - events: for the most frequent names (--top-events, counted before the
    latest cutoff), counts in the 7, 30 and 90 days before c, days since the
    last one (within 365 days), and the 30-day count against the customer's
    own baseline (the 365-day count, or the tenure's if shorter, per 30
    days); the same for all events together, plus names and active days in
    30 days;
  - sessions: counts, seconds and pages in 7/30/90 days, active days,
    recency, the 30-day baseline ratio, 30- and 90-day counts per channel;
  - orders: counts and sums in 30/90/365 days, refunds, margin, recency,
    baseline ratio; tickets: counts in 30/90 days, CSAT, effort, sentiment,
    first response, tickets not resolved at c, recency; surveys: latest and
    mean NPS, count, recency;
  - customers: tenure, and every other column (text as a pandas category
    for XGBoost's native categorical splits, numbers as they are, other
    timestamps as days before c); cancelled_at is left out (a label leak).
The rows and labels are churn's (the labelled rows of `churn features
--cutoffs`): the label depends on churn's rules (contractual or not,
automated events that are no activity), so both sides are scored on exactly
the same customers. The split is churn train's (jobs/trainset.ByTime): the
latest cutoff tests; the cutoffs whose label window (--window-days, gap plus
horizon) reaches past the test cutoff are set aside; the latest one left is
split by customer with the seeded FNV-1a hash of jobs/trainset (even:
validation, for early stopping); all older cutoffs train.

--ablate refits once per feature group left out and prints the loss;
--with-churn also fits XGBoost on churn's own feature table and on the union
of both (which generic features add to churn's).

Needs: /usr/bin/python3 with Debian's python3-pandas, python3-sklearn and
python3-xgboost; node and DuckDB's Node API (@duckdb/node-api, which .ci/run
installs with `(cd internal/nodetest/js && npm install)`; --node-modules
points elsewhere). It installs nothing and says what is missing.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

missing = []
try:
    import numpy as np
    import pandas as pd
    import trainsplit  # needs only pandas
except ImportError:
    missing.append("python3-pandas")
try:
    from sklearn.metrics import roc_auc_score
except ImportError:
    missing.append("python3-sklearn")
try:
    import xgboost as xgb
except ImportError:
    missing.append("python3-xgboost")

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DUCK_RUNNER = r"""
const { DuckDBInstance } = require(process.env.DUCKDB_NODE_API);
const fs = require('fs');
(async () => {
  const db = await DuckDBInstance.create(process.env.DUCKDB_FILE, { threads: process.env.DUCKDB_THREADS || '2' });
  const c = await db.connect();
  const r = await c.runAndReadAll(fs.readFileSync(process.argv[2], 'utf8'));
  process.stdout.write(JSON.stringify(r.getRowObjectsJson()));
})().catch(e => { console.error(e.message); process.exit(1); });
"""


class Duck:
    def __init__(self, work, node_modules, threads):
        self.work = work
        self.api = os.path.join(node_modules, "@duckdb", "node-api")
        self.runner = os.path.join(work, "duck.cjs")
        self.threads = str(threads)
        self.db = os.path.join(work, "notebook.duckdb")
        if os.path.exists(self.db):
            os.remove(self.db)
        with open(self.runner, "w") as f:
            f.write(DUCK_RUNNER)
        self.n = 0

    def query(self, sql):
        self.n += 1
        path = os.path.join(self.work, f"q{self.n:02d}.sql")
        with open(path, "w") as f:
            f.write("SET TimeZone='UTC';\n" + sql)
        env = dict(os.environ, DUCKDB_NODE_API=self.api, DUCKDB_THREADS=self.threads, DUCKDB_FILE=self.db)
        p = subprocess.run(["node", self.runner, path], capture_output=True, text=True, env=env)
        if p.returncode != 0:
            raise RuntimeError(f"duckdb ({path}): {p.stderr.strip()}")
        return json.loads(p.stdout or "[]")


def lit(s):
    return "'" + str(s).replace("'", "''") + "'"


def ident(s):
    return '"' + str(s).replace('"', '""') + '"'


def slug(s, i):
    return f"{i:02d}_" + (re.sub(r"[^a-z0-9]+", "_", str(s).lower()).strip("_")[:24] or "x")


def table_columns(duck, data, table):
    path = os.path.join(data, table)
    if not os.path.isdir(path):
        return None
    rows = duck.query(f"DESCRIBE SELECT * FROM read_parquet({lit(path + '/**/*.parquet')}, union_by_name=true)")
    return {r["column_name"]: r["column_type"] for r in rows}


def src(data, table):
    return f"read_parquet({lit(os.path.join(data, table) + '/**/*.parquet')}, union_by_name=true)"


def build_features(duck, args, out_csv):
    """Writes one CSV row per labelled customer and cutoff: keys, label,
    the generic features (group prefix g_<group>__), and with --with-churn
    churn's own feature columns (prefix churn__)."""
    data = args.data
    cols = {t: table_columns(duck, data, t) for t in ["customers", "events", "sessions", "orders", "tickets", "surveys"]}
    parts = []  # (table name, [feature select expressions]) joined on customer_id, c
    pre = [f"""CREATE TABLE lab AS SELECT customer_id, CAST(cutoff AS DATE) AS c, label
              FROM read_parquet({lit(args.labels)}) WHERE label IS NOT NULL;
              CREATE TABLE ids AS SELECT DISTINCT customer_id FROM lab;"""]
    last_c = "(SELECT max(c) FROM lab)"

    def window_join(tab, dcol):
        return f"lab l JOIN {tab} t ON t.customer_id = l.customer_id AND t.{dcol} < l.c AND t.{dcol} >= l.c - 365"

    def baseline(cnt30, cnt365):
        # 30-day count against the customer's own 30-day rate over the last
        # 365 days (or their tenure, if shorter).
        return f"{cnt30} / NULLIF({cnt365} * 30.0 / least(365, greatest(30, l.c - CAST(cu.signup_at AS DATE))), 0)"

    ev = cols["events"]
    if ev and "event" in ev:
        qty = "coalesce(quantity, 1)" if "quantity" in ev else "1"
        pre.append(f"""CREATE TABLE ev AS SELECT customer_id, event AS name, CAST(ts AS DATE) AS d, count(*) AS n, sum({qty}) AS q
                       FROM {src(data, 'events')} WHERE customer_id IN (SELECT customer_id FROM ids) AND ts IS NOT NULL AND event IS NOT NULL
                       GROUP BY ALL;""")
        names = None  # filled after the pre statements ran
        parts.append(("events", "ev", "d"))
    ss = cols["sessions"]
    if ss:
        dur = "coalesce(duration_s, 0)" if "duration_s" in ss else "0"
        pages = "coalesce(pages, 0)" if "pages" in ss else "0"
        ch = "coalesce(channel, '')" if "channel" in ss else "''"
        pre.append(f"""CREATE TABLE ss AS SELECT customer_id, {ch} AS ch, CAST(started_at AS DATE) AS d, count(*) AS n,
                       sum({dur}) AS secs, sum({pages}) AS pages
                       FROM {src(data, 'sessions')} WHERE customer_id IN (SELECT customer_id FROM ids) AND started_at IS NOT NULL
                       GROUP BY ALL;""")
        parts.append(("sessions", "ss", "d"))
    od = cols["orders"]
    if od:
        margin = "margin" if "margin" in od else "NULL::DOUBLE"
        pre.append(f"""CREATE TABLE od AS SELECT customer_id, CAST(ts AS DATE) AS d, amount, {margin} AS margin
                       FROM {src(data, 'orders')} WHERE customer_id IN (SELECT customer_id FROM ids) AND ts IS NOT NULL AND amount IS NOT NULL;""")
        parts.append(("orders", "od", "d"))
    tk = cols["tickets"]
    if tk:
        def opt(c, t="DOUBLE"):
            return c if c in tk else f"NULL::{t}"
        pre.append(f"""CREATE TABLE tk AS SELECT customer_id, CAST(created_at AS DATE) AS d, {opt('csat')} AS csat, {opt('effort')} AS effort,
                       {opt('sentiment')} AS sentiment, {opt('first_response_s')} AS frs, CAST({opt('resolved_at', 'TIMESTAMPTZ')} AS DATE) AS resolved
                       FROM {src(data, 'tickets')} WHERE customer_id IN (SELECT customer_id FROM ids) AND created_at IS NOT NULL;""")
        parts.append(("tickets", "tk", "d"))
    sv = cols["surveys"]
    if sv:
        pre.append(f"""CREATE TABLE sv AS SELECT customer_id, CAST(answered_at AS DATE) AS d, nps
                       FROM {src(data, 'surveys')} WHERE customer_id IN (SELECT customer_id FROM ids) AND answered_at IS NOT NULL AND nps IS NOT NULL;""")
        parts.append(("surveys", "sv", "d"))
    pre.append(f"CREATE TABLE cu AS SELECT * FROM {src(data, 'customers')} WHERE customer_id IN (SELECT customer_id FROM ids);")

    # Names and channels come from the data, before the latest cutoff.
    duck.query("\n".join(pre))
    top = []
    chans = []
    if any(p[0] == "events" for p in parts):
        top = [r["name"] for r in duck.query(f"""
            SELECT name, sum(n) AS k FROM ev WHERE d < {last_c} GROUP BY name ORDER BY k DESC, name LIMIT {args.top_events};""")]
    if any(p[0] == "sessions" for p in parts):
        chans = [r["ch"] for r in duck.query(f"""
            SELECT ch, sum(n) AS k FROM ss WHERE d < {last_c} GROUP BY ch ORDER BY k DESC, ch LIMIT 10;""")]

    selects, joins = [], []
    for name, tab, dcol in parts:
        ex = []
        if name == "events":
            w = lambda days: f"t.d >= l.c - {days}"
            for win in (7, 30, 90, 365):
                ex.append(f"sum(t.n) FILTER (WHERE {w(win)}) AS g_evall__events_{win}d")
            ex.append(f"sum(t.q) FILTER (WHERE {w(30)}) AS g_evall__quantity_30d")
            ex.append(f"count(DISTINCT t.name) FILTER (WHERE {w(30)}) AS g_evall__names_30d")
            ex.append(f"count(DISTINCT t.d) FILTER (WHERE {w(30)}) AS g_evall__active_days_30d")
            ex.append("l.c - max(t.d) AS g_evall__days_since_event")
            for i, nm in enumerate(top):
                s = slug(nm, i)
                cond = f"t.name = {lit(nm)}"
                for win in (7, 30, 90):
                    ex.append(f"sum(t.n) FILTER (WHERE {cond} AND {w(win)}) AS g_evname__{s}_{win}d")
                ex.append(f"sum(t.n) FILTER (WHERE {cond}) AS g_evbase__{s}_365d")
                ex.append(f"l.c - max(t.d) FILTER (WHERE {cond}) AS g_evrec__{s}_days_since")
        elif name == "sessions":
            w = lambda days: f"t.d >= l.c - {days}"
            for win in (7, 30, 90, 365):
                ex.append(f"sum(t.n) FILTER (WHERE {w(win)}) AS g_sess__sessions_{win}d")
            for win in (30, 90):
                ex.append(f"sum(t.secs) FILTER (WHERE {w(win)}) AS g_sess__seconds_{win}d")
                ex.append(f"sum(t.pages) FILTER (WHERE {w(win)}) AS g_sess__pages_{win}d")
                ex.append(f"count(DISTINCT t.d) FILTER (WHERE {w(win)}) AS g_sess__active_days_{win}d")
            ex.append("l.c - max(t.d) AS g_sess__days_since_session")
            for i, ch in enumerate(chans):
                s = slug(ch, i)
                for win in (30, 90):
                    ex.append(f"sum(t.n) FILTER (WHERE t.ch = {lit(ch)} AND {w(win)}) AS g_sesschan__{s}_{win}d")
        elif name == "orders":
            w = lambda days: f"t.d >= l.c - {days}"
            for win in (30, 90, 365):
                ex.append(f"count(*) FILTER (WHERE {w(win)} AND t.amount > 0) AS g_ord__orders_{win}d")
                ex.append(f"sum(t.amount) FILTER (WHERE {w(win)}) AS g_ord__amount_{win}d")
            ex.append("count(*) FILTER (WHERE t.amount < 0) AS g_ord__refunds_365d")
            ex.append("avg(t.amount) FILTER (WHERE t.amount > 0) AS g_ord__avg_order_365d")
            ex.append("avg(t.margin) AS g_ord__margin_365d")
            ex.append("l.c - max(t.d) FILTER (WHERE t.amount > 0) AS g_ord__days_since_order")
        elif name == "tickets":
            w = lambda days: f"t.d >= l.c - {days}"
            for win in (30, 90, 365):
                ex.append(f"count(*) FILTER (WHERE {w(win)}) AS g_tick__tickets_{win}d")
            ex.append(f"avg(t.csat) FILTER (WHERE {w(90)}) AS g_tick__csat_90d")
            ex.append(f"avg(t.effort) FILTER (WHERE {w(90)}) AS g_tick__effort_90d")
            ex.append(f"avg(t.sentiment) FILTER (WHERE {w(90)}) AS g_tick__sentiment_90d")
            ex.append(f"min(t.sentiment) FILTER (WHERE {w(90)}) AS g_tick__sentiment_min_90d")
            ex.append(f"avg(t.frs) FILTER (WHERE {w(90)}) AS g_tick__first_response_90d")
            ex.append("count(*) FILTER (WHERE t.resolved IS NULL OR t.resolved >= l.c) AS g_tick__unresolved")
            ex.append("l.c - max(t.d) AS g_tick__days_since_ticket")
        elif name == "surveys":
            ex.append("arg_max(t.nps, t.d) AS g_surv__nps_latest")
            ex.append("avg(t.nps) AS g_surv__nps_mean_365d")
            ex.append("count(*) AS g_surv__surveys_365d")
            ex.append("l.c - max(t.d) AS g_surv__days_since_survey")
        a = f"f_{tab}"
        selects.append(f"{a} AS (SELECT l.customer_id, l.c, {', '.join(ex)} FROM {window_join(tab, dcol)} GROUP BY l.customer_id, l.c)")
        joins.append(a)

    # Baseline ratios (30 days against the own 365-day or tenure rate).
    ratio = []
    if top:
        ratio.append(baseline("f_ev.g_evall__events_30d", "f_ev.g_evall__events_365d") + " AS g_evall__events_vs_baseline")
        for i, nm in enumerate(top):
            s = slug(nm, i)
            ratio.append(baseline(f"coalesce(f_ev.g_evname__{s}_30d, 0)", f"f_ev.g_evbase__{s}_365d") + f" AS g_evratio__{s}_vs_baseline")
    if "f_ss" in joins:
        ratio.append(baseline("coalesce(f_ss.g_sess__sessions_30d, 0)", "f_ss.g_sess__sessions_365d") + " AS g_sess__sessions_vs_baseline")
    if "f_od" in joins:
        ratio.append(baseline("coalesce(f_od.g_ord__amount_30d, 0)", "f_od.g_ord__amount_365d") + " AS g_ord__amount_vs_baseline")

    attrs = []
    for c, t in cols["customers"].items():
        if c in ("customer_id", "signup_at", "cancelled_at"):
            continue
        if "VARCHAR" in t:
            attrs.append(f"cu.{ident(c)} AS g_attr__{slug(c, len(attrs))}")
        elif "TIMESTAMP" in t or t == "DATE":
            attrs.append(f"l.c - CAST(cu.{ident(c)} AS DATE) AS g_attr__{slug(c, len(attrs))}_days")
        else:
            attrs.append(f"cu.{ident(c)} AS g_attr__{slug(c, len(attrs))}")
    fsel = ", ".join(["l.c - CAST(cu.signup_at AS DATE) AS g_attr__tenure_days"] + attrs +
                     [f"{a}.* EXCLUDE (customer_id, c)" for a in joins] + ratio)
    churn_cols = ""
    churn_join = ""
    if args.with_churn:
        churn_cols = ", ch.* EXCLUDE (customer_id, cutoff, status, label)"
        churn_join = f"JOIN (SELECT * FROM read_parquet({lit(args.labels)}) WHERE label IS NOT NULL) ch ON ch.customer_id = l.customer_id AND CAST(ch.cutoff AS DATE) = l.c"
    sql = "COPY (WITH " + ",\n".join(selects) + f"""
        SELECT l.customer_id, l.c AS cutoff, l.label, {fsel}{churn_cols}
        FROM lab l JOIN cu ON cu.customer_id = l.customer_id
        {' '.join(f'LEFT JOIN {a} ON {a}.customer_id = l.customer_id AND {a}.c = l.c' for a in joins)}
        {churn_join}
        ORDER BY l.c, l.customer_id
    ) TO {lit(out_csv)} (HEADER, DELIMITER ',');"""
    duck.query(sql)
    os.remove(duck.db)
    return top, chans


def fit(Xtr, ytr, Xva, yva, Xte, seed, threads):
    m = xgb.XGBClassifier(tree_method="hist", enable_categorical=True, max_cat_to_onehot=1, max_depth=6,
                          learning_rate=0.05, n_estimators=3000, subsample=0.8, colsample_bytree=0.8,
                          min_child_weight=1, early_stopping_rounds=50, eval_metric="auc", n_jobs=threads,
                          random_state=seed)
    m.fit(Xtr, ytr, eval_set=[(Xva, yva)], verbose=False)
    return m, m.predict_proba(Xte)[:, 1]


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="churn dataset folder (customers/, events/, ...)")
    ap.add_argument("--labels", required=True, help="churn features --cutoffs N output (Parquet): rows and labels")
    ap.add_argument("--churn", help="churn train --json output: its holdout ROC AUC is printed beside")
    ap.add_argument("--work", required=True, help="scratch folder (the feature CSV goes there)")
    ap.add_argument("--seed", type=int, default=1, help="churn's seed (validation half), default 1")
    ap.add_argument("--window-days", type=int, default=90, help="label gap plus horizon in days, default 90")
    ap.add_argument("--top-events", type=int, default=40, help="event names with their own features, default 40")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--node-modules", default=os.path.join(REPO, "internal", "nodetest", "js", "node_modules"))
    ap.add_argument("--ablate", action="store_true", help="refit once per feature group left out")
    ap.add_argument("--with-churn", action="store_true", help="also fit on churn's features, and on both")
    ap.add_argument("--importance", type=int, default=25, help="features to list by XGBoost gain")
    ap.add_argument("--reuse", action="store_true", help="reuse WORK/features.csv if present")
    args = ap.parse_args(argv)

    if not shutil.which("node"):
        missing.append("node (apt-get install -y nodejs)")
    elif not os.path.isdir(os.path.join(args.node_modules, "@duckdb", "node-api")):
        missing.append(f"@duckdb/node-api in {args.node_modules} ((cd internal/nodetest/js && npm install))")
    if missing:
        print("notebook_baseline: SKIPPED: missing: " + "; ".join(missing) +
              " (Debian: apt-get install -y python3-pandas python3-sklearn python3-xgboost)")
        return 3

    os.makedirs(args.work, exist_ok=True)
    csv = os.path.join(args.work, "features.csv")
    t0 = time.time()
    if not (args.reuse and os.path.exists(csv)):
        duck = Duck(args.work, args.node_modules, args.threads)
        top, chans = build_features(duck, args, csv)
        print(f"features: {len(top)} event names, {len(chans)} session channels from the data; "
              f"DuckDB {time.time() - t0:.1f} s")
    head = pd.read_csv(csv, nrows=0).columns
    cat_cols = []
    df = pd.read_csv(csv, dtype={"customer_id": str})
    for c in df.columns:
        if c.startswith(("g_", "churn__")) and df[c].dtype == object:
            cat_cols.append(c)
            df[c] = df[c].astype("category")
    if args.with_churn:
        df = df.rename(columns={c: "churn__" + c for c in head if not c.startswith("g_") and c not in ("customer_id", "cutoff", "label")})
    for c in df.columns:
        if c.startswith("churn__") and df[c].dtype == object:
            df[c] = df[c].astype("category")
    df["cutoff"] = pd.to_datetime(df["cutoff"])
    split = trainsplit.by_time(df, args.window_days, args.seed)
    if split is None:
        print(f"notebook_baseline: {df['cutoff'].nunique()} labelled cutoffs leave nothing to train on")
        return 2
    train, valid, test = split.train, split.valid, split.test
    older, valid_c, gaps, last = split.older, split.valid_cutoff, split.gaps, split.test_cutoff
    gen = [c for c in df.columns if c.startswith("g_")]
    ours = [c for c in df.columns if c.startswith("churn__")]
    print(f"rows: train {len(train)} ({len(older) - 1} cutoffs), valid {len(valid)} ({pd.Timestamp(valid_c).date()}, "
          f"half), gap {len(gaps)} cutoffs left out, test {len(test)} ({pd.Timestamp(last).date()}); "
          f"churn rate test {test['label'].mean():.3f}; {len(gen)} generic features ({len(cat_cols)} categorical)")

    def run(cols):
        t = time.time()
        m, p = fit(train[cols], train["label"], valid[cols], valid["label"], test[cols], args.seed, args.threads)
        return m, roc_auc_score(test["label"], p), m.best_iteration + 1, time.time() - t

    results = []
    churn_auc = None
    if args.churn:
        with open(args.churn) as f:
            j = json.load(f)
        churn_auc = j["holdout"]["roc_auc"]
    print(f"{'model':45s} {'ROC AUC':>8s} {'trees':>6s} {'seconds':>8s}")

    def report(name, a, tr, s):
        results.append((name, a, tr, s))
        print(f"{name:45s} {a:8.4f} {'' if tr is None else tr:>6} {s:8.1f}", flush=True)

    if args.churn:
        report(f"churn train holdout ({j.get('algo', '?')})", churn_auc, None, j.get("duration_ms", 0) / 1000)
    m, auc, trees, secs = run(gen)
    report("notebook: generic features + XGBoost", auc, trees, secs)
    if args.churn:
        print(f"churn minus notebook: {churn_auc - auc:+.4f} ROC AUC", flush=True)
    gain = m.get_booster().get_score(importance_type="total_gain")
    groups = {}
    for c in gen:
        groups.setdefault(c.split("__")[0][2:], []).append(c)
    if args.importance:
        tot = sum(gain.values()) or 1
        print(f"top {args.importance} generic features by XGBoost total gain (share):")
        for c, g in sorted(gain.items(), key=lambda kv: -kv[1])[:args.importance]:
            print(f"  {c:50s} {g / tot:6.3f}")
        print("gain share by group: " + ", ".join(f"{g} {sum(gain.get(c, 0) for c in cs) / tot:.3f}"
                                                    for g, cs in sorted(groups.items())))
    if args.ablate:
        for g, cs in sorted(groups.items()):
            _, a, tr, s = run([c for c in gen if c not in cs])
            report(f"  without {g} ({len(cs)})", a, tr, s)
    if args.with_churn and ours:
        _, a, tr, s = run(ours)
        report("XGBoost on churn's feature table", a, tr, s)
        m2, a, tr, s = run(ours + gen)
        report("XGBoost on churn's + generic", a, tr, s)
        g2 = m2.get_booster().get_score(importance_type="total_gain")
        tot = sum(g2.values()) or 1
        print("union: top generic features by gain share: " + ", ".join(
            f"{c} {v / tot:.3f}" for c, v in sorted(((c, v) for c, v in g2.items() if c.startswith("g_")), key=lambda kv: -kv[1])[:12]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
