"""Can the discriminator generate?  The lecture's general algorithm with no generator (section 9).

    Given a set of positive examples, generate random negative examples.
    In each iteration
        1. Learn a discriminator D that can discriminate positive and negative examples
           (score positives high, negatives low).
        2. Generate negative examples by the discriminator D:  x̃ = arg max_{x ∈ X} D(x).
        3. They are the negatives of the next iteration.

``discriminator_generation`` below is that loop.  Two choices make it work, both documented where
they are made:

- **Many arg maxes, not one.**  ``arg max D(x)`` is a single point; a round needs many negatives.  In
  1-D, ``argmax_by_enumeration`` enumerates a grid over X and gives each negative the arg max of D over
  its own random subset of k grid points (k = the whole grid would be the lecture's single arg max).
  In 2-D, enumeration is too slow to be the point, so ``argmax_by_gradient_ascent`` climbs D from many
  random starts, x ← x + η ∇ₓ logit D(x), using the engine's gradient with respect to the *input*.
- **The earlier negatives are kept** (``keep=True``, the default).  D then compares the positives with
  every negative generated so far, and the best D is P_data / (P_data + P_neg) (section 11), which is
  largest exactly where the negatives so far fall *short* of the data.  The next arg maxes land there and
  fill the gap, so round after round the pool of negatives approaches the data distribution, while D's
  false peaks are pushed down as negatives land on them.  With ``keep=False`` each round forgets the
  previous negatives and the arg maxes jump from one peak of D to the next without settling.
  The random negatives of the start are only used in the first round.
"""
from __future__ import annotations

from tqdm.auto import tqdm

from minigan import backend
from minigan.autograd import Tensor, grad, no_grad
from minigan.functional import cat
from minigan.train.shared import fixed
from minigan.train.objectives import Lecture


def _pick(examples: Tensor, m: int) -> Tensor:
    """m examples drawn at random (with replacement) from the rows of ``examples``."""
    u = backend.rand((m,), examples.dtype, examples.device)
    return Tensor(examples.data[(u * len(examples.data)).astype("int64") % len(examples.data)])


def train_discriminator(D, opt, positives: Tensor, negatives: Tensor, steps: int, m: int = 256) -> float:
    """Step 1: ``steps`` updates of D, maximising Ṽ = 1/m Σ log D(xⁱ) + 1/m Σ log(1 − D(x̃ⁱ)).

    Each update draws m positives xⁱ and m negatives x̃ⁱ at random from the two sets; ``opt`` must
    ascend (``maximize=True``).  Returns the last Ṽ.
    """
    if steps < 1:
        raise ValueError(f"train_discriminator: steps must be at least 1, got {steps}")
    objective = Lecture()
    for _ in range(steps):
        V, _, _ = objective.discriminator(D, _pick(positives, m), _pick(negatives, m))
        # θd ← θd + η ∇Ṽ(θd)
        opt.zero_grad()
        V.backward()
        opt.step()
    return V.item()


def argmax_by_enumeration(D, candidates: Tensor, n: int, k: int) -> Tensor:
    """Step 2 by enumeration: n negatives, each x̃ = arg max D(x) over k distinct points drawn from ``candidates``.

    ``candidates`` (N, d) enumerates X (an even grid in 1-D); D is evaluated on all of them once.
    With k = N every negative is the grid's arg max; smaller k spreads them over where D is high.
    """
    if not 1 <= k <= len(candidates.data):
        raise ValueError(
            f"argmax_by_enumeration: k must be between 1 and the {len(candidates.data)} candidates, got {k}"
        )
    xp = backend.array_module(candidates.data)
    with no_grad():
        scores = D(candidates).data.reshape(-1)
    # k distinct grid points per negative: the first k of a random permutation of the grid (one per row)
    subsets = xp.argsort(backend.rand((n, len(scores)), candidates.dtype, candidates.device), axis=1)[:, :k]
    best = subsets[xp.arange(n), scores[subsets].argmax(axis=1)]
    return Tensor(candidates.data[best])


def argmax_by_gradient_ascent(D, starts: Tensor, steps: int, lr: float, low: float, high: float) -> Tensor:
    """Step 2 by gradient ascent: from each start, x ← x + η ∇ₓ logit D(x), ``steps`` times, kept in [low, high].

    The gradient is taken with respect to the input x (D's parameters are not touched); each start climbs
    to the top of the hill of D it starts on.  Ascending the logit rather than D(x) = σ(logit) keeps the
    steps from vanishing where D saturates.
    """
    xp = backend.array_module(starts.data)
    x = starts.data.copy()
    with fixed(D):  # D's parameters get no gradients: only x moves
        for _ in range(steps):
            x_t = Tensor(x, requires_grad=True)
            (g,) = grad(D(x_t).sum(), [x_t])
            x = xp.clip(x + x.dtype.type(lr) * g.data, low, high)
    return Tensor(x)


def discriminator_generation(D, opt, positives: Tensor, negatives: Tensor, generate, rounds: int,
                             steps: int = 200, m: int = 256, keep: bool = True, callback=None,
                             progress: bool = True, start_round: int = 0, history: dict | None = None) -> dict:
    """Generation by a discriminator alone: rounds ``start_round .. rounds − 1`` of the lecture's algorithm.

    D:          module, x ↦ logit (D(x) = σ(logit)); ``opt`` ascends its parameters (``maximize=True``).
    positives:  (N, d) tensor of positive examples; negatives: (M, d) tensor of random negatives to start.
    generate:   D ↦ (n, d) tensor of new negatives, e.g. ``lambda D: argmax_by_enumeration(D, grid, n, k)``.
    steps, m:   updates of D per round and examples per update.
    keep:       keep every generated negative (True) or only the latest round's (False); see the module.
    callback:   optional ``callback(round, history)`` after each round (figures, checkpoints).
    start_round, history: to continue a run restored from a checkpoint (minigan/run.py); the history holds the
                pool of negatives, so ``negatives`` is then not used.

    Returns the history: ``V``, Ṽ of D at the end of each round; ``negatives``, the pool so far (the negatives
    of the next round); ``x_tilde``, the last round's arg maxes.
    """
    history = history if history is not None else {"V": []}
    if start_round:
        negatives = history["negatives"].to(positives.device)  # a checkpoint's tensors come back on the CPU
    for r in tqdm(range(start_round, rounds), desc="rounds", initial=start_round, total=rounds, disable=not progress,
                  dynamic_ncols=True):
        # 1. Learn D: positives high, negatives low
        history["V"].append(train_discriminator(D, opt, positives, negatives, steps, m))
        # 2. Generate negative examples x̃ = arg max D(x)
        x_tilde = generate(D)
        # 3. They are the next negatives (with the earlier generated ones when keep=True; the random
        #    negatives of the start only serve the first round)
        negatives = cat([negatives, x_tilde]) if keep and r > 0 else x_tilde
        history["negatives"], history["x_tilde"] = negatives, x_tilde
        if callback is not None:
            callback(r, history)
    return history
