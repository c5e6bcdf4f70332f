"""What a learner waits for: the wall and CPU time of every example's default run, the whole tour of the lecture.

    python benchmarks/examples_time.py                                    # every examples/*.py, one after another
    python benchmarks/examples_time.py --only toy_1d_gan,mnist_gan --threads 2 --out out/times.md

Each example runs alone in its own process, as a learner starts it, with only the progress bar hidden and its files
sent to a temporary folder: ``python examples/NAME.py --no-progress --out TMP/NAME``.  minigan is imported from the
checkout the examples belong to (PYTHONPATH), not from wherever it is installed.  ``--threads N`` sets the BLAS
threads (OPENBLAS_NUM_THREADS, OMP_NUM_THREADS, MKL_NUM_THREADS); without it the libraries use every core.

The table (Markdown, ready to paste into docs/performance.md) goes to --out and is printed; the same numbers, with
the command, exit status and the end of the output of any example that failed, go to the same name with ``.json``.
An example that fails or runs past --timeout is reported in its row, and the others still run; the exit status is
1 when any failed.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
TAIL_LINES = 20  # of a failed example's output, kept in the JSON and printed


def example_names(folder: Path) -> list:
    """The examples in ``folder``: the names of its .py files, sorted."""
    return sorted(path.stem for path in folder.glob("*.py"))


def chosen(known: list, only: str | None) -> list:
    """The examples ``--only`` names (comma-separated), in the order given; all of ``known`` without it."""
    if only is None:
        return known
    names = [name.strip().removesuffix(".py") for name in only.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise ValueError(f"--only {only!r}: no example called {', '.join(unknown) or '(none given)'}; "
                         f"the examples are {', '.join(known)}")
    return names


def children_cpu_seconds() -> float:
    """User + system CPU time of this process's finished children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_example(script: Path, out: Path, env: dict, timeout: float | None) -> dict:
    """Run one example's default run; its wall and CPU time, and how it ended."""
    command = [sys.executable, str(script), "--no-progress", "--out", str(out)]
    log = out.with_suffix(".log")
    cpu, start = children_cpu_seconds(), time.perf_counter()
    with open(log, "w") as output:
        try:
            exit_code = subprocess.run(command, stdout=output, stderr=subprocess.STDOUT, env=env,
                                       cwd=script.parent.parent, timeout=timeout).returncode
            status = "ok" if exit_code == 0 else f"failed (exit {exit_code})"
        except subprocess.TimeoutExpired:
            exit_code, status = None, "timed out"
    result = {"example": script.stem, "command": " ".join(command), "status": status, "exit_code": exit_code,
              "wall_s": time.perf_counter() - start, "cpu_s": children_cpu_seconds() - cpu}
    if exit_code != 0:
        result["output_tail"] = log.read_text(errors="replace").splitlines()[-TAIL_LINES:]
    return result


def cpu_model() -> str:
    """The CPU's model name, as lscpu gives it (or /proc/cpuinfo, or Python's guess)."""
    for listing in (_lscpu, lambda: Path("/proc/cpuinfo").read_text()):
        try:
            text = listing()
        except (OSError, subprocess.SubprocessError):
            continue
        for line in text.splitlines():
            key, _, value = line.partition(":")
            if key.strip().lower() == "model name":
                return value.strip()
    return platform.processor() or platform.machine() or "unknown"


def _lscpu() -> str:
    return subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10, check=True).stdout


def duration(seconds: float) -> str:
    """``seconds`` as a reader counts them: 48 s, 9 min 34 s, 1 h 02 min."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def markdown(report: dict) -> str:
    """The table: one row per example (a failed one says so in its wall-time cell), then the whole tour."""
    rows = ["| example | wall time | CPU time | threads | CPU |", "| --- | --- | --- | --- | --- |"]
    for r in report["examples"]:
        wall = duration(r["wall_s"]) if r["status"] == "ok" else f"{r['status']}, after {duration(r['wall_s'])}"
        rows.append(f"| `examples/{r['example']}.py` | {wall} | {duration(r['cpu_s'])} | {report['threads']} | "
                    f"{report['cpu']} |")
    if len(report["examples"]) > 1:
        wall, cpu = (sum(r[key] for r in report["examples"]) for key in ("wall_s", "cpu_s"))
        rows.append(f"| all {len(report['examples'])} | {duration(wall)} | {duration(cpu)} | {report['threads']} | "
                    f"{report['cpu']} |")
    return "\n".join(rows) + "\n"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", metavar="NAME,NAME", help="only these examples (names of examples/*.py)")
    parser.add_argument("--threads", type=int, help="BLAS threads of every example (default: every core)")
    parser.add_argument("--out", default="out/examples_time.md",
                        help="the Markdown table; the JSON goes beside it, ending .json (default: %(default)s)")
    parser.add_argument("--timeout", type=float, help="seconds an example may run before it is stopped (default: none)")
    parser.add_argument("--examples", type=Path, default=ROOT / "examples",
                        help="the folder of the examples, in a minigan checkout (default: this one's)")
    args = parser.parse_args(argv)
    if args.threads is not None and args.threads < 1:
        parser.error(f"--threads {args.threads}: at least 1")
    if args.timeout is not None and args.timeout <= 0:
        parser.error(f"--timeout {args.timeout:g}: a positive number of seconds")
    if not args.examples.is_dir():
        parser.error(f"--examples {args.examples}: not a folder")
    try:
        args.names = chosen(example_names(args.examples), args.only)
    except ValueError as err:
        parser.error(str(err))
    if Path(args.out).suffix == ".json":
        parser.error(f"--out {args.out}: the Markdown table's file (the JSON goes beside it, ending .json)")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    env = dict(os.environ)
    checkout = str(args.examples.resolve().parent)
    env["PYTHONPATH"] = checkout + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    if args.threads is not None:
        env.update({name: str(args.threads) for name in THREAD_VARIABLES})
    report = {"date": time.strftime("%Y-%m-%d"), "cpu": cpu_model(), "cores": os.cpu_count(),
              "threads": args.threads or f"{os.cpu_count()} (every core)", "python": platform.python_version(),
              "numpy": np.__version__, "checkout": checkout, "examples": []}
    with tempfile.TemporaryDirectory(prefix="examples_time_") as folder:
        for name in args.names:
            print(f"{name} ...", end=" ", flush=True)
            result = run_example(args.examples / f"{name}.py", Path(folder) / name, env, args.timeout)
            report["examples"].append(result)
            print(f"{result['status']}: {duration(result['wall_s'])} wall, {duration(result['cpu_s'])} CPU", flush=True)
            if "output_tail" in result:
                print("\n".join("    " + line for line in result["output_tail"]), file=sys.stderr)
    table = markdown(report)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(table)
    out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"\n{report['date']}, {report['cpu']}, {report['cores']} cores; NumPy {report['numpy']}\n\n{table}\n"
          f"(in {out} and {out.with_suffix('.json')})")
    return 0 if all(r["status"] == "ok" for r in report["examples"]) else 1


if __name__ == "__main__":
    sys.exit(main())
