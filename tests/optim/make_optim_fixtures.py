#!/usr/bin/python3
"""Computes PyTorch reference values for the optimizer, schedule and clipping tests in
tests/optim/ (test_reference.cpp).

Run from anywhere with a Python that has torch (developed with torch 1.13):
    /usr/bin/python3 tests/optim/make_optim_fixtures.py
It rewrites tests/data/optim_reference.txt. The tests read only that file; they never run
Python.

Fixture format: plain text, one record per line, fields separated by single spaces; lines
starting with '#' are comments. Every record begins with the case name, then a kind. A case's
records are consecutive and start with its `case` record. Tensors are written as
<ndim> <dims...> <values...> in row-major order; floats use %.17g (exact for doubles).

    <case> case <family> <type>           family: optimizer, schedule or clip; type: sgd, adam,
                                          adamw, step_lr, ..., clip_grad_norm, clip_grad_value
    <case> option <key> <value>           optimizer option (constructor defaults for groups)
    <case> group <g> <key> <value>        per-group override (betas as beta1/beta2)
    <case> arg <key> <value...>           schedule or clipping argument
    <case> param <i> <g> <tensor>         initial value of parameter i, a member of group g
    <case> steps <n>                      optimizer steps / schedule steps
    <case> grad <s> <i> <tensor>          grad of parameter i for step s (1-based); a missing
                                          record means an undefined grad (the parameter is
                                          skipped). For clip cases s is 0.
    <case> expect <s> <i> <tensor>        parameter i after step s (clip: grad i after clipping)
    <case> lr <s> <lr of each group>      schedule: lrs after s steps (s = 0: after construction)
    <case> momentum <s> <value per group> OneCycleLR: momentum (SGD) or beta1 (Adam) after s steps
    <case> metric <s> <value>             ReduceLROnPlateau: metric passed to step s
    <case> total <value>                  clip_grad_norm_: returned total norm

All optimizer cases run in float64 with torch's single-tensor (foreach=False) code path.
"""
import math
import os
import warnings

import torch
from torch.optim import lr_scheduler as sch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_PATH = os.path.normpath(os.path.join(HERE, "..", "data", "optim_reference.txt"))

# SequentialLR steps its second schedule with an explicit epoch and we step schedulers with no
# real optimizer step: both warn, and neither matters for the values.
warnings.filterwarnings("ignore", category=UserWarning)
torch.manual_seed(20240607)
DT = torch.float64
LINES = []


def fmt_float(v):
    v = float(v)
    assert math.isfinite(v), "fixture values must be finite"
    assert v == 0.0 or abs(v) > 1e-300, "subnormal value in fixture"
    return "%.17g" % v


def tensor_fields(t):
    t = t.detach().contiguous()
    dims = list(t.shape)
    return " ".join([str(len(dims))] + [str(d) for d in dims] +
                    [fmt_float(v) for v in t.reshape(-1).tolist()])


def rec(*fields):
    LINES.append(" ".join(str(f) for f in fields))


# --------------------------------------------------------------------------- optimizers

STEPS = 6
SHAPES = [(2, 3), (4,), (3,)]
# Gradients shrink and grow between steps so that AMSGrad's running max matters.
SCALES = [1.0, 2.0, 0.5, 0.1, 1.5, 0.05]
# (step, param) pairs with an undefined grad: the optimizer must skip the parameter there,
# which also desynchronises Adam's per-parameter step counts.
HOLES = {(3, 1), (4, 2), (5, 2)}

INIT = [torch.randn(*s, dtype=DT) for s in SHAPES]
GRADS = {(s, i): torch.randn(*SHAPES[i], dtype=DT) * SCALES[s - 1]
         for s in range(1, STEPS + 1) for i in range(len(SHAPES)) if (s, i) not in HOLES}


def optimizer_case(name, kind, options, groups=None):
    """groups: list of (param indices, overrides); default: one group with all params."""
    if groups is None:
        groups = [(list(range(len(SHAPES))), {})]
    params = [p.clone().requires_grad_() for p in INIT]
    torch_groups = []
    for idx, over in groups:
        g = {"params": [params[i] for i in idx]}
        g.update(over)
        torch_groups.append(g)
    cls = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[kind]
    opt = cls(torch_groups, foreach=False, **options)

    rec(name, "case", "optimizer", kind)
    for k, v in options.items():
        write_hyper(name, "option", k, v)
    for g, (idx, over) in enumerate(groups):
        for k, v in over.items():
            write_hyper(name, "group %d" % g, k, v)
    group_of = {i: g for g, (idx, _) in enumerate(groups) for i in idx}
    for i, p in enumerate(params):
        rec(name, "param", i, group_of[i], tensor_fields(p))
    rec(name, "steps", STEPS)
    for s in range(1, STEPS + 1):
        for i, p in enumerate(params):
            if (s, i) in GRADS:
                p.grad = GRADS[(s, i)].clone()
                rec(name, "grad", s, i, tensor_fields(p.grad))
            else:
                p.grad = None
        opt.step()
        for i, p in enumerate(params):
            rec(name, "expect", s, i, tensor_fields(p))


def write_hyper(name, where, k, v):
    if k == "betas":
        rec(name, where, "beta1", fmt_float(v[0]))
        rec(name, where, "beta2", fmt_float(v[1]))
    elif isinstance(v, bool):
        rec(name, where, k, int(v))
    else:
        rec(name, where, k, fmt_float(v))


def optimizer_cases():
    optimizer_case("sgd_plain", "sgd", {"lr": 0.1})
    optimizer_case("sgd_momentum", "sgd", {"lr": 0.1, "momentum": 0.9})
    optimizer_case("sgd_dampening", "sgd", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3})
    optimizer_case("sgd_nesterov", "sgd", {"lr": 0.05, "momentum": 0.9, "nesterov": True})
    optimizer_case("sgd_weight_decay", "sgd", {"lr": 0.1, "weight_decay": 0.05})
    optimizer_case("sgd_momentum_wd", "sgd",
                   {"lr": 0.1, "momentum": 0.8, "dampening": 0.1, "weight_decay": 0.01})
    optimizer_case("sgd_nesterov_wd", "sgd",
                   {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.05})
    optimizer_case("sgd_groups", "sgd", {"lr": 0.1, "momentum": 0.9},
                   [([0, 2], {}), ([1], {"lr": 0.01, "weight_decay": 0.1, "momentum": 0.5})])
    optimizer_case("adam", "adam", {"lr": 0.01})
    optimizer_case("adam_betas", "adam", {"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-6})
    optimizer_case("adam_amsgrad", "adam", {"lr": 0.01, "amsgrad": True})
    optimizer_case("adam_weight_decay", "adam", {"lr": 0.01, "weight_decay": 0.1})
    optimizer_case("adam_wd_amsgrad", "adam",
                   {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True, "betas": (0.5, 0.9)})
    optimizer_case("adam_groups", "adam", {"lr": 0.01},
                   [([0], {}), ([1, 2], {"lr": 0.001, "betas": (0.5, 0.9), "amsgrad": True})])
    optimizer_case("adamw", "adamw", {"lr": 0.01, "weight_decay": 0.1})
    optimizer_case("adamw_defaults", "adamw", {})
    optimizer_case("adamw_amsgrad", "adamw",
                   {"lr": 0.02, "weight_decay": 0.5, "amsgrad": True, "eps": 1e-4})


# ----------------------------------------------------------------------------- schedules

BASE_LRS = [0.1, 0.05]


def schedule_case(name, kind, steps, make, args, opt_kind="sgd", opt_options=None,
                  metrics=None, momentum=False):
    """make(opt) -> torch scheduler; args: [(key, value...)] written as `arg` records."""
    opt_options = opt_options or {}
    params = [torch.zeros(1, dtype=DT, requires_grad=True) for _ in BASE_LRS]
    groups = [{"params": [p], "lr": lr} for p, lr in zip(params, BASE_LRS)]
    cls = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[opt_kind]
    opt = cls(groups, foreach=False, **opt_options) if opt_kind == "adam" else cls(
        groups, lr=BASE_LRS[0], **opt_options)
    sched = make(opt)

    rec(name, "case", "schedule", kind)
    rec(name, "arg", "optimizer", opt_kind)
    for k, v in opt_options.items():
        write_hyper(name, "option", k, v)
    for g, lr in enumerate(BASE_LRS):
        rec(name, "group", g, "lr", fmt_float(lr))
    for a in args:
        rec(name, "arg", *a)
    rec(name, "steps", steps)

    def mom():
        if opt_kind == "adam":
            return [g["betas"][0] for g in opt.param_groups]
        return [g["momentum"] for g in opt.param_groups]

    history = []

    def record(s):
        history.append([g["lr"] for g in opt.param_groups])
        rec(name, "lr", s, *[fmt_float(g["lr"]) for g in opt.param_groups])
        if momentum:
            rec(name, "momentum", s, *[fmt_float(m) for m in mom()])

    record(0)
    for s in range(1, steps + 1):
        opt.step()  # no grads: a no-op that keeps torch's call-order check quiet
        if metrics is not None:
            rec(name, "metric", s, fmt_float(metrics[s - 1]))
            sched.step(metrics[s - 1])
        else:
            sched.step()
        record(s)
    return history


def warmup_case(name, steps, warmup, start, after_kind, make_after, after_args, after_closed):
    """LinearWarmup(after) == SequentialLR([LinearLR(start, total_iters=warmup), after])."""
    def make(opt):
        lin = sch.LinearLR(opt, start_factor=start, end_factor=1.0, total_iters=warmup)
        if make_after is None:
            return lin
        return sch.SequentialLR(opt, [lin, make_after(opt)], milestones=[warmup])

    history = schedule_case(name, "linear_warmup", steps, make,
                            [("warmup_steps", warmup), ("start_factor", fmt_float(start)),
                             ("after", after_kind)] + [("after." + k, v) for k, v in after_args])
    # The closed form documented in optim/schedule.h, as a check of the emulation.
    for t, lrs in enumerate(history):
        for base, lr in zip(BASE_LRS, lrs):
            want = (base * (start + (1 - start) * t / warmup) if t < warmup
                    else after_closed(base, t - warmup))
            assert abs(lr - want) <= 1e-14 * base, (name, t, lr, want)


def schedule_cases():
    schedule_case("step_lr", "step_lr", 20, lambda o: sch.StepLR(o, step_size=3, gamma=0.5),
                  [("step_size", 3), ("gamma", fmt_float(0.5))])
    schedule_case("multi_step_lr", "multi_step_lr", 20,
                  lambda o: sch.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.3),
                  [("milestones", 2, 5, 5, 9), ("gamma", fmt_float(0.3))])
    schedule_case("exponential_lr", "exponential_lr", 20,
                  lambda o: sch.ExponentialLR(o, gamma=0.9), [("gamma", fmt_float(0.9))])
    schedule_case("cosine_annealing_lr", "cosine_annealing_lr", 25,
                  lambda o: sch.CosineAnnealingLR(o, T_max=8, eta_min=0.001),
                  [("t_max", 8), ("eta_min", fmt_float(0.001))])
    schedule_case("cosine_annealing_lr_zero_min", "cosine_annealing_lr", 20,
                  lambda o: sch.CosineAnnealingLR(o, T_max=20),
                  [("t_max", 20), ("eta_min", fmt_float(0.0))])
    warmup_case("warmup_cosine", 25, 5, 0.1, "cosine_annealing_lr",
                lambda o: sch.CosineAnnealingLR(o, T_max=15, eta_min=1e-4),
                [("t_max", 15), ("eta_min", fmt_float(1e-4))],
                lambda b, t: 1e-4 + (b - 1e-4) * (1 + math.cos(math.pi * t / 15)) / 2)
    warmup_case("warmup_step", 20, 3, 0.25, "step_lr",
                lambda o: sch.StepLR(o, step_size=4, gamma=0.5),
                [("step_size", 4), ("gamma", fmt_float(0.5))], lambda b, t: b * 0.5 ** (t // 4))
    warmup_case("warmup_constant", 12, 6, 1.0 / 3.0, "none", None, [], lambda b, t: b)
    schedule_case("one_cycle", "one_cycle_lr", 20,
                  lambda o: sch.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=20),
                  [("max_lrs", fmt_float(1.0), fmt_float(0.5)), ("total_steps", 20)],
                  opt_options={"momentum": 0.9}, momentum=True)
    schedule_case("one_cycle_adam_three_phase_linear", "one_cycle_lr", 16,
                  lambda o: sch.OneCycleLR(o, max_lr=0.01, total_steps=16, pct_start=0.25,
                                           anneal_strategy="linear", three_phase=True,
                                           base_momentum=0.8, max_momentum=0.9,
                                           div_factor=10.0, final_div_factor=100.0),
                  [("max_lr", fmt_float(0.01)), ("total_steps", 16),
                   ("pct_start", fmt_float(0.25)), ("anneal", "linear"), ("three_phase", 1),
                   ("base_momentum", fmt_float(0.8)), ("max_momentum", fmt_float(0.9)),
                   ("div_factor", fmt_float(10.0)), ("final_div_factor", fmt_float(100.0))],
                  opt_kind="adam", momentum=True)
    schedule_case("one_cycle_no_momentum", "one_cycle_lr", 10,
                  lambda o: sch.OneCycleLR(o, max_lr=0.4, total_steps=10, pct_start=0.4,
                                           cycle_momentum=False),
                  [("max_lr", fmt_float(0.4)), ("total_steps", 10), ("pct_start", fmt_float(0.4)),
                   ("cycle_momentum", 0)])
    metrics_min = [1.0, 0.9, 0.95, 0.899, 0.91, 0.92, 0.5, 0.6, 0.7, 0.8, 0.9, 0.45, 0.46,
                   0.47, 0.48, 0.49, 0.5, 0.51, 0.52, 0.53]
    schedule_case("plateau_min", "reduce_lr_on_plateau", len(metrics_min),
                  lambda o: sch.ReduceLROnPlateau(o, mode="min", factor=0.5, patience=2,
                                                  threshold=0.01, cooldown=1, min_lr=0.01),
                  [("mode", "min"), ("factor", fmt_float(0.5)), ("patience", 2),
                   ("threshold", fmt_float(0.01)), ("threshold_mode", "rel"), ("cooldown", 1),
                   ("min_lr", fmt_float(0.01))], metrics=metrics_min)
    metrics_max = [0.1, 0.15, 0.3, 0.35, 0.38, 0.2, 0.6, 0.65, 0.7, 0.69, 0.75, 0.8, 0.81,
                   0.82, 0.83, 0.84]
    schedule_case("plateau_max_abs", "reduce_lr_on_plateau", len(metrics_max),
                  lambda o: sch.ReduceLROnPlateau(o, mode="max", factor=0.2, patience=1,
                                                  threshold=0.1, threshold_mode="abs",
                                                  min_lr=[0.001, 0.02]),
                  [("mode", "max"), ("factor", fmt_float(0.2)), ("patience", 1),
                   ("threshold", fmt_float(0.1)), ("threshold_mode", "abs"), ("cooldown", 0),
                   ("min_lrs", fmt_float(0.001), fmt_float(0.02))], metrics=metrics_max)


# ------------------------------------------------------------------------------ clipping

CLIP_SHAPES = [(3, 2), (5,), (2, 2), (1,)]
CLIP_GRADS = [torch.randn(*s, dtype=DT) for s in CLIP_SHAPES]
CLIP_NO_GRAD = 2  # this parameter has no grad and must be skipped


def clip_case(name, kind, args, fn):
    params = [torch.zeros(*s, dtype=DT, requires_grad=True) for s in CLIP_SHAPES]
    rec(name, "case", "clip", kind)
    for a in args:
        rec(name, "arg", *a)
    for i, p in enumerate(params):
        rec(name, "param", i, 0, tensor_fields(p))
        if i != CLIP_NO_GRAD:
            p.grad = CLIP_GRADS[i].clone()
            rec(name, "grad", 0, i, tensor_fields(p.grad))
    total = fn(params)
    if total is not None:
        rec(name, "total", fmt_float(total))
    for i, p in enumerate(params):
        if p.grad is not None:
            rec(name, "expect", 0, i, tensor_fields(p.grad))


def clip_cases():
    norms = [("clip_norm_l2", 2.0, 1.0), ("clip_norm_l2_no_clip", 2.0, 100.0),
             ("clip_norm_l1", 1.0, 2.0), ("clip_norm_inf", math.inf, 0.5),
             ("clip_norm_p3", 3.0, 0.7)]
    for name, p, max_norm in norms:
        clip_case(name, "clip_grad_norm", [("max_norm", fmt_float(max_norm)),
                                           ("norm_type", "inf" if math.isinf(p) else fmt_float(p))],
                  lambda ps, p=p, m=max_norm: torch.nn.utils.clip_grad_norm_(ps, m, norm_type=p))
    clip_case("clip_value", "clip_grad_value", [("clip_value", fmt_float(0.3))],
              lambda ps: torch.nn.utils.clip_grad_value_(ps, 0.3))


def main():
    optimizer_cases()
    schedule_cases()
    clip_cases()
    with open(OUT_PATH, "w") as f:
        f.write("# ember optimizer reference values; generated by tests/optim/make_optim_fixtures.py\n")
        f.write("# torch %s; do not edit by hand (format described in the script)\n" % torch.__version__)
        for line in LINES:
            f.write(line + "\n")
    print("wrote %d records to %s" % (len(LINES), OUT_PATH))


if __name__ == "__main__":
    main()
