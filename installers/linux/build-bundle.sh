#!/usr/bin/env bash
# Build the Linux x86-64 onedir bundle of camtag's base install (no torch, no llama.cpp):
#   bash installers/linux/build-bundle.sh            -> dist/camtag/camtag (+ dist/camtag-<ver>-linux-x86_64.tar.gz)
# A throwaway venv ($BUNDLE_VENV, default ~/.cache/camtag/bundle-venv) holds the base dependencies
# (pyproject's [project.dependencies] + the demo extra, read from pyproject.toml) and PyInstaller,
# so nothing from the developer's environment (torch, CUDA, test tools) leaks into the bundle.
# Output goes to $DIST (default ./dist) and work files to $WORK (default ./build/pyinstaller).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=${PY:-python3}
VENV=${BUNDLE_VENV:-$HOME/.cache/camtag/bundle-venv}
DIST=${DIST:-$ROOT/dist}
WORK=${WORK:-$ROOT/build/pyinstaller}
PYINSTALLER_VERSION=${PYINSTALLER_VERSION:-6.22.3}
# OpenCV for the bundle, as pyproject requires (>=4.11,<5). 4.11.0.86 is 27 MB smaller
# on disk than 5.0.0.93 (FFmpeg 5.1 without AV1/AVIF, older OpenBLAS), which is what brings the
# bundle under 400 MB; camtag uses OpenCV for image maths only (decoding is PyAV's), and the same
# tags and shot bounds come out on the test media (installers/README.md, "Size"). Set it to
# "opencv-python-headless==5.0.0.93" (or "" for whatever the venv has) to bundle another one.
OPENCV=${CAMTAG_BUNDLE_OPENCV-opencv-python-headless==4.11.0.86}
ARCHIVE=${ARCHIVE:-1}

if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
fi
# the base dependencies exactly as pyproject.toml states them (camtag itself comes from app/ via pathex)
mapfile -t deps < <("$VENV/bin/python" "$ROOT/installers/common/base_requirements.py" "$ROOT/pyproject.toml" demo)
"$VENV/bin/python" -m pip install -q "pyinstaller==$PYINSTALLER_VERSION" "${deps[@]}" ${OPENCV:+"$OPENCV"}

"$VENV/bin/python" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$DIST" --workpath "$WORK" "$ROOT/installers/common/camtag.spec"

# strip symbol tables the wheels and the interpreter still carry (PyAV's extension modules, libpython,
# ...: ~30 MB); bundle_trim keeps the original of any library that would not load stripped (NumPy's
# patchelf-edited OpenBLAS), then checks every library finds its DT_NEEDED in the bundle or the system
"$VENV/bin/python" "$ROOT/installers/common/bundle_trim.py" strip "$DIST/camtag"
"$VENV/bin/python" "$ROOT/installers/common/bundle_trim.py" check "$DIST/camtag"
version=$(PYTHONPATH="$ROOT/app" "$VENV/bin/python" -c 'import camtag; print(camtag.__version__)')
du -sb "$DIST/camtag" | awk '{printf "bundle size: %.1f MB (%s)\n", $1 / 1e6, $2}'
if [ "$ARCHIVE" = 1 ]; then
  tar -C "$DIST" -czf "$DIST/camtag-$version-linux-x86_64.tar.gz" camtag
  ls -l "$DIST/camtag-$version-linux-x86_64.tar.gz" | awk '{print "archive: " $5 " bytes " $9}'
fi
