"""The tracker's git repository, driven through the ``git`` command (no git library).

Every call is ``git -C FOLDER …`` with a fixed environment: ``LC_ALL=C`` so that
what we parse is git's plain English, ``GIT_TERMINAL_PROMPT=0`` so that a remote
asking for a password fails at once instead of hanging, and stdin closed.
``Repository`` knows only git: which files are the tracker's is said by the caller
(``paths``, relative to the repository's top folder).
"""

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from alliance_cli.errors import StoreError

DRIVER = "alliance"  # merge.<DRIVER>.driver, and merge=<DRIVER> in .gitattributes
DRIVER_NAME = "alliance tracker merge (three-way, by id)"
IGNORED = ("*.lock", "*.bak", "*.bak-v*", "*.replaced-*", ".alliance-tmp-*")
# The states in which git is in the middle of something a pull must not be mixed into.
UNFINISHED = {"MERGE_HEAD": "a merge", "CHERRY_PICK_HEAD": "a cherry-pick", "REVERT_HEAD": "a revert",
              "rebase-merge": "a rebase", "rebase-apply": "a rebase or `git am`"}


class GitError(StoreError):
    """git could not do what was asked; the message ends with git's own last words."""


def git_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(LC_ALL="C", LANGUAGE="C", GIT_TERMINAL_PROMPT="0", GIT_MERGE_AUTOEDIT="no")
    env.pop("GIT_DIR", None)  # the tracker's folder says which repository; an inherited one must not
    env.pop("GIT_WORK_TREE", None)
    return env


def run_git(folder: Path, *args: str, check: bool = True, what: str = "") -> subprocess.CompletedProcess:
    """``git -C folder args``: its output as text; with ``check``, a failure is a ``GitError``."""
    try:
        done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, env=git_env(), errors="replace")
    except FileNotFoundError:
        raise GitError("git is not installed (or not on PATH): install git to share a tracker") from None
    if check and done.returncode != 0:
        raise GitError(f"{what or 'git ' + args[0]} failed: {last_words(done)}")
    return done


def last_words(done: subprocess.CompletedProcess) -> str:
    """git's most telling line: the last of stderr that says something (else of stdout); one
    that ends with a colon gets the names git lists below it."""
    for stream in (done.stderr, done.stdout):
        lines = stream.splitlines()
        said = [n for n, line in enumerate(lines) if line.strip()]
        fatal = [n for n in said if lines[n].startswith(("fatal:", "error:", "!"))]
        if not said:
            continue
        chosen = (fatal or said)[-1]
        line = lines[chosen].strip()
        if line.endswith(":"):
            listed = []
            for following in lines[chosen + 1:]:
                if not following[:1].isspace():
                    break
                listed.append(following.strip())
            line = f"{line} {', '.join(listed)}" if listed else line.rstrip(":")
        return line
    return f"git exited {done.returncode}"


def driver_command() -> str:
    """The command line git is to run as the merge driver: this very alliance, by absolute path.

    git runs it through a shell, from wherever the merge happens, often without the
    virtual environment alliance lives in on PATH: a bare ``alliance`` could be
    missing there, or another version. So: the ``alliance`` running now, else the one
    installed beside this Python, else the one on PATH, else this Python's module.
    The path is made absolute but its links are kept: a package manager's link
    (``/opt/homebrew/bin/alliance``) outlives the versioned folder it points to.
    """
    candidates = []
    if Path(sys.argv[0]).name == "alliance":
        candidates.append(sys.argv[0])
    candidates.append(os.path.join(os.path.dirname(sys.executable), "alliance"))
    if found := shutil.which("alliance"):
        candidates.append(found)
    for candidate in candidates:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            program = shlex.quote(os.path.abspath(candidate))
            break
    else:
        program = f"{shlex.quote(sys.executable)} -m alliance_cli"
    return f"{program} merge-driver %O %A %B %P"


class Repository:
    """The git repository holding a tracker's folder."""

    def __init__(self, folder: Path, top: Path, git_dir: Path):
        self.folder = folder  # the tracker's folder: where git runs
        self.top = top  # the repository's top folder: what git's paths are relative to
        self.git_dir = git_dir  # this work tree's own: where a merge or a rebase in progress is
        self._config: dict[str, str] | None = None

    @classmethod
    def find(cls, folder: Path) -> "Repository | None":
        done = run_git(folder, "rev-parse", "--show-toplevel", "--absolute-git-dir", check=False)
        if done.returncode != 0:
            if "not a git repository" in done.stderr:
                return None
            raise GitError(f"git cannot read the repository of {folder}: {last_words(done)}")
        top, git_dir = done.stdout.rstrip("\n").split("\n")
        return cls(folder, Path(top), Path(git_dir))

    @classmethod
    def create(cls, folder: Path) -> "Repository":
        run_git(folder, "init", "-q", what="git init")
        found = cls.find(folder)
        if found is None:
            raise GitError(f"git init made no repository in {folder}")
        return found

    def git(self, *args: str, check: bool = True, what: str = "") -> subprocess.CompletedProcess:
        return run_git(self.folder, *args, check=check, what=what)

    def relative(self, path: Path) -> str:
        """``path`` as git names it: relative to the top folder, with forward slashes."""
        return Path(os.path.realpath(path)).relative_to(os.path.realpath(self.top)).as_posix()

    # --- configuration --------------------------------------------------------------

    def config(self, key: str) -> str | None:
        """A value of the repository's own configuration (.git/config), read once."""
        if self._config is None:
            done = self.git("config", "--local", "--list", "-z", check=False)
            entries = (item.partition("\n") for item in done.stdout.split("\0") if item)
            self._config = {name: value for name, _, value in entries}  # git lowers what ignores case
        section, _, name = key.rpartition(".")
        subsection = section.partition(".")  # only section and variable names ignore case
        return self._config.get(f"{subsection[0].lower()}{subsection[1]}{subsection[2]}.{name.lower()}")

    def set_config(self, key: str, value: str) -> None:
        self.git("config", "--local", key, value, what=f"git config {key}")
        self._config = None

    def attribute(self, path: str, name: str) -> str:
        """The value of attribute ``name`` for ``path`` (``unspecified`` when none is set)."""
        done = run_git(self.top, "check-attr", "-z", name, "--", path, what="git check-attr")  # from the top
        fields = done.stdout.split("\0")
        return fields[2] if len(fields) > 2 else "unspecified"

    def remote_url(self, remote: str) -> str | None:
        return self.config(f"remote.{remote}.url")

    def set_remote(self, remote: str, url: str) -> None:
        verb = "set-url" if self.remote_url(remote) is not None else "add"
        self.git("remote", verb, remote, url, what=f"git remote {verb}")
        self._config = None

    # --- where the repository stands ------------------------------------------------

    def unfinished(self) -> str | None:
        """What git is in the middle of (a merge, a rebase…), or None."""
        return next((what for name, what in UNFINISHED.items() if os.path.lexists(self.git_dir / name)), None)

    def branch(self) -> str | None:
        """The branch checked out, or None on a detached HEAD."""
        done = self.git("symbolic-ref", "-q", "--short", "HEAD", check=False)
        return done.stdout.rstrip("\n") or None if done.returncode == 0 else None

    def upstream(self, branch: str) -> tuple[str, str] | None:
        """The (remote, branch there) that ``branch`` tracks, or None."""
        remote, merge = self.config(f"branch.{branch}.remote"), self.config(f"branch.{branch}.merge")
        if not remote or not merge or remote == ".":
            return None
        return remote, merge.removeprefix("refs/heads/")

    def commit_id(self, ref: str = "HEAD") -> str | None:
        done = self.git("rev-parse", "-q", "--verify", f"{ref}^{{commit}}", check=False)
        return done.stdout.strip() if done.returncode == 0 else None

    def remote_branches(self) -> list[str]:
        done = self.git("for-each-ref", "--format=%(refname:short)", "refs/remotes", what="git for-each-ref")
        return [name for name in done.stdout.split() if not name.endswith("/HEAD")]

    def contains(self, ancestor: str, descendant: str) -> bool:
        return self.git("merge-base", "--is-ancestor", ancestor, descendant, check=False).returncode == 0

    def changed(self) -> list[str]:
        """Every tracked path (relative to the top) whose index or working copy differs from HEAD."""
        done = self.git("status", "--porcelain=v1", "-z", "--untracked-files=no", "--ignore-submodules=none",
                        what="git status")
        paths, fields = [], done.stdout.split("\0")
        index = 0
        while index < len(fields) and fields[index]:
            entry = fields[index]
            paths.append(entry[3:])
            if entry[0] in "RC":  # a rename names its source in the next field
                index += 1
                paths.append(fields[index])
            index += 1
        return paths

    def unmerged(self) -> list[str]:
        done = self.git("diff", "--name-only", "-z", "--diff-filter=U", what="git diff")
        return [name for name in done.stdout.split("\0") if name]

    def stages(self, path: str) -> dict[int, str]:
        """An unmerged path's versions in the index: {stage (1 base, 2 ours, 3 theirs): blob}."""
        done = self.git("ls-files", "-u", "-z", "--", f":(top,literal){path}", what="git ls-files")
        found = {}
        for entry in filter(None, done.stdout.split("\0")):
            _mode, blob, stage = entry.partition("\t")[0].split(" ")
            found[int(stage)] = blob
        return found

    def blob(self, blob: str) -> bytes:
        done = subprocess.run(["git", "-C", str(self.folder), "cat-file", "blob", blob], capture_output=True,
                              stdin=subprocess.DEVNULL, env=git_env())
        if done.returncode != 0:
            raise GitError(f"git cat-file {blob} failed: {done.stderr.decode(errors='replace').strip()}")
        return done.stdout

    def run_driver(self, base: Path, ours: Path, theirs: Path, path: str) -> int:
        """Run the registered merge driver as git would (``%O %A %B %P``, through a shell, from
        the top folder); its exit code."""
        command = self.config(f"merge.{DRIVER}.driver") or ""
        for placeholder, value in (("%O", base), ("%A", ours), ("%B", theirs), ("%P", path)):
            command = command.replace(placeholder, shlex.quote(str(value)))
        return subprocess.run(["sh", "-c", command], cwd=self.top, capture_output=True, stdin=subprocess.DEVNULL,
                              env=git_env()).returncode

    def show(self, commit: str, path: str) -> bytes | None:
        """The bytes of ``path`` in ``commit``, or None if it has none."""
        done = subprocess.run(["git", "-C", str(self.folder), "show", f"{commit}:{path}"], capture_output=True,
                              stdin=subprocess.DEVNULL, env=git_env())
        return done.stdout if done.returncode == 0 else None

    def index_tree(self) -> str:
        return self.git("write-tree", what="git write-tree").stdout.strip()

    # --- changing it ----------------------------------------------------------------

    def commit(self, paths: list[str], message: str) -> bool:
        """Commit exactly ``paths`` (added, changed or removed), nothing else staged; False if
        they hold no change."""
        specs = [f":(top,literal){path}" for path in paths]
        self.git("add", "-A", "--", *specs, what="git add")
        if self.git("diff", "--cached", "--quiet", "--", *specs, check=False).returncode == 0:
            return False
        self.git("commit", "-q", "--no-verify", "-m", message, "--", *specs, what="git commit")
        return True

    def fetch(self, remote: str) -> None:
        self.git("fetch", "-q", "--no-recurse-submodules", remote, what=f"git fetch from {remote}")

    def pull(self, remote: str, branch: str) -> subprocess.CompletedProcess:
        """Merge ``branch`` of ``remote`` into HEAD, always as a merge (so that the merge driver
        runs), whatever the user's pull.rebase, pull.ff, merge.ff or autostash settings."""
        return self.git("pull", "-q", "--no-rebase", "--ff", "--commit", "--no-edit", "--no-squash",
                        "--no-autostash", "--no-verify", "--no-recurse-submodules", remote, branch, check=False)

    def push(self, remote: str, branch: str, *, set_upstream: bool) -> None:
        self.git("push", "-q", "--porcelain", "--no-recurse-submodules", *(["-u"] if set_upstream else []),
                 remote, f"HEAD:refs/heads/{branch}", what=f"git push to {remote}")

    def finish_merge(self, paths: list[str], message: str) -> None:
        """Conclude a merge whose only conflicts were in ``paths``, as they now stand."""
        self.git("add", "-A", "--", *(f":(top,literal){path}" for path in paths), what="git add")
        self.git("commit", "-q", "--no-verify", "-m", message, what="git commit")

    def roll_back(self, commit: str, index_tree: str, *, keep: str | None) -> None:
        """HEAD, index and files back as they were: HEAD at ``commit``, the index as
        ``index_tree``, the files as in ``keep`` (the commit of what was uncommitted) or ``commit``."""
        if self.commit_id("MERGE_HEAD") is not None:
            self.git("merge", "--abort", check=False)
        self.git("reset", "-q", "--keep", keep or commit, what="git reset")
        self.git("reset", "-q", "--soft", commit, what="git reset")
        self.git("read-tree", index_tree, what="git read-tree")
