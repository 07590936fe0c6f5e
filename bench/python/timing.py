"""Timing of a reference model as the Node benchmarks time Quorum's: one fit, and the median of five
prediction calls on the test rows."""
import time


def fit_and_predict(model, Xtr, ytr, Xte, predict):
    """Fits `model`, then calls `predict(model, Xte)` five times: (fit seconds, median predict seconds, last prediction)."""
    t = time.perf_counter()
    model.fit(Xtr, ytr)
    fit_s = time.perf_counter() - t
    times = []
    pred = None
    for _ in range(5):  # median of 5 calls, as the Node side does
        t = time.perf_counter()
        pred = predict(model, Xte)
        times.append(time.perf_counter() - t)
    return fit_s, sorted(times)[2], pred
