#!/usr/bin/python3
"""Writes Fixtures/pointwise.json, the activations tests/Unroll.Tests/Kernels/PointwiseTests.cs checks Pointwise against.

    apt-get install -y python3-torch
    /usr/bin/python3 tests/Unroll.Tests/Kernels/make_pointwise_fixtures.py

PyTorch 1.13, CPU. The inputs "x" (float32) are a grid over [-10, 10] in steps of 1/16, values near 0 (both signs,
down to denormals), +-0, large magnitudes (+-20 ... +-1e30) and random normals; "dy" is a random float32 upstream
gradient of the same length. "special_x" holds NaN, +inf and -inf (with "special_dy"). Each case runs one nn module
(nn.ReLU, nn.Tanh, nn.Sigmoid, nn.GELU('none' / 'tanh'), nn.SiLU, nn.LeakyReLU(slope)) on them:

    y, dx                  the module's float32 output and autograd's input gradient for dy
    y_double, dx_double    the same module on the same inputs in float64 (an independent high-precision reference)
    special_y, special_dx  the float32 results for special_x

Every finite float32 is written in the shortest form that reads back as the same float32; NaN and the infinities,
which JSON has no numbers for, as the strings "NaN", "Infinity" and "-Infinity" (what float.Parse reads).
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "Fixtures")


def value(v, dtype):
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return float(repr(dtype(v))) if dtype is np.float32 else float(v)


def flat(t):
    """A tensor's values: float32 ones in their shortest round-trip form, float64 ones as they are."""
    dtype = np.float32 if t.dtype == torch.float32 else np.float64
    return [value(v, dtype) for v in t.detach().reshape(-1).tolist()]


def inputs():
    g = torch.Generator().manual_seed(20240611)
    grid = [i / 16 for i in range(-160, 161)]  # [-10, 10], 0 included
    small = [s * m * 10.0 ** -e for e in (1, 2, 3, 4, 5, 6, 7, 8, 12, 20, 30, 40) for m in (1.0, 3.7) for s in (1, -1)]
    zeros = [0.0, -0.0]
    large = [s * v for v in (15.0, 20.0, 30.0, 50.0, 87.0, 88.5, 90.0, 100.0, 1e3, 1e4, 1e10, 1e20, 1e30) for s in (1, -1)]
    normals = (torch.randn(200, generator=g) * 2).tolist()
    x = torch.tensor(grid + small + zeros + large + normals, dtype=torch.float32)
    dy = torch.randn(x.numel(), generator=g, dtype=torch.float32)
    special_x = torch.tensor([float("nan"), float("inf"), float("-inf")], dtype=torch.float32)
    special_dy = torch.tensor([0.75, -1.25, 0.5], dtype=torch.float32)
    return x, dy, special_x, special_dy


def run(module, x, dy):
    x = x.clone().requires_grad_()
    y = module(x)
    (dx,) = torch.autograd.grad(y, x, dy)
    return y, dx


def main():
    x, dy, special_x, special_dy = inputs()
    modules = [
        ("relu", "Relu", "None", 0.0, lambda s: nn.ReLU()),
        ("tanh", "Tanh", "None", 0.0, lambda s: nn.Tanh()),
        ("sigmoid", "Sigmoid", "None", 0.0, lambda s: nn.Sigmoid()),
        ("gelu", "Gelu", "None", 0.0, lambda s: nn.GELU(approximate="none")),
        ("gelu_tanh", "Gelu", "Tanh", 0.0, lambda s: nn.GELU(approximate="tanh")),
        ("silu", "Silu", "None", 0.0, lambda s: nn.SiLU()),
        ("leaky_relu_0.01", "LeakyRelu", "None", 0.01, lambda s: nn.LeakyReLU(negative_slope=s)),
        ("leaky_relu_0.2", "LeakyRelu", "None", 0.2, lambda s: nn.LeakyReLU(negative_slope=s)),
    ]
    cases = []
    for name, function, approximate, slope, make in modules:
        module = make(slope)
        y, dx = run(module, x, dy)
        y64, dx64 = run(module, x.double(), dy.double())
        special_y, special_dx = run(module, special_x, special_dy)
        cases.append({"name": name, "function": function, "approximate": approximate,
                      "negative_slope": float(repr(np.float32(slope))),
                      "y": flat(y), "dx": flat(dx), "y_double": flat(y64), "dx_double": flat(dx64),
                      "special_y": flat(special_y), "special_dx": flat(special_dx)})

    os.makedirs(OUT, exist_ok=True)
    header = {"generator": "make_pointwise_fixtures.py", "torch_version": torch.__version__,
              "x": flat(x), "dy": flat(dy), "special_x": flat(special_x), "special_dy": flat(special_dy)}
    with open(os.path.join(OUT, "pointwise.json"), "w") as f:  # one case per line
        f.write(json.dumps(header)[:-1] + ', "cases": [\n')
        f.write(",\n".join(json.dumps(case) for case in cases))
        f.write("\n]}\n")
    print(f"pointwise.json: {len(cases)} cases of {x.numel()} values")


if __name__ == "__main__":
    main()
