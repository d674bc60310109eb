"""Names and marker colours of movement tags, as exports show them.

Every movement class always gets the same colour from Resolve's fixed 16-colour marker set, and a
matching Avid locator colour and OTIO marker colour. Display names come from
``resources/taxonomy.toml`` (:mod:`camtag.taxonomy`); tag ids it does not know get a name made
from the id. Marker colours come from the class map below (see :func:`_taxonomy_name`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

from camtag.model import Shot, Tag

RESOLVE_COLOURS = ("Blue", "Cyan", "Green", "Yellow", "Red", "Pink", "Purple", "Fuchsia", "Rose",
                   "Lavender", "Sky", "Mint", "Lemon", "Sand", "Cocoa", "Cream")
AVID_COLOURS = ("RED", "GREEN", "BLUE", "CYAN", "MAGENTA", "YELLOW", "BLACK", "WHITE")

# movement class (tag id prefix) -> Resolve colour
_FAMILY_COLOUR = {
    "static": "Cream", "static_shake": "Sand", "handheld": "Red", "stable": "Mint",
    "pan": "Blue", "tilt": "Cyan", "roll": "Purple", "zoom": "Yellow", "dolly_zoom": "Rose",
    "dolly": "Green", "truck": "Sky", "pedestal": "Lavender", "crane": "Lemon", "arc": "Fuchsia",
    "track": "Pink", "subject": "Rose", "speed": "Cocoa", "moving": "Cocoa",
    "minor_motion": "Sand", "complex_motion": "Cocoa",
}
_AVID_FOR_RESOLVE = {
    "Blue": "BLUE", "Sky": "CYAN", "Cyan": "CYAN", "Green": "GREEN", "Mint": "GREEN",
    "Yellow": "YELLOW", "Lemon": "YELLOW", "Sand": "YELLOW", "Red": "RED", "Rose": "RED",
    "Cocoa": "RED", "Pink": "MAGENTA", "Purple": "MAGENTA", "Fuchsia": "MAGENTA",
    "Lavender": "MAGENTA", "Cream": "WHITE",
}
_OTIO_FOR_RESOLVE = {
    "Blue": "BLUE", "Sky": "CYAN", "Cyan": "CYAN", "Green": "GREEN", "Mint": "GREEN",
    "Yellow": "YELLOW", "Lemon": "YELLOW", "Sand": "ORANGE", "Red": "RED", "Rose": "PINK",
    "Cocoa": "ORANGE", "Pink": "PINK", "Purple": "PURPLE", "Fuchsia": "MAGENTA",
    "Lavender": "PURPLE", "Cream": "WHITE",
}
# tags that qualify a movement rather than name one; a shot's primary movement avoids them
QUALIFIERS = frozenset({"handheld", "stable", "static_shake", "speed_slow", "speed_fast", "moving",
                        "minor_motion", "complex_motion"})
_WORDS = {"cw": "CW", "ccw": "CCW"}


@dataclass(frozen=True)
class TagStyle:
    id: str
    name: str            # "Pan Left"
    resolve_colour: str  # one of RESOLVE_COLOURS (write as f"ResolveColor{colour}")
    avid_colour: str     # one of AVID_COLOURS (EDL * LOC: lines)
    otio_colour: str     # an opentimelineio MarkerColor name


def _fallback_name(tag_id: str) -> str:
    return " ".join(_WORDS.get(w, w.capitalize()) for w in tag_id.split("_") if w) or tag_id


def _fallback_colour(tag_id: str) -> str:
    if tag_id in _FAMILY_COLOUR:
        return _FAMILY_COLOUR[tag_id]
    family = tag_id.split("_", 1)[0]
    return _FAMILY_COLOUR.get(family, "Cream")


def _taxonomy_name(tag_id: str) -> Optional[str]:
    """The display name resources/taxonomy.toml gives ``tag_id`` (None for an id it lacks).

    Its hex colours are UI hues, one per family (dolly, truck, pedestal and crane all green);
    markers need one of Resolve's 16 names per movement class, so they come from the class map."""
    from camtag.taxonomy import TaxonomyError, default_taxonomy

    try:
        return default_taxonomy().get(tag_id).name or None
    except (KeyError, OSError, TaxonomyError):
        return None


@lru_cache(maxsize=512)
def style(tag_id: str) -> TagStyle:
    name, colour = _taxonomy_name(tag_id), _fallback_colour(tag_id)
    return TagStyle(tag_id, name or _fallback_name(tag_id), colour,
                    _AVID_FOR_RESOLVE[colour], _OTIO_FOR_RESOLVE[colour])


def sorted_tags(shot: Shot) -> list[Tag]:
    """Tags by descending confidence (ties keep their order)."""
    return sorted(shot.tags, key=lambda t: -float(t.confidence))


def primary_tag(shot: Shot) -> Optional[Tag]:
    """The shot's main movement: the most confident tag that is not a qualifier such as handheld."""
    tags = sorted_tags(shot)
    for tag in tags:
        if tag.id not in QUALIFIERS:
            return tag
    return tags[0] if tags else None


def shot_label(shot: Shot) -> str:
    """'Pan Left, Handheld' (primary movement first); '' for an untagged shot."""
    primary = primary_tag(shot)
    if primary is None:
        return ""
    rest = [t for t in sorted_tags(shot) if t is not primary]
    return ", ".join(style(t.id).name for t in [primary, *rest])


def tags_with_confidence(shot: Shot) -> str:
    """'pan_left 0.90, handheld 0.72' (tag ids, machine-readable)."""
    return ", ".join(f"{t.id} {float(t.confidence):.2f}" for t in sorted_tags(shot))
