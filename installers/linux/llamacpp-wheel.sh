#!/usr/bin/env bash
# Install llama-cpp-python (CPU build) from a cached wheel, building the wheel once if needed.
# PyPI has only the source; the build takes ~14 min on two cores, so the wheel is kept in
# $WHEELS (default ~/.cache/camtag/wheels). GGML_NATIVE=OFF keeps it portable across x86-64 CPUs.
# GPU builds: see installers/gpu/ (CUDA: CMAKE_ARGS="-DGGML_CUDA=on", Metal is on by default on macOS).
set -euo pipefail
PIP=${1:-pip}
VERSION=${LLAMACPP_VERSION:-0.3.36}
WHEELS=${WHEELS:-$HOME/.cache/camtag/wheels}
mkdir -p "$WHEELS"
wheel=$(ls "$WHEELS"/llama_cpp_python-"$VERSION"-*.whl 2>/dev/null | head -1 || true)
if [ -z "$wheel" ]; then
  echo "building llama-cpp-python $VERSION (CPU, portable) into $WHEELS; this takes ~15 min once"
  CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}" CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2} \
    "$PIP" wheel --no-deps "llama-cpp-python==$VERSION" -w "$WHEELS"
  wheel=$(ls "$WHEELS"/llama_cpp_python-"$VERSION"-*.whl | head -1)
fi
"$PIP" install -q "$wheel"
