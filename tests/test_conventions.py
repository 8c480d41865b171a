"""The conventions people expect of a CLI: --version, shell completion, examples in
every help and a description for every option ("did you mean" and relative dates
are in test_input_hints).

Version and completion are the process's behaviour (the shell runs ``alliance``
on each Tab), so they run as real processes.
"""

import os
import shutil
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

import orjson
import pytest
import typer

from alliance_cli.cli import app

from conftest import digest

BIN = Path(sys.executable).parent


def cli(*args: str, env: dict, **extra) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "alliance_cli", *args], env=env, capture_output=True,
                          text=True, timeout=60, **extra)


@pytest.fixture
def env(tmp_path) -> dict:
    """The process environment of the test (a temp tracker, a temp home), without PYTHONPATH surprises."""
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


# --- --version ------------------------------------------------------------------

def test_version_prints_the_package_version_fast_and_touches_nothing(env, db, tmp_path):
    result = cli("--version", env=env)
    assert (result.returncode, result.stdout, result.stderr) == (0, f"alliance {version('alliance-cli')}\n", "")
    assert not db.exists() and not (tmp_path / "xdg-data").exists()
    # Answered before Typer (or anything heavy) is imported.
    probe = subprocess.run([sys.executable, "-c", (
        "import sys\nfrom alliance_cli.launch import run; run(['--version'])\n"
        "print(sorted(m for m in ('typer', 'rich', 'tinydb', 'dateutil') if m in sys.modules))")],
        env=env, capture_output=True, text=True, timeout=60)
    assert probe.stdout.splitlines() == [f"alliance {version('alliance-cli')}", "[]"], probe.stderr


def test_version_with_other_options_and_in_the_package(run, db):
    assert run("--db", str(db), "--version").stdout == f"alliance {version('alliance-cli')}\n"
    assert not db.exists()
    import alliance_cli

    assert alliance_cli.__version__ == version("alliance-cli")
    assert "--version" in run("--help").stdout


# --- shell completion -------------------------------------------------------------

def complete(env: dict, shell: str, line: str) -> subprocess.CompletedProcess:
    """What the shell's completion script asks alliance for when Tab is pressed after ``line``."""
    words = line.split()
    extra = {"_ALLIANCE_COMPLETE": f"complete_{shell}"}
    if shell == "bash":
        cword = len(words) if line.endswith(" ") else len(words) - 1
        extra.update(COMP_WORDS=line, COMP_CWORD=str(cword))
    else:
        extra.update(_TYPER_COMPLETE_ARGS=line, _TYPER_COMPLETE_FISH_ACTION="get-args")
    return cli(env={**env, **extra})


def test_bash_completes_ids_in_the_case_typed(env, seeded):
    result = complete(env, "bash", "alliance show sec-")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.split() == [f"sec-{n}" for n in range(1, 9)]
    assert complete(env, "bash", "alliance log CLIM").stdout.split() == ["CLIMATE-1", "CLIMATE-2", "CLIMATE-3"]
    assert complete(env, "bash", "alliance edit ECON-7").stdout.split() == ["ECON-7"]
    # update-status ID... STATUS: after an id, another id or the status.
    assert complete(env, "bash", "alliance update-status SEC-1 CLIMATE-").stdout.split() == [
        "CLIMATE-1", "CLIMATE-2", "CLIMATE-3"]
    assert complete(env, "bash", "alliance update-status SEC-1 ECON-2 imp").stdout.split() == ["implemented"]


def test_zsh_completes_statuses_with_their_definitions(env, seeded):
    out = complete(env, "zsh", "alliance update-status SEC-1 in-").stdout
    assert '"in-progress":"Work has started' in out
    out = complete(env, "zsh", "alliance list --status ").stdout
    assert all(f'"{name}":' in out for name in ("not_assessed", "partial", "implemented", "abandoned"))


def test_log_kinds_complete_without_a_tracker(env):
    assert complete(env, "bash", "alliance log --kind ").stdout.split() == [
        "status", "add", "edit", "import", "undo", "resolve", "init"]
    assert complete(env, "bash", "alliance log -k Ed").stdout.split() == ["Edit"]


def test_fish_completes_pillars_with_their_names(env, seeded):
    out = complete(env, "fish", "alliance report --pillar ").stdout
    assert out.splitlines() == ["SEC\tSecurity and Defense", "ECON\tEconomic Security and Supply Chains",
                                "CYBER\tDigital and Cybersecurity", "CLIMATE\tClimate and Energy"]
    assert complete(env, "fish", "alliance add --pillar cy").stdout.splitlines() == [
        "cyber\tDigital and Cybersecurity"]


def test_completion_reads_the_tracker_named_by_db(env, run, tmp_path, seeded):
    other = tmp_path / "other.json"
    run("--db", str(other), "add", "--pillar", "SEC", "--title", "Only in the other tracker", "--id", "SEC-99")
    assert "SEC-99" in complete(env, "bash", f"alliance --db {other} show SEC-9").stdout.split()
    assert "SEC-99" not in complete(env, "bash", "alliance show SEC-9").stdout.split()


def test_completion_without_a_tracker_is_silent_and_creates_nothing(env, tmp_path):
    no_db = {k: v for k, v in env.items() if k != "ALLIANCE_DB"}
    for shell, line in (("bash", "alliance show S"), ("zsh", "alliance list --pillar "),
                        ("fish", "alliance --db missing.json edit ")):
        result = complete(no_db, shell, line)
        assert result.returncode == 0 and result.stderr == ""
        assert "SEC" not in result.stdout
    assert not (tmp_path / "xdg-data").exists() and not (tmp_path / "tracker.json").exists()
    # Statuses need no tracker.
    assert complete(no_db, "bash", "alliance list --status imp").stdout.split() == ["implemented"]


@pytest.mark.parametrize("damage", ["garbage", "empty", "directory", "newer-schema"])
def test_completion_on_a_broken_tracker_is_silent(env, seeded, damage):
    if damage == "directory":
        seeded.unlink()
        seeded.mkdir()
    elif damage == "newer-schema":
        head = orjson.loads(seeded.read_bytes())
        head["meta"]["1"]["schema"] = 999
        seeded.write_bytes(orjson.dumps(head))
    else:
        seeded.write_text("" if damage == "empty" else "{not json")
    before = digest(seeded) if seeded.is_file() else None
    result = complete(env, "bash", "alliance show SEC-")
    assert (result.returncode, result.stdout.strip(), result.stderr) == (0, "", "")
    assert (digest(seeded) if seeded.is_file() else None) == before


def test_completion_is_fast(env, seeded):
    complete(env, "bash", "alliance show SEC-")  # warm the file cache
    start = time.perf_counter()
    for _ in range(3):
        assert complete(env, "bash", "alliance show SEC-").stdout
    assert (time.perf_counter() - start) / 3 < 1.5


def test_completion_help_text_is_escaped(env, run, seeded):
    run("add", "--pillar", "SEC", "--title", "evil\x1b[2J\u200btitle", "--id", "SEC-42")
    run("add", "--pillar", "SEC", "--title", "[/] not [bold]markup[/bold]", "--id", "SEC-43")
    for shell in ("fish", "zsh"):
        result = complete(env, shell, "alliance show SEC-4")
        assert (result.returncode, result.stderr) == (0, "")
        assert "evil\\x1b[2J\\u200btitle" in result.stdout and "\x1b" not in result.stdout
        assert "[/] not [bold]markup[/bold]" in result.stdout  # shown as typed, never applied


def test_show_and_install_completion(env, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    # Typer detects the shell from the parent process; this picks the shell by name instead.
    env = {**env, "HOME": str(home), "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    shown = cli("--show-completion", "bash", env=env)
    assert shown.returncode == 0 and "_ALLIANCE_COMPLETE=complete_bash" in shown.stdout
    installed = cli("--install-completion", "bash", env=env)
    assert installed.returncode == 0, installed.stderr
    script = home / ".bash_completions" / "alliance.sh"
    assert script.is_file() and str(script) in (home / ".bashrc").read_text()


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_installed_bash_script_completes_in_bash(env, seeded, tmp_path):
    script = cli("--show-completion", "bash", env={**env, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"})
    path = tmp_path / "alliance.sh"
    path.write_text(script.stdout)
    # The console script is what the shell runs; make one that runs this Python.
    wrapper = tmp_path / "bin" / "alliance"
    wrapper.parent.mkdir()
    wrapper.write_text(f"#!/bin/sh\nexec {sys.executable} -m alliance_cli \"$@\"\n")
    wrapper.chmod(0o755)
    shell = subprocess.run(["bash", "--norc", "--noprofile", "-c", (
        f"source {path}; COMP_WORDS=(alliance update-status sec-1 in); COMP_CWORD=3; "
        "_alliance_completion alliance; printf '%s\\n' \"${COMPREPLY[@]}\"")],
        env={**env, "PATH": f"{wrapper.parent}{os.pathsep}{env['PATH']}"}, capture_output=True, text=True,
        timeout=60)
    assert shell.stdout.split() == ["in_progress"], shell.stderr


# --- help ---------------------------------------------------------------------------

COMMANDS = sorted(typer.main.get_command(app).commands)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_help_shows_an_example(run, command):
    out = run(command, "--help").stdout
    assert "Examples:" in out
    examples = [line.strip() for line in out.split("Examples:")[1].splitlines() if line.strip()]
    assert examples and all(line.startswith("$ alliance ") for line in examples)
    assert any(line.startswith(f"$ alliance {command}") or f" {command}" in line for line in examples)
    assert max(len(line) for line in out.splitlines()) <= 100  # examples are one a line, never rewrapped


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_and_argument_has_a_description(command):
    group = typer.main.get_command(app)
    params = group.commands[command].params
    missing = [param.name for param in params if not (getattr(param, "help", None) or "").strip()]
    assert not missing, f"{command}: {missing} have no help"


def test_the_main_help_has_examples(run):
    out = run("--help").stdout
    assert "$ alliance update-status" in out and "--install-completion" in out
