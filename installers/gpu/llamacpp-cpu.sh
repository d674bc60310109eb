#!/usr/bin/env bash
# llama-cpp-python for any x86-64 CPU: every CPU variant (SSE4.2 … AVX-512) is compiled as a
# loadable backend and the best one is picked at run time, so one wheel serves every workstation.
#   bash installers/gpu/llamacpp-cpu.sh [PIP]
# Needs: cmake ≥ 3.21 and a C++ compiler (apt-get install build-essential cmake).
# (installers/linux/llamacpp-wheel.sh builds the simpler -DGGML_NATIVE=OFF wheel the tests use.)
set -euo pipefail
PIP=${1:-python3 -m pip}
FLAVOUR=cpu-all CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON ${EXTRA_CMAKE_ARGS:-}"
source "$(dirname "$0")/_llamacpp_build.sh"
build_and_install "$PIP"
