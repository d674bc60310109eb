"""installers/common/bundle_trim.py: stripping that never leaves an unloadable library, pruning
that drops only orphans, and the check that names a missing library. Real ELF files, no build."""

from __future__ import annotations

import ctypes
import glob
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "installers" / "common"))
import bundle_trim  # noqa: E402

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ELF tools are for the Linux bundle")
DYNLOAD = sysconfig.get_config_var("DESTSHARED") or ""


def _module(name: str) -> str:
    found = glob.glob(os.path.join(DYNLOAD, f"{name}.cpython-*.so"))
    if not found:
        pytest.skip(f"this Python has no shared {name} module")
    return found[0]


def test_strip_shrinks_a_module_that_still_works(tmp_path):
    src = _module("zlib")
    if not bundle_trim.read_elf(src).has_symbols:
        pytest.skip("this Python's zlib module is already stripped")
    internal = tmp_path / "_internal"
    internal.mkdir()
    dest = internal / os.path.basename(src)
    shutil.copy2(src, dest)
    before = bundle_trim.read_elf(str(dest))

    saved = bundle_trim.strip_tree(str(tmp_path), log=lambda _m: None)

    after = bundle_trim.read_elf(str(dest))
    assert saved > 0 and dest.stat().st_size < os.path.getsize(src)
    assert not after.has_symbols and after.needed == before.needed and bundle_trim.loadable(after)
    code = ("import importlib.util, sys\n"
            "spec = importlib.util.spec_from_file_location('zlib', sys.argv[1])\n"
            "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
            "data = b'camtag' * 1000\n"
            "assert m.decompress(m.compress(data)) == data\n")
    proc = subprocess.run([sys.executable, "-c", code, str(dest)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_strip_never_leaves_numpys_openblas_unloadable(tmp_path):
    """patchelf-edited wheel libraries come out of `strip` with misaligned segments; the original stays."""
    import numpy

    libs = Path(numpy.__file__).resolve().parent.parent / "numpy.libs"
    blas = sorted(libs.glob("libscipy_openblas*.so")) or sorted(libs.glob("libopenblas*.so"))
    if not blas:
        pytest.skip("this NumPy wheel carries no OpenBLAS in numpy.libs")
    shutil.copytree(libs, tmp_path / "_internal" / "numpy.libs")
    copy = tmp_path / "_internal" / "numpy.libs" / blas[0].name

    bundle_trim.strip_tree(str(tmp_path), log=lambda _m: None)

    elf = bundle_trim.read_elf(str(copy))
    assert bundle_trim.loadable(elf)
    assert elf.needed == bundle_trim.read_elf(str(blas[0])).needed
    ctypes.CDLL(str(copy))          # ld.so maps it (its libgfortran comes from the same folder)


def test_loadable_rule_uses_the_page_offset():
    elf = bundle_trim.Elf((), None, False, ((0x0, 0x0, 0x1000), (0x1621098, 0x166b000, 0x1000)))
    assert not bundle_trim.loadable(elf)           # numbers from a stripped numpy OpenBLAS
    ok = bundle_trim.Elf((), None, False, ((0x0, 0x0, 0x1000), (0x1621098, 0x1622098, 0x1000)))
    assert bundle_trim.loadable(ok)


def test_read_elf_of_other_files(tmp_path):
    (tmp_path / "a.txt").write_text("not a library")
    assert bundle_trim.read_elf(str(tmp_path / "a.txt")) is None
    zlib_mod = bundle_trim.read_elf(_module("zlib"))
    assert "libc.so.6" in zlib_mod.needed


def test_prune_drops_libraries_nothing_needs():
    zlib_mod, bz2_mod = _module("zlib"), _module("_bz2")
    needs = bundle_trim.read_elf(zlib_mod).needed
    system = bundle_trim.system_libraries()
    if "libz.so.1" not in needs or "libz.so.1" not in system or "libbz2.so.1.0" not in system:
        pytest.skip("needs a zlib module linked to the system libz and a system libbz2")
    toc = [("python3.11/lib-dynload/" + os.path.basename(zlib_mod), zlib_mod, "EXTENSION"),
           ("libz.so.1", system["libz.so.1"], "BINARY"),
           ("libbz2.so.1.0", system["libbz2.so.1.0"], "BINARY"),
           ("somewhere/libbz2.so.1.0", "libbz2.so.1.0", "SYMLINK"),
           ("resources/taxonomy.toml", str(ROOT / "resources" / "taxonomy.toml"), "DATA")]
    messages = []
    (kept,) = bundle_trim.prune([toc], log=messages.append)
    names = [e[0] for e in kept]
    assert names == [toc[0][0], "libz.so.1", "resources/taxonomy.toml"]
    assert "libbz2.so.1.0" in messages[0]
    # with the bz2 module in the bundle, libbz2 stays
    toc.append(("python3.11/lib-dynload/" + os.path.basename(bz2_mod), bz2_mod, "EXTENSION"))
    (kept,) = bundle_trim.prune([toc], log=messages.append)
    assert "libbz2.so.1.0" in [e[0] for e in kept] and len(kept) == len(toc)


def test_check_names_a_missing_library(tmp_path):
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler to make a test library")
    (tmp_path / "x.c").write_text("int camtag_x(void) { return 1; }\n")
    (tmp_path / "y.c").write_text("int camtag_x(void);\nint camtag_y(void) { return camtag_x(); }\n")
    internal = tmp_path / "bundle" / "_internal"
    internal.mkdir(parents=True)
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(internal / "libcamtagx.so"), str(tmp_path / "x.c")],
                   check=True)
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(internal / "libcamtagy.so"), str(tmp_path / "y.c"),
                    f"-L{internal}", "-lcamtagx"], check=True)
    assert bundle_trim.missing_libraries(str(tmp_path / "bundle")) == []
    (internal / "libcamtagx.so").unlink()
    assert bundle_trim.missing_libraries(str(tmp_path / "bundle")) == ["_internal/libcamtagy.so: libcamtagx.so"]
