"""The training loops, each the lecture's algorithm written out: ``gan.py`` (section 3),
``autoencoder.py`` (6.1), ``vae.py`` (6.2), ``discriminator_generation.py`` (9), ``latent_refinement.py``
(G + D at sampling time, 10 and 11); ``objectives.py`` and ``pacgan.py`` hold the GAN variants of section 12,
``ema.py`` and ``minibatch_std.py`` stabilisers.
What the loops share lives once in ``shared.py`` (holding a network fixed, the NaN guard, the learning-rate schedule);
``checkpoint.py`` saves and restores a run, ``diagnostics.py`` records the gradient norms of each layer."""
from minigan.train.autoencoder import AutoEncoder, reconstruction_error, train_autoencoder
from minigan.train.checkpoint import load_checkpoint, save_checkpoint
from minigan.train.discriminator_generation import discriminator_generation
from minigan.train.ema import AveragedModel
from minigan.train.gan import TrainingDiverged, train_gan
from minigan.train.latent_refinement import refine_latents
from minigan.train.minibatch_std import MinibatchStdDev
from minigan.train.pacgan import PacDiscriminator
from minigan.train.vae import VAE, evaluate_negative_elbo, kl_divergence, sample_code, train_vae

__all__ = [
    "VAE", "AutoEncoder", "AveragedModel", "MinibatchStdDev", "PacDiscriminator", "TrainingDiverged",
    "discriminator_generation", "evaluate_negative_elbo", "kl_divergence", "load_checkpoint", "reconstruction_error",
    "refine_latents", "sample_code", "save_checkpoint", "train_autoencoder", "train_gan", "train_vae",
]
