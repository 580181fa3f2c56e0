#!/usr/bin/env bash
# Fingerprints of ember-train's results for refactors that must not change a bit on the
# CPU: a few short fixed-seed runs (SGD and AdamW, a ResNet and an MLP, Fashion-MNIST
# subsets), each reduced to the SHA-256 of its final weights and of the metrics columns
# that do not depend on timing. Run before and after a change with the same thread count
# and compare the lines.
#   tools/output_hash.sh [BUILD_DIR] [THREADS]      (defaults: build, 2)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
THREADS=${2:-2}
TRAIN=$B/tools/ember-train
[[ -x $TRAIN ]] || { echo "output_hash: $TRAIN is not built" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
run() {
  local name=$1
  shift
  "$TRAIN" --quiet --threads "$THREADS" --seed 7 --train-subset 1024 --test-subset 256 --out "$work/$name" "$@" >/dev/null
  local w m
  w=$(sha256sum <"$work/$name/model.safetensors" | cut -c1-16)
  m=$(cut -d, -f1-6 "$work/$name/metrics.csv" | sha256sum | cut -c1-16)
  printf '%-16s weights %s  metrics %s  final %s\n' "$name" "$w" "$m" "$(tail -1 "$work/$name/metrics.csv" | cut -d, -f2-5)"
}
run resnet20-sgd --model resnet20 --epochs 2 --batch-size 64 --augment crop+flip
run mlp-adamw --model mlp --epochs 2 --optimizer adamw --schedule cosine --label-smoothing 0.1
run resnet20-adam --model resnet20 --epochs 1 --batch-size 128 --optimizer adam --augment none
