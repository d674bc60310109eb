"""Timeline bands: hovering one shows its tag's display name, range in timecode and confidence;
a colour key names every colour the bands use."""

from __future__ import annotations

from PySide6.QtCore import QPointF
from PySide6.QtTest import QTest


def test_band_tooltip_on_hover_and_colour_key(analysed_window, qtbot):
    w = analysed_window
    tl = w.timeline
    bands = w.band_segments(w.clip_records())
    assert bands and tl.key.isVisible()
    key = tl.key.text()
    for _s, _e, colour, name, _tip in bands:                 # every colour is named in the key
        assert name in key and colour.lower() in key.lower()
    assert "_" not in "".join(b[3] for b in bands)           # display names, not ids
    start, end, _c, name, tip = max(bands, key=lambda b: b[1] - b[0])
    assert tip.startswith(name) and w.media.timecode(start) in tip and w.media.timecode(end) in tip
    assert "confidence" in tip and "%" in tip

    tl.zoom_to(start, end)
    qtbot.wait(50)
    lo, hi = tl.lane_y
    mid = (start + end) // 2
    view = tl.plot
    spot = view.mapFromScene(tl.vb.mapViewToScene(QPointF(mid, (lo + hi) / 2)))
    QTest.mouseMove(view.viewport(), spot)
    qtbot.wait(50)
    qtbot.waitUntil(lambda: view.toolTip() == tip, timeout=2000)
    above = view.mapFromScene(tl.vb.mapViewToScene(QPointF(mid, tl.y_range[1] * 0.5)))
    QTest.mouseMove(view.viewport(), above)                  # over the curves: no band tooltip
    qtbot.wait(50)
    qtbot.waitUntil(lambda: view.toolTip() == "", timeout=2000)
