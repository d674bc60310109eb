"""The core never imports Qt: every camtag module except camtag.ui imports without PySide6,
qtpy, pyqtgraph or superqt ending up in sys.modules (checked in a fresh interpreter)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"

SCRIPT = r"""
import importlib, pkgutil, sys, json
import camtag
failed, names = {}, []
for info in pkgutil.walk_packages(camtag.__path__, "camtag."):
    if info.name in ("camtag.ui", "camtag.__main__") or info.name.startswith("camtag.ui."):
        continue
    names.append(info.name)
    try:
        importlib.import_module(info.name)
    except ImportError as exc:           # an optional extra that is not installed here
        failed[info.name] = str(exc)
qt = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "qtpy", "pyqtgraph", "superqt", "PyQt5", "PyQt6", "shiboken6"))
print(json.dumps({"imported": names, "failed": failed, "qt": qt}))
"""


def test_core_modules_do_not_import_qt():
    env = dict(os.environ, PYTHONPATH=str(APP))
    env.pop("QT_QPA_PLATFORM", None)
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    import json

    result = json.loads(out.strip().splitlines()[-1])
    assert "camtag.commands.app" in result["imported"]          # the app command is core-safe
    assert len(result["imported"]) > 40
    assert result["qt"] == [], f"Qt pulled into the core by: {result['qt']}"
