"""scikit-learn reference for bench/knn.ts: KNeighborsClassifier on Letter (first 16,000 rows
train, last 4,000 test, standardised with the training rows' mean and std), k=5, one thread.
Queries: a 10,000-row batch (the 4,000 test rows, then the first 6,000 training rows).
Prints one JSON line: per algorithm, fit and batch-predict milliseconds and test accuracy.

Usage: /usr/bin/python3 bench/python/knn.py DATA.csv [--k 5]
"""
import argparse
import json
import sys
import time

try:
    import numpy as np
    import pandas as pd
    import sklearn
    from sklearn.neighbors import KNeighborsClassifier
except ImportError as e:
    print(json.dumps({"error": f"{e}; install with: apt-get install -y python3-sklearn python3-pandas"}))
    sys.exit(0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--k", type=int, default=5)
    args = ap.parse_args()
    df = pd.read_csv(args.data)
    y = df["lettr"].values
    x = df.drop(columns=["lettr"]).values.astype(np.float32)
    xtr, xte, ytr, yte = x[:16000], x[16000:], y[:16000], y[16000:]
    mean, std = xtr.mean(0), xtr.std(0)
    std[std == 0] = 1
    xtr, xte = (xtr - mean) / std, (xte - mean) / std
    batch = np.concatenate([xte, xtr[:6000]])
    out = {"sklearn": sklearn.__version__, "runs": {}}
    for algorithm in ["auto", "brute", "kd_tree"]:
        clf = KNeighborsClassifier(n_neighbors=args.k, algorithm=algorithm, n_jobs=1)
        t = time.perf_counter()
        clf.fit(xtr, ytr)
        fit_ms = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        pred = clf.predict(batch)
        predict_ms = (time.perf_counter() - t) * 1000
        acc = float((pred[: len(yte)] == yte).mean())
        out["runs"][algorithm] = {"fitMs": fit_ms, "predictMs": predict_ms, "accuracy": acc, "chosen": getattr(clf, "_fit_method", algorithm)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
