"""Rebuild the classifiers that minigan's image metrics use (minigan/metrics/classifier.py).

    python scripts/train_classifiers.py                  # both, written to minigan/weights/
    python scripts/train_classifiers.py --only digits --epochs-digits 2 --out /tmp/w   # a quick try

digits: ``DigitClassifier`` on the bundled MNIST train split (4,000 digits), shifted by up to 2 pixels
        at random each epoch; reports accuracy on the bundled test split (1,000 digits).
faces:  ``FaceAttributeClassifier`` on toy anime faces from ``make_faces`` (seed 1), with a little
        pixel noise so that it also reads the imperfect faces a generator draws; reports accuracy per
        attribute on faces it never saw (seed 2).

Each file holds the weights and that report (``model.report`` after loading).  The run is seeded:
the same command on the same machine writes the same weights.
"""
import argparse
import time
from pathlib import Path

import numpy as np

import minigan as mg
from minigan import functional as F
from minigan import optim
from minigan.data import FACE_ATTRIBUTES, DataLoader, load_mnist, make_faces, scale_images
from minigan.metrics.classifier import (
    DIGIT_WEIGHTS, FACE_WEIGHTS, DigitClassifier, FaceAttributeClassifier, attribute_probabilities, in_batches,
)

WEIGHTS = Path(__file__).resolve().parent.parent / "minigan" / "weights"


def cross_entropy(logits, labels):
    """−1/m Σ log p(yⁱ | xⁱ), with p = softmax(logits) and integer labels yⁱ (an array)."""
    xp = mg.backend.array_module(logits.data)
    one_hot = mg.Tensor((xp.arange(logits.shape[1])[None, :] == labels[:, None]).astype(logits.dtype))
    return -(F.log_softmax(logits, axis=1) * one_hot).sum(axis=1).mean()


def shifted(images: np.ndarray, rng, most: int = 2) -> np.ndarray:
    """Each N×1×28×28 image moved by up to ``most`` pixels in each direction (the border fills with −1)."""
    padded = np.pad(images, ((0, 0), (0, 0), (most, most), (most, most)), constant_values=-1.0)
    out = np.empty_like(images)
    dy, dx = rng.integers(0, 2 * most + 1, size=(2, len(images)))
    for i in range(len(images)):
        out[i] = padded[i, :, dy[i]:dy[i] + 28, dx[i]:dx[i] + 28]
    return out


def noisy(images: np.ndarray, rng, most: float = 0.15) -> np.ndarray:
    """Gaussian pixel noise with a standard deviation drawn per image from U(0, most)."""
    sigma = rng.uniform(0.0, most, size=(len(images), 1, 1, 1)).astype(np.float32)
    return (images + sigma * rng.standard_normal(images.shape, dtype=np.float32)).astype(np.float32)


def train(model, loss_fn, images, labels, augment, epochs: int, batch: int, lr: float, rng) -> None:
    """Adam on ``loss_fn(model(x), y)``, a fresh augmentation of the training set each epoch, lr halved for the last third."""
    optimizer = optim.Adam(model.parameters(), lr=lr)
    model.train()
    for epoch in range(epochs):
        optimizer.param_groups[0]["lr"] = lr if epoch < epochs - epochs // 3 else lr / 2
        total = 0.0
        for x, y in DataLoader(augment(images, rng), labels, batch_size=batch):
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(y)
        print(f"  epoch {epoch + 1}/{epochs}: training loss {total / len(images):.4f}")
    model.eval()


def train_digits(args, rng) -> dict:
    data = load_mnist()
    x_train, x_test = scale_images(data.train_images), scale_images(data.test_images)
    model = DigitClassifier()
    train(model, lambda logits, y: cross_entropy(logits, y.data), x_train, data.train_labels, shifted, args.epochs_digits, args.batch, args.lr, rng)
    predicted = in_batches(model, x_test).argmax(axis=1)
    per_digit = [float((predicted[data.test_labels == d] == d).mean()) for d in range(10)]
    return model, {"test_accuracy": float((predicted == data.test_labels).mean()),
                   "test_accuracy_per_digit": per_digit, "train_images": len(x_train), "test_images": len(x_test),
                   "epochs": args.epochs_digits}


def train_faces(args, rng) -> dict:
    x_train, a_train = make_faces(args.faces, size=32, seed=1)
    x_test, a_test = make_faces(args.faces // 5, size=32, seed=2)
    names = list(FACE_ATTRIBUTES)
    # one label column per attribute; the loss is the sum of the attributes' cross-entropies
    labels = np.stack([a_train[name] for name in names], axis=1)

    def loss_fn(logits, y):
        total, start = 0.0, 0
        for j, name in enumerate(names):
            width = len(FACE_ATTRIBUTES[name])
            total = total + cross_entropy(logits[:, start:start + width], y.data[:, j])
            start += width
        return total

    model = FaceAttributeClassifier()
    train(model, loss_fn, x_train, labels, noisy, args.epochs_faces, args.batch, args.lr, rng)
    p_test = attribute_probabilities(model, x_test)
    accuracy = {name: float((p_test[name].argmax(axis=1) == a_test[name]).mean()) for name in names}
    return model, {"test_accuracy": accuracy, "train_images": len(x_train), "test_images": len(x_test),
                   "epochs": args.epochs_faces}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["digits", "faces"], help="train one of the two (default: both)")
    parser.add_argument("--out", type=Path, default=WEIGHTS, help="folder for the .npz files (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    parser.add_argument("--epochs-digits", type=int, default=20, help="(default: %(default)s)")
    parser.add_argument("--epochs-faces", type=int, default=6, help="(default: %(default)s)")
    parser.add_argument("--faces", type=int, default=10_000, help="training faces (default: %(default)s)")
    parser.add_argument("--batch", type=int, default=64, help="(default: %(default)s)")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default: %(default)s)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    jobs = {"digits": (train_digits, DIGIT_WEIGHTS), "faces": (train_faces, FACE_WEIGHTS)}
    for name, (run, filename) in jobs.items():
        if args.only not in (None, name):
            continue
        print(f"training the {name} classifier")
        mg.manual_seed(args.seed)
        start, cpu = time.perf_counter(), time.process_time()
        model, report = run(args, np.random.default_rng(args.seed))
        report.update(seed=args.seed, seconds=round(time.perf_counter() - start, 1),
                      cpu_seconds=round(time.process_time() - cpu, 1))
        mg.save({"state_dict": model.state_dict(), "report": report}, args.out / filename)
        print(f"  test accuracy: {report['test_accuracy']}")
        print(f"  wrote {args.out / filename} ({report['seconds']} s, {report['cpu_seconds']} s of CPU time)")


if __name__ == "__main__":
    main()
