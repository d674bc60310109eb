# Optional GPU set-up on Windows, into a Python environment (not into the frozen bundle: a bundle
# cannot gain compiled packages afterwards; GPU users run camtag from a venv, see installers/README.md).
#   powershell -File installers\windows\gpu-setup.ps1 -Python .venv\Scripts\python.exe -What llamacpp-cuda
#   -What: llamacpp-cuda | llamacpp-cpu | torch-cuda
# llamacpp-cuda needs Visual Studio 2022 Build Tools (C++ workload), CMake and the CUDA toolkit (nvcc).
param([string]$Python = ".venv\Scripts\python.exe", [Parameter(Mandatory)][string]$What,
      [string]$LlamaVersion = "0.3.36", [string]$TorchIndex = "")
$ErrorActionPreference = "Stop"
switch ($What) {
    "llamacpp-cuda" {
        if (-not (Get-Command nvidia-smi -ErrorAction SilentlyContinue)) { throw "no NVIDIA driver (nvidia-smi not found): install it from nvidia.com/drivers" }
        if (-not (Get-Command nvcc -ErrorAction SilentlyContinue)) { throw "nvcc not found: install the CUDA toolkit and reopen the terminal" }
        $env:CMAKE_ARGS = "-DGGML_CUDA=on"
        & $Python -m pip install --force-reinstall --no-cache-dir "llama-cpp-python==$LlamaVersion"
    }
    "llamacpp-cpu" {
        $env:CMAKE_ARGS = "-DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON"
        & $Python -m pip install --force-reinstall --no-cache-dir "llama-cpp-python==$LlamaVersion"
    }
    "torch-cuda" {
        # Windows torch wheels on PyPI are CPU-only: the CUDA build comes from PyTorch's index
        $idx = if ($TorchIndex) { $TorchIndex } else { "https://download.pytorch.org/whl/cu128" }
        & $Python -m pip install --index-url $idx torch torchvision
        & $Python -m pip install "transformers>=4.49" accelerate safetensors pillow bitsandbytes
        & $Python -c "import torch; print('torch', torch.__version__, 'CUDA', torch.version.cuda, 'GPU visible', torch.cuda.is_available())"
    }
    default { throw "unknown -What $What (llamacpp-cuda, llamacpp-cpu, torch-cuda)" }
}
if ($LASTEXITCODE -ne 0) { throw "install failed" }
Write-Host "check: camtag doctor"
