"""Semi-supervised classification and clustering with Adversarial Autoencoders."""

from .classifier import SemiSupervisedAAEClassifier
from .datasets import load_dataset, make_semisupervised
from .persistence import load_model, save_model

__all__ = ["SemiSupervisedAAEClassifier", "load_dataset", "load_model", "make_semisupervised", "save_model"]
