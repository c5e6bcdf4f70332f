"""Vector → sentence: a GAN that writes, beside a decoder trained without a discriminator (lecture sections 1, 5, 7).

The data are sentences of a toy language whose grammar is known (minigan/data/toy_language.py), so every generated
sentence can be checked exactly: ``two old foxes fear the cat because it is loud .``  The verb agrees with the
subject, the pronoun with the object, the quality with the verb: agreements up to eight words apart.  --data FILE
trains on any text file instead, one sentence per line.

G maps z ~ N(0, I) to one distribution over the vocabulary per position (a softmax per row, so G stays
differentiable).  A sentence is read from G by the arg max of each position, cut at the first ".".  D reads a real
sentence as one-hot rows, all positions at once (minigan/models.py: sentence_generator, sentence_discriminator), and
G's as the one-hot rows of those arg maxes with the softmax's gradient (--relaxation straight-through, the default:
D sees exactly the sentence G writes) or as the softmax rows themselves (--relaxation softmax, Gulrajani et al.'s
setup).  The default objective is WGAN-GP (Gulrajani et al. 2017, section 6, where the lecture's objective failed on
text), its penalty on 64 of each batch's pairs (--gp-samples), k = 5 critic updates per G update, m = 256,
3,000 updates, Adam(5e-4, β = (0, 0.9)), the rate held for half the run and then decaying linearly to 0; G has three
hidden layers of 256 units and z ∈ R¹⁶, D two of 512, and D's last layer also sees how alike the sentences of its
batch are (their features' standard deviation over groups of 4, --d-minibatch-std); --loss gan is the lecture's
(docs/lecture.md, section 5, says what each does).
G's sentences are read from the average of its weights over training (--ema 0.999, minigan/train/ema.py; --ema 0
reads them from G's own last weights).

The comparison (section 7, "what do we miss?", for words): a VAE whose decoder is G's network up to the softmax
(minigan/models.py: sentence_decoder), trained word by word on the same sentences with a per-position likelihood,
−Σ_positions log p(word | c): its words are independent given the code.  Same network, as many updates on batches
of the same size; its sentences come from codes c ~ N(0, I), read the same way.  In --out:

    samples.txt        --samples sentences of the GAN, one per line (vae_samples.txt: the VAE's)
    samples.npy        the same as rows of word indices (vae_samples.npy: the VAE's)
    train.txt          the training sentences, as the vocabulary reads them
    metrics.json       for each model (and, with --ema, for G's own last weights): grammatical share, grammatical
                       and not in train.txt, distinct sentences, each kind of agreement error, vocabulary words never
                       produced, n-gram JS divergences (n = 1…4) to held-out sentences (minigan/metrics/text.py; the
                       parser: minigan/metrics/grammar.py)
    history.png        the critic's Ṽ (the Wasserstein estimate) and the VAE's −ELBO over training
    errors.png         the share of each kind of error over training, for both models
    training.gif       G's sentences for the same z's, then the VAE's for the same codes, over training
    checkpoint.npz     every --save-every updates, at the end and on Ctrl-C; --resume continues from it, and
                       python -m minigan.generate RUN_DIR --n 20 prints new sentences from it

    python examples/sentence_gan.py                      # the toy language (docs/results.md)
    python examples/sentence_gan.py --data my_lines.txt  # any text file, one sentence per line
"""
import time

import numpy as np

import minigan as mg
from minigan import functional as F
from minigan import nn, optim
from minigan.cli import add_beta1_option, add_ema_option, example_parser, fill_defaults, positive_int
from minigan.data import DrawnBatches, sample_batch
from minigan.data.text import text_corpus, toy_corpus
from minigan.io import atomic_write, save_json
from minigan.metrics import grammar
from minigan.metrics.text import ngram_tables, sentence_metrics
from minigan.models import mlp, sentence_decoder, sentence_discriminator, sentence_generator
from minigan.plot import pyplot, save, save_gif
from minigan.run import LECTURE_UPDATES, Checkpoints, Frames, fixed_noise, setup_run
from minigan.train import VAE, train_gan, train_vae
from minigan.train.ema import AveragedModel
from minigan.train.minibatch_std import groups_fit
from minigan.train.objectives import OBJECTIVES, WassersteinGP
from minigan.train.pacgan import PacDiscriminator
from minigan.train.shared import halfway_decay

LABELS = {"gan": "GAN", "vae": "VAE", "gan_own_weights": "GAN, G's own last weights"}
SHOWN = 6  # sentences printed at the lecture's update counts and drawn in each frame of training.gif


def read(rows_of_probabilities, vocabulary) -> list:
    """Sentences from one distribution over the vocabulary per position: the arg max of each, cut at the first
    "." (or padding)."""
    return vocabulary.decode(np.asarray(rows_of_probabilities).argmax(axis=-1))


def draw(model, z, vocabulary, batch: int = 1000) -> list:
    """The sentences ``model`` (G, or the VAE's decoder) makes of the codes z, in batches."""
    sentences = []
    with mg.no_grad():
        for start in range(0, z.shape[0], batch):
            sentences += read(model(z[start:start + batch]).numpy(), vocabulary)
    return sentences


def error_shares(sentences, toy: bool) -> dict:
    """The share of each kind of error (toy language) or, for any corpus, of sentences without an end."""
    n = len(sentences)
    if not toy:
        return {"no end": sum(not s.endswith(".") for s in sentences) / n}
    counts = grammar.error_counts(sentences)
    return {"grammatical": counts.pop("grammatical") / n, **{kind: c / n for kind, c in counts.items()}}


def watcher(name, model, z_eval, z_shown, vocabulary, toy, every, records, total, offset=0):
    """A loop callback: every ``every`` updates, the error shares of ``model``'s sentences for the fixed codes
    ``z_eval`` (into ``records``), and at the lecture's update counts a few sentences printed."""
    shown_at = {n for n in LECTURE_UPDATES if n < total}

    def callback(step, history):
        done = step + 1
        if done % every == 0 or done == total:
            records.append({"model": name, "update": done, **error_shares(draw(model, z_eval, vocabulary), toy)})
        if done in shown_at:
            print(f"\n{name} after {done} updates:\n  " + "\n  ".join(draw(model, z_shown, vocabulary)), flush=True)

    return callback


def history_figure(gan_history, vae_history, path) -> None:
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3))
    for ax, values, label in ((left, gan_history["V_D"], "Ṽ of D"), (right, vae_history["loss"], "VAE: −ELBO")):
        window = max(1, len(values) // 100)
        ax.plot(np.convolve(values, np.ones(window) / window, mode="valid"), linewidth=0.8)
        ax.set_xlabel("update")
        ax.set_title(label, fontsize=9)
    save(fig, path)


def errors_figure(records, path) -> None:
    """The share of each kind of error over training, GAN and VAE side by side (one shared y axis)."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4), sharey=True)
    for ax, name in zip(axes, ("GAN", "VAE")):
        rows = [r for r in records if r["model"] == name]
        kinds = [k for k in (rows[0] if rows else {}) if k not in ("model", "update")]
        for kind in kinds:
            ax.plot([r["update"] for r in rows], [r[kind] for r in rows], label=kind,
                    linewidth=2 if kind == "grammatical" else 1)
        ax.set_title(f"{name}: share of sentences", fontsize=9)
        ax.set_xlabel("update")
    axes[0].legend(fontsize=7)
    save(fig, path)


def sentences_gif(frames, path) -> None:
    """training.gif: one frame per snapshot, the sentences of the same codes as text."""
    def draw_frame(fig):
        text = fig.text(0.02, 0.95, "", fontsize=8, family="monospace", va="top", animated=True)

        def update(frame):
            text.set_text(frame["title"] + "\n\n" + "\n".join(frame["sentences"]))
            return [text]
        return update

    save_gif(frames, draw_frame, path, figsize=(6.5, 2.2), fps=4)


def main(argv=None) -> dict:
    parser = example_parser(__doc__, out="out/sentence_gan", save_every=1000)
    parser.add_argument("--data", help="a text file, one sentence per line (default: the toy language)")
    parser.add_argument("--train-sentences", type=positive_int, default=10_000,
                        help="toy language: training sentences drawn by --seed (default: %(default)s)")
    parser.add_argument("--max-words", type=positive_int, default=20,
                        help="--data: leave out longer lines (default: %(default)s)")
    parser.add_argument("--min-count", type=positive_int, default=2,
                        help="--data: rarer words read as <unk> (default: %(default)s)")
    parser.add_argument("--steps", type=positive_int, default=3000,
                        help="updates of G, and of the VAE (default: %(default)s)")
    parser.add_argument("--batch", type=positive_int, default=256,
                        help="m, sentences per update (default: %(default)s)")
    parser.add_argument("--d-steps", type=positive_int, default=5,
                        help="k, D's updates per G update (default: %(default)s)")
    parser.add_argument("--lr", type=float, default=5e-4,
                        help="Adam learning rate η of all three (default: %(default)s)")
    add_beta1_option(parser, default=0.0, beta2=0.9)  # the VAE keeps Adam's defaults
    parser.add_argument("--z-dim", type=positive_int, default=16,
                        help="dimension of z (GAN) and of the code c (VAE) (default: %(default)s)")
    parser.add_argument("--hidden", type=positive_int, default=256,
                        help="hidden units of G (the VAE's decoder) and of the VAE's encoder (default: %(default)s)")
    parser.add_argument("--layers", type=positive_int, default=3,
                        help="hidden layers of G (the VAE's decoder) (default: %(default)s)")
    parser.add_argument("--d-hidden", type=positive_int, default=512,
                        help="hidden units of D (default: %(default)s)")
    parser.add_argument("--pack", type=int, default=1,
                        help="PacGAN: D judges packs of this many sentences, 1 for none (minigan/train/pacgan.py) "
                             "(default: %(default)s)")
    parser.add_argument("--d-minibatch-std", type=int, default=4, metavar="GROUP",
                        help="D's last layer also sees the standard deviation of its features over groups of this "
                             "many of its inputs (sentences, or packs), 0 for none (minigan/train/minibatch_std.py) "
                             "(default: %(default)s)")
    parser.add_argument("--loss", choices=sorted(OBJECTIVES), default="wgan-gp",
                        help="what D and G maximise (default: %(default)s)")
    parser.add_argument("--gp-samples", type=positive_int, default=None,
                        help="--loss wgan-gp: the gradient penalty on the first N pairs of each batch only, an "
                             "estimate of the same expectation at a fraction of the cost of its double backward "
                             "pass; N ≥ --batch: all of them (default: 64)")
    parser.add_argument("--relaxation", choices=["softmax", "straight-through"], default="straight-through",
                        help="what D reads of G's sentence: its softmax rows, or the one-hot rows of their arg max "
                             "with the softmax's gradient (default: %(default)s)")
    parser.add_argument("--samples", type=positive_int, default=10_000,
                        help="sentences generated by each model for the metrics (default: %(default)s)")
    parser.add_argument("--eval-every", type=positive_int, default=250,
                        help="updates between the error counts of errors.png (default: %(default)s)")
    add_ema_option(parser, default=0.999)
    args = parser.parse_args(argv)
    if args.gp_samples is not None and args.loss != "wgan-gp":
        parser.error(f"--gp-samples applies to --loss wgan-gp, not to --loss {args.loss}")
    fill_defaults(args, {"gp_samples": 64} if args.loss == "wgan-gp" else {})
    # D's batches: m real or generated sentences, and the penalty's first --gp-samples interpolates
    batches = sorted({args.batch} | ({min(args.gp_samples, args.batch)} if args.loss == "wgan-gp" else set()))
    named = f"{' and '.join(map(str, batches))} sentences (--batch{', --gp-samples' if len(batches) > 1 else ''})"
    if args.pack < 1 or any(n % args.pack for n in batches):
        parser.error(f"--pack {args.pack} must be a positive divisor of D's batches of {named}")
    if args.d_minibatch_std < 0 or (args.d_minibatch_std and not all(groups_fit(n // args.pack, args.d_minibatch_std)
                                                                       for n in batches)):
        parser.error(f"--d-minibatch-std {args.d_minibatch_std} must be 0 or a positive divisor of the inputs D judges "
                     f"per batch: {named}{f' in packs of {args.pack}' if args.pack > 1 else ''}")
    out = setup_run(args)
    start, cpu_start = time.perf_counter(), time.process_time()

    try:
        corpus = toy_corpus(args.seed, train=args.train_sentences) if args.data is None else \
            text_corpus(args.data, args.max_words, args.min_count, seed=args.seed)
    except ValueError as err:  # an empty, binary or unreadable --data file: its name and what is wrong
        raise SystemExit(f"sentence_gan: {err}") from None
    (out / "train.txt").write_text("\n".join(corpus.train) + "\n", encoding="utf-8")
    vocabulary, length, size = corpus.vocabulary, corpus.length, len(corpus.vocabulary)
    print(f"{len(corpus.train)} training sentences of {corpus.source}, {len(vocabulary.words)} words, "
          f"up to {length} per sentence")

    # ---- the GAN: a real sentence is its one-hot rows; G's is its distributions
    # G of three hidden layers (--layers): each position's word made from more of the sentence, 92.0–94.9 % of its
    # sentences grammatical over seeds 0–2 against 89.4–91.0 % with two, but fewer distinct ones (docs/results.md)
    G = sentence_generator(args.z_dim, args.hidden, length, size, args.relaxation == "straight-through", args.layers)
    # D of 512 units, twice G's: more of them free to notice a broken agreement between two words (with 256, the
    # previous default, the determiner–noun and subject–verb errors were twice as frequent; docs/results.md); its last
    # layer also sees how alike the batch's sentences are (--d-minibatch-std), which keeps the deeper G's sentences
    # apart: ≥ 5,000 distinct of 10,000 in every run of the seed 0–2 sweep (one run of seeds 3–5: 4,744)
    D = sentence_discriminator(args.d_hidden, args.pack * length, size, args.d_minibatch_std)
    if args.pack > 1:  # section 12: D judges packs of --pack sentences, a pack's positions one after another
        D = PacDiscriminator(D, args.pack)
    # Adam with β = (0, 0.9), as in Algorithm 1 of Gulrajani et al.: no momentum, which in a game carries each player
    # past the point where the other's answer has already turned (grammatical in 80.1–84.7 % of the sentences with
    # β₁ = 0.5 over seeds 0–2 and two kernel families, docs/results.md, "Sentences")
    opt_D = optim.Adam(D.parameters(), lr=args.lr, betas=(args.beta1, 0.9), maximize=True)
    opt_G = optim.Adam(G.parameters(), lr=args.lr, betas=(args.beta1, 0.9), maximize=True)
    # G's sentences are read from the average of its recent weights (--ema, a stabiliser around the lecture's loop:
    # minigan/train/ema.py, whose warm-up, not --ema 0.999, sets the span at 3,000 updates: about the last 330); the
    # iterates circle, and a sentence written at the edge between two of G's sentences mixes their words
    # (docs/results.md, "Sentences")
    G_average = AveragedModel(G, args.ema) if args.ema > 0 else None
    G_sample = G_average or G
    # fixed codes of their own for the error counts, the printed sentences and the GIF (the run is unchanged)
    z_eval, z_shown = fixed_noise(args.seed, 1000, args.z_dim), fixed_noise(args.seed + 1, SHOWN, args.z_dim)
    records, frames = [], Frames(args, 2 * args.steps, None)
    # the VAE's batches: as many one-hot batches of training sentences as G's updates see
    batches = DrawnBatches(lambda: F.one_hot(sample_batch(corpus.ids, m=args.batch), size).float(), args.steps)
    models = {"G": G, "D": D, **({"G_average": G_average} if G_average else {})}
    checkpoints = Checkpoints(args, "sentence_gan", out, models, {"D": opt_D, "G": opt_G},
                              state={"frames": frames.frames, "records": records, "batches": batches}, argv=argv)

    def gif_frame(title, model):
        return lambda step: {"title": f"{title} after {step % args.steps or args.steps} updates",
                             "sentences": draw(model, z_shown, vocabulary)}

    def make_vae():
        """The VAE: its decoder is G's network without the softmax; the encoder reads the one-hot rows."""
        vae = VAE(nn.Sequential(nn.Flatten(), mlp(length * size, args.hidden, 2 * args.z_dim, activation=nn.ReLU)),
                  sentence_decoder(args.z_dim, args.hidden, length, size, args.layers), args.z_dim,
                  likelihood="categorical")
        checkpoints.models["vae"] = vae
        checkpoints.optimizers["vae"] = optim.Adam(vae.parameters(), lr=args.lr)
        return vae

    vae = make_vae() if "vae" in checkpoints.saved_models() else None
    done, saved = checkpoints.resume()
    saved = saved or {}
    objective = WassersteinGP(samples=args.gp_samples) if args.loss == "wgan-gp" else OBJECTIVES[args.loss]()
    with checkpoints:
        frames.capture = gif_frame("GAN: G(z)", G_sample)
        gan_history = train_gan(
            G, D, lambda m: F.one_hot(sample_batch(corpus.ids, m=m), size).float(), lambda m: mg.randn(m, args.z_dim),
            opt_D, opt_G, steps=args.steps, m=args.batch, k=args.d_steps, objective=objective,
            lr_schedule=halfway_decay(args.steps),
            start_step=min(done, args.steps), history=saved.get("gan"), progress=not args.no_progress,
            average=G_average, callback=checkpoints.callback(
                watcher("GAN", G_sample, z_eval, z_shown, vocabulary, corpus.toy, args.eval_every, records, args.steps),
                frames.callback, history_of=lambda h: {"gan": h}))
        gan_cpu = time.process_time() - cpu_start

        # ---- the VAE, built after the GAN's training, from the random numbers that follow it
        vae = vae or make_vae()
        frames.capture = gif_frame("VAE: decoder(c)", vae.decode)
        vae_history = train_vae(
            vae, batches, checkpoints.optimizers["vae"], lr_schedule=halfway_decay(args.steps),
            progress=not args.no_progress,
            start_step=max(0, done - args.steps), history=saved.get("vae"),
            callback=checkpoints.callback(
                watcher("VAE", vae.decode, z_eval, z_shown, vocabulary, corpus.toy, args.eval_every, records,
                        args.steps),
                lambda step, history: frames.callback(args.steps + step, history),
                offset=args.steps, history_of=lambda h: {"gan": gan_history, "vae": h}))
    checkpoints.save(2 * args.steps, {"gan": gan_history, "vae": vae_history})
    train_cpu = time.process_time() - cpu_start

    # ---- --samples sentences of each, measured
    gan_sentences = draw(G_sample, mg.randn(args.samples, args.z_dim), vocabulary)
    vae_sentences = draw(vae.decode, mg.randn(args.samples, args.z_dim), vocabulary)
    heldout = ngram_tables(corpus.heldout)
    drawn = [("gan", gan_sentences), ("vae", vae_sentences)]
    if G_average is not None:  # what the average changed: the same number of sentences from G's own last weights
        drawn.append(("gan_own_weights", draw(G, mg.randn(args.samples, args.z_dim), vocabulary)))
    results = {name: sentence_metrics(sentences, corpus.train, heldout, vocabulary.words, corpus.toy)
               for name, sentences in drawn}
    for name, sentences in (("samples", gan_sentences), ("vae_samples", vae_sentences)):
        (out / f"{name}.txt").write_text("\n".join(sentences) + "\n", encoding="utf-8")
        ids = vocabulary.encode(sentences, length)  # word indices: int64, not save_samples' float32
        atomic_write(out / f"{name}.npy", lambda file, ids=ids: np.save(file, ids))
    history_figure(gan_history, vae_history, out / "history.png")
    errors_figure(records, out / "errors.png")
    if frames.enabled and frames.frames:
        sentences_gif(frames.frames, out / "training.gif")

    metrics = {
        **results,
        "data": corpus.source,
        "vocabulary_words": len(vocabulary.words),
        "parameters": {"G": sum(p.data.size for p in G.parameters()), "D": sum(p.data.size for p in D.parameters()),
                       "vae_decoder": sum(p.data.size for p in vae.decoder.parameters()),
                       "vae_encoder": sum(p.data.size for p in vae.encoder.parameters())},
        "gan_train_cpu_seconds": gan_cpu,
        "train_cpu_seconds": train_cpu,
        "seconds": time.perf_counter() - start,
        "cpu_seconds": time.process_time() - cpu_start,
        "settings": vars(args),
    }
    save_json(metrics, out / "metrics.json")
    for name, m in results.items():
        toy = (f"grammatical {m['grammatical']:.3f}, grammatical and new {m['grammatical_and_new']:.3f}, "
               if corpus.toy else "")
        print(f"{LABELS[name]}: {toy}distinct {m['distinct']} of {m['samples']}, words never produced "
              f"{m['unused_word_count']}, n-gram JS " + " ".join(f"{m[f'js_{n}']:.3f}" for n in range(1, 5)))
        if corpus.toy:
            print("     errors: " + ", ".join(f"{kind} {share:.3f}" for kind, share in m["errors"].items()))
    print(f"GAN: {' | '.join(gan_sentences[:3])}\nVAE: {' | '.join(vae_sentences[:3])}")
    print(f"training took {train_cpu:.0f} s of CPU time (GAN {gan_cpu:.0f} s); samples.txt, metrics.json and "
          f"figures in {out}/")
    return metrics


if __name__ == "__main__":
    main()
