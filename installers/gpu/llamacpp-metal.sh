#!/usr/bin/env bash
# llama-cpp-python with Metal offload (macOS on Apple Silicon). Optional step after the base install.
#   bash installers/gpu/llamacpp-metal.sh [PIP]
# Needs: Xcode command line tools (`xcode-select --install`) and cmake (`brew install cmake` or
# `pip install cmake`). Metal is llama.cpp's default on arm64 macOS; the flag is explicit here.
set -euo pipefail
PIP=${1:-python3 -m pip}
[ "$(uname -s)" = Darwin ] && [ "$(uname -m)" = arm64 ] || { echo "Metal builds need macOS on Apple Silicon (arm64)" >&2; exit 1; }
xcode-select -p >/dev/null 2>&1 || { echo "no compiler: run xcode-select --install" >&2; exit 1; }
FLAVOUR=metal CMAKE_ARGS="-DGGML_METAL=on ${EXTRA_CMAKE_ARGS:-}"
source "$(dirname "$0")/_llamacpp_build.sh"
build_and_install "$PIP"
echo "check: camtag doctor   (should say 'GPU offload compiled in: yes')"
