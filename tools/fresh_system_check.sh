#!/usr/bin/env bash
# Proves the README's commands on a truly fresh Debian 12: debootstraps a minimal bookworm
# (--variant=minbase: the Essential and required packages, nothing else) into a folder,
# clones the committed tree of this repository into it and, inside a chroot, runs
# tools/install-deps.sh, configures and builds CPU-only and runs ctest. For a person to run
# before a release, as root, with network (not in CI: ~6 min on 2 cores, ~40 with --readme).
#
#   tools/fresh_system_check.sh                 install-deps, configure, build, ctest
#   tools/fresh_system_check.sh --readme        the README's two commands verbatim instead:
#                                               tools/test.sh, then tools/quickstart.sh
# Environment: FRESH_ROOT (folder, default /var/tmp/ember-fresh; removed first), MIRROR
# (default http://deb.debian.org/debian), KEEP=1 keeps the folder afterwards.
# Log: FRESH_ROOT.log; the last lines give each stage's result and time.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
ROOT=${FRESH_ROOT:-/var/tmp/ember-fresh}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
MODE=${1:-}
[[ -z $MODE || $MODE == --readme ]] || { echo "usage: $0 [--readme]" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "fresh_system_check: needs root (debootstrap, chroot, mount)" >&2; exit 2; }
if ! command -v debootstrap >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap
fi

LOG=$ROOT.log
exec > >(tee "$LOG") 2>&1
T0=$(date +%s)
stamp() { echo "[fresh $(($(date +%s) - T0))s] $*"; }
mounted=()
cleanup() {
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || true; done
  # Never remove the folder while the host's /dev or /proc may still be bound into it.
  for m in proc sys dev/pts dev; do
    if mountpoint -q "$ROOT/$m" 2>/dev/null; then
      echo "fresh_system_check: $ROOT/$m is still mounted; leaving $ROOT in place" >&2
      return
    fi
  done
  [[ ${KEEP:-0} == 1 ]] || rm -rf "$ROOT"
}
trap cleanup EXIT

for m in dev/pts dev sys proc; do umount -l "$ROOT/$m" 2>/dev/null || true; done
for m in proc sys dev/pts dev; do
  ! mountpoint -q "$ROOT/$m" 2>/dev/null || { echo "fresh_system_check: $ROOT/$m is mounted" >&2; exit 1; }
done
rm -rf "$ROOT"
stamp "debootstrap --variant=minbase bookworm $ROOT $MIRROR"
t=$(date +%s)
debootstrap --variant=minbase bookworm "$ROOT" "$MIRROR" >"$ROOT.debootstrap.log" 2>&1 ||
  { tail -20 "$ROOT.debootstrap.log"; exit 1; }
declare -A took
took[debootstrap]=$(($(date +%s) - t))
stamp "minimal system: $(chroot "$ROOT" dpkg-query -W -f='.\n' | wc -l) packages"

# The committed tree, as a user's clone has it (no build folders, no local edits).
git clone -q --no-hardlinks "$SRC" "$ROOT/root/ember"
stamp "cloned $(git -C "$ROOT/root/ember" log -1 --format='%h %s' | cut -c1-80)"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
for m in proc sys dev dev/pts; do
  mount --bind "/$m" "$ROOT/$m"
  mounted+=("$ROOT/$m")
done

in_root() { chroot "$ROOT" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
  bash -c "cd /root/ember && $1"; }
declare -A result
run_stage() {  # name, command inside the chroot
  local name=$1 t rc
  stamp "stage $name: $2"
  t=$(date +%s)
  set +e
  in_root "$2"
  rc=$?
  set -e
  took[$name]=$(($(date +%s) - t))
  result[$name]=$([[ $rc == 0 ]] && echo ok || echo "FAILED (rc $rc)")
  stamp "stage $name: ${result[$name]} in ${took[$name]} s"
  return $rc
}

status=0
if [[ $MODE == --readme ]]; then
  stages=(test quickstart)
  run_stage test "tools/test.sh" || status=1
  run_stage quickstart "tools/quickstart.sh" || status=1
else
  stages=(install-deps configure build ctest)
  run_stage install-deps "tools/install-deps.sh" &&
    run_stage configure "cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DEMBER_CUDA=OFF" &&
    run_stage build "cmake --build build" &&
    run_stage ctest "ctest --test-dir build --output-on-failure -j2" || status=1
fi

echo
echo "== fresh Debian 12 check, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(($(date +%s) - T0)) s in all =="
printf '%-13s %s\n' debootstrap "ok in ${took[debootstrap]} s"
for s in "${stages[@]}"; do
  printf '%-13s %s\n' "$s" "${result[$s]:-not run}${took[$s]:+ in ${took[$s]} s}"
done
exit $status
