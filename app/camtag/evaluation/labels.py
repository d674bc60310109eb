"""Label files for ``camtag eval``.

Two layouts are read:

* CameraBench binary classification (t2v_metrics ``camerabench/data/binary_classification/*.jsonl``):
  one JSON object per line, ``{"image": "<video path>", "task": "Move Left", "label": "Yes", …}``
  (``video`` is accepted for ``image``; a ``task`` may be spelled ``Move_Left``). A folder of such
  files or a single file.
* A simple JSON: ``{"clips": {"<video>": {"positives": ["Pan Left"], "negatives": [...]}}}``
  (or the mapping without the ``clips`` key).

Videos are found as given, then relative to ``videos`` (the media folder), then by file name in
it, then relative to the label file. Every problem (malformed line, unknown primitive, missing
video) becomes one message naming the file and line; the rest is still scored.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from camtag.motion.primitives import task_key as motion_task_key
from camtag.reasoner.setup_questions import task_key as setup_task_key


def task_key(text: str) -> str | None:
    """A motion primitive's canonical task, else an (experimental) camera set-up question key."""
    return motion_task_key(text) or setup_task_key(text)


@dataclass(frozen=True)
class LabelItem:
    video: str           # resolved path
    task: str            # canonical CameraBench task (or set-up label name, e.g. shot_size_is_wide)
    label: bool          # True = Yes
    where: str           # "file:line" for messages


@dataclass(frozen=True)
class LabelSet:
    items: tuple[LabelItem, ...]
    problems: tuple[str, ...]

    def videos(self) -> list[str]:
        return sorted({i.video for i in self.items})


def _resolve(ref: str, videos: Path | None, base: Path) -> str | None:
    cands = [Path(ref)]
    if videos is not None:
        cands += [videos / ref, videos / Path(ref).name]
    cands += [base / ref]
    for c in cands:
        if c.is_file():
            return str(c)
    return None


def _yes_no(value) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("yes", "no", "true", "false", "1", "0"):
        return value.strip().lower() in ("yes", "true", "1")
    return None


def _jsonl(path: Path, videos: Path | None, items: list, problems: list) -> None:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{path}: unreadable ({exc})")
        return
    for n, line in enumerate(lines, 1):
        where = f"{path.name}:{n}"
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: not JSON ({exc.msg})")
            continue
        if not isinstance(rec, dict):
            problems.append(f"{where}: expected an object")
            continue
        ref = rec.get("image") or rec.get("video")
        task_text = rec.get("task") or path.stem
        label = _yes_no(rec.get("label"))
        if not isinstance(ref, str) or not ref:
            problems.append(f"{where}: no video ('image' or 'video' field)")
            continue
        task = task_key(str(task_text))
        if task is None:
            problems.append(f"{where}: unknown primitive {task_text!r}")
            continue
        if label is None:
            problems.append(f"{where}: label must be Yes or No, got {rec.get('label')!r}")
            continue
        video = _resolve(ref, videos, path.parent)
        if video is None:
            problems.append(f"{where}: video not found: {ref}")
            continue
        items.append(LabelItem(video, task, label, where))


def _simple(path: Path, videos: Path | None, items: list, problems: list) -> None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        problems.append(f"{path}: not a readable JSON file ({exc})")
        return
    clips = data.get("clips", data) if isinstance(data, dict) else None
    if not isinstance(clips, dict):
        problems.append(f"{path}: expected {{\"clips\": {{video: {{positives, negatives}}}}}}")
        return
    for ref, entry in clips.items():
        where = f"{path.name}:{ref}"
        if str(ref).startswith("_"):
            continue
        if not isinstance(entry, dict):
            problems.append(f"{where}: expected an object with positives / negatives")
            continue
        video = _resolve(str(ref), videos, path.parent)
        if video is None:
            problems.append(f"{where}: video not found: {ref}")
            continue
        for key, label in (("positives", True), ("negatives", False)):
            for text in entry.get(key, ()) or ():
                task = task_key(str(text))
                if task is None:
                    problems.append(f"{where}: unknown primitive {text!r} in {key}")
                    continue
                items.append(LabelItem(video, task, label, where))


def load_labels(source: str, videos: str | None = None) -> LabelSet:
    """Read a label file or a folder of ``*.jsonl`` files (see the module doc)."""
    root = Path(source)
    vdir = Path(videos) if videos else None
    items: list[LabelItem] = []
    problems: list[str] = []
    if root.is_dir():
        files = sorted(root.glob("*.jsonl"))
        if not files:
            problems.append(f"{root}: no *.jsonl label files")
        for f in files:
            _jsonl(f, vdir, items, problems)
    elif not root.is_file():
        problems.append(f"{root}: no such label file or folder")
    elif root.suffix.lower() == ".jsonl":
        _jsonl(root, vdir, items, problems)
    else:
        _simple(root, vdir, items, problems)
    # one label per (video, task): a later duplicate that disagrees is reported, not scored
    seen: dict[tuple[str, str], LabelItem] = {}
    for it in items:
        key = (it.video, it.task)
        if key in seen and seen[key].label != it.label:
            problems.append(f"{it.where}: contradicts {seen[key].where} for {it.task} on "
                            f"{os.path.basename(it.video)}; the first is kept")
            continue
        seen.setdefault(key, it)
    return LabelSet(tuple(seen.values()), tuple(problems))
