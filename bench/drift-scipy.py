#!/usr/bin/env python3
"""The scipy side of bench/drift-elec2.bench.mjs: the same KS (numeric) and chi-square (categorical)
tests on the same generated files, timed, with peak RSS.

usage: /usr/bin/python3 bench/drift-scipy.py DATA_DIR REF_ROWS CUR_ROWS N_NUM N_CAT
"""
import json
import os
import resource
import sys
import time

import numpy as np
import scipy
from scipy import stats


def load(data_dir, tag, c, n_num):
    dtype = np.float64 if c < n_num else np.int32
    return np.fromfile(os.path.join(data_dir, "%s_%d.bin" % (tag, c)), dtype=dtype)


def main():
    data_dir, ref_rows, cur_rows, n_num, n_cat = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    t0 = time.perf_counter()
    ref = [load(data_dir, "ref", c, n_num) for c in range(n_num + n_cat)]
    cur = [load(data_dir, "cur%d" % cur_rows, c, n_num) for c in range(n_num + n_cat)]
    io_ms = (time.perf_counter() - t0) * 1000
    results = []
    t1 = time.perf_counter()
    for c in range(n_num):
        r = stats.ks_2samp(ref[c], cur[c], method="auto")
        results.append({"feature": "x%d" % c, "statistic": float(r.statistic), "p": float(r.pvalue)})
    t2 = time.perf_counter()
    for c in range(n_num, n_num + n_cat):
        k = int(max(ref[c].max(), cur[c].max())) + 1
        table = np.vstack([np.bincount(ref[c], minlength=k), np.bincount(cur[c], minlength=k)])
        table = table[:, table.sum(axis=0) > 0]
        chi, p, dof, _ = stats.chi2_contingency(table, correction=False)
        results.append({"feature": "k%d" % (c - n_num), "statistic": float(chi), "p": float(p)})
    t3 = time.perf_counter()
    print(json.dumps({
        "rows": cur_rows, "ioMs": io_ms, "ksMs": (t2 - t1) * 1000, "chi2Ms": (t3 - t2) * 1000,
        "totalMs": (t3 - t1) * 1000, "maxRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "scipy": scipy.__version__, "numpy": np.__version__, "results": results}))


if __name__ == "__main__":
    main()
