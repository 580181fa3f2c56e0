#!/usr/bin/env bash
# Training throughput, ember against PyTorch on the same machine in the same run:
# each model runs ember then PyTorch, ROUNDS times (alternating, so load drift hits both),
# and the table shows the medians and their ratio. PyTorch gets OMP_NUM_THREADS=THREADS and
# torch.set_num_threads(THREADS), the same thread count as ember's OpenMP.
#   benchmarks/run_train_bench.sh [BUILD_DIR]      (ROUNDS=3 THREADS=$(nproc) by default)
set -euo pipefail
BUILD=${1:-build}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-$(nproc)}
PY=${PYTHON:-/usr/bin/python3}
HERE=$(cd "$(dirname "$0")" && pwd)
cases=("mlp 128 train" "cnn 128 train" "resnet20 128 train" "resnet18 64 train" "resnet20 128 inference")
printf "%-10s %-6s %-9s %12s %12s %7s %10s %10s\n" model batch mode "ember img/s" "torch img/s" ratio "ember MB" "torch MB"
for c in "${cases[@]}"; do
  read -r model batch mode <<<"$c"
  flag=""
  [[ $mode == inference ]] && flag="--inference"
  steps=10
  [[ $model == resnet18 ]] && steps=5
  e=() t=() em=0 tm=0
  for ((r = 0; r < ROUNDS; ++r)); do
    je=$(OMP_NUM_THREADS=$THREADS "$BUILD/benchmarks/bench_train" --model "$model" --batch "$batch" --steps $steps $flag)
    jt=$(OMP_NUM_THREADS=$THREADS "$PY" "$HERE/torch_train.py" --model "$model" --batch "$batch" --steps $steps \
         --threads "$THREADS" $flag)
    e+=("$(sed -E 's/.*"images_per_s": ([0-9.]+).*/\1/' <<<"$je")")
    t+=("$(sed -E 's/.*"images_per_s": ([0-9.]+).*/\1/' <<<"$jt")")
    em=$(sed -E 's/.*"peak_rss_mb": ([0-9.]+).*/\1/' <<<"$je")
    tm=$(sed -E 's/.*"peak_rss_mb": ([0-9.]+).*/\1/' <<<"$jt")
  done
  me=$(printf "%s\n" "${e[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  mt=$(printf "%s\n" "${t[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  printf "%-10s %-6s %-9s %12.0f %12.0f %7.2f %10.0f %10.0f\n" "$model" "$batch" "$mode" "$me" "$mt" \
    "$(awk -v a="$me" -v b="$mt" 'BEGIN {print a / b}')" "$em" "$tm"
done
echo "($(date -u '+%Y-%m-%d %H:%M UTC'), $(lscpu | sed -n 's/^Model name: *//p' | head -1), $THREADS threads, median of $ROUNDS rounds; MB = peak RSS of the process)"
