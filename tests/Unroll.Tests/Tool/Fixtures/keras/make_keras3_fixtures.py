"""Fixtures of `unroll import model.keras` and of Keras 3's `model.save("model.h5")` (KerasImportTests.cs), without Keras.

Each model is written twice, with the same seeded weights and one NumPy reference (<name>.json, from Keras' equations in
make_keras_fixtures.py), in the layouts Keras 3.16 (github.com/keras-team/keras) writes:

* <name>.keras, keras/src/saving/saving_lib.py, `_save_model_to_fileobj`: a zip of metadata.json (`keras_version`,
  `date_saved`), config.json (`serialize_keras_object(model)`: module, class_name, config, registered_name, build_config)
  and model.weights.h5 (`H5IOStore`). `_save_state` walks the model: `_walk_saveable` yields the model's `layers` first,
  and `_save_container_state` paths each layer of that list by its class name in snake case, made unique in the list
  (`naming.to_snake_case`, `_get_unique_name`: "layers/lstm", "layers/lstm_1", "layers/input_layer"), not by the
  layer's name. Each saveable's `save_own_variables` (keras/src/layers/layer.py) stores its own variables as
  "<path>/vars/0", "1"… in the order `_trainable_variables + _non_trainable_variables` (the order `build` adds them);
  `H5IOStore.make` writes the group at once, with a `name` attribute (the layer's name), when the saveable has a name.
  Children are then walked by attribute name: an RNN's `cell` (keras/src/layers/rnn/rnn.py), a Bidirectional's
  `forward_layer` and `backward_layer` (keras/src/layers/rnn/bidirectional.py), a TimeDistributed's `layer`
  (keras/src/layers/core/wrapper.py).
* <name>.h5, keras/src/legacy/saving/legacy_h5_format.py, `save_model_to_hdf5`: the root attributes `model_config`
  (`saving_utils.model_metadata` under `use_legacy_config`: {"class_name", "config"}, each layer by
  keras/src/legacy/saving/serialization.py's `serialize_keras_object`, which writes no module, registered_name or
  build_config; a Bidirectional's or TimeDistributed's inner layer keeps the new format), `keras_version`, `backend`;
  `save_weights_to_hdf5_group`: `layer_names` (`model.layers`: a Sequential's omits its InputLayer,
  keras/src/models/sequential.py), one group per layer with `weight_names` = each variable's `path` (no ":0", e.g.
  "sequential/lstm/lstm_cell/kernel", `_legacy_weights`: trainable then non-trainable), and `top_level_model_weights`.

The variables each layer's `build` adds, in order: Dense (keras/src/layers/core/dense.py, its
`variable_serialization_spec`) kernel [in, out], bias; Embedding (embedding.py) embeddings; Conv1D
(keras/src/layers/convolutional/base_conv.py, `save_own_variables`) kernel [k, in, out], bias; BatchNormalization
(keras/src/layers/normalization/batch_normalization.py) gamma if scale, beta if center, moving_mean, moving_variance;
LSTMCell, GRUCell, SimpleRNNCell (keras/src/layers/rnn/lstm.py, gru.py, simple_rnn.py) kernel, recurrent_kernel, bias
(a reset-after GRU's [2, 3H]).

Run with /usr/bin/python3 (h5py, numpy): python3 make_keras3_fixtures.py
"""
import io
import json
import os
import re
import zipfile

import h5py
import numpy as np

from make_keras_fixtures import (BATCH, act, batch_norm, conv1d, dense, gru, lstm, recurrent_weights, rng_weights,
                                 save_reference, simple_rnn)

HERE = os.path.dirname(os.path.abspath(__file__))
KERAS_VERSION = "3.16.0"
FLOAT32 = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}


def snake_case(name):
    """keras/src/utils/naming.py, `to_snake_case`."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def initializer(name, **config):
    return {"module": "keras.initializers", "class_name": name, "config": config, "registered_name": None}


# ------------------------------------------------------------------------------------------------
# Layers: their Keras 3 config, and their variables as their `build` adds them

class Layer:
    """One layer: its class, its config (get_config), its build input shape, and its variables by attribute path:
    {"": [own variables], "cell": [...], "forward_layer/cell": [...]}, each a (legacy path, array), and the names of
    the saveables inside it by attribute path ({"cell": "lstm_cell"})."""

    def __init__(self, class_name, config, input_shape, variables=None, inbound=None, inner=None):
        self.class_name, self.config, self.input_shape = class_name, config, input_shape
        self.variables = variables or {}
        self.inner = inner or {}
        self.inbound = inbound

    @property
    def name(self):
        return self.config["name"]

    def entry(self, legacy=False):
        """serialization_lib.serialize_keras_object (.keras) or the legacy serialize_keras_object (.h5)."""
        entry = {"class_name": self.class_name, "config": self.config}
        if not legacy:
            entry = {"module": "keras.layers", **entry, "registered_name": None}
            if self.input_shape is not None:
                entry["build_config"] = {"input_shape": self.input_shape}
        if self.inbound is not None:
            # functional.py, get_config and serialize_node: the inbound tensors by their keras_history.
            entry["name"] = self.name
            entry["inbound_nodes"] = [] if not self.inbound else [{
                "args": [{"class_name": "__keras_tensor__",
                          "config": {"shape": self.input_shape, "dtype": "float32", "keras_history": [self.inbound, 0, 0]}}],
                "kwargs": {}}]
        return entry


def base(name, **config):
    return {"name": name, "trainable": True, "dtype": FLOAT32, **config}


def input_layer(name, shape, dtype="float32", inbound=None):
    # keras/src/layers/core/input_layer.py, get_config.
    return Layer("InputLayer", {"batch_shape": [None, *shape], "dtype": dtype, "sparse": False, "ragged": False, "name": name,
                                "optional": False}, None, inbound=inbound)


def dense_config(name, units, activation="linear", use_bias=True):
    return base(name, units=units, activation=activation, use_bias=use_bias, kernel_initializer=initializer("GlorotUniform", seed=None),
                bias_initializer=initializer("Zeros"), kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                bias_constraint=None, quantization_config=None)


def dense_layer(name, units, inputs, kernel, bias, activation="linear", inbound=None, prefix="sequential/"):
    return Layer("Dense", dense_config(name, units, activation), inputs,
                 {"": [(f"{prefix}{name}/kernel", kernel), (f"{prefix}{name}/bias", bias)]}, inbound)


def rnn_config(class_name, name, units, **extra):
    """lstm.py, gru.py, simple_rnn.py get_config (the RNN's keys from rnn.py), Keras 3's defaults."""
    config = base(name, return_sequences=True, return_state=False, go_backwards=False, stateful=False, unroll=False,
                  zero_output_for_mask=False, units=units, activation="tanh", use_bias=True,
                  kernel_initializer=initializer("GlorotUniform", seed=None), recurrent_initializer=initializer("Orthogonal", seed=None, gain=1.0),
                  bias_initializer=initializer("Zeros"), kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                  activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                  recurrent_dropout=0.0, seed=None)
    if class_name != "SimpleRNN":
        config["recurrent_activation"] = "sigmoid"
    if class_name == "LSTM":
        config["unit_forget_bias"] = True
    if class_name == "GRU":
        config["reset_after"] = True
        config["use_cudnn"] = "auto"
    config.update(extra)
    return config


def cell_variables(path, cell, weights):
    """An RNN cell's kernel, recurrent_kernel, bias (its build's order), with their legacy paths."""
    return [(f"{path}/{cell}/{role}", w) for role, w in zip(("kernel", "recurrent_kernel", "bias"), weights)]


def recurrent_layer(class_name, name, units, inputs, weights, inbound=None, prefix="sequential/", **extra):
    cell = snake_case(class_name) + "_cell"
    return Layer(class_name, rnn_config(class_name, name, units, **extra), inputs,
                 {"cell": cell_variables(prefix + name, cell, weights)}, inbound, {"cell": cell})


def bidirectional_layer(class_name, inner_name, units, inputs, forward, backward, prefix="sequential/", **extra):
    """bidirectional.py: the forward layer renamed forward_<name>, the backward one backward_<name>, go_backwards."""
    cell = snake_case(class_name) + "_cell"
    layer = {"module": "keras.layers", "class_name": class_name, "config": rnn_config(class_name, f"forward_{inner_name}", units, **extra),
             "registered_name": None, "build_config": {"input_shape": inputs}}
    backward_layer = {**layer, "config": rnn_config(class_name, f"backward_{inner_name}", units, go_backwards=True, **extra)}
    return Layer("Bidirectional", base("bidirectional", merge_mode="concat", layer=layer, backward_layer=backward_layer), inputs,
                 {"forward_layer/cell": cell_variables(f"{prefix}bidirectional/forward_{inner_name}", cell, forward),
                  "backward_layer/cell": cell_variables(f"{prefix}bidirectional/backward_{inner_name}", cell, backward)},
                 inner={"forward_layer": f"forward_{inner_name}", "forward_layer/cell": cell,
                        "backward_layer": f"backward_{inner_name}", "backward_layer/cell": cell})


# ------------------------------------------------------------------------------------------------
# Writers

def keras_archive(path, model_config, layers, entries=None, saved_names=None):
    """saving_lib._save_model_to_fileobj: metadata.json, config.json, model.weights.h5 (entries: which to write;
    saved_names: another name written on a layer's vars group, for a bad file).
    A Sequential's `layers` omits its InputLayer (sequential.py); a Functional's has it (functional.py)."""
    weights = io.BytesIO()
    with h5py.File(weights, "w") as f:
        # _save_state of the model itself: its (empty) own variables, with its name.
        f.create_group("vars").attrs["name"] = model_config["config"]["name"]
        used = {}
        for layer in layers:
            if model_config["class_name"] == "Sequential" and layer.class_name == "InputLayer":
                continue
            # _save_container_state: the class name in snake case, then _1, _2… for the next of the same class.
            name = snake_case(layer.class_name)
            used[name] = used.get(name, -1) + 1
            inner = "layers/" + (name if used[name] == 0 else f"{name}_{used[name]}")
            f.create_group(inner + "/vars").attrs["name"] = (saved_names or {}).get(layer.name, layer.name)
            for attribute, name in layer.inner.items():
                f.create_group(f"{inner}/{attribute}/vars").attrs["name"] = name
            for attribute, variables in layer.variables.items():
                group = f.require_group(f"{inner}/{attribute}/vars" if attribute else f"{inner}/vars")
                for i, (_, value) in enumerate(variables):
                    group[str(i)] = value
    members = {"metadata.json": json.dumps({"keras_version": KERAS_VERSION, "date_saved": "2026-12-07@12:00:00"}),
               "config.json": json.dumps(model_config), "model.weights.h5": weights.getvalue()}
    with zipfile.ZipFile(path, "w") as z:
        for member in entries or members:
            # A fixed time, so that the script writes the same bytes each run.
            z.writestr(zipfile.ZipInfo(member, date_time=(2026, 12, 7, 12, 0, 0)), members[member])


def legacy_h5(path, model_config, layers, sequential):
    """legacy_h5_format.save_model_to_hdf5 and save_weights_to_hdf5_group."""
    saved = [layer for layer in layers if not (sequential and layer.class_name == "InputLayer")]
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = KERAS_VERSION
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps(model_config).encode("utf8")
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = np.array([layer.name.encode("utf8") for layer in saved])
        g.attrs["backend"] = b"tensorflow"
        g.attrs["keras_version"] = KERAS_VERSION.encode("utf8")
        for layer in sorted(saved, key=lambda x: x.name):
            lg = g.create_group(layer.name)
            # _legacy_weights: trainable then non-trainable; the forward layer's before the backward one's.
            variables = [v for vs in layer.variables.values() for v in vs]
            lg.attrs["weight_names"] = np.array([p.encode("utf8") for p, _ in variables]) if variables else np.asarray([])
            for p, value in variables:
                lg.create_dataset(p, data=value)
        g.create_group("top_level_model_weights").attrs["weight_names"] = np.asarray([])


def model_config(layers, functional, input_shape, legacy=False):
    """The model's config: serialize_keras_object(model) (.keras) or model_metadata's {"class_name", "config"} (.h5)."""
    entries = [layer.entry(legacy) for layer in layers]
    if functional:
        config = {"name": "functional", "trainable": True, "layers": entries,
                  "input_layers": [layers[0].name, 0, 0], "output_layers": [layers[-1].name, 0, 0]}
        root = {"module": "keras.src.models.functional", "class_name": "Functional", "config": config, "registered_name": "Functional"}
    else:
        config = {"name": "sequential", "trainable": True, "dtype": FLOAT32, "layers": entries, "build_input_shape": input_shape}
        root = {"module": "keras", "class_name": "Sequential", "config": config, "registered_name": None}
    if legacy:
        return {"class_name": root["class_name"], "config": config}
    return {**root, "build_config": {"input_shape": input_shape}, "compile_config": None}


def write_both(name, layers, functional=False):
    shape = layers[0].config["batch_shape"]
    keras_archive(os.path.join(HERE, name + ".keras"), model_config(layers, functional, shape), layers)
    legacy_h5(os.path.join(HERE, name + ".h5"), model_config(layers, functional, shape, legacy=True), layers, not functional)


# ------------------------------------------------------------------------------------------------

def main():
    rng = np.random.default_rng(20261208)

    # 1. LSTM(4) over [5, 3], every step.
    w = recurrent_weights(rng, 3, 4, 4)
    write_both("keras3_lstm", [input_layer("input_layer", [5, 3]), recurrent_layer("LSTM", "lstm", 4, [None, 5, 3], w)])
    x = rng.standard_normal((BATCH, 5, 3)).astype(np.float32)
    save_reference("keras3_lstm", x, lstm(x, *w))

    # 2. Bidirectional(GRU(3), every step) → SimpleRNN(4, relu, last step) → Dense(2, sigmoid).
    wf = recurrent_weights(rng, 2, 3, 3, gru_bias=True)
    wb = recurrent_weights(rng, 2, 3, 3, gru_bias=True)
    wr = [v * 0.6 for v in recurrent_weights(rng, 6, 4, 1)]
    kd, bd = rng_weights(rng, (4, 2)), rng_weights(rng, (2,), 0.3)
    write_both("keras3_bidirectional_gru", [
        input_layer("input_layer", [6, 2]),
        bidirectional_layer("GRU", "gru", 3, [None, 6, 2], wf, wb),
        recurrent_layer("SimpleRNN", "simple_rnn", 4, [None, 6, 6], wr, activation="relu", return_sequences=False),
        dense_layer("dense", 2, [None, 4], kd, bd, "sigmoid")])
    x = rng.standard_normal((BATCH, 6, 2)).astype(np.float32)
    h = np.concatenate([gru(x, *wf), gru(x, *wb, reverse=True)], axis=2)
    save_reference("keras3_bidirectional_gru", x, dense(simple_rnn(h, *wr, activation="relu", return_sequences=False), kd, bd, "sigmoid"))

    # 3. Embedding(10, 4) → GRU(5) → Dropout → TimeDistributed(Dense(3)) → Dense(2): token input, two Dense layers
    #    (layers/dense inside layers/time_distributed/layer, and layers/dense itself).
    emb = rng_weights(rng, (10, 4), 1.0)
    wg = recurrent_weights(rng, 4, 5, 3, gru_bias=True)
    kt, bt = rng_weights(rng, (5, 3)), rng_weights(rng, (3,), 0.3)
    kd, bd = rng_weights(rng, (3, 2)), rng_weights(rng, (2,), 0.3)
    inner = {"module": "keras.layers", "class_name": "Dense", "config": dense_config("dense", 3), "registered_name": None,
             "build_config": {"input_shape": [None, 5]}}
    write_both("keras3_embedding_gru_dense", [
        input_layer("input_layer", [6], "int32"),
        Layer("Embedding", base("embedding", input_dim=10, output_dim=4, embeddings_initializer=initializer("RandomUniform", minval=-0.05, maxval=0.05, seed=None),
                                embeddings_regularizer=None, activity_regularizer=None, embeddings_constraint=None, mask_zero=False,
                                quantization_config=None), [None, 6], {"": [("sequential/embedding/embeddings", emb)]}),
        recurrent_layer("GRU", "gru", 5, [None, 6, 4], wg),
        Layer("Dropout", base("dropout", rate=0.2, seed=None, noise_shape=None), [None, 6, 5]),
        Layer("TimeDistributed", base("time_distributed", layer=inner), [None, 6, 5],
              {"layer": [("sequential/time_distributed/dense/kernel", kt), ("sequential/time_distributed/dense/bias", bt)]}, inner={"layer": "dense"}),
        dense_layer("dense_1", 2, [None, 6, 3], kd, bd)])
    tokens = rng.integers(0, 10, (BATCH, 6)).astype(np.int64)
    save_reference("keras3_embedding_gru_dense", tokens, dense(dense(gru(emb[tokens].astype(np.float64), *wg), kt, bt), kd, bd))

    # 4. Functional: Conv1D(4, 3, causal, dilation 2) → BatchNormalization(center=False: gamma, moving_mean,
    #    moving_variance as vars 0, 1, 2) → LeakyReLU(0.1) → LSTM(5, last step) → Dense(3, tanh).
    kc, bc = rng_weights(rng, (3, 3, 4)), rng_weights(rng, (4,), 0.3)
    gamma = 1 + rng_weights(rng, (4,), 0.2)
    mean, var = rng_weights(rng, (4,), 0.3), (0.5 + rng.random(4)).astype(np.float32)
    wl = recurrent_weights(rng, 4, 5, 4)
    kd, bd = rng_weights(rng, (5, 3)), rng_weights(rng, (3,), 0.3)
    conv = base("conv1d", filters=4, kernel_size=[3], strides=[1], padding="causal", data_format="channels_last", dilation_rate=[2],
                groups=1, activation="linear", use_bias=True, kernel_initializer=initializer("GlorotUniform", seed=None),
                bias_initializer=initializer("Zeros"), kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                kernel_constraint=None, bias_constraint=None)
    bn = base("batch_normalization", axis=-1, momentum=0.99, epsilon=0.001, center=False, scale=True, beta_initializer=initializer("Zeros"),
              gamma_initializer=initializer("Ones"), moving_mean_initializer=initializer("Zeros"), moving_variance_initializer=initializer("Ones"),
              beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, synchronized=False, renorm=False,
              renorm_clipping=None, renorm_momentum=0.99)
    write_both("keras3_conv_batchnorm_lstm", [
        input_layer("features", [8, 3], inbound=""),
        Layer("Conv1D", conv, [None, 8, 3], {"": [("conv1d/kernel", kc), ("conv1d/bias", bc)]}, "features"),
        Layer("BatchNormalization", bn, [None, 8, 4], {"": [("batch_normalization/gamma", gamma), ("batch_normalization/moving_mean", mean),
                                                          ("batch_normalization/moving_variance", var)]}, "conv1d"),
        Layer("LeakyReLU", base("leaky_re_lu", negative_slope=0.1), [None, 8, 4], inbound="batch_normalization"),
        recurrent_layer("LSTM", "lstm", 5, [None, 8, 4], wl, inbound="leaky_re_lu", prefix="", return_sequences=False),
        dense_layer("dense", 3, [None, 5], kd, bd, "tanh", inbound="lstm", prefix="")], functional=True)
    x = rng.standard_normal((BATCH, 8, 3)).astype(np.float32)
    y = act("leaky_relu:0.1", batch_norm(conv1d(x, kc, bc, dilation=2, padding="causal"), gamma, 0.0, mean, var, 0.001))
    save_reference("keras3_conv_batchnorm_lstm", x, dense(lstm(y, *wl, return_sequences=False), kd, bd, "tanh"))

    # Bad: an archive without model.weights.h5 (config.json and metadata.json only).
    w = recurrent_weights(rng, 3, 4, 4)
    layers = [input_layer("input_layer", [5, 3]), recurrent_layer("LSTM", "lstm", 4, [None, 5, 3], w)]
    keras_archive(os.path.join(HERE, "keras3_bad_no_weights.keras"), model_config(layers, False, [None, 5, 3]), layers,
                  entries=["metadata.json", "config.json"])

    # Bad: a MultiHeadAttention layer (layer 3 of 4): its variables under layers/multi_head_attention/… are not read.
    layers = [input_layer("input_layer", [5, 3]), recurrent_layer("LSTM", "lstm", 4, [None, 5, 3], recurrent_weights(rng, 3, 4, 4)),
              Layer("MultiHeadAttention", base("multi_head_attention", num_heads=2, key_dim=2), [None, 5, 4],
                    {"query_dense": [("sequential/multi_head_attention/query/kernel", rng_weights(rng, (4, 2, 2)))]}, inner={"query_dense": "query"}),
              dense_layer("dense", 2, [None, 5, 4], rng_weights(rng, (4, 2)), rng_weights(rng, (2,)))]
    keras_archive(os.path.join(HERE, "keras3_bad_attention.keras"), model_config(layers, False, [None, 5, 3]), layers)

    # Bad: a GRU with reset_after=False (its bias [3H]).
    layers = [input_layer("input_layer", [5, 3]), recurrent_layer("GRU", "gru", 4, [None, 5, 3], recurrent_weights(rng, 3, 4, 3), reset_after=False)]
    keras_archive(os.path.join(HERE, "keras3_bad_gru_reset_before.keras"), model_config(layers, False, [None, 5, 3]), layers)

    # Bad: a Dense quantized to int8 (model.quantize("int8")): dtype_policy.py's QuantizedDTypePolicy, and dense.py's
    # variable_serialization_spec["int8"]: kernel (int8), bias, kernel_scale.
    layers = [input_layer("input_layer", [5, 3]), recurrent_layer("LSTM", "lstm", 4, [None, 5, 3], recurrent_weights(rng, 3, 4, 4)),
              dense_layer("dense", 2, [None, 5, 4], rng.integers(-127, 127, (4, 2)).astype(np.int8), rng_weights(rng, (2,)))]
    layers[-1].config["dtype"] = {"module": "keras", "class_name": "QuantizedDTypePolicy", "config": {"mode": "int8", "source_name": "float32"},
                                  "registered_name": None}
    layers[-1].variables[""].append(("sequential/dense/kernel_scale", rng_weights(rng, (2,))))
    keras_archive(os.path.join(HERE, "keras3_bad_quantized.keras"), model_config(layers, False, [None, 5, 3]), layers)

    # Bad: a Dense with LoRA (enable_lora(2)) saved as .h5: _legacy_weights gives its trainable bias, lora_kernel_a and
    # lora_kernel_b, then its frozen kernel (dense.py, enable_lora), unmerged.
    lora = dense_config("dense", 2)
    lora.update(lora_rank=2, lora_alpha=2)
    layers = [input_layer("input_layer", [5, 3]), recurrent_layer("LSTM", "lstm", 4, [None, 5, 3], recurrent_weights(rng, 3, 4, 4)),
              Layer("Dense", lora, [None, 5, 4], {"": [("sequential/dense/bias", rng_weights(rng, (2,))), ("sequential/dense/lora_kernel_a", rng_weights(rng, (4, 2))),
                                                       ("sequential/dense/lora_kernel_b", rng_weights(rng, (2, 2))), ("sequential/dense/kernel", rng_weights(rng, (4, 2)))]})]
    legacy_h5(os.path.join(HERE, "keras3_bad_lora.h5"), model_config(layers, False, [None, 5, 3], legacy=True), layers, True)

    # Bad: weights that are not the config's model's: layers/lstm/vars names another layer (Keras ≥ 3.6 writes the name).
    layers = [input_layer("input_layer", [5, 3]), recurrent_layer("LSTM", "lstm", 4, [None, 5, 3], recurrent_weights(rng, 3, 4, 4))]
    keras_archive(os.path.join(HERE, "keras3_bad_other_weights.keras"), model_config(layers, False, [None, 5, 3]), layers,
                  saved_names={"lstm": "lstm_2"})


if __name__ == "__main__":
    main()
