"""jeras: the Keras 2 training API, rebuilt on JAX."""
from jeras import (
                   activations,
                   backend,
                   callbacks,
                   config,
                   constraints,
                   initializers,
                   layers,
                   losses,
                   metrics,
                   models,
                   optimizers,
                   regularizers,
                   utils,
)
from jeras.engine.input_layer import Input
from jeras.engine.sequential import Sequential
from jeras.engine.training import Model

__version__ = "0.1.0"

__all__ = ["activations", "backend", "callbacks", "config", "constraints", "initializers", "layers",
           "losses", "metrics", "models", "optimizers", "regularizers", "utils", "Model",
           "Sequential", "Input", "__version__"]
