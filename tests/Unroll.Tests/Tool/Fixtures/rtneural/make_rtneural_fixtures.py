"""Fixtures of `unroll import model.json` for RTNeural's JSON models (tests/Unroll.Tests/Tool/RtNeuralImportTests.cs).

The format is the one RTNeural's loader reads (RTNeural/model_loader.h, json_parser::parseJson), as its Keras exporter
writes it: {"in_shape": [null, null, features], "layers": [{"type", "shape": [null, null, units], "activation",
"weights": [...], ...}]}, the weights in Keras' layouts (dense kernel [in][out] and bias; lstm kernel [in][4H] with gates
i, f, c, o, recurrent kernel [H][4H], bias [4H]; gru kernel [in][3H] with gates z, r, h, recurrent kernel, bias [2][3H];
conv1d kernel [k][in/groups][out] and bias, with "kernel_size", "dilation", "groups", run causally as RTNeural streams it;
batchnorm gamma, beta, mean, variance and "epsilon"). Each model's output for a seeded input is computed in NumPy with
the equations of make_keras_fixtures.py (RTNeural's layers are Keras' cells run one step at a time from zero states) and
saved as <name>.output.json.

Run with /usr/bin/python3 (numpy): python3 make_rtneural_fixtures.py
"""
import importlib.util
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("keras_fixtures", os.path.join(HERE, "..", "keras", "make_keras_fixtures.py"))
K = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(K)
BATCH = 2


def tolist(a):
    return np.asarray(a, np.float32).tolist()


def save(name, in_shape, layers):
    with open(os.path.join(HERE, name + ".json"), "w") as f:
        json.dump({"in_shape": in_shape, "layers": layers}, f)


def save_reference(name, x, y):
    with open(os.path.join(HERE, name + ".output.json"), "w") as f:
        json.dump({"input_shape": list(x.shape), "input": [float(v) for v in x.ravel()],
                   "output_shape": list(y.shape), "output": [float(v) for v in np.asarray(y, np.float32).ravel()]}, f)


def grouped_conv1d(x, kernel, bias, dilation, groups):
    """Causal Conv1D with channel groups: kernel [k, in/groups, out]."""
    per_in, per_out = kernel.shape[1], kernel.shape[2] // groups
    parts = [K.conv1d(x[:, :, g * per_in:(g + 1) * per_in], kernel[:, :, g * per_out:(g + 1) * per_out], bias[g * per_out:(g + 1) * per_out],
                      dilation=dilation, padding="causal") for g in range(groups)]
    return np.concatenate(parts, axis=2)


def main():
    rng = np.random.default_rng(20261208)
    w = K.rng_weights

    # 1. dense(4, tanh) → dense(2, linear), with a fixed time axis of 8 in in_shape.
    k1, b1, k2, b2 = w(rng, (3, 4)), w(rng, (4,), 0.3), w(rng, (4, 2)), w(rng, (2,), 0.3)
    save("dense_tanh", [None, 8, 3], [
        {"type": "dense", "activation": "tanh", "shape": [None, 8, 4], "weights": [tolist(k1), tolist(b1)]},
        {"type": "dense", "activation": "", "shape": [None, 8, 2], "weights": [tolist(k2), tolist(b2)]}])
    x = rng.standard_normal((BATCH, 8, 3)).astype(np.float32)
    save_reference("dense_tanh", x, K.dense(K.dense(x, k1, b1, "tanh"), k2, b2))

    # 2. lstm(6) → dense(1): the amp-modelling shape RTNeural is made for.
    k, r, b = K.recurrent_weights(rng, 1, 6, 4)
    kd, bd = w(rng, (6, 1)), w(rng, (1,), 0.3)
    save("lstm", [None, None, 1], [
        {"type": "lstm", "activation": "tanh", "shape": [None, None, 6], "weights": [tolist(k), tolist(r), tolist(b)]},
        {"type": "dense", "activation": "", "shape": [None, None, 1], "weights": [tolist(kd), tolist(bd)]}])
    x = rng.standard_normal((BATCH, 10, 1)).astype(np.float32)
    save_reference("lstm", x, K.dense(K.lstm(x, k, r, b), kd, bd))

    # 3. gru(5) → dense(1).
    k, r, b = K.recurrent_weights(rng, 2, 5, 3, gru_bias=True)
    kd, bd = w(rng, (5, 1)), w(rng, (1,), 0.3)
    save("gru", [None, None, 2], [
        {"type": "gru", "activation": "tanh", "shape": [None, None, 5], "weights": [tolist(k), tolist(r), tolist(b)]},
        {"type": "dense", "activation": "", "shape": [None, None, 1], "weights": [tolist(kd), tolist(bd)]}])
    x = rng.standard_normal((BATCH, 10, 2)).astype(np.float32)
    save_reference("gru", x, K.dense(K.gru(x, k, r, b), kd, bd))

    # 4. conv1d(4, k 3, dilation 2, relu) → conv1d(4, k 2, groups 2) → batchnorm → activation(tanh) → gru(3) → dense(1, sigmoid).
    kc1, bc1 = w(rng, (3, 2, 4)), w(rng, (4,), 0.3)
    kc2, bc2 = w(rng, (2, 2, 4)), w(rng, (4,), 0.3)
    gamma, beta = 1 + w(rng, (4,), 0.2), w(rng, (4,), 0.2)
    mean, var = w(rng, (4,), 0.3), (0.5 + rng.random(4)).astype(np.float32)
    k, r, b = K.recurrent_weights(rng, 4, 3, 3, gru_bias=True)
    kd, bd = w(rng, (3, 1)), w(rng, (1,), 0.3)
    save("conv1d", [None, None, 2], [
        {"type": "conv1d", "activation": "relu", "shape": [None, None, 4], "kernel_size": [3], "dilation": [2], "groups": 1,
         "weights": [tolist(kc1), tolist(bc1)]},
        {"type": "conv1d", "activation": "", "shape": [None, None, 4], "kernel_size": [2], "dilation": [1], "groups": 2,
         "weights": [tolist(kc2), tolist(bc2)]},
        {"type": "batchnorm", "shape": [None, None, 4], "epsilon": 0.001, "weights": [tolist(gamma), tolist(beta), tolist(mean), tolist(var)]},
        {"type": "activation", "activation": "tanh", "shape": [None, None, 4], "weights": []},
        {"type": "gru", "activation": "tanh", "shape": [None, None, 3], "weights": [tolist(k), tolist(r), tolist(b)]},
        {"type": "dense", "activation": "sigmoid", "shape": [None, None, 1], "weights": [tolist(kd), tolist(bd)]}])
    x = rng.standard_normal((BATCH, 9, 2)).astype(np.float32)
    y = K.conv1d(x, kc1, bc1, dilation=2, padding="causal", activation="relu")
    y = np.tanh(K.batch_norm(grouped_conv1d(y, kc2, bc2, 1, 2), gamma, beta, mean, var, 0.001))
    save_reference("conv1d", x, K.dense(K.gru(y, k, r, b), kd, bd, "sigmoid"))

    # Bad: a PReLU (layer 2 of 3), which Unroll has no layer for.
    save("bad_prelu", [None, None, 1], [
        {"type": "dense", "activation": "", "shape": [None, None, 4], "weights": [tolist(w(rng, (1, 4))), tolist(w(rng, (4,)))]},
        {"type": "prelu", "shape": [None, None, 4], "weights": [[tolist(w(rng, (4,)))]]},
        {"type": "dense", "activation": "", "shape": [None, None, 1], "weights": [tolist(w(rng, (4, 1))), tolist(w(rng, (1,)))]}])

    # Bad: an LSTM whose recurrent kernel is [6][20] instead of [6][24].
    k, r, b = K.recurrent_weights(rng, 1, 6, 4)
    save("bad_shape", [None, None, 1], [
        {"type": "lstm", "activation": "tanh", "shape": [None, None, 6], "weights": [tolist(k), tolist(r[:, :20]), tolist(b)]}])


if __name__ == "__main__":
    main()
