#!/usr/bin/env python3
"""The reference side of bench/predict.ts: four scikit-learn RandomForests (25 trees each), one per
seeded shard of Letter's first 16,000 rows, soft-voted in-process (no HTTP): single-row latency
and 10,000-row batch throughput of the vote.

Prints one JSON object. Run with /usr/bin/python3 (Debian's python3-sklearn); `--check` only tests
the imports.
"""
import argparse
import json
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--check', action='store_true')
    ap.add_argument('--data')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--single', type=int, default=1000)
    ap.add_argument('--batches', type=int, default=5)
    a = ap.parse_args()
    import numpy as np
    import pandas as pd
    import sklearn
    from sklearn.ensemble import RandomForestClassifier
    if a.check:
        print(json.dumps({'sklearn': sklearn.__version__, 'numpy': np.__version__, 'pandas': pd.__version__}))
        return
    df = pd.read_csv(a.data)
    y = df['lettr'].to_numpy()
    x = df.drop(columns=['lettr']).to_numpy(dtype=np.float32)
    train_x, train_y, test_x, test_y = x[:16000], y[:16000], x[16000:], y[16000:]
    rng = np.random.default_rng(a.seed)
    order = rng.permutation(16000)
    classes = np.unique(train_y)
    members = []
    for s in range(4):
        rows = order[s::4]
        m = RandomForestClassifier(n_estimators=25, random_state=a.seed + s, n_jobs=1)
        m.fit(train_x[rows], train_y[rows])
        members.append(m)

    def vote(batch):
        out = np.zeros((batch.shape[0], classes.size))
        for m in members:
            out[:, np.searchsorted(classes, m.classes_)] += m.predict_proba(batch)
        return out / len(members)

    accuracy = float(np.mean(classes[vote(test_x).argmax(axis=1)] == test_y))
    single = []
    for i in range(a.single):
        row = test_x[i % 4000:i % 4000 + 1]
        t = time.perf_counter()
        vote(row)
        single.append((time.perf_counter() - t) * 1e3)
    single.sort()
    batch = np.concatenate([test_x, test_x, test_x])[:10000]
    times = []
    for _ in range(a.batches):
        t = time.perf_counter()
        vote(batch)
        times.append(time.perf_counter() - t)
    times.sort()
    print(json.dumps({
        'accuracy': accuracy,
        'singleP50Ms': single[len(single) // 2],
        'singleP99Ms': single[int(len(single) * 0.99)],
        'batchRowsPerS': 10000 / times[len(times) // 2],
    }))


if __name__ == '__main__':
    sys.exit(main())
