"""The installed Qt binding keeps Python's reference counts straight (PySide6 6.12.0 on Python
3.11 decrements None on every void call and crashes long sessions with "deallocating None")."""

from __future__ import annotations

import sys

from PySide6.QtCore import QPointF
from PySide6.QtGui import QTransform


def test_void_methods_do_not_steal_none_references():
    transform, point = QTransform(), QPointF()
    before = sys.getrefcount(None)
    for _ in range(1000):
        transform.reset()
        transform.setMatrix(1, 0, 0, 0, 1, 0, 0, 0, 1)
        point.setX(1.0)
    lost = before - sys.getrefcount(None)
    assert lost < 100, (f"the Qt binding lost {lost} references to None in 3000 calls: this "
                        f"PySide6 build crashes long sessions; install PySide6-Essentials<6.12")
