#!/usr/bin/env python3
"""Wall and CPU seconds of the reference XGBoost pipeline's fit on Adult.

Builds the pipeline with ../shared/peers/adult_baselines.py's own build('xgb') and load(), fits it
once on adult_train.csv and prints {"fit_seconds", "fit_cpu_seconds", "threads"}: process CPU time
(all threads) around pipe.fit, with XGBoost's n_jobs set to OMP_NUM_THREADS when that is set (the peer's
n_jobs=2 would override it), so tabular-adult.bench.mjs can set it beside mloop's fit CPU, which
a loaded machine distorts less than wall time. The peer's own script reports accuracy and AUC.

Usage: OMP_NUM_THREADS=1 /usr/bin/python3 bench/adult-xgb-cpu.py --peers /work/shared/peers
"""
import argparse
import json
import os
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--peers", required=True, help="folder holding adult_baselines.py")
    a = ap.parse_args()
    sys.path.insert(0, a.peers)
    import adult_baselines as ab

    Xtr, ytr, _ = ab.load("adult_train.csv")
    pipe = ab.build("xgb")
    # the peer sets n_jobs=2, which overrides OMP_NUM_THREADS; follow OMP_NUM_THREADS when it is set
    threads = os.environ.get("OMP_NUM_THREADS")
    if threads:
        pipe.set_params(clf__n_jobs=int(threads))
    t0, c0 = time.perf_counter(), time.process_time()
    pipe.fit(Xtr, ytr)
    print(json.dumps({"fit_seconds": time.perf_counter() - t0, "fit_cpu_seconds": time.process_time() - c0,
                      "threads": os.environ.get("OMP_NUM_THREADS", "default (n_jobs=2)")}))


if __name__ == "__main__":
    main()
