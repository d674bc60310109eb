"""The tag vocabulary, kept as data in ``resources/taxonomy.toml``.

Each tag has a short id (used everywhere inside camtag and in exports), a display name, the
CameraBench label id it corresponds to (``cam_motion.*``; empty where CameraBench has none),
a colour, a family, how the geometric engine can get it and its opposite direction.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

FAMILIES = ("steadiness", "rotation", "intrinsic", "translation", "circular", "tracking", "speed",
            "complexity", "other")
GEOMETRY = ("direct", "parallax", "hint", "none")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class TaxonomyError(ValueError):
    """The taxonomy file is missing or malformed; the message says where."""


@dataclass(frozen=True)
class TagDef:
    id: str
    name: str
    label: str
    color: str
    family: str
    geometry: str = "none"
    opposite: str = ""


class Taxonomy:
    def __init__(self, tags: tuple[TagDef, ...], source: str = "") -> None:
        self.tags = tags
        self.source = source
        self._by_id = {t.id: t for t in tags}
        self._by_label = {t.label: t for t in tags if t.label}

    def __contains__(self, tag_id: str) -> bool:
        return tag_id in self._by_id

    def __len__(self) -> int:
        return len(self.tags)

    def get(self, tag_id: str) -> TagDef:
        try:
            return self._by_id[tag_id]
        except KeyError:
            raise KeyError(f"unknown tag id {tag_id!r}") from None

    def ids(self) -> list[str]:
        return [t.id for t in self.tags]

    def family(self, name: str) -> list[TagDef]:
        return [t for t in self.tags if t.family == name]

    def from_label(self, label: str) -> TagDef | None:
        """The tag for a CameraBench label id (with or without the ``cam_motion.`` prefix)."""
        if not label.startswith("cam_motion."):
            label = "cam_motion." + label
        return self._by_label.get(label)

    def display_name(self, tag_id: str) -> str:
        t = self._by_id.get(tag_id)
        return t.name if t else tag_id

    def color(self, tag_id: str) -> str:
        t = self._by_id.get(tag_id)
        return t.color if t else "#808080"


def resources_dir() -> Path:
    """``$CAMTAG_RESOURCES``, else ``resources/`` next to the source tree, else inside the package."""
    from camtag.resources_path import resources_candidates

    candidates = resources_candidates()
    for c in candidates:
        if (c / "taxonomy.toml").is_file():
            return c
    raise TaxonomyError("taxonomy.toml not found (looked in: "
                        + ", ".join(str(c) for c in candidates) + "); set CAMTAG_RESOURCES")


def parse_taxonomy(text: str, source: str = "taxonomy.toml") -> Taxonomy:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TaxonomyError(f"{source}: not valid TOML ({exc})") from None
    entries = data.get("tag")
    if not isinstance(entries, list) or not entries:
        raise TaxonomyError(f"{source}: no [[tag]] entries")
    tags: list[TagDef] = []
    seen: set[str] = set()
    for i, e in enumerate(entries):
        where = f"{source}: tag #{i + 1}"
        if not isinstance(e, dict):
            raise TaxonomyError(f"{where} is not a table")
        for key in ("id", "name", "color", "family"):
            if not isinstance(e.get(key), str) or not e.get(key):
                raise TaxonomyError(f"{where} needs a non-empty string '{key}'")
        tid = e["id"]
        where = f"{source}: tag {tid!r}"
        if not _ID.match(tid):
            raise TaxonomyError(f"{where}: id must be lower_snake_case")
        if tid in seen:
            raise TaxonomyError(f"{where}: duplicate id")
        seen.add(tid)
        if not _COLOR.match(e["color"]):
            raise TaxonomyError(f"{where}: color must look like #rrggbb")
        if e["family"] not in FAMILIES:
            raise TaxonomyError(f"{where}: family must be one of {', '.join(FAMILIES)}")
        geometry = e.get("geometry", "none")
        if geometry not in GEOMETRY:
            raise TaxonomyError(f"{where}: geometry must be one of {', '.join(GEOMETRY)}")
        label = e.get("label", "")
        if label and not label.startswith("cam_motion."):
            raise TaxonomyError(f"{where}: label must be a cam_motion.* id")
        tags.append(TagDef(tid, e["name"], label, e["color"].lower(), e["family"], geometry,
                           e.get("opposite", "")))
    ids = {t.id for t in tags}
    for t in tags:
        if t.opposite and t.opposite not in ids:
            raise TaxonomyError(f"{source}: tag {t.id!r}: opposite {t.opposite!r} is not a tag")
    return Taxonomy(tuple(tags), source)


def load_taxonomy(path: str | os.PathLike | None = None) -> Taxonomy:
    p = Path(path) if path else resources_dir() / "taxonomy.toml"
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise TaxonomyError(f"{p}: cannot read ({exc.strerror or exc})") from None
    return parse_taxonomy(text, str(p))


@lru_cache(maxsize=1)
def default_taxonomy() -> Taxonomy:
    return load_taxonomy()
