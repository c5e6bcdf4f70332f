"""The VAE of lecture section 6.2 on MNIST: the same figures as the auto-encoder, and −ELBO in nats.

encoder 784 → 400 → (m, σ), cᵢ = exp(σᵢ)·eᵢ + mᵢ with e ~ N(0, I), decoder c → 400 → 784, trained on
the bundled MNIST train split (4,000 digits) to minimise reconstruction error + KL (minigan/train/vae.py;
σ is the log standard deviation, see the note there and in docs/lecture.md).

    python examples/mnist_vae.py                 # 2-D code: code_plane.png, decoded_grid.png,
                                                 # interpolation.png as for the auto-encoder (codes = m)
    python examples/mnist_vae.py --code-dim 20 --epochs 10
                                                 # 784-400-20, as in the common reference implementation

Both report the negative ELBO per test image in nats (Bernoulli likelihood on pixels in [0, 1], summed over
the 784 pixels; E over c estimated with 10 codes per image), and save reconstructions.png, samples.png
(decodes of c ~ N(0, I)), history.png, metrics.json and the arrays behind the figures as .npy in --out.
"""
import time

import minigan as mg
from minigan import optim
from minigan.cli import example_parser
from minigan.code_plane import code_plane_figures, history_figure, in_batches, interleave, load_digits
from minigan.data import DataLoader
from minigan.io import save_json, save_samples
from minigan.models import relu_mlp
from minigan.plot import as_uint8, save_image_grid
from minigan.run import Checkpoints, Frames, fixed_noise, setup_run
from minigan.train import VAE, evaluate_negative_elbo, train_vae


def main(argv=None) -> dict:
    """Run the example with command-line arguments ``argv`` (default: sys.argv); return its metrics."""
    parser = example_parser(__doc__, out="out/mnist_vae", save_every=500)
    parser.add_argument("--code-dim", type=int, default=2, help="dimension n of the code c (default: %(default)s)")
    parser.add_argument("--epochs", type=int, default=40,
                        help="passes over the 4,000 training digits (default: %(default)s)")
    parser.add_argument("--batch", type=int, default=128, help="examples per update (default: %(default)s)")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default: %(default)s)")
    parser.add_argument("--hidden", type=int, default=400,
                        help="hidden units of encoder and decoder (default: %(default)s)")
    parser.add_argument("--grid", type=int, default=15,
                        help="decoded grid is grid × grid codes (default: %(default)s)")
    args = parser.parse_args(argv)
    out = setup_run(args)
    start = time.perf_counter()

    x_train, _, x_test, y_test = load_digits()
    # the encoder's last layer gives 2n numbers: m₁…m_n, then σ₁…σ_n
    vae = VAE(relu_mlp([784, args.hidden, 2 * args.code_dim]), relu_mlp([args.code_dim, args.hidden, 784]),
              args.code_dim)
    optimizer = optim.Adam(vae.parameters(), lr=args.lr)
    loader = DataLoader(x_train, batch_size=args.batch)
    # training.gif: the decodes of the same 64 codes c every 1/40 of the run
    c_shown = fixed_noise(args.seed, 64, args.code_dim)

    def decode_shown(step):
        with mg.no_grad():
            return step, as_uint8(vae.decode(c_shown).numpy(), low=0.0)

    frames = Frames(args, args.epochs * len(loader), decode_shown)
    # checkpoint.npz in --out: every --save-every updates, at the end, on Ctrl-C; --resume continues from it
    checkpoints = Checkpoints(args, "mnist_vae", out, {"vae": vae}, {"vae": optimizer}, state={"loader": loader, "frames": frames.frames},
                              argv=argv)
    start_step, history = checkpoints.resume()
    with checkpoints:
        history = train_vae(vae, loader, optimizer, epochs=args.epochs, progress=not args.no_progress,
                            start_step=start_step, history=history, callback=checkpoints.callback(frames.callback))
    checkpoints.save(len(history["loss"]), history)
    train_seconds = time.perf_counter() - start

    test = evaluate_negative_elbo(vae, mg.tensor(x_test), samples=10)
    reconstructions = in_batches(lambda x: vae.decode(vae.encode(x)[0]), x_test)  # decode the means m
    samples = vae.generate(100).numpy()
    shown = {}
    if args.code_dim == 2:
        codes = in_batches(lambda x: vae.encode(x)[0], x_test)
        shown = code_plane_figures(vae.decode, codes, x_test, y_test, out, "VAE", args.grid)
    save_image_grid(interleave(x_test[:50], reconstructions[:50]), out / "reconstructions.png", nrow=10,
                    title="test digits and the decodes of their m")
    save_image_grid(samples, out / "samples.png", nrow=10, title="decodes of c ~ N(0, I)")
    history_figure(history, out / "history.png", ["loss", "reconstruction", "kl"])
    frames.save(out, nrow=8, what="decodes of the same codes c")
    save_samples(reconstructions, out / "reconstructions.npy")
    save_samples(samples, out / "samples.npy")

    metrics = {
        "test_negative_elbo_nats": test["negative_elbo"],
        "test_reconstruction_nats": test["reconstruction"],
        "test_kl_nats": test["kl"],
        "final_train_loss_nats": history["loss"][-1],
        **shown,
        "train_seconds": train_seconds,
        "seconds": time.perf_counter() - start,
        "settings": vars(args),
    }
    save_json(metrics, out / "metrics.json")
    print(f"test −ELBO: {test['negative_elbo']:.2f} nats per image "
          f"(reconstruction {test['reconstruction']:.2f} + KL {test['kl']:.2f})")
    if shown:
        low, high = shown["code_range_low"], shown["code_range_high"]
        print(f"code range (1st–99th percentile of m): c₁ ∈ [{low[0]:.2f}, {high[0]:.2f}], "
              f"c₂ ∈ [{low[1]:.2f}, {high[1]:.2f}]")
    print(f"training took {train_seconds:.1f} s; figures, .npy arrays and metrics.json in {out}/")
    return metrics


if __name__ == "__main__":
    main()
