"""Helpers shared by the benchmark scripts (paths, machine line, result tables)."""

from __future__ import annotations

import os
import platform
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "app"))


def shared_dir() -> Path:
    for cand in (os.environ.get("CAMTAG_SHARED"), ROOT.parent / "shared"):
        if cand and Path(cand, "media").is_dir():
            return Path(cand)
    raise SystemExit("shared media not found: set CAMTAG_SHARED")


def machine_line() -> str:
    return (f"{date.today().isoformat()}, {platform.machine()}, {os.cpu_count()} CPUs, "
            f"Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}")


def table(headers: list[str], rows: list[list]) -> str:
    cells = [[str(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    return "\n".join([line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|",
                      *(line(r) for r in cells)])
