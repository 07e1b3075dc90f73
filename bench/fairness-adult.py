#!/usr/bin/env python3
"""Fixed-model predictions on UCI Adult for bench/fairness-adult.mjs.

Trains a model exactly as /work/shared/peers/adult_baselines.py does (its own `load`, `build`
and `fairness` functions are imported, not copied), predicts the test set, and writes one JSON
per model with y_true, the probability of '>50K', yhat (p >= 0.5), the `sex` column, and the
peer's numpy fairness numbers for `sex`.

Usage: /usr/bin/python3 bench/fairness-adult.py --model lr --out /tmp/adult-lr.json
"""
import argparse
import json
import os
import sys

PEERS = os.environ.get("MLOOP_PEERS", "/work/shared/peers")
sys.path.insert(0, PEERS)
import adult_baselines as peer  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, choices=["lr", "hgb", "xgb"])
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    Xtr, ytr, _ = peer.load("adult_train.csv")
    Xte, yte, sex = peer.load("adult_test.csv")
    pipe = peer.build(a.model)
    pipe.fit(Xtr, ytr)
    p = pipe.predict_proba(Xte)[:, 1]
    yhat = (p >= 0.5).astype(int)
    out = {
        "model": a.model,
        "y_true": [int(v) for v in yte],
        "p": [float(v) for v in p],
        "yhat": [int(v) for v in yhat],
        "sex": [str(v) for v in sex],
        "accuracy": float((yhat == yte).mean()),
        "numpy_fairness_sex": peer.fairness(yte, yhat, sex),
    }
    with open(a.out, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
