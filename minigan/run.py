"""What a training run of an example does around the loop: the output folder, checkpoints (save, resume,
Ctrl-C), evaluation-mode sampling, the snapshots at the lecture's update counts, and the image GANs' whole
training runs (train_image_gan, train_conditional_image_gan).

    checkpoints = Checkpoints(args, "mnist_gan", out, models={"G": G, "D": D}, optimizers={"D": opt_D, "G": opt_G})
    start, history = checkpoints.resume()          # (0, None) unless --resume
    with checkpoints:                              # Ctrl-C: finish the update, save, print the resume command, exit 130
        history = train_gan(..., start_step=start, history=history, callback=checkpoints.callback(snapshots))
    checkpoints.save(args.steps, history)          # the end of training
"""
from __future__ import annotations

import shlex
import signal
import sys
from pathlib import Path

import numpy as np

from minigan import backend, optim
from minigan.creation import randn, tensor
from minigan.data import sample_batch
from minigan.io import CheckpointError
from minigan.metrics.classifier import in_batches
from minigan.plot import as_uint8, image_grid_gif, save_gif, save_image_grid
from minigan.models import conditional_samples
from minigan.train import AveragedModel, train_gan
from minigan.train.conditional import mismatched, train_conditional_gan
from minigan.train.checkpoint import read_checkpoint, restore, save_checkpoint
from minigan.train.diagnostics import GradientNorms
from minigan.train.shared import halfway_decay

# options that say how a run is watched and where it is kept, not what it trains: a resumed run may change them
RUN_OPTIONS = ("out", "resume", "save_every", "no_progress", "no_gif", "device")
CHECKPOINT = "checkpoint.npz"
GIF = "training.gif"
GIF_FRAMES = 40  # frames per training.gif: one snapshot every 1/40 of the run
INTERRUPTED = 130  # the exit status of a program stopped by Ctrl-C (128 + SIGINT)

LECTURE_UPDATES = (100, 1000, 2000, 5000, 10_000, 20_000, 50_000)  # the counts the lecture shows results at


def setup_run(args) -> Path:
    """Set the device and the seed from ``args``; create and return the output folder."""
    backend.set_device(args.device)
    backend.manual_seed(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    return out


def generate(G, z, batch: int = 500) -> np.ndarray:
    """G(z) in evaluation mode (batch norm with its running statistics), in batches, as a NumPy array.

    G is put back in training mode afterwards.
    """
    G.eval()
    try:
        return in_batches(G, z, batch)
    finally:
        G.train()


def lecture_snapshots(G, z, out: Path, steps: int, nrow: int):
    """A ``train_gan`` callback that saves G(z) for the same z as ``samples_stepNNNNN.png`` in ``out`` after
    each of the lecture's update counts that the run reaches (``LECTURE_UPDATES`` below ``steps``)."""
    shown_at = {n for n in LECTURE_UPDATES if n < steps}

    def callback(step, history):
        if step + 1 in shown_at:
            save_image_grid(generate(G, z), Path(out) / f"samples_step{step + 1:05d}.png", nrow=nrow,
                            title=f"after {step + 1} updates")

    return callback


def settings_of(args) -> dict:
    """The settings that decide what a run trains: every option but ``RUN_OPTIONS``."""
    return {key: value for key, value in vars(args).items() if key not in RUN_OPTIONS}


class Checkpoints:
    """``checkpoint.npz`` in ``out``: written every ``--save-every`` updates, at the end, and on Ctrl-C.

    It holds what ``python -m minigan.generate`` needs to rebuild the networks without the example (its name and
    settings), and what ``--resume`` needs to continue bit for bit on the CPU: the networks, the optimizers, the
    random state, the step, the history, and ``state`` (name ↦ a list or dict the example fills during training,
    or an object with ``state_dict``/``load_state_dict`` such as a DataLoader).  ``unit`` names what the loop
    counts in the messages (a loop of rounds, ``discriminator_generation``, counts rounds).
    """

    def __init__(self, args, example: str, out: Path, models: dict, optimizers: dict, state: dict | None = None,
                 argv=None, unit: str = "update"):
        self.args, self.example, self.path, self.unit = args, example, Path(out) / CHECKPOINT, unit
        self.models, self.optimizers, self.state = models, optimizers, state or {}
        self.settings = settings_of(args)
        self.argv = list(sys.argv[1:] if argv is None else argv)
        self.stop_requested = False
        self.saved_step = None
        self._previous_handler, self._installed = None, False

    # ---- resume
    def peek(self) -> dict | None:
        """With ``--resume``, the checkpoint as ``read_checkpoint`` reads it, restoring nothing (for a run of several
        phases, to see where it stopped); else, or when it cannot be read (``resume`` will say why), None."""
        if not getattr(self.args, "resume", False) or not self.path.is_file():
            return None
        try:
            return read_checkpoint(self.path)
        except (CheckpointError, OSError):
            return None

    def saved_models(self) -> set:
        """With ``--resume``, the names of the networks the checkpoint holds (an example that builds a network only
        after a first phase of training builds it before ``resume`` when the checkpoint has it); else none."""
        saved = self.peek()
        return set(saved["models"]) if saved else set()

    def resume(self) -> tuple[int, dict | None]:
        """With ``--resume``: restore everything from the checkpoint and return (step, history); else (0, None)."""
        if not getattr(self.args, "resume", False):
            return 0, None
        if not self.path.is_file():
            raise SystemExit(f"--resume: there is no checkpoint {self.path} (train without --resume first)")
        try:
            saved = read_checkpoint(self.path)
        except (CheckpointError, OSError) as err:
            raise SystemExit(f"--resume: cannot read {self.path}: {err}") from None
        extra = saved["extra"]
        if extra.get("example") != self.example:
            raise SystemExit(f"--resume: {self.path} is a checkpoint of {extra.get('example')!r}, not of "
                             f"{self.example!r}")
        changed = [f"--{key.replace('_', '-')}: {extra['settings'].get(key, '(none)')!r} in the checkpoint, "
                   f"{value!r} now" for key, value in self.settings.items()
                   if extra["settings"].get(key) != value]
        changed += [f"--{key.replace('_', '-')}: in the checkpoint only" for key in extra["settings"]
                    if key not in self.settings]
        if changed:
            raise SystemExit(f"--resume: {self.path} was trained with other settings; resume with the same ones "
                             "or choose another --out:\n  " + "\n  ".join(changed))
        unknown = sorted(set(saved["models"]) - set(self.models))
        if unknown:
            raise SystemExit(f"--resume: {self.path} holds networks this run has not built: {unknown}")
        # a run of several phases builds some networks only later, from the random state that follows the first
        models = {name: model for name, model in self.models.items() if name in saved["models"]}
        optimizers = {name: opt for name, opt in self.optimizers.items() if name in saved["optimizers"]}
        step, history = restore(saved, models, optimizers, self.path)
        for name, target in self.state.items():
            if name not in extra.get("state", {}):
                continue  # kept by a version of the example that did not keep it: it starts empty
            value = extra["state"][name]
            if hasattr(target, "load_state_dict"):
                target.load_state_dict(value)
            elif isinstance(target, dict):
                target.clear()
                target.update(value)
            else:
                target[:] = value
        self.saved_step = step
        print(f"resuming {self.path} from {self.unit} {step}")
        return step, history

    # ---- save
    def save(self, step: int, history: dict) -> None:
        """Write the checkpoint of the run after ``step`` updates (once per step)."""
        if self.saved_step == step:
            return
        state = {name: target.state_dict() if hasattr(target, "state_dict") else target
                 for name, target in self.state.items()}
        save_checkpoint(self.path, step, self.models, self.optimizers, history,
                        extra={"example": self.example, "settings": self.settings, "state": state})
        self.saved_step = step

    def callback(self, *callbacks, offset: int = 0, history_of=None):
        """A loop callback that runs ``callbacks`` (snapshots, figures), then saves every ``--save-every`` updates,
        and after Ctrl-C saves, prints the command that resumes, and exits with status 130.

        A run of several loops one after the other counts its updates on: the loop's update ``step`` is the run's
        ``offset + step``, and ``history_of(history)`` is the run's history to save (default: the loop's).
        """
        callbacks = [c for c in callbacks if c is not None]
        every = getattr(self.args, "save_every", None)

        def callback(step, history):
            for c in callbacks:
                c(step, history)
            done = offset + step + 1
            if self.stop_requested or (every and done % every == 0):
                self.save(done, history_of(history) if history_of else history)
            if self.stop_requested:
                print(f"\nstopped after {self.unit} {done}; saved {self.path}. Continue with:\n"
                      f"  {self.resume_command()}", flush=True)
                raise SystemExit(INTERRUPTED)

        return callback

    def resume_command(self) -> str:
        script = sys.argv[0] if sys.argv and sys.argv[0].endswith(f"{self.example}.py") else f"examples/{self.example}.py"
        argv = self.argv + ([] if "--resume" in self.argv else ["--resume"])
        return shlex.join(["python", script, *argv])

    # ---- Ctrl-C
    def __enter__(self):
        """Until the block ends, Ctrl-C asks the loop to stop after the current update (a second one stops at once)."""
        try:
            self._previous_handler = signal.signal(signal.SIGINT, self._interrupt)
        except ValueError:  # not the main thread: Ctrl-C stays Python's KeyboardInterrupt
            self._previous_handler = None
            self._installed = False
        else:
            self._installed = True
        return self

    def _interrupt(self, signum, frame):
        if self.stop_requested:  # a second Ctrl-C: stop now, without the checkpoint
            raise KeyboardInterrupt
        self.stop_requested = True
        print(f"\nCtrl-C: finishing this {self.unit}, then saving the checkpoint (Ctrl-C again to stop at once)",
              file=sys.stderr, flush=True)

    def __exit__(self, *exc):
        if self._installed:
            signal.signal(signal.SIGINT, self._previous_handler or signal.default_int_handler)
        return False


class Frames:
    """The snapshots ``training.gif`` is drawn from: ``capture(update)`` after every 1/``count`` of the ``steps``
    updates (unless --no-gif).

    ``frames`` is a plain list, kept in the checkpoint (``Checkpoints(state={"frames": frames.frames})``), so a
    resumed run's GIF has every frame.  A capture must not draw from minigan's random generators (it would change
    the run): it uses fixed inputs, drawn once where the example draws them or from a generator of its own.
    """

    def __init__(self, args, steps: int, capture, count: int = GIF_FRAMES):
        self.enabled = not getattr(args, "no_gif", False)
        self.every = max(1, -(-steps // count))  # at most ``count`` frames
        self.capture = capture
        self.frames: list = []

    def callback(self, step, history) -> None:
        if self.enabled and (step + 1) % self.every == 0:
            self.frames.append(self.capture(step + 1))

    def save(self, out: Path, draw=None, **kwargs) -> None:
        """Write ``out/training.gif``: ``draw(fig, frame)`` per frame (``minigan.plot.save_gif``), or, without a
        ``draw``, image grids (frames of ``(update, images)``)."""
        if not self.enabled or not self.frames:
            return
        if draw is None:
            image_grid_gif(self.frames, Path(out) / GIF, **kwargs)
        else:
            save_gif(self.frames, draw, Path(out) / GIF, **kwargs)


def fixed_noise(seed: int, n: int, dim: int):
    """n noise vectors z ~ N(0, I) for GIF frames, from a NumPy generator of their own (minigan's generators,
    and so the training run, are not touched)."""
    return tensor(np.random.default_rng([seed, 2018]).standard_normal((n, dim), dtype=np.float32))


def train_image_gan(args, example: str, out: Path, G, D, x_train, z_shown, nrow: int, argv=None):
    """The training run of an image GAN example (mnist_gan, anime_faces_dcgan): the lecture's loop
    (minigan/train/gan.py) on the rows of ``x_train``, z ~ N(0, I) of ``--z-dim``, ``--batch`` examples per step,
    Adam(``--lr``, β = (``--beta1``, 0.999)) for both networks, and the learning rate decaying linearly to 0 over the
    second half of the ``--steps`` updates.  Around it: G's drawings of the same ``z_shown`` at the lecture's update
    counts and in training.gif (``nrow`` faces per row), checkpoint.npz (``--save-every``, Ctrl-C, ``--resume``), each
    layer's gradient norm for diagnostics.png, and with ``--ema`` the average of G's weights.

    Returns (the G that draws the samples: the average of G's weights with ``--ema``, else G; the history).
    """
    return _image_run(args, example, out, G, D, train_gan, lambda m: sample_batch(x_train, m=m),
                      lambda drawing: generate(drawing, z_shown),
                      lambda drawing: lecture_snapshots(drawing, z_shown, out, args.steps, nrow=nrow), nrow, argv)


def train_conditional_image_gan(args, example: str, out: Path, G, D, x_train, c_train, sizes, z_shown, conditions,
                                snapshots, nrow: int, argv=None):
    """The training run of a conditional image example (conditional_mnist, conditional_faces): the conditional
    loop (minigan/train/conditional.py) on the images ``x_train`` with their conditions ``c_train``, with Reed et
    al.'s mismatched pairs (one of the ``sizes`` attributes changed) unless ``--no-mismatch``, and around it what
    ``train_image_gan`` does for the unconditional ones, training.gif showing G(``z_shown``, ``conditions``).
    ``snapshots(G)`` is the example's callback that saves its grids at the lecture's update counts.

    Returns (the G that draws the samples: the average of G's weights with ``--ema``, else G; the history).
    """
    return _image_run(args, example, out, G, D, train_conditional_gan, lambda m: sample_batch(x_train, c_train, m=m),
                      lambda drawing: conditional_samples(drawing, z_shown, conditions), snapshots, nrow, argv,
                      mismatch=(lambda c: mismatched(c, sizes)) if args.mismatch else None)


def _image_run(args, example: str, out: Path, G, D, loop, sample_real, draw, snapshots, nrow: int, argv,
               **loop_options):
    """What both image runs share: the optimizers, the average of G's weights, training.gif of ``draw(G)``,
    checkpoint.npz and the gradient norms around ``loop`` (``train_gan`` or ``train_conditional_gan``, which take
    the same arguments, and ``loop_options`` besides)."""
    opt_D = optim.Adam(D.parameters(), lr=args.lr, betas=(args.beta1, 0.999), maximize=True)
    opt_G = optim.Adam(G.parameters(), lr=args.lr, betas=(args.beta1, 0.999), maximize=True)
    # samples come from G's weights averaged over training when --ema is set (minigan/train/ema.py)
    G_average = AveragedModel(G, args.ema) if args.ema > 0 else None
    drawing = G_average or G
    # training.gif: the same z's drawn by G every 1/40 of the run
    frames = Frames(args, args.steps, lambda step: (step, as_uint8(draw(drawing))))
    # checkpoint.npz in --out: every --save-every updates, at the end, on Ctrl-C; --resume continues from it
    models = {"G": G, "D": D, **({"G_average": G_average} if G_average else {})}
    checkpoints = Checkpoints(args, example, out, models, {"D": opt_D, "G": opt_G}, state={"frames": frames.frames},
                              argv=argv)
    start_step, history = checkpoints.resume()
    norms = GradientNorms(G, D, args.steps)  # each layer's gradient norm, for diagnostics.png
    with checkpoints:
        history = loop(G, D, sample_real, lambda m: randn(m, args.z_dim), opt_D, opt_G, steps=args.steps,
                       m=args.batch, lr_schedule=halfway_decay(args.steps), start_step=start_step, history=history,
                       callback=checkpoints.callback(norms, snapshots(drawing), frames.callback),
                       progress=not args.no_progress, average=G_average, **loop_options)
    checkpoints.save(args.steps, history)
    frames.save(out, nrow=nrow)
    return drawing, history
