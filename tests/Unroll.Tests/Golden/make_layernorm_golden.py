"""Golden data for Unroll's LayerNorm layer, in the schema of shared/golden (float64 part only).

Module: Linear(3, 6) -> LayerNorm(6) -> Linear(6, 2), batch-first x [2, 4, 3]; the LayerNorm's
weight and bias are randomised so that they matter. loss = sum(w * output**2).
Run with Debian's python3-torch: /usr/bin/python3 make_layernorm_golden.py  (writes layernorm.json here).
"""
import json
import os

import torch

torch.manual_seed(7)
model = torch.nn.Sequential(torch.nn.Linear(3, 6), torch.nn.LayerNorm(6), torch.nn.Linear(6, 2)).double()
with torch.no_grad():
    model[1].weight.copy_(torch.randn(6, dtype=torch.float32).double())
    model[1].bias.copy_(torch.randn(6, dtype=torch.float32).double())
    for p in model.parameters():
        p.copy_(p.float().double())  # values exactly representable in float32
x = torch.randn(2, 4, 3, dtype=torch.float32).double().requires_grad_()
w = torch.randn(2, 4, 2, dtype=torch.float32).double()

out = model(x)
loss = (w * out ** 2).sum()
loss.backward()

names = {"0.weight": "In.weight", "0.bias": "In.bias", "1.weight": "Norm.weight", "1.bias": "Norm.bias",
         "2.weight": "Out.weight", "2.bias": "Out.bias"}
T = lambda t: {"shape": list(t.shape), "values": t.detach().reshape(-1).tolist()}
case = {
    "case": "layernorm",
    "module": "Linear(3, 6) -> LayerNorm(6) -> Linear(6, 2), batch-first",
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
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "layernorm.json"), "w") as f:
    json.dump(case, f)
