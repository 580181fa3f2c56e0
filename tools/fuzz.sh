#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ (clang-14, ASan+UBSan, build dir build-fuzz) and runs
# each for FUZZ_SECONDS (default 30) on a scratch copy of its committed seed corpus. Fails on
# any finding: a crash or sanitizer report, a leak, an input that runs longer than
# FUZZ_TIMEOUT seconds (default 5), more than 2 GB of RSS or a single malloc over 1 GB, or a
# non-ember exception escaping a reader. Prints the executions per target.
#   tools/fuzz.sh                  build and run every target
#   tools/fuzz.sh idx csv          only these targets
#   tools/fuzz.sh --make-corpus    regenerate fuzz/corpus/ with the library's writers
# A finding leaves its input under build-fuzz/artifacts/<target>/; replay it with
#   build-fuzz/fuzz/fuzz_<target> build-fuzz/artifacts/<target>/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-5}
JOBS=${FUZZ_BUILD_JOBS:-}
CC_BIN=${FUZZ_CC:-clang-14}
CXX_BIN=${FUZZ_CXX:-clang++-14}
export CCACHE_BASEDIR=$PWD

if [[ ! -f $FUZZ_DIR/build.ninja ]]; then
  CC=$CC_BIN CXX=$CXX_BIN cmake -S . -B "$FUZZ_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DEMBER_FUZZ=ON -DEMBER_CUDA=OFF -DBUILD_SHARED_LIBS=OFF -DEMBER_BUILD_TESTS=OFF \
    -DEMBER_BUILD_BENCHMARKS=OFF -DEMBER_BUILD_EXAMPLES=OFF >/dev/null
fi
cmake --build "$FUZZ_DIR" --target fuzz_all fuzz_make_corpus ${JOBS:+-j "$JOBS"}

if [[ ${1:-} == --make-corpus ]]; then
  rm -rf fuzz/corpus
  "$FUZZ_DIR"/fuzz/fuzz_make_corpus fuzz/corpus
  du -sh fuzz/corpus
  exit 0
fi

targets=("$@")
if ((${#targets[@]} == 0)); then
  for f in fuzz/fuzz_*.cpp; do
    t=${f#fuzz/fuzz_}
    targets+=("${t%.cpp}")
  done
fi

# libFuzzer's own leak check covers each input; halt on the first UBSan report.
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
# The readers are single-threaded; one OpenMP thread keeps the runs comparable.
export OMP_NUM_THREADS=1

failed=()
summary=()
for t in "${targets[@]}"; do
  bin=$FUZZ_DIR/fuzz/fuzz_$t
  [[ -x $bin ]] || { echo "fuzz: no target $t ($bin)"; failed+=("$t"); continue; }
  work=$FUZZ_DIR/work/$t
  art=$FUZZ_DIR/artifacts/$t
  rm -rf "$work" && mkdir -p "$work" "$art"
  log=$FUZZ_DIR/work/$t.log
  echo "fuzz: $t for ${FUZZ_SECONDS}s"
  rc=0
  # First corpus dir is the scratch one (new inputs go there); the committed seeds are read-only.
  "$bin" "$work" "fuzz/corpus/$t" -max_total_time="$FUZZ_SECONDS" -timeout="$FUZZ_TIMEOUT" \
    -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$art/" >"$log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 || true)
  if ((rc != 0)); then
    echo "fuzz: $t FAILED (exit $rc) after ${runs:-?} executions; log $log, inputs in $art/"
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written|terminate|what\(\)' "$log" | head -20 || true
    failed+=("$t")
  fi
  summary+=("$(printf '%-12s %10s executions  %s' "$t" "${runs:-?}" "$cov")")
done
echo "fuzz: executions per target (${FUZZ_SECONDS}s each):"
printf '  %s\n' "${summary[@]}"
if ((${#failed[@]})); then
  echo "fuzz: findings in: ${failed[*]}"
  exit 1
fi
echo "fuzz: no findings"
