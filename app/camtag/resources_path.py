"""Where camtag's shipped data lives: the source tree, an installed wheel, or a frozen bundle.

A PyInstaller bundle unpacks data next to the frozen modules (``sys._MEIPASS``): ``resources/``
(taxonomy.toml, styles, icons) and ``models/`` (registry.toml, README.md). From a source checkout
they are ``<repo>/resources`` and ``<repo>/models``. Environment variables win everywhere:
``$CAMTAG_RESOURCES`` (a folder) and ``$CAMTAG_REGISTRY`` (a file).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def frozen_root() -> Path | None:
    """The bundle's data folder when running from a PyInstaller (or similar) bundle, else None."""
    if not getattr(sys, "frozen", False):
        return None
    meipass = getattr(sys, "_MEIPASS", None)
    return Path(meipass) if meipass else Path(sys.executable).resolve().parent


def _roots() -> list[Path]:
    roots = []
    frozen = frozen_root()
    if frozen is not None:
        roots.append(frozen)
    roots += [_PACKAGE.parent.parent, _PACKAGE]       # source tree (app/camtag -> repo), then the package
    return roots


def resources_candidates() -> list[Path]:
    """Folders that may hold ``taxonomy.toml``, in the order they are tried."""
    env = os.environ.get("CAMTAG_RESOURCES")
    return ([Path(env)] if env else []) + [r / "resources" for r in _roots()]


def shipped_models_dir() -> Path:
    """The folder holding the shipped ``registry.toml`` (first one that exists; else the source tree's)."""
    for root in _roots():
        if (root / "models" / "registry.toml").is_file():
            return root / "models"
    return _PACKAGE.parent.parent / "models"


def registry_path() -> Path:
    env = os.environ.get("CAMTAG_REGISTRY")
    return Path(env) if env else shipped_models_dir() / "registry.toml"
