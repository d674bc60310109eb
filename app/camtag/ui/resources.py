"""Icons and the stylesheet, loaded from ``resources/`` at run time (no generated resource module)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap


@lru_cache(maxsize=1)
def resources_dir() -> Path | None:
    from camtag.taxonomy import TaxonomyError
    from camtag.taxonomy import resources_dir as find

    try:
        return find()
    except TaxonomyError:
        return None


def stylesheet(name: str = "dark") -> str:
    base = resources_dir()
    if base is None:
        return ""
    try:
        return (base / "styles" / f"{name}.qss").read_text(encoding="utf-8")
    except OSError:
        return ""


@lru_cache(maxsize=None)
def icon(name: str) -> QIcon:
    """``resources/icons/<name>.svg``; a plain dot when the file is missing (never a crash)."""
    base = resources_dir()
    path = base / "icons" / f"{name}.svg" if base is not None else None
    if path is not None and path.is_file():
        return QIcon(str(path))
    pix = QPixmap(16, 16)
    pix.fill(QColor(0, 0, 0, 0))
    painter = QPainter(pix)
    painter.setBrush(QColor("#8b95a5"))
    painter.drawEllipse(4, 4, 8, 8)
    painter.end()
    return QIcon(pix)
