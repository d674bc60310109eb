"""The prompt CamReasoner was trained on, byte for byte, and the questions camtag asks.

Sources (see shared/reference/camreasoner.md §2-§4): ``QUESTION_TEMPLATE`` and the
multiple-choice tail of ``wuhang03/CamReasoner:Inference/infer/eval_bench.py``, the 15
CameraBench binary primitives of ``Inference/camerabench_binary.json``. The evaluation
appends the tail with no separator; we do the same because the published numbers come
from that variant.

Option order is per question format and lives in :data:`FORMATS` only: a swapped order
silently inverts every answer.
"""

from __future__ import annotations

from dataclasses import dataclass

QUESTION_TEMPLATE = (
    "{Question}\n\n"
    "Please carefully analyze the video by first focusing on the differences between various frames, especially those that reveal overall movement or changes. "
    "Your <observation> should emphasize these frame-to-frame differences and describe the overall movement observed in the video. "
    "Then, in <think>, reason about the camera motion based on your observations, explaining how the visual evidence leads to your conclusion about the type of camera movement. "
    "Finally, provide only the single option letter (e.g., A, B, C, D, E, F etc.) within the <answer> </answer> tags. "
    "Follow the format specified in the instructions."
)

MULTIPLE_CHOICE_TAIL = (
    "Please provide only the single option letter (e.g., A, B, C, D, etc.) "
    "within the <answer>...</answer> tags.\n"
    "Example:\n<answer>A</answer>"
)


@dataclass(frozen=True)
class Primitive:
    split: str          # CameraBench split id
    question: str       # verbatim definition question
    tag: str            # camtag short tag id (taxonomy.md §5)
    label: str          # CameraBench label id, relative to cam_motion.


_CCM = "camera_centric_movement."
PRIMITIVES: tuple[Primitive, ...] = (
    Primitive("Move_In", "Does the camera move forward (not zooming in) with respect to the initial frame?",
              "dolly_in", _CCM + "forward.has_forward_wrt_camera"),
    Primitive("Move_Out", "Does the camera move backward (not zooming out) with respect to the initial frame?",
              "dolly_out", _CCM + "backward.has_backward_wrt_camera"),
    Primitive("Move_Up", "Does the camera move upward (not tilting up) with respect to the initial frame?",
              "pedestal_up", _CCM + "upward.has_upward_wrt_camera"),
    Primitive("Move_Down", "Does the camera move downward (not tilting down) with respect to the initial frame?",
              "pedestal_down", _CCM + "downward.has_downward_wrt_camera"),
    Primitive("Move_Right", "Does the camera move rightward in the scene?",
              "truck_right", _CCM + "rightward.has_rightward"),
    Primitive("Move_Left", "Does the camera move leftward in the scene?",
              "truck_left", _CCM + "leftward.has_leftward"),
    Primitive("Zoom_In", "Does the camera zoom in?", "zoom_in", _CCM + "zoom_in.has_zoom_in"),
    Primitive("Zoom_Out", "Does the camera zoom out?", "zoom_out", _CCM + "zoom_out.has_zoom_out"),
    Primitive("Pan_Right", "Does the camera pan to the right?", "pan_right", _CCM + "pan_right.has_pan_right"),
    Primitive("Pan_Left", "Does the camera pan to the left?", "pan_left", _CCM + "pan_left.has_pan_left"),
    Primitive("Tilt_Up", "Does the camera tilt upward?", "tilt_up", _CCM + "tilt_up.has_tilt_up"),
    Primitive("Tilt_Down", "Does the camera tilt downward?", "tilt_down", _CCM + "tilt_down.has_tilt_down"),
    Primitive("Roll_Clockwise", "Does the camera roll clockwise?",
              "roll_cw", _CCM + "roll_clockwise.has_roll_clockwise"),
    Primitive("Roll_Counterclockwise", "Does the camera roll counterclockwise?",
              "roll_ccw", _CCM + "roll_counterclockwise.has_roll_counterclockwise"),
    Primitive("Static", "Is the camera completely still without any motion or shaking?",
              "static", "steadiness_and_movement.fixed_camera"),
)
BY_SPLIT = {p.split: p for p in PRIMITIVES}
BY_TAG = {p.tag: p for p in PRIMITIVES}

# Format -> options, in the exact trained order, and which letter means "yes".
FORMATS: dict[str, tuple[tuple[str, ...], str]] = {
    "binary": (("A. No", "B. Yes"), "B"),            # CameraBench binary primitives
    "match": (("A. Yes", "B. No"), "A"),             # VQA match style: order reversed
}

# EXPERIMENTAL, opt-in only (settings["experimental_dominant"]): a 15-option dominant-movement
# question whose texts camtag invented; CamReasoner never saw it. No default plan asks it.
DOMINANT_PROBLEM = "Which option best describes the main camera movement in this video?"
DOMINANT_OPTIONS: tuple[tuple[str, str], ...] = (
    ("static", "The camera is completely still"),
    ("pan_left", "The camera pans to the left"),
    ("pan_right", "The camera pans to the right"),
    ("tilt_up", "The camera tilts upward"),
    ("tilt_down", "The camera tilts downward"),
    ("zoom_in", "The camera zooms in"),
    ("zoom_out", "The camera zooms out"),
    ("dolly_in", "The camera moves forward"),
    ("dolly_out", "The camera moves backward"),
    ("truck_left", "The camera moves leftward"),
    ("truck_right", "The camera moves rightward"),
    ("pedestal_up", "The camera moves upward"),
    ("pedestal_down", "The camera moves downward"),
    ("roll_cw", "The camera rolls clockwise"),
    ("roll_ccw", "The camera rolls counterclockwise"),
)
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class Question:
    """One question for the model. ``letters`` maps each option letter to its meaning:
    ``"yes"``/``"no"`` for binary formats, a tag id for multiple choice."""

    key: str                              # "Pan_Left", "dominant", ...
    kind: str                             # "binary" | "match" | "choice"
    problem: str
    options: tuple[str, ...]
    letters: tuple[tuple[str, str], ...]  # (letter, meaning)
    tag: str = ""                         # the tag a binary question is about

    @property
    def text(self) -> str:
        return render(self.problem, self.options)

    def meaning(self, letter: str | None) -> str | None:
        return dict(self.letters).get(letter or "")


def render(problem: str, options: tuple[str, ...] = ()) -> str:
    """The text part of the user turn, exactly as ``eval_bench.py`` builds it."""
    question = problem + "\nOptions:\n" + "\n".join(options) if options else problem
    return QUESTION_TEMPLATE.format(Question=question) + MULTIPLE_CHOICE_TAIL


def binary(split: str, style: str = "binary") -> Question:
    prim = BY_SPLIT[split]
    options, yes = FORMATS[style]
    if style == "match":
        problem = ("Does the camera movement in this video match the following description?\n\n"
                   + prim.question)
    else:
        problem = prim.question
    letters = tuple((o[0], "yes" if o[0] == yes else "no") for o in options)
    return Question(split, style, problem, options, letters, prim.tag)


def dominant() -> Question:
    options = tuple(f"{LETTERS[i]}. {text}" for i, (_, text) in enumerate(DOMINANT_OPTIONS))
    letters = tuple((LETTERS[i], tag) for i, (tag, _) in enumerate(DOMINANT_OPTIONS))
    return Question("dominant", "choice", DOMINANT_PROBLEM, options, letters)
