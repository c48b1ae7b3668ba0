"""PyTorch side of benchmarks/peers/run: the same workloads as Unroll's BenchmarkDotNet suites, one thread
(the training steps again on two).

Prints one JSON object {workload: median seconds}. Each workload runs for at least `--seconds` after a
warm-up; the median is over repetitions of a batch of calls sized to take about 10 ms.
"""
import argparse
import json
import re
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def median_seconds(fn, seconds):
    for _ in range(20):
        fn()
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        if time.perf_counter() - start > 0.01:
            break
        calls *= 2
    samples = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or len(samples) < 15:
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - start) / calls)
    return statistics.median(samples)


def step_workload(cell, hidden):
    rnn = cell(8, hidden)
    x = torch.randn(1, 1, 8)
    state = {"s": None}

    @torch.no_grad()
    def run():
        out, state["s"] = rnn(x, state["s"])
    return run


class CharLm(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(65, 32)
        self.rnn = nn.LSTM(32, 128, batch_first=True)
        self.head = nn.Linear(128, 65)

    def forward(self, tokens):
        return self.head(self.rnn(self.embed(tokens))[0])


def next_character_training(model, batch):
    """One Adam step of a character model on random windows of 64 characters: cross-entropy over 65 classes."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    tokens = torch.randint(0, 65, (batch, 64))
    targets = torch.randint(0, 65, (batch, 64))

    def run():
        loss = F.cross_entropy(model(tokens).reshape(-1, 65), targets.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return run


def charlm_training(batch):
    return next_character_training(CharLm(), batch)


class AttentionBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(64, 4, batch_first=True)
        self.norm = nn.LayerNorm(64)
        self.head = nn.Linear(64, 64)
        self.register_buffer("mask", torch.triu(torch.ones(64, 64, dtype=torch.bool), 1))

    def forward(self, x):
        y = x + self.attn(x, x, x, attn_mask=self.mask, need_weights=False)[0]
        return self.head(self.norm(y))


def attention_training():
    model = AttentionBlock()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(1, 64, 64)
    target = torch.randn(1, 64, 64)

    def run():
        loss = F.mse_loss(model(x), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return run


class Seq2Seq(nn.Module):
    """Unroll's [AttentionDecoder] in PyTorch: bidirectional LSTM encoder, additive attention, LSTMCell decoder."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(42, 24)
        self.encoder = nn.LSTM(24, 48, bidirectional=True, batch_first=True)
        self.target_embed = nn.Embedding(13, 16)
        self.cell = nn.LSTMCell(16 + 96, 96)
        self.W_s = nn.Linear(96, 48, bias=False)
        self.W_h = nn.Linear(96, 48)
        self.v = nn.Linear(48, 1, bias=False)
        self.out = nn.Linear(96 + 96, 12)

    def forward(self, source, target_input):
        memory, (h, c) = self.encoder(self.embed(source))
        s, c = torch.cat([h[0], h[1]], 1), torch.cat([c[0], c[1]], 1)
        keys = self.W_h(memory)
        x = self.target_embed(target_input)
        outputs = []
        for t in range(target_input.shape[1]):
            scores = self.v(torch.tanh(self.W_s(s).unsqueeze(1) + keys)).squeeze(2)
            ctx = torch.bmm(torch.softmax(scores, 1).unsqueeze(1), memory).squeeze(1)
            s, c = self.cell(torch.cat([x[:, t], ctx], 1), (s, c))
            outputs.append(self.out(torch.cat([s, ctx], 1)))
        return torch.stack(outputs, 1)


def seq2seq_training():
    model = Seq2Seq()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    source = torch.randint(1, 42, (16, 24))
    target_input = torch.randint(0, 13, (16, 11))
    target_output = torch.randint(0, 12, (16, 11))

    def run():
        loss = F.cross_entropy(model(source, target_input).reshape(-1, 12), target_output.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return run


def sequence_workload(cell):
    rnn = cell(32, 128, batch_first=True)
    x = torch.randn(1, 64, 32)

    @torch.no_grad()
    def run():
        rnn(x)
    return run


class TriggerWordStream(nn.Module):
    """Unroll's TriggerWordStream (samples/TriggerWord's model) in evaluation, streamed as a PyTorch user would: a window
    of the last 15 frames, and every 4th frame the convolution over it, then one step of each GRU from its state."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(129, 64, 15, stride=4)
        self.norm1, self.norm2, self.norm3 = nn.BatchNorm1d(64), nn.BatchNorm1d(64), nn.BatchNorm1d(64)
        self.rnn1, self.rnn2 = nn.GRU(64, 64, batch_first=True), nn.GRU(64, 64, batch_first=True)
        self.drop = nn.Dropout(0.2)
        self.head = nn.Linear(64, 1)
        self.eval()

    def step(self, window, state):
        h = self.drop(torch.relu(self.norm1(self.conv(window)[:, :, 0])))  # [1, 64]
        h, s1 = self.rnn1(h[:, None], state[0])
        h, s2 = self.rnn2(self.norm2(self.drop(h[:, 0]))[:, None], state[1])
        return self.head(self.norm3(self.drop(h[:, 0]))), (s1, s2)


def trigger_word_frames():
    model = TriggerWordStream()
    frames = torch.randn(4096, 129)
    window = torch.zeros(1, 129, 15)
    s = {"frame": 0, "state": (None, None)}

    @torch.no_grad()
    def run():  # one frame into the window; every 4th frame through the network
        window[0, :, :-1] = window[0, :, 1:].clone()
        window[0, :, -1] = frames[s["frame"]]
        s["frame"] = (s["frame"] + 1) % 4096
        if s["frame"] % 4 == 0:
            _, s["state"] = model.step(window, s["state"])
    return run


def conv_workload(backward):
    conv = nn.Conv1d(101, 128, 15, stride=4)
    x = torch.randn(8, 400, 101, requires_grad=backward)
    dy = torch.randn(8, 97, 128)

    def forward():
        with torch.no_grad():
            conv(x.transpose(1, 2))

    def forward_backward():
        x.grad = None
        conv.zero_grad()
        conv(x.transpose(1, 2)).transpose(1, 2).backward(dy)
    return forward_backward if backward else forward


class CharTransformer(nn.Module):
    """Unroll's CharTransformerBench: embedding 65 → 64, two causal pre-norm encoder layers (4 heads, 256, GELU, dropout 0.1), head."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(65, 64)
        self.blocks = nn.ModuleList(nn.TransformerEncoderLayer(64, 4, 256, 0.1, activation="gelu", batch_first=True, norm_first=True)
                                    for _ in range(2))
        self.head = nn.Linear(64, 65)
        self.register_buffer("mask", torch.triu(torch.full((64, 64), float("-inf")), 1))

    def forward(self, tokens):
        x = self.embed(tokens)
        for block in self.blocks:
            x = block(x, src_mask=self.mask)
        return self.head(x)


def transformer_training():
    return next_character_training(CharTransformer(), 16)


def transformer_decoding():
    """64 characters one at a time with a cache of keys and values per layer (what nn.TransformerEncoderLayer lacks,
    written with its modules): each step runs the new position only. Reported per character."""
    model = CharTransformer().eval()
    tokens = torch.randint(0, 65, (64,))

    def step(token, caches, t):
        x = model.embed(token.view(1, 1))
        for block, (keys, values) in zip(model.blocks, caches):
            attn = block.self_attn
            h = block.norm1(x)
            q, k, v = F.linear(h, attn.in_proj_weight, attn.in_proj_bias).chunk(3, -1)
            keys[:, t], values[:, t] = k[:, 0], v[:, 0]
            heads = lambda z: z.view(1, -1, 4, 16).transpose(1, 2)
            ctx = F.softmax(heads(q) @ heads(keys[:, :t + 1]).transpose(-1, -2) / 4.0, -1) @ heads(values[:, :t + 1])
            x = x + attn.out_proj(ctx.transpose(1, 2).reshape(1, 1, 64))
            x = x + block.linear2(block.activation(block.linear1(block.norm2(x))))
        return model.head(x)

    def run():
        with torch.no_grad():
            caches = [(torch.zeros(1, 64, 64), torch.zeros(1, 64, 64)) for _ in model.blocks]
            for t in range(64):
                step(tokens[t], caches, t)
    run.per_call = 64  # the median is divided by the characters of a call
    return run


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--only", default="", help="only the workloads whose name this regular expression finds")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    workloads = {}
    for h in (16, 32, 64, 128, 256):
        workloads[f"LSTM Step h{h}"] = step_workload(nn.LSTM, h)
        workloads[f"GRU Step h{h}"] = step_workload(nn.GRU, h)
    workloads["LSTM Forward 32→128, 64 steps"] = sequence_workload(nn.LSTM)
    workloads["GRU Forward 32→128, 64 steps"] = sequence_workload(nn.GRU)
    workloads["RNN Forward 32→128, 64 steps"] = sequence_workload(nn.RNN)
    workloads["Conv1d 101→128 k15 s4, 8 × 400 steps, Forward"] = conv_workload(False)
    workloads["Conv1d 101→128 k15 s4, 8 × 400 steps, Forward + Backward"] = conv_workload(True)
    workloads["trigger-word model streaming, per 10 ms frame"] = trigger_word_frames()
    workloads["transformer decoding, cached, per character"] = transformer_decoding()
    training = {
        "char-LM training step, batch 1": lambda: charlm_training(1),
        "char-LM training step, batch 16": lambda: charlm_training(16),
        "attention block training step, batch 1": attention_training,
        "seq2seq training step, batch 16": seq2seq_training,
        "transformer training step, batch 16": transformer_training,
    }
    for name, make in training.items():
        workloads[name] = make()
    medians = {name: median_seconds(fn, args.seconds) / getattr(fn, "per_call", 1) for name, fn in workloads.items() if re.search(args.only, name)}
    # The training steps again with both cores (intra-op threads, as Unroll's products split).
    torch.set_num_threads(2)
    for name, make in training.items():
        if re.search(args.only, name):
            medians[f"{name}, 2 threads"] = median_seconds(make(), args.seconds)
    print(json.dumps(medians))


if __name__ == "__main__":
    main()
