"""Command line: `celery-patterns check|rule|rules|lsp`."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="celery-patterns")
    sub = parser.add_subparsers(dest="command", required=True)
    lsp = sub.add_parser("lsp", help="run the language server (stdio)")
    lsp.add_argument("--tcp", metavar="HOST:PORT")
    args = parser.parse_args(argv)
    if args.command == "lsp":
        from .lsp.server import start

        start(tcp=args.tcp)
        return 0
    return 2
