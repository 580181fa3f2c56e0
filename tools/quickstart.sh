#!/usr/bin/env bash
# The README's first command: installs what is missing, builds ember-train and trains a
# ResNet-20 on Fashion-MNIST (Debian's dataset-fashion-mnist) on the CPU. Extra arguments
# go to ember-train (e.g. --epochs 30, --device cuda).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
BUILD_DIR=${BUILD_DIR:-build}
export CCACHE_BASEDIR=$PWD
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$BUILD_DIR" --target ember-train
exec "$BUILD_DIR/tools/ember-train" --model resnet20 --dataset fashion-mnist --epochs 8 --out runs/quickstart "$@"
