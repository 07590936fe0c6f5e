"""scikit-learn reference for bench/mlp.ts: MLPClassifier on Letter (first 16,000 rows train,
last 4,000 test, features standardised with the training rows' mean and std), the same
architecture, batch size, epochs and optimiser as Quorum's mlp. Prints one JSON line.

Usage: /usr/bin/python3 bench/python/mlp.py DATA.csv --epochs 20 --reps 3 [--hidden 64]
Time per epoch = fit time / n_iter_ (early stopping off, tol 0, so n_iter_ == epochs).
"""
import argparse
import json
import os
import sys
import time
import warnings

try:
    import numpy as np
    import pandas as pd
    from sklearn.neural_network import MLPClassifier
except ImportError as e:  # the bench prints how to install and runs the Node side alone
    print(json.dumps({"error": f"{e}; install with: apt-get install -y python3-sklearn python3-pandas"}))
    sys.exit(0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--train", type=int, default=16000)
    ap.add_argument("--seed", type=int, default=1, help="random_state of the first rep")
    args = ap.parse_args()

    df = pd.read_csv(args.data)
    y = df["lettr"].values
    x = df.drop(columns=["lettr"]).values.astype(np.float32)
    xtr, xte, ytr, yte = x[: args.train], x[args.train :], y[: args.train], y[args.train :]
    mean, std = xtr.mean(0), xtr.std(0)
    xtr, xte = (xtr - mean) / std, (xte - mean) / std

    runs = []
    for rep in range(args.reps):
        clf = MLPClassifier(
            hidden_layer_sizes=(args.hidden,),
            activation="relu",
            solver="adam",
            alpha=0.0,
            batch_size=64,
            learning_rate_init=1e-3,
            max_iter=args.epochs,
            shuffle=True,
            random_state=args.seed + rep,
            tol=0.0,
            n_iter_no_change=10**9,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning: max_iter reached, as intended
            t = time.perf_counter()
            clf.fit(xtr, ytr)
            dt = time.perf_counter() - t
        runs.append({"msPerEpoch": dt * 1000 / clf.n_iter_, "accuracy": float((clf.predict(xte) == yte).mean()), "epochs": clf.n_iter_})
    import sklearn

    print(json.dumps({"sklearn": sklearn.__version__, "threads": os.environ.get("OMP_NUM_THREADS", "default"), "runs": runs}))


if __name__ == "__main__":
    main()
