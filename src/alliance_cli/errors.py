"""Exceptions the CLI turns into one line on stderr and an exit code.

The core raises these; only ``cli`` decides how they are shown. Exit codes are
part of the interface (documented in the README): 1 for a failure of the
tracker or its file, 2 for bad usage or bad input.
"""

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


class AllianceError(Exception):
    """A failure the user should see as one clear line, not a traceback."""

    exit_code = EXIT_FAILURE


class InputError(AllianceError):
    """The user gave something we refuse: nothing is written."""

    exit_code = EXIT_USAGE


class StoreError(AllianceError):
    """The data file cannot be read or written as it is."""


class BusyError(StoreError):
    """Another command holds the tracker's lock for longer than we wait."""


class Interrupted(AllianceError):
    """Ctrl-C: the message says whether the command's change was saved."""

    exit_code = EXIT_INTERRUPTED
