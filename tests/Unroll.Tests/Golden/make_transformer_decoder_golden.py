"""Golden data for Unroll's [TransformerDecoderLayer], in the schema of shared/golden (float64 part only).

Each case is a small encoder-decoder transformer, batch-first, all in float64 and in train mode (dropout 0, so that
PyTorch's fast path, which zeroes padded outputs, is not taken): the float source src [B, Ts, cin] of per-row lengths
goes through In = Linear(cin, d) and Enc = nn.TransformerEncoderLayer with src_key_padding_mask (True past a row's length;
the padded source values are random too), whose output is the memory of the decoder Dec: its target (token ids through
Dec.embedding, or float features [B, Td, d]) plus positions (the sinusoidal table of PyTorch's transformer tutorial,
computed in float64, or Dec.positions, learned; no sqrt(d) scaling) goes through Dec.layers (nn.TransformerDecoderLayer,
each called with the causal tgt_mask of -inf and memory_key_padding_mask), then Dec.norm (pre-norm only, as
nn.TransformerDecoder's final norm) and Dec.out = Linear(d, O). All target steps are real. loss = sum(w * output**2).
A self-check runs the first case's batch once more row by row (memory of row b = the encoder over src[b, :L] alone,
unmasked) and asserts that it agrees with the batch, so the padding masks mean "each row alone".
Run with Debian's python3-torch: /usr/bin/python3 make_transformer_decoder_golden.py  (writes transformer_decoder_*.json
here and ../IO/Fixtures/transformer_decoder_post.safetensors).
"""
import json
import math
import os

import torch

import golden_rows

T = golden_rows.T


def sinusoidal_table(d, max_len):
    """The tutorial's PositionalEncoding table in float64; an odd width's last column is a sine only."""
    position = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, d, 2, dtype=torch.float64) * (-math.log(10000.0) / d))
    pe = torch.zeros(max_len, d, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term[: d // 2])
    return pe


class Decoder(torch.nn.Module):
    """embedding (token targets only), positions (learned only), layers, norm (pre-norm only), out: the state dict of
    Unroll's [TransformerDecoderLayer]."""

    def __init__(self, d, vocab, time, learned, num_layers, heads, feedforward, activation, norm_first, out):
        super().__init__()
        if vocab > 0:
            self.embedding = torch.nn.Embedding(vocab, d)
        if learned:
            self.positions = torch.nn.Embedding(time, d)
        self.layers = torch.nn.ModuleList([
            torch.nn.TransformerDecoderLayer(d, heads, feedforward, dropout=0.0, activation=activation, batch_first=True,
                                             norm_first=norm_first) for _ in range(num_layers)])
        if norm_first:
            self.norm = torch.nn.LayerNorm(d)
        self.out = torch.nn.Linear(d, out)
        self.vocab, self.learned, self.d = vocab, learned, d

    def forward(self, tgt, memory, memory_key_padding_mask=None):
        x = self.embedding(tgt) if self.vocab > 0 else tgt
        t = x.shape[1]
        if self.learned:
            x = x + self.positions.weight[:t]
        else:
            x = x + sinusoidal_table(self.d, t).to(x.dtype)
        causal = torch.triu(torch.full((t, t), float("-inf"), dtype=x.dtype), diagonal=1)
        for layer in self.layers:
            x = layer(x, memory, tgt_mask=causal, memory_key_padding_mask=memory_key_padding_mask)
        if hasattr(self, "norm"):
            x = self.norm(x)
        return self.out(x)


class Seq2Seq(torch.nn.Module):
    def __init__(self, cin, d, enc_heads, enc_ff, enc_activation, enc_norm_first, **dec):
        super().__init__()
        self.In = torch.nn.Linear(cin, d)
        self.Enc = torch.nn.TransformerEncoderLayer(d, enc_heads, enc_ff, dropout=0.0, activation=enc_activation,
                                                    batch_first=True, norm_first=enc_norm_first)
        self.Dec = Decoder(d, **dec)

    def forward(self, src, lengths, tgt):
        padding = torch.arange(src.shape[1]).unsqueeze(0) >= torch.tensor(lengths).unsqueeze(1)
        memory = self.Enc(self.In(src), src_key_padding_mask=padding)
        return self.Dec(tgt, memory, memory_key_padding_mask=padding)

    def row_alone(self, src_row, tgt_row):
        """One row on its own source steps, without any mask but the causal one."""
        memory = self.Enc(self.In(src_row.unsqueeze(0)))
        return self.Dec(tgt_row.unsqueeze(0), memory)[0]


def case(name, seed, describe, batch, src_time, cin, lengths, tgt_time, check_rows=False, **config):
    torch.manual_seed(seed)
    model = Seq2Seq(cin, **config).double().train()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.float().double())  # values exactly representable in float32
    vocab, d = config["vocab"], config["d"]
    src = torch.randn(batch, src_time, cin, dtype=torch.float32).double().requires_grad_()
    if vocab > 0:
        tgt = torch.randint(0, vocab, (batch, tgt_time))
        tgt_json = tgt.double()
    else:
        tgt = torch.randn(batch, tgt_time, d, dtype=torch.float32).double().requires_grad_()
        tgt_json = tgt
    out = model(src, lengths, tgt)
    w = torch.randn(out.shape, dtype=torch.float32).double()
    loss = (w * out ** 2).sum()
    loss.backward()

    if check_rows:
        with torch.no_grad():
            again = model(src, lengths, tgt)
            assert torch.equal(again, out)
            for b in range(batch):
                alone = model.row_alone(src[b, :lengths[b]], tgt[b])
                err = (alone - out[b]).abs().max().item()
                assert err < 1e-10, (name, b, err)
            print(f"{name}: batch == rows alone (max error within 1e-10)")

    grad_inputs = {"src": T(src.grad)}
    if vocab <= 0:
        grad_inputs["tgt_in"] = T(tgt.grad)
    golden = {
        "case": f"transformer_decoder_{name}",
        "module": describe,
        "lengths": lengths,
        "loss_weights": {"output": T(w)},
        "float64": {
            "params": {n: T(p) for n, p in model.named_parameters()},
            "inputs": {"src": T(src), "tgt_in": T(tgt_json)},
            "outputs": {"output": T(out)},
            "loss": loss.item(),
            "grad_params": {n: T(p.grad) for n, p in model.named_parameters()},
            "grad_inputs": grad_inputs,
        },
    }
    with open(os.path.join(golden_rows.HERE, f"transformer_decoder_{name}.json"), "w") as f:
        json.dump(golden, f)
    print(f"transformer_decoder_{name}.json parameters:")
    for n, p in model.named_parameters():
        print(f"  {n} {list(p.shape)}")


# Source Linear(3, 8) -> post-norm encoder layer (2 heads, ff 12, ReLU), rows of 5, 3 and 4 steps; decoder of token ids
# (V = 7) + sinusoidal positions -> 1 post-norm decoder layer (2 heads, ff 12, ReLU) -> Linear(8, 5), 4 target steps.
case("post", 27,
     "In = Linear(3, 8) -> Enc = TransformerEncoderLayer(8, 2, 12, relu, post-norm) = memory; "
     "Dec: Embedding(7, 8) + sinusoidal positions -> TransformerDecoderLayer(8, 2, 12, relu, post-norm, causal, "
     "memory_key_padding_mask) -> Linear(8, 5); batch-first, source rows alone",
     batch=3, src_time=5, cin=3, lengths=[5, 3, 4], tgt_time=4, check_rows=True,
     d=8, enc_heads=2, enc_ff=12, enc_activation="relu", enc_norm_first=False,
     vocab=7, time=4, learned=False, num_layers=1, heads=2, feedforward=12, activation="relu", norm_first=False, out=5)

# Odd sizes, pre-norm, stacked: source Linear(3, 6) -> pre-norm encoder layer (3 heads, ff 7, ReLU), rows of 4, 2 and 3
# steps; decoder of float targets [B, 3, 6] + learned positions -> 2 pre-norm decoder layers (2 heads, ff 5, GELU) ->
# final LayerNorm(6) -> Linear(6, 4).
case("pre_stacked", 28,
     "In = Linear(3, 6) -> Enc = TransformerEncoderLayer(6, 3, 7, relu, norm_first) = memory; "
     "Dec: float target + learned positions Embedding(3, 6) -> 2 x TransformerDecoderLayer(6, 2, 5, gelu, norm_first, "
     "causal, memory_key_padding_mask) -> LayerNorm(6) -> Linear(6, 4); batch-first, source rows alone",
     batch=3, src_time=4, cin=3, lengths=[4, 2, 3], tgt_time=3, check_rows=True,
     d=6, enc_heads=3, enc_ff=7, enc_activation="relu", enc_norm_first=True,
     vocab=0, time=3, learned=True, num_layers=2, heads=2, feedforward=5, activation="gelu", norm_first=True, out=4)

golden_rows.write_weights("transformer_decoder_post")
