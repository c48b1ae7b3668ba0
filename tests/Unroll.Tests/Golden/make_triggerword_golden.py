"""Golden data for the trigger-word model (samples/TriggerWord's shape, small), in float64, batch after batch.

    Conv = Conv1d(6, 8, 5, stride=4) -> Norm1 = BatchNorm1d(8) -> ReLU -> Dropout -> Rnn1 = GRU(8, 6) -> Dropout
    -> Norm2 = BatchNorm1d(6) -> Rnn2 = GRU(6, 6) -> Dropout -> Norm3 = BatchNorm1d(6) -> Head = Linear(6, 1), every step

Dropout is the identity here (p = 0 in the C# twin, Model/TriggerWordGoldenTests.cs), so training mode compares exactly
while the batch statistics run. Rows mean what they mean in Unroll: each row's convolution and GRUs run on its own steps
(x[b, :L], the convolution mapping L to (L - 5) // 4 + 1), and each BatchNorm normalises the real steps of every row
together (their concatenation through BatchNorm1d). Per batch: the input, the row lengths, the output (zeros past a row's
steps, where the loss weights are 0 too), loss = sum(w * output**2), every parameter's gradient, the input's gradient,
and every BatchNorm's running statistics and num_batches_tracked after it. The parameters never change between batches.
Run with Debian's python3-torch: /usr/bin/python3 make_triggerword_golden.py  (writes triggerword.json here).
"""
import json
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
B, T, F_IN = 4, 23, 6


def T_(t):
    return {"shape": list(t.shape), "values": t.detach().reshape(-1).tolist()}


def steps(length):
    return (length - 5) // 4 + 1


class TriggerWord(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.Conv = torch.nn.Conv1d(F_IN, 8, 5, stride=4)
        self.Norm1 = torch.nn.BatchNorm1d(8)
        self.Rnn1 = torch.nn.GRU(8, 6, batch_first=True)
        self.Norm2 = torch.nn.BatchNorm1d(6)
        self.Rnn2 = torch.nn.GRU(6, 6, batch_first=True)
        self.Norm3 = torch.nn.BatchNorm1d(6)
        self.Head = torch.nn.Linear(6, 1)

    @staticmethod
    def norm(bn, rows):
        """BatchNorm1d over the real steps of every row together."""
        y = bn(torch.cat(rows))
        return list(torch.split(y, [r.shape[0] for r in rows]))

    def forward(self, x, lengths):
        rows = [self.Conv(x[b:b + 1, :n].transpose(1, 2)).transpose(1, 2)[0] for b, n in enumerate(lengths)]
        rows = [torch.relu(r) for r in self.norm(self.Norm1, rows)]
        rows = self.norm(self.Norm2, [self.Rnn1(r[None])[0][0] for r in rows])
        rows = self.norm(self.Norm3, [self.Rnn2(r[None])[0][0] for r in rows])
        out = torch.zeros(x.shape[0], steps(T), 1, dtype=x.dtype)
        for b, r in enumerate(rows):
            out[b, :r.shape[0]] = self.Head(r)
        return out


torch.manual_seed(41)
model = TriggerWord().double()
with torch.no_grad():
    for name, p in model.named_parameters():
        if name.startswith("Norm"):
            p.add_(0.3 * torch.randn_like(p))  # weight about 1, bias about 0, but not exactly
        p.copy_(p.float().double())  # values exactly representable in float32
named = dict(model.named_parameters())
golden = {"case": "triggerword", "module": str(model), "params": {n: T_(p) for n, p in named.items()}, "batches": []}
for training, lengths in [(True, [23, 13, 18, 9]), (True, [23, 23, 11]), (True, [T] * B), (False, [20, 23, 9, 14]), (False, [17, 23])]:
    model.train(training)
    rows = len(lengths)
    x = (1.5 * torch.randn(rows, T, F_IN, dtype=torch.float32) + 0.5).double().requires_grad_()
    mask = (torch.arange(steps(T))[None, :] < torch.tensor([steps(n) for n in lengths])[:, None]).double()[:, :, None]
    w = torch.randn(rows, steps(T), 1, dtype=torch.float32).double() * mask
    model.zero_grad()
    out = model(x, lengths)
    loss = (w * out ** 2).sum()
    loss.backward()
    batch = {"training": training, "x": T_(x), "lengths": lengths, "loss_weights": T_(w), "output": T_(out),
             "grad_params": {n: T_(p.grad) for n, p in named.items()}, "grad_x": T_(x.grad), "buffers": {}}
    for norm in ["Norm1", "Norm2", "Norm3"]:
        bn = getattr(model, norm)
        batch["buffers"][norm + ".running_mean"] = T_(bn.running_mean)
        batch["buffers"][norm + ".running_var"] = T_(bn.running_var)
        batch["buffers"][norm + ".num_batches_tracked"] = T_(bn.num_batches_tracked.double())
    golden["batches"].append(batch)
with open(os.path.join(HERE, "triggerword.json"), "w") as f:
    json.dump(golden, f)
