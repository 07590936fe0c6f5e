"""pandas read_csv side by side with Quorum's ingestion (bench/ingest.ts runs this).

usage: /usr/bin/python3 bench/python/ingest.py FILE [--runs N]
Prints one JSON object: seconds per run, rows, columns, baseline RSS and peak RSS of the first run (MB).
Each run is a plain `pd.read_csv(FILE)` with default options (C engine, type inference, NA tokens).
"""
import argparse
import gc
import json
import resource
import sys
import time


def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    try:
        import pandas as pd
    except ImportError:
        print(json.dumps({"error": "pandas is not installed for /usr/bin/python3: apt-get install -y python3-pandas"}))
        return
    baseline = rss_mb()
    seconds = []
    rows = cols = 0
    peak = 0.0
    for i in range(args.runs):
        gc.collect()
        t0 = time.perf_counter()
        df = pd.read_csv(args.file)
        seconds.append(time.perf_counter() - t0)
        rows, cols = df.shape
        if i == 0:
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        del df
    print(json.dumps({"seconds": seconds, "rows": rows, "columns": cols, "baselineRssMB": baseline,
                      "peakRssMB": peak, "pandas": pd.__version__}))


if __name__ == "__main__":
    sys.exit(main())
