# The peer for bench/serving-http.bench.mjs: FastAPI + uvicorn serving a scikit-learn TF-IDF +
# LinearSVC model trained on the same CSV, answering the same request and response shape.
# Usage: /usr/bin/python3 bench/serving-fastapi.py <train.csv> <port>
import csv
import sys

import uvicorn
from fastapi import FastAPI
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import make_union, make_pipeline
from sklearn.svm import LinearSVC

path, port = sys.argv[1], int(sys.argv[2])
with open(path, newline="") as f:
    rows = list(csv.DictReader(f))
texts = [r["text"] for r in rows]
labels = [r["intent"] for r in rows]
model = make_pipeline(
    make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
    ),
    LinearSVC(C=1.0),
)
model.fit(texts, labels)
app = FastAPI()


@app.post("/predict")
def predict(body: dict):
    instances = body["instances"]
    scores = model.decision_function([i["text"] for i in instances])
    out = []
    for row in scores:
        best = int(row.argmax())
        out.append({"label": str(model.classes_[best]), "score": float(row[best])})
    return {"predictions": out}


print("ready", flush=True)
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
