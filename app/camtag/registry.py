"""The one registry style of every plugin family: a table name -> ``"module:attr"``, imported on
first use (like OpenTimelineIO's adapter manifest). Tables: ``shots.base.DETECTORS``,
``export.base.FORMATS``, ``library.location.BACKENDS``, ``reasoner.base.REGISTRY``."""

from __future__ import annotations

import importlib


def load(target: str):
    """The object named by ``"package.module:attr"``; ImportError/KeyError if it is not there."""
    module_name, sep, attr = target.partition(":")
    if not sep or not attr:
        raise ValueError(f"a registry entry is 'module:attr', got {target!r}")
    return vars(importlib.import_module(module_name))[attr]
