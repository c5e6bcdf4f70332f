"""Numbers that say how good a generator is.

``distributions``: comparing samples with samples or with a density (KS, Wasserstein-1, KDE).
"""
from minigan.metrics.distributions import gaussian_kde, ks_statistic, moments_error, wasserstein_1d

__all__ = ["gaussian_kde", "ks_statistic", "moments_error", "wasserstein_1d"]
