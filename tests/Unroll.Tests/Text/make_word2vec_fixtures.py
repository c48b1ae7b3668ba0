"""Writes Fixtures/word2vec.json: the skip-gram negative-sampling loss
-log s(u_o.v_c) - sum_k log s(-u_k.v_c), summed over a few (center, context, negatives) triples (words repeated,
a negative equal to the center, a center equal to a context elsewhere), and its autograd gradients in float64.
Run: /usr/bin/python3 make_word2vec_fixtures.py (torch 1.13). Unroll's tests read the JSON, never Python."""
import json
import os
import torch

torch.manual_seed(17)
vocabulary, dimension, k = 7, 5, 3
w_in = (torch.rand(vocabulary, dimension, dtype=torch.float64) - 0.5).float().double()
w_out = (torch.randn(vocabulary, dimension, dtype=torch.float64) * 0.7).float().double()
centers = [0, 3, 3, 5, 1]
contexts = [1, 2, 2, 0, 3]
negatives = [[4, 4, 6], [0, 5, 1], [2, 3, 6], [5, 1, 1], [6, 0, 2]]

a = w_in.clone().requires_grad_(True)
b = w_out.clone().requires_grad_(True)
c = torch.tensor(centers)
v = a[c]
u_o = b[torch.tensor(contexts)]
u_k = b[torch.tensor(negatives)]
positive = torch.nn.functional.logsigmoid((u_o * v).sum(-1))
negative = torch.nn.functional.logsigmoid(-(u_k * v[:, None, :]).sum(-1)).sum(-1)
loss = -(positive + negative).sum()
loss.backward()

fixture = {
    "vocabulary": vocabulary, "dimension": dimension,
    "input_vectors": w_in.flatten().tolist(), "output_vectors": w_out.flatten().tolist(),
    "centers": centers, "contexts": contexts, "negatives": [n for row in negatives for n in row],
    "loss": loss.item(),
    "input_gradient": a.grad.flatten().tolist(), "output_gradient": b.grad.flatten().tolist(),
}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "Fixtures", "word2vec.json"), "w") as f:
    json.dump(fixture, f, indent=1)
    f.write("\n")
