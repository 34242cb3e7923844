"""Scores a feature table with a model exported by `churn export-model`.

usage: python3 predict.py MODEL.json FEATURES.csv OUT.json

Loads the model with xgboost.Booster(model_file=...), reads the feature
columns the booster names from the CSV that `churn features` writes (an
empty cell is missing; +Inf and -Inf become NaN, as churn treats them), and
writes per customer as JSON: the raw margins (output_margin=True), which
XGBoost sums in float32; the same margins summed in float64 from the leaves
XGBoost picks (pred_leaf=True) and the model file's leaf values and
base_score, which tell a different leaf from float32 rounding; and
XGBoost's own TreeSHAP contributions (pred_contribs=True, the bias last).
"""
import csv
import json
import math
import sys

import numpy as np
import xgboost


def main(model_path, features_path, out_path):
    booster = xgboost.Booster(model_file=model_path)
    names = booster.feature_names
    with open(features_path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    X = np.full((len(rows), len(names)), np.nan, dtype=np.float64)
    ids = []
    for i, row in enumerate(rows):
        ids.append(row["customer_id"])
        for j, name in enumerate(names):
            cell = row[name]
            if cell == "":
                continue
            v = float(cell)
            if not math.isinf(v):
                X[i, j] = v
    dm = xgboost.DMatrix(X, feature_names=names, missing=np.nan)
    margins = booster.predict(dm, output_margin=True)
    contribs = booster.predict(dm, pred_contribs=True)
    leaves = booster.predict(dm, pred_leaf=True).astype(np.int64)
    with open(model_path, encoding="utf-8") as f:
        learner = json.load(f)["learner"]
    trees = learner["gradient_booster"]["model"]["trees"]
    p = float(learner["learner_model_param"]["base_score"])
    base = -math.log(1 / p - 1)
    leaf_sums = [
        base + math.fsum(trees[t]["split_conditions"][leaves[i][t]] for t in range(len(trees)))
        for i in range(len(rows))
    ]
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump({
            "xgboost_version": xgboost.__version__,
            "features": names,
            "customer_id": ids,
            "margin": [float(v) for v in margins],
            "leaf_sum": leaf_sums,
            "contributions": [[float(v) for v in r] for r in contribs],
        }, f)


if __name__ == "__main__":
    main(*sys.argv[1:4])
