"""The tracker: the repository every command reads and writes through.

``Tracker(path)`` names a tracker (its head file; see ``layout``).
``Tracker.read()`` gives a read-only ``State``; ``Tracker.write(command)``
holds the lock for the whole read-change-write, lets the caller change the
state, journals the command and commits once, only if the block raised nothing;
``Tracker.replace`` starts it afresh, keeping the old one aside. Loading is one
path for every command: read the head, check its shape, upgrade an older schema
in memory (saved, after a backup, by the first write).
"""

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from alliance_cli.core import dates, history, journal
from alliance_cli.core.model import BODY_FIELDS, HEAD_FIELDS
from alliance_cli.errors import InputError, Interrupted, StoreError
from alliance_cli.store import files, identity, layout, migrations, schema
from alliance_cli.store.layout import JOURNAL, META, RECS
from alliance_cli.store.state import State, files_identity, whole_state


class TrackerExists(InputError):
    """``replace`` without force found a tracker (perhaps made a moment ago by another command)."""


def seed_whole(brief: dict, now: str) -> dict:
    """A new tracker of ``brief`` (a validated brief file or export), at the current schema."""
    from alliance_cli.core.brief import issued_of, scale_of
    from alliance_cli.core.progress import STALE_DAYS

    published = brief["brief"]["published"]
    recs = [{**{k: r[k] for k in (*HEAD_FIELDS, *BODY_FIELDS) if k in r}, "issued": issued_of(r, published),
             "history": history.ordered(r.get("history", []))} for r in brief["recommendations"]]
    meta = {"schema": migrations.SCHEMA, "brief": brief["brief"], "pillars": brief["pillars"], "created_at": now,
            "statuses": scale_of(brief).as_dicts(), "review_days": brief.get("review_days", STALE_DAYS)}
    return {META: {"1": meta}, RECS: recs, JOURNAL: {}}


class Tracker:
    def __init__(self, path: Path, *, lock_timeout: float = 10.0, seed: Path | None = None,
                 notify: Callable[[str], None] | None = None, hold_interrupts: bool = False):
        # Through a symlink to the file it names: a save replaces files, and
        # replacing the link itself would quietly part it from the real tracker.
        self.path = Path(os.path.realpath(path))
        self.lock_timeout = lock_timeout
        self.seed = seed
        self.notify = notify or (lambda message: None)  # what the user should hear, once
        # Keep SIGINT blocked once a write is committed, for the rest of the process (a
        # command line's own process: its output and its exit then cannot be cut short).
        self.hold_interrupts = hold_interrupts

    def files(self) -> list[Path]:
        """What the tracker is on disk: its head file and its folder of bodies."""
        return [self.path, layout.bodies_dir(self.path)]

    def exists(self) -> bool:
        return os.path.lexists(self.path)

    def read(self, *, create: bool = True) -> State:
        """A read-only view; a missing tracker is created from the brief first (with ``create``,
        else refused)."""
        if create and not self.exists():
            with self.write("init"):
                pass
        return self._load(writable=False)[0]

    def _load(self, *, writable: bool) -> tuple[State, tuple[int, list[str]] | None]:
        """The state, and for an older tracker (upgraded in memory) its schema and the notices."""
        identity = files_identity(self.path)
        raw = files.read_file(self.path, follow=True)
        if raw is None:
            raise StoreError(f"{self.path} disappeared while alliance was reading it: run the command again")
        tables = files.parse(self.path, raw)
        version = schema.version_of(tables, self.path)
        if version >= migrations.SPLIT:
            schema.check_head(tables, self.path, version)
            state = State(self.path, tables, writable=writable, identity=identity)
            if version == migrations.SCHEMA:
                return state, None
            tables = state.whole()
        whole, notices = migrations.upgrade(tables, self.path, version, now=dates.now_stamp())
        upgraded = whole_state(self.path, whole, writable=writable)
        if writable:
            upgraded.adopt_leftovers()  # the old bodies stay whole until the new head is in
        return upgraded, (version, notices)

    @contextlib.contextmanager
    def write(self, command: str = "library") -> Iterator[State]:
        """Lock, load, let the caller change the state, journal ``command`` and commit once."""
        _check_parent(self.path)
        with files.write_lock(self.path, self.lock_timeout):
            created = not self.exists()
            if created:
                state, migrated = whole_state(self.path, self._seed(), writable=True), None
            else:
                state, migrated = self._load(writable=True)
            state.user = identity.recorded_by(self.path)
            try:
                yield state
                if state.changes:
                    state.journal.insert(journal.entry(command, state.changes, dates.now_stamp(), state.user,
                                                       state.journal_extra))
                files.crash_point("before-commit")
            except KeyboardInterrupt:
                raise Interrupted("interrupted: nothing was saved") from None
            with _interrupts_held(keep_after=self.hold_interrupts):
                if migrated is not None:  # only now: a refused command writes nothing, backups included
                    self._keep_whole(migrations.backup_path(self.path, migrated[0]))
                state.commit(head_changed=created or migrated is not None)
        if created:
            self.notify(f"started a new tracker at {self.path}, from the shipped brief")
        if migrated is not None:
            if migrated[0] < migrations.SPLIT:
                _drop_legacy_index(self.path)
            for notice in migrated[1]:
                self.notify(notice)

    def replace(self, whole: dict, *, force: bool) -> Path | None:
        """Start this tracker afresh from ``whole``; the old one is kept aside, never lost."""
        _check_parent(self.path)
        with files.write_lock(self.path, self.lock_timeout):
            kept = None
            if self.exists():
                if not force:
                    raise TrackerExists(f"{self.path} already holds a tracker: pass --force to replace it "
                                        "(the old one is kept beside it)")
                kept = self._keep_aside()
            state = whole_state(self.path, whole, writable=True)
            state.adopt_leftovers()
            state.commit(head_changed=True)
            return kept

    def _keep_aside(self) -> Path:
        kept = self.path.with_name(f"{self.path.name}.replaced-{dates.now_stamp().replace(':', '')}")
        self._keep_whole(kept)
        return kept

    def _keep_whole(self, target: Path) -> None:
        """Keep the tracker as it is under another name: ``target`` and ``target.bodies/``,
        hard links (saves replace files, never change them). One already kept there stays."""
        if not files.keep_link(self.path, target):
            return
        bodies = layout.bodies_dir(self.path)
        if os.path.isdir(bodies) and not os.path.islink(bodies):
            aside = layout.bodies_dir(target)
            files.make_dir(aside, like=self.path)
            for entry in os.scandir(bodies):
                if entry.is_file(follow_symlinks=False) and entry.name.endswith(".json"):
                    files.keep_link(Path(entry.path), aside / entry.name)

    def _seed(self) -> dict:
        from alliance_cli.core.brief import load_brief, shipped_brief_path

        return seed_whole(load_brief(self.seed or shipped_brief_path()), dates.now_stamp())


@contextlib.contextmanager
def _interrupts_held(*, keep_after: bool) -> Iterator[None]:
    """Ctrl-C waits until the commit is whole, and is then reported as after the save.

    With ``keep_after``, SIGINT stays blocked once the commit is in: a Ctrl-C from then
    on is never delivered, and the process ends as it would have (a pending one is
    taken now, and reported).
    """
    import signal

    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    except KeyboardInterrupt:  # one that arrived just before the block, raised inside it
        raise Interrupted("interrupted: nothing was saved") from None
    except BaseException:
        if not keep_after:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        raise
    if keep_after:
        if signal.SIGINT in signal.sigpending():
            signal.sigwait({signal.SIGINT})  # taken, so that it is never delivered
            raise Interrupted("interrupted after the change was saved")
        return
    try:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    except KeyboardInterrupt:  # the pending Ctrl-C, delivered now that the commit is in
        raise Interrupted("interrupted after the change was saved") from None


def _drop_legacy_index(path: Path) -> None:
    """Schema 2 kept a derived ``<file>.index`` beside the file; nothing reads it any more."""
    legacy = path.with_name(path.name + ".index")
    with contextlib.suppress(OSError):
        if not os.path.islink(legacy) and os.path.isfile(legacy):
            os.unlink(legacy)


def _check_parent(path: Path) -> None:
    """A tracker's folder must exist: only the default data folder is created (by ``paths``)."""
    if not path.parent.is_dir():
        raise StoreError(f"cannot create {path}: the directory {path.parent} does not exist")
