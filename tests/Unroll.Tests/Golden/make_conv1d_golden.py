"""Golden data for Unroll's [Conv1d] layer, in the schema of shared/golden (float64 part only).

Each case is a small model with a convolution, run row by row on each row's own steps (a row of length L is the
sequence x[b, :L], convolved as nn.Conv1d convolves it alone, zero-padded), so per-row lengths mean what they mean in
Unroll; outputs past a row's mapped length are not compared (their loss weights are 0). The input is batch-first
[batch, time, channels]; nn.Conv1d's [batch, channels, time] is a transpose. Causal convolutions pad (k - 1)·dilation
steps on the left with F.pad. loss = sum(w * output**2).
Run with Debian's python3-torch: /usr/bin/python3 make_conv1d_golden.py  (writes conv1d_*.json here).
"""
import torch
import torch.nn.functional as F

import golden_rows
from golden_rows import Gru


class Conv(torch.nn.Module):
    """nn.Conv1d on batch-first input, causal by left padding."""

    def __init__(self, cin, cout, k, stride=1, padding=0, dilation=1, groups=1, bias=True, causal=False, mode="zeros"):
        super().__init__()
        self.conv = torch.nn.Conv1d(cin, cout, k, stride=stride, padding=padding, dilation=dilation, groups=groups, bias=bias, padding_mode=mode)
        self.left = (k - 1) * dilation if causal else 0

    def forward(self, x):  # [batch, time, channels]
        x = x.transpose(1, 2)
        if self.left:
            x = F.pad(x, (self.left, 0))
        return self.conv(x).transpose(1, 2)


def case(name, describe, layers, names, batch, time, cin, lengths, out_length):
    golden_rows.case("conv1d_", 7, name, describe, layers, names, batch, time, cin, lengths, out_length)


GRU_NAMES = {"gru.weight_ih_l0": "Rnn.weight_ih_l0", "gru.weight_hh_l0": "Rnn.weight_hh_l0", "gru.bias_ih_l0": "Rnn.bias_ih_l0", "gru.bias_hh_l0": "Rnn.bias_hh_l0"}

# Conv1d(3 → 6, k 3, stride 2, padding 1) → ReLU → GRU(6, 5) → Linear(5, 2); rows of 9, 4 and 7 steps.
case("strided", "Conv1d(3, 6, 3, stride=2, padding=1) -> ReLU -> GRU(6, 5) -> Linear(5, 2), batch-first, rows alone",
     [Conv(3, 6, 3, stride=2, padding=1), torch.nn.ReLU(), Gru(6, 5), torch.nn.Linear(5, 2)],
     {"0.conv.weight": "Conv.weight", "0.conv.bias": "Conv.bias", **{"2." + k: v for k, v in GRU_NAMES.items()}, "3.weight": "Head.weight", "3.bias": "Head.bias"},
     3, 9, 3, [9, 4, 7], lambda t: (t + 2 - 3) // 2 + 1)

# Conv1d(4 → 6, k 3, dilation 2, groups 2, causal) → Linear(6, 3); rows of 8 and 5 steps.
case("causal", "Conv1d(4, 6, 3, dilation=2, groups=2) padded 4 steps on the left (causal) -> Linear(6, 3), batch-first, rows alone",
     [Conv(4, 6, 3, dilation=2, groups=2, causal=True), torch.nn.Linear(6, 3)],
     {"0.conv.weight": "Conv.weight", "0.conv.bias": "Conv.bias", "1.weight": "Head.weight", "1.bias": "Head.bias"},
     2, 8, 4, [8, 5], lambda t: t)

# Depthwise Conv1d(4 → 4, k 5, stride 4, groups 4, no bias) → Conv1d(4 → 3, k 2) → Linear(3, 2); rows of 13, 9 and 12 steps.
case("stacked", "Conv1d(4, 4, 5, stride=4, groups=4, bias=False) -> Conv1d(4, 3, 2) -> Linear(3, 2), batch-first, rows alone",
     [Conv(4, 4, 5, stride=4, groups=4, bias=False), Conv(4, 3, 2), torch.nn.Linear(3, 2)],
     {"0.conv.weight": "Depthwise.weight", "1.conv.weight": "Conv.weight", "1.conv.bias": "Conv.bias", "2.weight": "Head.weight", "2.bias": "Head.bias"},
     3, 13, 4, [13, 9, 12], lambda t: ((t - 5) // 4 + 1) - 1)

# Conv1d(3 → 4, k 3, padding 2, reflect) → Linear(4, 2); rows of 7 and 3 steps (each reflected about its own ends).
case("reflect", "Conv1d(3, 4, 3, padding=2, padding_mode='reflect') -> Linear(4, 2), batch-first, rows alone",
     [Conv(3, 4, 3, padding=2, mode="reflect"), torch.nn.Linear(4, 2)],
     {"0.conv.weight": "Conv.weight", "0.conv.bias": "Conv.bias", "1.weight": "Head.weight", "1.bias": "Head.bias"},
     2, 7, 3, [7, 3], lambda t: t + 2)

# The stacked case's float32 state_dict, which a test compiles into an inference-only model.
golden_rows.write_weights("conv1d_stacked")
