"""Milliseconds per training iteration of three small models, in minigan and, side by side, in PyTorch.

    python benchmarks/bench_train_step.py                    # CPU: ms per training iteration, each config
    python benchmarks/bench_train_step.py --device gpu       # the same on a GPU (CuPy), also at batch 512
    python benchmarks/bench_train_step.py --compare torch    # the same configs in PyTorch, ratio minigan / torch
    options: --configs mlp-gan dcgan vae-mlp  --repeats N  --warmup N  --threads N  --json  --save PATH
             --no-memory  --clock cpu (process time: steadier on a busy machine, with one thread)
             --check (the two libraries compute the same losses)  --profile CONFIG (where minigan's time goes)

The configs (the performance issue's, exactly):
  mlp-gan  G z64 → 256 → 256 → 784 (LeakyReLU 0.2, tanh); D 784 → 256 → 256 → 1 (LeakyReLU 0.2); batch 64;
           Adam(2e-4, betas (0.5, 0.999)).  One iteration = one D step on real and generated examples
           (BCE with logits) + one G step (non-saturating: BCE of D(G(z)) against "real").
  dcgan    G z64 → Linear 128·7·7 → BatchNorm1d → ReLU → (128, 7, 7) → ConvTranspose2d(128, 64, 4, 2, 1) →
           BatchNorm2d → ReLU → ConvTranspose2d(64, 1, 4, 2, 1) → tanh; D 1×28×28 → Conv2d(1, 64, 4, 2, 1) →
           LeakyReLU 0.2 → Conv2d(64, 128, 4, 2, 1) → BatchNorm2d → LeakyReLU 0.2 → Flatten → Linear(6272, 1);
           batch 64; the optimiser and iteration of mlp-gan.
  vae-mlp  encoder 784 → 400 (ReLU) → 40 = (20 means m, 20 log-σ); decoder 20 → 400 (ReLU) → 784 logits (the
           Bernoulli means are their sigmoid); batch 128; Adam(1e-3); loss = Bernoulli reconstruction summed
           over pixels + KL, averaged over the batch.
On the GPU every config runs again at batch 512.

The models, the loss and the iteration are written ONCE (below) against a small namespace, ``Side``, that
holds one library's ``nn``, ``F``, ``optim``, ``no_grad`` and tensor makers: minigan's API is PyTorch's,
so the same lines build and train both, and PyTorch starts from minigan's initial weights.

How it measures: each library warms up, then the libraries take turns iteration by iteration (the order
flips every round), so a change in the machine's load hits both alike; the table shows the median of the
timed iterations (on the GPU each is synchronised before the clock stops).  Peak memory is what one
library's training needs on top of its built model: on the CPU how far the resident memory of a fresh
process peaks above it over a few iterations (Linux's VmHWM, reset after the build), on the GPU the
growth of the memory the library's allocator holds (CuPy's pool, ``torch.cuda.max_memory_reserved``).
"""
from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import itertools
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

import numpy as np

import minigan as mg
from minigan import backend

try:
    import torch
except ImportError:
    torch = None

CONFIGS = ("mlp-gan", "dcgan", "vae-mlp")
BATCH = {"mlp-gan": 64, "dcgan": 64, "vae-mlp": 128}
GPU_BATCH = 512
Z_DIM, LATENT = 64, 20


# ---------------------------------------------------------------- one library's names
@dataclass
class Side:
    """What a training step needs from one library, under the same names for minigan and PyTorch."""

    name: str
    nn: object
    F: object
    optim: object
    no_grad: object
    randn: object  # shape -> tensor of N(0, 1) samples on the device
    full: object  # (shape, value) -> tensor on the device
    tensor: object  # NumPy array -> tensor on the device
    to_device: object  # module -> the module on the device
    synchronize: object  # wait for the device to finish (a no-op on the CPU)


def _noop() -> None:
    return None


def minigan_side(device: str) -> Side:
    from minigan import functional, nn, optim

    synchronize = backend.module_for("gpu").cuda.Device().synchronize if device == "gpu" else _noop
    return Side("minigan", nn, functional, optim, mg.no_grad,
                randn=lambda shape: mg.randn(*shape, device=device),
                full=lambda shape, value: mg.full(shape, value, device=device),
                tensor=lambda array: mg.tensor(array, device=device),
                to_device=lambda module: module.to(device),
                synchronize=synchronize)


def torch_side(device: str) -> Side:
    where = "cuda" if device == "gpu" else "cpu"
    return Side("torch", torch.nn, torch.nn.functional, torch.optim, torch.no_grad,
                randn=lambda shape: torch.randn(*shape, device=where),
                full=lambda shape, value: torch.full(shape, value, device=where),
                tensor=lambda array: torch.tensor(array, device=where),
                to_device=lambda module: module.to(where),
                synchronize=torch.cuda.synchronize if where == "cuda" else _noop)


# ---------------------------------------------------------------- the models (the same code for both)
def mlp_gan_models(nn):
    G = nn.Sequential(nn.Linear(Z_DIM, 256), nn.LeakyReLU(0.2), nn.Linear(256, 256), nn.LeakyReLU(0.2),
                      nn.Linear(256, 784), nn.Tanh())
    D = nn.Sequential(nn.Linear(784, 256), nn.LeakyReLU(0.2), nn.Linear(256, 256), nn.LeakyReLU(0.2),
                      nn.Linear(256, 1))
    return G, D


def dcgan_models(nn):
    G = nn.Sequential(nn.Linear(Z_DIM, 128 * 7 * 7), nn.BatchNorm1d(128 * 7 * 7), nn.ReLU(),
                      nn.Unflatten(1, (128, 7, 7)),
                      nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(),
                      nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh())
    D = nn.Sequential(nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2),
                      nn.Conv2d(64, 128, 4, 2, 1), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
                      nn.Flatten(), nn.Linear(6272, 1))
    return G, D


def vae_models(nn):
    encoder = nn.Sequential(nn.Linear(784, 400), nn.ReLU(), nn.Linear(400, 2 * LATENT))
    decoder = nn.Sequential(nn.Linear(LATENT, 400), nn.ReLU(), nn.Linear(400, 784))
    return encoder, decoder


def gan_step(side: Side, G, D, x_real, batch: int):
    """One GAN training iteration (D step, then G step) as a function of a noise source."""
    F = side.F
    opt_D = side.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_G = side.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real, fake = side.full((batch, 1), 1.0), side.full((batch, 1), 0.0)
    d_params = list(D.parameters())

    def step(noise):
        # D step, G fixed: minimise BCE(D(x), real) + BCE(D(G(z)), fake)
        z = noise((batch, Z_DIM))
        with side.no_grad():
            x_tilde = G(z)
        loss_D = (F.binary_cross_entropy_with_logits(D(x_real), real)
                  + F.binary_cross_entropy_with_logits(D(x_tilde), fake))
        opt_D.zero_grad()
        loss_D.backward()
        opt_D.step()
        # G step, D fixed: non-saturating, minimise BCE(D(G(z)), real) = −log D(G(z))
        z = noise((batch, Z_DIM))
        for p in d_params:
            p.requires_grad_(False)
        loss_G = F.binary_cross_entropy_with_logits(D(G(z)), real)
        opt_G.zero_grad()
        loss_G.backward()
        opt_G.step()
        for p in d_params:
            p.requires_grad_(True)
        return loss_D, loss_G

    return step


def vae_step(side: Side, encoder, decoder, x, batch: int):
    """One VAE training iteration as a function of a noise source."""
    F = side.F
    optimizer = side.optim.Adam(list(encoder.parameters()) + list(decoder.parameters()), lr=1e-3)

    def step(noise):
        h = encoder(x)
        m, sigma = h[:, :LATENT], h[:, LATENT:]
        # c = exp(σ) · e + m
        c = sigma.exp() * noise((batch, LATENT)) + m
        logits = decoder(c)
        reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1).mean()
        # KL(N(m, exp(2σ)) ‖ N(0, I)) = ½ Σ (exp(2σ) − (1 + 2σ) + m²)
        kl = (0.5 * ((2.0 * sigma).exp() - (1.0 + 2.0 * sigma) + m * m).sum(1)).mean()
        loss = reconstruction + kl
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return (loss,)

    return step


def build(config: str, sides: list, batch: int, device: str, seed: int = 0) -> dict:
    """{side name: step(noise) -> losses} for ``config``; every side starts from minigan's initial weights."""
    mg.manual_seed(seed)
    make = {"mlp-gan": mlp_gan_models, "dcgan": dcgan_models, "vae-mlp": vae_models}[config]
    reference = make(mg.nn)  # built on the CPU, so the weights are the same for every device
    weights = [{k: backend.to_numpy(v) for k, v in model.state_dict().items()} for model in reference]
    data = np.random.default_rng(seed)
    if config == "vae-mlp":
        x = data.random((batch, 784), dtype=np.float32)  # pixels in [0, 1]
    else:
        x = data.uniform(-1, 1, (batch, 1, 28, 28) if config == "dcgan" else (batch, 784)).astype(np.float32)
    steps = {}
    for side in sides:
        if side.name == "minigan":
            models = reference
        else:
            models = make(side.nn)
            for model, state in zip(models, weights):
                model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in state.items()})
        first, second = (side.to_device(model) for model in models)
        maker = vae_step if config == "vae-mlp" else gan_step
        steps[side.name] = maker(side, first, second, side.tensor(x), batch)
    return steps


# ---------------------------------------------------------------- measuring
def timed(side: Side, step, clock=time.perf_counter):
    """step as a function returning the seconds one iteration took (synchronised on the GPU)."""
    def run() -> float:
        side.synchronize()
        start = clock()
        step(side.randn)
        side.synchronize()
        return clock() - start
    return run


def measure(runs: dict, repeats: int, warmup: int) -> dict:
    """Median and quartiles in ms; the runs take turns (order flipped every round) after each warms up."""
    for run in runs.values():
        for _ in range(warmup):
            run()
    names = list(runs)
    times = {name: [] for name in names}
    for r in range(repeats):
        for name in (names if r % 2 == 0 else names[::-1]):
            times[name].append(1e3 * runs[name]())
    result = {}
    for name, ts in times.items():
        q1, _, q3 = statistics.quantiles(ts, n=4) if len(ts) > 1 else (ts[0],) * 3
        result[name] = {"median_ms": statistics.median(ts), "p25_ms": q1, "p75_ms": q3}
    return result


def _memory_status_mib(field: str) -> float:
    """VmRSS (resident now) or VmHWM (the peak since the last reset) of this process, in MiB (Linux)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise OSError(f"/proc/self/status has no {field}")


def memory_probe(config: str, library: str, batch: int) -> float:
    """CPU: how far one library's resident memory peaks above the built model over 5 iterations.

    Run in a fresh process; the peak is reset first (``/proc/self/clear_refs``), so the imports' own peak
    does not count.
    """
    sides = [minigan_side("cpu") if library == "minigan" else torch_side("cpu")]
    step = build(config, sides, batch, "cpu")[library]
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # VmHWM := VmRSS
    before = _memory_status_mib("VmRSS")
    for _ in range(5):
        step(sides[0].randn)
    return _memory_status_mib("VmHWM") - before


def cpu_memory(config: str, library: str, batch: int, threads: int) -> float | None:
    command = [sys.executable, os.path.abspath(__file__), "--memory-probe", config, library, str(batch),
               "--threads", str(threads)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        print(f"(memory probe for {library} {config} failed: {done.stderr.strip()[-300:]})", file=sys.stderr)
        return None
    return float(done.stdout.strip().splitlines()[-1])


class GpuMemory:
    """Growth of the memory each library's GPU allocator holds, from before the first iteration to the end."""

    def __init__(self, names):
        self.names = names
        gc.collect()  # the previous config's arrays go, so that its cached blocks can be freed
        self.pool = backend.module_for("gpu").get_default_memory_pool()
        self.pool.free_all_blocks()
        if "torch" in names:
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
        self.start = self._held()

    def _held(self) -> dict:
        held = {"minigan": self.pool.total_bytes()}
        if "torch" in self.names:
            held["torch"] = torch.cuda.max_memory_reserved()
        return held

    def growth_mib(self) -> dict:
        end = self._held()
        return {name: (end[name] - self.start[name]) / 2**20 for name in self.names}


def check(config: str, sides: list, batch: int, device: str, iterations: int = 3) -> float:
    """Largest relative difference between the libraries' losses over a few iterations with the same noise."""
    steps = build(config, sides, batch, device)
    rng = np.random.default_rng(1)
    worst = 0.0
    for _ in range(iterations):
        draws = []  # drawn when the first library asks, replayed in the same order for the second
        losses = {}
        for side in sides:
            count = itertools.count()

            def noise(shape, side=side, count=count):
                i = next(count)
                if i == len(draws):
                    draws.append(rng.standard_normal(shape, dtype=np.float32))
                return side.tensor(draws[i])

            losses[side.name] = [float(loss.item()) for loss in steps[side.name](noise)]
        a, b = losses["minigan"], losses["torch"]
        worst = max([worst] + [abs(u - v) / max(abs(v), 1e-6) for u, v in zip(a, b)])
    return worst


def machine(device: str, threads: int) -> dict:
    info = {"cpu": _cpu_name(), "cores": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__, "blas": _blas_name(),
            "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
            or f"{os.cpu_count()} (all cores)",
            "minigan": mg.__version__}
    if torch is not None:
        info.update(torch=torch.__version__, torch_threads=threads)
    if device == "gpu":
        cupy = backend.module_for("gpu")
        info.update(gpu=cupy.cuda.runtime.getDeviceProperties(0)["name"].decode(), cupy=cupy.__version__)
    return info


def _cpu_name() -> str:
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _blas_name() -> str:
    with contextlib.suppress(Exception):
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas['name']} {blas.get('version', '')}".strip()
    return "unknown"


# ---------------------------------------------------------------- main
def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "gpu"])
    parser.add_argument("--compare", choices=["torch"], help="also time the same configs in PyTorch")
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=CONFIGS)
    parser.add_argument("--repeats", type=int, help="timed iterations per library (default 30 on CPU, 50 on GPU)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed iterations first (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(),
                        help="PyTorch's CPU threads (default: every core, as NumPy's BLAS uses)")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="wall time (default), or this process's CPU time: steadier on a busy machine, "
                             "comparable to wall time only with one thread (--threads 1, OPENBLAS_NUM_THREADS=1)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    parser.add_argument("--save", metavar="PATH", help="also write the results as JSON to PATH")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory measurement")
    parser.add_argument("--check", action="store_true", help="first check both libraries compute the same losses")
    parser.add_argument("--profile", choices=CONFIGS, help="profile minigan's iterations of one config (cProfile)")
    parser.add_argument("--memory-probe", nargs=3, metavar=("CONFIG", "LIBRARY", "BATCH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.repeats is None:
        args.repeats = 50 if args.device == "gpu" else 30
    if args.repeats < 1 or args.warmup < 0:
        parser.error("--repeats must be at least 1 and --warmup at least 0")
    if args.clock == "cpu" and args.device == "gpu":
        parser.error("--clock cpu measures the CPU's work only: use the wall clock on the GPU")
    return args


def main() -> None:
    args = parse_args()
    if torch is not None:
        torch.set_num_threads(args.threads)
    if args.memory_probe:
        config, library, batch = args.memory_probe
        print(memory_probe(config, library, int(batch)))
        return
    if args.device == "gpu" and not backend.gpu_available():
        sys.exit("bench_train_step: --device gpu needs CuPy and a CUDA GPU; " + (
            "CuPy is not installed" if backend._cupy is None else "CuPy sees no GPU"))
    if args.compare == "torch" and torch is None:
        sys.exit("bench_train_step: --compare torch needs PyTorch, which is not installed in this environment "
                 "(pip install torch, or run without --compare)")
    if args.compare == "torch" and args.device == "gpu" and not torch.cuda.is_available():
        sys.exit("bench_train_step: --compare torch on the GPU needs a CUDA build of PyTorch that sees the GPU")
    if args.profile:
        clock = time.process_time if args.clock == "cpu" else time.perf_counter
        profile(args.profile, args.device, args.repeats, clock)
        return

    sides = [minigan_side(args.device)] + ([torch_side(args.device)] if args.compare == "torch" else [])
    batches = [None, GPU_BATCH] if args.device == "gpu" else [None]
    rows = []
    for config in args.configs:
        for batch in batches:
            batch = batch or BATCH[config]
            row = {"config": config, "batch": batch}
            if args.check and len(sides) == 2:
                row["check_max_rel_diff"] = check(config, sides, batch, args.device)
            steps = build(config, sides, batch, args.device)
            gpu_memory = GpuMemory([s.name for s in sides]) if args.device == "gpu" else None
            clock = time.process_time if args.clock == "cpu" else time.perf_counter
            results = measure({s.name: timed(s, steps[s.name], clock) for s in sides}, args.repeats, args.warmup)
            del steps
            for name, result in results.items():
                if args.no_memory:
                    result["peak_mib"] = None
                elif gpu_memory is not None:
                    result["peak_mib"] = gpu_memory.growth_mib()[name]
                else:
                    result["peak_mib"] = cpu_memory(config, name, batch, args.threads)
                row[name] = result
            if "torch" in row:
                row["ratio"] = row["minigan"]["median_ms"] / row["torch"]["median_ms"]
            rows.append(row)
            if not args.json:
                print_row(row, first=len(rows) == 1, args=args)
    report = {"machine": machine(args.device, args.threads), "device": args.device, "clock": args.clock,
              "repeats": args.repeats, "warmup": args.warmup, "date": time.strftime("%Y-%m-%d"), "results": rows}
    if args.json:
        print(json.dumps(report, indent=2))
    if args.save:
        with open(args.save, "w") as f:
            json.dump(report, f, indent=2)


def print_row(row: dict, first: bool, args) -> None:
    if first:
        info = machine(args.device, args.threads)
        where = info.get("gpu", f"{info['cpu']}, {info['cores']} cores")
        print(f"{where}; NumPy {info['numpy']} ({info['blas']}, threads {info['blas_threads']})"
              + (f"; PyTorch {info['torch']} ({args.threads} threads)" if args.compare else ""))
        print(f"median ms ({args.clock} clock) per training iteration of {args.repeats} timed after "
              f"{args.warmup} warm-up [quartiles]; peak MiB over the built model")
        header = f"{'config':9}{'batch':>6}{'minigan ms':>26}{'MiB':>7}"
        if args.compare:
            header += f"{'torch ms':>26}{'MiB':>7}{'ratio':>7}"
        print(header)
    line = f"{row['config']:9}{row['batch']:>6}"
    for name in ("minigan", "torch") if args.compare else ("minigan",):
        r = row[name]
        spread = f"[{r['p25_ms']:.2f}–{r['p75_ms']:.2f}]"
        memory = f"{r['peak_mib']:.0f}" if r["peak_mib"] is not None else "–"
        line += f"{r['median_ms']:>10.2f} {spread:>15}{memory:>7}"
    if "ratio" in row:
        line += f"{row['ratio']:>7.2f}"
    if "check_max_rel_diff" in row:
        line += f"   (losses agree to {row['check_max_rel_diff']:.1e})"
    print(line, flush=True)


def profile(config: str, device: str, repeats: int, clock) -> None:
    """Where minigan's time goes in ``config``: cProfile over the timed iterations, by own time, then
    minigan's functions by cumulative time (which layer or op the time is spent under)."""
    side = minigan_side(device)
    run = timed(side, build(config, [side], BATCH[config], device)["minigan"])
    for _ in range(3):
        run()
    profiler = cProfile.Profile(clock)
    profiler.enable()
    for _ in range(repeats):
        run()
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats("minigan", 30)


if __name__ == "__main__":
    main()
