#!/usr/bin/env python3
"""No module imports another module's private names (``from camtag.x import _y``), and no module
imports a private module of another package's insides by a private name either.

Usage: check_private_imports.py [ROOT...] (default app/camtag). Exit 1 with one line per offence.
"""

from __future__ import annotations

import ast
import pathlib
import sys


def module_name(path: pathlib.Path, root: pathlib.Path) -> str:
    rel = path.relative_to(root.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def offences(path: pathlib.Path, root: pathlib.Path) -> list[str]:
    here = module_name(path, root)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:                                   # relative: resolve against the package
            base = package.split(".")
            base = base[:len(base) - node.level + 1]
            source = ".".join(base + ([node.module] if node.module else []))
        else:
            source = node.module or ""
        if not source.startswith(root.name) or source == here:
            continue
        for alias in node.names:
            if alias.name.startswith("_") and not alias.name.startswith("__"):
                out.append(f"{path}:{node.lineno}: imports the private name {alias.name} "
                           f"from {source}")
    return out


def main(argv: list[str]) -> int:
    roots = [pathlib.Path(a) for a in argv] or [pathlib.Path("app/camtag")]
    found = [o for root in roots for p in sorted(root.rglob("*.py")) for o in offences(p, root)]
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
