"""Golden data for Unroll's [Pooling], [MaxPool1d] and [AvgPool1d] layers, in the schema of shared/golden (float64 part only).

Each case is a small model run row by row on each row's own steps (a row of length L is the sequence x[b, :L], pooled
as PyTorch pools it alone: windows padded at its own ends, the pool over time of its own steps), so per-row lengths mean
what they mean in Unroll. Window pooling is nn.MaxPool1d / nn.AvgPool1d on the transpose [batch, channels, time] of the
batch-first input; pooling over time is the mean, the max (.max(1), gradient to the arg-max) or the last step of the
row. A sequence output's steps past a row's mapped length are not compared (their loss weights are 0).
loss = sum(w * output**2). Inputs are random, so no window holds two equal maxima.
Run with Debian's python3-torch: /usr/bin/python3 make_pooling_golden.py  (writes pooling_*.json here and
../IO/Fixtures/pooling_maxpool_gru.safetensors).
"""
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def T(t):
    return {"shape": list(t.shape), "values": t.detach().reshape(-1).tolist()}


class Window(torch.nn.Module):
    """nn.MaxPool1d / nn.AvgPool1d on batch-first input."""

    def __init__(self, pool):
        super().__init__()
        self.pool = pool

    def forward(self, x):  # [batch, time, channels]
        return self.pool(x.transpose(1, 2)).transpose(1, 2)


class OverTime(torch.nn.Module):
    """[Pooling(kind)] of one row (batch 1): its steps' mean, maximum or last step."""

    def __init__(self, kind):
        super().__init__()
        self.kind = kind

    def forward(self, x):  # [1, time, channels] -> [1, channels]
        if self.kind == "mean":
            return x.mean(1)
        if self.kind == "max":
            return x.max(1).values
        return x[:, -1]


class Gru(torch.nn.Module):
    def __init__(self, i, h):
        super().__init__()
        self.gru = torch.nn.GRU(i, h, batch_first=True)

    def forward(self, x):
        return self.gru(x)[0]


def case(name, describe, layers, names, batch, time, cin, lengths, out_length):
    """out_length: steps of the output for a row's length, or None when the model ends without a time axis."""
    torch.manual_seed(11)
    model = torch.nn.Sequential(*layers).double()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.float().double())  # values exactly representable in float32
    x = torch.randn(batch, time, cin, dtype=torch.float32).double().requires_grad_()
    outputs = [model(x[b:b + 1, :lengths[b]])[0] for b in range(batch)]
    if out_length is None:
        out = torch.stack(outputs)
        w = torch.randn(out.shape, dtype=torch.float32).double()
    else:
        width = outputs[0].shape[-1]
        steps = out_length(time)
        out = torch.zeros(batch, steps, width, dtype=torch.float64)
        mask = torch.zeros(batch, steps, width, dtype=torch.float64)
        for b, y in enumerate(outputs):
            assert y.shape[0] == out_length(lengths[b]), (y.shape, lengths[b])
            out[b, :y.shape[0]] = y
            mask[b, :y.shape[0]] = 1
        w = torch.randn(batch, steps, width, dtype=torch.float32).double() * mask
    loss = (w * out ** 2).sum()
    loss.backward()
    golden = {
        "case": "pooling_" + name,
        "module": describe,
        "lengths": lengths,
        "loss_weights": {"output": T(w)},
        "float64": {
            "params": {names[n]: T(p) for n, p in model.named_parameters()},
            "inputs": {"x": T(x)},
            "outputs": {"output": T(out)},
            "loss": loss.item(),
            "grad_params": {names[n]: T(p.grad) for n, p in model.named_parameters()},
            "grad_inputs": {"x": T(x.grad)},
        },
    }
    with open(os.path.join(HERE, f"pooling_{name}.json"), "w") as f:
        json.dump(golden, f)


def linear(index, prefix):
    return {f"{index}.weight": f"{prefix}.weight", f"{index}.bias": f"{prefix}.bias"}


def gru(index):
    return {f"{index}.gru.{k}_l0": f"Rnn.{k}_l0" for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}


# Linear(3, 6) -> MaxPool1d(3, stride 2, padding 1) -> GRU(6, 5) -> mean over time -> Linear(5, 2); rows of 9, 4 and 7 steps.
case("maxpool_gru", "Linear(3, 6) -> MaxPool1d(3, stride=2, padding=1) -> GRU(6, 5) -> mean over time -> Linear(5, 2), batch-first, rows alone",
     [torch.nn.Linear(3, 6), Window(torch.nn.MaxPool1d(3, stride=2, padding=1)), Gru(6, 5), OverTime("mean"), torch.nn.Linear(5, 2)],
     {**linear(0, "Front"), **gru(2), **linear(4, "Head")},
     3, 9, 3, [9, 4, 7], None)

# Linear(3, 4) -> AvgPool1d(4, stride 2, padding 2) (padding counted) -> Linear(4, 2); rows of 10, 5 and 8 steps.
case("avgpool_counted", "Linear(3, 4) -> AvgPool1d(4, stride=2, padding=2, count_include_pad=True) -> Linear(4, 2), batch-first, rows alone",
     [torch.nn.Linear(3, 4), Window(torch.nn.AvgPool1d(4, stride=2, padding=2, count_include_pad=True)), torch.nn.Linear(4, 2)],
     {**linear(0, "Front"), **linear(2, "Head")},
     3, 10, 3, [10, 5, 8], lambda t: t // 2 + 1)

# Linear(3, 4) -> AvgPool1d(3, stride 1, padding 1, padding not counted) -> MaxPool1d(2, stride 1, dilation 2) -> max over time
# -> Linear(4, 2); rows of 8, 3 and 6 steps.
case("avgpool_max", "Linear(3, 4) -> AvgPool1d(3, stride=1, padding=1, count_include_pad=False) -> MaxPool1d(2, stride=1, dilation=2) -> max over time -> Linear(4, 2), batch-first, rows alone",
     [torch.nn.Linear(3, 4), Window(torch.nn.AvgPool1d(3, stride=1, padding=1, count_include_pad=False)),
      Window(torch.nn.MaxPool1d(2, stride=1, dilation=2)), OverTime("max"), torch.nn.Linear(4, 2)],
     {**linear(0, "Front"), **linear(4, "Head")},
     3, 8, 3, [8, 3, 6], None)

# GRU(3, 5) -> last step -> Linear(5, 2); rows of 7, 2 and 5 steps.
case("last", "GRU(3, 5) -> the row's last step -> Linear(5, 2), batch-first, rows alone",
     [Gru(3, 5), OverTime("last"), torch.nn.Linear(5, 2)],
     {**gru(0), **linear(2, "Head")},
     3, 7, 3, [7, 2, 5], None)

# The maxpool_gru case's float32 state_dict, which a test compiles into an inference-only model.
sys.path.insert(0, os.path.join(HERE, "..", "IO"))
from make_safetensors_fixtures import raw, write_safetensors  # noqa: E402  (the format written by hand, as there)

with open(os.path.join(HERE, "pooling_maxpool_gru.json")) as f:
    params = json.load(f)["float64"]["params"]
tensors = [(n, "F32", p["shape"], raw(torch.tensor(p["values"], dtype=torch.float32).reshape(p["shape"]), "F32")) for n, p in params.items()]
write_safetensors(os.path.join(HERE, "..", "IO", "Fixtures", "pooling_maxpool_gru.safetensors"), tensors, {"format": "pt"})
