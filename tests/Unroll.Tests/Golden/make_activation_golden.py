"""Golden data for Unroll's [Activation] layer, in the schema of shared/golden (float64 part only).

Module, per activation: Linear(3, 6) -> act -> Linear(6, 2), batch-first x [2, 4, 3] with inputs spread
over about +-6 so every function's both sides are reached; loss = sum(w * output**2). act is nn.ReLU,
nn.Tanh, nn.Sigmoid, nn.GELU() (erf), nn.GELU(approximate="tanh"), nn.SiLU, nn.LeakyReLU(0.2).
Also writes ../IO/Fixtures/activation_gelu_tanh.safetensors (that case's float32 state_dict), which
a test compiles into an inference-only model.
Run with Debian's python3-torch: /usr/bin/python3 make_activation_golden.py  (writes activation_*.json here).
"""
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "IO"))
from make_safetensors_fixtures import raw, write_safetensors  # noqa: E402  (the format written by hand, as there)

CASES = {
    "relu": torch.nn.ReLU(),
    "tanh": torch.nn.Tanh(),
    "sigmoid": torch.nn.Sigmoid(),
    "gelu": torch.nn.GELU(),
    "gelu_tanh": torch.nn.GELU(approximate="tanh"),
    "silu": torch.nn.SiLU(),
    "leaky_relu": torch.nn.LeakyReLU(0.2),
}
NAMES = {"0.weight": "In.weight", "0.bias": "In.bias", "2.weight": "Out.weight", "2.bias": "Out.bias"}


def T(t):
    return {"shape": list(t.shape), "values": t.detach().reshape(-1).tolist()}


for case, act in CASES.items():
    torch.manual_seed(11)
    model = torch.nn.Sequential(torch.nn.Linear(3, 6), act, torch.nn.Linear(6, 2)).double()
    with torch.no_grad():
        model[0].weight.mul_(3)  # pre-activations spread over about +-6
        for p in model.parameters():
            p.copy_(p.float().double())  # values exactly representable in float32
    x = (2 * torch.randn(2, 4, 3, dtype=torch.float32)).double().requires_grad_()
    w = torch.randn(2, 4, 2, dtype=torch.float32).double()
    out = model(x)
    loss = (w * out ** 2).sum()
    loss.backward()
    golden = {
        "case": "activation_" + case,
        "module": f"Linear(3, 6) -> {act} -> Linear(6, 2), batch-first",
        "loss_weights": {"output": T(w)},
        "float64": {
            "params": {NAMES[n]: T(p) for n, p in model.named_parameters()},
            "inputs": {"x": T(x)},
            "outputs": {"output": T(out)},
            "loss": loss.item(),
            "grad_params": {NAMES[n]: T(p.grad) for n, p in model.named_parameters()},
            "grad_inputs": {"x": T(x.grad)},
        },
    }
    with open(os.path.join(HERE, f"activation_{case}.json"), "w") as f:
        json.dump(golden, f)
    if case == "gelu_tanh":
        tensors = [(NAMES[n], "F32", list(p.shape), raw(p.detach().float(), "F32")) for n, p in model.named_parameters()]
        write_safetensors(os.path.join(HERE, "..", "IO", "Fixtures", "activation_gelu_tanh.safetensors"), tensors, {"format": "pt"})
