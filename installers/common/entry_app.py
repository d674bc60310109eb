"""Bundle entry point for `camtag-app` (Windows/macOS, no console): `camtag app [PATH…]`."""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from camtag.cli import main

    sys.exit(main(["app", *sys.argv[1:]]))
