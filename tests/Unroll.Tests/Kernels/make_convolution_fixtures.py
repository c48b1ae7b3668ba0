#!/usr/bin/python3
"""Writes Fixtures/convolution.json, the cases tests/Unroll.Tests/Kernels/ConvolutionTests.cs checks Convolution against.

    apt-get install -y python3-torch
    /usr/bin/python3 tests/Unroll.Tests/Kernels/make_convolution_fixtures.py

PyTorch 1.13, CPU. Each case is one nn.Conv1d(in, out, k, stride, padding, dilation, groups, bias) with PyTorch's default
initialisation (seeded) and padding_mode ('zeros', 'reflect', 'replicate' or 'circular'), run on a random input x and pulled back from a random upstream gradient dy. The causal cases pad
(k - 1) * dilation zeros on the left (F.pad) before a conv with padding 0. Tensors are written in Unroll's batch-first,
channels-last layout:

    x [batch, time, in], dy and y [batch, out_time, out], dx [batch, time, in]
    weight, dw [out, in / groups, k] (PyTorch's), bias, db [out] (absent without a bias)

y, dx, dw and db are PyTorch's float32 results; y_double, dx_double, dw_double and db_double the same module in float64
on the same (float32) values, the reference the tests compare against. Floats are written in their shortest round-trip form.
"""
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "Fixtures")

# name, batch, time, in, out, k, stride, padding, dilation, groups, causal, bias[, padding_mode]
CASES = [
    ("basic", 2, 9, 4, 6, 3, 1, 0, 1, 1, False, True),
    ("odd_sizes", 1, 7, 3, 5, 3, 1, 0, 1, 1, False, True),
    ("padding_1", 2, 8, 3, 5, 3, 1, 1, 1, 1, False, True),
    ("padding_3", 1, 7, 3, 5, 3, 1, 3, 1, 1, False, True),
    ("stride_2", 2, 10, 4, 6, 3, 2, 1, 1, 1, False, True),
    ("stride_4", 2, 13, 3, 5, 3, 4, 3, 1, 1, False, True),
    ("stride_4_no_padding", 3, 15, 5, 3, 2, 4, 0, 1, 1, False, True),
    ("dilation_2", 2, 11, 4, 4, 3, 1, 2, 2, 1, False, True),
    ("dilation_2_stride_2", 2, 12, 3, 5, 3, 2, 1, 2, 1, False, True),
    ("groups_2", 2, 8, 4, 6, 3, 1, 1, 1, 2, False, True),
    ("groups_2_stride_2_dilation_2", 3, 13, 6, 4, 3, 2, 3, 2, 2, False, True),
    ("channel_multiplier", 2, 9, 3, 6, 3, 1, 1, 1, 3, False, True),
    ("depthwise", 2, 9, 6, 6, 5, 1, 2, 1, 6, False, True),
    ("depthwise_stride_2_dilation_2", 2, 14, 5, 5, 3, 2, 1, 2, 5, False, True),
    ("depthwise_causal", 2, 10, 17, 17, 4, 1, 0, 1, 17, True, True),
    ("causal", 2, 9, 4, 6, 3, 1, 0, 1, 1, True, True),
    ("causal_dilation_2", 2, 12, 3, 5, 3, 1, 0, 2, 1, True, True),
    ("causal_stride_2", 3, 11, 4, 5, 4, 2, 0, 1, 1, True, True),
    ("kernel_1", 2, 6, 5, 7, 1, 1, 0, 1, 1, False, True),
    ("no_bias", 2, 9, 4, 6, 3, 1, 1, 1, 1, False, False),
    ("wide", 3, 24, 33, 17, 4, 1, 1, 1, 1, False, True),
    ("wide_groups_2_stride_2", 2, 21, 34, 32, 5, 2, 2, 1, 2, False, True),
    ("reflect", 2, 9, 4, 6, 3, 1, 1, 1, 1, False, True, "reflect"),
    ("reflect_padding_3_stride_2", 2, 11, 3, 5, 4, 2, 3, 1, 1, False, True, "reflect"),
    ("replicate_dilation_2", 2, 10, 4, 4, 3, 1, 2, 2, 1, False, True, "replicate"),
    ("replicate_depthwise", 1, 7, 3, 3, 3, 1, 3, 1, 3, False, True, "replicate"),
    ("circular_groups_2", 2, 8, 4, 6, 3, 1, 2, 1, 2, False, True, "circular"),
    ("circular_depthwise_stride_2", 2, 9, 5, 5, 5, 2, 2, 1, 5, False, True, "circular"),
]


def flat(t):
    if t.dtype == torch.float32:
        return [float(repr(np.float32(v))) for v in t.detach().reshape(-1).tolist()]
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def run(conv, x, dy, k, dilation, causal):
    """Forward and backward on channels-last x [batch, time, in]; results channels-last."""
    x = x.clone().requires_grad_()
    xt = x.permute(0, 2, 1)
    if causal:
        xt = F.pad(xt, ((k - 1) * dilation, 0))
    y = conv(xt).permute(0, 2, 1)
    params = [x, conv.weight] + ([conv.bias] if conv.bias is not None else [])
    grads = torch.autograd.grad(y, params, dy)
    return y, grads[0], grads[1], (grads[2] if len(grads) > 2 else None)


def main():
    torch.manual_seed(20261207)
    cases = []
    for name, batch, time, cin, cout, k, stride, padding, dilation, groups, causal, bias, *mode in CASES:
        mode = mode[0] if mode else "zeros"
        conv = nn.Conv1d(cin, cout, k, stride=stride, padding=0 if causal else padding, dilation=dilation, groups=groups, bias=bias,
                         padding_mode=mode)
        x = torch.randn(batch, time, cin)
        out_time = (time - 1) // stride + 1 if causal else (time + 2 * padding - dilation * (k - 1) - 1) // stride + 1
        dy = torch.randn(batch, out_time, cout)
        y, dx, dw, db = run(conv, x, dy, k, dilation, causal)
        conv64 = nn.Conv1d(cin, cout, k, stride=stride, padding=0 if causal else padding, dilation=dilation, groups=groups, bias=bias,
                           padding_mode=mode).double()
        with torch.no_grad():
            conv64.weight.copy_(conv.weight.double())
            if bias:
                conv64.bias.copy_(conv.bias.double())
        y64, dx64, dw64, db64 = run(conv64, x.double(), dy.double(), k, dilation, causal)
        assert y.shape == (batch, out_time, cout)
        case = {"name": name, "batch": batch, "time": time, "in": cin, "out": cout, "kernel": k, "stride": stride,
                "padding": padding, "dilation": dilation, "groups": groups, "causal": causal, "padding_mode": mode, "out_time": out_time,
                "x": flat(x), "weight": flat(conv.weight), "dy": flat(dy),
                "y": flat(y), "dx": flat(dx), "dw": flat(dw),
                "y_double": flat(y64), "dx_double": flat(dx64), "dw_double": flat(dw64)}
        if bias:
            case.update({"bias": flat(conv.bias), "db": flat(db), "db_double": flat(db64)})
        cases.append(case)

    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "convolution.json"), "w") as f:  # one case per line
        f.write(json.dumps({"generator": "make_convolution_fixtures.py", "torch_version": torch.__version__})[:-1] + ', "cases": [\n')
        f.write(",\n".join(json.dumps(case) for case in cases))
        f.write("\n]}\n")
    print(f"convolution.json: {len(cases)} cases")


if __name__ == "__main__":
    main()
