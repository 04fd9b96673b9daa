"""The frozen program's entry script: the same entry point as the installed `tryon-desktop` command."""

import sys

from tryon_desktop.launcher import main

if __name__ == "__main__":
    sys.exit(main())
