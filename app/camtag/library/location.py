"""Where a library lives: URLs, the default location, and the backend registry by URL scheme.

A library is named by a URL so that other backends can be added by one module each:

- ``sqlite:///abs/path/library.sqlite`` (also ``sqlite:////abs/...``, ``sqlite:///C:/...``),
  options ``?mode=ro`` (open read-only) and ``?timeout=SECONDS`` (busy timeout);
- a plain path to a file, or to an existing folder (the library is ``camtag-library.sqlite`` in it);
- ``postgresql://user@host/db``: the PostgreSQL backend (``library/postgres_store.py``).

Options are checked here, once: ``timeout`` a number of seconds (0 to 3600), ``mode`` ``ro`` or
``rw``, ``max_pages`` a whole number above 0; anything else is one clear error.

Without a URL, ``$CAMTAG_LIBRARY`` or the platform's user data folder is used.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

from camtag.library.errors import LibraryError
from camtag.registry import load

ENV_VAR = "CAMTAG_LIBRARY"
FOLDER_FILE_NAME = "camtag-library.sqlite"

# scheme -> "module:Class"; a backend is one module implementing camtag.library.store.Store.
BACKENDS: dict[str, str] = {
    "sqlite": "camtag.library.sqlite_store:SQLiteStore",
    "postgresql": "camtag.library.postgres_store:PostgresStore",
}
SCHEME_ALIASES = {"postgres": "postgresql", "postgresql+psycopg": "postgresql", "sqlite3": "sqlite"}


@dataclass(frozen=True)
class LibraryURL:
    scheme: str
    path: str = ""                       # file path for sqlite
    url: str = ""                        # the full URL as given/normalised
    options: dict = field(default_factory=dict, compare=False, hash=False)

    def __str__(self) -> str:
        return self.url


def default_library_path() -> str:
    import platformdirs

    return os.path.join(platformdirs.user_data_dir("camtag", appauthor=False), "library.sqlite")


def _sqlite_path(raw_path: str) -> str:
    path = unquote(raw_path)
    if re.match(r"^/[A-Za-z]:[/\\]", path):        # sqlite:///C:/x -> C:/x
        path = path[1:]
    while path.startswith("//"):                    # sqlite:////abs -> /abs
        path = path[1:]
    return path


def parse_library_url(value: str | None = None) -> LibraryURL:
    """Turn a URL, a path, ``$CAMTAG_LIBRARY`` or nothing into a :class:`LibraryURL`."""
    value = (value or os.environ.get(ENV_VAR) or "").strip()
    if not value:
        path = default_library_path()
        return LibraryURL("sqlite", path, "sqlite:///" + path.lstrip("/"))
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://", value)
    if not m:                                       # a plain path (also C:\... on Windows)
        path = os.path.abspath(os.path.expanduser(value))
        if os.path.isdir(path):
            path = os.path.join(path, FOLDER_FILE_NAME)
        return LibraryURL("sqlite", path, "sqlite:///" + path.lstrip("/"))
    scheme = SCHEME_ALIASES.get(m.group(1).lower(), m.group(1).lower())
    if scheme not in BACKENDS:
        raise LibraryError(f"unknown library URL scheme {m.group(1)!r} in {value!r}; "
                           f"use a path, sqlite:///PATH or postgresql://...")
    parts = urlsplit(value)
    options = _checked_options(dict(parse_qsl(parts.query, keep_blank_values=True)), value)
    if scheme != "sqlite":
        return LibraryURL(scheme, "", value, options)
    path = _sqlite_path(parts.netloc + parts.path if parts.netloc else parts.path)
    if not path:
        raise LibraryError(f"library URL {value!r} names no file; use sqlite:///path/to/library.sqlite")
    path = os.path.abspath(os.path.expanduser(path))
    if os.path.isdir(path):
        path = os.path.join(path, FOLDER_FILE_NAME)
    return LibraryURL("sqlite", path, value, options)


def _checked_options(options: dict, value: str) -> dict:
    import math

    def number(key: str, low: float, high: float, whole: bool = False) -> None:
        text = options[key]
        try:
            n = float(text)
        except ValueError:
            n = float("nan")
        if not math.isfinite(n) or not low <= n <= high or whole and not n.is_integer():
            kind = "a whole number" if whole else "a number of seconds"
            raise LibraryError(f"library URL option {key}={text!r} in {value!r} must be {kind} "
                               f"from {low:g} to {high:g}")

    if "timeout" in options:
        number("timeout", 0, 3600)
    if "max_pages" in options:
        number("max_pages", 1, 2 ** 31, whole=True)
    if "mode" in options and options["mode"] not in ("ro", "rw"):
        raise LibraryError(f"library URL option mode={options['mode']!r} in {value!r} must be "
                           f"ro or rw")
    return options


def store_class(scheme: str):
    """Import the Store class registered for ``scheme`` (one module per backend)."""
    target = BACKENDS[scheme]
    module_name = target.partition(":")[0]
    try:
        return load(target)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            raise LibraryError(f"{scheme} libraries are not supported by this camtag "
                               f"(backend module {module_name} is not installed)") from None
        raise LibraryError(f"{scheme} library backend needs the missing package {exc.name!r}") from None
