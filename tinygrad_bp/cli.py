"""The `tinygrad-bp` command line.

Exit status: 0 on success, 1 when a computation fails (or a check does not hold),
2 for bad usage (argparse's own convention).
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from tinygrad_bp import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinygrad-bp",
        description="A scalar autograd engine for learning, teaching and checking "
                    "backpropagation.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    del commands  # subcommands arrive with the issues that build them
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
