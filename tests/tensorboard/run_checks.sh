#!/usr/bin/env bash
# ctest's entry to check_tensorboard.py: skips (exit 77) when TensorBoard's virtual environment
# is absent, saying why tools/tensorboard_venv.sh could not make it.
#   run_checks.sh PYTHON TB_WRITER WORK_DIR DESCRIPTOR_SET
set -uo pipefail
[[ $# -eq 4 ]] || { echo "usage: $0 PYTHON TB_WRITER WORK_DIR DESCRIPTOR_SET" >&2; exit 2; }
python=$1 writer=$2 work=$3 descriptors=$4
if ! [[ -x $python ]] || ! err=$("$python" -c 'import tensorboard' 2>&1); then
  venv=$(dirname "$(dirname "$python")")
  if [[ -s $venv.error ]]; then  # tensorboard_venv.sh leaves its last failure beside the venv
    reason=$(<"$venv.error")
  elif [[ -x $python ]]; then
    reason="$python cannot import tensorboard: $(tail -n 1 <<<"$err")"
  else
    reason="$venv does not exist; tools/test.sh runs the script, or run it by hand"
  fi
  echo "SKIPPED: TensorBoard is not installed (tools/tensorboard_venv.sh could not install it: $reason)"
  exit 77
fi
rm -rf "$work" && mkdir -p "$work" || exit 1
exec "$python" "$(dirname "$0")/check_tensorboard.py" --writer "$writer" --work "$work" --descriptor-set "$descriptors"
