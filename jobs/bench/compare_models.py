#!/usr/bin/python3
"""Compare churn's model with XGBoost, scikit-learn's HistGradientBoosting
and a logistic regression on exactly the feature matrix and split that
`churn train` uses (issue 4).

    churn features --data DIR --as-of DATE --cutoffs 8 --out matrix.csv
    churn train    --data DIR --as-of DATE --cutoffs 8 --registry REG --json > churn.json
    /usr/bin/python3 jobs/bench/compare_models.py matrix.csv churn.json [--seed 1] [--window-days 90]

The split is churn train's (jobs/trainset.ByTime): the latest cutoff is
the test set; the cutoffs whose label window (--window-days, gap plus
horizon, default 90) reaches past the test cutoff are set aside; the
latest one left is split by customer into validation (early stopping) and
calibration halves with the same seeded FNV-1a hash as jobs/trainset; all
older cutoffs train. Only labelled rows are used.

It installs nothing: it needs Debian's python3-pandas, python3-sklearn and
python3-xgboost, and says which is missing instead of failing quietly.
"""
import json
import sys
import time

missing = []
try:
    import numpy as np
    import pandas as pd
except ImportError:
    missing.append("python3-pandas")
try:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import brier_score_loss, roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import StandardScaler
except ImportError:
    missing.append("python3-sklearn")
try:
    import xgboost as xgb
except ImportError:
    missing.append("python3-xgboost")
if missing:
    print("compare_models: SKIPPED: missing Debian packages: " + " ".join(missing) +
          " (apt-get install -y " + " ".join(missing) + ")")
    sys.exit(0)

import trainsplit  # noqa: E402 (after the check for pandas)

KEYS = ["customer_id", "cutoff", "status", "plan", "region", "label"]


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    seed = 1
    if "--seed" in argv:
        seed = int(argv[argv.index("--seed") + 1])
    df = pd.read_csv(argv[0], dtype={"customer_id": str})
    churn = json.load(open(argv[1]))
    window_days = 90
    if "--window-days" in argv:
        window_days = int(argv[argv.index("--window-days") + 1])
    df = df[df["label"].notna()]
    df["cutoff"] = pd.to_datetime(df["cutoff"])
    split = trainsplit.by_time(df, window_days, seed)
    if split is None:
        print(f"compare_models: {df['cutoff'].nunique()} labelled cutoffs leave nothing to train on")
        return 2
    test_c = split.test_cutoff
    feats = [c for c in df.columns if c not in KEYS]
    train, valid, test = split.train, split.valid, split.test
    Xtr, ytr = train[feats].to_numpy(float), train["label"].to_numpy()
    Xva, yva = valid[feats].to_numpy(float), valid["label"].to_numpy()
    Xte, yte = test[feats].to_numpy(float), test["label"].to_numpy()
    print(f"matrix: {len(df)} labelled rows x {len(feats)} features; train {len(train)}, "
          f"valid {len(valid)}, test {len(test)} (cutoff {test_c})")
    results = []

    t = time.time()
    m = xgb.XGBClassifier(tree_method="hist", max_depth=6, learning_rate=0.1, n_estimators=1000,
                          early_stopping_rounds=30, eval_metric="logloss", n_jobs=2, random_state=seed)
    m.fit(Xtr, ytr, eval_set=[(Xva, yva)], verbose=False)
    p = m.predict_proba(Xte)[:, 1]
    results.append(("xgboost hist", roc_auc_score(yte, p), brier_score_loss(yte, p), time.time() - t))

    t = time.time()
    m = HistGradientBoostingClassifier(early_stopping=True, random_state=seed)
    m.fit(Xtr, ytr)
    p = m.predict_proba(Xte)[:, 1]
    results.append(("sklearn histgb", roc_auc_score(yte, p), brier_score_loss(yte, p), time.time() - t))

    t = time.time()
    m = make_pipeline(SimpleImputer(add_indicator=True), StandardScaler(), LogisticRegression(max_iter=2000))
    m.fit(Xtr, ytr)
    p = m.predict_proba(Xte)[:, 1]
    results.append(("sklearn logistic", roc_auc_score(yte, p), brier_score_loss(yte, p), time.time() - t))

    h = churn["holdout"]
    results.append((f"churn {churn['algo']} (calibrated)", h["roc_auc"], h["brier"], churn["duration_ms"] / 1000))
    print(f"{'model':28s} {'ROC AUC':>8s} {'Brier':>8s} {'seconds':>8s}")
    for name, auc, brier, secs in results:
        print(f"{name:28s} {auc:8.4f} {brier:8.4f} {secs:8.1f}")
    best_peer = results[0][1]
    print(f"churn minus xgboost: {h['roc_auc'] - best_peer:+.4f} ROC AUC (goal: at least -0.002)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
