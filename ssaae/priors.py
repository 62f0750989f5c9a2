"""Samplers of the priors the adversarial phase matches the encoder's outputs to."""

import torch
from torch.nn import functional as F


def sample_categorical(n_samples, n_classes, generator, device):
    """One-hot rows of a uniform categorical prior, the target of q(y).

    >>> sample_categorical(3, 4, torch.Generator().manual_seed(0), "cpu").sum(dim=1)
    tensor([1., 1., 1.])
    """
    classes = torch.randint(n_classes, (n_samples,), generator=generator, device=device)
    return F.one_hot(classes, n_classes).float()


def sample_gaussian(n_samples, style_dim, generator, device):
    """Rows of N(0, I), the target of q(z)."""
    return torch.randn(n_samples, style_dim, generator=generator, device=device)
