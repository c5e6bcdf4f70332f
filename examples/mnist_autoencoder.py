"""Can a generator learn by itself? An MNIST auto-encoder with a 2-D code (lecture section 6.1).

encoder 784 → 400 → 2 and decoder 2 → 400 → 784 (--hidden, --code-dim) are trained jointly on the bundled MNIST train split
(4,000 digits) to make the output as close as possible to the input (minigan/train/autoencoder.py).
The decoder alone is then a generator of digits from 2-D codes.  Figures in --out:

    code_plane.png      the codes of the 1,000 test digits, coloured by digit
    decoded_grid.png    the decoder's output on an even grid over the code range the test codes occupy
                        (their 1st to 99th percentile per axis; the lecture's grid is [−1.5, 1.5]²)
    interpolation.png   codes a and b of two "1"s (an upright and a slanted one) and the decodes of
                        points on the line between them, 0.5a + 0.5b among them
    reconstructions.png test digits (odd rows) and their reconstructions (even rows)

and metrics.json, history.png, and the arrays behind the figures as .npy.

    python examples/mnist_autoencoder.py                 # 40 epochs, about a minute on a 2-core CPU
"""
import time

import numpy as np

import minigan as mg
from minigan import optim
from minigan.cli import example_parser
from minigan.code_plane import code_plane_figures, history_figure, in_batches, interleave, load_digits
from minigan.data import DataLoader
from minigan.io import save_json, save_samples
from minigan.models import relu_mlp
from minigan.plot import as_uint8, save_image_grid
from minigan.run import Checkpoints, Frames, setup_run
from minigan.train import AutoEncoder, reconstruction_error, train_autoencoder


# ---------------------------------------------------------------- the run
def main(argv=None) -> dict:
    """Run the example with command-line arguments ``argv`` (default: sys.argv); return its metrics."""
    parser = example_parser(__doc__, out="out/mnist_autoencoder", save_every=500)
    parser.add_argument("--epochs", type=int, default=40,
                        help="passes over the 4,000 training digits (default: %(default)s)")
    parser.add_argument("--batch", type=int, default=128, help="examples per update (default: %(default)s)")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default: %(default)s)")
    parser.add_argument("--hidden", type=int, default=400,
                        help="hidden units of encoder and decoder (default: %(default)s)")
    parser.add_argument("--grid", type=int, default=15,
                        help="decoded grid is grid × grid codes (default: %(default)s)")
    parser.add_argument("--code-dim", type=int, default=2,
                        help="dimension of the code c (default: %(default)s; the figures need 2)")
    args = parser.parse_args(argv)
    out = setup_run(args)
    start = time.perf_counter()

    x_train, _, x_test, y_test = load_digits()
    ae = AutoEncoder(relu_mlp([784, args.hidden, args.code_dim]), relu_mlp([args.code_dim, args.hidden, 784]))
    optimizer = optim.Adam(ae.parameters(), lr=args.lr)
    loader = DataLoader(x_train, batch_size=args.batch)
    # training.gif: the reconstructions of the same 64 test digits every 1/40 of the run
    x_shown = mg.tensor(x_test[:64])

    def reconstruct_shown(step):
        with mg.no_grad():
            return step, as_uint8(ae.decode(ae.encode(x_shown)).numpy(), low=0.0)

    frames = Frames(args, args.epochs * len(loader), reconstruct_shown)
    # checkpoint.npz in --out: every --save-every updates, at the end, on Ctrl-C; --resume continues from it
    checkpoints = Checkpoints(args, "mnist_autoencoder", out, {"autoencoder": ae}, {"autoencoder": optimizer},
                              state={"loader": loader, "frames": frames.frames}, argv=argv)
    start_step, history = checkpoints.resume()
    with checkpoints:
        history = train_autoencoder(ae, loader, optimizer, epochs=args.epochs, progress=not args.no_progress,
                                    start_step=start_step, history=history, callback=checkpoints.callback(frames.callback))
    checkpoints.save(len(history["loss"]), history)
    train_seconds = time.perf_counter() - start

    codes = in_batches(ae.encode, x_test)
    reconstructions = in_batches(lambda x: ae.decode(ae.encode(x)), x_test)
    test_error = np.mean(in_batches(lambda x: reconstruction_error(ae(x), x), x_test))
    shown = {}
    if args.code_dim == 2:
        shown = code_plane_figures(ae.decode, codes, x_test, y_test, out, "auto-encoder", args.grid)
    save_image_grid(interleave(x_test[:50], reconstructions[:50]), out / "reconstructions.png", nrow=10,
                    title="test digits and their reconstructions")
    history_figure(history, out / "history.png", ["loss"])
    frames.save(out, nrow=8, what="reconstructions of the same test digits")
    save_samples(reconstructions, out / "reconstructions.npy")

    metrics = {
        "test_reconstruction_error_nats": float(test_error),
        "final_train_loss_nats": history["loss"][-1],
        **shown,
        "train_seconds": train_seconds,
        "seconds": time.perf_counter() - start,
        "settings": vars(args),
    }
    save_json(metrics, out / "metrics.json")
    print(f"test reconstruction error: {test_error:.2f} nats per image (Bernoulli, summed over 784 pixels)")
    if shown:
        low, high = shown["code_range_low"], shown["code_range_high"]
        print(f"code range (1st–99th percentile): c₁ ∈ [{low[0]:.2f}, {high[0]:.2f}], "
              f"c₂ ∈ [{low[1]:.2f}, {high[1]:.2f}]")
    print(f"training took {train_seconds:.1f} s; figures, .npy arrays and metrics.json in {out}/")
    return metrics


if __name__ == "__main__":
    main()
