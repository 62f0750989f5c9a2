"""The networks of a semi-supervised adversarial autoencoder (Makhzani et al. 2015, Fig. 8)."""

from dataclasses import asdict, dataclass
from itertools import pairwise

import torch
from torch import nn


@dataclass
class AAEConfig:
    """Everything needed to rebuild an :class:`AdversarialAutoencoder` from plain data."""

    n_features: int
    n_classes: int
    style_dim: int = 10
    hidden_layer_sizes: tuple = (1000, 1000)
    discriminator_layer_sizes: tuple = (1000, 1000)
    binary_features: bool = True  # decoder emits logits for a BCE loss, else real values
    batch_norm: bool = False  # in the encoder's hidden layers

    def to_dict(self):
        return asdict(self)


def mlp(n_in, hidden_sizes, n_out=None, batch_norm=False):
    """ReLU perceptron: hidden layers, each batch-normalized before its ReLU if ``batch_norm``,
    then a linear layer of ``n_out`` units (none if ``n_out`` is None).

    >>> mlp(4, [8], 2)
    Sequential(
      (0): Linear(in_features=4, out_features=8, bias=True)
      (1): ReLU()
      (2): Linear(in_features=8, out_features=2, bias=True)
    )
    """
    sizes = [n_in, *hidden_sizes]
    layers = []
    for a, b in pairwise(sizes):
        layers += [nn.Linear(a, b), *([nn.BatchNorm1d(b)] if batch_norm else []), nn.ReLU()]
    if n_out is not None:
        layers.append(nn.Linear(sizes[-1], n_out))
    return nn.Sequential(*layers)


class AdversarialAutoencoder(nn.Module):
    """Encoder with a class head q(y|x) and a style head q(z|x), decoder p(x|y,z), and the two
    discriminators that match q(y) to a categorical prior and q(z) to N(0, I).

    Examples
    --------
    >>> model = AdversarialAutoencoder(AAEConfig(n_features=64, n_classes=10))
    >>> class_logits, style = model.encode(torch.zeros(5, 64))
    >>> class_logits.shape, style.shape
    (torch.Size([5, 10]), torch.Size([5, 10]))
    """

    def __init__(self, config: AAEConfig):
        super().__init__()
        self.config = config
        hidden = config.hidden_layer_sizes
        self.encoder = mlp(config.n_features, hidden, batch_norm=config.batch_norm)
        self.class_head = nn.Linear(hidden[-1], config.n_classes)
        self.style_head = nn.Linear(hidden[-1], config.style_dim)
        self.decoder = mlp(config.n_classes + config.style_dim, hidden[::-1], config.n_features)
        self.class_discriminator = mlp(config.n_classes, config.discriminator_layer_sizes, 1)
        self.style_discriminator = mlp(config.style_dim, config.discriminator_layer_sizes, 1)

    def encode(self, x):
        """Class logits and style code of each row of ``x``."""
        h = self.encoder(x)
        return self.class_head(h), self.style_head(h)

    def decode(self, y, z):
        """Decoder output (logits for binary features) from class probabilities and style."""
        return self.decoder(torch.cat([y, z], dim=1))

    def encoder_parameters(self):
        return [*self.encoder.parameters(), *self.class_head.parameters(), *self.style_head.parameters()]

    def classifier_parameters(self):
        return [*self.encoder.parameters(), *self.class_head.parameters()]

    def discriminator_parameters(self):
        return [*self.class_discriminator.parameters(), *self.style_discriminator.parameters()]


def model_to_data(model):
    """The networks as plain data: a config dict and CPU tensors, loadable with weights_only."""
    return {"config": model.config.to_dict(), "state": {k: v.cpu() for k, v in model.state_dict().items()}}


def model_from_data(data, device):
    model = AdversarialAutoencoder(AAEConfig(**data["config"]))
    model.load_state_dict(data["state"])
    return model.to(device)
