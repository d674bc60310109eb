"""Without QtMultimedia (the default PySide6-Essentials install) the clip info says the player is
silent and how to get sound, from the moment the clip opens; playing stays silent and harmless."""

from __future__ import annotations

from fractions import Fraction

import pytest

from camtag.ui.audio import NO_MULTIMEDIA, AudioOut, multimedia_available


@pytest.mark.skipif(multimedia_available(), reason="QtMultimedia is installed here")
def test_default_install_says_silent_and_how_to_get_sound(qtbot, clip):
    audio = AudioOut()
    audio.open(clip, has_audio=True)
    assert audio.status == NO_MULTIMEDIA and "camtag[audio]" in audio.status
    audio.play(25, Fraction(25))                 # nothing to play with: no error, still silent
    audio.pause()
    assert audio.status == NO_MULTIMEDIA
    audio.open(clip, has_audio=False)
    assert audio.status == "no audio stream"
