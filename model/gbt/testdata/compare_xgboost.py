#!/usr/bin/python3
"""Fit XGBoost hist on the matrices written by TestWriteComparison and
print its test ROC AUC and training time beside the Go model's.

    GBT_COMPARE_DIR=/tmp/cmp go test -run WriteComparison ./model/gbt/
    /usr/bin/python3 model/gbt/testdata/compare_xgboost.py /tmp/cmp

Settings match gbt.DefaultParams: depth 6, learning rate 0.1, lambda 1,
min_child_weight 1, subsample 0.8, colsample_bytree 0.8, 256 bins, early
stopping after 30 rounds on the validation log loss, 2 threads. It installs
nothing: without xgboost, sklearn or pandas it says so and exits 0.
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
        import pandas as pd
        import xgboost as xgb
        from sklearn.metrics import roc_auc_score
    except ImportError as e:
        print(f"skipped: {e.name} is missing (apt-get install python3-xgboost python3-sklearn python3-pandas)")
        return 0
    d = sys.argv[1]
    frames = {n: pd.read_csv(os.path.join(d, n + ".csv")) for n in ("train", "valid", "test")}
    mats = {n: xgb.DMatrix(f.drop(columns="y"), label=f["y"], missing=float("nan")) for n, f in frames.items()}
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
    xgb_auc = roc_auc_score(frames["test"]["y"], pred)
    print(f"xgboost {xgb.__version__}: test AUC {xgb_auc:.4f}, {booster.best_iteration + 1} trees, {secs:.1f} s")
    path = os.path.join(d, "go.json")
    if os.path.exists(path):
        with open(path) as f:
            g = json.load(f)
        print(f"go gbt: test AUC {g['auc']:.4f}, {g['trees']} trees, {g['seconds']:.1f} s ({g['workers']} workers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
