"""Generate a large tracker for the benchmarks, and the same workload for Taskwarrior.

    python benchmarks/generate.py 5000 [--pillars 8] [--events 10] [--seed 1] --out DIR

writes, in DIR:

* ``export.json``: an alliance export (a brief file whose recommendations carry
  ``status`` and ``history``) with N recommendations over P pillars and M
  events each. Deterministic for a seed; realistic lengths: titles 40-70
  characters, texts 200-500, notes 20-200, 0-2 evidence URLs per event, dated
  2019-01-01 to 2026-10-31 (so the same whatever day it is generated).
* ``tracker.json``: made by the tool's own load path,
  ``alliance --db DIR/tracker.json import DIR/export.json``.
* ``task-import.json``: the same workload for Taskwarrior: N pending tasks
  across P projects, description = title, one annotation per event with the
  event's note; imported with ``task import`` into ``DIR/taskdata`` under its
  own ``DIR/taskrc`` (when ``task`` is installed).
* ``done.json``: written last, so a half-made directory is never reused.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

GENERATOR_VERSION = 1
ALLIANCE = Path(sys.executable).with_name("alliance")
STATUSES = ("not_assessed", "no_action", "in_progress", "partial", "implemented", "stalled", "abandoned")
# Later statuses are more likely: a tracker that is used moves things forward.
STATUS_WEIGHTS = (1, 2, 5, 4, 3, 2, 1)
FIRST_DAY = dt.date(2019, 1, 1)
# Events are dated up to this day (or yesterday, if earlier), so the data are the same whatever the day.
LAST_DAY = dt.date(2026, 10, 31)

_WORD_TEXT = (
    "alliance bilateral trilateral cooperation security deterrence extended nuclear consultative group "
    "framework supply chain resilience semiconductor battery critical minerals export controls investment "
    "screening digital cybersecurity information sharing standards artificial intelligence quantum space "
    "clean energy hydrogen small modular reactor shipping decarbonization climate finance Indo-Pacific "
    "partnership dialogue working group ministerial summit joint statement exercise readiness posture "
    "interoperability defense industrial base co-production maintenance repair overhaul talent exchange "
    "research development coordination mechanism secretariat implementation roadmap review annual "
    "regional partners ASEAN Pacific Islands Japan Australia NATO AUKUS Quad IPEF tariff subsidy "
    "procurement certification workforce training university program pilot project funding budget "
    "legislation appropriation oversight hearing report assessment benchmark timeline milestone"
)
WORDS = _WORD_TEXT.split()
VERBS = ("Expand", "Strengthen", "Institutionalize", "Launch", "Coordinate", "Align", "Fund", "Establish",
         "Deepen", "Regularize", "Review", "Accelerate", "Create", "Build", "Support", "Develop")
ACTORS = ("US", "ROK", "Japan", "Congress", "National Assembly", "DoD", "MND", "USTR", "MOTIE", "DOE")
INITIATIVES = ("Nuclear Consultative Group", "IPEF", "Camp David Principles", "Critical and Emerging "
               "Technologies Dialogue", "Supply Chain and Commercial Dialogue", "Clean Energy Demand Initiative",
               "Carbon-Free Alliance", "Strategic Cybersecurity Cooperation Framework", "Washington Declaration")
DOMAINS = ("www.defense.gov", "www.state.gov", "www.whitehouse.gov", "www.mofa.go.kr", "www.korea.net",
           "www.wilsoncenter.org", "www.csis.org", "www.ustr.gov", "english.motie.go.kr", "www.energy.gov",
           "www.congress.gov", "www.yna.co.kr")


def words_of_length(rng: random.Random, low: int, high: int, *, first: str = "") -> str:
    """Words until the text is between ``low`` and ``high`` characters (a target drawn in between)."""
    target = rng.randint(low, high)
    parts = [first] if first else []
    while len(" ".join(parts)) < target:
        parts.append(rng.choice(WORDS))
    while len(" ".join(parts)) > high and len(parts) > 1:
        parts.pop()  # cut at a word boundary
    text = " ".join(parts)
    if len(text) < low:  # the dropped word was long: pad with short ones
        text = (text + " " + " ".join(w for w in WORDS if len(w) <= 4) * 4)[:high]
        text = text[: text.rfind(" ")] if len(text) == high and " " in text[low:] else text
    return text[:high]


def sentences(rng: random.Random, low: int, high: int) -> str:
    target = rng.randint(low, high)
    out = ""
    while len(out) < target:
        sentence = words_of_length(rng, min(low, 40), 120, first=rng.choice(VERBS)) + ". "
        out += sentence
    out = out.rstrip()
    if len(out) > high:  # cut at a word boundary, keeping at least `low` characters
        cut = out.rfind(" ", low, high)
        out = out[:cut] if cut > 0 else out[: high - 1]
    out = out.rstrip(" .")
    return out + "."


def url(rng: random.Random) -> str:
    path = "/".join(rng.choice(WORDS).lower() for _ in range(rng.randint(1, 3)))
    return f"https://{rng.choice(DOMAINS)}/{path}/{rng.randint(1000, 9_999_999)}"


def make_history(rng: random.Random, events: int, last_day: dt.date) -> list[dict]:
    span = (last_day - FIRST_DAY).days
    days = sorted(rng.sample(range(span + 1), events))  # distinct days: Taskwarrior keys annotations by time
    history, before = [], "not_assessed"
    for offset in days:
        day = FIRST_DAY + dt.timedelta(days=offset)
        choices = [s for s in STATUSES if s != before]
        weights = [STATUS_WEIGHTS[STATUSES.index(s)] for s in choices]
        to = rng.choices(choices, weights)[0]
        recorded = dt.datetime.combine(day, dt.time(rng.randint(8, 20), rng.randint(0, 59), rng.randint(0, 59),
                                                    rng.randint(0, 999_999)))
        history.append({
            "id": f"{rng.getrandbits(64):016x}",
            "date": day.isoformat(),
            "recorded_at": recorded.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "from": before,
            "to": to,
            "note": sentences(rng, 20, 200),
            "evidence": [url(rng) for _ in range(rng.choice((0, 1, 1, 2)))],
        })
        before = to
    return history


def rec_id(index: int, pillars: int) -> str:
    """The id of the ``index``-th recommendation (0-based): pillars take turns, P1-1, P2-1, ..."""
    return f"P{index % pillars + 1}-{index // pillars + 1}"


def make_export(n: int, pillars: int, events: int, seed: int, today: dt.date) -> dict:
    rng = random.Random(f"alliance-bench/{seed}")
    pillar_docs = [{"id": f"P{p}", "name": words_of_length(rng, 15, 40, first=rng.choice(VERBS)).title(),
                    "description": sentences(rng, 60, 140)} for p in range(1, pillars + 1)]
    last_day = min(LAST_DAY, today - dt.timedelta(days=1))
    recs = []
    for i in range(n):
        pillar = pillar_docs[i % pillars]["id"]
        history = make_history(rng, events, last_day)
        rec = {
            "id": rec_id(i, pillars),
            "pillar": pillar,
            "title": words_of_length(rng, 40, 70, first=rng.choice(VERBS)),
            "text": sentences(rng, 200, 500),
            "section": words_of_length(rng, 10, 40).capitalize(),
            "key": rng.random() < 0.1,
            "actors": rng.sample(ACTORS, rng.randint(1, 3)),
            "initiatives": rng.sample(INITIATIVES, rng.randint(0, 2)),
            "sources": [url(rng) for _ in range(rng.randint(1, 3))],
        }
        if rng.random() < 0.2:
            rec["due"] = (last_day + dt.timedelta(days=rng.randint(-400, 900))).isoformat()
        rec["status"] = history[-1]["to"] if history else "not_assessed"
        rec["history"] = history
        recs.append(rec)
    return {
        "format": 1,
        "exported_at": f"{last_day.isoformat()}T23:59:59.000000Z",
        "brief": {"id": f"bench-{n}-{seed}", "title": f"Benchmark brief: {n} recommendations",
                  "author": "alliance benchmarks", "publisher": "alliance", "published": "2024-03",
                  "url": "https://example.org/bench"},
        "pillars": pillar_docs,
        "recommendations": recs,
    }


def _task_time(text: str) -> str:
    """'2024-01-02T10:11:12.123456Z' -> Taskwarrior's '20240102T101112Z'."""
    return text[:19].replace("-", "").replace(":", "") + "Z"


def make_tasks(export: dict, seed: int) -> list[dict]:
    rng = random.Random(f"alliance-bench-tasks/{seed}")
    tasks = []
    for rec in export["recommendations"]:
        history = rec["history"]
        entry = f"{history[0]['date'].replace('-', '')}T080000Z" if history else "20190101T000000Z"
        task = {
            "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "status": "pending",
            "description": rec["title"],
            "project": rec["pillar"],
            "entry": entry,
            "modified": _task_time(history[-1]["recorded_at"]) if history else entry,
            "annotations": [{"entry": _task_time(e["recorded_at"]), "description": e["note"]} for e in history],
        }
        if "due" in rec:
            task["due"] = rec["due"].replace("-", "") + "T000000Z"
        tasks.append(task)
    return tasks


def taskrc_text(data_dir: Path) -> str:
    """A dedicated, non-interactive Taskwarrior configuration (no hooks, no gc, no prompts)."""
    return "\n".join([
        f"data.location={data_dir}",
        "confirmation=off",       # `task N modify` never asks
        "hooks=off",
        "gc=off",                 # no renumbering / file rewrite on read commands (favours task)
        "verbose=label",          # column headers only, like alliance's TSV header line
        "color=off",
        "defaultwidth=120",       # piped output laid out for 120 columns, as alliance's terminal runs
        "detection=off",
        "news.version=2.6.2",     # no "run task news" nag
        "",
    ])


def task_env(out: Path) -> dict:
    return {**os.environ, "TASKRC": str(out / "taskrc"), "TASKDATA": str(out / "taskdata")}


def import_tasks(out: Path, tasks_file: Path) -> bool:
    task = shutil.which("task")
    if task is None:
        return False
    data_dir = out / "taskdata"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    (out / "taskrc").write_text(taskrc_text(data_dir))
    subprocess.run([task, "rc.verbose=nothing", "import", str(tasks_file)], env=task_env(out), check=True,
                   stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    return True


def generate(n: int, pillars: int, events: int, seed: int, out: Path, *, today: dt.date | None = None) -> dict:
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    (out / "done.json").unlink(missing_ok=True)
    today = today or dt.date.today()
    export = make_export(n, pillars, events, seed, today)
    export_path = out / "export.json"
    export_path.write_text(json.dumps(export, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    code = alliance_code()
    make_tracker(out)
    tasks_path = out / "task-import.json"
    tasks_path.write_text(json.dumps(make_tasks(export, seed), ensure_ascii=False) + "\n", encoding="utf-8")
    has_task = import_tasks(out, tasks_path)
    info = {"version": GENERATOR_VERSION, "n": n, "pillars": pillars, "events": events, "seed": seed,
            "today": today.isoformat(), "taskwarrior": has_task, "schema": alliance_schema(), "code": code}
    (out / "done.json").write_text(json.dumps(info, indent=1) + "\n")
    return info


def make_tracker(out: Path) -> None:
    """The tool's own load path: `import` into a missing tracker file creates it from the export."""
    tracker = out / "tracker.json"
    for stale in out.glob("tracker.json*"):
        shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
    subprocess.run([str(ALLIANCE), "--db", str(tracker), "import", str(out / "export.json")], check=True,
                   stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)


def alliance_code(root: Path | None = None) -> str:
    """A hash of alliance's source (the package at ``root``, default the one Python imports).

    The runner re-imports a tracker when it changes, so that the file and whatever alliance keeps
    beside it are what the code being measured makes.
    """
    import hashlib
    import importlib.util

    if root is None:
        spec = importlib.util.find_spec("alliance_cli")
        if spec is None or not spec.submodule_search_locations:
            return ""
        root = Path(next(iter(spec.submodule_search_locations)))
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def alliance_schema() -> int | None:
    try:
        from alliance_cli.store.migrations import SCHEMA
    except ImportError:
        return None
    return SCHEMA


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="number of recommendations")
    parser.add_argument("--pillars", type=int, default=8)
    parser.add_argument("--events", type=int, default=10, help="events per recommendation")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    info = generate(args.n, args.pillars, args.events, args.seed, args.out)
    print(json.dumps(info))


if __name__ == "__main__":
    main()
