"""Every command of the app as data: ``(id, description, default keys, group)``.

Handlers, the shortcut editor in Settings and the ``?`` cheat sheet all read this one table.
Keys use Qt's portable text form (``"Shift+Left"``, ``"Ctrl+Z"``); an action may have several.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Action:
    id: str
    text: str
    keys: tuple[str, ...]
    group: str


ACTIONS: tuple[Action, ...] = (
    # playback
    Action("play.toggle", "Play / pause", ("Space",), "Playback"),
    Action("play.reverse", "Play reverse (J); repeat to speed up 1→2→4→8×", ("J",), "Playback"),
    Action("play.stop", "Pause (K); hold K and tap J/L to step one frame", ("K",), "Playback"),
    Action("play.forward", "Play forward (L); repeat to speed up 1→2→4→8×", ("L",), "Playback"),
    Action("play.reverse_slow", "Play reverse at half speed", ("Shift+J",), "Playback"),
    Action("play.forward_slow", "Play forward at half speed", ("Shift+L",), "Playback"),
    Action("play.in_out", "Play from mark in to mark out, looping", ("Ctrl+Space",), "Playback"),
    # navigation
    Action("step.back", "Back one frame", ("Left", ","), "Navigate"),
    Action("step.forward", "Forward one frame", ("Right", "."), "Navigate"),
    Action("step.back_second", "Back one second", ("Shift+Left",), "Navigate"),
    Action("step.forward_second", "Forward one second", ("Shift+Right",), "Navigate"),
    Action("shot.previous", "Previous shot (start of the shot before)", ("Up",), "Navigate"),
    Action("shot.next", "Next shot", ("Down",), "Navigate"),
    Action("go.start", "Go to the first frame", ("Home",), "Navigate"),
    Action("go.end", "Go to the last frame", ("End",), "Navigate"),
    Action("mark.in", "Set mark in at the playhead (the [ button)", ("I",), "Navigate"),
    Action("mark.out", "Set mark out at the playhead (the ] button)", ("O",), "Navigate"),
    Action("mark.go_in", "Go to mark in", ("[", "Shift+I"), "Navigate"),
    Action("mark.go_out", "Go to mark out", ("]", "Shift+O"), "Navigate"),
    Action("mark.clear", "Clear the in/out marks", ("Ctrl+Shift+X",), "Navigate"),
    Action("mark.shot", "Mark the shot at the playhead (in and out, as X marks a clip in an NLE)",
           ("X",), "Navigate"),
    Action("go.timecode", "Jump to a typed timecode (+/- frames, or 480f)", ("Ctrl+J",), "Navigate"),
    Action("view.fit_timeline", "Zoom the timeline to fit the clip (or double-click it)",
           ("Shift+Z",), "Navigate"),
    Action("time.cycle", "Show timecode / frames / seconds", ("Ctrl+T",), "Navigate"),
    # tags and shots
    Action("tag.confirm", "Confirm the highlighted tag on the selected shots", ("C",), "Tags"),
    Action("tag.reject", "Reject the highlighted tag on the selected shots", ("Delete", "Backspace"),
           "Tags"),
    Action("tag.swap_opposite", "Swap the leading tag to its opposite (pan left → pan right)",
           ("R",), "Tags"),
    Action("tag.swap_twin", "Swap the leading tag to its confusable twin (pan ↔ truck, zoom ↔ dolly)",
           ("Shift+R",), "Tags"),
    Action("review.start", "Review: least certain shots first, one key per shot", ("Ctrl+R",),
           "Tags"),
    Action("review.stop", "End review", ("Escape",), "Tags"),
    Action("tag.add", "Add a tag to the shot (type, Enter)", ("T", "Return"), "Tags"),
    Action("tag.previous", "Highlight the previous tag", ("Alt+Up",), "Tags"),
    Action("tag.next", "Highlight the next tag", ("Alt+Down",), "Tags"),
    Action("shot.note", "Edit the shot's note", ("N",), "Tags"),
    Action("shot.split", "Split the shot at the playhead", ("Ctrl+B",), "Tags"),
    Action("shot.merge", "Merge the shot with the next one", ("Ctrl+M",), "Tags"),
    Action("edit.undo", "Undo", ("Ctrl+Z",), "Tags"),
    Action("edit.redo", "Redo", ("Ctrl+Shift+Z", "Ctrl+Y"), "Tags"),
    # library and files
    Action("search.focus", "Search shots", ("Ctrl+F", "/"), "Library"),
    Action("view.toggle_grid", "Switch the shot browser between table and grid", ("G",), "Library"),
    Action("file.open", "Open media files (analysed into the library)", ("Ctrl+O",), "Library"),
    Action("file.add_folder", "Add a folder to the analysis queue", ("Ctrl+Shift+O",), "Library"),
    Action("file.export", "Export shots (EDL, markers, XML, OTIO, ALE, CSV, JSON)", ("Ctrl+E",),
           "Library"),
    Action("queue.cancel", "Cancel the running analysis", ("Ctrl+.",), "Library"),
    Action("app.settings", "Settings", ("Ctrl+,",), "App"),
    Action("app.cheat_sheet", "Show this keyboard cheat sheet", ("?", "Shift+?", "F1"), "App"),
    Action("app.quit", "Quit", ("Ctrl+Q",), "App"),
)

BY_ID = {a.id: a for a in ACTIONS}

# Keymap presets: the keys an editor's NLE habits expect, over the defaults above.
PRESETS: dict[str, dict[str, tuple[str, ...]]] = {
    "camtag": {},
    "Resolve": {"shot.split": ("Ctrl+\\", "Ctrl+B"), "mark.clear": ("Alt+X",),
                "shot.previous": ("Up", "Shift+Up"), "shot.next": ("Down", "Shift+Down")},
    "Premiere": {"shot.split": ("Ctrl+K",), "mark.clear": ("Ctrl+Shift+X",),
                 "step.back_second": ("Shift+Left",), "step.forward_second": ("Shift+Right",)},
    "Avid": {"mark.in": ("E", "I"), "mark.out": ("R", "O"), "mark.shot": ("T",),
             "mark.go_in": ("Q", "["), "mark.go_out": ("W", "]"),
             "mark.clear": ("G",), "step.back": ("3", "Left"), "step.forward": ("4", "Right"),
             "shot.split": ("H",), "tag.swap_opposite": ("Alt+R",), "tag.swap_twin": ("Alt+Shift+R",),
             "tag.add": ("Return",), "view.toggle_grid": ("Ctrl+G",)},
}
# What a key means in each NLE, where camtag gives it another meaning by default.
NLE_HABITS: dict[str, dict[str, str]] = {
    "Resolve": {"X": "mark clip", "B": "blade", "Ctrl+B": "split clip"},
    "Premiere": {"X": "mark clip", "C": "razor tool", "Ctrl+K": "add edit"},
    "Avid": {"E": "mark in", "R": "mark out", "T": "mark clip", "H": "add edit", "G": "clear marks",
             "Q": "go to in", "W": "go to out",
             "3": "step back", "4": "step forward"},
}


def preset_keys(name: str) -> dict[str, tuple[str, ...]]:
    """Action id -> keys for a preset (unknown names give the defaults)."""
    return effective_keys(PRESETS.get(name, {}))


def habit_clashes(keys: dict[str, tuple[str, ...]], nle: str) -> list[str]:
    """Keys bound to something other than what the editor's NLE habit expects, one line each."""
    out = []
    habits = {k.lower(): v for k, v in NLE_HABITS.get(nle, {}).items()}
    for action_id, ks in keys.items():
        for k in ks:
            meaning = habits.get(k.lower())
            if meaning and not _means(action_id, meaning):
                out.append(f"{k}: {nle} habit is “{meaning}”, here it is “{BY_ID[action_id].text}”")
    return out


def _means(action_id: str, meaning: str) -> bool:
    return {"mark clip": "mark.shot", "mark in": "mark.in", "mark out": "mark.out",
            "clear marks": "mark.clear", "add edit": "shot.split", "split clip": "shot.split",
            "blade": "shot.split", "razor tool": "shot.split", "step back": "step.back",
            "step forward": "step.forward", "go to in": "mark.go_in",
            "go to out": "mark.go_out"}.get(meaning) == action_id


def effective_keys(overrides: dict | None) -> dict[str, tuple[str, ...]]:
    """Action id -> keys, with the user's remapping (from settings) applied."""
    overrides = overrides or {}
    out = {}
    for a in ACTIONS:
        keys = overrides.get(a.id)
        out[a.id] = tuple(keys) if isinstance(keys, (list, tuple)) else a.keys
    return out


def conflicts(keys: dict[str, tuple[str, ...]]) -> dict[str, list[str]]:
    """Key -> action ids, for keys bound to more than one action."""
    seen: dict[str, list[str]] = {}
    for action_id, ks in keys.items():
        for k in ks:
            seen.setdefault(k.lower(), []).append(action_id)
    return {k: ids for k, ids in seen.items() if len(ids) > 1}


def cheat_sheet_rows(keys: dict[str, tuple[str, ...]]) -> list[tuple[str, str, str]]:
    """(group, keys shown, description) in table order."""
    return [(a.group, "  ".join(keys.get(a.id, a.keys)) or "—", a.text) for a in ACTIONS]
