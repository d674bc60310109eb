"""Bundle entry point for the `camtag` executable (the same as the `camtag` console script)."""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from camtag.cli import main

    sys.exit(main())
