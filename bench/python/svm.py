"""scikit-learn reference for bench/svm.ts on Letter (first 16,000 rows train, last 4,000 test,
standardised with the training rows' mean and std), one thread:
LinearSVC (squared hinge, C=1, tol and max_iter as given) on all training rows, and SVC (rbf,
gamma 'scale', C=1) on the first `--subsample` training rows, where SVC's time grows fast.
Prints one JSON line: fit and predict milliseconds and test accuracy of each.

Usage: /usr/bin/python3 bench/python/svm.py DATA.csv [--subsample 4000] [--tol 1e-3] [--max-iter 1000]
"""
import argparse
import json
import sys
import time
import warnings

try:
    import numpy as np
    import pandas as pd
    import sklearn
    from sklearn.svm import SVC, LinearSVC
except ImportError as e:
    print(json.dumps({"error": f"{e}; install with: apt-get install -y python3-sklearn python3-pandas"}))
    sys.exit(0)


def timed(clf, xtr, ytr, xte, yte):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter: reported by the bench
        t = time.perf_counter()
        clf.fit(xtr, ytr)
        fit_ms = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    pred = clf.predict(xte)
    predict_ms = (time.perf_counter() - t) * 1000
    return {"fitMs": fit_ms, "predictMs": predict_ms, "accuracy": float((pred == yte).mean())}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--subsample", type=int, default=4000)
    ap.add_argument("--tol", type=float, default=1e-3)
    ap.add_argument("--max-iter", type=int, default=1000)
    args = ap.parse_args()
    df = pd.read_csv(args.data)
    y = df["lettr"].values
    x = df.drop(columns=["lettr"]).values.astype(np.float64)
    xtr, xte, ytr, yte = x[:16000], x[16000:], y[:16000], y[16000:]
    mean, std = xtr.mean(0), xtr.std(0)
    std[std == 0] = 1
    xtr, xte = (xtr - mean) / std, (xte - mean) / std
    out = {"sklearn": sklearn.__version__}
    out["linear"] = timed(LinearSVC(C=1.0, loss="squared_hinge", dual=True, tol=args.tol, max_iter=args.max_iter, random_state=1), xtr, ytr, xte, yte)
    s = args.subsample
    out["rbf"] = timed(SVC(C=1.0, kernel="rbf", gamma="scale"), xtr[:s], ytr[:s], xte, yte)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
