"""Making user text safe for each interchange format: one line, ASCII where a format needs it,
no characters XML forbids, bounded length. Nothing here raises: bad text is escaped or trimmed.
"""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_SPACES = re.compile(r"\s{2,}")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_XML_SPECIAL = re.compile("[&<>\"\r\n\t\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SURROGATES = re.compile("[\ud800-\udfff]")
# letters NFKD does not decompose into ASCII
_FOLD = str.maketrans({"ß": "ss", "Æ": "AE", "æ": "ae", "Ø": "O", "ø": "o", "Œ": "OE", "œ": "oe",
                       "Đ": "D", "đ": "d", "Ł": "L", "ł": "l", "Þ": "Th", "þ": "th", "ı": "i",
                       "‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "..."})


def one_line(text: str) -> str:
    """Tabs, newlines and other control characters become single spaces; ends are stripped."""
    if not text:
        return ""
    text = str(text)
    if text.isprintable() and "  " not in text:  # the common case, no regex needed
        return text.strip()
    text = _SURROGATES.sub("\ufffd", text)      # undecodable names, garbled model output
    return _SPACES.sub(" ", _CONTROL.sub(" ", text)).strip()


def unicode_safe(value):
    """``value`` with every lone surrogate (a file name that was not UTF-8, garbled model output)
    replaced by U+FFFD, through dicts, lists and tuples: what strict UTF-8 consumers (OTIO's C++
    core, XML, SQLite) accept."""
    if isinstance(value, str):
        return _SURROGATES.sub("\ufffd", value) if not value.isascii() else value
    if isinstance(value, dict):
        return {unicode_safe(k): unicode_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(unicode_safe(v) for v in value)
    return value


def ascii_fold(text: str, replacement: str = "_") -> str:
    """Latin letters lose their accents (é → e, ß → ss); other non-ASCII becomes ``replacement``."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    out = []
    for ch in decomposed:
        if ch.isascii():
            out.append(ch)
        elif not unicodedata.combining(ch):
            out.append(replacement)
    return "".join(out)


def shorten(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters, marking the cut with '...'."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 3)].rstrip() + "..." if limit > 3 else text[:limit]


def ascii_line(text: str, limit: int = 0) -> str:
    """One ASCII line, for EDL and ALE fields."""
    out = one_line(ascii_fold(one_line(text)))
    return shorten(out, limit) if limit else out


def xml_text(text: str) -> str:
    """Escape for XML element content or a double-quoted attribute (newlines kept as &#10;)."""
    text = str(text)
    if not _XML_SPECIAL.search(text):
        return text
    text = _XML_ILLEGAL.sub("", text)
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("\r", "&#13;").replace("\n", "&#10;")
            .replace("\t", "&#9;"))


def file_label(text: str, limit: int = 60) -> str:
    """A fragment safe inside a file name on every platform."""
    out = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_fold(one_line(text))).strip("._")
    return out[:limit] or "untitled"
