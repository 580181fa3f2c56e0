#!/usr/bin/env bash
# The test command: installs what is missing, configures, builds everything (the CUDA
# backend too when the toolkit is present, so that it always compiles and links) and
# runs the whole suite. BUILD_DIR and EMBER_CMAKE_ARGS may be set to vary it.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
BUILD_DIR=${BUILD_DIR:-build}
export CCACHE_BASEDIR=$PWD
# shellcheck disable=SC2086
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release ${EMBER_CMAKE_ARGS:-}
cmake --build "$BUILD_DIR"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j2
