"""Golden data for Unroll's [PositionalEncoding] layer, in the schema of shared/golden (float64 part only).

Each case is a small model run row by row on each row's own steps (a row of length L is the sequence x[b, :L], whose
positions are 0 … L − 1 as when it runs alone), so per-row lengths mean what they mean in Unroll; a sequence output's steps
past a row's length have loss weight 0. loss = sum(w * output**2).

The sinusoidal encoding is the PositionalEncoding module of PyTorch's transformer tutorial (batch-first, without its
dropout): its table `pe` is computed in float32 as the tutorial computes it, and becomes float64 with the model, so the
golden data holds PyTorch's float32 values. An odd width's cosines use the first d // 2 frequencies (the tutorial's
code assumes an even width). The learned encoding is an nn.Embedding of the positions 0 … L − 1 added to the input.
Also writes positional_table.json: the tutorial's float32 tables for a few sizes, which Unroll's table is compared with.
Run with Debian's python3-torch: /usr/bin/python3 make_positional_golden.py  (writes positional_*.json here and
../IO/Fixtures/positional_learned.safetensors, positional_sinusoidal_pe.safetensors).
"""
import json
import math
import os

import torch

import golden_rows
from golden_rows import Gru


def sinusoidal_table(d, max_len):
    """The tutorial's table, [max_len, d], in float32."""
    position = torch.arange(max_len).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, d, 2) * (-math.log(10000.0) / d))
    pe = torch.zeros(max_len, d)
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term[: d // 2])
    return pe


class Sinusoidal(torch.nn.Module):
    """The tutorial's PositionalEncoding on batch-first input, without dropout: x + pe[:time]."""

    def __init__(self, d, max_len):
        super().__init__()
        self.register_buffer("pe", sinusoidal_table(d, max_len))

    def forward(self, x):  # [batch, time, d]
        return x + self.pe[: x.size(1)]


class Learned(torch.nn.Module):
    """x + nn.Embedding(max_len, d) of the positions 0 … time − 1."""

    def __init__(self, d, max_len):
        super().__init__()
        self.embedding = torch.nn.Embedding(max_len, d)

    def forward(self, x):  # [batch, time, d]
        return x + self.embedding(torch.arange(x.size(1)))


def case(name, describe, layers, names, batch, time, cin, lengths):
    golden_rows.case("positional_", 13, name, describe, layers, names, batch, time, cin, lengths, lambda t: t)


def linear(index, prefix):
    return {f"{index}.weight": f"{prefix}.weight", f"{index}.bias": f"{prefix}.bias"}


# Linear(3, 6) -> sinusoidal PositionalEncoding(10) -> Linear(6, 2); rows of 8, 5 and 3 steps.
case("sinusoidal", "Linear(3, 6) -> PositionalEncoding(6, max_len=10) (the tutorial's, no dropout) -> Linear(6, 2), batch-first, rows alone",
     [torch.nn.Linear(3, 6), Sinusoidal(6, 10), torch.nn.Linear(6, 2)],
     {**linear(0, "Front"), **linear(2, "Head")},
     3, 8, 3, [8, 5, 3])

# Linear(3, 5) -> sinusoidal PositionalEncoding(9) of an odd width -> Linear(5, 2); rows of 7 and 4 steps.
case("odd", "Linear(3, 5) -> PositionalEncoding(5, max_len=9) (odd width: the last column a sine) -> Linear(5, 2), batch-first, rows alone",
     [torch.nn.Linear(3, 5), Sinusoidal(5, 9), torch.nn.Linear(5, 2)],
     {**linear(0, "Front"), **linear(2, "Head")},
     2, 7, 3, [7, 4])

# Linear(3, 4) -> learned PositionalEncoding(10) -> GRU(4, 3) -> Linear(3, 2); rows of 8, 6 and 2 steps (rows 8 and 9 of the
# table, and those past a row's length, get no gradient).
case("learned", "Linear(3, 4) -> x + Embedding(10, 4)(positions) -> GRU(4, 3) -> Linear(3, 2), batch-first, rows alone",
     [torch.nn.Linear(3, 4), Learned(4, 10), Gru(4, 3), torch.nn.Linear(3, 2)],
     {**linear(0, "Front"), "1.embedding.weight": "Pos.weight", **{f"2.gru.{k}_l0": f"Rnn.{k}_l0" for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}, **linear(3, "Head")},
     3, 8, 3, [8, 6, 2])

# The learned case's float32 state_dict, which a test compiles into an inference-only model.
golden_rows.write_weights("positional_learned")

# The sinusoidal case's state_dict as PyTorch saves it, with the tutorial's buffer (Pos.pe): Unroll has no such tensor, so
# loading it is refused by name (a test), and a state dict without it loads.
def write_sinusoidal_with_pe():
    import sys
    sys.path.insert(0, os.path.join(golden_rows.HERE, "..", "IO"))
    from make_safetensors_fixtures import raw, write_safetensors

    with open(os.path.join(golden_rows.HERE, "positional_sinusoidal.json")) as f:
        params = json.load(f)["float64"]["params"]
    tensors = [(n, "F32", p["shape"], raw(torch.tensor(p["values"], dtype=torch.float32).reshape(p["shape"]), "F32")) for n, p in params.items()]
    tensors.append(("Pos.pe", "F32", [10, 6], raw(sinusoidal_table(6, 10), "F32")))
    write_safetensors(os.path.join(golden_rows.HERE, "..", "IO", "Fixtures", "positional_sinusoidal_pe.safetensors"), tensors, {"format": "pt"})


write_sinusoidal_with_pe()

# The tutorial's tables, which Unroll's Positions.Sinusoidal is compared with.
tables = {f"{max_len}x{d}": golden_rows.T(sinusoidal_table(d, max_len)) for max_len, d in ((256, 16), (100, 5), (64, 1), (40, 7))}
with open(os.path.join(golden_rows.HERE, "positional_table.json"), "w") as f:
    json.dump(tables, f)
