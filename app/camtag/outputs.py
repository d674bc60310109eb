"""The one output policy every camtag writer goes through (analysis JSON, exports, settings).

* **Refuse to destroy.** Inside :func:`output_policy` (the CLI commands open one), a target that
  is an input of the same command, or an existing non-empty file that is not a camtag output, is
  refused with one line unless ``force``. A camtag output is recognised by its content
  (:func:`is_camtag_output`): the analysis JSON's ``"schema": "camtag.analysis/…"`` (or a
  calibration's ``"camtag.calibration/…"``); an EDL
  starting ``TITLE:`` then ``FCM:``; an ALE whose column line holds camtag's ``Camera Move``
  column; an FCP7 ``<xmeml`` or ``<fcpxml`` document carrying camtag's ``<!-- camtag -->`` mark; an
  OTIO file whose metadata holds ``"camtag"``; a LosslessCut CSV of ``start,end,label`` rows.
* **Write through, never replace, what is not a regular file.** ``-`` is stdout; FIFOs, character
  devices, sockets and anything under /dev or /proc are opened and written in place. A symlink is
  followed and its target replaced atomically, so the link stays a link.
* **Atomic, with honest permissions.** A regular file is written to ``.camtag-<name>.<pid>.part``
  beside it, fsynced and renamed over it. An existing file keeps its mode (and owner when
  allowed); a new file gets ``0666 & ~umask`` like any other program's output.
* **Nothing left behind, nothing lost.** Temporary files are removed on every failure (SIGTERM
  included while a write is in progress); those of a writer killed with SIGKILL are removed by the
  next write of the same target. A set of files (a split EDL) is written all-or-nothing:
  every part is prepared before any is renamed into place. A writer that asks for a fallback
  (the analysis JSON: minutes of work) keeps the result in the user cache when the final write
  fails, and the one-line error says where.
"""

from __future__ import annotations

import contextvars
import os
import signal
import stat
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

SIGNATURE_BYTES = 4096


class OutputError(OSError):
    """An output that cannot or may not be written; the message is one line for the user."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "cannot write the output"


@dataclass(frozen=True)
class OutputPolicy:
    force: bool = False               # overwrite inputs and foreign files anyway
    inputs: tuple[str, ...] = ()      # files this command reads: never overwritten without force


_ACTIVE: contextvars.ContextVar[OutputPolicy | None] = contextvars.ContextVar("camtag_output_policy",
                                                                             default=None)


@contextmanager
def output_policy(force: bool = False, inputs: tuple[str, ...] | list[str] = ()) -> Iterator[OutputPolicy]:
    """Make every write in this block follow ``OutputPolicy(force, inputs)``."""
    policy = OutputPolicy(bool(force), tuple(str(p) for p in inputs if p and p != "-"))
    token = _ACTIVE.set(policy)
    try:
        yield policy
    finally:
        _ACTIVE.reset(token)


def is_stream(path: str) -> bool:
    """True when ``path`` is written in place: stdout, a FIFO, a device, a socket, /dev, /proc."""
    if path == "-":
        return True
    real = os.path.realpath(path)
    if real.startswith(("/dev/", "/proc/")) or path.startswith(("/dev/", "/proc/")):
        return True
    try:
        st = os.stat(path)
    except OSError:
        return False
    return not stat.S_ISREG(st.st_mode) and not stat.S_ISDIR(st.st_mode)


def is_camtag_output(head: bytes) -> bool:
    """Whether the first bytes of an existing file look like something camtag writes."""
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if not text:
        return True                     # an empty file holds nothing to lose
    if text.startswith(b"{"):
        return b'"camtag.analysis/' in text or b'"camtag.calibration/' in text or (b'"OTIO_SCHEMA"' in text and b'"camtag"' in text)
    if text.startswith(b"TITLE:"):
        lines = text.splitlines()
        return len(lines) > 1 and lines[1].strip().upper().startswith(b"FCM:")
    if text.startswith(b"Heading"):
        return b"FIELD_DELIM" in text and b"Camera Move" in text
    if text.startswith(b"<?xml"):
        return (b"<xmeml" in text or b"<fcpxml" in text) and b"<!-- camtag" in text
    return _is_cut_csv(text)


def _is_cut_csv(text: bytes) -> bool:
    lines = [ln for ln in text.splitlines()[:-1] or text.splitlines() if ln.strip()]
    if not lines:
        return False
    for line in lines[:20]:
        cells = line.split(b",", 2)
        if len(cells) < 3 or not all(c.replace(b".", b"", 1).isdigit() for c in cells[:2]):
            return False
    return True


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def check_output(path: str, policy: OutputPolicy | None = None) -> None:
    """Raise :class:`OutputError` when the policy forbids writing ``path`` (call it before long work)."""
    policy = policy or _ACTIVE.get()
    if "\x00" in path:
        raise OutputError(f"{path!r}: a file name cannot contain a NUL character")
    if policy is None or policy.force or is_stream(path):
        return
    for source in policy.inputs:
        if _same_file(path, source):
            raise OutputError(f"{path}: is an input of this command; refusing to overwrite it "
                              "(choose another output, or --force)")
    if os.path.isdir(path):
        raise OutputError(f"{path}: is a folder; give a file name")
    try:
        with open(path, "rb") as fh:
            head = fh.read(SIGNATURE_BYTES)
    except FileNotFoundError:
        _check_folder(path)
        return
    except OSError as exc:
        raise OutputError(f"{path}: cannot write there ({exc.strerror or exc})") from None
    if not is_camtag_output(head):
        raise OutputError(f"{path}: exists and is not a camtag output; refusing to overwrite it "
                          "(use --force to replace it)")


def _check_folder(path: str) -> None:
    """The nearest existing folder above ``path`` must be a writable folder (said before the work)."""
    folder = os.path.dirname(os.path.abspath(path))
    while not os.path.lexists(folder) and os.path.dirname(folder) != folder:
        folder = os.path.dirname(folder)
    if not os.path.isdir(folder):
        raise OutputError(f"{path}: cannot write there ({folder} is not a folder)")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{path}: cannot write there (no permission to write in {folder})")


def encode_text(text: str, encoding: str = "utf-8", newline: str = "\n") -> bytes:
    """Text to bytes; lone surrogates (garbled model output, undecodable names) become U+FFFD."""
    if newline != "\n":
        text = text.replace("\n", newline)
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        cleaned = "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in text)
        if cleaned == text:
            raise
        return cleaned.encode(encoding, errors="replace")


# ---- the writes ----------------------------------------------------------------------------

def _umask() -> int:
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


_UMASK_LOCK = threading.Lock()


def _write_stream(path: str, data: bytes) -> str:
    if path == "-":
        sys.stdout.flush()
        out = sys.stdout.buffer
        out.write(data)
        out.flush()
        return path
    with open(path, "wb") as fh:       # FIFO, device, /dev/stdout: in place, never replaced
        fh.write(data)
    return path


def _prepare(path: str, data: bytes) -> tuple[str, str]:
    """Write ``data`` to a temporary file beside the (link-resolved) target; (tmp, final path)."""
    final = os.path.realpath(path) if os.path.islink(path) else path
    folder = os.path.dirname(os.path.abspath(final))
    os.makedirs(folder, exist_ok=True)
    try:
        existing = os.stat(final)
    except OSError:
        existing = None
    base = os.path.basename(final)[:80]
    _sweep_stale(folder, base)
    tmp = os.path.join(folder, f".camtag-{base}.{os.getpid()}.{time.monotonic_ns() % 10**9}.part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)   # the umask applies
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if existing is not None:
                os.fchmod(fh.fileno(), stat.S_IMODE(existing.st_mode))
                try:
                    os.fchown(fh.fileno(), existing.st_uid, existing.st_gid)
                except OSError:
                    pass
            os.fsync(fh.fileno())
    except BaseException:
        _unlink(tmp)
        raise
    return tmp, final


def _sweep_stale(folder: str, base: str) -> None:
    """Remove this target's temporary files left by a camtag process that no longer runs
    (``kill -9`` mid-write); a live writer's files are left alone."""
    prefix = f".camtag-{base}."
    try:
        names = [n for n in os.listdir(folder) if n.startswith(prefix) and n.endswith(".part")]
    except OSError:
        return
    for name in names:
        pid_text = name[len(prefix):].split(".", 1)[0]
        if not pid_text.isdigit() or int(pid_text) == os.getpid():
            continue
        try:
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            _unlink(os.path.join(folder, name))
        except (OSError, OverflowError):
            pass


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


class _Terminated(BaseException):
    pass


@contextmanager
def _sigterm_cleans_up() -> Iterator[None]:
    """While temporary files exist, SIGTERM unwinds (removing them) and then ends the process."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    try:
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    except (ValueError, OSError):
        yield
        return
    try:
        yield
    except _Terminated:
        signal.signal(signal.SIGTERM, previous)
        os.kill(os.getpid(), signal.SIGTERM)
        raise SystemExit(143) from None
    finally:
        signal.signal(signal.SIGTERM, previous)


def _raise_terminated(signum, frame) -> None:
    raise _Terminated()


def write_files(items: list[tuple[str, bytes]], fallback: bool = False) -> list[str]:
    """Write every ``(path, data)`` under the policy: all files or none of the regular ones."""
    policy = _ACTIVE.get()
    try:
        for path, _ in items:
            check_output(path, policy)
            if os.path.isdir(path):    # found now, not after some parts were renamed into place
                raise OutputError(f"{path}: is a folder; give a file name")
    except OutputError as exc:         # e.g. a foreign file appeared there during a long run
        if fallback:
            raise _kept(items, str(exc)) from None
        raise
    prepared: list[tuple[str, str]] = []
    written: list[str] = []
    with _sigterm_cleans_up():
        try:
            for path, data in items:
                if not is_stream(path):
                    prepared.append(_prepare(path, data))
            for tmp, final in prepared:
                os.replace(tmp, final)
        except BaseException as exc:
            for tmp, _ in prepared:
                _unlink(tmp)
            if fallback and isinstance(exc, OSError) and not isinstance(exc, OutputError):
                raise _kept(items, f"cannot write {items[0][0]} ({exc.strerror or exc})") from None
            raise
        for path, data in items:
            if is_stream(path):
                _write_stream(path, data)
            written.append(path)
    return written


def _kept(items: list[tuple[str, bytes]], problem: str) -> OutputError:
    """Keep the results in the user cache; the error says what failed and where they went."""
    try:
        from platformdirs import user_cache_dir
        folder = os.path.join(user_cache_dir("camtag"), "unsaved")
    except ImportError:
        folder = os.path.join(os.path.expanduser("~"), ".cache", "camtag", "unsaved")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    kept = []
    try:
        os.makedirs(folder, exist_ok=True)
        for p, data in items:
            spot = os.path.join(folder, f"{stamp}-{os.getpid()}-{os.path.basename(p) or 'output'}")
            tmp, final = _prepare(spot, data)
            os.replace(tmp, final)
            kept.append(final)
    except OSError:
        return OutputError(f"{problem}; the result could not be kept either")
    return OutputError(f"{problem}; the result was kept in {kept[0]}")


def write_bytes(path: str, data: bytes, fallback: bool = False) -> str:
    return write_files([(path, data)], fallback=fallback)[0]


def write_text(path: str, text: str, newline: str = "\n", encoding: str = "utf-8",
               fallback: bool = False) -> str:
    return write_bytes(path, encode_text(text, encoding, newline), fallback=fallback)
