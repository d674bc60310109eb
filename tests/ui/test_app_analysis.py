"""Opening a clip in the app analyses it off the GUI thread and streams shots into the table;
cancel keeps what was found and Resume continues where it stopped."""

from __future__ import annotations

import os

import numpy as np
from PySide6.QtCore import Qt

from camtag.library import open_library

from camtag.ui.shot_model import COL_IN, COL_POSTER


def test_open_clip_streams_cancel_resume_finish(make_window, clip, tmp_path, qtbot, qtmodeltester,
                                                template_library):
    window = make_window(str(tmp_path / "fresh.sqlite"))
    inserted_while_running = []
    window.model.rowsInserted.connect(lambda *_a: inserted_while_running.append(window.queue.busy))

    window.open_paths([clip])
    # shots stream in while the analysis runs
    qtbot.waitUntil(lambda: window.model.rowCount() >= 2, timeout=60000)
    assert window.queue.busy and all(inserted_while_running)
    assert window.player.shown_index == 0            # the clip plays while it is analysed

    window.binder.trigger("queue.cancel")
    qtbot.waitUntil(lambda: window.queue.items[0].status == "cancelled", timeout=30000)
    kept = window.model.rowCount()
    assert kept >= 2
    assert window.queue_panel.resume.isEnabled()

    window.queue_panel.resume.click()
    qtbot.waitUntil(lambda: window.queue.items[0].status == "done", timeout=90000)
    assert "resumed at frame" in window.queue.items[0].message
    assert window.queue.fractions[0] == 1.0

    lib = window.bridge.lib
    stored = lib.shots(clip)
    assert len(stored) >= 3
    qtbot.waitUntil(lambda: window.model.rowCount() == len(stored), timeout=5000)
    assert [r.id for r in window.model.records()] == [r.id for r in stored]
    # timecodes come from the clip; posters and motion curves are shown
    assert window.model.index(0, COL_IN).data() == "00:00:00:00"
    assert window.model.index(1, COL_IN).data() == window.media.timecode(stored[1].shot.start_frame)
    assert window.model.index(0, COL_POSTER).data(Qt.ItemDataRole.DecorationRole) is not None
    qtbot.waitUntil(lambda: window.timeline.items["pan"].xData is not None, timeout=5000)
    xs = window.timeline.items["pan"].xData
    resumed_at = int(window.queue.items[0].message.split("resumed at frame ")[1].split(";")[0])
    # the curves of the part analysed before the cancel are kept: the timeline shows the whole clip
    assert 0 < resumed_at and xs[0] <= 1 and xs[-1] == window.media.frames - 1
    curves = lib.motion_curves(stored[0].analysis_id)
    assert (curves.start_frame, curves.end_frame) == (0, window.media.frames)
    assert resumed_at in curves.breaks
    with open_library(os.path.join(template_library, "library.sqlite")) as whole:
        once = whole.motion_curves(whole.shots(clip)[0].analysis_id)   # analysed without a stop
    for name in ("pan", "tilt", "zoom"):
        a, b = np.asarray(curves[name][:resumed_at]), np.asarray(once[name][:resumed_at])
        assert np.allclose(a, b, equal_nan=True), name
    xs = window.timeline.boundaries.xData
    assert sorted(set(int(x) for x in xs)) == [r.shot.start_frame for r in stored[1:]]
    info = window.player_widget.info.text()
    assert "25 fps" in info and "NDF" in info and "SAR 16:11" in info
    assert os.path.basename(clip) in window.windowTitle()
    qtmodeltester.check(window.model)
    qtmodeltester.check(window.browser.proxy)
