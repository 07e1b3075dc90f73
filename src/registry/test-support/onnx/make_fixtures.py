#!/usr/bin/python3
"""Makes the ONNX import fixtures of src/registry/onnx-import.test.ts with other tools.

Needs Debian's python3-torch and python3-onnx (apt-get install -y python3-onnx python3-torch).
Regenerate with:  /usr/bin/python3 src/registry/test-support/onnx/make_fixtures.py
The tests read the committed .onnx files and expected-*.json; they never run Python.

- torch-classifier.onnx: a small PyTorch MLP (3 numeric inputs → 3 classes, logits), exported by
  torch.onnx.export with a dynamic batch axis. Expected: torch.softmax of the model's own output.
- torch-regressor-b1.onnx: a PyTorch linear regressor exported with a fixed batch of 1 (mloop
  must feed it row by row). Expected: the PyTorch model's outputs.
- onnx-helper-mixed.onnx: a graph built with onnx.helper: numeric [N, 2] float input through
  MatMul/Add plus a string [N, 1] input through ai.onnx.ml LabelEncoder, then Sigmoid (a binary
  classifier with one probability column). Expected: the same formula in numpy (onnx 1.12 has no
  reference evaluator).
"""
import json
import os

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(7)
rng = np.random.default_rng(7)


def write_json(name, value):
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(value, f, indent=1)
        f.write("\n")


# 1. PyTorch MLP classifier, dynamic batch
class Mlp(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))

    def forward(self, x):
        return self.net(x)


mlp = Mlp().eval()
x = rng.normal(size=(12, 3)).astype(np.float32)
with torch.no_grad():
    probs = torch.softmax(mlp(torch.from_numpy(x)), dim=1).numpy()
torch.onnx.export(
    mlp, torch.zeros(1, 3), os.path.join(HERE, "torch-classifier.onnx"),
    input_names=["features"], output_names=["logits"],
    dynamic_axes={"features": {0: "batch"}, "logits": {0: "batch"}}, opset_version=13,
)
write_json("expected-torch-classifier.json", {
    "producer": f"torch {torch.__version__}",
    "columns": {"a": x[:, 0].tolist(), "b": x[:, 1].tolist(), "c": x[:, 2].tolist()},
    "classes": ["red", "green", "blue"],
    "probabilities": probs.tolist(),
})

# 2. PyTorch regressor, fixed batch of 1
reg = torch.nn.Linear(2, 1).eval()
xr = rng.normal(size=(5, 2)).astype(np.float32)
with torch.no_grad():
    yr = reg(torch.from_numpy(xr)).numpy()[:, 0]
torch.onnx.export(reg, torch.zeros(1, 2), os.path.join(HERE, "torch-regressor-b1.onnx"), input_names=["x"], output_names=["y"], opset_version=13)
write_json("expected-torch-regressor-b1.json", {
    "producer": f"torch {torch.__version__}",
    "columns": {"u": xr[:, 0].tolist(), "v": xr[:, 1].tolist()},
    "values": yr.tolist(),
})

# 3. onnx.helper graph: numeric + categorical inputs, one probability column
w = np.array([[0.75], [-1.5]], dtype=np.float32)
b = np.array([0.25], dtype=np.float32)
plans = ["basic", "pro", "team"]
plan_weights = [-0.5, 1.0, 0.3]
nodes = [
    helper.make_node("MatMul", ["num", "w"], ["lin"]),
    helper.make_node("LabelEncoder", ["plan"], ["plan_w"], domain="ai.onnx.ml", keys_strings=plans, values_floats=plan_weights, default_float=0.0),
    helper.make_node("Add", ["lin", "plan_w"], ["s1"]),
    helper.make_node("Add", ["s1", "b"], ["s2"]),
    helper.make_node("Sigmoid", ["s2"], ["p_yes"]),
]
graph = helper.make_graph(
    nodes, "mixed",
    [helper.make_tensor_value_info("num", TensorProto.FLOAT, ["N", 2]), helper.make_tensor_value_info("plan", TensorProto.STRING, ["N", 1])],
    [helper.make_tensor_value_info("p_yes", TensorProto.FLOAT, ["N", 1])],
    [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")],
)
model = helper.make_model(graph, producer_name="onnx.helper", opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("ai.onnx.ml", 2)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, os.path.join(HERE, "onnx-helper-mixed.onnx"))
xm = rng.normal(size=(6, 2)).astype(np.float32)
pm = ["basic", "pro", "team", "unknown", "", "pro"]
s = (xm @ w)[:, 0] + np.array([dict(zip(plans, plan_weights)).get(p, 0.0) for p in pm], dtype=np.float32) + b[0]
p = 1 / (1 + np.exp(-s.astype(np.float64)))
write_json("expected-onnx-helper-mixed.json", {
    "producer": f"onnx {onnx.__version__}",
    "columns": {"tenure": xm[:, 0].tolist(), "spend": xm[:, 1].tolist(), "plan": [q if q else None for q in pm]},
    "classes": ["no", "yes"],
    "p_yes": p.tolist(),
})
print("wrote fixtures to", HERE)
