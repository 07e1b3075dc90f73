#!/usr/bin/env python3
"""XGBoost's test-set probabilities on Adult, for a paired (McNemar) comparison with mloop.

Fits the reference pipeline of ../shared/peers/adult_baselines.py (its own build('xgb') and load(), with
n_jobs from OMP_NUM_THREADS when set; the model does not depend on it) on adult_train.csv and writes
{"p": P(>50K) per adult_test.csv row, "y": labels} as JSON to --out.

Usage: OMP_NUM_THREADS=1 /usr/bin/python3 bench/adult-xgb-predictions.py --peers /work/shared/peers --out /tmp/xgb.json
"""
import argparse
import json
import os
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--peers", required=True, help="folder holding adult_baselines.py")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    sys.path.insert(0, a.peers)
    import adult_baselines as ab

    Xtr, ytr, _ = ab.load("adult_train.csv")
    Xte, yte, _ = ab.load("adult_test.csv")
    pipe = ab.build("xgb")
    threads = os.environ.get("OMP_NUM_THREADS")
    if threads:
        pipe.set_params(clf__n_jobs=int(threads))
    pipe.fit(Xtr, ytr)
    p = pipe.predict_proba(Xte)[:, 1]
    with open(a.out, "w") as f:
        json.dump({"p": [float(v) for v in p], "y": [int(v) for v in yte]}, f)


if __name__ == "__main__":
    main()
