#!/usr/bin/env bash
# Dependency audit: every file a configured build uses must come from a Debian package that
# tools/install-deps.sh installs on a fresh Debian 12, either listed there or pulled in as a
# hard dependency (Depends/Pre-Depends; apt installs the first of a|b alternatives) of a
# listed package, or part of the base system (Essential, Priority: required).
#
# The files: those named in CMakeCache.txt (FILEPATH entries, and the package configs in the
# folders of the *_DIR entries that find_package loaded), every header ninja recorded as a
# dependency of an object, and the shared libraries that libember and ember-train load.
# Files of the CUDA toolkit (/usr/local/cuda*, and the CUDA compiler CMake found, which may
# be a wrapper elsewhere on PATH such as /usr/local/bin/nvcc) and of the source and build
# trees are left out: install-deps.sh leaves CUDA to the user.
#
#   tools/dep_audit.sh BUILD_DIR [--without PKG]...   audit (as if PKG were not listed)
#   tools/dep_audit.sh BUILD_DIR --expect-missing PKG check that the audit catches PKG's absence
# Exit 0: clean; 1: files from packages install-deps.sh does not install; 77: not Debian 12.
set -uo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
[[ $# -ge 1 ]] || { echo "usage: $0 BUILD_DIR [--without PKG]... | BUILD_DIR --expect-missing PKG" >&2; exit 2; }
BUILD=$(cd "$1" && pwd) || exit 2
shift

if [[ ${1:-} == --expect-missing ]]; then
  pkg=${2:?--expect-missing needs a package}
  out=$("$0" "$BUILD" --without "$pkg" 2>&1)
  rc=$?
  ((rc == 77)) && { echo "$out"; exit 77; }
  if ((rc == 1)) && grep -q "package $pkg," <<<"$out"; then
    echo "dep_audit: without $pkg in install-deps.sh the audit fails as it should:"
    grep "package $pkg," <<<"$out"
    exit 0
  fi
  echo "dep_audit: the audit did not catch $pkg missing from install-deps.sh (rc $rc):"
  echo "$out"
  exit 1
fi
without=" "
while [[ $# -gt 0 ]]; do
  [[ $1 == --without && $# -ge 2 ]] || { echo "dep_audit: unknown argument $1" >&2; exit 2; }
  without+="$2 "
  shift 2
done

. /etc/os-release 2>/dev/null
if [[ ${ID:-} != debian || ${VERSION_ID:-} != 12 ]] || ! command -v dpkg-query >/dev/null; then
  echo "dep_audit: skipped: this is ${PRETTY_NAME:-an unknown system}, and install-deps.sh names Debian 12's packages"
  exit 77
fi
[[ -e $BUILD/CMakeCache.txt ]] || { echo "dep_audit: $BUILD has no CMakeCache.txt" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ---- the files the build uses, each with where it was seen ----
{
  # FILEPATH entries, and the config files of the *_DIR folders.
  sed -n -E 's/^([A-Za-z0-9_.+-]+):FILEPATH=(\/.*)$/\2\tCMakeCache.txt \1/p' "$BUILD/CMakeCache.txt" |
    awk -F'\t' '{ n = split($1, v, ";"); for (i = 1; i <= n; i++) print v[i] "\t" $2 }'
  sed -n -E 's/^([A-Za-z0-9_.+-]+_DIR):PATH=(\/.*)$/\1\t\2/p' "$BUILD/CMakeCache.txt" | while IFS=$'\t' read -r name dir; do
    for f in "$dir"/*[Cc]onfig.cmake "$dir"/*-config-version.cmake "$dir"/*ConfigVersion.cmake; do
      [[ -e $f ]] && printf '%s\tfind_package (%s)\n' "$f" "$name"
    done
  done
  # Headers the compilers read (ninja's dependency log).
  if [[ -e $BUILD/build.ninja ]]; then
    ninja -C "$BUILD" -t deps 2>/dev/null | awk '/^    \// { print substr($0, 5) "\theader" }' | sort -u
  fi
  # Shared libraries loaded at run time.
  for bin in "$BUILD"/libember.so "$BUILD"/tools/ember-train; do
    [[ -e $bin ]] || continue
    ldd "$bin" 2>/dev/null | awk -v b="${bin#"$BUILD"/}" '
      / => \// { print $3 "\tlinked by " b }
      / => not found/ { print $1 "\tNOT FOUND, linked by " b }'
  done
} | awk -F'\t' -v src="$SRC/" -v build="$BUILD/" '
  index($1, src) == 1 || index($1, build) == 1 { next }   # the project itself
  $1 ~ /^\/usr\/local\/cuda/ { next }                     # the CUDA toolkit
  $2 ~ /^CMakeCache.txt (CMAKE_CUDA_COMPILER|CUDAToolkit_NVCC_EXECUTABLE)$/ { next }   # its compiler, wherever the user put it
  !seen[$1]++' >"$tmp/files"

# Libraries that only the CUDA driver or toolkit provide may be missing on a machine
# without them; any other unresolved library is a failure.
awk -F'\t' '$2 ~ /^NOT FOUND/ && $1 !~ /^lib(cuda|cudnn|cublas|cublasLt|cudart|nvrtc|nvJitLink|nvidia-ml)[.-]/' "$tmp/files" >"$tmp/unresolved"
awk -F'\t' '$2 !~ /^NOT FOUND/' "$tmp/files" >"$tmp/used"

# ---- owner of each file: /var/lib/dpkg/info/*.list, trying the path, its /usr-merged twin
# and the path with symlinks resolved (c++ -> /etc/alternatives/c++ -> g++-12) ----
while IFS=$'\t' read -r f how; do
  r=$(readlink -f "$f" 2>/dev/null || echo "$f")
  printf '%s\t%s\t%s\n' "$f" "$r" "$how"
done <"$tmp/used" >"$tmp/used_real"
for l in /var/lib/dpkg/info/*.list; do
  p=${l##*/}
  p=${p%.list}
  awk -v p="${p%%:*}" '{ print $0 "\t" p }' "$l"
done >"$tmp/owners"
awk -F'\t' '
  function twin(x) { if (x ~ /^\/usr\/(lib|lib64|bin|sbin)\//) return substr(x, 5); if (x ~ /^\/(lib|lib64|bin|sbin)\//) return "/usr" x; return x }
  FNR == NR { if (!($1 in own)) own[$1] = $2; next }
  {
    o = ""
    split($1 "\t" twin($1) "\t" $2 "\t" twin($2), c, "\t")
    for (i = 1; i <= 4 && o == ""; i++) if (c[i] in own) o = own[c[i]]
    print (o == "" ? "-" : o) "\t" $1 "\t" $3
  }' "$tmp/owners" "$tmp/used_real" >"$tmp/owned"

# ---- what install-deps.sh installs: its list, the base system, and their hard dependencies ----
dpkg-query -W -f='${db:Status-Abbrev}\t${Package}\t${Essential}\t${Priority}\t${Provides}\t${Pre-Depends}, ${Depends}\n' >"$tmp/db"
"$SRC/tools/install-deps.sh" --list | awk -v w="$without" 'index(w, " " $1 " ") == 0' >"$tmp/listed"
awk -F'\t' '
  function name(dep) { sub(/^[ ]+/, "", dep); sub(/[ (:].*$/, "", dep); return dep }
  FNR == NR { listed[$1] = 1; next }
  $1 ~ /^ii/ {
    pkg = $2; inst[pkg] = 1
    if ($3 == "yes" || $4 == "required") base[pkg] = 1
    n = split($5, pv, ","); for (i = 1; i <= n; i++) if (name(pv[i]) != "") provider[name(pv[i])] = pkg
    deps[pkg] = $6
  }
  END {
    for (p in listed) queue[++q] = p
    for (p in base) queue[++q] = p
    while (q > 0) {
      p = queue[q--]
      if (!(p in inst) && (p in provider)) p = provider[p]
      if (p in closed) continue
      closed[p] = 1
      n = split(deps[p], d, ",")
      for (i = 1; i <= n; i++) {
        first = d[i]; sub(/\|.*$/, "", first); first = name(first)
        if (first != "") queue[++q] = first
      }
    }
    for (p in closed) print p
  }' "$tmp/listed" "$tmp/db" >"$tmp/closure"

# ---- verdict ----
status=0
missing=$(awk -F'\t' 'FNR == NR { ok[$1] = 1; next } $1 != "-" && !($1 in ok)' "$tmp/closure" "$tmp/owned")
if [[ -n $missing ]]; then
  status=1
  awk -F'\t' '{ n[$1]++; if (n[$1] <= 3) ex[$1] = ex[$1] "\n    " $2 " (" $3 ")" }
    END { for (p in n) printf "dep_audit: %d file(s) the build uses come from the Debian package %s, which tools/install-deps.sh does not install (neither listed nor a Depends/Pre-Depends of a listed package); add it:%s\n", n[p], p, ex[p] }' <<<"$missing"
fi
unowned=$(awk -F'\t' '$1 == "-"' "$tmp/owned")
if [[ -n $unowned ]]; then
  status=1
  echo "dep_audit: files the build uses that no Debian package installed (built or copied by hand?):"
  awk -F'\t' 'NR <= 20 { print "    " $2 " (" $3 ")" }' <<<"$unowned"
fi
if [[ -s $tmp/unresolved ]]; then
  status=1
  echo "dep_audit: shared libraries that do not resolve:"
  awk -F'\t' '{ print "    " $1 " (" $2 ")" }' "$tmp/unresolved"
fi
if ((status == 0)); then
  echo "dep_audit: ok: $(wc -l <"$tmp/owned") files from $(cut -f1 "$tmp/owned" | sort -u | wc -l) packages, all installed by tools/install-deps.sh (listed: $(wc -l <"$tmp/listed"), with dependencies and the base system: $(wc -l <"$tmp/closure"))"
fi
exit $status
