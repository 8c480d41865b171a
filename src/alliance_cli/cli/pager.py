"""A pager as git uses one: output taller than the terminal goes through it.

Only when stdout is a terminal (never piped nor with --output) and not --no-pager.
Output is held until it is taller than the screen, then the pager starts and gets all of it
as it comes; shorter output is written as it is. The pager is ``$ALLIANCE_PAGER``, else
``$PAGER``, else ``less -FRX`` (a command and its arguments, run without a shell); an empty
value or ``cat`` means none. A pager that cannot start leaves the output on the terminal.
"""

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import sys

DEFAULT = "less -FRX"


def command() -> list[str] | None:
    for name in ("ALLIANCE_PAGER", "PAGER"):
        if name in os.environ:
            value = os.environ[name].strip()
            break
    else:
        value = DEFAULT
    try:
        argv = shlex.split(value)
    except ValueError:
        return None
    return None if not argv or argv == ["cat"] else argv


class Gate:
    """A stdout for one command's output: passed through, or through the pager once it is too tall."""

    def __init__(self, out=None):
        self.out = out or sys.stdout
        self.encoding = getattr(self.out, "encoding", "utf-8")
        self.height = shutil.get_terminal_size().lines
        self.held: list[str] = []
        self.lines = 0
        self.proc: subprocess.Popen | None = None
        self.passing = False  # written straight to stdout
        self.closed_by_reader = False  # the pager quit before the end: the rest is dropped

    def isatty(self) -> bool:  # Rich asks, to draw for a terminal
        return self.out.isatty()

    def fileno(self) -> int:
        return self.out.fileno()

    def write(self, text: str) -> int:
        if self.closed_by_reader:
            pass
        elif self.passing:
            self.out.write(text)
        elif self.proc is not None:
            self._to_pager(text)
        else:
            self.held.append(text)
            self.lines += text.count("\n")
            if self.lines >= self.height:  # taller than the screen, with the prompt after it
                self._start()
        return len(text)

    def flush(self) -> None:
        if self.passing:
            self.out.flush()

    def _start(self) -> None:
        argv = command()
        env = dict(os.environ)
        env.setdefault("LESS", "FRX")  # as git: colours through, no screen clearing, quit if it fits
        env.setdefault("LV", "-c")
        proc = None
        if argv is not None:
            try:
                proc = subprocess.Popen(argv, stdin=subprocess.PIPE, env=env, text=True,
                                        encoding="utf-8", errors="replace")
            except OSError:
                proc = None
        held, self.held = "".join(self.held), []
        if proc is None:
            self._pass(held)
            return
        self.proc = proc
        self._to_pager(held)
        if self.closed_by_reader and proc.wait() != 0:  # it failed at once: nothing was shown
            self.proc, self.closed_by_reader = None, False
            self._pass(held)

    def _pass(self, held: str) -> None:
        self.passing = True
        self.out.write(held)

    def _to_pager(self, text: str) -> None:
        try:
            self.proc.stdin.write(text)
        except (BrokenPipeError, OSError):
            self.closed_by_reader = True

    def close(self) -> None:
        """Done: show what was held, or wait for the reader to leave the pager."""
        if self.proc is None:
            if self.held:
                self.out.write("".join(self.held))
                self.held = []
            self.out.flush()
            return
        with contextlib.suppress(BrokenPipeError, OSError):
            self.proc.stdin.close()
        # Ctrl-C belongs to the pager while it runs (as with git): alliance waits for it.
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            self.proc.wait()
        finally:
            signal.signal(signal.SIGINT, previous)
