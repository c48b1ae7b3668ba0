"""Writes the ONNX import fixtures: small PyTorch models (odd sizes, seeded) exported by torch.onnx.export, and per
model a JSON with an input and PyTorch's output (OnnxImportTests), all into onnx/.

    /usr/bin/python3 tests/Unroll.Tests/Tool/Fixtures/make_onnx_fixtures.py

Made with Debian's torch 1.13 (no `onnx` package needed). Good models: <name>.onnx + <name>.json; bad ones:
bad_<name>.onnx (the tests cut and edit the good files for the truncated and wrong-shape cases).
"""
import json
import os

import torch
from torch import nn

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "onnx")
BATCH, TIME = 2, 5


class Rnn(nn.Module):
    """A recurrent module whose forward returns only the output sequence."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def forward(self, x):
        return self.rnn(x)[0]


class EmbedGruLinear(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(11, 6)
        self.gru = nn.GRU(6, 7, batch_first=True)
        self.head = nn.Linear(7, 5)

    def forward(self, tokens):
        return self.head(self.gru(self.embed(tokens))[0])


class ConvBnReluLstm(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(3, 8, 3, stride=2, padding=1)
        self.norm = nn.BatchNorm1d(8)
        self.lstm = nn.LSTM(8, 5, batch_first=True)
        with torch.no_grad():
            self.norm.running_mean.uniform_(-0.5, 0.5)
            self.norm.running_var.uniform_(0.5, 1.5)
            self.norm.weight.uniform_(0.5, 1.5)
            self.norm.bias.uniform_(-0.5, 0.5)

    def forward(self, x):
        y = torch.relu(self.norm(self.conv(x.transpose(1, 2))))
        return self.lstm(y.transpose(1, 2))[0]


class ConvDilatedGrouped(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 6, 3, dilation=2, groups=2, padding=2, bias=False)
        self.norm = nn.BatchNorm1d(6, eps=1e-3, momentum=0.2)
        with torch.no_grad():
            self.norm.running_mean.uniform_(-0.5, 0.5)
            self.norm.running_var.uniform_(0.5, 1.5)

    def forward(self, x):
        return self.norm(self.conv(x.transpose(1, 2))).transpose(1, 2)


class WithH0(nn.Module):
    """An LSTM from a learned initial state: not zeros, so not importable."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 4, batch_first=True)
        self.h0 = nn.Parameter(torch.randn(1, BATCH, 4))
        self.c0 = nn.Parameter(torch.randn(1, BATCH, 4))

    def forward(self, x):
        return self.lstm(x, (self.h0, self.c0))[0]


class Attention(nn.Module):
    """Linear → nn.MultiheadAttention (self-attention, batch-first) → Linear; causal: with a causal attn_mask;
    residual: x + attention(x), which the importer rejects."""

    def __init__(self, causal=False, residual=False):
        super().__init__()
        self.causal = causal
        self.residual = residual
        self.embed = nn.Linear(4, 6)
        self.attn = nn.MultiheadAttention(6, 2, batch_first=True)
        self.head = nn.Linear(6, 3)

    def forward(self, x):
        x = self.embed(x)
        mask = torch.triu(torch.full((TIME, TIME), float("-inf")), 1) if self.causal else None
        y = self.attn(x, x, x, attn_mask=mask)[0]
        return self.head(x + y if self.residual else y)


class ConvPools(nn.Module):
    """Convolutions between max and average pooling, the mean over time, a linear head. (torch 1.13 computes a reflect or
    replicate Conv1d's Pad amounts in a subgraph, which unroll import does not fold: those are not imported.)"""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(3, 5, 3, padding=1)
        self.max = nn.MaxPool1d(3, stride=2, padding=1)
        self.conv2 = nn.Conv1d(5, 4, 3, padding=2, dilation=2)
        self.average = nn.AvgPool1d(2, padding=1, count_include_pad=False)
        self.head = nn.Linear(4, 3)

    def forward(self, x):
        y = self.average(self.conv2(self.max(self.conv1(x.transpose(1, 2)))))
        return self.head(y.mean(dim=2))


def export(name, model, x, opset=14, dynamic_time=False, reference=True, preserve=False):
    model.eval()
    with torch.no_grad():
        y = model(x)
    path = os.path.join(HERE, name + ".onnx")
    axes = {"input": {1: "time"}, "output": {1: "time"}} if dynamic_time else None
    torch.onnx.export(model, (x,), path, opset_version=opset, input_names=["input"], output_names=["output"],
                      dynamic_axes=axes,
                      # PRESERVE (of an eval() model) keeps BatchNormalization and Dropout nodes, which EVAL folds away.
                      training=torch.onnx.TrainingMode.PRESERVE if preserve else torch.onnx.TrainingMode.EVAL)
    if reference:
        with open(os.path.join(HERE, name + ".json"), "w") as f:
            json.dump({"input_shape": list(x.shape), "input": x.flatten().tolist(),
                       "output_shape": list(y.shape), "output": y.flatten().tolist()}, f)
    print(name, tuple(x.shape), "->", tuple(y.shape) if isinstance(y, torch.Tensor) else "a tuple")


def main():
    os.makedirs(HERE, exist_ok=True)
    torch.manual_seed(7)
    seq = lambda features: torch.randn(BATCH, TIME, features)
    export("lstm", Rnn(nn.LSTM(5, 7, batch_first=True)), seq(5))
    export("lstm_stacked_bidirectional", Rnn(nn.LSTM(4, 6, num_layers=2, bidirectional=True, batch_first=True)), seq(4))
    export("gru", Rnn(nn.GRU(5, 6, batch_first=True)), seq(5), dynamic_time=True)
    export("rnn_relu", Rnn(nn.RNN(3, 5, nonlinearity="relu", num_layers=2, batch_first=True)), seq(3))
    export("embedding_gru_linear", EmbedGruLinear(), torch.randint(0, 11, (BATCH, TIME)))
    export("linear_tanh_linear", nn.Sequential(nn.Linear(4, 9), nn.Tanh(), nn.Linear(9, 3)), seq(4))
    export("conv_batchnorm_relu_lstm", ConvBnReluLstm(), seq(3), preserve=True)
    export("layernorm_gelu", nn.Sequential(nn.Linear(4, 6), nn.LayerNorm(6), nn.GELU(), nn.Linear(6, 3)), seq(4), opset=17)
    export("activations", nn.Sequential(nn.Linear(4, 6), nn.SiLU(), nn.Linear(6, 5), nn.LeakyReLU(0.2), nn.Sigmoid(),
                                        nn.Dropout(0.3), nn.Linear(5, 3), nn.ReLU()), seq(4), preserve=True)
    export("gru_stacked_bidirectional", Rnn(nn.GRU(5, 4, num_layers=2, bidirectional=True, batch_first=True)), seq(5))
    export("conv_dilated_grouped", ConvDilatedGrouped(), seq(4), opset=17, preserve=True)
    export("bad_softmax", nn.Sequential(nn.Linear(4, 3), nn.Softmax(-1)), seq(4), reference=False)
    export("self_attention", Attention(), seq(4))
    export("self_attention_causal", Attention(causal=True), seq(4))
    export("bad_attention_residual", Attention(residual=True), seq(4), reference=False)
    export("bad_initial_state", WithH0(), seq(3), reference=False)
    export("bad_final_state", nn.LSTM(3, 4, batch_first=True), seq(3), reference=False)
    export("conv_pools_mean", ConvPools(), torch.randn(BATCH, 9, 3), opset=17)


if __name__ == "__main__":
    main()
