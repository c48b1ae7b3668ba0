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
import torch

import golden_rows
from golden_rows import Gru


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


def case(name, describe, layers, names, batch, time, cin, lengths, out_length):
    golden_rows.case("pooling_", 11, name, describe, layers, names, batch, time, cin, lengths, out_length)


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
golden_rows.write_weights("pooling_maxpool_gru")
