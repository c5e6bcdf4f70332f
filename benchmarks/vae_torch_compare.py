"""The 784-400-20 VAE trained the same way in minigan and in PyTorch: test −ELBO and time, seed by seed.

Both sides: the bundled MNIST split (4,000 train / 1,000 test, pixels in [0, 1]); encoder 784 → 400 → 40
read as (m, σ), c = exp(σ)·e + m, decoder 20 → 400 → 784 with ReLU; PyTorch's default initialisation
(minigan's Linear uses the same scheme); loss = Bernoulli reconstruction error summed over pixels + the
exact KL, averaged over the batch; Adam(lr 1e-3), batch 128 (the last batch of an epoch has 32), 10
epochs, a new random order every epoch.  Test −ELBO in nats per image with 10 codes per image.
The two runs of a seed share the seed, not the random numbers (each library draws its own).

    /work/torchvenv/bin/python benchmarks/vae_torch_compare.py          # seeds 0 1 2, about 1–2 min
    python benchmarks/vae_torch_compare.py --seeds 0 --skip-torch       # minigan alone, without PyTorch

BLAS threads: both libraries are limited to ``--threads`` threads (default 1) before NumPy or PyTorch is
imported; on a shared machine, more threads than free cores make the small products far slower.
"""
import argparse
import json
import os
import sys
import time
from pathlib import Path


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--hidden", type=int, default=400)
    parser.add_argument("--latent", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1, help="BLAS / intra-op threads for both libraries")
    parser.add_argument("--skip-torch", action="store_true", help="run minigan only")
    parser.add_argument("--out", default="out/vae_torch_compare", help="folder for results.json")
    return parser.parse_args()


ARGS = parse_args()
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = str(ARGS.threads)

import numpy as np  # noqa: E402  (after the thread limits)

import minigan as mg  # noqa: E402
from minigan import nn, optim  # noqa: E402
from minigan.data import DataLoader, load_mnist, scale_images  # noqa: E402
from minigan.train import VAE, evaluate_negative_elbo, train_vae  # noqa: E402

EVAL_CODES = 10  # codes drawn per test image for E_c[−log p(x | c)]


def load_digits():
    data = load_mnist()
    return (scale_images(data.train_images, (0.0, 1.0), flatten=True),
            scale_images(data.test_images, (0.0, 1.0), flatten=True))


def run_minigan(seed, x_train, x_test, args) -> dict:
    mg.manual_seed(seed)
    encoder = nn.Sequential(nn.Linear(784, args.hidden), nn.ReLU(), nn.Linear(args.hidden, 2 * args.latent))
    decoder = nn.Sequential(nn.Linear(args.latent, args.hidden), nn.ReLU(), nn.Linear(args.hidden, 784))
    vae = VAE(encoder, decoder, args.latent)
    start = time.perf_counter()
    train_vae(vae, DataLoader(x_train, batch_size=args.batch), optim.Adam(vae.parameters(), lr=args.lr),
              epochs=args.epochs, progress=False)
    seconds = time.perf_counter() - start
    return {"negative_elbo": evaluate_negative_elbo(vae, mg.tensor(x_test), samples=EVAL_CODES)["negative_elbo"],
            "train_seconds": seconds}


def run_torch(seed, x_train, x_test, args) -> dict:
    import torch
    import torch.nn.functional as TF

    torch.set_num_threads(args.threads)
    torch.manual_seed(seed)
    n = args.latent
    encoder = torch.nn.Sequential(torch.nn.Linear(784, args.hidden), torch.nn.ReLU(),
                                  torch.nn.Linear(args.hidden, 2 * n))
    decoder = torch.nn.Sequential(torch.nn.Linear(n, args.hidden), torch.nn.ReLU(), torch.nn.Linear(args.hidden, 784))
    params = list(encoder.parameters()) + list(decoder.parameters())
    optimizer = torch.optim.Adam(params, lr=args.lr)
    train, test = torch.from_numpy(x_train), torch.from_numpy(x_test)

    def terms(x):
        h = encoder(x)
        m, sigma = h[:, :n], h[:, n:]
        c = torch.exp(sigma) * torch.randn_like(m) + m
        reconstruction = TF.binary_cross_entropy_with_logits(decoder(c), x, reduction="none").sum(1)
        kl = 0.5 * (torch.exp(2 * sigma) - (1 + 2 * sigma) + m * m).sum(1)
        return reconstruction, kl

    start = time.perf_counter()
    for _ in range(args.epochs):
        order = torch.randperm(len(train))
        for i in range(0, len(train), args.batch):
            reconstruction, kl = terms(train[order[i:i + args.batch]])
            loss = reconstruction.mean() + kl.mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    seconds = time.perf_counter() - start
    with torch.no_grad():
        h = encoder(test)
        m, sigma = h[:, :n], h[:, n:]
        kl = 0.5 * (torch.exp(2 * sigma) - (1 + 2 * sigma) + m * m).sum(1).mean().item()
        reconstruction = np.mean([
            TF.binary_cross_entropy_with_logits(decoder(torch.exp(sigma) * torch.randn_like(m) + m), test,
                                                reduction="none").sum(1).mean().item()
            for _ in range(EVAL_CODES)])
    return {"negative_elbo": reconstruction + kl, "train_seconds": seconds}


def main(args):
    try:
        import torch  # noqa: F401
        have_torch = not args.skip_torch
    except ImportError:
        print("PyTorch is not installed here: running minigan only (use /work/torchvenv/bin/python)", file=sys.stderr)
        have_torch = False
    x_train, x_test = load_digits()
    rows = []
    for seed in args.seeds:
        row = {"seed": seed, "minigan": run_minigan(seed, x_train, x_test, args)}
        if have_torch:
            row["torch"] = run_torch(seed, x_train, x_test, args)
            row["relative_difference"] = row["minigan"]["negative_elbo"] / row["torch"]["negative_elbo"] - 1
        rows.append(row)
        ours = row["minigan"]
        line = f"seed {seed}: minigan −ELBO {ours['negative_elbo']:.2f} nats ({ours['train_seconds']:.1f} s)"
        if have_torch:
            line += (f", PyTorch {row['torch']['negative_elbo']:.2f} nats ({row['torch']['train_seconds']:.1f} s), "
                     f"difference {100 * row['relative_difference']:+.2f} %")
        print(line, flush=True)

    summary = {"minigan_mean": float(np.mean([r["minigan"]["negative_elbo"] for r in rows]))}
    if have_torch:
        summary["torch_mean"] = float(np.mean([r["torch"]["negative_elbo"] for r in rows]))
        summary["relative_difference_of_means"] = summary["minigan_mean"] / summary["torch_mean"] - 1
        summary["largest_seed_difference"] = float(max(abs(r["relative_difference"]) for r in rows))
        print(f"mean over seeds: minigan {summary['minigan_mean']:.2f}, PyTorch {summary['torch_mean']:.2f} nats, "
              f"difference {100 * summary['relative_difference_of_means']:+.2f} % "
              f"(largest single-seed difference {100 * summary['largest_seed_difference']:.2f} %)")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    settings = {k: v for k, v in vars(args).items() if k != "out"}
    results = {"settings": settings, "runs": rows, "summary": summary}
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"results in {out / 'results.json'}")


if __name__ == "__main__":
    main(ARGS)
