#!/usr/bin/python3
"""Fit XGBoost hist on the matrices written by BenchmarkCompareXGBoost and
print its test ROC AUC and training time beside the Go model's.

    GBT_COMPARE_DIR=/tmp/cmp go test -run '^$' -bench CompareXGBoost -benchtime 1x ./model/gbt/
    /usr/bin/python3 model/gbt/testdata/compare_xgboost.py /tmp/cmp

Settings match gbt.DefaultParams: depth 6, learning rate 0.1, lambda 1,
min_child_weight 1, subsample 0.8, colsample_bytree 0.8, 256 bins, early
stopping after 30 rounds on the validation log loss, 2 threads. It needs
only xgboost and numpy (Debian's python3-xgboost) and installs nothing:
without them it says so and exits 0.
"""
import json
import os
import sys
import time


def main():
    if len(sys.argv) != 2:
        print("usage: compare_xgboost.py DIR", file=sys.stderr)
        return 2
    try:
        import numpy as np
        import xgboost as xgb
    except ImportError as e:
        print(f"skipped: {e.name} is missing (apt-get install python3-xgboost)")
        return 0
    d = sys.argv[1]
    # Empty fields are missing values: genfromtxt reads them as NaN.
    frames = {n: np.genfromtxt(os.path.join(d, n + ".csv"), delimiter=",", skip_header=1)
              for n in ("train", "valid", "test")}
    mats = {n: xgb.DMatrix(f[:, 1:], label=f[:, 0], missing=float("nan")) for n, f in frames.items()}
    params = {
        "objective": "binary:logistic",
        "eval_metric": "logloss",
        "tree_method": "hist",
        "max_depth": 6,
        "eta": 0.1,
        "lambda": 1,
        "min_child_weight": 1,
        "subsample": 0.8,
        "colsample_bytree": 0.8,
        "max_bin": 256,
        "nthread": 2,
        "seed": 1,
    }
    start = time.perf_counter()
    booster = xgb.train(params, mats["train"], num_boost_round=500,
                        evals=[(mats["valid"], "valid")], early_stopping_rounds=30, verbose_eval=False)
    secs = time.perf_counter() - start
    pred = booster.predict(mats["test"], iteration_range=(0, booster.best_iteration + 1))
    xgb_auc = roc_auc(frames["test"][:, 0], pred)
    print(f"xgboost {xgb.__version__}: test AUC {xgb_auc:.4f}, {booster.best_iteration + 1} trees, {secs:.1f} s")
    path = os.path.join(d, "go.json")
    if os.path.exists(path):
        with open(path) as f:
            g = json.load(f)
        print(f"go gbt: test AUC {g['auc']:.4f}, {g['trees']} trees, {g['seconds']:.1f} s ({g['workers']} workers)")
    return 0


def roc_auc(y, scores):
    """ROC AUC as the Mann-Whitney statistic, ties given their mean rank."""
    import numpy as np
    order = np.argsort(scores, kind="mergesort")
    s = scores[order]
    ranks = np.empty(len(s))
    i = 0
    while i < len(s):
        j = i
        while j < len(s) and s[j] == s[i]:
            j += 1
        ranks[i:j] = (i + j + 1) / 2
        i = j
    pos = y[order] == 1
    n_pos, n_neg = pos.sum(), (~pos).sum()
    return (ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


if __name__ == "__main__":
    sys.exit(main())
