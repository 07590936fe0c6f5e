#!/usr/bin/env python3
"""scikit-learn's RandomForest on the same data and rows as bench/forest.ts (its reference side).

Prints one JSON object: fit and predict seconds, accuracy or RMSE, pickled size, peak RSS.
Run with /usr/bin/python3 (Debian's python3-sklearn); `--check` only tests the imports.
"""
import argparse
import json
import pickle
import resource
import sys
import time

from timing import fit_and_predict


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--check', action='store_true')
    ap.add_argument('--case', choices=['letter', 'house'])
    ap.add_argument('--data')
    ap.add_argument('--split', help='JSON file {"train": [...], "test": [...]} of row indices (house)')
    ap.add_argument('--n-jobs', type=int, default=1)
    ap.add_argument('--trees', type=int, default=100)
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args()
    import numpy as np
    import pandas as pd
    import sklearn
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
    if a.check:
        print(json.dumps({'sklearn': sklearn.__version__, 'numpy': np.__version__, 'pandas': pd.__version__}))
        return

    if a.case == 'letter':
        d = pd.read_csv(a.data)
        y = d['lettr'].values
        X = d.drop(columns=['lettr']).values.astype(np.float32)
        tr, te = np.arange(16000), np.arange(16000, len(d))
        model = RandomForestClassifier(n_estimators=a.trees, n_jobs=a.n_jobs, random_state=a.seed)
    else:
        # Same encoding as bench/lib/simple-csv.ts: text columns → codes in sorted label order.
        # scikit-learn 1.2 forests refuse NaN, so missing values become -1 (below every real value).
        d = pd.read_csv(a.data, keep_default_na=False, na_values=['NA', ''])
        y = np.log(d['SalePrice'].values)
        X = d.drop(columns=['Id', 'SalePrice'])
        for c in X.columns:
            if X[c].dtype == object:
                cats = sorted(X[c].dropna().unique())
                X[c] = X[c].map({v: i for i, v in enumerate(cats)})
        X = X.astype(np.float32).fillna(-1).values
        with open(a.split) as f:
            split = json.load(f)
        tr, te = np.array(split['train']), np.array(split['test'])
        model = RandomForestRegressor(n_estimators=a.trees, n_jobs=a.n_jobs, random_state=a.seed)

    Xtr, ytr, Xte, yte = X[tr], y[tr], X[te], y[te]
    fit_s, predict_s, pred = fit_and_predict(model, Xtr, ytr, Xte, lambda m, X: m.predict(X))
    out = {
        'fitS': fit_s,
        'predictS': predict_s,
        'artifactBytes': len(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)),
        'peakRssMb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        'nodes': int(sum(e.tree_.node_count for e in model.estimators_)),
    }
    if a.case == 'letter':
        out['accuracy'] = float(np.mean(pred == yte))
    else:
        out['rmse'] = float(np.sqrt(np.mean((pred - yte) ** 2)))
    print(json.dumps(out))


if __name__ == '__main__':
    sys.exit(main())
