"""EXPERIMENTAL camera set-up questions: shot size, camera angle, camera height.

Off by default (reasoner setting ``setup_questions``). CamReasoner was trained and evaluated on
camera *motion* only; these questions reuse its binary format ("A. No / B. Yes" inside the same
O-T-A template) as extra branches of the shot's cached prefix, so they cost decode steps but no
extra prefill. Their tags form the ``setup`` family of resources/taxonomy.toml and stay marked
experimental until measured with ``camtag eval`` on labelled clips.

The question texts are CameraBench's own set-up label definitions, verbatim, from the
"is_always" labels of the CameraBench authors' taxonomy (``sy77777en/video_annotation_folk``:
``labels_markdown/cam_setup/{shot_size,angle,height_wrt_ground}/is_always/index.md``). The
question key is CameraBench's label name (what a label file's ``task`` names); the label id is
``cam_setup.<group>.is_always.<key>``.
"""

from __future__ import annotations

from camtag.model import Shot
from camtag.reasoner.prompts import FORMATS, Primitive, Question

_SIZE, _ANGLE, _HEIGHT = "cam_setup.shot_size.is_always.", "cam_setup.angle.is_always.", \
    "cam_setup.height_wrt_ground.is_always."
SETUP: tuple[Primitive, ...] = (
    Primitive("shot_size_is_extreme_close_up", "Does the video maintain an extreme close-up shot throughout, "
              "consistently isolating a very small detail of the subject or scene?", "size_extreme_close_up",
              _SIZE + "shot_size_is_extreme_close_up"),
    Primitive("shot_size_is_close_up", "Does the video maintain a close-up shot throughout, consistently "
              "highlighting a distinct part of the subject or scene while still preserving some surrounding "
              "context?", "size_close_up", _SIZE + "shot_size_is_close_up"),
    Primitive("shot_size_is_medium_close_up", "Does the video maintain a medium close-up shot throughout, "
              "consistently framing the human subject from the chest upward?", "size_medium_close_up",
              _SIZE + "shot_size_is_medium_close_up"),
    Primitive("shot_size_is_medium", "Does the video maintain a medium shot throughout, consistently framing "
              "about half of the human subject?", "size_medium", _SIZE + "shot_size_is_medium"),
    Primitive("shot_size_is_medium_full", "Does the video maintain a medium full shot throughout, consistently "
              "framing the human subject from mid-thigh (or knee) upward?", "size_medium_full",
              _SIZE + "shot_size_is_medium_full"),
    Primitive("shot_size_is_full", "Does the video maintain a full shot throughout, consistently framing the "
              "entire body of the subject without showing excessive surrounding scenery?", "size_full",
              _SIZE + "shot_size_is_full"),
    Primitive("shot_size_is_wide", "Does the video maintain a wide shot throughout, consistently showing "
              "scenery or framing the entire subject while keeping ample background context?", "size_wide",
              _SIZE + "shot_size_is_wide"),
    Primitive("shot_size_is_extreme_wide", "Does the video maintain an extreme wide shot throughout, "
              "consistently emphasizing the setting over any subjects?", "size_extreme_wide",
              _SIZE + "shot_size_is_extreme_wide"),
    Primitive("camera_angle_is_bird_eye_angle", "Is the camera positioned at a bird\u2019s eye angle throughout "
              "the video, looking directly downward at the ground?", "angle_bird_eye",
              _ANGLE + "camera_angle_is_bird_eye_angle"),
    Primitive("camera_angle_is_high_angle", "Is the camera positioned at a high angle throughout the video, "
              "looking down at the scene but not completely top-down?", "angle_high",
              _ANGLE + "camera_angle_is_high_angle"),
    Primitive("camera_angle_is_level_angle", "Is the camera positioned at a level angle throughout the video, "
              "parallel to the ground regardless of Dutch angle?", "angle_level",
              _ANGLE + "camera_angle_is_level_angle"),
    Primitive("camera_angle_is_low_angle", "Is the camera positioned at a low angle throughout the video, "
              "looking upward from a lower perspective but not directly from below?", "angle_low",
              _ANGLE + "camera_angle_is_low_angle"),
    Primitive("camera_angle_is_worm_eye_angle", "Is the camera positioned at a worm\u2019s eye angle throughout "
              "the video, looking sharply upward to the sky?", "angle_worm_eye",
              _ANGLE + "camera_angle_is_worm_eye_angle"),
    Primitive("height_wrt_ground_is_aerial_level", "Is the camera positioned at an aerial level throughout the "
              "video?", "height_aerial", _HEIGHT + "height_wrt_ground_is_aerial_level"),
    Primitive("height_wrt_ground_is_overhead_level", "Is the camera positioned at an overhead level throughout "
              "the video, positioned above human height but below an aerial view, roughly at second-floor "
              "level?", "height_overhead", _HEIGHT + "height_wrt_ground_is_overhead_level"),
    Primitive("height_wrt_ground_is_eye_level", "Is the camera positioned at eye level throughout the video, "
              "roughly at a person's eye height, above the waist but below overhead level?", "height_eye",
              _HEIGHT + "height_wrt_ground_is_eye_level"),
    Primitive("height_wrt_ground_is_hip_level", "Is the camera positioned at hip level, roughly between knee "
              "and waist height, whether or not a human subject is present?", "height_hip",
              _HEIGHT + "height_wrt_ground_is_hip_level"),
    Primitive("height_wrt_ground_is_ground_level", "Is the camera positioned at ground level throughout the "
              "video?", "height_ground", _HEIGHT + "height_wrt_ground_is_ground_level"),
    Primitive("height_wrt_ground_is_water_level", "Is the camera positioned at water level throughout the "
              "video, above the water surface with the waterline clearly visible?", "height_water",
              _HEIGHT + "height_wrt_ground_is_water_level"),
    Primitive("height_wrt_ground_is_underwater_level", "Is the camera fully submerged underwater throughout "
              "the video, capturing scenes beneath the water\u2019s surface?", "height_underwater",
              _HEIGHT + "height_wrt_ground_is_underwater_level"),
)
BY_KEY = {p.split: p for p in SETUP}
BY_TAG = {p.tag: p for p in SETUP}


def question(key: str) -> Question:
    """The binary set-up question for a CameraBench label name (``shot_size_is_close_up``)."""
    prim = BY_KEY[key]
    options, yes = FORMATS["binary"]
    letters = tuple((o[0], "yes" if o[0] == yes else "no") for o in options)
    return Question(key, "binary", prim.question, options, letters, prim.tag)


def questions() -> list[Question]:
    return [question(p.split) for p in SETUP]


def task_key(text: str) -> str | None:
    """The set-up question key for a label file's task (``shot_size_is_close_up``, ``Shot Size Is
    Close Up`` or camtag's tag id ``size_close_up``); None if it is not a set-up task."""
    t = "_".join(str(text).replace("-", " ").split()).lower()
    if t in BY_KEY:
        return t
    return BY_TAG[t].split if t in BY_TAG else None


def p_yes(shot: Shot) -> dict[str, float]:
    """Set-up question key -> the model's P(yes) as recorded with the shot's answers (the letter
    probabilities, else 1/0 from a readable letter); questions not asked are absent."""
    rec = (shot.evidence or {}).get("reasoner") or {}
    out: dict[str, float] = {}
    for a in rec.get("answers") or ():
        key = a.get("question") if isinstance(a, dict) else None
        if key not in BY_KEY:
            continue
        probs = a.get("letter_probs")
        if isinstance(probs, dict) and "B" in probs:
            out[key] = float(probs["B"])
        elif a.get("meaning") in ("yes", "no"):
            out[key] = 1.0 if a["meaning"] == "yes" else 0.0
    return out
