import sys

from camtag.cli import main

sys.exit(main())
