"""`keras.legacy.interfaces`: the Keras 1 argument-name decorators, as no-ops.

Custom layers and optimizers written for Keras 2 wrap their methods in
`@interfaces.legacy_dense_support`, `@interfaces.legacy_get_updates_support`
and their siblings, which translated Keras 1 argument names. jeras accepts
only Keras 2 names, so every such decorator hands the function back as it is.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _unchanged(func: Callable) -> Callable:
    return func


def generate_legacy_interface(*args: Any, **kwargs: Any) -> Callable[[Callable], Callable]:
    """Returns a decorator that leaves the function unchanged."""
    return _unchanged


def generate_legacy_method_interface(*args: Any, **kwargs: Any) -> Callable[[Callable], Callable]:
    """Returns a decorator that leaves the method unchanged."""
    return _unchanged


def __getattr__(name: str) -> Callable[[Callable], Callable]:
    # Keras 2.2.4 has some thirty `legacy_<what>_support` decorators; all are no-ops here.
    if name.startswith("legacy_") and name.endswith("_support"):
        return _unchanged
    raise AttributeError(f"module 'keras.legacy.interfaces' has no attribute {name!r}")
