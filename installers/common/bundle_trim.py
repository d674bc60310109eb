"""Shrink the Linux bundle without losing anything it runs: drop orphaned libraries, strip symbols.

Used in two places:

* camtag.spec (Linux only): :func:`prune` removes shared libraries that nothing left in the bundle
  needs (after the spec dropped Qt pieces camtag never loads, their dependencies, e.g. the Kerberos
  libraries of QtNetwork, would otherwise stay behind);
* build-bundle.sh, after PyInstaller: ``python bundle_trim.py strip DIST/camtag`` strips the symbol
  tables of libraries that still carry them (PyAV's extension modules, libpython, ...), keeping the
  original whenever the stripped copy would not load; ``python bundle_trim.py check DIST/camtag``
  then fails when any library's DT_NEEDED is found neither in the bundle nor on the system.

ELF (64-bit, little-endian) is read here directly: no pyelftools at build time. ``strip`` and
``ldconfig`` come from binutils/libc-bin, which PyInstaller itself needs on Linux.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import tempfile
from dataclasses import dataclass

PT_LOAD, PT_DYNAMIC = 1, 2
DT_NEEDED, DT_STRTAB, DT_SONAME = 1, 5, 14
SHT_SYMTAB = 2
PAGE = 4096

# Qt opens libdbus-1 with dlopen (no DT_NEEDED on it) for the portal, tray and input methods.
DLOPENED = ("libdbus-1.so.3",)


@dataclass(frozen=True)
class Elf:
    needed: tuple[str, ...]
    soname: str | None
    has_symbols: bool           # a .symtab or .debug_* section: strip would shrink it
    loads: tuple[tuple[int, int, int], ...]   # (p_offset, p_vaddr, p_align) of PT_LOAD segments


def read_elf(path: str) -> Elf | None:
    """The dynamic-linking facts of an ELF64 little-endian file, or None for anything else."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(64)
            if len(head) < 64 or head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
                return None
            phoff, shoff = struct.unpack_from("<QQ", head, 0x20)
            phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from("<HHHHH", head, 0x36)
            fh.seek(phoff)
            ph = fh.read(phentsize * phnum)
            segments = [struct.unpack_from("<IIQQQQQQ", ph, i * phentsize) for i in range(phnum)]
            loads = tuple((s[2], s[3], s[7]) for s in segments if s[0] == PT_LOAD)

            def offset_of(vaddr: int) -> int:
                for p_type, _f, off, va, _pa, filesz, _m, _a in segments:
                    if p_type == PT_LOAD and va <= vaddr < va + filesz:
                        return vaddr - va + off
                raise ValueError(f"address {vaddr:#x} outside the file")

            needed_offsets, soname_off, strtab = [], None, None
            for p_type, _f, off, _va, _pa, filesz, _m, _a in segments:
                if p_type != PT_DYNAMIC:
                    continue
                fh.seek(off)
                dyn = fh.read(filesz)
                for i in range(0, len(dyn) - 15, 16):
                    tag, val = struct.unpack_from("<qQ", dyn, i)
                    if tag == 0:
                        break
                    if tag == DT_NEEDED:
                        needed_offsets.append(val)
                    elif tag == DT_SONAME:
                        soname_off = val
                    elif tag == DT_STRTAB:
                        strtab = val

            def string(at: int) -> str:
                fh.seek(offset_of(strtab) + at)
                return fh.read(512).split(b"\0", 1)[0].decode("utf-8", "replace")

            needed = tuple(string(o) for o in needed_offsets) if strtab is not None else ()
            soname = string(soname_off) if strtab is not None and soname_off is not None else None

            has_symbols = False
            if shoff and shnum and shstrndx < shnum:
                fh.seek(shoff)
                sh = fh.read(shentsize * shnum)
                sections = [struct.unpack_from("<IIQQQQIIQQ", sh, i * shentsize) for i in range(shnum)]
                names_off = sections[shstrndx][4]
                fh.seek(names_off)
                names = fh.read(sections[shstrndx][5])
                for s in sections:
                    name = names[s[0]:names.find(b"\0", s[0])]
                    if s[1] == SHT_SYMTAB or name.startswith(b".debug_"):
                        has_symbols = True
                        break
            return Elf(needed, soname, has_symbols, loads)
    except (OSError, struct.error, ValueError):
        return None


def loadable(elf: Elf) -> bool:
    """ld.so maps each PT_LOAD at p_vaddr from p_offset: both must agree modulo the page size."""
    return bool(elf.loads) and all((off - va) % max(align, PAGE) == 0 for off, va, align in elf.loads)


_SYSTEM: dict[str, str] | None = None


def system_libraries() -> dict[str, str]:
    """soname -> path of the build machine's shared libraries (``ldconfig -p``)."""
    global _SYSTEM
    if _SYSTEM is None:
        _SYSTEM = {}
        try:
            out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=False).stdout
        except OSError:
            out = ""
        for line in out.splitlines()[1:]:
            name, _, path = line.strip().partition(" => ")
            name = name.split(" (", 1)[0]
            if "x86-64" in line or "," not in line:    # skip 32-bit (libc6) copies
                _SYSTEM.setdefault(name, path)
    return _SYSTEM


def _is_root(dest: str, typecode: str) -> bool:
    """Loaded by Python or Qt by path (not via another library's DT_NEEDED)."""
    d = dest.replace(os.sep, "/")
    base = d.rsplit("/", 1)[-1]
    return (typecode in ("EXTENSION", "EXECUTABLE") or "/plugins/" in d or base.startswith("libpython")
            or base in DLOPENED)


def prune(tocs: list[list[tuple]], log=print) -> list[list[tuple]]:
    """Drop BINARY entries (and their SYMLINKs) that no extension module, Qt plugin or executable
    needs, following DT_NEEDED through the bundle and, for libraries left to the system (libxcb, GL,
    glibc), through the system's copies, as ld.so would at run time."""
    by_name: dict[str, str] = {}      # file name -> source path, for every bundled library
    for toc in tocs:
        for dest, src, typecode in toc:
            if typecode in ("BINARY", "EXTENSION") and read_elf(src) is not None:
                by_name.setdefault(os.path.basename(dest), src)
    system = system_libraries()
    reached: set[str] = set()
    stack = [src for toc in tocs for dest, src, typecode in toc if typecode in ("BINARY", "EXTENSION",
             "EXECUTABLE") and _is_root(dest, typecode)]
    stack += [by_name[n] for n in DLOPENED if n in by_name]
    seen_paths: set[str] = set()
    while stack:
        path = stack.pop()
        if path in seen_paths:
            continue
        seen_paths.add(path)
        elf = read_elf(path)
        for name in elf.needed if elf else ():
            reached.add(name)
            nxt = by_name.get(name) or system.get(name)
            if nxt:
                stack.append(nxt)
    dropped = {name for name in by_name if name not in reached and not any(
        _is_root(dest, code) for toc in tocs for dest, _s, code in toc if os.path.basename(dest) == name)}
    if dropped:
        size = sum(os.path.getsize(by_name[n]) for n in dropped)
        log(f"bundle_trim: dropping {len(dropped)} libraries nothing needs ({size / 1e6:.1f} MB): "
            + ", ".join(sorted(dropped)))
    out = []
    for toc in tocs:
        kept = []
        for dest, src, typecode in toc:
            base = os.path.basename(dest)
            if typecode == "BINARY" and base in dropped:
                continue
            if typecode == "SYMLINK" and os.path.basename(src) in dropped:
                continue
            kept.append((dest, src, typecode))
        out.append(kept)
    return out


def strip_tree(bundle: str, log=print) -> int:
    """Strip libraries under ``bundle``/_internal that still have symbol tables; returns bytes saved.

    The executables (which carry PyInstaller's archive) are never touched. A stripped copy replaces
    the original only if its PT_LOAD segments stay page-aligned and its SONAME/DT_NEEDED are
    unchanged: patchelf-edited wheel libraries (NumPy's OpenBLAS) come out of ``strip`` unloadable.
    """
    strip = shutil.which("strip")
    if strip is None:
        log("bundle_trim: no `strip` (binutils): libraries left as they are")
        return 0
    saved, kept = 0, []
    internal = os.path.join(bundle, "_internal")
    for folder, _dirs, files in os.walk(internal):
        for name in files:
            path = os.path.join(folder, name)
            if os.path.islink(path):
                continue
            elf = read_elf(path)
            if elf is None or not elf.has_symbols:
                continue
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".strip-")
            os.close(fd)
            try:
                proc = subprocess.run([strip, "--strip-unneeded", "-p", "-o", tmp, path],
                                      capture_output=True, text=True)
                new = read_elf(tmp) if proc.returncode == 0 else None
                if (new is None or not loadable(new) or new.needed != elf.needed
                        or new.soname != elf.soname):
                    kept.append(os.path.relpath(path, internal))
                    continue
                before, after = os.path.getsize(path), os.path.getsize(tmp)
                os.chmod(tmp, os.stat(path).st_mode)
                os.replace(tmp, path)
                saved += before - after
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
    log(f"bundle_trim: stripped symbols, {saved / 1e6:.1f} MB saved"
        + (f"; left unstripped (would not load stripped): {', '.join(kept)}" if kept else ""))
    return saved


def missing_libraries(bundle: str) -> list[str]:
    """'file: libX.so' for every DT_NEEDED found neither in the bundle nor on this system."""
    names: set[str] = set()
    elves: dict[str, Elf] = {}
    for folder, _dirs, files in os.walk(bundle):
        for name in files:
            path = os.path.join(folder, name)
            names.add(name)
            if not os.path.islink(path):
                elf = read_elf(path)
                if elf is not None:
                    elves[os.path.relpath(path, bundle)] = elf
    system = system_libraries()
    try:   # libraries PyInstaller leaves to the user's system on purpose (glibc, GL, libxcb, wayland)
        from PyInstaller.depend.dylib import include_library
    except ImportError:
        def include_library(_name: str) -> bool:
            return True
    return [f"{rel}: {n}" for rel, elf in sorted(elves.items()) for n in elf.needed
            if n not in names and n not in system and include_library(n)]


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("strip", "check"):
        print("usage: bundle_trim.py strip|check DIST/camtag", file=sys.stderr)
        return 2
    if argv[0] == "strip":
        strip_tree(argv[1])
        return 0
    missing = missing_libraries(argv[1])
    for line in missing:
        print(f"missing library: {line}", file=sys.stderr)
    if not missing:
        print("bundle_trim: every library's dependencies are in the bundle or on the system")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
