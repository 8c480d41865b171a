"""A progress bar on stderr for a batch or an import that takes more than a second.

Only when stderr is a terminal, and only once a second has gone by: a quick
command never flickers, and a piped or captured stderr (a script's log, a test)
never sees it. Transient, so that it leaves the terminal as it found it, with the
command's own lines only.

The bar is drawn by Rich's refresh thread, started from a timer thread. Both are
started with SIGINT blocked, as threads inherit their creator's mask: Ctrl-C is
always taken by the main thread, so ``Tracker.write`` can hold it during a commit.
"""

import signal
import sys
import threading
from typing import IO


class Meter:
    """``with Meter("updating", total) as meter: … meter.advance()``; ``meter.stage("saving")``."""

    def __init__(self, description: str, total: int | None = None, *, stream: IO[str] | None = None,
                 delay: float = 1.0):
        self.stream = stream if stream is not None else sys.stderr
        self.description, self.total, self.done = description, total, 0
        self.delay = delay
        self._lock = threading.Lock()
        self._bar = self._task = self._timer = None
        self._closed = False

    def __enter__(self) -> "Meter":
        if not _is_terminal(self.stream):
            return self
        if self.delay <= 0:
            self._show()
            return self
        self._timer = threading.Timer(self.delay, self._show)
        self._timer.daemon = True
        _without_sigint(self._timer.start)
        return self

    def __exit__(self, *exc) -> None:
        with self._lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
            if self._bar is not None:
                self._bar.stop()

    def advance(self, count: int = 1) -> None:
        with self._lock:
            self.done += count
            if self._bar is not None:
                self._bar.update(self._task, completed=self.done)

    def stage(self, description: str, total: int | None = None) -> None:
        """A new step of the same command: its words and, given a ``total``, its own count from 0
        (without one, the bar stays where it is: "saving" after the last update)."""
        with self._lock:
            self.description = description
            if total is not None:
                self.total, self.done = total, 0
            if self._bar is not None:
                self._bar.update(self._task, description=description, total=self.total, completed=self.done)

    def _show(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with self._lock:
            if self._closed:
                return
            bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                           console=Console(file=self.stream), transient=True)
            self._task = bar.add_task(self.description, total=self.total, completed=self.done)
            _without_sigint(bar.start)
            self._bar = bar


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _without_sigint(start) -> None:
    """Run ``start`` (which starts a thread) with SIGINT blocked, so that its thread never takes Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        start()  # already a thread of ours, started without SIGINT
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
