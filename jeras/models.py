"""Model classes: `Sequential` (and, from the functional API, `Model`)."""
from jeras.engine.sequential import Sequential
from jeras.engine.training import Model

__all__ = ["Model", "Sequential"]
