"""Fixtures of `unroll import model.h5` (tests/Unroll.Tests/Tool/KerasImportTests.cs), without TensorFlow.

Each model is written by hand in the exact layout Keras 2 `model.save("x.h5")` gives (root attributes `model_config`
(JSON, bytes), `keras_version` "2.15.0", `backend` "tensorflow"; group `model_weights` with `layer_names` (an array of
bytes), one group per layer with `weight_names` (bytes, e.g. b"lstm/lstm_cell/kernel:0"; an empty float64 array for a
layer without weights, as h5py stores Keras' empty list) and the datasets at model_weights/<layer>/<weight name>), with
seeded random weights. Each model's output for a seeded input is computed here in NumPy from Keras' own equations
(float64 on the float32 weights, Keras' gate orders), and saved beside it as <name>.json: input, its shape, output, its
shape.

Run with /usr/bin/python3 (h5py, numpy): python3 make_keras_fixtures.py
"""
import json
import math
import os

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
BATCH = 2


# ------------------------------------------------------------------------------------------------
# Keras' equations (batch-first [B, T, F], float64)

def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def act(name, x):
    if name == "linear":
        return x
    if name == "tanh":
        return np.tanh(x)
    if name == "relu":
        return np.maximum(x, 0.0)
    if name == "sigmoid":
        return sigmoid(x)
    if name in ("swish", "silu"):
        return x * sigmoid(x)
    if name == "gelu":
        # tf.keras.activations.gelu(approximate=False): x·Φ(x), with erf.
        return 0.5 * x * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))
    if name.startswith("leaky_relu:"):
        return np.where(x > 0, x, float(name.split(":")[1]) * x)
    raise ValueError(name)


def dense(x, kernel, bias, activation="linear"):
    y = x @ kernel.astype(np.float64)
    if bias is not None:
        y = y + bias
    return act(activation, y)


def lstm(x, kernel, recurrent, bias, return_sequences=True, reverse=False):
    """Keras LSTM: z = x·W + h·U + b, gates i, f, c, o; c = f·c + i·tanh(z_c); h = o·tanh(c)."""
    b, t, _ = x.shape
    hidden = recurrent.shape[0]
    h = np.zeros((b, hidden))
    c = np.zeros((b, hidden))
    out = np.zeros((b, t, hidden))
    steps = range(t - 1, -1, -1) if reverse else range(t)
    for s in steps:
        z = x[:, s] @ kernel + h @ recurrent + bias
        i, f, g, o = (z[:, k * hidden:(k + 1) * hidden] for k in range(4))
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        out[:, s] = h
    return out if return_sequences else h


def gru(x, kernel, recurrent, bias, return_sequences=True, reverse=False):
    """Keras GRU, reset_after=True: gates z, r, h; bias [2, 3H] (input, recurrent); hh = tanh(x·W_h + b_h + r·(h·U_h + rb_h))."""
    b, t, _ = x.shape
    hidden = recurrent.shape[0]
    h = np.zeros((b, hidden))
    out = np.zeros((b, t, hidden))
    steps = range(t - 1, -1, -1) if reverse else range(t)
    for s in steps:
        xi = x[:, s] @ kernel + bias[0]
        hr = h @ recurrent + bias[1]
        z = sigmoid(xi[:, :hidden] + hr[:, :hidden])
        r = sigmoid(xi[:, hidden:2 * hidden] + hr[:, hidden:2 * hidden])
        hh = np.tanh(xi[:, 2 * hidden:] + r * hr[:, 2 * hidden:])
        h = z * h + (1 - z) * hh
        out[:, s] = h
    return out if return_sequences else h


def simple_rnn(x, kernel, recurrent, bias, activation="tanh", return_sequences=True):
    b, t, _ = x.shape
    hidden = recurrent.shape[0]
    h = np.zeros((b, hidden))
    out = np.zeros((b, t, hidden))
    for s in range(t):
        h = act(activation, x[:, s] @ kernel + h @ recurrent + bias)
        out[:, s] = h
    return out if return_sequences else h


def conv1d(x, kernel, bias, strides=1, dilation=1, padding="valid", activation="linear"):
    """Keras Conv1D, channels_last: kernel [k, in, out]; 'causal' pads (k − 1)·dilation zeros on the left."""
    k = kernel.shape[0]
    span = (k - 1) * dilation
    if padding == "causal":
        x = np.pad(x, ((0, 0), (span, 0), (0, 0)))
    elif padding == "same":
        x = np.pad(x, ((0, 0), (span // 2, span - span // 2), (0, 0)))
    t = (x.shape[1] - span - 1) // strides + 1
    y = np.zeros((x.shape[0], t, kernel.shape[2]))
    for s in range(t):
        for j in range(k):
            y[:, s] += x[:, s * strides + j * dilation] @ kernel[j]
    if bias is not None:
        y += bias
    return act(activation, y)


def batch_norm(x, gamma, beta, mean, variance, epsilon):
    return (x - mean) / np.sqrt(variance + epsilon) * gamma + beta


# ------------------------------------------------------------------------------------------------
# Keras' HDF5 layout

def rng_weights(rng, shape, scale=0.5):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def layer_entry(class_name, config, inbound=None):
    entry = {"module": "keras.layers", "class_name": class_name, "config": config, "registered_name": None}
    if inbound is not None:
        entry["name"] = config["name"]
        entry["inbound_nodes"] = [] if inbound == [] else [[[inbound, 0, 0, {}]]]
    return entry


def write_h5(name, model_config, weights):
    """weights: [(layer name, [(weight name, array)])] in model.layers order (layers without weights included)."""
    with h5py.File(os.path.join(HERE, name + ".h5"), "w") as f:
        f.attrs["backend"] = "tensorflow"
        f.attrs["keras_version"] = "2.15.0"
        f.attrs["model_config"] = json.dumps(model_config).encode("utf8")
        g = f.create_group("model_weights")
        g.attrs["backend"] = b"tensorflow"
        g.attrs["keras_version"] = b"2.15.0"
        g.attrs["layer_names"] = np.array([n.encode("utf8") for n, _ in weights])
        for layer, ws in weights:
            lg = g.create_group(layer)
            # Keras stores its list of names; h5py makes an empty one a float64 array of 0 values.
            lg.attrs["weight_names"] = np.array([w.encode("utf8") for w, _ in ws]) if ws else np.asarray([])
            for w, value in ws:
                lg.create_dataset(w, data=value)


def sequential(layers, name="sequential"):
    return {"class_name": "Sequential", "config": {"name": name, "layers": layers}}


def input_layer(shape, name):
    return layer_entry("InputLayer", {"batch_input_shape": [None, *shape], "dtype": "float32", "sparse": False, "ragged": False, "name": name})


def rnn_config(name, units, input_shape=None, **extra):
    config = {
        "name": name, "trainable": True, "dtype": "float32", "return_sequences": True, "return_state": False,
        "go_backwards": False, "stateful": False, "unroll": False, "time_major": False, "units": units,
        "activation": "tanh", "use_bias": True, "dropout": 0.0, "recurrent_dropout": 0.0,
    }
    if input_shape is not None:
        config["batch_input_shape"] = [None, *input_shape]
    config.update(extra)
    return config


def save_reference(name, x, y):
    with open(os.path.join(HERE, name + ".json"), "w") as f:
        json.dump({"input_shape": list(x.shape), "input": [float(v) for v in x.ravel()] if x.dtype.kind == "f" else [int(v) for v in x.ravel()],
                   "output_shape": list(y.shape), "output": [float(v) for v in np.asarray(y, np.float32).ravel()]}, f)


def recurrent_weights(rng, inputs, units, gates, gru_bias=False):
    kernel = rng_weights(rng, (inputs, gates * units))
    recurrent = rng_weights(rng, (units, gates * units))
    bias = rng_weights(rng, (2, gates * units) if gru_bias else (gates * units,), 0.3)
    return kernel, recurrent, bias


def main():
    rng = np.random.default_rng(20261207)

    # 1. LSTM(4) over [5, 3], every step.
    k, r, b = recurrent_weights(rng, 3, 4, 4)
    write_h5("lstm", sequential([input_layer([5, 3], "lstm_input"),
                                 layer_entry("LSTM", rnn_config("lstm", 4, [5, 3], recurrent_activation="sigmoid", unit_forget_bias=True, implementation=2))]),
             [("lstm", [("lstm/lstm_cell/kernel:0", k), ("lstm/lstm_cell/recurrent_kernel:0", r), ("lstm/lstm_cell/bias:0", b)])])
    x = rng.standard_normal((BATCH, 5, 3)).astype(np.float32)
    save_reference("lstm", x, lstm(x, k, r, b))

    # 2. GRU(4), reset_after=True, its time axis open (imported with --sequence-length 6).
    k, r, b = recurrent_weights(rng, 3, 4, 3, gru_bias=True)
    write_h5("gru", sequential([input_layer([None, 3], "gru_input"),
                                layer_entry("GRU", rnn_config("gru", 4, [None, 3], recurrent_activation="sigmoid", reset_after=True, implementation=2))]),
             [("gru", [("gru/gru_cell/kernel:0", k), ("gru/gru_cell/recurrent_kernel:0", r), ("gru/gru_cell/bias:0", b)])])
    x = rng.standard_normal((BATCH, 6, 3)).astype(np.float32)
    save_reference("gru", x, gru(x, k, r, b))

    # 3. GRU reset_after=False (Keras 1's cell, TF1's default): bias [3H]. Must be refused.
    k, r, b = recurrent_weights(rng, 3, 4, 3)
    write_h5("bad_gru_reset_before", sequential([input_layer([5, 3], "gru_input"),
                                                 layer_entry("GRU", rnn_config("gru", 4, [5, 3], recurrent_activation="sigmoid", reset_after=False))]),
             [("gru", [("gru/gru_cell/kernel:0", k), ("gru/gru_cell/recurrent_kernel:0", r), ("gru/gru_cell/bias:0", b)])])

    # 4. SimpleRNN(4, relu).
    k, r, b = recurrent_weights(rng, 3, 4, 1)
    k, r = k * 0.6, r * 0.6
    write_h5("simple_rnn_relu", sequential([input_layer([5, 3], "simple_rnn_input"),
                                            layer_entry("SimpleRNN", rnn_config("simple_rnn", 4, [5, 3], activation="relu"))]),
             [("simple_rnn", [("simple_rnn/simple_rnn_cell/kernel:0", k), ("simple_rnn/simple_rnn_cell/recurrent_kernel:0", r), ("simple_rnn/simple_rnn_cell/bias:0", b)])])
    x = rng.standard_normal((BATCH, 5, 3)).astype(np.float32)
    save_reference("simple_rnn_relu", x, simple_rnn(x, k, r, b, "relu"))

    # 5. Bidirectional(LSTM(4), return_sequences=False) → Dense(2), many-to-one.
    kf, rf, bf = recurrent_weights(rng, 3, 4, 4)
    kb, rb, bb = recurrent_weights(rng, 3, 4, 4)
    kd, bd = rng_weights(rng, (8, 2)), rng_weights(rng, (2,), 0.3)
    inner = rnn_config("lstm", 4, recurrent_activation="sigmoid", return_sequences=False)
    backward = dict(inner, name="backward_lstm", go_backwards=True)
    write_h5("bidirectional_lstm_dense", sequential([
        input_layer([7, 3], "bidirectional_input"),
        layer_entry("Bidirectional", {"name": "bidirectional", "trainable": True, "dtype": "float32", "batch_input_shape": [None, 7, 3],
                                      "layer": layer_entry("LSTM", dict(inner, name="forward_lstm")), "merge_mode": "concat",
                                      "backward_layer": layer_entry("LSTM", backward)}),
        layer_entry("Dense", {"name": "dense", "trainable": True, "dtype": "float32", "units": 2, "activation": "linear", "use_bias": True})]),
        [("bidirectional", [("bidirectional/forward_lstm/lstm_cell/kernel:0", kf), ("bidirectional/forward_lstm/lstm_cell/recurrent_kernel:0", rf),
                            ("bidirectional/forward_lstm/lstm_cell/bias:0", bf), ("bidirectional/backward_lstm/lstm_cell/kernel:0", kb),
                            ("bidirectional/backward_lstm/lstm_cell/recurrent_kernel:0", rb), ("bidirectional/backward_lstm/lstm_cell/bias:0", bb)]),
         ("dense", [("dense/kernel:0", kd), ("dense/bias:0", bd)])])
    x = rng.standard_normal((BATCH, 7, 3)).astype(np.float32)
    h = np.concatenate([lstm(x, kf, rf, bf, False), lstm(x, kb, rb, bb, False, reverse=True)], axis=1)
    save_reference("bidirectional_lstm_dense", x, dense(h, kd, bd))

    # 6. Embedding(10, 4) → GRU(5) → TimeDistributed(Dense(3)), token input.
    emb = rng_weights(rng, (10, 4), 1.0)
    k, r, b = recurrent_weights(rng, 4, 5, 3, gru_bias=True)
    kd, bd = rng_weights(rng, (5, 3)), rng_weights(rng, (3,), 0.3)
    write_h5("embedding_gru_dense", sequential([
        layer_entry("InputLayer", {"batch_input_shape": [None, 6], "dtype": "int32", "sparse": False, "ragged": False, "name": "embedding_input"}),
        layer_entry("Embedding", {"name": "embedding", "trainable": True, "dtype": "float32", "batch_input_shape": [None, 6], "input_dim": 10,
                                  "output_dim": 4, "mask_zero": False, "input_length": 6}),
        layer_entry("GRU", rnn_config("gru", 5, recurrent_activation="sigmoid", reset_after=True)),
        layer_entry("TimeDistributed", {"name": "time_distributed", "trainable": True, "dtype": "float32",
                                        "layer": layer_entry("Dense", {"name": "dense", "trainable": True, "dtype": "float32", "units": 3,
                                                                       "activation": "linear", "use_bias": True})})]),
        [("embedding", [("embedding/embeddings:0", emb)]),
         ("gru", [("gru/gru_cell/kernel:0", k), ("gru/gru_cell/recurrent_kernel:0", r), ("gru/gru_cell/bias:0", b)]),
         ("time_distributed", [("time_distributed/kernel:0", kd), ("time_distributed/bias:0", bd)])])
    tokens = rng.integers(0, 10, (BATCH, 6)).astype(np.int64)
    save_reference("embedding_gru_dense", tokens, dense(gru(emb[tokens].astype(np.float64), k, r, b), kd, bd))

    # 7. Functional: Conv1D(4, 3, causal, dilation 2) → BatchNormalization → Activation(relu) → Dropout → LSTM(5) → Dense(3, tanh).
    kc, bc = rng_weights(rng, (3, 3, 4)), rng_weights(rng, (4,), 0.3)
    gamma, beta = (1 + rng_weights(rng, (4,), 0.2)), rng_weights(rng, (4,), 0.2)
    mean, var = rng_weights(rng, (4,), 0.3), (0.5 + rng.random(4)).astype(np.float32)
    k, r, b = recurrent_weights(rng, 4, 5, 4)
    kd, bd = rng_weights(rng, (5, 3)), rng_weights(rng, (3,), 0.3)
    layers = [
        layer_entry("InputLayer", {"batch_input_shape": [None, 8, 3], "dtype": "float32", "sparse": False, "ragged": False, "name": "features"}, []),
        layer_entry("Conv1D", {"name": "conv1d", "trainable": True, "dtype": "float32", "filters": 4, "kernel_size": [3], "strides": [1],
                               "padding": "causal", "data_format": "channels_last", "dilation_rate": [2], "groups": 1, "activation": "linear",
                               "use_bias": True}, "features"),
        layer_entry("BatchNormalization", {"name": "batch_normalization", "trainable": True, "dtype": "float32", "axis": [2], "momentum": 0.99,
                                           "epsilon": 0.001, "center": True, "scale": True}, "conv1d"),
        layer_entry("Activation", {"name": "activation", "trainable": True, "dtype": "float32", "activation": "relu"}, "batch_normalization"),
        layer_entry("Dropout", {"name": "dropout", "trainable": True, "dtype": "float32", "rate": 0.25, "noise_shape": None, "seed": None}, "activation"),
        layer_entry("LSTM", rnn_config("lstm", 5, recurrent_activation="sigmoid"), "dropout"),
        layer_entry("Dense", {"name": "dense", "trainable": True, "dtype": "float32", "units": 3, "activation": "tanh", "use_bias": True}, "lstm"),
    ]
    write_h5("conv_batchnorm_relu_lstm", {"class_name": "Functional", "config": {"name": "model", "trainable": True, "layers": layers,
                                                                                 "input_layers": [["features", 0, 0]], "output_layers": [["dense", 0, 0]]}},
             [("features", []), ("conv1d", [("conv1d/kernel:0", kc), ("conv1d/bias:0", bc)]),
              ("batch_normalization", [("batch_normalization/gamma:0", gamma), ("batch_normalization/beta:0", beta),
                                       ("batch_normalization/moving_mean:0", mean), ("batch_normalization/moving_variance:0", var)]),
              ("activation", []), ("dropout", []),
              ("lstm", [("lstm/lstm_cell/kernel:0", k), ("lstm/lstm_cell/recurrent_kernel:0", r), ("lstm/lstm_cell/bias:0", b)]),
              ("dense", [("dense/kernel:0", kd), ("dense/bias:0", bd)])])
    x = rng.standard_normal((BATCH, 8, 3)).astype(np.float32)
    y = act("relu", batch_norm(conv1d(x, kc, bc, dilation=2, padding="causal"), gamma, beta, mean, var, 0.001))
    save_reference("conv_batchnorm_relu_lstm", x, dense(lstm(y, k, r, b), kd, bd, "tanh"))

    # 8. Conv1D(5, 3, same, gelu) → Conv1D(4, 2, strides 2, swish) → LeakyReLU(0.3) → Dense(2): the other options.
    kc1, bc1 = rng_weights(rng, (3, 3, 5)), rng_weights(rng, (5,), 0.3)
    kc2, bc2 = rng_weights(rng, (2, 5, 4)), rng_weights(rng, (4,), 0.3)
    kd, bd = rng_weights(rng, (4, 2)), rng_weights(rng, (2,), 0.3)
    conv = {"trainable": True, "dtype": "float32", "data_format": "channels_last", "dilation_rate": [1], "groups": 1, "use_bias": True}
    write_h5("conv_same_strided_activations", sequential([
        input_layer([9, 3], "conv1d_input"),
        layer_entry("Conv1D", dict(conv, name="conv1d", filters=5, kernel_size=[3], strides=[1], padding="same", activation="gelu")),
        layer_entry("Conv1D", dict(conv, name="conv1d_1", filters=4, kernel_size=[2], strides=[2], padding="valid", activation="swish")),
        layer_entry("LeakyReLU", {"name": "leaky_re_lu", "trainable": True, "dtype": "float32", "alpha": 0.3}),
        layer_entry("Dense", {"name": "dense", "trainable": True, "dtype": "float32", "units": 2, "activation": "linear", "use_bias": True})]),
        [("conv1d", [("conv1d/kernel:0", kc1), ("conv1d/bias:0", bc1)]), ("conv1d_1", [("conv1d_1/kernel:0", kc2), ("conv1d_1/bias:0", bc2)]),
         ("leaky_re_lu", []), ("dense", [("dense/kernel:0", kd), ("dense/bias:0", bd)])])
    x = rng.standard_normal((BATCH, 9, 3)).astype(np.float32)
    y = conv1d(conv1d(x, kc1, bc1, padding="same", activation="gelu"), kc2, bc2, strides=2, activation="swish")
    save_reference("conv_same_strided_activations", x, dense(act("leaky_relu:0.3", y), kd, bd))

    # 9. Bidirectional(GRU(3), every step) → SimpleRNN(4, tanh, last step) → Dense(2, sigmoid).
    kf, rf, bf = recurrent_weights(rng, 2, 3, 3, gru_bias=True)
    kb, rb, bb = recurrent_weights(rng, 2, 3, 3, gru_bias=True)
    k, r, b = recurrent_weights(rng, 6, 4, 1)
    kd, bd = rng_weights(rng, (4, 2)), rng_weights(rng, (2,), 0.3)
    inner = rnn_config("gru", 3, recurrent_activation="sigmoid", reset_after=True)
    write_h5("bidirectional_gru_simple_rnn", sequential([
        input_layer([6, 2], "bidirectional_input"),
        layer_entry("Bidirectional", {"name": "bidirectional", "trainable": True, "dtype": "float32", "layer": layer_entry("GRU", dict(inner, name="forward_gru")),
                                      "merge_mode": "concat", "backward_layer": layer_entry("GRU", dict(inner, name="backward_gru", go_backwards=True))}),
        layer_entry("SimpleRNN", rnn_config("simple_rnn", 4, return_sequences=False)),
        layer_entry("Dense", {"name": "dense", "trainable": True, "dtype": "float32", "units": 2, "activation": "sigmoid", "use_bias": True})]),
        [("bidirectional", [("bidirectional/forward_gru/gru_cell/kernel:0", kf), ("bidirectional/forward_gru/gru_cell/recurrent_kernel:0", rf),
                            ("bidirectional/forward_gru/gru_cell/bias:0", bf), ("bidirectional/backward_gru/gru_cell/kernel:0", kb),
                            ("bidirectional/backward_gru/gru_cell/recurrent_kernel:0", rb), ("bidirectional/backward_gru/gru_cell/bias:0", bb)]),
         ("simple_rnn", [("simple_rnn/simple_rnn_cell/kernel:0", k), ("simple_rnn/simple_rnn_cell/recurrent_kernel:0", r), ("simple_rnn/simple_rnn_cell/bias:0", b)]),
         ("dense", [("dense/kernel:0", kd), ("dense/bias:0", bd)])])
    x = rng.standard_normal((BATCH, 6, 2)).astype(np.float32)
    h = np.concatenate([gru(x, kf, rf, bf), gru(x, kb, rb, bb, reverse=True)], axis=2)
    save_reference("bidirectional_gru_simple_rnn", x, dense(simple_rnn(h, k, r, b, return_sequences=False), kd, bd, "sigmoid"))

    # Bad: a classifier's Dense(3, softmax), layer 3 of 3.
    k, r, b = recurrent_weights(rng, 3, 4, 4)
    write_h5("bad_softmax", sequential([
        input_layer([5, 3], "lstm_input"),
        layer_entry("LSTM", rnn_config("lstm", 4, [5, 3], recurrent_activation="sigmoid", return_sequences=False)),
        layer_entry("Dense", {"name": "dense", "units": 3, "activation": "softmax", "use_bias": True})]),
        [("lstm", [("lstm/lstm_cell/kernel:0", k), ("lstm/lstm_cell/recurrent_kernel:0", r), ("lstm/lstm_cell/bias:0", b)]),
         ("dense", [("dense/kernel:0", rng_weights(rng, (4, 3))), ("dense/bias:0", rng_weights(rng, (3,)))])])

    # Bad: weights only (model.save_weights("x.h5")): layer_names at the root, no model_config.
    with h5py.File(os.path.join(HERE, "bad_weights_only.h5"), "w") as f:
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.15.0"
        f.attrs["layer_names"] = np.array([b"dense"])
        g = f.create_group("dense")
        g.attrs["weight_names"] = np.array([b"dense/kernel:0", b"dense/bias:0"])
        g.create_dataset("dense/kernel:0", data=rng_weights(rng, (3, 2)))
        g.create_dataset("dense/bias:0", data=rng_weights(rng, (2,)))

    # Bad: a Functional model with a residual branch: add([dense, dense_1]) takes two layers (layer 4 of 4).
    d = {"trainable": True, "dtype": "float32", "units": 3, "activation": "linear", "use_bias": True}
    write_h5("bad_branch", {"class_name": "Functional", "config": {"name": "model", "layers": [
        layer_entry("InputLayer", {"batch_input_shape": [None, 5, 3], "dtype": "float32", "name": "features"}, []),
        layer_entry("Dense", dict(d, name="dense"), "features"),
        layer_entry("Dense", dict(d, name="dense_1"), "dense"),
        dict(layer_entry("Add", {"name": "add", "trainable": True, "dtype": "float32"}), name="add", inbound_nodes=[[["dense", 0, 0, {}], ["dense_1", 0, 0, {}]]])],
        "input_layers": [["features", 0, 0]], "output_layers": [["add", 0, 0]]}},
        [("features", []), ("dense", [("dense/kernel:0", rng_weights(rng, (3, 3))), ("dense/bias:0", rng_weights(rng, (3,)))]),
         ("dense_1", [("dense_1/kernel:0", rng_weights(rng, (3, 3))), ("dense_1/bias:0", rng_weights(rng, (3,)))]), ("add", [])])

    # Bad: a MultiHeadAttention layer (layer 3 of 4).
    k, r, b = recurrent_weights(rng, 3, 4, 4)
    write_h5("bad_attention", sequential([
        input_layer([5, 3], "lstm_input"),
        layer_entry("LSTM", rnn_config("lstm", 4, [5, 3], recurrent_activation="sigmoid")),
        layer_entry("Dropout", {"name": "dropout", "rate": 0.1}),
        layer_entry("MultiHeadAttention", {"name": "attention", "num_heads": 2, "key_dim": 2}),
        layer_entry("Dense", {"name": "dense", "units": 2, "activation": "linear", "use_bias": True})]),
        [("lstm", [("lstm/lstm_cell/kernel:0", k), ("lstm/lstm_cell/recurrent_kernel:0", r), ("lstm/lstm_cell/bias:0", b)]),
         ("dropout", []),
         ("attention", [("attention/query/kernel:0", rng_weights(rng, (4, 2, 2)))]),
         ("dense", [("dense/kernel:0", rng_weights(rng, (4, 2))), ("dense/bias:0", rng_weights(rng, (2,)))])])

    # Bad: an LSTM whose recurrent kernel is [4, 12] instead of [4, 16].
    k, r, b = recurrent_weights(rng, 3, 4, 4)
    write_h5("bad_shape", sequential([input_layer([5, 3], "lstm_input"),
                                      layer_entry("LSTM", rnn_config("lstm", 4, [5, 3], recurrent_activation="sigmoid"))]),
             [("lstm", [("lstm/lstm_cell/kernel:0", k), ("lstm/lstm_cell/recurrent_kernel:0", r[:, :12]), ("lstm/lstm_cell/bias:0", b)])])


if __name__ == "__main__":
    main()
