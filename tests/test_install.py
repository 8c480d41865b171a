"""The package installs non-editable into a fresh venv and works there, brief included."""

import json
import os
import shutil
import subprocess
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_non_editable_install_ships_the_brief(tmp_path):
    source = tmp_path / "src-copy"
    # A copy, so the build cannot see anything but the project's own files.
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv", "venv", "*.egg-info",
                                                                  "__pycache__", ".pytest_cache"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    pip = env_dir / "bin" / "pip"
    installed = subprocess.run([str(pip), "install", "-q", str(source)], capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr[-2000:]
    shutil.rmtree(source)  # the installed tool must not need the checkout
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(ALLIANCE_DB=str(tmp_path / "t.json"), HOME=str(tmp_path))
    listed = subprocess.run([str(env_dir / "bin" / "alliance"), "list"], capture_output=True, text=True,
                            env=env, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "SEC-1\tSEC\tnot_assessed" in listed.stdout
    shipped = json.loads((ROOT / "data" / "us-rok-2024.json").read_text(encoding="utf-8"))
    assert len(listed.stdout.splitlines()) == 1 + len(shipped["recommendations"])
    module = subprocess.run([str(env_dir / "bin" / "python"), "-m", "alliance_cli", "path"],
                            capture_output=True, text=True, env=env, cwd=tmp_path)
    assert module.stdout.splitlines() == [str(tmp_path / "t.json"), str(tmp_path / "t.json.bodies")]
