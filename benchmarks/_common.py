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


def append_results(section: str, text: str, command: str = "") -> None:
    """Add ``text`` at the end of section ``## {section}`` of benchmarks/RESULTS.md (the section
    is created, with ``command``, when missing), so runs stay under their issue's heading."""
    path = ROOT / "benchmarks" / "RESULTS.md"
    body = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    head = f"## {section}"
    block = text.strip("\n") + "\n"
    start = body.find(head + "\n")
    if start < 0:
        intro = f"\nCommand: `{command}`\n\n" if command else "\n"
        body = body.rstrip("\n") + f"\n\n{head}\n{intro}{block}"
    else:
        nxt = body.find("\n## ", start + len(head))
        end = len(body) if nxt < 0 else nxt + 1
        body = body[:end].rstrip("\n") + "\n\n" + block + "\n" + body[end:]
    path.write_text(body.rstrip("\n") + "\n", encoding="utf-8")
