"""Minimax vs the lecture's practical G objective: why G maximises log D(G(z)) (section 11).

The theory's game has G *minimise* log(1 − D(G(z))); in practice (section 3) G *maximises* log D(G(z)).
Both have the same fixed point, but early in training D easily rejects G's samples (D(G(z)) ≈ 0), where
log(1 − D) is flat and −log D is steep.  The script draws both curves against D(G(z)) with their
gradients, then trains the 1-D toy (N(4, 1.25²)) with each G objective from the *same* initial networks
and the same random numbers, and plots how early training differs: D(G(z)), the size of G's gradient,
and the KS distance of G's samples to the data.  At the end it prints V(G, D*) next to
−2 log 2 + 2 JSD(P_data ‖ P_G) for each run (the identity of section 11).

    python examples/gan_objectives.py                                 # plain gradient ascent (SGD)
    python examples/gan_objectives.py --optimizer adam --lr 1e-3      # Adam hides most of the difference

D gets a head start (``--d-head-start`` updates against the initial G), so that training begins where the
lecture's argument is made: D rejects G's samples.
"""
import math
import time
from pathlib import Path

import numpy as np

import minigan as mg
from minigan import optim
from minigan.cli import example_parser
from minigan.data.toy import Gaussian1D
from minigan.io import save_json, save_samples
from minigan.metrics import gaussian_kde, ks_statistic
from minigan.models import toy_networks  # the same G and D as the 1-D toy
from minigan.plot import curves_gif, pyplot, save
from minigan.run import GIF, GIF_FRAMES, Checkpoints, fixed_noise, setup_run
from minigan.theory import jensen_shannon, optimal_discriminator, value_function
from minigan.train import train_gan
from minigan.train.discriminator_generation import train_discriminator
from minigan.train.objectives import OBJECTIVES

# the two G objectives, by their names in OBJECTIVES (the --loss of the other GAN examples)
RUNS = {"gan": "maximise log D(G(z)) (lecture, practice)", "minimax": "minimise log(1 − D(G(z))) (theory)"}
COLOURS = {"gan": "tab:blue", "minimax": "tab:orange"}


def make_optimizer(model, args):
    """Adam, or plain SGD, which shows the size of the gradient undisguised (Adam divides it out)."""
    if args.optimizer == "sgd":
        return optim.SGD(model.parameters(), lr=args.lr, maximize=True)
    return optim.Adam(model.parameters(), lr=args.lr, betas=(0.5, 0.999), maximize=True)


def curves_figure(path) -> None:
    """G's two losses against D(G(z)), and the gradient each sends back through D's logit l."""
    plt = pyplot()
    d = np.linspace(1e-3, 1 - 1e-3, 500)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2))
    # what G minimises in each case
    left.plot(d, np.log(1 - d), color=COLOURS["minimax"], label="minimax: log(1 − D(G(z)))")
    left.plot(d, -np.log(d), color=COLOURS["gan"], label="practice: −log D(G(z))")
    left.set_xlabel("D(G(z))")
    left.set_title("what G minimises", fontsize=9)
    left.legend(fontsize=8)
    # with D = σ(l): ∂/∂l log(1 − σ(l)) = −σ(l) = −D and ∂/∂l (−log σ(l)) = −(1 − σ(l)) = −(1 − D)
    right.plot(d, d, color=COLOURS["minimax"], label="minimax: |∂/∂l| = D")
    right.plot(d, 1 - d, color=COLOURS["gan"], label="practice: |∂/∂l| = 1 − D")
    right.axvspan(0, 0.1, color="0.9")
    right.text(0.02, 0.5, "start of\ntraining", fontsize=8)
    right.set_xlabel("D(G(z))")
    right.set_title("gradient size through D's logit l", fontsize=9)
    right.legend(fontsize=8)
    save(fig, path)


def train_one(generator: str, init_G: dict, init_D: dict, data, args, frames: list, records: dict, argv,
              resume: bool = False) -> dict:
    """Train from the given initial weights and random state with G objective ``generator``; record the early phase.

    The runs one after the other are one run for checkpoint.npz: its updates are counted on (run i's update s is
    i·steps + s), and it keeps the records of the runs already done; ``resume`` continues this run from it.
    """
    mg.manual_seed(args.seed + 1)  # the same random numbers for both runs
    G, D = toy_networks(args.z_dim, args.hidden)
    G.load_state_dict(init_G)
    D.load_state_dict(init_D)
    opt_D, opt_G = make_optimizer(D, args), make_optimizer(G, args)
    real = data.sample(5000).numpy()
    record = {"grad_norm": [], "ks_step": [], "ks": []}
    # training.gif: P_G from the same 1,000 z's (noise of its own) every 1/40 of the run
    z_frames, grid = fixed_noise(args.seed, 1000, args.z_dim), gif_grid(data)
    every = max(1, -(-args.steps // GIF_FRAMES))
    index = list(RUNS).index(generator)
    checkpoints = Checkpoints(args, "gan_objectives", Path(args.out), {"G": G, "D": D}, {"D": opt_D, "G": opt_G},
                              state={"frames": frames, "records": records, "record": record}, argv=argv)
    done, history = checkpoints.resume() if resume else (index * args.steps, None)

    def callback(step, history):
        # G's gradient of this iteration is still in .grad after opt_G.step()
        record["grad_norm"].append(math.sqrt(sum(float((p.grad.data ** 2).sum()) for p in G.parameters())))
        if step % args.eval_every == 0 or step == args.steps - 1:
            with mg.no_grad():
                samples = G(mg.randn(5000, args.z_dim)).numpy()
            record["ks_step"].append(step + 1)
            record["ks"].append(ks_statistic(samples, real))
        if not args.no_gif and (step + 1) % every == 0:
            with mg.no_grad():
                p_g = gaussian_kde(G(z_frames).numpy().reshape(-1), grid)
            frames.append({"title": f"{RUNS[generator]}: after {step + 1} updates", "curves": [p_g]})

    with checkpoints:
        history = train_gan(G, D, data.sample, lambda m: mg.randn(m, args.z_dim), opt_D, opt_G, steps=args.steps,
                            m=args.batch, objective=OBJECTIVES[generator](), start_step=done - index * args.steps,
                            history=history, callback=checkpoints.callback(callback, offset=index * args.steps),
                            progress=not args.no_progress)
    checkpoints.save((index + 1) * args.steps, history)
    with mg.no_grad():
        record["samples"] = G(mg.randn(10_000, args.z_dim)).numpy()
    record["D_G_z"] = history["D_G_z"]
    return record


def gif_grid(data) -> np.ndarray:
    return np.linspace(data.mean - 6 * data.std, data.mean + 6 * data.std, 601)


def training_figure(records, path) -> None:
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.2))
    for name, rec in records.items():
        axes[0].plot(rec["D_G_z"], color=COLOURS[name], linewidth=0.8, label=RUNS[name])
        axes[1].semilogy(rec["grad_norm"], color=COLOURS[name], linewidth=0.6)
        axes[2].plot(rec["ks_step"], rec["ks"], color=COLOURS[name], marker=".")
    axes[0].set_title("mean D(G(z))", fontsize=9)
    axes[1].set_title("‖∇θg Ṽ‖, G's gradient", fontsize=9)
    axes[2].set_title("KS(G's samples, data)", fontsize=9)
    axes[0].legend(fontsize=7)
    for ax in axes:
        ax.set_xlabel("update")
        ax.set_xscale("symlog", linthresh=100)
    save(fig, path)


def main(argv=None) -> dict:
    """Run the example with command-line arguments ``argv`` (default: sys.argv); return its metrics."""
    parser = example_parser(__doc__, out="out/gan_objectives", save_every=500)
    parser.add_argument("--steps", type=int, default=2000, help="training iterations per run (default: %(default)s)")
    parser.add_argument("--batch", type=int, default=256, help="m, examples per step (default: %(default)s)")
    parser.add_argument("--lr", type=float, default=0.05,
                        help="learning rate η (default: %(default)s; 1e-3 suits Adam)")
    parser.add_argument("--hidden", type=int, default=32, help="hidden units of G and D (default: %(default)s)")
    parser.add_argument("--z-dim", type=int, default=4, help="dimension of the noise z (default: %(default)s)")
    parser.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd",
                        help="plain gradient ascent (the lecture's θ ← θ + η∇Ṽ) or Adam (default: %(default)s)")
    parser.add_argument("--d-head-start", type=int, default=300,
                        help="updates of D against the initial G before training, so that D rejects G's samples "
                             "at the start, as in the lecture's argument (default: %(default)s)")
    parser.add_argument("--eval-every", type=int, default=50,
                        help="updates between KS evaluations (default: %(default)s)")
    args = parser.parse_args(argv)
    out = setup_run(args)
    start = time.perf_counter()

    curves_figure(out / "objectives.png")
    data = Gaussian1D()
    G, D = toy_networks(args.z_dim, args.hidden)
    # D's head start: it learns to tell the data from the initial G's samples before G moves
    with mg.no_grad():
        initial_samples = G(mg.randn(5000, args.z_dim))
    if args.d_head_start:
        train_discriminator(D, make_optimizer(D, args), data.sample(5000), initial_samples, args.d_head_start)
    frames, records = [], {}
    # --resume: the runs recorded in the checkpoint are done (their records come back with it); the next continues
    saved = Checkpoints(args, "gan_objectives", out, {}, {}).peek()
    finished = list(saved["extra"]["state"]["records"]) if saved else []
    for name in RUNS:
        if name not in finished:
            records[name] = train_one(name, G.state_dict(), D.state_dict(), data, args, frames, records, argv,
                                      resume=bool(args.resume) and not records and name == list(RUNS)[len(finished)])
    records = {name: records[name] for name in RUNS}
    training_figure(records, out / "training.png")
    if frames:  # the two runs one after the other
        grid = gif_grid(data)
        curves_gif(frames, grid, out / GIF, styles=[{"color": "blue", "label": "$P_G$"}],
                   static=[(data.pdf(grid), {"color": "green", "label": "$P_{data}$"})], ylim=(0, 0.6))

    grid = np.linspace(data.mean - 6 * data.std, data.mean + 6 * data.std, 1201)
    dx = grid[1] - grid[0]
    metrics = {"settings": vars(args)}
    for name, rec in records.items():
        p_data, p_g = data.pdf(grid), gaussian_kde(rec["samples"], grid)
        early = min(20, args.steps)
        metrics[name] = {
            "ks_by_update": dict(zip(rec["ks_step"], rec["ks"])),
            "final_ks": rec["ks"][-1],
            "G_gradient_norm_first_update": rec["grad_norm"][0],
            f"median_G_gradient_norm_first_{early}_updates": float(np.median(rec["grad_norm"][:early])),
            f"mean_D_G_z_first_{early}_updates": float(np.mean(rec["D_G_z"][:early])),
            # how long G's samples stay rejected: the first update after which mean D(G(z)) ≥ 0.1
            "first_update_with_D_G_z_above_0.1": next((i + 1 for i, d in enumerate(rec["D_G_z"]) if d >= 0.1), None),
            # V(G, D*) and −2 log 2 + 2 JSD(P_data ‖ P_G), with P_G estimated from 10,000 samples
            "V_optimal_D": value_function(p_data, p_g, optimal_discriminator(p_data, p_g), dx),
            "minus_2log2_plus_2JSD": -2 * math.log(2) + 2 * jensen_shannon(p_data, p_g, dx),
        }
    metrics["seconds"] = time.perf_counter() - start
    save_samples(records["gan"]["samples"], out / "samples.npy")
    save_samples(records["minimax"]["samples"], out / "samples_minimax.npy")
    save_json(metrics, out / "metrics.json")
    for name in RUNS:
        m, early = metrics[name], min(20, args.steps)
        every = max(1, len(m["ks_by_update"]) // 6)
        ks = ", ".join(f"{step}: {ks:.3f}" for step, ks in list(m["ks_by_update"].items())[::every])
        print(f"{name:>8}: ‖∇θg‖ at update 1 {m['G_gradient_norm_first_update']:.4f}, median over the first {early} "
              f"{m[f'median_G_gradient_norm_first_{early}_updates']:.4f}, "
              f"D(G(z)) ≥ 0.1 from update {m['first_update_with_D_G_z_above_0.1']}")
        print(f"{'':>8}  KS by update {{{ks}}}, final KS {m['final_ks']:.3f}; V(G, D*) {m['V_optimal_D']:+.4f} "
              f"vs −2log2 + 2JSD {m['minus_2log2_plus_2JSD']:+.4f}")
    print(f"{metrics['seconds']:.0f} s; figures, samples.npy (gan run), samples_minimax.npy, metrics.json in {out}/")
    return metrics


if __name__ == "__main__":
    main()
