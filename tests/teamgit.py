"""Analysts sharing one tracker through real git: local bare repositories, no network.

Every git run (ours and alliance's) sees only the configuration made here: no
system file, a global file of the test's own, fixed author and committer.
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

GIT_IDENTITY = {"GIT_AUTHOR_NAME": "Test Analyst", "GIT_AUTHOR_EMAIL": "analyst@example.org",
                "GIT_COMMITTER_NAME": "Test Analyst", "GIT_COMMITTER_EMAIL": "analyst@example.org"}


def git_sandbox(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Environment variables for a test using git: the user's configuration never leaks in
    (``folder``, apart from the test's trackers, holds the test's own global configuration)."""
    config = folder / "gitconfig"
    config.write_text("[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder / "xdg-config"))
    for name, value in GIT_IDENTITY.items():
        monkeypatch.setenv(name, value)
    for name in ("GIT_DIR", "GIT_WORK_TREE", "ALLIANCE_USER"):
        monkeypatch.delenv(name, raising=False)


def git(folder: Path, *args: str, check: bool = True) -> str:
    done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True)
    if check and done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed in {folder}: {done.stderr}")
    return done.stdout


def bare_repository(path: Path) -> Path:
    git(path.parent, "init", "-q", "--bare", path.name)
    return path


class Analyst:
    """One analyst: a clone of the team's repository and a tracker in it, driven through ``run``."""

    def __init__(self, run, folder: Path, name: str):
        self.run, self.folder, self.name = run, folder, name
        self.db = folder / "us-rok.json"

    def __call__(self, *args: str, code: int = 0):
        env = {"ALLIANCE_USER": self.name, "GIT_AUTHOR_NAME": self.name, "GIT_COMMITTER_NAME": self.name}
        return self.run("--db", str(self.db), *args, code=code, env=env)

    def tracked_bytes(self) -> dict[str, bytes]:
        """The tracker's files as git shares them: the head and its body files (no backups)."""
        bodies = self.db.with_name(self.db.name + ".bodies")
        found = {self.db.name: self.db.read_bytes()}
        found.update({f"{bodies.name}/{p.name}": p.read_bytes() for p in sorted(bodies.glob("*.json"))})
        return found

    def export(self) -> dict:
        return json.loads(self("export").stdout)

    def events(self) -> dict[str, list[dict]]:
        return {rec["id"]: rec["history"] for rec in self.export()["recommendations"]}

    def export_conflicts(self) -> list[dict]:
        return json.loads(self("conflicts", "--json").stdout)

    def head(self) -> str:
        return git(self.folder, "rev-parse", "HEAD").strip()


def start_team(run, tmp_path: Path, names: list[str]) -> list[Analyst]:
    """The first analyst starts the tracker and shares it; the others clone it and set up."""
    remote = bare_repository(tmp_path / "team.git")
    first = Analyst(run, tmp_path / names[0], names[0])
    first.folder.mkdir()
    first("git", "init", "--remote", str(remote))
    first("sync")
    team = [first]
    for name in names[1:]:
        git(tmp_path, "clone", "-q", str(remote), name)
        analyst = Analyst(run, tmp_path / name, name)
        analyst("git", "init")
        team.append(analyst)
    return team


def copy_team(template: Path, target: Path, run, names: list[str]) -> list[Analyst]:
    """The team ``start_team`` made in ``template``, copied to ``target`` (cheaper than making it
    again): the bare repository and each clone, their remote pointed at the copy."""
    shutil.copytree(template, target, symlinks=True, dirs_exist_ok=True)
    for name in names:
        git(target / name, "remote", "set-url", "origin", str(target / "team.git"))
    return [Analyst(run, target / name, name) for name in names]
