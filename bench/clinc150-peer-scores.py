#!/usr/bin/env python3
"""Top decision values of the reference LinearSVC pipeline on CLINC150's val, oos_val, test and oos_test.

Builds the pipeline with ../shared/peers/sk_text.py's own build('svc') on its own data loader, fits
it on the in-scope train rows and writes {split: {"conf": [...], "correct": [...]}} (correct is
null for out-of-scope rows), so text-clinc150.bench.mjs can apply its threshold rules to the peer's
scores as well as to ours, plus "fit_seconds" and "fit_cpu_seconds" (process CPU time around
pipe.fit, which a loaded machine distorts less than wall time; sk_text.py reports wall only).

Usage: /usr/bin/python3 bench/clinc150-peer-scores.py --peers /work/shared/peers --out scores.json
"""
import argparse
import json
import sys
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--peers", required=True, help="folder holding sk_text.py and text_data.py")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    sys.path.insert(0, a.peers)
    import sk_text
    import text_data

    sp = text_data.load("clinc150")
    pipe = sk_text.build("svc")
    t0, c0 = time.perf_counter(), time.process_time()
    pipe.fit(*sp["train"])
    out = {"fit_seconds": time.perf_counter() - t0, "fit_cpu_seconds": time.process_time() - c0}
    for split in ("val", "oos_val", "test", "oos_test"):
        texts, truth = sp[split]
        pred, conf = sk_text.scores(pipe, "svc", list(texts))
        correct = None if split.startswith("oos") else (np.asarray(pred) == np.asarray(truth)).tolist()
        out[split] = {"conf": np.asarray(conf, float).tolist(), "correct": correct}
    with open(a.out, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
