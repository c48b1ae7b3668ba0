"""Fixtures of `unroll inspect` (tests/Unroll.Tests/Tool/InspectTests.cs): a small ONNX model exported by PyTorch and an
HDF5 file in a Keras model's layout (model_weights/<layer>/<layer>/<weight>:0, and optimizer state beside it).
Run with Debian's python3-torch and python3-h5py: /usr/bin/python3 make_inspect_fixtures.py  (writes lstm.onnx, dense.h5).
"""
import json
import os

import h5py
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(0)

# nn.LSTM(3, 4) batch-first: its three initializers (W, R, B) in ONNX's layout.
lstm = torch.nn.LSTM(3, 4, batch_first=True)
torch.onnx.export(lstm, (torch.randn(1, 5, 3),), os.path.join(HERE, "lstm.onnx"), input_names=["x"], output_names=["y", "h", "c"], opset_version=14)

# A Keras Dense(4) on 3 features, with an int64 optimizer counter that is not a parameter.
with h5py.File(os.path.join(HERE, "dense.h5"), "w") as f:
    f.attrs["model_config"] = json.dumps({"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": {"name": "dense", "units": 4}}]}})
    g = f.create_group("model_weights/dense/dense")
    g.create_dataset("kernel:0", data=np.arange(12, dtype=np.float32).reshape(3, 4))
    g.create_dataset("bias:0", data=np.zeros(4, dtype=np.float32))
    f.create_dataset("optimizer_weights/iter:0", data=np.array(7, dtype=np.int64))
