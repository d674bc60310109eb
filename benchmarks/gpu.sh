#!/usr/bin/env bash
# One GPU lease's measurements, on a lent NVIDIA machine with no network (issues 17 and 21):
#   1. llama-cpp-python built with CUDA for this GPU only (from a source tree without its git
#      history), in its own process session: a build that outlasts one call goes on, and the
#      next call (the machine still warm) waits for it;
#   2. the full-size synthetic CamReasoner-7B (`camtag models synth qwen2.5-vl-7b --quant Q4_K_M`),
#      written while llama.cpp compiles;
#   3. benchmarks/reasoner.py --model on it: seconds per shot, answer tokens/s, VRAM, per preset;
#   4. hardware decode, on a quiet machine: decode fps software vs NVDEC and the analysis's cuts
#      with each (benchmarks/decode.py --hwaccel-only on clips made beforehand in benchmarks/.cache;
#      FILES picks them, default "1080p,4K HEVC").
# Usage, from the repository root:  WHEELS=DIR OUT=DIR bash benchmarks/gpu.sh
#   DIR holds wheels for what the machine lacks (av<19, gguf, platformdirs, diskcache, ...) and
#   llama_cpp_python-VERSION-slim.tar.xz. Made beforehand, where pip works (for a Python 3.12 machine):
#     pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#       --platform manylinux_2_28_x86_64 -d DIR 'av==18.1.0' gguf platformdirs diskcache
#     pip download --no-deps --no-binary=:all: -d /tmp/s llama-cpp-python==0.3.36; untar it, delete
#     .git, vendor/llama.cpp/{.git,models,docs,benches,examples,tests,tools/ui,tools/server}
#     (76 MB -> 6.7 MB, nothing the library build reads), tar cJf DIR/llama_cpp_python-0.3.36-slim.tar.xz
#   and the decode clips: `python benchmarks/decode.py --hwaccel-only --no-save --only "1080p,4K HEVC"`
#   here first (they are cached in benchmarks/.cache; the lease's carry takes them). Results and logs go to $OUT (gpu.log, build.log); what a
#   later call can reuse stays in .gpubuild/ (ignored by git). BUDGET_S (default 560) bounds one
#   call: a stage that fails or would overrun is reported and skipped, so a call always returns
#   what was measured.
set -u
WHEELS=${WHEELS:-.whl}
OUT=${OUT:-/tmp/camtag-gpu}
BUDGET_S=${BUDGET_S:-560}
mkdir -p "$OUT" .gpubuild
exec > >(tee -a "$OUT/gpu.log") 2>&1
T0=$(date +%s)
say() { echo "[$(( $(date +%s) - T0 )) s] $*"; }
left() { echo $(( BUDGET_S - ($(date +%s) - T0) )); }
REPO=$(pwd)
B=$REPO/.gpubuild
PY=${PY:-python3}
export PATH=$PATH:/usr/local/cuda/bin PYTHONUNBUFFERED=1

say "machine: $(nproc) cores; $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 | head -1)"
if [ ! -e "$B/site.ok" ]; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$B/site" "$WHEELS"/*.whl \
    && touch "$B/site.ok" || { say "wheel install failed"; exit 1; }
fi
export PYTHONPATH=$B/llama:$B/site:$REPO/app
$PY -c "import av, numpy, cv2; print('av', av.__version__, 'numpy', numpy.__version__, 'cv2', cv2.__version__)"

# 1. llama.cpp with CUDA (the critical path), in its own session so that it outlives this call
SRC=$(ls "$WHEELS"/llama_cpp_python-*-slim.tar.xz 2>/dev/null | head -1)
if [ -e "$B/build.rc" ] || [ -e "$B/build.started" ]; then
  say "llama-cpp-python build: $( [ -e "$B/build.rc" ] && echo "exit $(cat "$B/build.rc")" || echo "still running")"
elif [ -n "$SRC" ] && command -v nvcc >/dev/null; then
  ARCH=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d '. ')
  # the system compiler, not $CC: on the lent H200 image $CC is a wrapper (/opt/gcc) whose build
  # of llama.cpp crashed in its first model load (print_info); /usr/bin/g++ built one that runs
  BUILD_CC=${BUILD_CC:-$(command -v /usr/bin/gcc || echo "${CC:-gcc}")}
  BUILD_CXX=${BUILD_CXX:-$(command -v /usr/bin/g++ || echo "${CXX:-g++}")}
  touch "$B/build.started"
  setsid bash -c "
    mkdir -p /tmp/llsrc && tar xJf '$SRC' -C /tmp/llsrc && cd /tmp/llsrc/llama_cpp_python-* &&
    start=\$(date +%s) &&
    CC=$BUILD_CC CXX=$BUILD_CXX CUDAHOSTCXX=$BUILD_CXX \
    CMAKE_ARGS='-DGGML_CUDA=on -DCMAKE_CUDA_ARCHITECTURES=${ARCH:-90}-real -DGGML_NATIVE=OFF -DCMAKE_CUDA_HOST_COMPILER=$BUILD_CXX -DCMAKE_PROJECT_llama.cpp_INCLUDE=$REPO/installers/linux/llamacpp-no-common.cmake' \
    CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) \
      $PY -m pip install -v --no-build-isolation --no-deps --no-cache-dir --no-compile --target '$B/llama' . ;
    rc=\$?; echo \"build took \$(( \$(date +%s) - start )) s\"; echo \$rc > '$B/build.rc'
  " > "$B/build.log" 2>&1 < /dev/null &
  say "building llama-cpp-python with CUDA (sm_${ARCH:-90}, $(nproc) jobs) in the background"
else
  say "no llama-cpp-python source or no nvcc: the model stages are skipped"
fi

# 2. the synthetic 7B while the build runs
MODEL=$B/m7b
if [ -e "$B/build.started" ] && [ ! -e "$MODEL/done" ]; then
  say "writing the synthetic CamReasoner-7B (Q4_K_M)"
  timeout $(( $(left) / 2 )) $PY -m camtag models synth qwen2.5-vl-7b --quant Q4_K_M -o "$MODEL" \
    && touch "$MODEL/done" || say "synth failed or overran"
fi

# 3. seconds per shot, once the build is there
HW_S=${HW_S:-110}                     # kept for stage 4
if [ -e "$B/build.started" ]; then
  say "waiting for the build"
  while [ ! -e "$B/build.rc" ] && [ "$(left)" -gt $(( HW_S + 150 )) ]; do sleep 5; done
  grep -E "build took|error|Error" "$B/build.log" | tail -5
  if [ "$(cat "$B/build.rc" 2>/dev/null)" = 0 ] && [ -e "$MODEL/done" ] && [ ! -e "$B/reasoner.done" ]; then
    $PY -c "import llama_cpp; print('llama_cpp', llama_cpp.__version__, 'gpu offload', llama_cpp.llama_supports_gpu_offload())"
    say "reasoner speed"
    timeout $(( $(left) - HW_S )) $PY benchmarks/reasoner.py --model "$MODEL" --shots ${SHOTS:-2} \
      --presets ${PRESETS:-fast,eval} && touch "$B/reasoner.done" || say "reasoner stage failed or overran"
  elif [ ! -e "$B/build.rc" ]; then
    say "the build is still running: call again while the machine is warm"; tail -3 "$B/build.log"
  fi
fi

# 4. hardware decode, last: a finished build no longer loads every core
if [ -e "$B/build.started" ] && [ ! -e "$B/build.rc" ]; then
  say "hardware decode waits for the next call (the build loads every core)"
elif [ ! -e "$B/hw.done" ] && [ "$(left)" -gt 30 ]; then
  say "hardware decode"
  timeout $(left) $PY benchmarks/decode.py --hwaccel-only --no-save --seconds 4 --only "${FILES:-1080p,4K HEVC}" \
    && touch "$B/hw.done" || say "hardware decode stage failed or overran"
fi
[ -e "$B/build.log" ] && cp "$B/build.log" "$OUT/build.log"
say "done"
