"""Run an example across seeds and BLAS kernel families, and say how its metrics are distributed.

A GAN's training is chaotic: another BLAS kernel sums a matrix product in another order, the last bits
differ, and a few thousand updates later the run lands elsewhere.  A recipe is only a result if it meets
its targets on every seed and on every kernel family.  OpenBLAS's DYNAMIC_ARCH build picks its kernels
from ``OPENBLAS_CORETYPE``, so one CPU can stand in for several: Haswell (AVX2, most laptops),
Sandybridge (AVX), and SkylakeX where the CPU has AVX-512.

    python scripts/sweep.py toy_1d_gan --seeds 0-9 --blas Haswell,Sandybridge,SkylakeX
    python scripts/sweep.py mixture_gan --seeds 0-4 --blas Haswell,SkylakeX -- --data grid
    python scripts/sweep.py mnist_gan --seeds 0-2 --blas Haswell,SkylakeX --jobs 1
    python scripts/sweep.py --help

Each run is its own process (``examples/NAME.py --seed S --out DIR --no-progress`` plus the arguments
after ``--``), with its own ``OPENBLAS_CORETYPE`` and one BLAS thread, as many at once as ``--jobs``
(default: the number of cores).  The sweep checks that each family is the kernel OpenBLAS really runs
(a family the CPU cannot run is refused), collects every run's metrics.json, prints min / median / max
of each metric with how many runs met its target, and saves that table as ``sweep.json`` (and as Markdown,
``sweep.md``) in ``--out``.
``--resume`` keeps the runs an earlier sweep into the same ``--out`` finished with the same options, so a
sweep can grow (more seeds, another family) or continue after Ctrl-C.  It is a tool run by hand: the tests
and CI never set ``OPENBLAS_CORETYPE``.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from minigan.io import save_json

ROOT = Path(__file__).resolve().parents[1]

# The targets of each example (docs/results.md), as (metric, test, bound).  "abs <" bounds |value|.
# A metric written a.b is metrics["a"]["b"]; "ratio" is classifier_score / classifier_score_real.
TARGETS = {
    "toy_1d_gan": [("mean_error", "abs <", 0.05), ("std_ratio_error", "abs <", 0.05),
                   ("ks_vs_exact_cdf", "<", 0.03), ("ks", "<", 0.03), ("seconds", "<=", 30)],
    "mixture_gan --data ring": [("modes", ">=", 8), ("high_quality", ">=", 0.97), ("reverse_kl", "<=", 0.05),
                                ("seconds", "<=", 300)],
    "mixture_gan --data grid": [("modes", ">=", 24), ("high_quality", ">=", 0.95), ("reverse_kl", "<=", 0.04),
                                ("seconds", "<=", 300)],
    "anime_faces_dcgan": [("max_attribute_tv", "<=", 0.10)],
    "mnist_gan": [("ratio", ">=", 0.9), ("classes_generated", ">=", 10), ("class_kl_from_uniform", "<=", 0.05),
                  ("seconds", "<=", 600), ("generator_alone.ratio", ">=", 0.9)],
    "sentence_gan": [("gan.grammatical", ">=", 0.9), ("gan.grammatical_and_new", ">=", 0.5),
                     ("gan.distinct", ">=", 5000), ("gan.unused_word_count", "<=", 0), ("seconds", "<=", 600)],
    "conditional_mnist": [("agreement", ">=", 0.97), ("min_agreement_per_digit", ">=", 0.90), ("ratio", ">=", 0.9),
                          ("seconds", "<=", 600)],
    "conditional_faces": [("min_agreement", ">=", 0.95)]
    + [(f"agreement.{name}", ">=", 0.95) for name in ("hair_color", "hair_length", "eye_color", "mouth", "blush",
                                                        "background")] + [("seconds", "<=", 900)],
}
# Targets on the whole sweep rather than on each run: (metric, statistic, test, bound)
SWEEP_TARGETS = {"mixture_gan --data grid": [("modes", "mean", ">=", 24.8)]}
TESTS = {"<": lambda v, b: v < b, "<=": lambda v, b: v <= b, ">=": lambda v, b: v >= b,
         "abs <": lambda v, b: abs(v) < b}


def parse_seeds(text: str) -> list[int]:
    """'0-9' → 0..9, '0,3,5' → [0, 3, 5], '0-2,7' → [0, 1, 2, 7]."""
    seeds = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        try:
            seeds += list(range(int(first), int(last or first) + 1))
        except ValueError:
            raise argparse.ArgumentTypeError(f"--seeds: {part!r} is not a seed or a range like 0-9") from None
    return seeds


def kernel_name(family: str) -> str:
    """The kernel family OpenBLAS runs in a fresh process with OPENBLAS_CORETYPE=family."""
    probe = ("import ctypes, glob, os, numpy\n"
             "libs = glob.glob(os.path.join(os.path.dirname(numpy.__file__), '..', 'numpy.libs', '*openblas*'))\n"
             "lib = ctypes.CDLL(libs[0]) if libs else None\n"
             "names = [n for n in ('scipy_openblas_get_corename64_', 'openblas_get_corename64_',"
             " 'openblas_get_corename') if lib is not None and hasattr(lib, n)]\n"
             "f = getattr(lib, names[0]) if names else None\n"
             "if f: f.restype = ctypes.c_char_p\n"
             "print(f().decode() if f else 'unknown')\n")
    env = dict(os.environ, OPENBLAS_CORETYPE=family)
    result = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    return result.stdout.strip()


def target_key(example: str, extra: list[str]) -> str:
    """The TARGETS entry for a run of ``example`` with options ``extra``: 'mixture_gan --data grid' for
    ``--data grid --ema 0`` (an entry's options must all appear among ``extra``), else the example's own."""
    given = " ".join(extra)
    keys = [k for k in TARGETS if k.split()[0] == example and " ".join(k.split()[1:]) in given]
    return max(keys, key=len, default=example)


def lookup(metrics: dict, name: str):
    """metrics[name], where 'a.b' is metrics['a']['b'] and 'ratio' is the classifier-score ratio."""
    *path, last = name.split(".")
    for key in path:
        metrics = metrics[key]
    if last == "ratio":
        return metrics["classifier_score"] / metrics["classifier_score_real"]
    value = metrics[last]
    return float(value) if isinstance(value, (int, float)) else None


def run_one(example: str, seed: int, family: str, extra: list[str], out: Path, resume: bool = False) -> dict:
    """One run in its own process; returns its metrics.json (or the error it ended with).  With ``resume``, a
    run whose folder already holds the metrics.json of the same command is read instead of run again."""
    folder = out / f"{family}-seed{seed}"
    folder.mkdir(parents=True, exist_ok=True)
    done = folder / "metrics.json"
    if resume and done.is_file() and (folder / "command.json").is_file():
        previous = json.loads((folder / "command.json").read_text())
        if {k: previous.get(k) for k in ("extra", "blas", "seed")} == {"extra": extra, "blas": family, "seed": seed}:
            return {"seed": seed, "blas": family, "metrics": json.loads(done.read_text()), "wall": previous["wall"]}
    done.unlink(missing_ok=True)
    env = dict(os.environ, OPENBLAS_CORETYPE=family, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
               MKL_NUM_THREADS="1", PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    command = [sys.executable, str(ROOT / "examples" / f"{example}.py"), "--seed", str(seed), "--out", str(folder),
               "--no-progress", *extra]
    start = time.perf_counter()
    with open(folder / "log.txt", "w") as log:
        code = subprocess.run(command, env=env, stdout=log, stderr=subprocess.STDOUT).returncode
    wall = time.perf_counter() - start
    save_json({"extra": extra, "blas": family, "seed": seed, "wall": wall}, folder / "command.json")
    if code != 0:
        return {"seed": seed, "blas": family, "error": f"exit status {code}, see {folder / 'log.txt'}", "wall": wall}
    metrics = json.loads((folder / "metrics.json").read_text())
    return {"seed": seed, "blas": family, "metrics": metrics, "wall": wall}


def summarise(runs: list[dict], targets: list[tuple], sweep_targets: list[tuple]) -> dict:
    """min / median / max of each target metric (and of any other numeric top-level metric) over the runs,
    with how many runs met each target."""
    good = [r for r in runs if "metrics" in r]
    names = [t[0] for t in targets]
    names += sorted({k for r in good for k, v in r["metrics"].items()
                     if isinstance(v, (int, float)) and not isinstance(v, bool) and k not in names})
    table = {}
    for name in names:
        values = [v for r in good if (v := lookup(r["metrics"], name)) is not None]
        if not values:
            continue
        row = {"min": min(values), "median": statistics.median(values), "max": max(values), "mean": statistics.mean(values)}
        for metric, test, bound in targets:
            if metric == name:
                row["target"] = f"{test} {bound}"
                row["met"] = sum(TESTS[test](lookup(r["metrics"], name), bound) for r in good)
        table[name] = row
    verdicts = []
    for metric, stat, test, bound in sweep_targets:
        value = table[metric][stat]
        verdicts.append({"metric": metric, "statistic": stat, "target": f"{test} {bound}", "value": value,
                         "met": TESTS[test](value, bound)})
    all_met = (len(good) == len(runs) and all(row.get("met", len(good)) == len(good) for row in table.values())
               and all(v["met"] for v in verdicts))
    return {"runs": len(runs), "failed_runs": len(runs) - len(good), "metrics": table, "sweep_targets": verdicts,
            "all_targets_met": all_met}


def print_table(summary: dict) -> None:
    print(f"\n{'metric':<28}{'min':>11}{'median':>11}{'max':>11}   target     met")
    for name, row in summary["metrics"].items():
        met = f"{row['met']}/{summary['runs']}" if "met" in row else ""
        print(f"{name:<28}{row['min']:>11.4f}{row['median']:>11.4f}{row['max']:>11.4f}   {row.get('target', ''):<10} {met}")
    for v in summary["sweep_targets"]:
        print(f"{v['statistic']} {v['metric']} over the runs: {v['value']:.4f} (target {v['target']}): "
              f"{'met' if v['met'] else 'NOT met'}")
    if summary["failed_runs"]:
        print(f"{summary['failed_runs']} run(s) failed: see their log.txt")
    print("every target met" if summary["all_targets_met"] else "NOT every target met")


def markdown_table(summary: dict) -> str:
    """The summary as a Markdown table (min / median / max, target, runs that met it), for docs/results.md."""
    lines = [f"{summary['example']}: {summary['runs']} runs, seeds {summary['seeds'][0]}–{summary['seeds'][-1]} × "
             f"{', '.join(summary['blas'])}", "", "| metric | min | median | max | target | met |",
             "| --- | --- | --- | --- | --- | --- |"]
    for name, row in summary["metrics"].items():
        met = f"{row['met']}/{summary['runs']}" if "met" in row else ""
        lines.append(f"| {name} | {row['min']:.4g} | {row['median']:.4g} | {row['max']:.4g} | "
                     f"{row.get('target', '')} | {met} |")
    for v in summary["sweep_targets"]:
        lines.append(f"| {v['statistic']} {v['metric']} | | {v['value']:.4g} | | {v['target']} | "
                     f"{'yes' if v['met'] else 'no'} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("example", help="an example's name, as in examples/NAME.py")
    parser.add_argument("--seeds", type=parse_seeds, default=parse_seeds("0-4"), help="e.g. 0-9 or 0,2,5 (default: 0-4)")
    parser.add_argument("--blas", default="Haswell,Sandybridge",
                        help="comma-separated OPENBLAS_CORETYPE values (default: %(default)s)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count(), help="runs at once (default: the number of cores)")
    parser.add_argument("--out", help="folder for the runs and sweep.json (default: out/sweep/NAME)")
    parser.add_argument("--resume", action="store_true",
                        help="keep the runs that an earlier sweep into --out finished with the same options")
    argv = list(sys.argv[1:] if argv is None else argv)
    # what follows "--" goes to every run of the example, untouched
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    args = parser.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    if not (ROOT / "examples" / f"{args.example}.py").is_file():
        parser.error(f"no example named {args.example!r} in {ROOT / 'examples'}")
    key = target_key(args.example, extra)
    targets = TARGETS.get(key, [])
    families = [f for f in args.blas.split(",") if f]
    for family in families:
        actual = kernel_name(family)
        if actual.lower() != family.lower():
            parser.error(f"--blas {family}: OpenBLAS runs {actual} kernels instead on this CPU; "
                         "name only the families this CPU can run")
    out = Path(args.out or ROOT / "out" / "sweep" / "_".join([args.example, *[e.lstrip("-") for e in extra]]))
    out.mkdir(parents=True, exist_ok=True)
    jobs = [(seed, family) for family in families for seed in args.seeds]
    print(f"{' '.join([args.example, *extra])} (targets of {key!r}): {len(jobs)} runs (seeds {args.seeds[0]}..{args.seeds[-1]} × {', '.join(families)}), "
          f"{args.jobs} at a time, in {out}")
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(run_one, args.example, seed, family, extra, out, args.resume) for seed, family in jobs]
        runs = []
        for future in futures:
            runs.append(future.result())
            r = runs[-1]
            status = r.get("error") or ", ".join(f"{m} {lookup(r['metrics'], m):.4g}" for m, _, _ in targets)
            print(f"  {r['blas']:<12} seed {r['seed']:<3} {r['wall']:6.1f} s  {status}", flush=True)
    summary = summarise(runs, targets, SWEEP_TARGETS.get(key, []))
    summary.update(example=" ".join([args.example, *extra]), targets_of=key, seeds=args.seeds, blas=families, jobs=args.jobs,
                   per_run=[{k: r[k] for k in ("seed", "blas", "wall")} | (
                       {"error": r["error"]} if "error" in r else
                       {m: lookup(r["metrics"], m) for m, _, _ in targets}) for r in runs])
    print_table(summary)
    save_json(summary, out / "sweep.json")
    (out / "sweep.md").write_text(markdown_table(summary))
    print(f"table in {out / 'sweep.json'} and {out / 'sweep.md'}")
    return summary


if __name__ == "__main__":
    main()
