"""The lecture's GAN (sections 2 and 3) on MNIST: a generator against a discriminator.

G turns a noise vector z ~ N(0, I) into a 28×28 digit (784 numbers in [−1, 1], tanh output); D turns a
digit into one logit (D(x) = σ(logit), "how real").  By default both are MLPs (--arch mlp, minigan/models.py:
mnist_generator, mnist_discriminator); --arch conv gives small convolutional networks instead
(mnist_conv_generator, mnist_conv_discriminator; docs/results.md says how far each gets).  Both are trained on
the bundled MNIST train split (4,000 digits) with the loop of minigan/train/gan.py, step for step the
lecture's algorithm.  In --out:

    samples_step00100.png ...  the same 100 z's drawn by G after 100, 1000, 2000, 5000, ... updates
    samples_final.png          and at the end of training
    samples_refined.png        the same z's after D's correction (below)
    history.png                Ṽ of D, mean D(x) on real digits and mean D(G(z)) over training
    diagnostics.png            mean D(x), mean D(G(z)) and the gradient norm of each layer of D and G
    training.gif               the same 100 z's drawn by G, one frame per 1/40 of the run (--no-gif: none)
    checkpoint.npz             every --save-every updates, at the end and on Ctrl-C; --resume continues from it,
                               python -m minigan.generate draws new digits from it
    samples.npy                --samples generated digits, N×784 in [−1, 1], G(z) with D's correction
    metrics.json               judged by the classifier of minigan/metrics/classifier.py: the classifier
                               score (the Inception score's formula) beside that of real test digits,
                               which digits appear and how evenly (KL of their histogram from uniform),
                               and the Fréchet distance of its features to the real test digits; the
                               same for G alone, without the correction, under "generator_alone"

After training, G proposes and D corrects (sections 10 and 11, minigan/train/latent_refinement.py): each z
takes --refine-steps Langevin steps on E(z) = ½‖z‖² − β·logit D(G(z)) before G draws it.  --refine-steps 0
gives G's own samples.

    python examples/mnist_gan.py                         # the default run (see docs/results.md)
    python examples/mnist_gan.py --arch conv             # convolutional G and D (see docs/results.md)
    python examples/mnist_gan.py --steps 2000 --out out/quick
    python examples/mnist_gan.py --device gpu
"""
import time

import numpy as np

import minigan as mg
from minigan.cli import add_beta1_option, add_ema_option, example_parser, fill_defaults
from minigan.data import load_mnist, scale_images
from minigan.io import save_json, save_samples
from minigan.metrics.classifier import digit_metrics
from minigan.models import dcgan_init, mnist_networks
from minigan.plot import diagnostics_figure, gan_history_figure, save_image_grid
from minigan.run import generate, setup_run, train_image_gan
from minigan.train import refine_latents


def nearest_distances(x: np.ndarray, database: np.ndarray) -> np.ndarray:
    """For each row of x, the Euclidean distance to the closest row of the database."""
    # ‖x − d‖² = ‖x‖² − 2 x·d + ‖d‖², for all pairs at once
    squared = (x * x).sum(1)[:, None] - 2 * x @ database.T + (database * database).sum(1)[None, :]
    return np.sqrt(np.maximum(squared.min(axis=1), 0.0))


# what --steps and --lr default to for each --arch
ARCH_DEFAULTS = {
    "conv": {"steps": 5000, "lr": 2e-4},  # DCGAN's learning rate
    # 1e-3 rather than DCGAN's 2e-4: in 10,000 updates the MLPs reached classifier score 7.5 where 2e-4 reached 6.7-6.9
    "mlp": {"steps": 20_000, "lr": 1e-3},
}


def main(argv=None) -> dict:
    parser = example_parser(__doc__, out="out/mnist_gan", save_every=1000)
    parser.add_argument("--arch", choices=sorted(ARCH_DEFAULTS), default="mlp",
                        help="the lecture's two MLPs, or convolutional G and D (default: %(default)s)")
    parser.add_argument("--steps", type=int, help="training iterations (default: 20000 for mlp, 5000 for conv)")
    parser.add_argument("--batch", type=int, default=64, help="m, examples per step (default: %(default)s)")
    parser.add_argument("--lr", type=float, help="Adam learning rate η (default: 1e-3 for mlp, 2e-4 for conv)")
    parser.add_argument("--z-dim", type=int, default=64, help="dimension of the noise z (default: %(default)s)")
    parser.add_argument("--channels", type=int, default=32,
                        help="conv: channels of G's last and D's first convolution (default: %(default)s)")
    parser.add_argument("--hidden", type=int, default=512,
                        help="mlp: widest hidden layer of G and D (default: %(default)s)")
    parser.add_argument("--dropout", type=float, default=0.3, help="dropout in D (default: %(default)s)")
    parser.add_argument("--samples", type=int, default=10_000,
                        help="digits generated for samples.npy and the metrics (default: %(default)s)")
    parser.add_argument("--refine-steps", type=int, default=40,
                        help="Langevin steps of D's correction of each z, 0 for none (default: %(default)s)")
    parser.add_argument("--refine-beta", type=float, default=3.5,
                        help="β, the weight of D's logit in the energy (default: %(default)s)")
    parser.add_argument("--refine-step-size", type=float, default=0.1,
                        help="ε, the Langevin step size (default: %(default)s)")
    add_beta1_option(parser, default=0.5, beta2=0.999)
    add_ema_option(parser, default=0.0)
    args = parser.parse_args(argv)
    fill_defaults(args, ARCH_DEFAULTS[args.arch])
    if args.refine_steps < 0 or not args.refine_step_size > 0 or not args.refine_beta >= 0:
        parser.error("--refine-steps must be at least 0, --refine-step-size positive and --refine-beta at least 0 "
                     f"(got {args.refine_steps}, {args.refine_step_size}, {args.refine_beta})")
    out = setup_run(args)
    start, cpu_start = time.perf_counter(), time.process_time()

    digits = load_mnist()
    x_train = scale_images(digits.train_images, flatten=True)  # 4,000 × 784 in [−1, 1]
    G, D = mnist_networks(vars(args))
    if args.arch == "conv":
        dcgan_init(G)
        dcgan_init(D)
    z_shown = mg.randn(100, args.z_dim)  # the same z's in every grid, so the grids show G changing
    G, history = train_image_gan(args, "mnist_gan", out, G, D, x_train, z_shown, nrow=10, argv=argv)
    train_seconds, train_cpu = time.perf_counter() - start, time.process_time() - cpu_start

    z = mg.randn(args.samples, args.z_dim)
    G_alone = generate(G, z)
    # Sections 10 and 11: D corrects G.  Langevin steps on E(z) = ½‖z‖² − β·logit D(G(z)), from the same z's
    refine = dict(steps=args.refine_steps, step_size=args.refine_step_size, beta=args.refine_beta)
    samples = generate(G, refine_latents(G, D, z, **refine))
    save_image_grid(generate(G, z_shown), out / "samples_final.png", nrow=10, title=f"after {args.steps} updates")
    save_image_grid(generate(G, refine_latents(G, D, z_shown, **refine)), out / "samples_refined.png", nrow=10,
                    title=f"the same z's after {args.refine_steps} steps of D's correction (β = {args.refine_beta:g})")
    gan_history_figure(history, out / "history.png")
    diagnostics_figure(history, out / "diagnostics.png")
    save_samples(samples, out / "samples.npy")
    # Section 5: "most outputs never appear in training".  A generated digit is as far from its nearest
    # training digit as a new real (test) digit is, unless G copies the training set.
    test = scale_images(digits.test_images, flatten=True)
    metrics = {
        **digit_metrics(samples, reference=test),
        "generator_alone": digit_metrics(G_alone, reference=test),
        "median_distance_to_nearest_training_digit": {
            "generated": float(np.median(nearest_distances(samples[:1000], x_train))),
            "real_test": float(np.median(nearest_distances(test, x_train))),
        },
        "train_seconds": train_seconds,
        "train_cpu_seconds": train_cpu,
        "seconds": time.perf_counter() - start,
        "cpu_seconds": time.process_time() - cpu_start,
        "settings": vars(args),
    }
    save_json(metrics, out / "metrics.json")
    alone = metrics["generator_alone"]
    print(f"classifier score {metrics['classifier_score']:.3f} (real test digits: {metrics['classifier_score_real']:.3f}, "
          f"ratio {metrics['classifier_score'] / metrics['classifier_score_real']:.3f}); G alone "
          f"{alone['classifier_score']:.3f} (ratio {alone['classifier_score'] / alone['classifier_score_real']:.3f})")
    print(f"digits generated: {metrics['classes_generated']} of 10, histogram "
          + " ".join(f"{share:.3f}" for share in metrics["class_histogram"])
          + f", KL from uniform {metrics['class_kl_from_uniform']:.4f}")
    print(f"Fréchet distance to test digits: {metrics['frechet_distance']:.2f} (G alone: {alone['frechet_distance']:.2f})")
    print(f"training took {train_seconds:.0f} s ({train_cpu:.0f} s of CPU time); "
          f"figures, samples.npy and metrics.json in {out}/")
    return metrics


if __name__ == "__main__":
    main()
