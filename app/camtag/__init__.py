"""camtag: camera-movement tagging for film and video editors.

The core (everything except :mod:`camtag.ui`) never imports Qt.
"""

__version__ = "0.1.0"
