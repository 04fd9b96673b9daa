"""Entry point of `tryon-desktop` (source install and frozen build alike).

`--self-test` and `--version` are handled here, before Qt is imported, so they run headless anywhere; everything else goes to
the Qt app.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if "--version" in args:
        from tryon_desktop import __version__

        print(f"tryon-desktop {__version__}")
        return 0
    if "--self-test" in args:
        from tryon_desktop.selftest import main as self_test

        return self_test()
    from tryon_desktop.ui.app import main as app_main

    return app_main(args)


if __name__ == "__main__":
    sys.exit(main())
