"""The pager, in a real pseudo-terminal: tall output through $ALLIANCE_PAGER, never when piped.

The fake pager is a small script that records what it reads; alliance runs as a process
whose stdin and stdout are the pty (stderr a pipe), so its terminal detection is real.
"""

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

ROWS, COLS = 24, 80


@pytest.fixture
def pager(tmp_path) -> Path:
    script = tmp_path / "fake-pager"
    script.write_text(f"#!/bin/sh\ncat > {tmp_path / 'paged.txt'}\n")
    script.chmod(0o755)
    return script


@pytest.fixture
def tracker(backdated, run):
    """60 status changes: taller than the screen, more than log's 50."""
    for day in range(1, 31):
        for rec in ("SEC-1", "ECON-2"):
            run("update-status", rec, "in_progress" if day % 2 else "partial", "--date", f"2024-01-{day:02d}",
                "--note", f"step {day} of {rec}")


def in_pty(*args: str, env: dict | None = None) -> tuple[int, str, str]:
    """Run alliance with the pty as stdin and stdout: (exit code, what the terminal showed, stderr)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    environ = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "PAGER")}
    environ.update({"TERM": "xterm-256color", **(env or {})})
    proc = subprocess.Popen([sys.executable, "-m", "alliance_cli", *args], stdin=slave, stdout=slave,
                            stderr=subprocess.PIPE, env=environ, close_fds=True)
    os.close(slave)
    shown = b""
    while True:
        ready, _, _ = select.select([master], [], [], 20)
        if not ready:
            proc.kill()
            raise AssertionError("alliance did not finish")
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the other end is closed
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    stderr = proc.stderr.read().decode()
    return proc.wait(), shown.decode(errors="replace"), stderr


def paged(tmp_path) -> str | None:
    path = tmp_path / "paged.txt"
    return path.read_text() if path.exists() else None


def dated(text: str) -> list[str]:
    import re

    plain = re.sub(r"\x1b\[[0-9;]*m|\x1b\]8;[^\x1b]*\x1b\\", "", text)
    return [line for line in plain.splitlines() if re.match(r"2024-01-\d\d  ", line)]


def test_a_tall_log_goes_through_the_pager_with_the_newest_50(tracker, pager, tmp_path):
    code, shown, stderr = in_pty("log", env={"ALLIANCE_PAGER": str(pager)})
    assert code == 0, stderr
    rows = dated(paged(tmp_path))
    assert len(rows) == 50 and rows[0].startswith("2024-01-30") and "ECON-2" in "".join(rows)
    assert "\x1b[" in paged(tmp_path)  # drawn for the terminal, colours and all
    assert dated(shown) == []  # nothing of it outside the pager
    assert "showing 50 of 60" in stderr


def test_limit_zero_pages_all_and_a_limit_is_never_negative(tracker, pager, tmp_path):
    in_pty("log", "--limit", "0", env={"ALLIANCE_PAGER": str(pager)})
    assert len(dated(paged(tmp_path))) == 60
    code, _, stderr = in_pty("log", "--limit", "-1", env={"ALLIANCE_PAGER": str(pager)})
    assert code == 2 and "--limit" in stderr and "greater than or equal to 0" in stderr


def test_pager_falls_back_on_pager_then_less(tracker, pager, tmp_path):
    in_pty("log", env={"PAGER": str(pager)})
    assert len(dated(paged(tmp_path))) == 50


@pytest.mark.parametrize("args", [("log", "--no-pager"), ("log", "--limit", "5"), ("statuses",)])
def test_no_pager_when_asked_or_when_it_fits(tracker, pager, tmp_path, args):
    code, shown, _ = in_pty(*args, env={"ALLIANCE_PAGER": str(pager)})
    assert code == 0 and paged(tmp_path) is None
    assert "2024-01-30" in shown or "implemented" in shown


def test_a_pager_that_cannot_start_leaves_the_output_on_the_terminal(tracker, tmp_path):
    code, shown, stderr = in_pty("log", env={"ALLIANCE_PAGER": str(tmp_path / "no-such-pager")})
    assert code == 0, stderr
    assert len(dated(shown)) == 50


def test_never_when_piped_or_with_output(tracker, pager, tmp_path):
    env = {**os.environ, "ALLIANCE_PAGER": str(pager), "COLUMNS": str(COLS)}
    piped = subprocess.run([sys.executable, "-m", "alliance_cli", "log"], capture_output=True, text=True, env=env)
    assert piped.returncode == 0 and len(piped.stdout.splitlines()) == 61  # header and every row: no limit
    code, _, _ = in_pty("log", "--output", str(tmp_path / "log.md"), env={"ALLIANCE_PAGER": str(pager)})
    assert code == 0 and paged(tmp_path) is None and (tmp_path / "log.md").exists()
