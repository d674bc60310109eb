"""Search in editor words (translation shown, did-you-mean, autocomplete, confidence floor) and
review: verdicts on a selection as one undo step, no re-sort under the cursor, the right-click
menu, review mode at one key per shot, swap to the confusable twin, X marks the shot, presets."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtTest import QTest

from camtag.ui.actions import PRESETS, conflicts, habit_clashes, preset_keys
from camtag.ui.shot_model import COL_CONFIDENCE, COL_MOVEMENT, SHOT_ROLE



def _settle(w, qtbot) -> None:
    """Wait until the editor ops asked for so far have run (they run off the GUI thread)."""
    qtbot.waitUntil(lambda: w.ops.runner.idle, timeout=5000)

def _type(widget, text: str) -> None:
    for ch in text:
        QTest.keyClick(widget, ch)


def _shown_ids(w) -> list[int]:
    proxy = w.browser.proxy
    return [proxy.index(r, 0).data(SHOT_ROLE).id for r in range(proxy.rowCount())]


def test_editor_words_autocomplete_and_did_you_mean(analysed_window, qtbot):
    w = analysed_window
    lib, field = w.bridge.lib, w.search.field
    QTest.keyClick(w, Qt.Key.Key_Slash)
    assert field.hasFocus()

    _type(field, "locked off")                              # a synonym, two words
    QTest.keyClick(field, Qt.Key.Key_Return)
    assert w.search.translated == "static>=0.5"
    assert "locked off → Static" in w.search.hint.text()
    assert _shown_ids(w) == lib.search_ids("static>=0.5")
    # the floor: shots whose static proposal is weak are not found by the editor's words
    weak = {r.id for r in w.model.records()
            if any(t.tag == "static" and t.state == "proposed" and t.confidence < 0.5
                   for t in r.tag_records)}
    assert not weak & set(_shown_ids(w))

    field.clear()
    _type(field, "statc")                                   # a typo: did you mean
    QTest.keyClick(field, Qt.Key.Key_Return)
    assert "did you mean" in w.search.hint.text() and "statc|static" in w.search.hint.text()
    assert w.browser.proxy.rowCount() == 0
    w.search.hint.linkActivated.emit("statc|static")        # the link under the mouse
    assert field.text() == "static" and _shown_ids(w) == lib.search_ids("static>=0.5")

    field.clear()
    _type(field, "doll")                                    # autocomplete the word at the cursor
    popup = w.search.completer.popup()
    qtbot.waitUntil(popup.isVisible, timeout=2000)
    offered = [popup.model().index(r, 0).data() for r in range(popup.model().rowCount())]
    assert any(o.startswith("dolly_in") for o in offered)
    assert any(o.startswith("dolly  →") for o in offered)
    QTest.keyClick(popup, Qt.Key.Key_Down)
    QTest.keyClick(popup, Qt.Key.Key_Return)
    assert field.text() in ("dolly_in", "dolly_out", "dolly_zoom", "dolly")


def test_verdicts_on_a_selection_without_resorting(analysed_window, qtbot):
    w = analysed_window
    lib, table, proxy = w.bridge.lib, w.browser.table, w.browser.proxy
    assert table.horizontalHeader().sortIndicatorSection() == 0
    header = table.horizontalHeader()
    table.sortByColumn(COL_CONFIDENCE, Qt.SortOrder.DescendingOrder)
    order = _shown_ids(w)
    # the shots whose lead tag is the same as the first row's: select the first two of them
    lead = {i: w.model.lead_tag(w.model.record(w.model.row_of(i))) for i in order}
    tag = lead[order[0]].id
    rows = [n for n, i in enumerate(order) if lead[i] is not None and lead[i].id == tag][:2]
    assert len(rows) == 2, "the clip has two shots with the same leading tag"
    rect = table.visualRect(proxy.index(rows[0], COL_MOVEMENT))
    QTest.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: w.current_record() is not None and w.current_record().id == order[rows[0]])
    table.selectionModel().select(proxy.index(rows[1], 0), QItemSelectionModel.SelectionFlag.Select
                                  | QItemSelectionModel.SelectionFlag.Rows)
    assert w.panel.current_tag() == tag                      # moves lead the panel too

    QTest.keyClick(w, Qt.Key.Key_C)
    _settle(w, qtbot)
    ids = [order[r] for r in rows]
    assert all(lib.shot(i).tag_state(tag) == "confirmed" for i in ids)
    assert _shown_ids(w) == order                            # nothing moved under the cursor
    assert table.currentIndex().row() == rows[0]
    assert w.binder["edit.undo"].text() == f"Undo Confirm {tag}"
    QTest.keyClick(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)     # one step for both
    _settle(w, qtbot)
    assert all(lib.shot(i).tag_state(tag) == "proposed" for i in ids)

    menu = w.review.build_menu()                             # the right-click menu
    texts = [a.text() for a in menu.actions() if a.text()]
    name = w.taxonomy.display_name(tag)
    assert texts[:2] == [f"Confirm “{name}” on 2 shots", f"Reject “{name}” on 2 shots"]
    menu.actions()[1].trigger()
    _settle(w, qtbot)
    assert all(lib.shot(i).tag_state(tag) == "rejected" for i in ids)
    assert header.sortIndicatorSection() == COL_CONFIDENCE


def test_review_mode_one_key_per_shot_and_twin_swap(analysed_window, qtbot):
    w = analysed_window
    lib, table = w.bridge.lib, w.browser.table
    QTest.keyClick(w, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)    # review mode
    assert w.review.active
    assert table.horizontalHeader().sortIndicatorSection() == COL_CONFIDENCE
    order = _shown_ids(w)
    confs = [w.model.lead_tag(w.model.record(w.model.row_of(i))) for i in order]
    values = [c.confidence for c in confs if c is not None]
    assert values == sorted(values)                          # least certain first
    n = min(4, len(order))
    keys = 0
    for i in range(n):
        qtbot.waitUntil(lambda i=i: w.current_record() is not None
                        and w.current_record().id == order[i], timeout=3000)
        QTest.keyClick(w, Qt.Key.Key_C)                      # confirm and move on: one key
        keys += 1
    assert keys / n <= 2
    _settle(w, qtbot)
    for i in order[:n]:
        lead = confs[order.index(i)]
        if lead is not None:
            assert lib.shot(i).tag_state(lead.id) == "confirmed"

    # Shift+R swaps the leading tag for its confusable twin
    rec = w.current_record()
    lead = w.model.lead_tag(rec)
    twin = w.taxonomy.get(lead.id).confusable
    if twin:
        QTest.keyClick(w, Qt.Key.Key_R, Qt.KeyboardModifier.ShiftModifier)
        _settle(w, qtbot)
        assert lib.shot(rec.id).tag_state(lead.id) == "rejected"
        assert lib.shot(rec.id).tag_state(twin) in ("confirmed", "added")
    QTest.keyClick(w, Qt.Key.Key_Escape)
    assert not w.review.active

    # X marks the shot at the playhead, as in an NLE
    rec = w.current_record()
    QTest.keyClick(w, Qt.Key.Key_X)
    assert (w.player.mark_in, w.player.mark_out) == (rec.shot.start_frame, rec.shot.end_frame - 1)


def test_display_names_moves_first_and_push_in(analysed_window, qtbot):
    w = analysed_window
    lib, model = w.bridge.lib, w.model
    rec = w.current_record()
    QTest.keyClick(w, Qt.Key.Key_T)
    _type(w.panel.add_field, "push in")
    QTest.keyClick(w.panel.add_field, Qt.Key.Key_Return)
    _settle(w, qtbot)
    assert lib.shot(rec.id).tag_state("dolly_in") == "added"
    row = model.row_of(rec.id)
    rec = model.record(row)
    chips = model.tag_chips(rec)
    assert chips[0][0] == "dolly_in" and chips[0][4] == "Dolly In"      # the move leads
    text = model.index(row, COL_MOVEMENT).data()
    assert text.startswith("Dolly In 1.00") and "_" not in text
    assert model.index(row, COL_CONFIDENCE).data() == "1.00"
    assert w.panel.tags.topLevelItem(0).text(0).startswith("Dolly In")


def test_keymap_presets_have_no_conflicts_and_show_habit_clashes():
    for name in PRESETS:
        assert conflicts(preset_keys(name)) == {}, name
    assert preset_keys("Avid")["mark.in"] == ("E", "I")
    assert preset_keys("camtag")["tag.reject"] == ("Delete", "Backspace")   # X is NLE's mark clip
    for name in PRESETS:                                   # [ ] look like the mark buttons: they
        keys = preset_keys(name)                           # only ever go to the marks
        assert {a for a, ks in keys.items() if "[" in ks or "]" in ks} == \
            {"mark.go_in", "mark.go_out"}, name
    assert habit_clashes(preset_keys("camtag"), "Resolve") == []
    clash = habit_clashes(preset_keys("Premiere"), "Premiere")
    assert len(clash) == 1 and clash[0].startswith("C: Premiere habit is “razor tool”")


def test_settings_preset_fills_keys_and_lists_habit_clashes(make_window, tmp_path, qtbot):
    from PySide6.QtGui import QKeySequence

    from camtag.ui.timeline import TimecodeAxis, frame_steps

    w = make_window(str(tmp_path / "lib.sqlite"))
    dialog = w.show_settings()
    qtbot.addWidget(dialog)
    dialog.apply_preset("Premiere")
    split = dialog.key_edits["shot.split"][0].keySequence()
    assert split.toString(QKeySequence.SequenceFormat.PortableText) == "Ctrl+K"
    assert "C: Premiere habit is “razor tool”" in dialog.conflicts.text()
    dialog.apply_preset("Avid")
    assert dialog.conflicts.text() == ""
    assert dialog.key_map()["mark.in"] == ("E", "I")

    # timeline ticks land on the same frames every second (24 fps: never 5 or 10 frames)
    assert frame_steps(24) == [1, 2, 3, 4, 6, 8, 12] and frame_steps(25) == [1, 5]
    axis = TimecodeAxis(orientation="bottom")
    axis.fps = 24
    for span, width in ((40, 1000), (200, 1000), (5000, 1000)):
        (major, _), (minor, _) = axis.tickSpacing(0, span, width)
        assert 24 % major == 0 or major % 24 == 0
        assert major % minor == 0


def test_export_never_overwrites_silently_and_remembers_format(analysed_window, qtbot, tmp_path):
    w = analysed_window
    dialog = w.show_export()
    qtbot.addWidget(dialog)
    dialog.select_format("csv")
    target = tmp_path / "cuts.csv"
    target.write_text("keep me")
    dialog.path.setText(str(target))
    dialog.export_button.click()                              # exists: asks in place
    assert "already exists" in dialog.result.text() and target.read_text() == "keep me"
    assert dialog.export_button.text() == "Overwrite" and dialog.rename_button.isVisible()
    dialog.rename_button.click()
    assert dialog.path.text() == str(tmp_path / "cuts-2.csv")
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.reveal_button.isVisible(), timeout=10000)
    assert (tmp_path / "cuts-2.csv").is_file() and target.read_text() == "keep me"
    assert w.settings.last_export_format == "csv"

    dialog.path.setText(str(target))                          # overwrite when asked twice
    dialog.export_button.click()
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.export_button.isEnabled() and target.read_text() != "keep me",
                    timeout=10000)

    dialog.path.setText(str(tmp_path / "missing" / "x.csv"))
    dialog.export_button.click()
    assert "not a writable folder" in dialog.result.text()
    again = w.show_export()                                   # the last format is remembered
    qtbot.addWidget(again)
    assert again.format.currentData() == "csv"


def test_manual_collection_filled_from_the_context_menu(analysed_window, qtbot):
    w = analysed_window
    lib = w.bridge.lib
    lib.create_collection("Picks")
    qtbot.waitUntil(lambda: w.sidebar.manual_group.childCount() == 1, timeout=3000)
    QTest.keyClick(w, Qt.Key.Key_Down)
    rec = w.current_record()
    menu = w.review.build_menu()
    sub = next(a.menu() for a in menu.actions() if a.menu() is not None)
    assert sub.title() == "Add 1 shot(s) to collection"
    next(a for a in sub.actions() if a.text() == "Picks").trigger()
    _settle(w, qtbot)
    assert lib.collection_ids("Picks") == [rec.id]
    qtbot.waitUntil(lambda: w.sidebar.manual_group.child(0).text(0) == "Picks  (1)", timeout=3000)


def test_typed_timecode_jump(analysed_window, qtbot):
    w, p = analysed_window, analysed_window.player
    QTest.keyClick(w, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
    field = w.player_widget.goto
    assert field.isVisible() and field.hasFocus()
    _type(field, "1005")                                     # 10 s 5 frames, filled from the right
    QTest.keyClick(field, Qt.Key.Key_Return)
    rate = round(float(w.media.rate))
    assert p.position == 10 * rate + 5 and not field.isVisible()
    QTest.keyClick(w, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
    _type(field, "+12")
    QTest.keyClick(field, Qt.Key.Key_Return)
    assert p.position == 10 * rate + 17
    QTest.keyClick(w, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
    _type(field, "00:00:01:99")                              # no such frame: says so, stays open
    QTest.keyClick(field, Qt.Key.Key_Return)
    assert field.isVisible() and p.position == 10 * rate + 17
    QTest.keyClick(field, Qt.Key.Key_Escape)
    assert not field.isVisible()


def test_clicking_the_viewer_takes_focus_from_the_search_field(analysed_window, qtbot):
    w, p = analysed_window, analysed_window.player
    QTest.keyClick(w, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert w.search.field.hasFocus()
    QTest.mouseClick(w.player_widget.view, Qt.MouseButton.LeftButton)
    assert not w.search.field.hasFocus()
    QTest.keyClick(w, Qt.Key.Key_Right)                      # the keys drive the player again
    assert p.position == 1


def test_timeline_fit_and_bands_follow_corrections(analysed_window, qtbot):
    w = analysed_window
    tl, lib = w.timeline, w.bridge.lib
    tl.zoom_to(10, 40)
    QTest.keyClick(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ShiftModifier)    # zoom to fit
    lo, hi = tl.vb.viewRange()[0]
    assert lo <= 0 and hi >= w.media.frames - 1
    # reject a segment's tag: its band takes the shot's leading tag's colour
    rec = next(r for r in w.clip_records() if r.shot.segments and r.shot.segments[0].tags)
    seg = rec.shot.segments[0]
    lib.reject_tag(rec.id, seg.tags[0])
    fresh = lib.shot(rec.id)
    bands = w.band_segments([fresh])
    allowed = {w.color_of(t.id) for t in fresh.shot.tags} | {"#555555"}
    assert bands[0][2] in allowed and bands[0][2] != w.color_of(seg.tags[0])
