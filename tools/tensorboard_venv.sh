#!/usr/bin/env bash
# TensorBoard's own Python reader in a virtual environment, for the tests that read back the
# event files ember writes (tests/tensorboard). Made once at <repo>/build-tb-venv and reused;
# the newest tensorboard from the package registry, so that the tests follow the reader users
# have. Prints the environment's python on stdout; on failure says why on stderr and in
# <venv>.error, and exits 1 (the tests then skip, quoting that file).
#   tools/tensorboard_venv.sh             make or reuse
#   tools/tensorboard_venv.sh --upgrade   move to a newer tensorboard
set -euo pipefail
VENV=${EMBER_TB_VENV:-$(cd "$(dirname "$0")/.." && pwd)/build-tb-venv}
fail() {
  echo "tensorboard_venv: $*" >&2
  tr '\n' ' ' <<<"$*" >"$VENV.error" 2>/dev/null
  exit 1
}
# What the tests import: the event reader, the plugins' protos and the hparams plugin.
check='import tensorboard, tensorboard.backend.event_processing.event_accumulator, tensorboard.plugins.hparams.plugin_data_pb2'

if [[ -x $VENV/bin/python && ${1:-} != --upgrade ]] && "$VENV/bin/python" -c "$check" 2>/dev/null; then
  rm -f "$VENV.error"
  echo "$VENV/bin/python"
  exit 0
fi
if [[ ! -x $VENV/bin/python ]]; then
  rm -rf "$VENV"
  # Debian's python3 needs python3-venv for ensurepip (tools/install-deps.sh installs it).
  log=$(python3 -m venv "$VENV" 2>&1) || {
    rm -rf "$VENV"
    fail "python3 -m venv $VENV failed (Debian: apt-get install python3-venv): $(tail -n 3 <<<"$log")"
  }
fi
# pip's own cache makes a second install quick; stdout stays the path alone.
log=$("$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade tensorboard 2>&1) ||
  fail "pip install tensorboard failed (is the package registry reachable?): $(tail -n 3 <<<"$log")"
err=$("$VENV/bin/python" -c "$check" 2>&1) ||
  fail "tensorboard was installed but does not import: $(tail -n 3 <<<"$err")"
rm -f "$VENV.error"
echo "$VENV/bin/python"
