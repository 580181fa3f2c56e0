#!/usr/bin/env bash
# Training throughput, ember against PyTorch on the same machine in the same run. For each
# row: ember, then PyTorch in each of its forms (eager NCHW, channels_last, and torch.compile
# with TORCH_COMPILE=1, slow to start), ROUNDS times alternating so that load drift hits all;
# the table shows the medians, PyTorch's best form, and ember's ratio to it. PyTorch gets
# OMP_NUM_THREADS=THREADS and torch.set_num_threads(THREADS), the same thread count as ember.
#   PYTHON=$(benchmarks/torch_venv.sh) benchmarks/run_train_bench.sh [BUILD_DIR]
#   (ROUNDS=3, THREADS=$(nproc), TORCH_COMPILE=0 by default; PYTHON defaults to /usr/bin/python3)
set -euo pipefail
. "$(dirname "$0")/bench_lib.sh"
modes=(eager channels_last)
[[ ${TORCH_COMPILE:-0} == 1 ]] && modes+=(compile)
# model batch mode steps input
cases=("mlp 128 train 10 1,28,28" "tabular 64 train 200 1,28,28" "cnn 128 train 10 1,28,28"
       "resnet20 128 train 10 1,28,28" "resnet18 64 train 5 1,28,28" "resnet50 32 train 5 3,64,64"
       "resnet20 128 inference 10 1,28,28" "resnet20 1 inference 200 1,28,28")
header="model      batch mode       ember img/s"
for m in "${modes[@]}"; do header+=$(printf " %19s" "torch $m"); done
printf "%s %14s %6s %9s %9s\n" "$header" "torch best" ratio "ember MB" "torch MB"
for c in "${cases[@]}"; do
  read -r model batch mode steps input <<<"$c"
  flag=()
  [[ $mode == inference ]] && flag=(--inference)
  declare -A rates=()
  e=() em=0 tm=0
  for ((r = 0; r < ROUNDS; ++r)); do
    j=$(run "bench_train $model" "$BUILD/benchmarks/bench_train" --model "$model" --batch "$batch" --steps "$steps" \
        --input "$input" "${flag[@]}")
    e+=("$(field images_per_s <<<"$j")")
    em=$(field peak_rss_mb <<<"$j")
    for m in "${modes[@]}"; do
      j=$(run "torch_train.py $model $m" "$PY" "$HERE/torch_train.py" --model "$model" --batch "$batch" \
          --steps "$steps" --input "$input" --threads "$THREADS" --mode "$m" "${flag[@]}")
      rates[$m]+="$(field images_per_s <<<"$j") "
      t=$(field peak_rss_mb <<<"$j")
      [[ $m == eager ]] && tm=$t
    done
  done
  me=$(printf "%s\n" "${e[@]}" | median)
  line=$(printf "%-10s %-5s %-10s %11.1f" "$model" "$batch" "$mode" "$me")
  best=0
  for m in "${modes[@]}"; do
    v=$(tr ' ' '\n' <<<"${rates[$m]}" | grep . | median)
    line+=$(printf " %19.1f" "$v")
    best=$(awk -v a="$best" -v b="$v" 'BEGIN {print (b > a ? b : a)}')
  done
  printf "%s %14.1f %6.2f %9.0f %9.0f\n" "$line" "$best" "$(awk -v a="$me" -v b="$best" 'BEGIN {print a / b}')" "$em" "$tm"
  unset rates
done
echo "(images/s, for batch 1 the inverse of the latency; $(date -u '+%Y-%m-%d %H:%M UTC'), $(lscpu | sed -n 's/^Model name: *//p' | head -1), $THREADS threads, PyTorch $("$PY" -c 'import torch; print(torch.__version__)' 2>/dev/null), median of $ROUNDS rounds; MB = peak RSS of the process, PyTorch's in eager mode and with the interpreter)"
