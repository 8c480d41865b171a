"""The command line: ``app`` with every command registered."""

# Each module registers its commands, in the order `alliance --help` lists them.
from alliance_cli.cli import reading, writing  # noqa: F401

# isort: split
from alliance_cli.cli import merging, team  # noqa: F401
from alliance_cli.cli.app import app, main

__all__ = ["app", "main"]
