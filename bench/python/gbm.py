#!/usr/bin/env python3
"""XGBoost `hist` and scikit-learn HistGradientBoosting on the same rows as bench/gbm.ts.

Prints one JSON object: fit and predict seconds, accuracy / AUC / RMSE, pickled size, peak RSS.
Run with /usr/bin/python3 (Debian's python3-xgboost, python3-sklearn); `--check` only tests the imports.
Data: a CSV with the target in `--target`; `--split` names a JSON file {"train": [...], "test": [...]}
of row indices (the Node side writes it, so both sides use the same rows); `--drop` columns to ignore.
Text columns become codes in sorted label order (as bench/lib/simple-csv.ts does); missing stays NaN.
"""
import argparse
import json
import os
import pickle
import resource
import sys
import time

from timing import fit_and_predict


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--check', action='store_true')
    ap.add_argument('--lib', choices=['xgboost', 'sklearn'], default='xgboost')
    ap.add_argument('--data')
    ap.add_argument('--target')
    ap.add_argument('--task', choices=['binary', 'multiclass', 'regression'])
    ap.add_argument('--log-target', action='store_true')
    ap.add_argument('--drop', default='')
    ap.add_argument('--na', default='NA,')
    ap.add_argument('--split')
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--rounds', type=int, default=100)
    ap.add_argument('--depth', type=int, default=6)
    ap.add_argument('--rate', type=float, default=0.1)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--base-mean', action='store_true',
                    help='XGBoost regression: start from the mean training target, as XGBoost >= 2.0 estimates base_score (1.7 starts at 0.5)')
    a = ap.parse_args()
    import numpy as np
    import pandas as pd
    import sklearn
    import xgboost as xgb
    if a.check:
        print(json.dumps({'xgboost': xgb.__version__, 'sklearn': sklearn.__version__, 'numpy': np.__version__}))
        return

    d = pd.read_csv(a.data, keep_default_na=False, na_values=a.na.split(','), sep=None if a.data.endswith('.txt') else ',')
    yraw = d[a.target]
    drop = [c for c in a.drop.split(',') if c] + [a.target]
    X = d.drop(columns=drop)
    for c in X.columns:
        if X[c].dtype == object:
            cats = sorted(X[c].dropna().unique())
            X[c] = X[c].map({v: i for i, v in enumerate(cats)})
    X = X.astype(np.float32).values
    if a.task == 'regression':
        y = yraw.values.astype(np.float64)
        if a.log_target:
            y = np.log(y)
    else:
        labels = sorted(yraw.dropna().astype(str).unique())
        y = yraw.astype(str).map({v: i for i, v in enumerate(labels)}).values
    with open(a.split) as f:
        split = json.load(f)
    tr, te = np.array(split['train']), np.array(split['test'])
    Xtr, ytr, Xte, yte = X[tr], y[tr], X[te], y[te]

    if a.lib == 'xgboost':
        common = dict(n_estimators=a.rounds, max_depth=a.depth, learning_rate=a.rate, tree_method='hist',
                      max_bin=256, n_jobs=a.threads, random_state=a.seed)
        if a.base_mean and a.task == 'regression':
            common['base_score'] = float(np.mean(ytr))
        model = xgb.XGBRegressor(**common) if a.task == 'regression' else xgb.XGBClassifier(**common)
    else:
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
        common = dict(max_iter=a.rounds, max_depth=a.depth, learning_rate=a.rate, max_leaf_nodes=None,
                      early_stopping=False, random_state=a.seed)
        model = HistGradientBoostingRegressor(**common) if a.task == 'regression' else HistGradientBoostingClassifier(**common)
    fit_s, predict_s, pred = fit_and_predict(model, Xtr, ytr, Xte, lambda m, X: m.predict(X) if a.task == 'regression' else m.predict_proba(X))
    out = {
        'fitS': fit_s,
        'predictS': predict_s,
        'artifactBytes': len(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)),
        'peakRssMb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if a.task == 'regression':
        out['rmse'] = float(np.sqrt(np.mean((pred - yte) ** 2)))
    else:
        out['accuracy'] = float(np.mean(np.argmax(pred, axis=1) == yte))
        if a.task == 'binary':
            from sklearn.metrics import roc_auc_score
            out['auc'] = float(roc_auc_score(yte, pred[:, 1]))
    print(json.dumps(out))


if __name__ == '__main__':
    os.environ.setdefault('OMP_NUM_THREADS', '1')
    sys.exit(main())
