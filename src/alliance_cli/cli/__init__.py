"""The command line: ``app`` with every command registered."""

from alliance_cli.cli import merging, reading, writing  # noqa: F401  (they register their commands)
from alliance_cli.cli.app import app, main

__all__ = ["app", "main"]
