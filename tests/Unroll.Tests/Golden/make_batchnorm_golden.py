"""Golden data for Unroll's [BatchNorm] layer (torch.nn.BatchNorm1d over the feature axis), in float64.

Unroll normalises over the real steps of the caller's rows only, which BatchNorm1d on a padded batch would not do, so
the reference selects the real steps (x[mask], [N, C]) through BatchNorm1d and scatters the result back into zeros
(Unroll's output on padding is 0). Each case runs several training batches (some padded, one of fewer rows than the
model's BatchSize 4) and then evaluation batches from the same module, recording per batch: the input, the row lengths,
PyTorch's output, loss = sum(w * output**2), every parameter's gradient, the input's gradient, and the buffers after it
(running_mean, running_var, num_batches_tracked). The parameters never change between batches (no optimizer step).

Cases (module properties named as the C# models in Model/BatchNormTests.cs):
    batchnorm          In = Linear(3, 5) -> Norm = BatchNorm1d(5) -> Out = Linear(5, 2)
    batchnorm_plain    the same with BatchNorm1d(5, eps=1e-3, momentum=0.3, affine=False)
    batchnorm_last     Rnn = GRU(3, 5) (last step only) -> Norm = BatchNorm1d(5) -> Out = Linear(5, 2): statistics over rows
Also writes ../IO/Fixtures/batchnorm.safetensors: batchnorm's float32 state_dict after its training batches, with
num_batches_tracked as PyTorch keeps it (I64), written by hand (no safetensors module in PyTorch 1.13).
Run with Debian's python3-torch: /usr/bin/python3 make_batchnorm_golden.py  (writes batchnorm*.json here).
"""
import json
import os
import struct
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "IO"))
import make_safetensors_fixtures as st  # noqa: E402  (the format written by hand, as there)

st.DTYPES["I64"] = 8
B, T, C_IN = 4, 5, 3


def T_(t):
    return {"shape": list(t.shape), "values": t.detach().reshape(-1).tolist()}


class Sequence(torch.nn.Module):
    """In -> Norm -> Out over every step; Norm sees the real steps only."""

    def __init__(self, norm):
        super().__init__()
        self.In = torch.nn.Linear(C_IN, 5)
        self.Norm = norm
        self.Out = torch.nn.Linear(5, 2)

    def forward(self, x, lengths):
        h = self.In(x)
        mask = torch.arange(x.shape[1])[None, :] < torch.tensor(lengths)[:, None]
        z = torch.zeros_like(h)
        z[mask] = self.Norm(h[mask])
        return self.Out(z)


class LastStep(torch.nn.Module):
    """Rnn (last step) -> Norm over the batch's rows -> Out."""

    def __init__(self):
        super().__init__()
        self.Rnn = torch.nn.GRU(C_IN, 5, batch_first=True)
        self.Norm = torch.nn.BatchNorm1d(5)
        self.Out = torch.nn.Linear(5, 2)

    def forward(self, x, lengths):
        return self.Out(self.Norm(self.Rnn(x)[0][:, -1]))


def run(case, model, batches):
    model = model.double()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.startswith("Norm."):
                p.add_(0.3 * torch.randn_like(p))  # weight about 1, bias about 0, but not exactly
            p.copy_(p.float().double())  # values exactly representable in float32
    named = dict(model.named_parameters())
    golden = {"case": case, "module": str(model), "params": {n: T_(p) for n, p in named.items()}, "batches": []}
    for training, rows, lengths in batches:
        model.train(training)
        x = (1.5 * torch.randn(rows, T, C_IN, dtype=torch.float32) + 0.5).double().requires_grad_()
        w = torch.randn(rows, T, 2, dtype=torch.float32).double() if isinstance(model, Sequence) else torch.randn(rows, 2, dtype=torch.float32).double()
        model.zero_grad()
        out = model(x, lengths)
        loss = (w * out ** 2).sum()
        loss.backward()
        norm = model.Norm
        golden["batches"].append({
            "training": training,
            "x": T_(x),
            "lengths": lengths,
            "loss_weights": T_(w),
            "output": T_(out),
            "grad_params": {n: T_(p.grad) for n, p in named.items()},
            "grad_x": T_(x.grad),
            "running_mean": T_(norm.running_mean),
            "running_var": T_(norm.running_var),
            "num_batches_tracked": int(norm.num_batches_tracked),
        })
    with open(os.path.join(HERE, case + ".json"), "w") as f:
        json.dump(golden, f)
    return model


torch.manual_seed(31)
full = [T] * B
batches = [
    (True, 4, [5, 3, 4, 2]),     # padded
    (True, 3, [2, 5, 1]),        # fewer rows than the batch, one row of a single step
    (True, 4, full),             # every step real
    (True, 1, [3]),              # one row: its 3 steps are the batch
    (False, 4, [4, 5, 1, 3]),    # evaluation: the running statistics
    (False, 2, [5, 2]),
]
model = run("batchnorm", Sequence(torch.nn.BatchNorm1d(5)), batches)
state = model.float().state_dict()
tensors = []
for name, t in state.items():
    if t.dtype == torch.int64:
        tensors.append((name, "I64", list(t.shape), struct.pack("<q", int(t))))
    else:
        tensors.append((name, "F32", list(t.shape), st.raw(t, "F32")))
st.write_safetensors(os.path.join(HERE, "..", "IO", "Fixtures", "batchnorm.safetensors"), tensors, {"format": "pt"})

run("batchnorm_plain", Sequence(torch.nn.BatchNorm1d(5, eps=1e-3, momentum=0.3, affine=False)), batches[:3] + batches[4:5])
run("batchnorm_last", LastStep(), [(training, rows, [T] * rows) for training, rows in [(True, 4), (True, 3), (True, 4), (False, 4), (False, 3)]])
