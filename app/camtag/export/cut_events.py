"""The edit event every cut reader returns (EDL, OTIO, FCP7 XML)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Optional


@dataclass(frozen=True)
class EditedClip:
    """One clip of an existing edit. Frames are absolute counts (start timecode included), end
    exclusive, at ``rate`` (None: at the media's rate, as an EDL carries no rate)."""

    number: int
    reel: str
    clip_name: str
    source_file: str
    src_in: int
    src_out: int
    rec_in: int
    rec_out: int
    transition: str = "cut"       # how the clip starts: "cut" or "dissolve"
    transition_frames: int = 0
    rate: Optional[Fraction] = None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(n for n in (self.clip_name, self.source_file) if n)
