"""Keras 2 layers."""
from jeras.engine.base_layer import Layer
from jeras.layers.core import (
                               Activation,
                               Dense,
                               Dropout,
                               Flatten,
                               InputLayer,
                               Permute,
                               RepeatVector,
                               Reshape,
)
from jeras.layers.noise import AlphaDropout, GaussianDropout, GaussianNoise

__all__ = ["Layer", "Activation", "Dense", "Dropout", "Flatten", "InputLayer", "Permute",
           "RepeatVector", "Reshape", "AlphaDropout", "GaussianDropout", "GaussianNoise"]
