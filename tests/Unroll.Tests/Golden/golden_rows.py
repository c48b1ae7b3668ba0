"""What make_conv1d_golden.py and make_pooling_golden.py share: a case run row by row on each row's own steps, in the
schema of shared/golden (float64 part only), and a case's float32 state_dict as a safetensors fixture.
"""
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))

# The layers of a script's first case are built before any case seeds the generator, whose initial seed is random in
# some builds of PyTorch: seed it on import, so that every case is the same on every run.
torch.manual_seed(0)


def T(t):
    return {"shape": list(t.shape), "values": t.detach().reshape(-1).tolist()}


class Gru(torch.nn.Module):
    """nn.GRU on batch-first input, its output sequence."""

    def __init__(self, i, h):
        super().__init__()
        self.gru = torch.nn.GRU(i, h, batch_first=True)

    def forward(self, x):
        return self.gru(x)[0]


def case(prefix, seed, name, describe, layers, names, batch, time, cin, lengths, out_length):
    """Writes {prefix}{name}.json. out_length: a sequence output's steps for a row's length, or None for an output without
    a time axis. A sequence output's steps past a row's mapped length have loss weight 0. loss = sum(w * output**2)."""
    torch.manual_seed(seed)
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
        "case": prefix + name,
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
    with open(os.path.join(HERE, f"{prefix}{name}.json"), "w") as f:
        json.dump(golden, f)


def write_weights(name):
    """The float32 state_dict of case {name}.json as ../IO/Fixtures/{name}.safetensors, which a test compiles into a model."""
    sys.path.insert(0, os.path.join(HERE, "..", "IO"))
    from make_safetensors_fixtures import raw, write_safetensors  # the format written by hand, as there

    with open(os.path.join(HERE, f"{name}.json")) as f:
        params = json.load(f)["float64"]["params"]
    tensors = [(n, "F32", p["shape"], raw(torch.tensor(p["values"], dtype=torch.float32).reshape(p["shape"]), "F32")) for n, p in params.items()]
    write_safetensors(os.path.join(HERE, "..", "IO", "Fixtures", f"{name}.safetensors"), tensors, {"format": "pt"})
