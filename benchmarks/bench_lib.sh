# Sourced by run_train_bench.sh and run_contention_bench.sh (with their arguments): the
# settings they share, the checks before any timing, and the helpers that read the
# benchmarks' JSON lines.
BUILD=${1:-build}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-$(nproc)}
PY=${PYTHON:-/usr/bin/python3}
HERE=$(cd "$(dirname "$0")" && pwd)
NAME=$(basename "$0" .sh)
[[ -x $BUILD/benchmarks/bench_train ]] || { echo "$NAME: no $BUILD/benchmarks/bench_train (build first)" >&2; exit 2; }
"$PY" -c 'import torch' 2>/dev/null ||
  { echo "$NAME: $PY cannot import torch (PYTHON=\$(benchmarks/torch_venv.sh) makes an environment)" >&2; exit 2; }
log=$(mktemp)  # the benchmarks' stderr, shown when one fails
trap 'rm -f "$log"' EXIT
# field NAME: the number under NAME in a JSON line on stdin; nothing (and a failed pipeline)
# when absent.
field() { sed -n -E "s/.*\"$1\": ([0-9.]+).*/\\1/p" | grep .; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# run WHAT CMD...: the command's JSON line, or its stderr and exit 1.
run() {
  local what=$1 out
  shift
  out=$(OMP_NUM_THREADS=$THREADS "$@" 2>>"$log") && [[ -n $out ]] || { echo "$NAME: $what failed:" >&2; cat "$log" >&2; exit 1; }
  echo "$out"
}
