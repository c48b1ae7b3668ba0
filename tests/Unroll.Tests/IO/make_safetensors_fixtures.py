#!/usr/bin/python3
"""Safetensors fixtures for SafetensorsTests.cs, written from real PyTorch modules.

    /usr/bin/python3 make_safetensors_fixtures.py            # (re)write Fixtures/
    /usr/bin/python3 make_safetensors_fixtures.py --verify FILE CASE
                                                             # check a file written by Unroll

PyTorch 1.13 (Debian's python3-torch) has no safetensors module, so the format is written and
read here by hand, as the reference implementation (huggingface/safetensors) lays it out:
an unsigned 64-bit little-endian header size N, N bytes of JSON padded with spaces to a
multiple of 8, then the data buffer, each tensor's bytes at data_offsets relative to its start.

Each case is a module whose submodules carry the property names of the matching Unroll model
in StModels.cs (Embed, Rnn, Head), so state_dict() keys are the names Unroll expects, e.g.
"Rnn.weight_ih_l0_reverse". Per case the script writes:
    Fixtures/<case>.safetensors   the float32 state_dict(), with {"format": "pt"} metadata
    Fixtures/<case>.json          a fixed input and PyTorch's float64 output for those weights
and, for st_gru, the same weights as F64, F16 and BF16 (<case>_f64.safetensors, ...).

Unroll is batch-first: the recurrent modules use batch_first=True.
"""

import json
import math
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "Fixtures")

# dtype name -> (bytes per element, struct code or None when packed by hand)
DTYPES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2}


# ---------------------------------------------------------------------------------------------
# The format, by hand (no torch needed)

def write_safetensors(path, tensors, metadata=None):
    """tensors: list of (name, dtype, shape, raw little-endian bytes). Laid out as the reference
    writer does: sorted by dtype size (largest first), then by name; header padded to 8."""
    order = sorted(tensors, key=lambda t: (-DTYPES[t[1]], t[0]))
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    offset = 0
    for name, dtype, shape, data in order:
        count = math.prod(shape)
        assert len(data) == count * DTYPES[dtype], name
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for _, _, _, data in order:
            f.write(data)


def read_safetensors(path):
    """Reads and validates a file as the reference reader does. Returns (metadata, {name: (dtype,
    shape, raw bytes)}, header order, header size)."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError("shorter than 8 bytes")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > len(blob) - 8 or n > 100_000_000:
        raise ValueError(f"header size {n} too large")
    text = blob[8:8 + n]
    if not text.startswith(b"{"):
        raise ValueError("header does not start with {")
    pairs = json.loads(text.decode("utf-8"), object_pairs_hook=lambda p: p)
    names = [k for k, _ in pairs]
    if len(set(names)) != len(names):
        raise ValueError("duplicate key")
    buffer = blob[8 + n:]
    metadata = None
    tensors = {}
    order = []
    for name, info in pairs:
        if name == "__metadata__":
            metadata = dict(info)
            if not all(isinstance(v, str) for v in metadata.values()):
                raise ValueError("metadata values must be strings")
            continue
        info = dict(info)
        dtype, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
        if dtype not in DTYPES:
            raise ValueError(f"{name}: dtype {dtype}")
        if math.prod(shape) * DTYPES[dtype] != end - begin:
            raise ValueError(f"{name}: shape {shape} does not match offsets {begin}, {end}")
        tensors[name] = (dtype, shape, begin, end)
        order.append(name)
    position = 0
    for name in sorted(tensors, key=lambda k: tensors[k][2:]):
        dtype, shape, begin, end = tensors[name]
        if begin != position:
            raise ValueError(f"{name}: offsets do not tile the buffer")
        position = end
    if position != len(buffer):
        raise ValueError("tensors do not cover the buffer")
    out = {name: (t[0], t[1], buffer[t[2]:t[3]]) for name, t in tensors.items()}
    return metadata, out, order, n


# ---------------------------------------------------------------------------------------------
# The PyTorch modules (the Unroll models are in StModels.cs)

def cases():
    import torch
    from torch import nn

    class StTokenLm(nn.Module):
        """[Model(SequenceLength = 6, BatchSize = 3)] Embedding(11, 5), Lstm(5, 7, NumLayers = 2), Linear(7, 11)."""
        def __init__(self):
            super().__init__()
            self.Embed = nn.Embedding(11, 5)
            self.Rnn = nn.LSTM(5, 7, num_layers=2, batch_first=True)
            self.Head = nn.Linear(7, 11)

        def forward(self, tokens):
            return self.Head(self.Rnn(self.Embed(tokens))[0])

    class StBiLstm(nn.Module):
        """[Model(SequenceLength = 5, BatchSize = 2)] Lstm(3, 5, NumLayers = 2, Bidirectional = true), Linear(10, 4, Bias = false)."""
        def __init__(self):
            super().__init__()
            self.Rnn = nn.LSTM(3, 5, num_layers=2, bidirectional=True, batch_first=True)
            self.Head = nn.Linear(10, 4, bias=False)

        def forward(self, x):
            return self.Head(self.Rnn(x)[0])

    class StGru(nn.Module):
        """[Model(SequenceLength = 5, BatchSize = 2)] Gru(4, 6, ReturnSequences = false), Linear(6, 3)."""
        def __init__(self):
            super().__init__()
            self.Rnn = nn.GRU(4, 6, batch_first=True)
            self.Head = nn.Linear(6, 3)

        def forward(self, x):
            return self.Head(self.Rnn(x)[0][:, -1, :])

    def tokens(gen):
        return torch.randint(0, 11, (3, 6), generator=gen)

    return {
        # name: (module class, seed, input maker)
        "st_token_lm": (StTokenLm, 1301, tokens),
        "st_bilstm": (StBiLstm, 1302, lambda gen: torch.randn(2, 5, 3, generator=gen)),
        "st_gru": (StGru, 1303, lambda gen: torch.randn(2, 5, 4, generator=gen)),
    }


def raw(tensor, dtype):
    """Row-major little-endian bytes of a tensor in a safetensors dtype."""
    import torch
    t = tensor.detach().contiguous()
    if dtype == "F32":
        return struct.pack(f"<{t.numel()}f", *t.to(torch.float32).flatten().tolist())
    if dtype == "F64":
        return struct.pack(f"<{t.numel()}d", *t.to(torch.float64).flatten().tolist())
    if dtype == "F16":
        return struct.pack(f"<{t.numel()}h", *t.to(torch.float16).view(torch.int16).flatten().tolist())
    if dtype == "BF16":
        return struct.pack(f"<{t.numel()}h", *t.to(torch.bfloat16).view(torch.int16).flatten().tolist())
    raise ValueError(dtype)


def from_raw(dtype, shape, data):
    import torch
    assert dtype == "F32"
    count = math.prod(shape)
    return torch.tensor(struct.unpack(f"<{count}f", data), dtype=torch.float32).reshape(shape)


def run(module, x):
    """PyTorch's output in float64 for the module's (float32) weights."""
    import copy
    import torch
    with torch.no_grad():
        reference = copy.deepcopy(module).double()
        return reference(x if not x.is_floating_point() else x.double())


def tensor_json(t):
    return {"shape": list(t.shape), "values": [float(v) if isinstance(v, float) else int(v) for v in t.flatten().tolist()]}


def generate():
    import torch
    os.makedirs(FIXTURES, exist_ok=True)
    for name, (cls, seed, make_input) in cases().items():
        torch.manual_seed(seed)
        module = cls()
        gen = torch.Generator().manual_seed(seed + 1)
        x = make_input(gen)
        # float32 weights, exactly as stored
        state = {k: v.detach().to(torch.float32).contiguous() for k, v in module.state_dict().items()}
        write_safetensors(os.path.join(FIXTURES, name + ".safetensors"),
                          [(k, "F32", tuple(v.shape), raw(v, "F32")) for k, v in state.items()],
                          metadata={"format": "pt"})
        output = run(module, x)
        with open(os.path.join(FIXTURES, name + ".json"), "w") as f:
            json.dump({
                "torch": torch.__version__,
                "names": list(state.keys()),
                "input": tensor_json(x.double() if x.is_floating_point() else x),
                "output": tensor_json(output),
            }, f, indent=1)
            f.write("\n")
        if name == "st_gru":
            for dtype in ("F64", "F16", "BF16"):
                write_safetensors(os.path.join(FIXTURES, f"{name}_{dtype.lower()}.safetensors"),
                                  [(k, dtype, tuple(v.shape), raw(v, dtype)) for k, v in state.items()])
        print(f"{name}: {len(state)} tensors, output {tuple(output.shape)}")


def verify(path, case):
    """Checks a file written by Unroll: the layout the reference writer produces, the same tensors
    (bit for bit) as the fixture, and, loaded into PyTorch with strict=True, the fixture's output.
    Prints the file's metadata as JSON."""
    metadata, tensors, order, header_size = read_safetensors(path)
    assert header_size % 8 == 0, f"header size {header_size} is not a multiple of 8"
    _, expected, _, _ = read_safetensors(os.path.join(FIXTURES, case + ".safetensors"))
    assert set(tensors) == set(expected), f"names {sorted(tensors)} != {sorted(expected)}"
    for k, (dtype, shape, data) in tensors.items():
        assert dtype == "F32", f"{k}: {dtype}"
        assert list(shape) == list(expected[k][1]), f"{k}: shape {shape} != {expected[k][1]}"
        assert data == expected[k][2], f"{k}: values differ"
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        cls = cases()[case][0]
        module = cls()
        module.load_state_dict({k: from_raw(*t) for k, t in tensors.items()}, strict=True)
        with open(os.path.join(FIXTURES, case + ".json")) as f:
            fixture = json.load(f)
        x = torch.tensor(fixture["input"]["values"]).reshape(fixture["input"]["shape"])
        output = run(module, x).flatten().tolist()
        want = fixture["output"]["values"]
        assert len(output) == len(want)
        assert all(abs(a - b) <= 1e-12 for a, b in zip(output, want)), "output differs"
    print(json.dumps({"metadata": metadata, "order": order, "torch": torch is not None}))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--verify":
        verify(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 1:
        generate()
    else:
        sys.exit(__doc__)
