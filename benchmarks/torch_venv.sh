#!/usr/bin/env bash
# The newest PyTorch wheel from the package registry in a virtual environment (not part of CI:
# the install is large), made once and reused. Prints the environment's python, for the
# benchmarks' PYTHON:
#   PYTHON=$(benchmarks/torch_venv.sh) benchmarks/run_train_bench.sh build
#   benchmarks/torch_venv.sh --upgrade    # move to a newer wheel
set -euo pipefail
VENV=${EMBER_TORCH_VENV:-$(cd "$(dirname "$0")/.." && pwd)/build-torch-venv}
if [[ ! -x $VENV/bin/python ]]; then
  python3 -m venv "$VENV" >&2 || { echo "torch_venv: python3 -m venv failed (Debian: apt-get install python3-venv)" >&2; exit 1; }
fi
if [[ ${1:-} == --upgrade ]] || ! "$VENV/bin/python" -c 'import torch' 2>/dev/null; then
  "$VENV/bin/pip" install --quiet --upgrade torch >&2
fi
echo "$VENV/bin/python"
