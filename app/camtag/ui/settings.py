"""Settings kept between runs, as one JSON file in the platform's config folder.

Plain data (no Qt), so tests and the CLI can read and write it. ``$CAMTAG_CONFIG_DIR`` overrides
the folder (tests point it at a temporary one). A missing or unreadable file gives the defaults
and a one-line note; unknown keys are dropped, wrong types fall back to the default.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, fields

from camtag.atomic import write_json_atomic
from camtag.export.reels import REEL_SOURCES
from camtag.inputs import read_json
from camtag.model import DEFAULT_DETECTOR

ENV_VAR = "CAMTAG_CONFIG_DIR"
FILE_NAME = "app.json"
ENGINES = ("geometry", "auto", "llamacpp", "transformers", "server")
TIME_DISPLAYS = ("timecode", "frames", "seconds")


def config_dir() -> str:
    env = os.environ.get(ENV_VAR)
    if env:
        return env
    import platformdirs

    return platformdirs.user_config_dir("camtag", appauthor=False)


@dataclass
class AppSettings:
    library_url: str = ""                 # "" = $CAMTAG_LIBRARY or the user data folder
    detector: str = DEFAULT_DETECTOR
    sensitivity: float = 1.0
    min_shot_seconds: float = 0.25
    engine: str = "geometry"              # one of ENGINES
    model_path: str = ""                  # llama.cpp GGUF
    mmproj_path: str = ""                 # llama.cpp vision projector GGUF
    hf_model_dir: str = ""                # transformers safetensors folder
    server_url: str = ""                  # OpenAI-compatible local server
    server_model: str = ""
    question_mode: str = "plan"
    shortcuts: dict = field(default_factory=dict)     # action id -> list of key strings
    time_display: str = "timecode"        # one of TIME_DISPLAYS
    browser_view: str = "table"           # "table" or "grid"
    recent_files: list = field(default_factory=list)
    window_geometry: str = ""             # hex of QMainWindow.saveGeometry()
    window_state: str = ""                # hex of QMainWindow.saveState()
    splitters: dict = field(default_factory=dict)     # splitter name -> hex of saveState()
    last_media: str = ""                  # the workspace as it was left: clip, scope, search, shot
    last_scope: str = "media"             # "media", "all" or "collection"
    last_collection: str = ""
    last_query: str = ""
    last_shot: int = 0
    last_export_format: str = ""
    last_reel_source: str = ""            # "file" or "embedded" (camtag.export.reels.REEL_SOURCES)

    # -- derived ---------------------------------------------------------------------------------
    def analysis_settings(self) -> dict:
        """What the pipeline gets (see camtag.model.AnalysisRequest)."""
        return {"detector": self.detector, "sensitivity": float(self.sensitivity),
                "min_shot_seconds": float(self.min_shot_seconds)}

    def reasoner_settings(self) -> dict:
        """What camtag.reasoner's backends get (empty values left out)."""
        out = {"engine": self.engine, "model_path": self.model_path,
               "mmproj_path": self.mmproj_path, "hf_model_dir": self.hf_model_dir,
               "server_url": self.server_url, "server_model": self.server_model}
        return {k: v for k, v in out.items() if v}

    def remember_file(self, path: str, keep: int = 12) -> None:
        path = os.path.abspath(path)
        self.recent_files = [path] + [p for p in self.recent_files if p != path][:keep - 1]

    # -- persistence -----------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: dict) -> "AppSettings":
        out = cls()
        for f in fields(cls):
            if f.name not in data:
                continue
            value, default = data[f.name], getattr(out, f.name)
            if isinstance(default, bool) or not isinstance(value, type(default)):
                if isinstance(default, float) and isinstance(value, int):
                    value = float(value)
                else:
                    continue
            setattr(out, f.name, value)
        if out.engine not in ENGINES:
            out.engine = "geometry"
        if out.last_reel_source not in ("", *REEL_SOURCES):
            out.last_reel_source = ""
        if out.time_display not in TIME_DISPLAYS:
            out.time_display = "timecode"
        out.shortcuts = {str(k): [str(x) for x in v] for k, v in out.shortcuts.items()
                         if isinstance(v, list)}
        return out

    def to_dict(self) -> dict:
        return asdict(self)


def settings_path() -> str:
    return os.path.join(config_dir(), FILE_NAME)


def load_settings(path: str | None = None) -> tuple[AppSettings, str]:
    """(settings, note); the note is "" or one line saying why the defaults were used."""
    path = path or settings_path()
    if not os.path.lexists(path):
        return AppSettings(), ""
    try:   # bounded size and nesting, regular files only (a FIFO would block the read)
        data = read_json(path, limit=1 << 20, max_depth=16, what="settings file")
    except (OSError, ValueError) as exc:
        return AppSettings(), f"settings file {path} is unreadable ({exc}); using defaults"
    if not isinstance(data, dict):
        return AppSettings(), f"settings file {path} is not a JSON object; using defaults"
    return AppSettings.from_dict(data), ""


def save_settings(settings: AppSettings, path: str | None = None) -> str:
    """Write atomically; returns the path. Raises OSError (the caller tells the user)."""
    path = path or settings_path()
    write_json_atomic(path, settings.to_dict(), indent=2, sort_keys=True)
    return path
