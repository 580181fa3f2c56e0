#!/usr/bin/env bash
# The test command: installs what is missing, configures, builds everything (the CUDA
# backend too when the toolkit is present, so that it always compiles and links) and
# runs the whole suite. BUILD_DIR and EMBER_CMAKE_ARGS may be set to vary it.
# Then the hardening stage: the unit tests again under AddressSanitizer + UBSan (build dir
# build-asan, CPU only) and the parser fuzzers (tools/fuzz.sh, FUZZ_SECONDS each).
# EMBER_TEST_SANITIZERS=0 skips that stage (for a quick local run; CI runs it).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
# TensorBoard's Python reader, for the tests of the event files (build-tb-venv; pip's cache
# makes it quick after the first time). Without a package registry those tests skip.
tools/tensorboard_venv.sh >/dev/null || echo "test.sh: TensorBoard could not be installed; the tests that read event files with it will skip"
BUILD_DIR=${BUILD_DIR:-build}
export CCACHE_BASEDIR=$PWD
# shellcheck disable=SC2086
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release ${EMBER_CMAKE_ARGS:-}
cmake --build "$BUILD_DIR"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j2

[[ ${EMBER_TEST_SANITIZERS:-1} == 0 ]] && exit 0

# ---- AddressSanitizer + UndefinedBehaviorSanitizer ----
ASAN_DIR=${ASAN_BUILD_DIR:-build-asan}
echo "test.sh: sanitizer build in $ASAN_DIR"
cmake -S . -B "$ASAN_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer" \
  -DEMBER_CUDA=OFF -DEMBER_BUILD_BENCHMARKS=OFF -DEMBER_BUILD_EXAMPLES=OFF
cmake --build "$ASAN_DIR"
# halt_on_error: the first report fails the test (UBSan would otherwise print and go on).
# detect_leaks: LeakSanitizer runs at each test executable's exit.
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# install_consumer is left out: it links an outside program (built without the sanitizer
# flags) against the sanitized libember.so, where the ASan runtime would have to come first.
ctest --test-dir "$ASAN_DIR" --output-on-failure -j2 -E '^install_consumer$'

# ---- fuzzing: every parser for FUZZ_SECONDS (default 30) ----
tools/fuzz.sh
