#!/usr/bin/env bash
# Per-op host cost, ember (bench_overhead) beside eager PyTorch (torch_overhead.py), on
# 1-element CPU tensors: ROUNDS (default 3) alternating runs of each, the median per op.
#   PYTHON=$(benchmarks/torch_venv.sh) benchmarks/run_overhead_bench.sh [BUILD_DIR]
# Environment: ROUNDS, THREADS (default: all cores), OPS (per round of each program, 200000).
set -euo pipefail
. "$(dirname "$0")/bench_lib.sh"
[[ -x $BUILD/benchmarks/bench_overhead ]] || { echo "$NAME: no $BUILD/benchmarks/bench_overhead (build first)" >&2; exit 2; }
OPS=${OPS:-200000}
declare -A ember torch
for ((r = 0; r < ROUNDS; r++)); do
  e=$(run ember "$BUILD/benchmarks/bench_overhead" --ops "$OPS")
  t=$(run torch "$PY" "$HERE/torch_overhead.py" --ops "$OPS" --threads "$THREADS")
  while read -r name us; do ember[$name]+="$us "; done < <(sed -n -E 's/^bench=([a-z_]+) .*us_per_op=([0-9.]+)/\1 \2/p' <<<"$e")
  while read -r name us; do torch[$name]+="$us "; done < <(sed -n -E 's/^bench=([a-z_]+) .*us_per_op=([0-9.]+)/\1 \2/p' <<<"$t")
done
sed -n 1p <<<"$e"
echo "$(sed -n 1p <<<"$t"), $ROUNDS rounds, $THREADS threads"
echo "| op | ember µs/op | PyTorch µs/op | PyTorch / ember |"
echo "|---|---|---|---|"
for name in add add_inplace mul relu add_no_grad_mode add_requires_grad add_forward_backward; do
  em=$(tr ' ' '\n' <<<"${ember[$name]}" | grep . | median)
  tm=$(tr ' ' '\n' <<<"${torch[$name]}" | grep . | median)
  echo "| $name | $em | $tm | $(awk -v a="$em" -v b="$tm" 'BEGIN { printf "%.2f", b / a }') |"
done
