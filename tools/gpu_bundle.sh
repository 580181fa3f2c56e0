#!/usr/bin/env bash
# Run HERE (the development machine) before a device call: copies the Debian packages that
# the GPU machine lacks (it has nvcc, CMake, ninja and PyTorch, but no fmt, GoogleTest,
# oneDNN, CLI11, nlohmann-json, libpng or libjpeg, and no network) into .gpu-deps/usr,
# mirroring Debian's layout so that their CMake package files work unchanged. Name
# .gpu-deps in the device call's `carry`. About 45 MB, mostly libdnnl.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
D=.gpu-deps/usr
A=lib/x86_64-linux-gnu
rm -rf .gpu-deps
mkdir -p "$D/include" "$D/$A/cmake"
for h in fmt gtest gmock oneapi CLI nlohmann dnnl.h dnnl.hpp dnnl_config.h dnnl_debug.h dnnl_types.h dnnl_version.h \
         png.h pngconf.h pnglibconf.h jpeglib.h jmorecfg.h jerror.h; do
  [[ -e /usr/include/$h ]] && cp -a "/usr/include/$h" "$D/include/"
done
mkdir -p "$D/include/x86_64-linux-gnu" && cp -a /usr/include/x86_64-linux-gnu/jconfig.h "$D/include/x86_64-linux-gnu/"
cp -a /usr/$A/libfmt.so* /usr/$A/libdnnl.so* /usr/$A/libgtest*.a /usr/$A/libgmock*.a \
      /usr/$A/libpng16.so* /usr/$A/libpng.so /usr/$A/libjpeg.so* "$D/$A/"
for c in fmt GTest dnnl nlohmann_json; do
  [[ -d /usr/$A/cmake/$c ]] && cp -a "/usr/$A/cmake/$c" "$D/$A/cmake/"
  [[ -d /usr/share/cmake/$c ]] && mkdir -p "$D/share/cmake" && cp -a "/usr/share/cmake/$c" "$D/share/cmake/"
done
du -sh .gpu-deps
