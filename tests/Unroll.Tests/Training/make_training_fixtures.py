#!/usr/bin/python3
"""Writes the training fixtures (Fixtures/*.json) that tests/Unroll.Tests/Training checks against.

    /usr/bin/python3 tests/Unroll.Tests/Training/make_training_fixtures.py

PyTorch 1.13, CPU, float32 throughout. Every tensor is stored as a flat list of its float32 values
(written as the doubles they are exactly), row-major; learning rates are PyTorch's Python floats.

    losses.json      F.cross_entropy, F.binary_cross_entropy_with_logits, F.mse_loss: loss and input gradient
    optimizers.json  torch.optim SGD / Adam / AdamW: 10 steps from fixed parameters with a fixed gradient
                     per step (p.grad set before each step); the parameters after every step
    clipping.json    torch.nn.utils.clip_grad_norm_ (returned total norm, clipped gradients), clip_grad_value_
    schedules.json   lr_scheduler StepLR / CosineAnnealingLR / LinearLR: the learning rate the optimizer
                     holds at steps 0..29 (read before optimizer.step(); scheduler.step() after it)
    ctc.json         F.ctc_loss of F.log_softmax of batch-first logits [N, T, C] (transposed to PyTorch's [T, N, C]):
                     loss (per row for reduction='none') and the gradient of the logits, also computed in float64
                     from the same logits (loss_float64, gradient_float64, rounded to float32); a non-finite value
                     (an impossible alignment's inf loss and NaN gradient) is written as the string "Infinity" or "NaN"
"""
import json
import os
import warnings

import numpy as np
import torch
import torch.nn.functional as F

warnings.filterwarnings("ignore")  # lr_scheduler's "call optimizer.step() first" chatter
torch.set_default_dtype(torch.float32)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "Fixtures")


def flat(t):
    """A tensor's float32 values, each written in the shortest form that reads back as the same float32."""
    return [float(repr(np.float32(v))) for v in t.detach().to(torch.float32).reshape(-1).tolist()]


def write(name, cases):
    os.makedirs(OUT, exist_ok=True)
    header = {"generator": "make_training_fixtures.py", "torch_version": torch.__version__}
    with open(os.path.join(OUT, name), "w") as f:  # one case per line: small, and diffs stay readable
        f.write(json.dumps(header)[:-1] + ', "cases": [\n')
        f.write(",\n".join(json.dumps(case) for case in cases))
        f.write("\n]}\n")
    print(f"{name}: {len(cases)} cases")


# ---------------------------------------------------------------------------------------- losses
def losses():
    g = torch.Generator().manual_seed(301)
    cases = []

    def cross_entropy(name, n, c, scale=3.0, ignore=(), reduction="mean", ignore_index=-100, label_smoothing=0.0):
        logits = (torch.randn(n, c, generator=g) * scale).requires_grad_()
        targets = torch.randint(0, c, (n,), generator=g)
        for i in ignore:
            targets[i] = ignore_index
        loss = F.cross_entropy(logits, targets, reduction=reduction, ignore_index=ignore_index, label_smoothing=label_smoothing)
        loss.backward()
        cases.append({"name": name, "kind": "cross_entropy", "classes": c, "reduction": reduction,
                      "ignore_index": ignore_index, "label_smoothing": label_smoothing,
                      "logits": flat(logits), "targets": [int(t) for t in targets.tolist()],
                      "loss": float(loss), "gradient": flat(logits.grad)})

    cross_entropy("ce_mean", 6, 5)
    cross_entropy("ce_sum", 6, 5, reduction="sum")
    cross_entropy("ce_one_row", 1, 7)
    cross_entropy("ce_wide", 4, 67, scale=2.0)
    cross_entropy("ce_large_logits", 5, 4, scale=60.0)
    cross_entropy("ce_ignore_mean", 8, 5, ignore=(1, 4, 5))
    cross_entropy("ce_ignore_sum", 8, 5, ignore=(0, 7), reduction="sum")
    cross_entropy("ce_ignore_index_is_a_class", 8, 5, ignore=(2, 3), ignore_index=2)
    cross_entropy("ce_smoothing_mean", 6, 5, label_smoothing=0.1)
    cross_entropy("ce_smoothing_sum", 6, 5, reduction="sum", label_smoothing=0.25)
    cross_entropy("ce_smoothing_one", 3, 4, label_smoothing=1.0)
    cross_entropy("ce_smoothing_ignore_mean", 9, 6, ignore=(0, 3, 8), label_smoothing=0.2)
    cross_entropy("ce_smoothing_ignore_sum", 9, 6, ignore=(5,), reduction="sum", label_smoothing=0.15)
    cross_entropy("ce_smoothing_ignore_large", 7, 33, scale=40.0, ignore=(2,), label_smoothing=0.05)

    def bce(name, shape, scale=2.0, reduction="mean", pos_weight=False, hard=False):
        logits = (torch.randn(*shape, generator=g) * scale).requires_grad_()
        targets = (torch.rand(*shape, generator=g) > 0.5).float() if hard else torch.rand(*shape, generator=g)
        pw = torch.rand(shape[-1], generator=g) * 3 + 0.2 if pos_weight else None
        loss = F.binary_cross_entropy_with_logits(logits, targets, reduction=reduction, pos_weight=pw)
        loss.backward()
        case = {"name": name, "kind": "bce_with_logits", "reduction": reduction,
                "logits": flat(logits), "targets": flat(targets), "loss": float(loss), "gradient": flat(logits.grad)}
        if pw is not None:
            case["pos_weight"] = flat(pw)
        cases.append(case)

    bce("bce_mean", (4, 5))
    bce("bce_sum", (4, 5), reduction="sum")
    bce("bce_hard_targets", (3, 7), hard=True)
    bce("bce_large_logits", (3, 6), scale=50.0, hard=True)
    bce("bce_pos_weight_mean", (4, 5), pos_weight=True)
    bce("bce_pos_weight_sum", (5, 3), reduction="sum", pos_weight=True, hard=True)
    bce("bce_pos_weight_large", (3, 4), scale=40.0, pos_weight=True)

    def mse(name, n, reduction):
        prediction = torch.randn(n, generator=g).requires_grad_()
        target = torch.randn(n, generator=g)
        loss = F.mse_loss(prediction, target, reduction=reduction)
        loss.backward()
        cases.append({"name": name, "kind": "mse", "reduction": reduction, "prediction": flat(prediction),
                      "target": flat(target), "loss": float(loss), "gradient": flat(prediction.grad)})

    mse("mse_mean", 23, "mean")
    mse("mse_sum", 23, "sum")

    # Class weights (F.cross_entropy's weight), drawn after the cases above so that theirs stay as they were.
    def weighted(name, n, c, reduction="mean", ignore=(), label_smoothing=0.0):
        logits = (torch.randn(n, c, generator=g) * 3.0).requires_grad_()
        targets = torch.randint(0, c, (n,), generator=g)
        weight = torch.rand(c, generator=g) * 2 + 0.1
        for i in ignore:
            targets[i] = -100
        loss = F.cross_entropy(logits, targets, weight=weight, reduction=reduction, label_smoothing=label_smoothing)
        loss.backward()
        cases.append({"name": name, "kind": "cross_entropy", "classes": c, "reduction": reduction,
                      "ignore_index": -100, "label_smoothing": label_smoothing, "weight": flat(weight),
                      "logits": flat(logits), "targets": [int(t) for t in targets.tolist()],
                      "loss": float(loss), "gradient": flat(logits.grad)})

    weighted("ce_weighted_mean", 7, 5)
    weighted("ce_weighted_sum", 7, 5, reduction="sum")
    weighted("ce_weighted_ignore_mean", 9, 4, ignore=(2, 6))
    weighted("ce_weighted_smoothing_mean", 8, 6, label_smoothing=0.2)
    weighted("ce_weighted_smoothing_ignore_sum", 8, 6, reduction="sum", ignore=(0,), label_smoothing=0.1)
    write("losses.json", cases)


# ------------------------------------------------------------------------------------ optimizers
STEPS = 10
SHAPES = [(3, 5), (4,)]  # two tensors, as a model's parameter block would hold them; 19 values in all


def optimizers():
    cases = []

    def run(name, make, options, lrs=None):
        g = torch.Generator().manual_seed(sum(map(ord, name)))
        params = [torch.nn.Parameter(torch.randn(*s, generator=g)) for s in SHAPES]
        initial = [v for p in params for v in flat(p)]
        # Gradients of varied size, with a few exact zeros (Adam then divides by eps alone).
        grads = []
        for step in range(STEPS):
            step_grads = []
            for s in SHAPES:
                gr = torch.randn(*s, generator=g) * (0.5 + step * 0.3)
                gr[torch.rand(*s, generator=g) < 0.1] = 0.0
                step_grads.append(gr)
            grads.append(step_grads)
        opt = make(params)
        trajectory, lr_used = [], []
        for step in range(STEPS):
            if lrs is not None:
                for group in opt.param_groups:
                    group["lr"] = lrs[step]
            lr_used.append(opt.param_groups[0]["lr"])
            for p, gr in zip(params, grads[step]):
                p.grad = gr.clone()
            opt.step()
            trajectory.append([v for p in params for v in flat(p)])
        cases.append({"name": name, "optimizer": type(opt).__name__, "options": options,
                      "parameter_count": len(initial), "learning_rates": lr_used, "initial": initial,
                      "gradients": [[v for gr in step_grads for v in flat(gr)] for step_grads in grads],
                      "parameters": trajectory})

    def sgd(name, **kw):
        kw.setdefault("lr", 0.1)
        run(name, lambda ps: torch.optim.SGD(ps, foreach=False, **kw), kw)

    sgd("sgd_plain")
    sgd("sgd_momentum", momentum=0.9)
    sgd("sgd_dampening", momentum=0.8, dampening=0.3)
    sgd("sgd_nesterov", momentum=0.9, nesterov=True)
    sgd("sgd_weight_decay", lr=0.05, weight_decay=0.1)
    sgd("sgd_all", lr=0.03, momentum=0.7, nesterov=True, weight_decay=0.01)
    sgd("sgd_momentum_dampening_decay", lr=0.02, momentum=0.5, dampening=0.5, weight_decay=0.2)

    def adam(name, cls, lrs=None, **kw):
        run(name, lambda ps: cls(ps, foreach=False, **kw), kw, lrs)

    adam("adam_default", torch.optim.Adam)
    adam("adam_large_lr", torch.optim.Adam, lr=0.1)
    adam("adam_betas_eps", torch.optim.Adam, lr=0.01, betas=(0.8, 0.95), eps=1e-6)
    adam("adam_weight_decay", torch.optim.Adam, lr=0.01, weight_decay=0.1)
    adam("adam_amsgrad", torch.optim.Adam, lr=0.05, amsgrad=True)
    adam("adam_amsgrad_weight_decay", torch.optim.Adam, lr=0.02, weight_decay=0.05, amsgrad=True)
    adam("adam_changing_lr", torch.optim.Adam, lrs=[0.05 * 0.8 ** k for k in range(STEPS)], lr=0.05)
    adam("adamw_default", torch.optim.AdamW)
    adam("adamw_large", torch.optim.AdamW, lr=0.1, weight_decay=0.3)
    adam("adamw_amsgrad", torch.optim.AdamW, lr=0.02, betas=(0.85, 0.99), weight_decay=0.05, amsgrad=True)
    adam("adamw_no_decay", torch.optim.AdamW, lr=0.01, weight_decay=0.0)
    write("optimizers.json", cases)


# -------------------------------------------------------------------------------------- clipping
def clipping():
    g = torch.Generator().manual_seed(707)
    cases = []

    def by_norm(name, max_norm, norm_type, scale=1.0):
        params = [torch.nn.Parameter(torch.zeros(*s)) for s in SHAPES]
        for p in params:
            p.grad = torch.randn(*p.shape, generator=g) * scale
        before = [v for p in params for v in flat(p.grad)]
        total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
        cases.append({"name": name, "kind": "norm", "max_norm": max_norm,
                      "norm_type": "inf" if norm_type == float("inf") else norm_type,
                      "gradients": before, "total_norm": float(total),
                      "clipped": [v for p in params for v in flat(p.grad)]})

    by_norm("norm2_clips", 1.0, 2.0)
    by_norm("norm2_no_clip", 100.0, 2.0)
    by_norm("norm2_large", 5.0, 2.0, scale=1000.0)
    by_norm("norm_inf_clips", 0.5, float("inf"))
    by_norm("norm_inf_no_clip", 10.0, float("inf"))
    by_norm("norm1_clips", 3.0, 1.0)
    by_norm("norm3_clips", 0.7, 3.0)

    def by_value(name, clip_value):
        params = [torch.nn.Parameter(torch.zeros(*s)) for s in SHAPES]
        for p in params:
            p.grad = torch.randn(*p.shape, generator=g) * 2
        before = [v for p in params for v in flat(p.grad)]
        torch.nn.utils.clip_grad_value_(params, clip_value)
        cases.append({"name": name, "kind": "value", "clip_value": clip_value, "gradients": before,
                      "clipped": [v for p in params for v in flat(p.grad)]})

    by_value("value_1", 1.0)
    by_value("value_0_25", 0.25)
    write("clipping.json", cases)


# ------------------------------------------------------------------------------------- schedules
def schedules():
    cases = []

    def run(name, base_lr, make, options, steps=30):
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=base_lr)
        sched = make(opt)
        lrs = []
        for _ in range(steps):
            lrs.append(opt.param_groups[0]["lr"])  # the rate this step trains with
            opt.step()
            sched.step()
        cases.append({"name": name, "schedule": type(sched).__name__, "base_lr": base_lr,
                      "options": options, "learning_rates": lrs})

    S = torch.optim.lr_scheduler
    run("step_lr", 0.1, lambda o: S.StepLR(o, step_size=7, gamma=0.5), {"step_size": 7, "gamma": 0.5})
    run("step_lr_default_gamma", 0.3, lambda o: S.StepLR(o, step_size=4), {"step_size": 4})
    run("cosine", 0.1, lambda o: S.CosineAnnealingLR(o, T_max=10), {"T_max": 10})
    run("cosine_eta_min", 0.05, lambda o: S.CosineAnnealingLR(o, T_max=12, eta_min=0.001), {"T_max": 12, "eta_min": 0.001})
    run("linear_default", 0.01, lambda o: S.LinearLR(o), {})
    run("linear_warmup", 0.002, lambda o: S.LinearLR(o, start_factor=0.1, total_iters=8), {"start_factor": 0.1, "total_iters": 8})
    run("linear_decay", 0.2, lambda o: S.LinearLR(o, start_factor=1.0, end_factor=0.25, total_iters=20), {"start_factor": 1.0, "end_factor": 0.25, "total_iters": 20})
    write("schedules.json", cases)


# ------------------------------------------------------------------------------------------- ctc
def finite_or_name(values):
    """Numbers as they are; inf and NaN as the strings .NET's float.Parse reads (JSON has no such numbers)."""
    return [v if np.isfinite(v) else ("NaN" if np.isnan(v) else ("Infinity" if v > 0 else "-Infinity")) for v in values]


def ctc():
    g = torch.Generator().manual_seed(911)
    cases = []

    def case(name, input_lengths, target_lengths, max_t=None, classes=5, max_s=None, blank=0, reduction="mean",
             zero_infinity=False, scale=2.0, targets=None):
        n = len(input_lengths)
        max_t = max_t or max(input_lengths)
        max_s = max_s if max_s is not None else max(target_lengths)
        logits = (torch.randn(n, max_t, classes, generator=g) * scale).requires_grad_()
        if targets is None:
            labels = torch.tensor([c for c in range(classes) if c != blank])
            targets = labels[torch.randint(0, len(labels), (n, max_s), generator=g)]
        else:
            targets = torch.tensor(targets, dtype=torch.long).reshape(n, max_s)

        def run(x):
            log_probs = F.log_softmax(x, 2).transpose(0, 1)  # [T, N, C]
            loss = F.ctc_loss(log_probs, targets, torch.tensor(input_lengths), torch.tensor(target_lengths), blank=blank,
                              reduction=reduction, zero_infinity=zero_infinity)
            loss.sum().backward()
            return finite_or_name(flat(loss)), finite_or_name(flat(x.grad))

        loss, gradient = run(logits)
        # The same logits in float64: the exact answer, rounded to float32, that PyTorch's float32 result approximates.
        loss64, gradient64 = run(logits.detach().double().requires_grad_())
        cases.append({"name": name, "classes": classes, "blank": blank, "reduction": reduction,
                      "zero_infinity": zero_infinity, "logits": flat(logits),
                      "targets": [int(t) for t in targets.reshape(-1).tolist()],
                      "input_lengths": list(input_lengths), "target_lengths": list(target_lengths),
                      "loss": loss, "gradient": gradient, "loss_float64": loss64, "gradient_float64": gradient64})

    for reduction in ("mean", "sum", "none"):
        case(f"ctc_{reduction}", [8, 8, 8], [3, 2, 3], reduction=reduction)
    case("ctc_repeated_labels", [7, 7, 5], [3, 2, 2], max_s=3, targets=[1, 1, 2, 3, 3, 0, 2, 2, 2])
    case("ctc_empty_targets", [6, 6, 4], [0, 2, 0], max_s=2)
    case("ctc_no_target_columns", [5, 3], [0, 0], max_s=0, reduction="sum")
    case("ctc_target_as_long_as_input", [4, 6], [4, 4], max_t=6, targets=[1, 2, 3, 4, 2, 2, 3, 3])
    case("ctc_input_lengths", [10, 7, 4, 1], [4, 3, 2, 1], max_t=10, reduction="sum")
    case("ctc_blank_last", [9, 6], [4, 3], blank=4)
    case("ctc_blank_middle", [9, 6], [4, 3], classes=6, blank=2, reduction="sum")
    case("ctc_wide", [30, 24, 17], [12, 9, 5], classes=41, scale=3.0)
    case("ctc_large_logits", [8, 8], [3, 4], scale=25.0, reduction="sum")
    case("ctc_one_step", [1, 1], [1, 0], reduction="sum")
    # "aab" needs four steps (a blank between the a's), "ab" then "a" cannot fit in one: impossible rows.
    impossible = dict(input_lengths=[3, 6, 1], target_lengths=[3, 2, 2], max_s=3, targets=[1, 1, 2, 3, 1, 0, 1, 2, 0])
    for reduction in ("mean", "sum", "none"):
        case(f"ctc_impossible_{reduction}", reduction=reduction, **impossible)
        case(f"ctc_impossible_zero_infinity_{reduction}", reduction=reduction, zero_infinity=True, **impossible)
    write("ctc.json", cases)


if __name__ == "__main__":
    losses()
    optimizers()
    clipping()
    schedules()
    ctc()
