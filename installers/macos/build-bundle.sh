#!/usr/bin/env bash
# Build camtag.app for macOS on Apple Silicon (arm64) from the base install (no torch).
#   bash installers/macos/build-bundle.sh
# Output: dist/camtag.app (camtag-app is the bundle's executable; the CLI is
# dist/camtag.app/Contents/MacOS/camtag) and dist/camtag-<version>-macos-arm64.dmg.
# Needs: Python 3.11+ arm64 (python.org universal2 installer or Homebrew), Xcode command line tools.
# Signing/notarisation: set CODESIGN_IDENTITY ("Developer ID Application: …") and NOTARY_PROFILE (a
# `xcrun notarytool store-credentials` profile); without them the app is ad-hoc signed and
# Gatekeeper asks the user to allow it (right-click → Open) on first launch.
# Metal: llama.cpp's Metal build is a separate optional step into a venv (installers/gpu/llamacpp-metal.sh).
set -euo pipefail
[ "$(uname -s)" = Darwin ] || { echo "run this on macOS" >&2; exit 1; }
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=${PY:-python3}
VENV=${BUNDLE_VENV:-$HOME/Library/Caches/camtag/bundle-venv}
DIST=${DIST:-$ROOT/dist}
export CAMTAG_TARGET_ARCH=${CAMTAG_TARGET_ARCH:-arm64}
[ "$("$PY" -c 'import platform; print(platform.machine())')" = arm64 ] || echo "warning: $PY is not an arm64 Python" >&2

[ -x "$VENV/bin/python" ] || { "$PY" -m venv "$VENV"; "$VENV/bin/python" -m pip install -q --upgrade pip; }
# (macOS ships bash 3.2: no mapfile; requirement strings hold no spaces)
deps=($("$VENV/bin/python" "$ROOT/installers/common/base_requirements.py" "$ROOT/pyproject.toml" demo))
"$VENV/bin/python" -m pip install -q "pyinstaller==${PYINSTALLER_VERSION:-6.22.3}" "${deps[@]}"

# camtag.icns from the SVG icon (Qt renders it, iconutil packs it)
ICNS="$ROOT/installers/common/camtag.icns"
if [ ! -f "$ICNS" ]; then
  set_dir=$(mktemp -d)/camtag.iconset; mkdir -p "$set_dir"
  "$VENV/bin/python" - "$ROOT/resources/icons/camtag.svg" "$set_dir" <<'PY'
import sys
from PySide6.QtGui import QGuiApplication, QIcon
app = QGuiApplication(["x", "-platform", "offscreen"])
icon = QIcon(sys.argv[1])
for s in (16, 32, 128, 256, 512):
    icon.pixmap(s, s).save(f"{sys.argv[2]}/icon_{s}x{s}.png")
    icon.pixmap(2 * s, 2 * s).save(f"{sys.argv[2]}/icon_{s}x{s}@2x.png")
PY
  iconutil -c icns "$set_dir" -o "$ICNS"
fi

"$VENV/bin/python" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$DIST" --workpath "$ROOT/build/pyinstaller" "$ROOT/installers/common/camtag.spec"
APP="$DIST/camtag.app"
version=$(PYTHONPATH="$ROOT/app" "$VENV/bin/python" -c 'import camtag; print(camtag.__version__)')
du -sh "$APP"

# smoke test: version, headless demo, offscreen window
tmp=$(mktemp -d)
CAMTAG_DATA_DIR="$tmp/data" "$APP/Contents/MacOS/camtag" --version
CAMTAG_DATA_DIR="$tmp/data" "$APP/Contents/MacOS/camtag" demo --headless --out "$tmp/demo" --library "$tmp/library.sqlite"
QT_QPA_PLATFORM=offscreen "$APP/Contents/MacOS/camtag-qtprobe"
rm -rf "$tmp"

if [ -n "${CODESIGN_IDENTITY:-}" ]; then
  codesign --force --deep --options runtime --timestamp --sign "$CODESIGN_IDENTITY" "$APP"
else
  codesign --force --deep --sign - "$APP"
fi
DMG="$DIST/camtag-$version-macos-arm64.dmg"
rm -f "$DMG"
hdiutil create -volname camtag -srcfolder "$APP" -ov -format UDZO "$DMG"
if [ -n "${CODESIGN_IDENTITY:-}" ] && [ -n "${NOTARY_PROFILE:-}" ]; then
  xcrun notarytool submit "$DMG" --keychain-profile "$NOTARY_PROFILE" --wait
  xcrun stapler staple "$DMG"
fi
echo "built $DMG"
