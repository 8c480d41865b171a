"""A tracker kept by a team in git: setting its repository up, and syncing it.

``setup`` (`alliance git init`) makes the tracker's folder a repository that merges
the tracker with alliance's own three-way merge driver; ``sync`` (`alliance sync`)
commits the tracker, pulls (a merge, so the driver runs) and pushes.

A sync is all or nothing. It holds the tracker's write lock throughout, so no
alliance command writes the tracker under it. If it cannot finish (the remote cannot
be reached, refuses the push, or the pull cannot be merged) it puts the repository
back as it found it: HEAD, index and the tracker's files, byte for byte, its own
commit and the pull's merge undone. The one exception is a pull whose conflicts the
merge driver kept in the tracker: that merge is committed (the tracker then holds
both values of each conflict) and nothing is pushed until they are resolved.
"""

import os
from dataclasses import dataclass, field
from pathlib import Path

from alliance_cli.core import sync as rules
from alliance_cli.errors import AllianceError, InputError, StoreError
from alliance_cli.store import files, git, layout
from alliance_cli.store.git import GitError, Repository
from alliance_cli.store.layout import JOURNAL, RECS
from alliance_cli.store.tracker import Tracker

ORIGIN = "origin"


# --- alliance git init ---------------------------------------------------------------------

def setup(tracker: Tracker, remote_url: str | None) -> list[str]:
    """Make the tracker's folder (or the repository holding it) ready to share; one line per
    thing done, none if it already was."""
    if remote_url is not None:
        _check_url(remote_url)
    folder = tracker.path.parent
    done = []
    repo = Repository.find(folder)
    if repo is None:
        repo = Repository.create(folder)
        done.append(f"created a git repository in {folder}")
    if not tracker.exists():
        if branches := repo.remote_branches():
            # A clone whose checkout did not bring the team's tracker: a new one here
            # would be committed beside theirs, never merged with it.
            raise StoreError(f"there is no tracker at {tracker.path}, but this repository has the team's "
                             f"branches ({', '.join(branches[:3])}): check out the one that holds the "
                             "tracker (`git switch NAME`), or point --db or ALLIANCE_DB at it")
        tracker.read()  # a tracker to share: from the shipped brief, as any command starts one
    head, bodies = tracker_paths(repo, tracker)
    with files.write_lock(tracker.path, tracker.lock_timeout):  # the commit below reads the tracker
        done += _register_driver(repo)
        wrote = [_add_lines(folder / ".gitattributes", rules.attribute_lines(tracker.path.name)),
                 _add_lines(folder / ".gitignore", git.IGNORED)]
        done += [line for line in wrote if line]
        if repo.attribute(head, "merge") != git.DRIVER:
            raise StoreError(f"git still does not merge {head} with alliance: another attributes file "
                             "overrides .gitattributes (see `git check-attr -a " + head + "`)")
        own = [repo.relative(folder / name) for name in (".gitattributes", ".gitignore")]
        new_tracker = repo.commit_id() is None or repo.show("HEAD", head) is None
        commit = own + ([head, bodies] if new_tracker else [])
        if repo.commit(commit, f"alliance git init: share {tracker.path.name}, merged by alliance"):
            done.append(f"committed {', '.join(commit if new_tracker else own)}")
    if remote_url is not None and repo.remote_url(ORIGIN) != remote_url:
        before = repo.remote_url(ORIGIN)
        repo.set_remote(ORIGIN, remote_url)
        done.append(f"set remote {ORIGIN} to {remote_url} (was {before})" if before
                    else f"added remote {ORIGIN}: {remote_url}")
    return done


def _check_url(url: str) -> None:
    if not url.strip() or url.startswith("-") or any(ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise InputError(f"--remote {url!r}: give a git remote URL or path (https://…, git@host:…, /path/to.git)")


def _register_driver(repo: Repository) -> list[str]:
    command = git.driver_command()
    key = f"merge.{git.DRIVER}.driver"
    before = repo.config(key)
    if repo.config(f"merge.{git.DRIVER}.name") != git.DRIVER_NAME:
        repo.set_config(f"merge.{git.DRIVER}.name", git.DRIVER_NAME)
    if before == command:
        return []
    repo.set_config(key, command)
    if before is None:
        return [f"registered the merge driver in .git/config: {key} = {command}"]
    return [f"updated the merge driver in .git/config: {key} = {command} (was {before})"]


def _add_lines(path: Path, wanted) -> str | None:
    """Add to ``path`` the lines of ``wanted`` it lacks; what was done, or None."""
    raw = files.read_file(path)
    text = "" if raw is None else raw.decode("utf-8", errors="surrogateescape")
    missing = rules.missing_lines(text, wanted)
    if not missing:
        return None
    files.write_atomic(path, rules.appended(text, missing).encode("utf-8", errors="surrogateescape"), mode=0o644)
    return f"{'wrote' if raw is None else 'added to'} {path.name}: {', '.join(missing)}"


def tracker_paths(repo: Repository, tracker: Tracker) -> list[str]:
    """The tracker's head and its folder of bodies, as git names them."""
    return [repo.relative(tracker.path), repo.relative(layout.bodies_dir(tracker.path))]


# --- alliance sync -----------------------------------------------------------------------

@dataclass
class Synced:
    """What a sync did."""

    remote: str
    branch: str
    committed: str | None = None  # the message of the commit of local changes
    incoming: list[dict] = field(default_factory=list)  # rules.incoming, each with "by": [names]
    pulled: bool = False
    pushed: bool = False
    conflicts: int = 0  # kept in the tracker by the pull: nothing was pushed


def sync(tracker: Tracker, open_conflicts) -> Synced:
    """Commit, pull, push: all of it, or (but for conflicts the driver kept) nothing.

    ``open_conflicts(state)`` counts the conflicts a tracker holds; a sync refuses to
    start while there are any, and stops after a pull that brings some.
    """
    if not tracker.exists():
        raise StoreError(f"there is no tracker at {tracker.path}: clone the team's repository, "
                         "or start one and run `alliance git init`")
    folder = tracker.path.parent
    repo = Repository.find(folder)
    if repo is None:
        raise StoreError(f"{folder} is not in a git repository: run `alliance git init --remote URL` first")
    paths = tracker_paths(repo, tracker)
    with files.write_lock(tracker.path, tracker.lock_timeout):
        remote, branch, tracked = _ready(repo, paths)
        state = tracker.read(create=False)
        if count := open_conflicts(state):
            raise AllianceError(f"the tracker holds {count} open conflict{'s' * (count != 1)}: see "
                                "`alliance conflicts`, settle them with `alliance conflicts resolve`, then sync")
        result = Synced(remote, branch)
        start, start_index = repo.commit_id(), repo.index_tree()
        try:
            repo.fetch(remote)
        except GitError as exc:
            raise GitError(f"cannot reach {remote} ({repo.remote_url(remote)}): {_git_words(exc)}") from None
        message = rules.commit_message(_phrases(repo, start, paths[0], state))
        mine = repo.commit(paths, message) and repo.commit_id()
        result.committed = message.partition("\n")[0] if mine else None
        try:
            _pull(repo, tracker, paths, state, result, open_conflicts)
            if result.conflicts:
                return result  # the merge is committed, kept in the tracker; nothing is pushed
            there = repo.commit_id(f"refs/remotes/{remote}/{branch}")
            if there != repo.commit_id():
                _push(repo, remote, branch, set_upstream=not tracked)
                result.pushed = True
        except BaseException:
            repo.roll_back(start, start_index, keep=mine or None)
            raise
    return result


def _ready(repo: Repository, paths: list[str]) -> tuple[str, str, bool]:
    """Refuse what a sync must not run into; (remote, its branch, whether HEAD tracks it)."""
    if what := repo.unfinished():
        raise StoreError(f"the repository {repo.top} is in the middle of {what}: finish or abort it "
                         "(`git status` says how), then sync")
    branch = repo.branch()
    if branch is None:
        raise StoreError(f"the repository {repo.top} has no branch checked out (detached HEAD): "
                         "check out a branch, then sync")
    if repo.commit_id() is None:
        raise StoreError(f"the repository {repo.top} has no commit yet: run `alliance git init` first")
    if repo.config(f"merge.{git.DRIVER}.driver") is None or repo.attribute(paths[0], "merge") != git.DRIVER:
        raise StoreError("this repository does not merge the tracker with alliance yet: run `alliance git init` "
                         "(once per clone), then sync")
    outside = [p for p in repo.changed() if p != paths[0] and not p.startswith(paths[1] + "/")]
    if outside:
        more = f" and {len(outside) - 1} more" if len(outside) > 1 else ""
        raise StoreError(f"{outside[0]}{more} changed outside the tracker in {repo.top}: commit or stash "
                         "what is not the tracker's, then sync")
    upstream = repo.upstream(branch)
    if upstream is not None:
        return upstream[0], upstream[1], True
    if repo.remote_url(ORIGIN) is None:
        raise StoreError("there is no remote to sync with: run `alliance git init --remote URL`")
    return ORIGIN, branch, False


def _pull(repo: Repository, tracker: Tracker, paths: list[str], state, result: Synced, open_conflicts) -> None:
    """Merge what the remote has that HEAD lacks, and say what came in."""
    theirs = repo.commit_id(f"refs/remotes/{result.remote}/{result.branch}")
    if theirs is None or repo.contains(theirs, "HEAD"):
        return
    before = dict(state.head.tables.get(RECS, {})), dict(state.head.tables.get(JOURNAL, {}))
    done = repo.pull(result.remote, result.branch)
    driven = []  # the files git gave the driver and left conflicted
    if done.returncode != 0:
        unmerged = repo.unmerged()
        if not unmerged:
            raise GitError(f"git pull from {result.remote} failed: {git.last_words(done)}")
        outside = [p for p in unmerged if p != paths[0] and not p.startswith(paths[1] + "/")]
        if outside:
            raise GitError(f"the pull from {result.remote} conflicts in {outside[0]}, which is not the "
                           "tracker's: nothing was synced; merge it by hand with git")
        for path in unmerged:
            stages = repo.stages(path)
            if 2 in stages and 3 in stages:
                driven.append(path)
            else:
                _merge_one_sided(repo, path, stages, like=tracker.path)
    merged = _load_merged(tracker, result.remote)
    result.pulled = True
    result.incoming = _incoming(before, merged)
    result.conflicts = open_conflicts(merged)
    if done.returncode != 0:
        if driven and not result.conflicts:
            raise GitError(f"the merge driver failed on {', '.join(driven)}: nothing was synced")
        count = result.conflicts
        repo.finish_merge(paths, f"Merge {result.remote}/{result.branch}" + (
            f", with {count} conflict{'s' * (count != 1)} to resolve" if count else ""))


def _merge_one_sided(repo: Repository, path: str, stages: dict[int, str], *, like: Path) -> None:
    """A body file removed on one side and changed on the other: git passes it to no driver
    (it is a modify/delete conflict), so it is merged here as the driver merges any body
    file, the removed side an empty one. A body left with nothing goes, as alliance's own
    saves remove one."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="alliance-merge-") as scratch:
        versions = []
        for stage, role in ((1, "base"), (2, "ours"), (3, "theirs")):
            version = Path(scratch) / role
            version.write_bytes(repo.blob(stages[stage]) if stage in stages else b"")
            versions.append(version)
        if repo.run_driver(*versions, path) not in (0, 1):
            raise GitError(f"the merge driver failed on {path} (removed on one side, changed on the other): "
                           "nothing was synced")
        merged = versions[1].read_bytes()
    target = repo.top / path
    tables = files.parse(target, merged, "an alliance body file") if merged.strip() else {}
    if any(tables.values()):
        files.write_atomic(target, merged, like=like)  # the mode and group of the tracker's head
    elif os.path.lexists(target):
        os.unlink(target)


def _load_merged(tracker: Tracker, remote: str):
    try:
        return tracker.read(create=False)
    except StoreError as exc:
        raise StoreError(f"the tracker merged with {remote} does not load ({exc}): nothing was synced") from None


def _incoming(before: tuple[dict, dict], merged) -> list[dict]:
    """What the pull changed, per recommendation, each with ``by``: who recorded its new events
    and the commands that came in about it."""
    changes = rules.incoming(before[0], merged.head.tables.get(RECS, {}))
    notes = dict(merged.notes([(c["id"], e) for c in changes for e in c["new_events"]]))
    commands = rules.recorded_by(rules.entries_since(before[1], merged.head.tables.get(JOURNAL, {})))
    for change in changes:
        names = {notes[e].get("recorded_by", "") for e in change["new_events"]} | commands.get(change["id"], set())
        change["by"] = sorted(names - {""})
    return changes


def _phrases(repo: Repository, commit: str, head: str, state) -> list[str]:
    """The commands journaled since the tracker was last committed."""
    committed = repo.show(commit, head)
    try:
        journal = files.parse(Path(head), committed).get(JOURNAL, {}) if committed else {}
    except StoreError:
        journal = {}  # a committed head that does not parse: every entry is new
    current = state.head.tables.get(JOURNAL, {})
    recs = state.head.tables.get(RECS, {})
    return [rules.phrase(entry, recs) for entry in rules.entries_since(journal, current)]


def _push(repo: Repository, remote: str, branch: str, *, set_upstream: bool) -> None:
    try:
        repo.push(remote, branch, set_upstream=set_upstream)
    except GitError as exc:
        raise GitError(f"{remote} refused the push ({_git_words(exc)}): nothing was synced, "
                       "the tracker is as it was") from None


def _git_words(exc: GitError) -> str:
    return str(exc).split(" failed: ", 1)[-1]
