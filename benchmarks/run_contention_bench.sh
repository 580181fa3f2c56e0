#!/usr/bin/env bash
# Throughput on an idle machine and beside one busy competing process (a shell busy loop at
# the same priority), ember against PyTorch: the share of its idle throughput each keeps.
# Each round runs ember and PyTorch idle, then both again beside the competitor; the table
# shows the medians over ROUNDS rounds of the mean step rate (the mean, not the median step,
# so that the steps a descheduled thread makes slow are counted).
#   PYTHON=$(benchmarks/torch_venv.sh) benchmarks/run_contention_bench.sh [BUILD_DIR]
#   (ROUNDS=3, THREADS=$(nproc) by default)
set -euo pipefail
. "$(dirname "$0")/bench_lib.sh"
cases=("tabular 64 400" "mlp 128 50" "resnet20 128 8")
busy_pid=
stop_busy() {
  if [[ -n $busy_pid ]]; then kill "$busy_pid" 2>/dev/null || true; wait "$busy_pid" 2>/dev/null || true; fi
  busy_pid=
}
trap 'stop_busy; rm -f "$log"' EXIT
printf "%-9s %-5s %12s %12s %7s %12s %12s %7s\n" model batch "ember idle" "ember busy" share "torch idle" "torch busy" share
for c in "${cases[@]}"; do
  read -r model batch steps <<<"$c"
  ei=() eb=() ti=() tb=()
  for ((r = 0; r < ROUNDS; ++r)); do
    for mode in idle busy; do
      [[ $mode == busy ]] && { sh -c 'while :; do :; done' & busy_pid=$!; sleep 0.5; }
      e=$(run "bench_train $model" "$BUILD/benchmarks/bench_train" --model "$model" --batch "$batch" \
          --steps "$steps" | field mean_images_per_s)
      t=$(run "torch_train.py $model" "$PY" "$HERE/torch_train.py" --model "$model" --batch "$batch" \
          --steps "$steps" --threads "$THREADS" | field mean_images_per_s)
      stop_busy
      if [[ $mode == idle ]]; then ei+=("$e"); ti+=("$t"); else eb+=("$e"); tb+=("$t"); fi
    done
  done
  a=$(printf "%s\n" "${ei[@]}" | median) b=$(printf "%s\n" "${eb[@]}" | median)
  x=$(printf "%s\n" "${ti[@]}" | median) y=$(printf "%s\n" "${tb[@]}" | median)
  printf "%-9s %-5s %12.0f %12.0f %7.2f %12.0f %12.0f %7.2f\n" "$model" "$batch" "$a" "$b" \
    "$(awk -v a="$a" -v b="$b" 'BEGIN {print b / a}')" "$x" "$y" "$(awk -v a="$x" -v b="$y" 'BEGIN {print b / a}')"
done
echo "(images/s; $(date -u '+%Y-%m-%d %H:%M UTC'), $(lscpu | sed -n 's/^Model name: *//p' | head -1), $THREADS threads, PyTorch $("$PY" -c 'import torch; print(torch.__version__)' 2>/dev/null), median of $ROUNDS rounds)"
