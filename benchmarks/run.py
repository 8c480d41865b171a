"""Time whole alliance commands against a trivial Typer app (the floor) and Taskwarrior.

    /work/venv/bin/python benchmarks/run.py [--sizes 500,5000,20000] [--runs 7] [--out benchmarks/results.json]

For each size N (recommendations, with --events events each over --pillars
pillars) the data are generated once into benchmarks/work/ (see generate.py)
and reused. Every command is a whole subprocess: one warm-up, then --runs
timed runs, the commands taking turns (run 1 of every command, then run 2, ...)
so that a noisy spell on the shared machine spreads over all of them instead
of spoiling one. For each command: median, min and max wall time, and the peak
resident memory of the child (ru_maxrss from os.wait4; see reset_peak_rss). "terminal" commands
write to a pseudo-terminal 120 columns wide; "piped" ones to a pipe that is read
to the end; Taskwarrior always runs piped (see README.md).

It prints a Markdown table (and the ratios: alliance ÷ floor, alliance ÷ task)
and one PASS/FAIL line per target, and writes both and the raw numbers to --out.
"""

from __future__ import annotations

import argparse
import datetime as dt
import fcntl
import json
import os
import platform
import pty
import re
import shutil
import statistics
import struct
import subprocess
import sys
import termios
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import generate

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / "work"
PYTHON = Path(sys.executable)
ALLIANCE = PYTHON.with_name("alliance")
FLOOR = HERE / "floor.py"
COLUMNS, LINES = 120, 40

# Targets (issue "One clear house", item 7), checked at TARGET_N: ratios to the floor of the
# same run and of the same mode (piped or terminal), never absolute times.
TARGET_N = 5000
GROWTH_FROM, GROWTH_TO = 5000, 20000
FLOOR_TARGETS = {"list (piped)": 1.5, "show (piped)": 1.5, "report (piped)": 1.5, "update-status": 1.5,
                 "list (terminal)": 1.7, "show (terminal)": 1.7, "report (terminal)": 1.7,
                 "list (piped), file just copied": 1.7}
MAX_TASK_RATIO = 0.8
MAX_HELP_RATIO = 1.1
MAX_PEAK_MB = 100.0
MAX_GROWTH = 4.0
TASK_COUNTERPART = {"list (terminal)": "task list", "list (piped)": "task list",
                    "report (terminal)": "task summary", "report (piped)": "task summary",
                    "update-status": "task modify"}


@dataclass
class Command:
    name: str
    kind: str  # alliance | floor | task
    argv: list[str]
    tty: bool = False
    env: dict = field(default_factory=dict)
    prepare: object = None  # called before each run (and the warm-up), outside the timed region
    alternate: list[str] = field(default_factory=list)  # appended to argv in turn, run after run
    times: list[float] = field(default_factory=list)
    rss_kb: list[int] = field(default_factory=list)
    out_bytes: int = 0

    def summary(self) -> dict:
        return {"name": self.name, "kind": self.kind, "argv": self.argv, "tty": self.tty,
                "median": statistics.median(self.times), "min": min(self.times), "max": max(self.times),
                "peak_mb": max(self.rss_kb) * 1024 / 1e6, "times": self.times, "rss_kb": self.rss_kb,
                "stdout_bytes": self.out_bytes}


# --- running one command ------------------------------------------------------

def _drain(fd: int, counter: list[int]) -> None:
    while True:
        try:
            chunk = os.read(fd, 1 << 16)
        except OSError:  # EIO: the pty's other side is closed
            return
        if not chunk:
            return
        counter[0] += len(chunk)


def run_once(cmd: Command, turn: int) -> tuple[float, int, int, str]:
    """(wall seconds, peak RSS in KiB, stdout bytes, stderr) of one run of ``cmd``."""
    if cmd.prepare:
        cmd.prepare()
    # Outside the timed region: what earlier runs wrote (copies made for them, files they wrote
    # without fsync) is flushed now, not in the middle of this run (as hyperfine --prepare sync).
    os.sync()
    argv = [*cmd.argv, cmd.alternate[turn % len(cmd.alternate)]] if cmd.alternate else cmd.argv
    argv = [arg.replace("{turn}", str(turn)) for arg in argv]  # a run's own words, where asked for
    env = child_env(cmd.env)
    if cmd.tty:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
        env["TERM"] = "xterm-256color"
        out_fd, child_stdout = master, slave
    else:
        out_fd, child_stdout = None, subprocess.PIPE
    counted, err_counted = [0], []
    reset_peak_rss()
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=child_stdout, stderr=subprocess.PIPE,
                            env=env, cwd=REPO)
    if cmd.tty:
        os.close(slave)
    else:
        out_fd = proc.stdout.fileno()
    reader = threading.Thread(target=_drain, args=(out_fd, counted))
    err_reader = threading.Thread(target=lambda: err_counted.append(proc.stderr.read()))
    reader.start()
    err_reader.start()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    reader.join()
    err_reader.join()
    if cmd.tty:
        os.close(master)
    else:
        proc.stdout.close()
    proc.stderr.close()
    stderr = err_counted[0].decode("utf-8", "replace") if err_counted else ""
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd.name}: exit {proc.returncode}: {' '.join(argv)}\n{stderr}")
    return elapsed, usage.ru_maxrss, counted[0], stderr


def child_env(extra: dict) -> dict:
    """The same conditions whoever runs it: no PYTHON* settings (a PYTHONDONTWRITEBYTECODE would make
    alliance compile its modules on every run, a PYTHONUNBUFFERED would write its output line by
    line) but the PYTHONPATH to the copy of the code, no colour switches, no ALLIANCE_DB. And no
    pager on the terminal (as git is timed with GIT_PAGER=cat): the time a person spends reading
    in `less` is not the command's."""
    env = {name: value for name, value in os.environ.items()
           if not (name.startswith("PYTHON") and name != "PYTHONPATH")
           and name not in ("ALLIANCE_DB", "NO_COLOR", "FORCE_COLOR", "TERM", "PAGER", "ALLIANCE_PAGER")}
    return {**env, "COLUMNS": str(COLUMNS), "LINES": str(LINES), "ALLIANCE_PAGER": "cat", **extra}


def reset_peak_rss() -> None:
    """Lower this process's peak RSS to its current RSS (Linux >= 4.0), for the child's ru_maxrss.

    Linux starts a child's ru_maxrss at the high-water mark of the memory it
    ran in before exec, which for subprocess's vfork is this process's: so this
    process must stay small (the data are generated in a child process) and its
    peak is reset before each run. A reading at or below ``runner_rss_mb()``
    is this process's, not the command's.
    """
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def runner_rss_mb() -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        pass
    return float("nan")


def measure(commands: list[Command], runs: int, label: str) -> None:
    for cmd in commands:  # warm-up (and a check that every command works)
        _, _, cmd.out_bytes, _ = run_once(cmd, 0)
    for i in range(runs):
        print(f"  {label}: run {i + 1}/{runs}", file=sys.stderr, flush=True)
        for cmd in commands:
            elapsed, rss, _, _ = run_once(cmd, i + 1)
            cmd.times.append(elapsed)
            cmd.rss_kb.append(rss)


# --- the workload -------------------------------------------------------------

def data_dir(n: int, pillars: int, events: int, seed: int) -> Path:
    return WORK / f"n{n}-p{pillars}-m{events}-s{seed}-v{generate.GENERATOR_VERSION}"


def ensure_data(n: int, pillars: int, events: int, seed: int, code: str) -> Path:
    """Generate once; redo only what is stale (alliance's code changed, Taskwarrior installed since)."""
    out = data_dir(n, pillars, events, seed)
    done = out / "done.json"
    info = json.loads(done.read_text()) if done.exists() else None
    if info is None:
        print(f"generating N={n} into {out.relative_to(REPO)} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        # In a child process: this process must stay small, see reset_peak_rss().
        subprocess.run([str(PYTHON), str(HERE / "generate.py"), str(n), "--pillars", str(pillars),
                        "--events", str(events), "--seed", str(seed), "--out", str(out)],
                       check=True, stdout=subprocess.DEVNULL)
        print(f"  generated in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
        return out
    changed = False
    if info.get("code") != code:
        print(f"N={n}: alliance's code changed since the tracker was made: re-importing", file=sys.stderr, flush=True)
        started = time.perf_counter()
        generate.make_tracker(out)
        print(f"  imported in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
        info["code"] = code
        changed = True
    if not info.get("taskwarrior") and shutil.which("task"):
        generate.import_tasks(out, out / "task-import.json")
        info["taskwarrior"], changed = True, True
    if changed:
        done.write_text(json.dumps(info, indent=1) + "\n")
    return out


def copy_tracker(source: Path, target: Path) -> None:
    """A whole tracker: its head and its folder of bodies (``cp -r``, new inodes and times)."""
    shutil.copyfile(source, target)
    bodies = source.with_name(source.name + ".bodies")
    if bodies.is_dir():
        shutil.copytree(bodies, target.with_name(target.name + ".bodies"), ignore=shutil.ignore_patterns("*.bak"))


def commands_for(out: Path, n: int, pillars: int) -> list[Command]:
    tracker = str(out / "tracker.json")
    middle = n // 2
    rec = generate.rec_id(middle, pillars)
    scratch = out / "scratch"
    # Writing commands work on copies made afresh once per session (so nothing grows from one session
    # to the next) and then kept: run after run they flip one thing back and forth, as a user would,
    # so whatever alliance keeps beside its file stays valid, as it would in real use.
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    copy_tracker(out / "tracker.json", scratch / "tracker.json")
    if (out / "taskdata").is_dir():
        shutil.copytree(out / "taskdata", scratch / "taskdata")

    def cold_copy() -> None:
        """A new inode with a new mtime: as after `git pull` or a copy, nothing kept beside it is valid."""
        for old in scratch.glob("cold.json*"):
            shutil.rmtree(old) if old.is_dir() else old.unlink()
        copy_tracker(out / "tracker.json", scratch / "cold.json")

    alliance = [str(ALLIANCE), "--db", tracker]
    floor = [str(PYTHON), str(FLOOR)]
    cmds = [
        Command("floor (piped)", "floor", floor),
        Command("floor (terminal)", "floor", floor, tty=True),
        Command("floor --help", "floor", [*floor, "--help"]),
        Command("--help", "alliance", [str(ALLIANCE), "--help"]),
        Command("list (terminal)", "alliance", [*alliance, "list"], tty=True),
        Command("list (piped)", "alliance", [*alliance, "list"]),
        Command("list --json", "alliance", [*alliance, "list", "--json"]),
        # Reads every body file (one at a time): no target, its time and memory beside a plain list's.
        Command("list --search (piped)", "alliance", [*alliance, "list", "--search", "working group"]),
        Command("show (terminal)", "alliance", [*alliance, "show", rec], tty=True),
        Command("show (piped)", "alliance", [*alliance, "show", rec]),
        Command("report (terminal)", "alliance", [*alliance, "report"], tty=True),
        Command("report (piped)", "alliance", [*alliance, "report"]),
        Command("report --format json", "alliance", [*alliance, "report", "--format", "json"]),
        Command("update-status", "alliance",
                [str(ALLIANCE), "--db", str(scratch / "tracker.json"), "update-status",
                 # A note of its own each run: the same update twice is refused as a duplicate.
                 "--note", "Benchmark: a working group met and agreed a timeline (meeting {turn}).",
                 "--evidence", "https://www.state.gov/bench/12345", rec], alternate=["partial", "in_progress"]),
        Command("log", "alliance", [*alliance, "log"]),
        Command("export", "alliance", [*alliance, "export"]),
        Command("list (piped), file just copied", "alliance",
                [str(ALLIANCE), "--db", str(scratch / "cold.json"), "list"], prepare=cold_copy),
    ]
    task = shutil.which("task")
    if task and (out / "taskrc").exists():
        env = {"TASKRC": str(out / "taskrc")}
        cmds += [
            Command("task list", "task", [task, "list"], env=env),
            Command("task summary", "task", [task, "summary"], env=env),
            Command("task modify", "task", [task, str(middle + 1), "modify"],
                    env={**env, "TASKDATA": str(scratch / "taskdata")}, alternate=["priority:H", "priority:L"]),
        ]
    return cmds


# --- reporting ----------------------------------------------------------------

def ratios(results: dict[int, dict[str, dict]]) -> None:
    """Add ÷ floor and ÷ task to every alliance command's summary, in place."""
    for by_name in results.values():
        for res in by_name.values():
            if res["kind"] != "alliance":
                continue
            floor = by_name["floor (terminal)" if res["tty"] else "floor (piped)"]
            res["floor_ratio"] = res["median"] / floor["median"]
            counterpart = by_name.get(TASK_COUNTERPART.get(res["name"], ""))
            if counterpart:
                res["task_ratio"] = res["median"] / counterpart["median"]
                res["task_name"] = counterpart["name"]


def check_targets(results: dict[int, dict[str, dict]]) -> list[dict]:
    checks: list[dict] = []

    def check(name: str, ok: bool | None, detail: str, command: str | None = None) -> None:
        checks.append({"target": name, "ok": ok, "detail": detail, "command": command})

    at = results.get(TARGET_N)
    if at is None:
        check(f"targets at N={TARGET_N}", None, f"not checked: N={TARGET_N} is not among the sizes")
    else:
        for name, limit in FLOOR_TARGETS.items():
            res = at[name]
            check(f"{name} ≤ {limit} × floor", res["floor_ratio"] <= limit,
                  f"{res['floor_ratio']:.2f} × floor ({res['median']:.3f} s vs "
                  f"{at[_floor_of(res)]['median']:.3f} s)", name)
        for name in ("list (terminal)", "list (piped)"):
            res = at[name]
            if "task list" in at:
                check(f"{name} ≤ {MAX_TASK_RATIO} × task list", res["task_ratio"] <= MAX_TASK_RATIO,
                      f"{res['median']:.3f} s vs task list {at['task list']['median']:.3f} s "
                      f"({res['task_ratio']:.2f} ×)", name)
            else:
                check(f"{name} ≤ {MAX_TASK_RATIO} × task list", None, "not checked: Taskwarrior is not installed",
                      name)
        res = at["--help"]
        check(f"--help ≤ {MAX_HELP_RATIO} × floor", res["floor_ratio"] <= MAX_HELP_RATIO,
              f"{res['floor_ratio']:.2f} × floor ({res['median']:.3f} s vs {at['floor (piped)']['median']:.3f} s)",
              "--help")
        for res in at.values():
            if res["kind"] == "alliance":
                check(f"{res['name']} peak memory ≤ {MAX_PEAK_MB:g} MB", res["peak_mb"] <= MAX_PEAK_MB,
                      f"{res['peak_mb']:.0f} MB", res["name"])
    small, big = results.get(GROWTH_FROM), results.get(GROWTH_TO)
    if small is None or big is None:
        check(f"growth 5,000 → 20,000 ≤ {MAX_GROWTH:g} ×", None,
              f"not checked: needs N={GROWTH_FROM} and N={GROWTH_TO} among the sizes")
    else:
        limit = MAX_GROWTH
        for name, res in big.items():
            if res["kind"] != "alliance":
                continue
            before = small[name]
            ratio = res["median"] / before["median"]
            floor_big, floor_small = big[_floor_of(res)]["median"], small[_floor_of(res)]["median"]
            above = before["median"] - floor_small
            net = (res["median"] - floor_big) / above if above > 0 and res["median"] > floor_big else float("nan")
            res["growth"], res["growth_net"] = ratio, net
            net_text = f"{net:.2f} ×" if net == net else "n/a (not above the floor)"
            check(f"{name} time(20k)/time(5k) ≤ {limit:g}", ratio <= limit,
                  f"{ratio:.2f} × ({before['median']:.3f} → {res['median']:.3f} s); above the floor {net_text}", name)
    return checks


def _floor_of(res: dict) -> str:
    return "floor (terminal)" if res["tty"] else "floor (piped)"


def markdown_table(results: dict[int, dict[str, dict]], checks: list[dict]) -> str:
    failed: dict[tuple[str, int], list[str]] = {}
    met: set[tuple[str, int]] = set()
    for c in checks:
        if c["command"] is None:
            continue
        n = GROWTH_TO if "time(20k)" in c["target"] else TARGET_N
        key = (c["command"], n)
        met.add(key)
        if c["ok"] is False:
            failed.setdefault(key, []).append(c["target"].removeprefix(c["command"]).strip())
    lines = ["| command | N | median s | min–max s | peak MB | ÷ floor | ÷ task | target met? |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for n, by_name in sorted(results.items()):
        for name, res in by_name.items():
            floor = f"{res['floor_ratio']:.2f}" if "floor_ratio" in res else ""
            task = f"{res['task_ratio']:.2f} ({res['task_name']})" if "task_ratio" in res else ""
            key = (name, n)
            verdict = ("no: " + "; ".join(failed[key])) if key in failed else ("yes" if key in met else "")
            lines.append(f"| {name} | {n:,} | {res['median']:.3f} | {res['min']:.3f}–{res['max']:.3f} | "
                         f"{res['peak_mb']:.0f} | {floor} | {task} | {verdict} |")
    return "\n".join(lines)


def snapshot_code(source: str) -> tuple[Path, str]:
    """Copy alliance's code once, so that edits made while the benchmark runs cannot reach it.

    ``source`` is "worktree" (src/ as it is now, committed or not: what the installed `alliance`
    runs) or a git revision such as HEAD (read with `git archive`). Every child process then
    imports this copy first (PYTHONPATH). Returns the copy's src/ directory and its code hash.
    """
    tmp = WORK / "code" / f".tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    if source == "worktree":
        shutil.copytree(REPO / "src" / "alliance_cli", tmp / "src" / "alliance_cli",
                        ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(REPO / "data", tmp / "data")
    else:
        archive = subprocess.run(["git", "archive", "--format=tar", source, "src/alliance_cli", "data"],
                                 cwd=REPO, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive, check=True)
    code = generate.alliance_code(tmp / "src" / "alliance_cli")
    final = WORK / "code" / code
    if final.exists():
        shutil.rmtree(tmp)
    else:
        tmp.rename(final)
    # Byte-compiled, as `pip install` leaves it (and as Typer, Rich... are).
    subprocess.run([str(PYTHON), "-m", "compileall", "-q", str(final / "src")], check=True, env=child_env({}))
    return final / "src", code


def machine() -> dict:
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""

    task = shutil.which("task")
    task_version = subprocess.run([task, "--version"], capture_output=True, text=True).stdout.strip() if task else None
    return {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "cpus": os.cpu_count(),
            "loadavg_start": os.getloadavg(), "python": platform.python_version(), "platform": platform.platform(),
            "commit": git("rev-parse", "--short", "HEAD"),
            "src_dirty": bool(git("status", "--porcelain", "--", "src")), "taskwarrior": task_version}


_VERDICT = {True: "PASS", False: "FAIL", None: "SKIP"}
README_START, README_END = "<!-- results:start -->", "<!-- results:end -->"


def update_readme(text: str) -> None:
    readme = HERE / "README.md"
    current = readme.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(README_START) + ".*?" + re.escape(README_END), re.S)
    if not pattern.search(current):
        raise SystemExit(f"{readme}: no {README_START} ... {README_END} markers")
    readme.write_text(pattern.sub(lambda _: f"{README_START}\n{text}\n{README_END}", current), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,5000,20000", help="comma-separated N (default: %(default)s)")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per command (default: %(default)s)")
    parser.add_argument("--events", type=int, default=10, help="events per recommendation (default: %(default)s)")
    parser.add_argument("--pillars", type=int, default=8, help="(default: %(default)s)")
    parser.add_argument("--seed", type=int, default=1, help="(default: %(default)s)")
    parser.add_argument("--only", metavar="REGEX", help="time only the commands whose name matches (floors always)")
    parser.add_argument("--code", default="worktree", metavar="worktree|REV",
                        help="alliance code to time: src/ as it is now (default), or a git revision such as HEAD; "
                             "either way a copy taken at the start, so edits during the run cannot reach it")
    parser.add_argument("--out", type=Path, default=HERE / "results.json", help="(default: benchmarks/results.json)")
    parser.add_argument("--update-readme", action="store_true",
                        help="also put the table and the PASS/FAIL lines into benchmarks/README.md")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    WORK.mkdir(exist_ok=True)
    started = time.perf_counter()
    info = machine()
    code_dir, code = snapshot_code(args.code)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(code_dir), os.environ.get("PYTHONPATH")]))
    imported = subprocess.run([str(PYTHON), "-c", "import alliance_cli; print(alliance_cli.__file__)"],
                              capture_output=True, text=True, check=True).stdout.strip()
    if not Path(imported).is_relative_to(code_dir):
        raise SystemExit(f"alliance_cli is imported from {imported}, not from the copy in {code_dir}")
    info.update(code_source=args.code, code_hash=code)
    if args.code != "worktree":
        info["commit"], info["src_dirty"] = args.code, False
    results: dict[int, dict[str, dict]] = {}
    for n in sizes:
        out = ensure_data(n, args.pillars, args.events, args.seed, code)
        cmds = commands_for(out, n, args.pillars)
        if args.only:
            cmds = [c for c in cmds if c.kind == "floor" or re.search(args.only, c.name)]
        measure(cmds, args.runs, f"N={n:,}")
        results[n] = {c.name: c.summary() for c in cmds}
        shutil.rmtree(out / "scratch", ignore_errors=True)  # the copies: hundreds of MB at N=20,000
    info["loadavg_end"] = os.getloadavg()
    info["runner_rss_mb"] = round(runner_rss_mb(), 1)
    info["seconds"] = round(time.perf_counter() - started, 1)
    if args.only:
        table = "\n".join(f"| {name} | {n:,} | {r['median']:.3f} | {r['min']:.3f}–{r['max']:.3f} | {r['peak_mb']:.0f} |"
                          for n, by in results.items() for name, r in by.items())
        print("| command | N | median s | min–max s | peak MB |\n| --- | ---: | ---: | ---: | ---: |\n" + table)
        return 0
    ratios(results)
    checks = check_targets(results)
    table = markdown_table(results, checks)
    verdicts = "\n".join(f"{_VERDICT[c['ok']]}  {c['target']}: {c['detail']}" for c in checks)
    passed = sum(c["ok"] is True for c in checks)
    failed = sum(c["ok"] is False for c in checks)
    tally = f"{passed} targets met, {failed} missed, {len(checks) - passed - failed} not checked"
    task_note = f"Taskwarrior {info['taskwarrior']}" if info["taskwarrior"] else "no Taskwarrior"
    dirty = f" + uncommitted src changes (code {code})" if info["src_dirty"] else ""
    header = (f"{info['date']}, commit {info['commit']}{dirty}, {info['cpus']} CPUs, Python {info['python']}, "
              f"{task_note}, {args.runs} runs + 1 warm-up, {args.events} events per recommendation, "
              f"load average {info['loadavg_start'][0]:.2f} at start, {info['loadavg_end'][0]:.2f} at end; "
              f"whole run {info['seconds']:.0f} s; peak MB below {info['runner_rss_mb']:.0f} MB is the runner's own "
              "resident memory, not the command's (see README)")
    print(f"\n{header}\n\n{table}\n\n{tally}\n{verdicts}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": info, "args": {**vars(args), "out": str(args.out)},
                                    "results": {str(n): r for n, r in results.items()}, "checks": checks,
                                    "table": table}, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    if args.update_readme:
        update_readme(f"{header}\n\n{table}\n\n{tally}:\n\n```\n{verdicts}\n```")
    return 1 if any(c["ok"] is False for c in checks) else 0


if __name__ == "__main__":
    sys.exit(main())
