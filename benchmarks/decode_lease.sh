#!/usr/bin/env bash
# Issue 21 item 1 on a lent many-core machine (no network): benchmarks/decode.py's timing table
# with 2 decode threads (the "same thread count": camtag's own threads then run beside
# the decoder's, on cores the 2-core CI machine does not have) and with every core.
# Usage, from the repository root:  WHEELS=".whl .whl2" OUT=DIR bash benchmarks/decode_lease.sh
#   the wheel folders hold what the machine lacks, made where pip works (Python 3.12 machine):
#     pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#       --platform manylinux_2_28_x86_64 -d DIR 'av==18.1.0' platformdirs diskcache \
#       scenedetect-headless click tqdm
#   and the H.264/HEVC clips cached in benchmarks/.cache beforehand
#   (`python benchmarks/decode.py --seconds 25 --only 1080p` and `--seconds 4 --only HEVC`);
#   the ProRes clip (365 MB) is made there. Software decode throughout (CAMTAG_HWACCEL=off).
set -u
OUT=${OUT:-/tmp/camtag-decode}
mkdir -p "$OUT"
exec > >(tee -a "$OUT/decode.log") 2>&1
T0=$(date +%s)
say() { echo "[$(( $(date +%s) - T0 )) s] $*"; }
PY=${PY:-python3}
SITE=/tmp/camtag-site
say "machine: $(nproc) cores; $(lscpu | sed -n 's/^Model name: *//p' | head -1); ffmpeg: $(command -v ffmpeg || echo none)"
if [ ! -d "$SITE" ]; then
  for w in ${WHEELS:-.whl}; do
    $PY -m pip install -q --no-index --no-deps --no-compile --target "$SITE" "$w"/*.whl || exit 1
  done
fi
export PYTHONPATH=$SITE PYTHONUNBUFFERED=1
$PY -c "import av, numpy, cv2, scenedetect; print('av', av.__version__, 'numpy', numpy.__version__, 'cv2', cv2.__version__, 'scenedetect', scenedetect.__version__)"
N=$(nproc)
bench() { say "decode.py $*"; timeout "${STEP_S:-240}" $PY benchmarks/decode.py --no-save "$@"; }
bench --seconds 25 --only 1080p --threads 2 --loops 3
bench --seconds 4 --only "4K" --threads 2 --loops 2
bench --seconds 25 --only 1080p --threads "$N" --loops 3
bench --seconds 4 --only "4K" --threads "$N" --loops 2
say done
