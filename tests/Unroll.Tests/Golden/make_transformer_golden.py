"""Golden data for Unroll's [TransformerEncoderLayer], in the schema of shared/golden (float64 part only).

Each case is a small model around nn.TransformerEncoderLayer(batch_first=True, dropout=0) run row by row on each row's own
steps (a row of length L is the sequence x[b, :L] alone), which is what a src_key_padding_mask gives its real steps, so
per-row lengths mean what they mean in Unroll. A causal layer gets the upper-triangular src_mask of -inf. Steps past a
row's length are not compared (their loss weights are 0). loss = sum(w * output**2).
Run with Debian's python3-torch: /usr/bin/python3 make_transformer_golden.py  (writes transformer_*.json here and
../IO/Fixtures/transformer_encoder_post.safetensors).
"""
import torch

import golden_rows


class Encoder(torch.nn.Module):
    """nn.TransformerEncoderLayer on batch-first input, with a causal mask when asked."""

    def __init__(self, d, heads, feedforward, activation="relu", norm_first=False, causal=False):
        super().__init__()
        self.layer = torch.nn.TransformerEncoderLayer(d, heads, feedforward, dropout=0.0, activation=activation,
                                                      batch_first=True, norm_first=norm_first)
        self.causal = causal

    def forward(self, x):
        mask = None
        if self.causal:
            t = x.shape[1]
            mask = torch.triu(torch.full((t, t), float("-inf"), dtype=x.dtype), diagonal=1)
        return self.layer(x, src_mask=mask)


def case(name, describe, layers, names, batch, time, cin, lengths):
    golden_rows.case("transformer_", 17, name, describe, layers, names, batch, time, cin, lengths, lambda t: t)


def linear(index, prefix):
    return {f"{index}.weight": f"{prefix}.weight", f"{index}.bias": f"{prefix}.bias"}


def encoder(index, prefix):
    keys = ["self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
            "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"]
    return {f"{index}.layer.{k}": f"{prefix}.{k}" for k in keys}


# Linear(3, 8) -> post-norm encoder layer (2 heads, feed-forward 12, ReLU) -> Linear(8, 2); rows of 6, 3 and 5 steps.
case("encoder_post", "Linear(3, 8) -> TransformerEncoderLayer(8, 2, 12, relu, post-norm) -> Linear(8, 2), batch-first, rows alone",
     [torch.nn.Linear(3, 8), Encoder(8, 2, 12), torch.nn.Linear(8, 2)],
     {**linear(0, "In"), **encoder(1, "Block"), **linear(2, "Head")},
     3, 6, 3, [6, 3, 5])

# Linear(3, 8) -> pre-norm causal encoder layer (4 heads, feed-forward 10, GELU) -> Linear(8, 2); rows of 6, 2 and 4 steps.
case("encoder_pre_causal", "Linear(3, 8) -> TransformerEncoderLayer(8, 4, 10, gelu, norm_first, causal) -> Linear(8, 2), batch-first, rows alone",
     [torch.nn.Linear(3, 8), Encoder(8, 4, 10, "gelu", norm_first=True, causal=True), torch.nn.Linear(8, 2)],
     {**linear(0, "In"), **encoder(1, "Block"), **linear(2, "Head")},
     3, 6, 3, [6, 2, 4])

# Odd sizes, stacked: Linear(3, 6) -> causal post-norm layer (3 heads, 7) -> pre-norm layer (2 heads, 5) -> Linear(6, 2).
case("encoder_stacked", "Linear(3, 6) -> TransformerEncoderLayer(6, 3, 7, causal) -> TransformerEncoderLayer(6, 2, 5, norm_first) -> Linear(6, 2), batch-first, rows alone",
     [torch.nn.Linear(3, 6), Encoder(6, 3, 7, causal=True), Encoder(6, 2, 5, norm_first=True), torch.nn.Linear(6, 2)],
     {**linear(0, "In"), **encoder(1, "First"), **encoder(2, "Second"), **linear(3, "Head")},
     3, 5, 3, [5, 5, 3])

golden_rows.write_weights("transformer_encoder_post")
