"""Semi-supervised classification and clustering with Adversarial Autoencoders."""

from .classifier import SemiSupervisedAAEClassifier

__all__ = ["SemiSupervisedAAEClassifier"]
