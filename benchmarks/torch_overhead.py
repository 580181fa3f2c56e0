#!/usr/bin/env python3
"""PyTorch's twin of bench_overhead: the per-op cost of eager PyTorch on 1-element CPU tensors
(same ops, same counts, median of rounds of the mean time per call), printed in
bench_overhead's format so that run_overhead_bench.sh can put them side by side."""
import argparse
import statistics
import time

import torch

p = argparse.ArgumentParser()
p.add_argument("--ops", type=int, default=200000)
p.add_argument("--rounds", type=int, default=7)
p.add_argument("--threads", type=int, default=0)
a = p.parse_args()
if a.threads > 0:
    torch.set_num_threads(a.threads)


def us_per_op(op):
    for _ in range(a.ops // 10):
        op()
    rounds = []
    for _ in range(a.rounds):
        t0 = time.perf_counter()
        for _ in range(a.ops):
            op()
        rounds.append((time.perf_counter() - t0) * 1e6 / a.ops)
    return statistics.median(rounds)


def report(name, us):
    print(f"bench={name} shape=1 ms={us / 1000:.6f} us_per_op={us:.4f}", flush=True)


print(f"# torch_overhead torch={torch.__version__} ops={a.ops} rounds={a.rounds}")
x, y = torch.ones(1), torch.ones(1)
report("add", us_per_op(lambda: x + y))
report("add_inplace", us_per_op(lambda: x.add_(y)))
report("mul", us_per_op(lambda: x * y))
report("relu", us_per_op(lambda: torch.relu(x)))
gx, gy = torch.ones(1, requires_grad=True), torch.ones(1, requires_grad=True)
with torch.no_grad():
    report("add_no_grad_mode", us_per_op(lambda: gx + gy))
report("add_requires_grad", us_per_op(lambda: gx + gy))
seed = torch.ones(1)
report("add_forward_backward", us_per_op(lambda: (gx + gy).backward(seed)))
