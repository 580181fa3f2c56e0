#!/usr/bin/env bash
# Installs the Debian packages ember builds against, if any is missing. The CUDA toolkit
# (nvcc, cuBLAS, cuDNN) is not a Debian package here: when /usr/local/cuda is present the
# CUDA backend is built, otherwise it is left out.
#   tools/install-deps.sh --list    prints the packages, one per line (tools/dep_audit.sh reads it)
set -euo pipefail
packages=(cmake ninja-build ccache g++ libfmt-dev libgtest-dev libdnnl-dev zlib1g-dev libpng-dev libjpeg62-turbo-dev
          # oneDNN's CMake package calls find_package(OpenCL REQUIRED), yet libdnnl-dev only
          # recommends the OpenCL loader and headers, and recommends are not installed here
          ocl-icd-opencl-dev
          libcli11-dev nlohmann-json3-dev dataset-fashion-mnist
          # TensorBoard event files: protobuf for the Event messages, ISA-L for their CRC-32C
          libprotobuf-dev protobuf-compiler libisal-dev
          # the tests: TensorBoard's own reader in a venv (tools/tensorboard_venv.sh) and the
          # HTML report rendered by headless Chromium
          python3-venv chromium-headless-shell
          # clang with libFuzzer, the sanitizer runtimes and its OpenMP: tools/fuzz.sh
          clang-14 libclang-rt-14-dev libomp-14-dev)
if [[ ${1:-} == --list ]]; then
  printf '%s\n' "${packages[@]}"
  exit 0
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
