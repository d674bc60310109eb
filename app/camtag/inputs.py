"""The one input policy: every file camtag reads is checked here before a parser sees it.

Files: regular files only (a FIFO named like an edit would block the read), bounded size,
JSON nesting depth counted on the raw bytes *before* any recursive parser (OTIO's C++ reader
crashes on 50,000 nested brackets), zlib streams inflated with a hard output bound, zip members
checked for count, size and ratio before anything is extracted.

Values: numbers are checked for type and range before they reach ``int()`` or ``Fraction()``
(``Fraction("1e999999999")`` computes a billion-digit integer and never returns); text is
checked for type, length and NUL characters. Every failure is an :class:`InputError` whose
message is one line naming the file and the field.

This module imports nothing from camtag, so every layer may use it.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import zlib
from fractions import Fraction
from typing import Any

MAX_JSON_BYTES = 512 * 1024 * 1024
MAX_DEPTH = 64
MAX_ABS = 10 ** 15               # bound for integers and rational parts read from files
MAX_TEXT = 1_000_000
MAX_ZIP_MEMBERS = 10_000
MAX_ZIP_RATIO = 200

_RATIONAL = re.compile(r"\s*([+-]?\d{1,16})\s*/\s*(\d{1,16})\s*", re.ASCII)
_DECIMAL = re.compile(r"\s*([+-]?)(\d{0,16})(?:\.(\d{0,16}))?(?:[eE]([+-]?\d{1,3}))?\s*", re.ASCII)
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")


class InputError(ValueError):
    """A file or value camtag will not read; the message is one line naming the file and field."""


# ---- files ---------------------------------------------------------------------------------

def read_limited(path: str, limit: int, what: str = "file") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes."""
    if "\x00" in path:
        raise InputError(f"{path!r}: a file name cannot contain a NUL character")
    try:
        st = os.stat(path)
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{path}: not a regular file (a {what} must be a file)")
    if st.st_size > limit:
        raise InputError(f"{path}: {st.st_size:,} bytes is more than a {what} may hold "
                         f"({limit:,})")
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise InputError(f"{path}: grew past {limit:,} bytes while being read")
    return data


def json_depth(data: bytes | str) -> int:
    """Deepest bracket nesting of JSON text, brackets inside strings not counted; never recurses."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKET)
    depth = deepest = 0
    for b in brackets:
        if b in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def check_json_text(data: bytes | str, where: str, max_depth: int = MAX_DEPTH) -> None:
    depth = json_depth(data)
    if depth > max_depth:
        raise InputError(f"{where}: JSON nested {depth} levels deep (at most {max_depth})")


def loads_json(data: bytes | str, where: str, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON after the depth check; one-line errors for syntax, encoding and numbers."""
    check_json_text(data, where, max_depth)
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise InputError(f"{where}: not a UTF-8 text file") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except (ValueError, RecursionError) as exc:   # e.g. an integer of more than 4300 digits
        raise InputError(f"{where}: unreadable JSON ({' '.join(str(exc).split())[:120]})") from None


def read_json(path: str, limit: int = MAX_JSON_BYTES, max_depth: int = MAX_DEPTH,
              what: str = "JSON file") -> Any:
    return loads_json(read_limited(path, limit, what), path, max_depth)


def inflate(data: bytes, limit: int, where: str) -> bytes:
    """zlib-decompress at most ``limit`` bytes; a stream that would expand further is refused
    without ever holding more than ``limit`` bytes."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise InputError(f"{where}: corrupt compressed data ({exc})") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise InputError(f"{where}: expands past {limit:,} bytes; refused")
    return out


def read_zip_member(path: str, names: tuple[str, ...], limit: int, what: str = "archive") -> bytes:
    """The first of ``names`` (or the only ``*.otio``) from a zip, after checking every member's
    declared size and compression ratio; the read itself is bounded too."""
    import zipfile          # (here: every analysis imports this module, few read a zip)

    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ZIP_MEMBERS:
                raise InputError(f"{path}: {len(infos):,} members in one {what}; refused")
            for info in infos:
                ratio = info.file_size / max(1, info.compress_size)
                if info.file_size > limit or (info.file_size > 1_000_000 and ratio > MAX_ZIP_RATIO):
                    raise InputError(f"{path}: member {info.filename!r} expands to "
                                     f"{info.file_size:,} bytes; refused")
            by_name = {i.filename: i for i in infos}
            pick = next((by_name[n] for n in names if n in by_name), None)
            if pick is None:
                raise InputError(f"{path}: no {' or '.join(names)} inside the {what}")
            with zf.open(pick) as fh:
                data = fh.read(limit + 1)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as exc:
        raise InputError(f"{path}: not a readable {what} ({exc})") from None
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise InputError(f"{path}: member expands past {limit:,} bytes; refused")
    return data


# ---- values --------------------------------------------------------------------------------

def _name(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def integer(value: Any, where: str, lo: int = -MAX_ABS, hi: int = MAX_ABS) -> int:
    """An int (or an integral finite float) in ``[lo, hi]``; bools and strings are refused."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{where}: expected an integer, got {type(value).__name__} {_name(value)}")
    if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
        raise InputError(f"{where}: expected an integer, got {_name(value)}")
    if not lo <= value <= hi:
        raise InputError(f"{where}: {_name(value)} is outside {lo}..{hi}")
    return int(value)


def number(value: Any, where: str, lo: float = -MAX_ABS, hi: float = MAX_ABS) -> float:
    """A finite int or float in ``[lo, hi]`` (NaN and Infinity refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{where}: expected a number, got {type(value).__name__} {_name(value)}")
    if isinstance(value, int) and not -MAX_ABS <= value <= MAX_ABS:
        raise InputError(f"{where}: {_name(value)} is outside {lo}..{hi}")
    out = float(value)
    if not math.isfinite(out):
        raise InputError(f"{where}: {_name(value)} is not a finite number")
    if not lo <= out <= hi:
        raise InputError(f"{where}: {_name(value)} is outside {lo}..{hi}")
    return out


def fraction(value: Any, where: str, lo: Fraction | int | None = None,
             hi: Fraction | int | None = None, positive: bool = False) -> Fraction:
    """An exact rational from "num/den", a decimal string ("29.97", "2.5e1"), an int, a finite float
    or a Fraction; every part bounded so that no huge integer is ever built."""
    if isinstance(value, bool):
        raise InputError(f"{where}: expected a number, got {_name(value)}")
    if isinstance(value, Fraction):
        out = value
        if abs(out.numerator) > MAX_ABS or out.denominator > MAX_ABS:
            raise InputError(f"{where}: {_name(value)} is out of range")
    elif isinstance(value, int):
        out = Fraction(integer(value, where))
    elif isinstance(value, float):
        out = Fraction(number(value, where)).limit_denominator(10 ** 6)
    elif isinstance(value, str):
        out = _fraction_text(value, where)
    else:
        raise InputError(f"{where}: expected a number, got {type(value).__name__} {_name(value)}")
    if positive and out <= 0:
        raise InputError(f"{where}: must be positive, got {_name(value)}")
    if lo is not None and out < lo:
        raise InputError(f"{where}: {_name(value)} is below {lo}")
    if hi is not None and out > hi:
        raise InputError(f"{where}: {_name(value)} is above {hi}")
    return out


def _fraction_text(text: str, where: str) -> Fraction:
    if len(text) > 64:
        raise InputError(f"{where}: {_name(text)} is not a number")
    m = _RATIONAL.fullmatch(text)
    if m:
        num, den = int(m.group(1)), int(m.group(2))
        if den == 0:
            raise InputError(f"{where}: {_name(text)} divides by zero")
        return Fraction(num, den)
    m = _DECIMAL.fullmatch(text)
    if not m or not (m.group(2) or m.group(3)):
        raise InputError(f"{where}: {_name(text)} is not a number")
    sign, whole, frac, exp = m.group(1), m.group(2) or "0", m.group(3) or "", int(m.group(4) or 0)
    if abs(exp) > 18:
        raise InputError(f"{where}: {_name(text)} is out of range")
    out = Fraction(int(whole + frac), 10 ** len(frac)) * Fraction(10) ** exp
    if abs(out) > MAX_ABS:
        raise InputError(f"{where}: {_name(text)} is out of range")
    return -out if sign == "-" else out


def text(value: Any, where: str, limit: int = MAX_TEXT, nul: bool = False) -> str:
    """A str of at most ``limit`` characters, without NUL unless ``nul``."""
    if not isinstance(value, str):
        raise InputError(f"{where}: expected text, got {type(value).__name__} {_name(value)}")
    if len(value) > limit:
        raise InputError(f"{where}: {len(value):,} characters is more than {limit:,}")
    if not nul and "\x00" in value:
        raise InputError(f"{where}: contains a NUL character")
    return value


def path_text(value: Any, where: str) -> str:
    return text(value, where, limit=4096)


def text_list(value: Any, where: str, limit: int = 10_000, item_limit: int = 10_000) -> list[str]:
    if not isinstance(value, (list, tuple)):
        raise InputError(f"{where}: expected a list, got {type(value).__name__}")
    if len(value) > limit:
        raise InputError(f"{where}: {len(value):,} items is more than {limit:,}")
    return [text(v, f"{where}[{i}]", item_limit) for i, v in enumerate(value)]


def obj(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise InputError(f"{where}: expected an object, got {type(value).__name__}")
    return value


def items(value: Any, where: str, limit: int = 10_000_000) -> list:
    if not isinstance(value, list):
        raise InputError(f"{where}: expected a list, got {type(value).__name__}")
    if len(value) > limit:
        raise InputError(f"{where}: {len(value):,} items is more than {limit:,}")
    return value
