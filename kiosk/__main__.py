"""`kiosk` and `python -m kiosk`."""

import sys

from kiosk.cli import main as _main


def main() -> None:
    sys.exit(_main())


if __name__ == "__main__":
    main()
