"""Entry point of `tryon-desktop` (source install and frozen build alike).

`--self-test` is handled here, before Qt is imported, so it runs headless anywhere; everything else goes to
the Qt app.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if "--self-test" in args:
        from tryon_desktop.selftest import main as self_test

        return self_test()
    from tryon_desktop.ui.app import main as app_main

    return app_main(args)


if __name__ == "__main__":
    sys.exit(main())
