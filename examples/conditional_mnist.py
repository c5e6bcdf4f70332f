"""Conditional generation (lecture section 5, text to image in miniature): ask for a "7", get a seven.

G(z, c) draws a digit from noise z ~ N(0, I) and the requested digit c; D(x, c) judges a digit together with a
label (minigan/models.py: conditional_mnist_networks, the MLPs of examples/mnist_gan.py with c embedded).  They are
trained on the 4,000 bundled MNIST training digits and their labels with the loop of minigan/train/conditional.py:
D learns that a real digit with its own label is real, that G(z, c) with c is fake, and (matching-aware, the
default) that a real digit with another label is fake too, so G cannot ignore c.  c enters D by projection
(--conditioning projection, the default) or by concatenation (--conditioning concat).  In --out:

    samples_step00100.png ...  a 10×10 grid, row d asks for digit d, one z per column, after 100, 1000, 2000, 5000, ...
                               updates (as far as the run goes)
    samples_final.png          and at the end of training
    history.png                Ṽ of D, mean D(x, c) on real pairs and mean D(G(z, c), c) over training
    diagnostics.png            mean D(x, c), mean D(G(z, c), c) and the gradient norm of each layer of D and G
    training.gif               the same grid, one frame per 1/40 of the run (--no-gif: none)
    checkpoint.npz             every --save-every updates, at the end and on Ctrl-C; --resume continues from it,
                               python -m minigan.generate RUN --label 7 draws new sevens from it
    samples.npy                --samples digits, N×784 in [−1, 1], the same number of each digit, 0s first
    labels.npy                 the digit each row of samples.npy asked for
    metrics.json               judged by the shipped digit classifier (minigan/metrics/conditional.py): how often it
                               reads the requested digit, overall and per digit; the classifier score of all samples
                               beside that of real test digits; per digit, the Fréchet distance to its real test digits

    python examples/conditional_mnist.py                              # the default run (see docs/results.md)
    python examples/conditional_mnist.py --no-mismatch --out out/plain   # D without mismatched pairs
    python -m minigan.generate out/conditional_mnist --label 7 --n 64
"""
import argparse
import time
from pathlib import Path

import numpy as np

import minigan as mg
from minigan.cli import add_beta1_option, add_ema_option, example_parser
from minigan.data import load_mnist, scale_images
from minigan.io import save_json, save_samples
from minigan.metrics.conditional import conditional_digit_metrics
from minigan.models import DIGITS, conditional_mnist_networks, conditional_samples, draw_digits
from minigan.plot import diagnostics_figure, gan_history_figure, save_image_grid
from minigan.run import LECTURE_UPDATES, setup_run, train_conditional_image_gan

ROWS = np.repeat(np.arange(10), 10)  # the grids: row d asks for digit d, ten times


def snapshots(G, z, out: Path, steps: int):
    """A loop callback that saves the grid of G(z, c) (row d: digit d) after each lecture update count below
    ``steps``."""
    shown_at = {n for n in LECTURE_UPDATES if n < steps}

    def callback(step, history):
        if step + 1 in shown_at:
            save_image_grid(conditional_samples(G, z, ROWS), out / f"samples_step{step + 1:05d}.png", nrow=10,
                            title=f"row d asks for digit d, after {step + 1} updates")

    return callback


def main(argv=None) -> dict:
    parser = example_parser(__doc__, out="out/conditional_mnist", save_every=1000)
    parser.add_argument("--steps", type=int, default=5000, help="training iterations (default: %(default)s)")
    parser.add_argument("--batch", type=int, default=64, help="m, examples per step (default: %(default)s)")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate η (default: %(default)s)")
    parser.add_argument("--z-dim", type=int, default=64, help="dimension of the noise z (default: %(default)s)")
    parser.add_argument("--embed-dim", type=int, default=32,
                        help="size of the label's vector e(c) joined to z (and to D's features for concat) "
                             "(default: %(default)s)")
    parser.add_argument("--hidden", type=int, default=512, help="widest hidden layer of G and D (default: %(default)s)")
    parser.add_argument("--dropout", type=float, default=0.3, help="dropout in D (default: %(default)s)")
    parser.add_argument("--conditioning", choices=["projection", "concat"], default="projection",
                        help="how the label enters D: ψ(φ(x)) + ⟨e(c), φ(x)⟩, or e(c) joined to φ(x) "
                             "(default: %(default)s)")
    parser.add_argument("--mismatch", action=argparse.BooleanOptionalAction, default=True,
                        help="the matching-aware D: real digits with a wrong label count as fake (default: on)")
    parser.add_argument("--samples", type=int, default=10_000,
                        help="digits generated for samples.npy and the metrics, a multiple of 10 "
                             "(default: %(default)s)")
    add_beta1_option(parser, default=0.5, beta2=0.999)
    add_ema_option(parser, default=0.0)
    args = parser.parse_args(argv)
    if args.samples < 10 or args.samples % 10:
        parser.error(f"--samples {args.samples}: give a positive multiple of 10, the same number of each digit")
    out = setup_run(args)
    start, cpu_start = time.perf_counter(), time.process_time()

    digits = load_mnist()
    x_train = scale_images(digits.train_images, flatten=True)  # 4,000 × 784 in [−1, 1]
    c_train = digits.train_labels  # the digit of each
    G, D = conditional_mnist_networks(vars(args))
    z_shown = mg.randn(10, args.z_dim)[np.tile(np.arange(10), 10)]  # the grids: one z per column, in every row
    G, history = train_conditional_image_gan(args, "conditional_mnist", out, G, D, x_train, c_train, DIGITS, z_shown,
                                             ROWS, lambda G: snapshots(G, z_shown, out, args.steps), nrow=10,
                                             argv=argv)
    train_seconds, train_cpu = time.perf_counter() - start, time.process_time() - cpu_start

    # the same number of each digit, in order: what python -m minigan.generate draws without --label
    labels = np.arange(args.samples) * 10 // args.samples
    samples = draw_digits(G, labels, args.z_dim)
    save_image_grid(conditional_samples(G, z_shown, ROWS), out / "samples_final.png", nrow=10,
                    title=f"row d asks for digit d, after {args.steps} updates")
    gan_history_figure(history, out / "history.png")
    diagnostics_figure(history, out / "diagnostics.png")
    save_samples(samples, out / "samples.npy")
    np.save(out / "labels.npy", labels)
    metrics = {
        **conditional_digit_metrics(samples, labels),
        "train_seconds": train_seconds,
        "train_cpu_seconds": train_cpu,
        "seconds": time.perf_counter() - start,
        "cpu_seconds": time.process_time() - cpu_start,
        "settings": vars(args),
    }
    save_json(metrics, out / "metrics.json")
    per_digit = metrics["per_digit"]
    print(f"the classifier reads the requested digit in {metrics['agreement']:.1%} of {len(samples)} samples; "
          "per digit " + " ".join(f"{d}: {v['agreement']:.3f}" for d, v in per_digit.items()))
    print(f"classifier score {metrics['classifier_score']:.3f} (real test digits: "
          f"{metrics['classifier_score_real']:.3f}, ratio {metrics['classifier_score'] / metrics['classifier_score_real']:.3f}); Fréchet distance "
          f"{metrics['frechet_distance']:.2f}")
    print(f"training took {train_seconds:.0f} s ({train_cpu:.0f} s of CPU time); "
          f"figures, samples.npy, labels.npy and metrics.json in {out}/")
    return metrics


if __name__ == "__main__":
    main()
