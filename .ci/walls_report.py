#!/usr/bin/env python3
"""Numbers for the architecture targets (issue 15): import cycles between camtag modules (top-level
imports and imports inside functions alike; ``if TYPE_CHECKING`` imports left out), ``getattr(`` calls, private names imported across
modules, modules over 400 lines. Informational: prints, exits 0. Needs grimp (import-linter)."""

from __future__ import annotations

import pathlib
import subprocess
import sys


def cycles(graph, modules: set[str]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.find_modules_directly_imported_by(v) & modules:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for m in sorted(modules):
        if m not in index:
            visit(m)
    return out


def main() -> int:
    import grimp

    root = pathlib.Path("app/camtag")
    sys.path.insert(0, "app")
    graph = grimp.build_graph("camtag", exclude_type_checking_imports=True)
    modules = {m for m in graph.modules if m.startswith("camtag")}
    core = {m for m in modules if not m.startswith("camtag.ui")}
    found = cycles(graph, core)
    print(f"import cycles in the core (camtag minus ui): {len(found)}")
    for comp in found:
        print("  " + " <-> ".join(comp))
    getattrs = subprocess.run(["grep", "-rc", "getattr(", str(root), "--include=*.py"],
                              capture_output=True, text=True).stdout.split()
    print(f"getattr( calls in app/camtag: {sum(int(x.rpartition(':')[2]) for x in getattrs)}")
    private = subprocess.run([sys.executable, ".ci/check_private_imports.py"],
                             capture_output=True, text=True).stdout.splitlines()
    print(f"private names imported across modules: {len(private)}")
    long = [(len(p.read_text().splitlines()), str(p)) for p in root.rglob("*.py")]
    long = sorted((n, p) for n, p in long if n > 400)
    print(f"modules over 400 lines: {len(long)}" + "".join(f"\n  {n} {p}" for n, p in long))
    return 0


if __name__ == "__main__":
    sys.exit(main())
