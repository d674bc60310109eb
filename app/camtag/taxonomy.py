"""The tag vocabulary, kept as data in ``resources/taxonomy.toml``.

Each tag has a short id (used everywhere inside camtag and in exports), a display name, the
CameraBench label id it corresponds to (``cam_motion.*``; empty where CameraBench has none),
a colour, a family, how the geometric engine can get it, its opposite direction, the editor
words (synonyms) that find it and the tag it is most often confused with.

:func:`translate_query` turns an editor's words (``pan left``, ``pan``, ``"push in"``) into the
library's query language (tag ids with a confidence floor), with "did you mean" suggestions.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

FAMILIES = ("steadiness", "rotation", "intrinsic", "translation", "circular", "tracking", "speed",
            "complexity", "other", "setup")    # setup: EXPERIMENTAL camera set-up (model only)
GEOMETRY = ("direct", "parallax", "hint", "none")
MOVEMENT_FAMILIES = ("rotation", "intrinsic", "translation", "circular", "tracking")
DEFAULT_MIN_CONFIDENCE = 0.5        # a bare tag in a search matches at this confidence or more
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
    synonyms: tuple[str, ...] = ()
    confusable: str = ""


class Taxonomy:
    def __init__(self, tags: tuple[TagDef, ...], source: str = "") -> None:
        self.tags = tags
        self.source = source
        self._by_id = {t.id: t for t in tags}
        self._by_label = {t.label: t for t in tags if t.label}
        self._phrases: dict[str, tuple[str, ...]] | None = None

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

    def is_movement(self, tag_id: str) -> bool:
        """A camera move (pan, dolly, tracking...), as opposed to steadiness, speed or complexity."""
        t = self._by_id.get(tag_id)
        return t is not None and t.family in MOVEMENT_FAMILIES

    def phrases(self) -> dict[str, tuple[str, ...]]:
        """Every editor phrase (id, display name, synonym; normalised) -> the tag ids it names."""
        if self._phrases is None:
            index: dict[str, list[str]] = {}
            for t in self.tags:
                for phrase in (t.id, t.name, *t.synonyms):
                    key = normalize_phrase(phrase)
                    if key and t.id not in index.setdefault(key, []):
                        index[key].append(t.id)
            self._phrases = {k: tuple(v) for k, v in index.items()}
        return self._phrases

    def resolve(self, words: str) -> tuple[str, ...]:
        """The tag ids an editor's words name (``"push in"`` -> ``("dolly_in",)``); () if none."""
        return self.phrases().get(normalize_phrase(words), ())

    def suggest(self, word: str, n: int = 3) -> list[str]:
        """Close tag ids for a mistyped word (``pan_lef`` -> ``["pan_left", ...]``)."""
        key = normalize_phrase(word)
        hits = difflib.get_close_matches(key, list(self.phrases()), n=n * 2, cutoff=0.75)
        out: list[str] = []
        for h in hits:
            for tid in self.phrases()[h]:
                if tid not in out:
                    out.append(tid)
        return out[:n]


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
        if label and not label.startswith(("cam_motion.", "cam_setup.")):
            raise TaxonomyError(f"{where}: label must be a cam_motion.* or cam_setup.* id")
        synonyms = e.get("synonyms", [])
        if not isinstance(synonyms, list) or not all(isinstance(w, str) and w.strip() for w in synonyms):
            raise TaxonomyError(f"{where}: synonyms must be a list of non-empty strings")
        tags.append(TagDef(tid, e["name"], label, e["color"].lower(), e["family"], geometry,
                           e.get("opposite", ""), tuple(w.strip() for w in synonyms),
                           e.get("confusable", "")))
    ids = {t.id for t in tags}
    for t in tags:
        for key, other in (("opposite", t.opposite), ("confusable", t.confusable)):
            if other and other not in ids:
                raise TaxonomyError(f"{source}: tag {t.id!r}: {key} {other!r} is not a tag")
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


# -- editor words -> query language ------------------------------------------------------------
_KEYWORDS = {"and", "or", "not"}
_OPERATOR = re.compile(r"[:<>=!≥≤≠]")
_SCAN = re.compile(r'\s+|[()]|"(?:[^"\\]|\\.)*"?|\'(?:[^\'\\]|\\.)*\'?|[^\s()"\']+')
_MAX_PHRASE = 3


def normalize_phrase(text: str) -> str:
    """Lower case, ``_``/``-``/``/``/``,`` as spaces, single spaces: ``Pan_Left`` -> ``pan left``."""
    return " ".join(re.sub(r"[_\-/,]+", " ", text.lower()).split())


@dataclass(frozen=True)
class QueryTranslation:
    query: str                          # in the query language (tag ids)
    notes: tuple[str, ...] = ()         # what was translated, for the editor ("pan -> Pan Left, ...")
    suggestions: tuple[tuple[str, str], ...] = ()   # (unknown word, suggested tag id)


def _term(ids: tuple[str, ...], floor: float) -> str:
    parts = [f"{t}>={floor:g}" if floor > 0 else t for t in ids]
    return parts[0] if len(parts) == 1 else "(" + " or ".join(parts) + ")"


def translate_query(text: str, taxonomy: Taxonomy,
                    min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> QueryTranslation:
    """Translate an editor's search into the query language.

    Runs of bare words are matched longest first against ids, display names and synonyms
    (``pan left`` -> ``pan_left>=0.5``, ``pan`` -> ``(pan_left>=0.5 or pan_right>=0.5)``); a quoted
    phrase that names a tag also finds it (``"push in"`` -> ``(dolly_in>=0.5 or "push in")``).
    Bare tags get the ``min_confidence`` floor so weakly proposed tags do not match (confirmed and
    added tags count as 1.0); ``tag:state``, ``tag>0.3`` and other fields pass unchanged. An unknown
    word is kept and reported with the closest tag ids.
    """
    tokens = [m.group(0) for m in _SCAN.finditer(text)]
    out: list[str] = []
    notes: list[str] = []
    suggestions: list[tuple[str, str]] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.isspace() or tok in "()" or tok.lower() in _KEYWORDS or _OPERATOR.search(tok):
            out.append(tok)
            i += 1
            continue
        if tok[0] in "\"'":
            inner = tok.strip(tok[0])
            ids = taxonomy.resolve(inner)
            if ids:
                out.append(f"({_term(ids, min_confidence)} or {tok})")
                notes.append(f"{tok} → " + ", ".join(taxonomy.display_name(t) for t in ids))
            else:
                out.append(tok)
            i += 1
            continue
        neg = "-" if tok.startswith("-") and len(tok) > 1 else ""
        words = [tok[len(neg):]]                # a run of bare words separated by single spaces
        j = i + 1
        while not neg and j + 1 < len(tokens) and tokens[j].isspace() and len(words) < _MAX_PHRASE:
            nxt = tokens[j + 1]
            if nxt in "()" or nxt[0] in "\"'-" or nxt.lower() in _KEYWORDS or _OPERATOR.search(nxt):
                break
            words.append(nxt)
            j += 2
        for n in range(len(words), 0, -1):
            ids = taxonomy.resolve(" ".join(words[:n]))
            if ids:
                break
        else:
            n, ids = 1, ()
        phrase = " ".join(words[:n])
        if ids:
            out.append(neg + _term(ids, min_confidence))
            if not (len(ids) == 1 and phrase == ids[0]):
                notes.append(f"{phrase} → " + ", ".join(taxonomy.display_name(t) for t in ids))
        else:
            out.append(neg + phrase)
            close = taxonomy.suggest(phrase, 1)
            if close:
                suggestions.append((phrase, close[0]))
        i += 2 * n - 1                          # the words used and the spaces between them
    return QueryTranslation("".join(out), tuple(notes), tuple(suggestions))
