#!/usr/bin/env bash
# Run HERE (the Debian development machine) before a device call. Copies into .gpu-deps/usr
# (ignored by git) what the lent GPU machine lacks to build ember: it has nvcc, CMake, ninja,
# g++ and PyTorch (with cuDNN in its wheels) but no fmt, GoogleTest, oneDNN (and the OpenCL
# loader oneDNN links), CLI11, nlohmann-json, or the zlib/libpng/libjpeg development files,
# and no network. The layout mirrors Debian's (usr/include, usr/lib/x86_64-linux-gnu,
# usr/share/cmake), so the packages' own CMake files work unchanged from CMAKE_PREFIX_PATH.
# Name .gpu-deps in the device call's `carry`; tools/gpu_check.sh reads it from there.
# About 46 MB (libdnnl is 38 MB); the device call carries at most 64 MiB with the tree.
#   SKIP_INSTALL_DEPS=1 tools/gpu_bundle.sh     (do not run tools/install-deps.sh first)
set -euo pipefail
cd "$(dirname "$0")/.."
[[ ${SKIP_INSTALL_DEPS:-0} == 1 ]] || tools/install-deps.sh
# ocl-icd-opencl-dev: oneDNN's CMake package asks for OpenCL (Debian builds it with the
# OpenCL GPU runtime), and libdnnl.so.2 needs libOpenCL.so.1 at run time.
for p in ocl-icd-opencl-dev opencl-c-headers; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || {
    echo "gpu_bundle: the Debian package $p is missing (apt-get install $p)" >&2
    exit 1
  }
done

S=/usr/lib/x86_64-linux-gnu
D=.gpu-deps/usr
A=lib/x86_64-linux-gnu
rm -rf .gpu-deps
mkdir -p "$D/include/x86_64-linux-gnu" "$D/$A/cmake" "$D/share/cmake"
shopt -s nullglob

# Headers (directories and single files of /usr/include).
for h in fmt gtest gmock oneapi CLI nlohmann CL dnnl.h dnnl.hpp dnnl_config.h dnnl_debug.h dnnl_types.h \
         dnnl_version.h dnnl_ocl.h dnnl_ocl.hpp dnnl_threadpool.h dnnl_threadpool.hpp dnnl_threadpool_iface.hpp \
         libpng16 libpng png.h pngconf.h pnglibconf.h jpeglib.h jmorecfg.h jerror.h zlib.h zconf.h; do
  [[ -e /usr/include/$h ]] && cp -a "/usr/include/$h" "$D/include/"
done
# jpeglib.h includes "jconfig.h": Debian keeps it in the multiarch folder; a copy beside
# jpeglib.h wins over whatever other libjpeg the GPU machine's /usr/include has.
cp -a /usr/include/x86_64-linux-gnu/jconfig.h "$D/include/x86_64-linux-gnu/"
cp -a /usr/include/x86_64-linux-gnu/jconfig.h "$D/include/"

# Libraries. Relative symlinks (libfmt.so -> libfmt.so.9) travel as links and stay valid.
cp -a $S/libfmt.so* $S/libdnnl.so* $S/libgtest*.a $S/libgmock*.a $S/libpng16.so* $S/libpng.so \
      $S/libjpeg.so* $S/libOpenCL.so* "$D/$A/"
# zlib: only a link-time libz.so (the real file under that name). Its SONAME is libz.so.1,
# which every Linux has; bundling libz.so.1 itself would shadow the system's for CMake too.
cp -L $S/libz.so "$D/$A/libz.so"

# CMake package files (relocatable: they compute their prefix from their own location).
for c in fmt GTest dnnl; do cp -a "$S/cmake/$c" "$D/$A/cmake/"; done
cp -a /usr/share/cmake/nlohmann_json "$D/share/cmake/"

# Everything gpu_check.sh's configure needs must be here: fail now, not on the GPU machine.
missing=0
for f in include/fmt/core.h include/gtest/gtest.h include/gmock/gmock.h include/dnnl.hpp include/CL/cl.h \
         include/CLI/CLI.hpp include/nlohmann/json.hpp include/png.h include/jpeglib.h include/jconfig.h \
         include/zlib.h include/zconf.h \
         $A/libfmt.so $A/libdnnl.so $A/libdnnl.so.2 $A/libgtest.a $A/libgmock.a $A/libpng.so $A/libpng16.so.16 \
         $A/libjpeg.so $A/libjpeg.so.62 $A/libOpenCL.so $A/libOpenCL.so.1 $A/libz.so \
         $A/cmake/fmt/fmt-config.cmake $A/cmake/GTest/GTestConfig.cmake $A/cmake/dnnl/dnnl-config.cmake \
         share/cmake/nlohmann_json/nlohmann_jsonConfig.cmake; do
  [[ -e $D/$f ]] || { echo "gpu_bundle: missing $D/$f" >&2; missing=1; }
done
((missing == 0)) || exit 1

# What travels in a device call: the tree (tracked and untracked, not ignored) plus this.
tree=$(git ls-files -co --exclude-standard -z | du --files0-from=- -cb 2>/dev/null | tail -1 | cut -f1)
bundle=$(du -sb .gpu-deps | cut -f1)
total=$((tree + bundle))
printf 'gpu_bundle: .gpu-deps %.1f MiB + working tree %.1f MiB = %.1f MiB of the 64 MiB a device call carries\n' \
  "$(echo "$bundle / 1048576" | bc -l)" "$(echo "$tree / 1048576" | bc -l)" "$(echo "$total / 1048576" | bc -l)"
if ((total > 60 * 1048576)); then
  echo "gpu_bundle: too close to the 64 MiB limit" >&2
  exit 1
fi
