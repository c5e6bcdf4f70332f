"""Time conv2d forward + backward (input, weight and bias gradients) in minigan and, when it imports, PyTorch.

    python benchmarks/bench_conv.py [--repeats 30] [--warmup 5] [--device cpu|gpu] [--json] [--profile]

The layer is the middle of a DCGAN discriminator: a (64, 64, 14, 14) float32 input, 128 filters of
4×4, stride 2, padding 1.  One repeat is a forward pass and a backward pass of a fixed random output
gradient; the table shows the median (and the best) of the timed repeats, after the warm-up ones, for both
libraries in this process (same threads, same machine), taking turns repeat by repeat.  Both use
every core unless told otherwise (``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1`` for one thread).
``--profile`` prints where minigan's time goes (cProfile, by total time per function).
"""
from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import time

import numpy as np

import minigan as mg
from minigan import backend
from minigan import functional as F

try:
    import torch
except ImportError:
    torch = None

SHAPE, OUT_CHANNELS, KERNEL, STRIDE, PADDING = (64, 64, 14, 14), 128, 4, 2, 1


def make_inputs(seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(SHAPE, dtype=np.float32)
    w = rng.standard_normal((OUT_CHANNELS, SHAPE[1], KERNEL, KERNEL), dtype=np.float32) * 0.05
    b = rng.standard_normal(OUT_CHANNELS, dtype=np.float32)
    out = (SHAPE[2] + 2 * PADDING - KERNEL) // STRIDE + 1
    gy = rng.standard_normal((SHAPE[0], OUT_CHANNELS, out, out), dtype=np.float32)
    return x, w, b, gy


def minigan_step(device):
    """A function running one forward + backward in minigan, returning (forward seconds, backward seconds)."""
    x, w, b, gy = (mg.tensor(a, requires_grad=i < 3, device=device) for i, a in enumerate(make_inputs()))
    synchronize = backend.module_for(device).cuda.Device().synchronize if device == "gpu" else lambda: None

    def step():
        x.grad = w.grad = b.grad = None
        synchronize()
        start = time.perf_counter()
        y = F.conv2d(x, w, b, stride=STRIDE, padding=PADDING)
        synchronize()
        middle = time.perf_counter()
        y.backward(gy.data)
        synchronize()
        return middle - start, time.perf_counter() - middle

    return step


def torch_step(device):
    """The same step in PyTorch (on CUDA for ``--device gpu``)."""
    where = "cuda" if device == "gpu" else "cpu"
    x, w, b, gy = (torch.tensor(a, device=where, requires_grad=i < 3) for i, a in enumerate(make_inputs()))
    synchronize = torch.cuda.synchronize if where == "cuda" else lambda: None

    def step():
        x.grad = w.grad = b.grad = None
        synchronize()
        start = time.perf_counter()
        y = torch.nn.functional.conv2d(x, w, b, stride=STRIDE, padding=PADDING)
        synchronize()
        middle = time.perf_counter()
        y.backward(gy)
        synchronize()
        return middle - start, time.perf_counter() - middle

    return step


def measure(steps: dict, repeats: int, warmup: int) -> dict:
    """Median forward, backward and total milliseconds of each step; the steps take turns, so that a
    change in the machine's load (other processes, clock speed) affects all of them alike."""
    for step in steps.values():
        for _ in range(warmup):
            step()
    times = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            times[name].append(step())
    results = {}
    for name, ts in times.items():
        results[name] = {"forward_ms": 1e3 * statistics.median(t[0] for t in ts),
                         "backward_ms": 1e3 * statistics.median(t[1] for t in ts),
                         "total_ms": 1e3 * statistics.median(t[0] + t[1] for t in ts),
                         "best_total_ms": 1e3 * min(t[0] + t[1] for t in ts)}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--device", default="cpu", choices=["cpu", "gpu"])
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    parser.add_argument("--profile", action="store_true", help="profile minigan's step with cProfile")
    args = parser.parse_args()

    steps = {"minigan": minigan_step(args.device)}
    if torch is not None and (args.device == "cpu" or torch.cuda.is_available()):
        steps["torch"] = torch_step(args.device)
    results = measure(steps, args.repeats, args.warmup)
    if "torch" in results:
        results["ratio"] = results["minigan"]["total_ms"] / results["torch"]["total_ms"]
    config = {"input": SHAPE, "filters": OUT_CHANNELS, "kernel": KERNEL, "stride": STRIDE, "padding": PADDING,
              "dtype": "float32", "device": args.device, "repeats": args.repeats, "warmup": args.warmup,
              "torch_threads": torch.get_num_threads() if torch is not None else None}

    if args.json:
        print(json.dumps({"config": config, **results}, indent=2))
    else:
        print(f"conv2d {KERNEL}×{KERNEL} stride {STRIDE} padding {PADDING}, input {SHAPE} -> {OUT_CHANNELS} channels, "
              f"float32, {args.device}: median of {args.repeats} after {args.warmup} warm-up")
        print(f"{'':10}{'forward':>12}{'backward':>12}{'total':>12}{'best total':>14}")
        for name in ("minigan", "torch"):
            if name in results:
                r = results[name]
                print(f"{name:10}{r['forward_ms']:>10.2f}ms{r['backward_ms']:>10.2f}ms{r['total_ms']:>10.2f}ms"
                      f"{r['best_total_ms']:>12.2f}ms")
        if "ratio" in results:
            best = results["minigan"]["best_total_ms"] / results["torch"]["best_total_ms"]
            print(f"minigan / torch: {results['ratio']:.2f}× (median), {best:.2f}× (best)")
        else:
            print("(PyTorch is not installed here: no comparison)")

    if args.profile:
        step = minigan_step(args.device)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.repeats):
            step()
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
