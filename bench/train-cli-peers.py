#!/usr/bin/env python3
"""Peers for bench/train-cli.bench.mjs (scikit-learn, fastText CLI), on data that is not in shared/.

  export DIR            write scikit-learn's bundled tables (breast_cancer, wine, digits) as
                        DIR/<name>-train.csv and DIR/<name>-test.csv (stratified 70/30, seed 0)
  peer KIND TRAIN TEST LABEL TEXT P SEED
                        KIND: hgb (HistGradientBoostingClassifier), svc (TF-IDF + LinearSVC as
                        in peers/sk_text.py), ft (fastText CLI, -epoch 25 -lr 0.5 -wordNgrams 2).
                        Fits on a seeded stratified 80 % of TRAIN (as `mloop train` does), picks the
                        lowest confidence threshold whose precision on the other 20 % is >= P, and
                        reports test accuracy, coverage and precision at that threshold, fit seconds.
Prints one JSON object.
"""
import csv, json, os, re, subprocess, sys, tempfile, time
import numpy as np


def export(d):
    from sklearn import datasets
    from sklearn.model_selection import train_test_split
    for name, loader in [("breast_cancer", datasets.load_breast_cancer), ("wine", datasets.load_wine), ("digits", datasets.load_digits)]:
        b = loader()
        cols = [re.sub(r"[^a-z0-9]+", "_", str(c).lower()).strip("_") for c in b.feature_names]
        y = np.array([str(b.target_names[t]) if name != "digits" else f"d{t}" for t in b.target])
        tr, te = train_test_split(np.arange(len(y)), test_size=0.3, stratify=y, random_state=0)
        for part, idx in (("train", tr), ("test", te)):
            with open(os.path.join(d, f"{name}-{part}.csv"), "w", newline="") as f:
                w = csv.writer(f)
                w.writerow(cols + ["label"])
                for i in idx:
                    w.writerow([repr(float(v)) for v in b.data[i]] + [y[i]])


def read(path, label, text):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    y = np.array([r[label] for r in rows])
    if text:
        return [r[text] for r in rows], y
    cols = [c for c in rows[0].keys() if c != label]
    return np.array([[float(r[c]) for c in cols] for r in rows]), y


def threshold_at(conf, correct, p):
    order = np.argsort(-conf)
    c, ok = conf[order], correct[order].astype(float)
    prec = np.cumsum(ok) / np.arange(1, len(ok) + 1)
    best = None
    for k in range(len(c)):
        if (k + 1 == len(c) or c[k + 1] < c[k]) and prec[k] >= p:
            best = c[k]
    return best


def norm(t):
    return re.sub(r"\s+", " ", re.sub(r"([.!?,'/()\"])", r" \1 ", t.lower())).strip()


def fit_predict(kind, Xtr, ytr, Xs, seed):
    """Returns (fit seconds, [(pred, conf) per X in Xs])."""
    if kind == "ft":
        d = tempfile.mkdtemp()
        with open(f"{d}/train.txt", "w") as f:
            for t, l in zip(Xtr, ytr):
                f.write(f"__label__{l} {norm(t)}\n")
        t0 = time.perf_counter()
        subprocess.run(["fasttext", "supervised", "-input", f"{d}/train.txt", "-output", f"{d}/m", "-thread", "2", "-seed", str(seed), "-epoch", "25", "-lr", "0.5", "-wordNgrams", "2"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        fit = time.perf_counter() - t0
        out = []
        for X in Xs:
            with open(f"{d}/x.txt", "w") as f:
                f.write("".join(norm(t) + "\n" for t in X))
            lines = subprocess.run(["fasttext", "predict-prob", f"{d}/m.bin", f"{d}/x.txt", "1"], check=True, capture_output=True, text=True).stdout.splitlines()
            pr = [l.split(" ") for l in lines]
            out.append((np.array([p[0][len("__label__"):] for p in pr]), np.array([float(p[1]) for p in pr])))
        return fit, out
    if kind == "svc":
        sys.path.insert(0, "/work/shared/peers")
        import sk_text
        model = sk_text.build("svc")
    else:
        from sklearn.ensemble import HistGradientBoostingClassifier
        model = HistGradientBoostingClassifier(random_state=seed)
    t0 = time.perf_counter()
    model.fit(Xtr, ytr)
    fit = time.perf_counter() - t0
    out = []
    for X in Xs:
        s = model.decision_function(X) if kind == "svc" else model.predict_proba(X)
        if s.ndim == 1:  # binary LinearSVC: one margin
            s = np.stack([-s, s], 1)
        out.append((model.classes_[s.argmax(1)], s.max(1)))
    return fit, out


def peer(kind, train, test, label, text, p, seed):
    from sklearn.model_selection import train_test_split
    X, y = read(train, label, text)
    Xt, yt = read(test, label, text)
    tr, va = train_test_split(np.arange(len(y)), test_size=0.2, stratify=y, random_state=seed)
    sub = (lambda idx: [X[i] for i in idx]) if text else (lambda idx: X[idx])
    fit, [(pv, cv), (pt, ct)] = fit_predict(kind, sub(tr), y[tr], [sub(va), Xt], seed)
    t = threshold_at(cv, pv == y[va], p)
    acc = float((pt == yt).mean())
    res = {"kind": kind, "fit_seconds": fit, "accuracy": acc, "threshold": None if t is None else float(t)}
    if t is not None:
        auto = ct >= t
        res["coverage"] = float(auto.mean())
        res["precision"] = float((pt[auto] == yt[auto]).mean()) if auto.any() else None
    print(json.dumps(res))


if __name__ == "__main__":
    if sys.argv[1] == "export":
        export(sys.argv[2])
    else:
        k, tr, te, lab, txt, p, seed = sys.argv[2:9]
        peer(k, tr, te, lab, txt if txt != "-" else None, float(p), int(seed))
