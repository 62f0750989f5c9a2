"""Semi-supervised classification and clustering with Adversarial Autoencoders."""

from .classifier import SemiSupervisedAAEClassifier
from .clustering import AAEClustering
from .datasets import load_dataset, make_semisupervised
from .persistence import load_model, save_model

__all__ = ["AAEClustering", "SemiSupervisedAAEClassifier", "load_dataset", "load_model", "make_semisupervised",
           "save_model"]
