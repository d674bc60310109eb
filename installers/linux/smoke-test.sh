#!/usr/bin/env bash
# Smoke-test a built bundle: bash installers/linux/smoke-test.sh [dist/camtag]
#  1. `camtag --version`
#  2. `camtag demo --headless --out TMP`: makes the demo clip, analyses it into a library in TMP and
#     writes the analysis JSON and an EDL (checked to exist and to hold events)
#  3. the window, offscreen: `camtag-qtprobe` (Qt loads its plugins, shows a window with camtag's
#     icon/stylesheet, quits); the player plays the demo clip and seeks (player_check.py, run by the
#     bundle's own interpreter: `camtag -c CODE`); then the real app: `camtag app --smoke` when it
#     has that flag, else `camtag app CLIP --screenshot PNG` on the analysed demo clip (checks the
#     picture is written); the player's sound: QtMultimedia and its FFmpeg backend load
# Runs with an empty HOME-like data folder so the user's library is never touched. Exit 0 = all passed.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUNDLE=${1:-dist/camtag}
BUNDLE=$(cd "$BUNDLE" && pwd)
EXE="$BUNDLE/camtag"
TMP=$(mktemp -d /tmp/camtag-smoke.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
export CAMTAG_DATA_DIR="$TMP/data" XDG_DATA_HOME="$TMP/xdg-data" XDG_CONFIG_HOME="$TMP/xdg-config" \
       XDG_CACHE_HOME="$TMP/xdg-cache" QT_QPA_PLATFORM=offscreen
# the bundle must not lean on the developer's Python
unset PYTHONPATH PYTHONHOME VIRTUAL_ENV
failed=0
step() { echo "== $1"; }
fail() { echo "FAIL: $1"; failed=1; }

step "camtag --version"
out=$("$EXE" --version 2>&1) && echo "$out" | grep -q '^camtag [0-9]' && echo "ok: $out" || fail "--version: $out"

step "camtag demo --headless --out $TMP/demo"
if "$EXE" demo --headless --out "$TMP/demo" --library "$TMP/library.sqlite" >"$TMP/demo.log" 2>&1; then
  tail -n 12 "$TMP/demo.log"
  [ -s "$TMP/demo/camtag_demo.mp4" ] || fail "no demo clip"
  [ -s "$TMP/demo/camtag_demo.camtag.json" ] || fail "no analysis JSON"
  if [ -s "$TMP/demo/camtag_demo.edl" ]; then
    events=$(grep -cE '^[0-9]{3,} ' "$TMP/demo/camtag_demo.edl")
    [ "$events" -ge 5 ] && echo "ok: EDL with $events events" || fail "EDL has $events events"
  else
    fail "no EDL"
  fi
  [ -s "$TMP/library.sqlite" ] && echo "ok: library written" || fail "no library"
else
  cat "$TMP/demo.log"; fail "demo exited non-zero"
fi

step "window offscreen: camtag-qtprobe"
out=$("$BUNDLE/camtag-qtprobe" 2>&1) && echo "ok: $out" || fail "qtprobe: $out"

step "player offscreen: play 1.5 s and seek twice (installers/common/player_check.py)"
if [ -s "$TMP/demo/camtag_demo.mp4" ]; then
  out=$(timeout 120 "$EXE" -c "$(cat "$HERE/../common/player_check.py")" "$TMP/demo/camtag_demo.mp4" 2>&1) \
    && echo "ok: ${out##*$'\n'}" || fail "player: $out"
else
  fail "player: no demo clip to play"
fi

step "sound: QtMultimedia and its FFmpeg backend load in the bundle"
code='import sys
from PySide6.QtCore import QCoreApplication
from PySide6.QtMultimedia import QMediaPlayer
app = QCoreApplication(sys.argv)
ok = QMediaPlayer().isAvailable()
print("media backend available" if ok else "no media backend")
sys.exit(0 if ok else 1)'
out=$(timeout 60 "$EXE" -c "$code" 2>&1) && echo "ok: ${out##*$'\n'}" || fail "sound: $out"

step "window offscreen: camtag app"
if "$EXE" app --help 2>&1 | grep -q -- '--smoke'; then
  out=$(timeout 120 "$EXE" app --smoke 2>&1) && echo "ok: ${out##*$'\n'}" || fail "app --smoke: $out"
elif "$EXE" app --help 2>&1 | grep -q -- '--screenshot'; then
  # the app opens the analysed demo clip from the smoke library, waits until it is shown, saves a
  # picture of the window and quits
  clip="$TMP/demo/camtag_demo.mp4"
  out=$(timeout 180 "$EXE" app "$clip" --library "$TMP/library.sqlite" --screenshot "$TMP/window.png" --timeout 20 2>&1)
  if [ $? = 0 ] && [ -s "$TMP/window.png" ]; then echo "ok: ${out##*$'\n'} ($(stat -c %s "$TMP/window.png") bytes)"
  else fail "app --screenshot: $out"; fi
else
  fail "the bundle has no \`camtag app\` command (or it lacks --smoke/--screenshot)"
fi

[ $failed = 0 ] && echo "SMOKE TEST PASSED" || echo "SMOKE TEST FAILED"
exit $failed
