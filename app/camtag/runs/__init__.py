"""The application layer: an :class:`AnalysisRequest` in, a stored result out.

Used alike by the CLI (``commands/``), the UI (``ui/analysis_queue``) and Ray (``scale/``)::

    from camtag.runs import AnalysisRequest, analyze_into_library
    record = run_job(analyze_into_library(lib, "A001.mov", AnalysisRequest(detector="adaptive")))

- :mod:`camtag.runs.request`: requests and the key that names what actually ran;
- :mod:`camtag.runs.whole`: whole-file runs into the library (shot by shot, resumable);
- :mod:`camtag.runs.plan`, :mod:`camtag.runs.parts`, :mod:`camtag.runs.seams`: split runs of long
  files and their seam repair;
- :mod:`camtag.runs.guard`: the isolated worker process with a watchdog;
- :mod:`camtag.runs.queue`: the batch queue (``camtag library add``, the UI's queue).
- :mod:`camtag.runs.model_pass`: the model-tagging pass and the one rule for storing its results.

The library below stores; it never runs the pipeline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from camtag.model import AnalysisRequest, RequestError
from camtag.runs.request import analysis_key, make_request

if TYPE_CHECKING:
    from camtag.runs.whole import analyze_into_library


def __getattr__(name: str):
    # the library (storage) is imported by the first run into it, not by `camtag analyze`, which
    # needs only requests here (~45 ms of its start-up)
    if name == "analyze_into_library":
        from camtag.runs.whole import analyze_into_library

        return analyze_into_library
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["AnalysisRequest", "RequestError", "analysis_key", "analyze_into_library",
           "make_request"]
