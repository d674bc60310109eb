#!/usr/bin/env bash
# llama-cpp-python with CUDA offload (Linux x86-64, NVIDIA GPU). Optional step after the base install.
#   bash installers/gpu/llamacpp-cuda.sh [PIP]     (PIP defaults to `python3 -m pip`)
# Needs: an NVIDIA driver (nvidia-smi works), the CUDA toolkit's nvcc (12.x or 13.x; e.g.
# `apt-get install nvidia-cuda-toolkit` or NVIDIA's cuda-toolkit packages), cmake ≥ 3.21, a C++ compiler.
# CUDA_ARCHS (default "native" when a GPU is visible, else "75;80;86;89;90") limits the kernels compiled:
# all architectures triple the build time. Cost: see installers/README.md (GPU set-up).
set -euo pipefail
PIP=${1:-python3 -m pip}
command -v nvidia-smi >/dev/null || { echo "no NVIDIA driver (nvidia-smi not found): install the driver first, or use llamacpp-cpu.sh" >&2; exit 1; }
NVCC=$(command -v nvcc || ls /usr/local/cuda/bin/nvcc 2>/dev/null || true)
[ -n "$NVCC" ] || { echo "nvcc not found: install the CUDA toolkit (apt-get install nvidia-cuda-toolkit) or put /usr/local/cuda/bin on PATH" >&2; exit 1; }
export CUDACXX=$NVCC
if nvidia-smi -L >/dev/null 2>&1; then ARCHS=${CUDA_ARCHS:-native}; else ARCHS=${CUDA_ARCHS:-75;80;86;89;90}; fi
FLAVOUR=cuda CMAKE_ARGS="-DGGML_CUDA=on -DCMAKE_CUDA_ARCHITECTURES=$ARCHS ${EXTRA_CMAKE_ARGS:-}"
source "$(dirname "$0")/_llamacpp_build.sh"
build_and_install "$PIP"
$PIP show llama-cpp-python | head -2
echo "check: camtag doctor   (should say 'GPU offload compiled in: yes')"
