# PyInstaller runtime hook: point camtag at the data files inside the bundle until every lookup
# goes through camtag.resources_path (which knows about bundles by itself). A user's own
# CAMTAG_RESOURCES / CAMTAG_REGISTRY still win.
import os
import sys

_base = getattr(sys, "_MEIPASS", os.path.dirname(sys.executable))
if os.path.isfile(os.path.join(_base, "resources", "taxonomy.toml")):
    os.environ.setdefault("CAMTAG_RESOURCES", os.path.join(_base, "resources"))
if os.path.isfile(os.path.join(_base, "models", "registry.toml")):
    os.environ.setdefault("CAMTAG_REGISTRY", os.path.join(_base, "models", "registry.toml"))
