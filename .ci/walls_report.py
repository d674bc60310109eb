#!/usr/bin/env python3
"""Numbers for the architecture targets (issue 15): import cycles between camtag modules (top-level
imports and imports inside functions alike; ``if TYPE_CHECKING`` imports left out), ``getattr(`` calls, private names imported across
modules, modules over 400 lines. Informational: prints, exits 0. Needs grimp (import-linter).

``getattr(`` calls are split: those on objects that are not plugins (exceptions, modules and
``sys``, argparse namespaces, thread-locals, dataclass fields by name, third-party objects whose
attribute differs between versions, a delegating proxy) are listed in :data:`NOT_PLUGINS` by file
and receiver; every other one counts as reflection on a plugin (the target is 0) and is listed."""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

# (file under app/camtag, receiver as written) -> why it is not reflection on a plugin
NOT_PLUGINS = {
    ("cli.py", "args"): "argparse namespace",
    ("cli.py", "exc"): "exception",
    ("commands/models.py", "args"): "argparse namespace",
    ("ui/app.py", "app"): "Qt application (a guard flag)",
    ("ui/settings.py", "out"): "dataclass fields by name",
    ("models_registry.py", "entry"): "dataclass fields by name",
    ("reasoner/transformers_backend.py", "torch.backends"): "module (varies by torch build)",
    ("reasoner/__init__.py", "torch.backends"): "module (varies by torch build)",
    ("reasoner/llamacpp_support.py", "llama_cpp"): "module",
    ("reasoner/llamacpp_support.py", "self._base"): "delegating proxy (__getattr__)",
    ("library/sqlite_store.py", "exc"): "exception",
    ("library/sqlite_store.py", "self._local"): "thread-local",
    ("library/postgres_store.py", "self._local"): "thread-local",
    ("export/read_otio.py", "ref"): "OTIO media reference (kinds differ)",
    ("media/posters.py", "exc"): "exception",
    ("media/hwaccel.py", "ctx"): "PyAV codec context (varies by version)",
    ("media/decode.py", "exc"): "exception",
    ("media/probe.py", "frame"): "PyAV frame (varies by version)",
    ("resources_path.py", "sys"): "module",
    ("syscheck.py", "error"): "exception",
    ("syscheck.py", "errno"): "module",
}


def getattr_calls(root: pathlib.Path) -> tuple[list[str], list[str]]:
    """(allowed, on plugins): ``file:line receiver`` of every ``getattr(`` call."""
    allowed, plugins = [], []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                    node.func.id == "getattr" and node.args:
                receiver = ast.unparse(node.args[0])
                where = f"{rel}:{node.lineno} {receiver}"
                (allowed if (rel, receiver) in NOT_PLUGINS else plugins).append(where)
    return allowed, plugins


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
    allowed, plugins = getattr_calls(root)
    print(f"getattr( calls in app/camtag: {len(allowed) + len(plugins)} ({len(allowed)} on "
          f"exceptions, modules, namespaces, dataclass fields, third-party objects)")
    print(f"getattr( on plugin objects or unclassified: {len(plugins)}"
          + "".join(f"\n  {p}" for p in plugins))
    private = subprocess.run([sys.executable, ".ci/check_private_imports.py"],
                             capture_output=True, text=True).stdout.splitlines()
    print(f"private names imported across modules: {len(private)}")
    long = [(len(p.read_text().splitlines()), str(p)) for p in root.rglob("*.py")]
    long = sorted((n, p) for n, p in long if n > 400)
    print(f"modules over 400 lines: {len(long)}" + "".join(f"\n  {n} {p}" for n, p in long))
    return 0


if __name__ == "__main__":
    sys.exit(main())
