"""The training loops, each the lecture's algorithm written out: ``gan.py`` (section 3)."""
from minigan.train.checkpoint import load_checkpoint, save_checkpoint
from minigan.train.gan import TrainingDiverged, train_gan

__all__ = ["TrainingDiverged", "load_checkpoint", "save_checkpoint", "train_gan"]
