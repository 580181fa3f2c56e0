#!/usr/bin/env bash
# The one prepared GPU check. Run ON the lent GPU machine from the repository root, with
# .gpu-deps carried (tools/gpu_bundle.sh makes it here):
#   device run: command "bash tools/gpu_check.sh", carry [".gpu-deps"], timeout_s 560
# It records the machine, finds cuDNN (the toolkit's, else PyTorch's wheel), builds ember with
# the CUDA backend for sm_90 on all cores, runs the whole ctest suite, times
# benchmarks/bench_cuda and benchmarks/torch_cuda.py on the same card, runs cuda_tests under
# compute-sanitizer memcheck with the time left, and prints a summary table LAST. Every stage
# has its own time limit inside one overall budget (GPU_CHECK_BUDGET, default 500 s), and a
# failed stage is reported in the table without stopping the others. Logs: $OUT (8 files).
#
#   tools/gpu_check.sh --compare EMBER.txt TORCH.txt   prints the benchmark table of two saved outputs
#
# Knobs (environment): GPU_CHECK_BUDGET (s), GPU_CHECK_BUILD_DIR (build-gpu),
# GPU_CHECK_STAGES (default "configure build ctest bench torch memcheck"), GPU_CHECK_JOBS
# (nproc), GPU_CHECK_BENCH_ARGS (flags for both benchmark programs), GPU_CHECK_CUDNN_DIR (a
# folder with include/cudnn.h and lib/libcudnn.so*), GPU_CHECK_CMAKE_ARGS (extra configure flags).
set -uo pipefail

# ---- benchmark comparison: ember lines joined with torch lines on (bench, shape) ----
compare() {
  awk '
    function field(line, key,   n, i, parts, kv) {
      n = split(line, parts, " ")
      for (i = 1; i <= n; i++) { if (index(parts[i], key "=") == 1) return substr(parts[i], length(key) + 2) }
      return ""
    }
    function metric(line,   k, i, v) {  # the first of these that the line has
      split("tflops images_per_s us_per_op", k, " ")
      for (i = 1; i <= 3; i++) { v = field(line, k[i]); if (v != "") return k[i] "=" v }
      return ""
    }
    function err(line) { return substr(line, index(line, "error=") + 6) }
    FNR == 1 { file++ }
    /^bench=/ {
      key = field($0, "bench") " " field($0, "shape")
      if (file == 1) { if (!(key in E)) order[++n] = key; E[key] = $0 }
      else { T[key] = $0; if (!(key in E)) { order[++n] = key; E[key] = "" } }
    }
    END {
      printf "%-22s %-26s %10s %10s %7s  %-22s %-22s %s\n", "bench", "shape", "ember_ms", "torch_ms", "ratio",
             "ember", "torch", "peak_mb ember/torch"
      for (i = 1; i <= n; i++) {
        key = order[i]; split(key, kb, " "); e = E[key]; t = (key in T) ? T[key] : ""
        em = (e == "" || index(e, "error=")) ? "" : field(e, "ms")
        tm = (t == "" || index(t, "error=")) ? "" : field(t, "ms")
        ratio = (em != "" && tm != "" && em + 0 > 0) ? sprintf("%.3f", tm / em) : "-"
        pe = (e == "") ? "" : field(e, "peak_mb"); pt = (t == "") ? "" : field(t, "peak_mb")
        printf "%-22s %-26s %10s %10s %7s  %-22s %-22s %s\n", kb[1], kb[2], em == "" ? "-" : em,
               tm == "" ? "-" : tm, ratio, em == "" ? "-" : metric(e), tm == "" ? "-" : metric(t),
               (pe == "" && pt == "") ? "" : (pe == "" ? "-" : pe) "/" (pt == "" ? "-" : pt)
        if (e != "" && index(e, "error=")) printf "    ember error: %.150s\n", err(e)
        if (t != "" && index(t, "error=")) printf "    torch error: %.150s\n", err(t)
        if (e == "") printf "    (no ember line)\n"
      }
      print "ratio = torch_ms / ember_ms: above 1, ember is faster"
    }' "$1" "$2"
}
if [[ ${1:-} == --compare ]]; then
  [[ $# -eq 3 ]] || { echo "usage: $0 --compare EMBER.txt TORCH.txt" >&2; exit 2; }
  compare "$2" "$3"
  exit 0
fi

cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
OUT=${OUT:-/tmp/gpu_check_out}
mkdir -p "$OUT"
T0=$(date +%s)
BUDGET=${GPU_CHECK_BUDGET:-500}
DEADLINE=$((T0 + BUDGET))
B=${GPU_CHECK_BUILD_DIR:-build-gpu}
STAGES=" ${GPU_CHECK_STAGES:-configure build ctest bench torch memcheck} "
JOBS=${GPU_CHECK_JOBS:-$(nproc)}
BENCH_ARGS=${GPU_CHECK_BENCH_ARGS:---iters 10 --warmup 3 --max-seconds 8}
DEPS=$ROOT/.gpu-deps/usr
DEPLIB=$DEPS/lib/x86_64-linux-gnu
ORIG_LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}
# nvcc and compute-sanitizer live here when the image does not put them on the PATH.
[[ -d /usr/local/cuda/bin ]] && PATH=$PATH:/usr/local/cuda/bin
declare -A R  # stage -> result shown in the table

log() { echo "[gpu_check $(($(date +%s) - T0))s] $*"; }
want() { [[ $STAGES == *" $1 "* ]]; }
# Seconds a stage may take: at most $1, and never past the deadline minus $2 (kept for
# the stages after it and the summary). 0 means "no time left" (timeout 0 would mean none).
allow() {
  local cap=$1 keep=${2:-15} left
  left=$((DEADLINE - $(date +%s) - keep))
  ((left < cap)) && cap=$left
  ((cap < 0)) && cap=0
  echo "$cap"
}
# Runs "$@" under timeout $1 (seconds); sets RC (124: timed out).
run_for() {
  local t=$1
  shift
  if ((t <= 0)); then
    echo "gpu_check: no time left for: $*"
    RC=200
    return
  fi
  timeout -k 10 "$t" "$@"
  RC=$?
  ((RC == 137)) && RC=124
}
took() { echo "$(($(date +%s) - $1)) s"; }
rc_text() {
  case $1 in
    0) echo "ok" ;;
    124) echo "TIMED OUT" ;;
    200) echo "SKIPPED (no time left)" ;;
    *) echo "rc $1" ;;
  esac
}

# ---- the machine ----
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  timeout 20 nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.max.sm --format=csv,noheader
  timeout 20 nvidia-smi
  grep -E '^(PRETTY_NAME)' /etc/os-release
  echo "cores: $(nproc), memory: $(free -g 2>/dev/null | awk '/Mem:/ {print $2 " GiB"}')"
  timeout 20 nvcc --version | tail -2
  timeout 20 cmake --version | head -1
  echo "ninja $(timeout 20 ninja --version 2>/dev/null)"
  timeout 20 g++ --version | head -1
  timeout 60 python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version())'
  timeout 20 "$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)" --version | tail -1
  echo "/usr/local/cuda/lib64:"; ls /usr/local/cuda/lib64 2>/dev/null | grep -E 'cublas|cudnn|OpenCL' | head -20
  echo "/usr/local/cuda/include:"; ls /usr/local/cuda/include 2>/dev/null | grep -E 'cudnn|cublas_v2|^CL$' | head
} >"$OUT/machine.txt" 2>&1
GPU=$(timeout 20 nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
R[machine]="${GPU:-no GPU seen by nvidia-smi}, $(nproc) cores, $(timeout 20 nvcc --version 2>/dev/null | grep -o 'release [0-9.]*' || echo 'no nvcc')"
log "machine: ${R[machine]}"

# ---- cuDNN: the toolkit's if it has cudnn.h, else the PyTorch wheel's ----
CUDNN_INC="" CUDNN_LIB=""
if [[ -n ${GPU_CHECK_CUDNN_DIR:-} ]]; then
  CUDNN_INC=$GPU_CHECK_CUDNN_DIR/include
  CUDNN_LIB=$(ls "$GPU_CHECK_CUDNN_DIR"/lib/libcudnn.so* 2>/dev/null | sort | head -1)
  WHERE="given"
elif [[ -e /usr/local/cuda/include/cudnn.h ]]; then
  CUDNN_INC=/usr/local/cuda/include
  CUDNN_LIB=$(ls /usr/local/cuda/lib64/libcudnn.so* /usr/lib/x86_64-linux-gnu/libcudnn.so* 2>/dev/null | sort | head -1)
  WHERE="toolkit"
else
  d=$(timeout 60 python3 -c 'import nvidia.cudnn as m, os; print(os.path.dirname(m.__file__) if m.__file__ else list(m.__path__)[0])' 2>/dev/null)
  if [[ -n $d && -e $d/include/cudnn.h ]]; then
    CUDNN_INC=$d/include
    CUDNN_LIB=$(ls "$d"/lib/libcudnn.so* 2>/dev/null | sort | head -1)  # libcudnn.so, else libcudnn.so.9
  fi
  WHERE="pip wheel"
  if [[ -z $CUDNN_INC ]]; then  # last resort: any cudnn.h with a lib/ or lib64/ beside its include/
    h=$(timeout 30 find / -xdev -name cudnn.h -path '*include*' 2>/dev/null | head -1)
    if [[ -n $h ]]; then
      d=$(dirname "$(dirname "$h")")
      CUDNN_INC=$(dirname "$h")
      CUDNN_LIB=$(ls "$d"/lib/libcudnn.so* "$d"/lib64/libcudnn.so* 2>/dev/null | sort | head -1)
      WHERE="found"
    fi
  fi
fi
if [[ -n $CUDNN_INC && -e $CUDNN_INC/cudnn.h && -n $CUDNN_LIB ]]; then
  CUDNN_LIBDIR=$(dirname "$CUDNN_LIB")
  v=$(awk '/#define CUDNN_(MAJOR|MINOR|PATCHLEVEL) / {printf "%s%s", sep, $3; sep="."}' "$CUDNN_INC/cudnn_version.h" 2>/dev/null)
  R[cudnn]="$v ($WHERE: $CUDNN_LIB)"
else
  CUDNN_LIBDIR=""
  R[cudnn]="NOT FOUND (no /usr/local/cuda/include/cudnn.h, no nvidia.cudnn wheel)"
fi
log "cudnn: ${R[cudnn]}"
# ember's binaries find libcudnn through their build RPATH; cuDNN's own sub-libraries
# (loaded with dlopen) and the bundle's libraries through this.
EMBER_LD=$DEPLIB
[[ -n $CUDNN_LIBDIR ]] && EMBER_LD=$CUDNN_LIBDIR:$EMBER_LD
[[ -d /usr/local/cuda/lib64 ]] && EMBER_LD=$EMBER_LD:/usr/local/cuda/lib64
EMBER_LD=$EMBER_LD${ORIG_LD_LIBRARY_PATH:+:$ORIG_LD_LIBRARY_PATH}

# ---- configure ----
GEN=Ninja MAKE_PROGRAM=$(command -v ninja)
[[ -z $MAKE_PROGRAM ]] && GEN="Unix Makefiles" MAKE_PROGRAM=$(command -v make)
NVCC=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
CMAKE_ARGS=(-S . -B "$B" -G "$GEN" -DCMAKE_MAKE_PROGRAM="$MAKE_PROGRAM" -DCMAKE_BUILD_TYPE=Release -DEMBER_CUDA=ON -DEMBER_CUDA_ARCHITECTURES=90
  -DCMAKE_CUDA_COMPILER="$NVCC" -DCMAKE_PREFIX_PATH="$DEPS" -DCMAKE_LIBRARY_PATH="$DEPLIB"
  -DCMAKE_INCLUDE_PATH="$DEPS/include" -Dfmt_DIR="$DEPLIB/cmake/fmt" -Ddnnl_DIR="$DEPLIB/cmake/dnnl"
  -DGTest_DIR="$DEPLIB/cmake/GTest" -Dnlohmann_json_DIR="$DEPS/share/cmake/nlohmann_json"
  -DCMAKE_POLICY_VERSION_MINIMUM=3.5)
if [[ -n $CUDNN_LIB ]]; then
  CMAKE_ARGS+=(-DCUDNN_INCLUDE_DIR="$CUDNN_INC" -DCUDNN_LIBRARY="$CUDNN_LIB" -DCMAKE_BUILD_RPATH="$CUDNN_LIBDIR")
fi
# shellcheck disable=SC2206
[[ -n ${GPU_CHECK_CMAKE_ARGS:-} ]] && CMAKE_ARGS+=(${GPU_CHECK_CMAKE_ARGS})
# Child CMake runs (the install_consumer test) find the bundle's packages through this.
export CMAKE_PREFIX_PATH=$DEPS${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}
: >"$OUT/build.log"
if want configure; then
  t=$(date +%s)
  echo "cmake ${CMAKE_ARGS[*]}" >>"$OUT/build.log"
  run_for "$(allow 120 300)" cmake "${CMAKE_ARGS[@]}" >>"$OUT/build.log" 2>&1
  case $RC in
    0) R[configure]="ok ($(took "$t"), $GEN)" ;;
    124 | 200) R[configure]="$(rc_text $RC) ($(took "$t"))" ;;
    *) R[configure]="FAILED ($(grep -m1 -E 'CMake Error|FATAL' "$OUT/build.log" | cut -c1-120))" ;;
  esac
  log "configure: ${R[configure]}"
fi

# ---- build (keep going past a failed file, so that the rest can still be tested) ----
if want build && [[ -e $B/CMakeCache.txt ]]; then
  t=$(date +%s)
  KEEP=(-k 0)
  [[ $GEN == "Unix Makefiles" ]] && KEEP=(-k)
  run_for "$(allow 330 150)" cmake --build "$B" -j "$JOBS" -- "${KEEP[@]}" >>"$OUT/build.log" 2>&1
  case $RC in
    0) R[build]="ok ($(took "$t"))" ;;
    124 | 200) R[build]="$(rc_text $RC) ($(took "$t"))" ;;
    *) R[build]="FAILED ($(grep -c -E 'error:|error #|Error [0-9]' "$OUT/build.log") error lines, $(took "$t"))" ;;
  esac
  log "build: ${R[build]}"
  if ((RC != 0)); then
    echo "---- first build errors ----"
    grep -E -m 15 'error:|error #|FAILED:' "$OUT/build.log" | cut -c1-220
  fi
fi

# ---- ctest: the whole suite, the GPU present ----
if want ctest && [[ -e $B/CTestTestfile.cmake ]]; then
  t=$(date +%s)
  rm -f "$B/Testing/Temporary/LastTest.log"
  # Parallel test processes share 16 cores: a few OpenMP threads each.
  (export LD_LIBRARY_PATH=$EMBER_LD OMP_NUM_THREADS=4
   run_for "$(allow 150 130)" ctest --test-dir "$B" -j "$JOBS" --output-on-failure --timeout 140; exit $RC) \
    >"$OUT/ctest.log" 2>&1
  RC=$?
  sum=$(grep -E 'tests passed, [0-9]+ tests failed out of' "$OUT/ctest.log" | tail -1)
  notrun=$(sed -n '/The following tests did not run/,/^$/p' "$OUT/ctest.log" | grep -c -E '^\s+[0-9]+ - ')
  if [[ -n $sum ]]; then
    R[ctest]="$(echo "$sum" | sed -E 's/.*, ([0-9]+) tests failed out of ([0-9]+).*/\2 tests, \1 failed/'), $notrun not run/skipped ($(took "$t"))"
  elif ((RC == 124 || RC == 200)); then
    R[ctest]="$(rc_text $RC) ($(took "$t"))"
  else
    R[ctest]="NO RESULT (rc $RC)"
  fi
  failed=$(sed -n '/The following tests FAILED/,$p' "$OUT/ctest.log" | grep -E '^\s+[0-9]+ - ' | sed -E 's/^\s+[0-9]+ - //' | tr '\n' ' ')
  [[ -n $failed ]] && R[ctest]="${R[ctest]}; failed: $failed"
  # gtest's own counts for cuda_tests, from ctest's full log.
  LAST=$B/Testing/Temporary/LastTest.log
  if [[ -e $LAST ]]; then
    sec=$(awk '/ Testing: cuda_tests *$/ {on = 1} on {print} on && /<end of output>/ {exit}' "$LAST")
    p=$(echo "$sec" | grep -oE '^\[  PASSED  \] [0-9]+' | grep -oE '[0-9]+$' | tail -1)
    # --gtest_brief=1 prints no "N tests failed" line: count the failed cases themselves.
    f=$(echo "$sec" | grep -E '^\[  FAILED  \] [A-Za-z_0-9/]+\.[A-Za-z_0-9/]+' | sed -E 's/ \(.*$//' | sort -u | grep -c .)
    s=$(echo "$sec" | grep -oE '^\[  SKIPPED \] [0-9]+ tests?[.,]' | grep -oE '[0-9]+' | head -1)
    R[cuda_tests]="gtest: ${p:-0} passed, ${f:-0} failed, ${s:-0} skipped"
    FAILED_CASES=$(echo "$sec" | grep -E '^\[  FAILED  \] [A-Za-z_0-9/]+\.' | sed -E 's/^\[  FAILED  \] //; s/( \(|, where ).*$//' |
      sort -u | head -40)
  fi
  log "ctest: ${R[ctest]}"
fi

# ---- benchmarks: ember, then PyTorch on the same card ----
if want bench; then
  if [[ -x $B/benchmarks/bench_cuda ]]; then
    t=$(date +%s)
    # shellcheck disable=SC2086
    (export LD_LIBRARY_PATH=$EMBER_LD; run_for "$(allow 120 75)" "$B/benchmarks/bench_cuda" $BENCH_ARGS; exit $RC) \
      >"$OUT/bench_ember.txt" 2>&1
    RC=$?
    R[bench_ember]="$(rc_text $RC), $(grep -c '^bench=.* ms=' "$OUT/bench_ember.txt") measured, $(grep -c '^bench=.* error=' "$OUT/bench_ember.txt") errors ($(took "$t"))"
  else
    R[bench_ember]="not built"
    : >"$OUT/bench_ember.txt"
  fi
  log "bench_ember: ${R[bench_ember]}"
fi
if want torch; then
  t=$(date +%s)
  # PyTorch with the environment it came with (none of the bundle's libraries).
  # shellcheck disable=SC2086
  (export LD_LIBRARY_PATH=$ORIG_LD_LIBRARY_PATH PYTHONUNBUFFERED=1
   run_for "$(allow 100 30)" python3 benchmarks/torch_cuda.py $BENCH_ARGS; exit $RC) >"$OUT/bench_torch.txt" 2>&1
  RC=$?
  R[bench_torch]="$(rc_text $RC), $(grep -c '^bench=.* ms=' "$OUT/bench_torch.txt") measured, $(grep -c '^bench=.* error=' "$OUT/bench_torch.txt") errors ($(took "$t"))"
  log "bench_torch: ${R[bench_torch]}"
fi

# ---- compute-sanitizer memcheck on the per-op parity tests, in the time left ----
if want memcheck; then
  cap=$(allow 180 12)
  CS=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer /usr/local/cuda/compute-sanitizer/compute-sanitizer 2>/dev/null | head -1)
  if [[ -z $CS ]]; then
    R[memcheck]="compute-sanitizer not found"
  elif [[ ! -x $B/tests/cuda_tests ]]; then
    R[memcheck]="cuda_tests not built"
  elif ((cap < 30)); then
    R[memcheck]="skipped (${cap} s left)"
  else
    t=$(date +%s)
    # The whole-model tests are left out: under memcheck they alone would take the budget.
    # The out-of-memory test is too: its failed cudaMalloc is the point of it, and memcheck
    # reports each one as an API error.
    (export LD_LIBRARY_PATH=$EMBER_LD
     run_for "$cap" "$CS" --tool memcheck --error-exitcode 9 --print-limit 100 \
       "$B/tests/cuda_tests" --gtest_brief=1 '--gtest_filter=-ResNetStep.*:CudaRuntimeApi.Tf32*:CudaAllocator.OutOfMemory*'
     exit $RC) >"$OUT/memcheck.log" 2>&1
    RC=$?
    nerr=$(grep -oE 'ERROR SUMMARY: [0-9]+' "$OUT/memcheck.log" | grep -oE '[0-9]+' | tail -1)
    seen=$(grep -cE '^========= (Invalid|Program hit|Uninitialized|Leaked|Malloc|Cuda API error)' "$OUT/memcheck.log")
    if ((RC == 124)); then
      R[memcheck]="TIMED OUT after $(took "$t") ($seen errors so far)"
    elif [[ -n $nerr ]]; then
      R[memcheck]="$nerr errors (rc $RC, $(took "$t"))"
    else
      R[memcheck]="NO SUMMARY (rc $RC, $(took "$t"))"
    fi
  fi
  log "memcheck: ${R[memcheck]}"
fi

# ---- logs (at most 8 files come back) and the summary, last ----
[[ -e $B/Testing/Temporary/LastTest.log ]] && cp "$B/Testing/Temporary/LastTest.log" "$OUT/ctest_full.log"
for f in "$OUT"/*; do
  if (($(stat -c %s "$f") > 15000000)); then
    tail -c 15000000 "$f" >"$f.tmp" && mv "$f.tmp" "$f"
  fi
done
{
  if [[ -n ${FAILED_CASES:-} ]]; then
    echo "---- failed cuda_tests cases (details: ctest_full.log) ----"
    echo "$FAILED_CASES"
  fi
  if [[ -s $OUT/bench_ember.txt || -s $OUT/bench_torch.txt ]]; then
    echo "---- benchmarks (bench_ember.txt, bench_torch.txt) ----"
    grep -h '^#' "$OUT/bench_ember.txt" "$OUT/bench_torch.txt" 2>/dev/null
    grep -h -v -E "^(#|bench=)" "$OUT/bench_ember.txt" "$OUT/bench_torch.txt" 2>/dev/null | head -8
    compare "$OUT/bench_ember.txt" "$OUT/bench_torch.txt"
  fi
  echo
  echo "== ember GPU check, $(date -u '+%Y-%m-%d %H:%M UTC'), $(($(date +%s) - T0)) s of $BUDGET =="
  for k in machine cudnn configure build ctest cuda_tests memcheck bench_ember bench_torch; do
    printf "%-12s %s\n" "$k" "${R[$k]:-not run}"
  done
} | tee "$OUT/summary.txt"
