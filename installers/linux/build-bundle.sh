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
ARCHIVE=${ARCHIVE:-1}

if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
fi
# the base dependencies exactly as pyproject.toml states them (camtag itself comes from app/ via pathex)
mapfile -t deps < <("$VENV/bin/python" "$ROOT/installers/common/base_requirements.py" "$ROOT/pyproject.toml" demo)
"$VENV/bin/python" -m pip install -q "pyinstaller==$PYINSTALLER_VERSION" "${deps[@]}"

"$VENV/bin/python" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$DIST" --workpath "$WORK" "$ROOT/installers/common/camtag.spec"

# the interpreter may come with debug info (pyenv builds do: libpython is 23 MB instead of 5);
# wheels' own libraries are already stripped and are left alone (patchelf-edited files)
if command -v strip >/dev/null; then
  find "$DIST/camtag/_internal" -path '*.libs' -prune -o -type f \( -name 'libpython*.so*' -o -path '*lib-dynload*' \) -print |
    while read -r f; do file "$f" | grep -q 'with debug_info' && strip --strip-debug "$f"; done
fi
version=$(PYTHONPATH="$ROOT/app" "$VENV/bin/python" -c 'import camtag; print(camtag.__version__)')
du -sh "$DIST/camtag" | awk '{print "bundle size: " $1 " (" $2 ")"}'
if [ "$ARCHIVE" = 1 ]; then
  tar -C "$DIST" -czf "$DIST/camtag-$version-linux-x86_64.tar.gz" camtag
  ls -l "$DIST/camtag-$version-linux-x86_64.tar.gz" | awk '{print "archive: " $5 " bytes " $9}'
fi
