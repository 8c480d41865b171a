"""The commands that share a tracker through git: `git init` and `sync` (see ``store.team``)."""

from typing import Annotated

import typer

from alliance_cli.cli.app import AllianceGroup, app, examples, open_tracker

git_app = typer.Typer(
    cls=AllianceGroup, no_args_is_help=True, rich_markup_mode=None,
    help="Keep the tracker in a git repository shared by a team (see `alliance sync`).",
    epilog=examples("alliance git init --remote git@example.org:team/tracker.git"),
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(git_app, name="git")


@git_app.command("init", epilog=examples(
    "alliance git init", "alliance git init --remote git@example.org:team/tracker.git",
    "alliance --db ~/team/us-rok.json git init --remote /srv/git/us-rok.git"))
def git_init(
    ctx: typer.Context,
    remote: Annotated[str | None, typer.Option(
        "--remote", metavar="URL", help="The team's shared repository: added as (or replacing) origin.")] = None,
):
    """Make the tracker's folder a git repository that merges the tracker with alliance.

    Creates the repository if the folder is in none (and the tracker, from the shipped
    brief, if there is none and the repository has no branch of a remote), registers alliance's merge driver
    in .git/config, writes .gitattributes and .gitignore, commits the tracker if it is
    new, and with --remote sets origin. Run it once in each clone; running it again
    changes only what is missing.
    """
    from alliance_cli.render.text import clean
    from alliance_cli.store import team

    tracker = open_tracker(ctx)
    done = team.setup(tracker, remote)
    for line in done or [f"already set up: {tracker.path} is shared in git and merged by alliance"]:
        typer.echo(clean(line))


@app.command(epilog=examples("alliance sync", "alliance --db ~/team/us-rok.json sync"))
def sync(ctx: typer.Context):
    """Share the tracker with the team: commit, pull (merged by alliance), push.

    The commit message names the commands run since the last sync. All or nothing: if
    the remote cannot be reached or refuses the push, or the pull cannot be merged, the
    repository and the tracker are left exactly as they were. A pull that meets a
    conflict (one field changed both here and there) is kept, with both values, and
    nothing is pushed until `alliance conflicts resolve` settles them.
    """
    from alliance_cli.errors import AllianceError
    from alliance_cli.store import team

    done = team.sync(open_tracker(ctx), _open_conflicts)
    for line in _report(done):
        typer.echo(line)
    if done.conflicts:
        count = done.conflicts
        raise AllianceError(f"the pull brought {count} conflict{'s' * (count != 1)}, kept in the tracker with "
                            "both values: see `alliance conflicts`, settle each with `alliance conflicts "
                            "resolve`, then sync again (nothing was pushed)")


def _report(done) -> list[str]:
    from alliance_cli.render.text import clean

    where = f"{done.remote}/{done.branch}"
    lines = [f"committed: {clean(done.committed)}"] if done.committed else []
    if done.pulled:
        lines.append(f"came in from {where}:" if done.incoming else f"pulled {where}: no recommendation changed")
        lines += [f"  {clean(line)}" for line in map(_incoming_line, done.incoming)]
    if done.pushed:
        lines.append(f"pushed to {where}")
    return lines or [f"up to date with {where}"]


def _incoming_line(change: dict) -> str:
    """``SEC-6: 2 new events, edited (title) by Ana Kim, Ben Lee``."""
    by = f" by {', '.join(change['by'])}" if change["by"] else ""
    if change["removed"]:
        return f"{change['id']}: removed{by}"
    parts = ["added"] if change["added"] else []
    if count := len(change["new_events"]):
        parts.append(f"{count} new event{'s' * (count != 1)}")
    if count := len(change["gone_events"]):
        parts.append(f"{count} event{'s' * (count != 1)} undone")
    if change["edited"] and not change["added"]:
        parts.append(f"edited ({', '.join(change['edited'])})")
    return f"{change['id']}: {', '.join(parts)}{by}"


def _open_conflicts(state) -> int:
    return len(state.conflicts())
