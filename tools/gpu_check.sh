#!/usr/bin/env bash
# The one prepared GPU check, run ON the lent GPU machine from the repository root, with
# .gpu-deps carried (tools/gpu_bundle.sh makes it here). It prints what the machine has,
# builds ember with the CUDA backend for sm_90, runs the whole test suite with the GPU
# present, the CUDA tests once under compute-sanitizer (memcheck), the GPU benchmarks
# that exist, and a summary table last. Logs go to $OUT. Aimed at ~6 minutes.
#   device run: bash tools/gpu_check.sh        (carry: [".gpu-deps"], timeout_s: 540)
set -uo pipefail
OUT=${OUT:-/tmp/gpu_check}
mkdir -p "$OUT"
cd "$(dirname "$0")/.."
T0=$(date +%s)
DEPS=$PWD/.gpu-deps/usr
export LD_LIBRARY_PATH="$DEPS/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
declare -A RESULT

{
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  nvcc --version | tail -2
  cmake --version | head -1
  ls /usr/local/cuda/lib64 2>/dev/null | grep -E "cublas|cudnn" | head
} 2>&1 | tee "$OUT/machine.txt"

# cuDNN and cuBLAS may come from PyTorch's wheels rather than the toolkit.
PYLIB=$(python3 -c 'import nvidia, os; print(os.path.dirname(list(nvidia.__path__)[0]) + "/nvidia")' 2>/dev/null || true)
EXTRA=()
if [[ ! -e /usr/local/cuda/include/cudnn.h && -n "$PYLIB" && -d "$PYLIB/cudnn" ]]; then
  EXTRA+=(-DCUDNN_INCLUDE_DIR="$PYLIB/cudnn/include" -DCUDNN_LIBRARY="$(ls "$PYLIB"/cudnn/lib/libcudnn.so* | head -1)")
  export LD_LIBRARY_PATH="$PYLIB/cudnn/lib:$PYLIB/cublas/lib:$LD_LIBRARY_PATH"
fi

cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DEMBER_CUDA=ON -DEMBER_CUDA_ARCHITECTURES=90 \
  -DCMAKE_PREFIX_PATH="$DEPS" "${EXTRA[@]}" >"$OUT/configure.log" 2>&1 && RESULT[configure]=ok || RESULT[configure]=FAILED
if [[ ${RESULT[configure]} == ok ]]; then
  cmake --build build-gpu -j16 >"$OUT/build.log" 2>&1 && RESULT[build]=ok || RESULT[build]=FAILED
  tail -5 "$OUT/build.log"
fi
if [[ ${RESULT[build]:-} == ok ]]; then
  ctest --test-dir build-gpu -j8 --output-on-failure --timeout 300 >"$OUT/ctest.log" 2>&1 && RESULT[tests]=ok || RESULT[tests]=FAILED
  tail -25 "$OUT/ctest.log"
  ./build-gpu/tests/cuda_tests --gtest_brief=0 >"$OUT/cuda_tests.log" 2>&1
  RESULT[cuda_tests]="$(grep -E '^\[  (PASSED|FAILED|SKIPPED) ' "$OUT/cuda_tests.log" | tr '\n' ' ')"
  if command -v compute-sanitizer >/dev/null; then
    timeout 180 compute-sanitizer --tool memcheck --error-exitcode 9 ./build-gpu/tests/cuda_tests --gtest_brief=1 \
      >"$OUT/memcheck.log" 2>&1 && RESULT[memcheck]=clean || RESULT[memcheck]="FAILED (see memcheck.log)"
  else
    RESULT[memcheck]="compute-sanitizer not found"
  fi
  for b in build-gpu/benchmarks/bench_cuda*; do
    [[ -x $b ]] && { timeout 120 "$b" --json "$OUT/$(basename "$b").json" 2>&1 | tee "$OUT/$(basename "$b").txt"; }
  done
  ls build-gpu/benchmarks/bench_cuda* >/dev/null 2>&1 || RESULT[gpu_benchmarks]="none yet (no CUDA op kernels)"
fi

echo
echo "== ember GPU check, $(date -u '+%Y-%m-%d %H:%M UTC'), $(head -1 "$OUT/machine.txt"), $(( $(date +%s) - T0 )) s =="
for k in configure build tests cuda_tests memcheck gpu_benchmarks; do
  printf "%-16s %s\n" "$k" "${RESULT[$k]:-not run}"
done
