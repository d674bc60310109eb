# PyInstaller runtime hook: point camtag at the data files inside the bundle until every lookup
# goes through camtag.resources_path (which knows about bundles by itself). A user's own
# CAMTAG_RESOURCES / CAMTAG_REGISTRY still win.
#
# It also lets the bundle's executables stand in for `python -c CODE ARGS...`: camtag.syscheck
# imports Qt in a child process started as `sys.executable -c ...`, and in a bundle sys.executable
# is camtag / camtag-qtprobe. Without this the child would start the program again (the probe
# would re-run itself, and so on). The child's exit status and last stderr line are what the
# caller reads, as with python.
import os
import sys

_base = getattr(sys, "_MEIPASS", os.path.dirname(sys.executable))
if os.path.isfile(os.path.join(_base, "resources", "taxonomy.toml")):
    os.environ.setdefault("CAMTAG_RESOURCES", os.path.join(_base, "resources"))
if os.path.isfile(os.path.join(_base, "models", "registry.toml")):
    os.environ.setdefault("CAMTAG_REGISTRY", os.path.join(_base, "models", "registry.toml"))

if getattr(sys, "frozen", False) and len(sys.argv) >= 3 and sys.argv[1] == "-c":
    _code, sys.argv = sys.argv[2], ["-c", *sys.argv[3:]]
    try:
        exec(compile(_code, "<string>", "exec"), {"__name__": "__main__", "__builtins__": __builtins__})
    except SystemExit:
        raise
    except BaseException:  # noqa: BLE001  (report like python does, then fail)
        import traceback

        traceback.print_exc()
        sys.stderr.flush()
        os._exit(1)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
