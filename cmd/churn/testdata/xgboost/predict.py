"""Scores a feature table with a model exported by `churn export-model`.

usage: python3 predict.py MODEL.json FEATURES.csv OUT.json

Loads the model with xgboost.Booster(model_file=...), reads the feature
columns the booster names from the CSV that `churn features` writes (an
empty cell is missing; +Inf and -Inf become NaN, as churn treats them), and
writes the raw margins (output_margin=True) and XGBoost's own TreeSHAP
contributions (pred_contribs=True, the bias last) per customer as JSON.
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
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump({
            "xgboost_version": xgboost.__version__,
            "features": names,
            "customer_id": ids,
            "margin": [float(v) for v in margins],
            "contributions": [[float(v) for v in r] for r in contribs],
        }, f)


if __name__ == "__main__":
    main(*sys.argv[1:4])
