"""Data sets: `digits` ships inside the package; the Keras 2 data sets are read
from the Keras cache (`~/.keras/datasets`, same files) and downloaded when absent."""
from jeras.datasets import (
    boston_housing,
    cifar10,
    cifar100,
    digits,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
)

__all__ = ["boston_housing", "cifar10", "cifar100", "digits", "fashion_mnist", "imdb", "mnist",
           "reuters"]
