#!/usr/bin/env bash
# Install llama-cpp-python (CPU build) from a cached wheel, building the wheel once if needed.
# PyPI has only the source, so the wheel is kept in $WHEELS (default ~/.cache/camtag/wheels).
# GGML_NATIVE=OFF keeps it portable across x86-64 CPUs (AVX2/FMA/F16C kernels, -O3).
# The build skips llama.cpp's llama-common library (and the cpp-httplib it pulls in): the Python
# package never loads it, and it is ~40 % of the compile (llamacpp-no-common.cmake): 6.2-6.6
# CPU-minutes instead of 11 (benchmarks/RESULTS.md, "llama-cpp-python wheel build").
# Cache key: the default options keep the plain $WHEELS/llama_cpp_python-$VERSION-*.whl name (a
# wheel cached before this script dropped llama-common is the same build plus one unused library,
# so it is kept, not rebuilt); other CMAKE_ARGS get their own folder $WHEELS/args-<hash>/, so a
# wheel built with different options is never picked up by mistake (--no-cache-dir: pip's own
# wheel cache would otherwise hand back a wheel built earlier with other CMAKE_ARGS).
# GPU builds: see installers/gpu/ (CUDA: CMAKE_ARGS="-DGGML_CUDA=on", Metal is on by default on macOS).
set -euo pipefail
PIP=${1:-pip}
VERSION=${LLAMACPP_VERSION:-0.3.36}
WHEELS=${WHEELS:-$HOME/.cache/camtag/wheels}
DEFAULT_ARGS="-DGGML_NATIVE=OFF"
ARGS=${CMAKE_ARGS:-$DEFAULT_ARGS}
dir=$WHEELS
if [ "$ARGS" != "$DEFAULT_ARGS" ]; then
  dir="$WHEELS/args-$(printf '%s' "$ARGS" | sha256sum | cut -c1-12)"
fi
mkdir -p "$dir"
wheel=$(ls "$dir"/llama_cpp_python-"$VERSION"-*.whl 2>/dev/null | head -1 || true)
if [ -z "$wheel" ]; then
  here=$(cd "$(dirname "$0")" && pwd)
  echo "building llama-cpp-python $VERSION (CMAKE_ARGS=\"$ARGS\", without llama-common) into $dir" \
    "(6.5 CPU-minutes: ~4 min once on two idle cores, up to ~9 on busy ones)"
  start=$(date +%s)
  CMAKE_ARGS="$ARGS -DCMAKE_PROJECT_llama.cpp_INCLUDE=$here/llamacpp-no-common.cmake" \
    CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2} \
    "$PIP" wheel --no-deps --no-cache-dir "llama-cpp-python==$VERSION" -w "$dir"
  wheel=$(ls "$dir"/llama_cpp_python-"$VERSION"-*.whl | head -1)
  echo "built $(basename "$wheel") in $(( $(date +%s) - start )) s"
fi
"$PIP" install -q "$wheel"
