"""Built-in weight constraints, as in Keras 2.2.4.

A constraint maps a weight tensor to its projected value; the optimizer step
applies it after each update. Each is a pure function of the weights, so it
traces inside the compiled train step.
"""
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from jeras import backend as K
from jeras.utils.generic_utils import (
    deserialize_keras_object,
    get_object,
    serialize_keras_object,
)

Axis = int | Sequence[int]


def _norms(w: jax.Array, axis: Axis) -> jax.Array:
    """L2 norms of `w` along `axis`, keeping the reduced axes for broadcasting."""
    axis = axis if isinstance(axis, int) else tuple(axis)
    return jnp.sqrt(jnp.sum(jnp.square(w), axis=axis, keepdims=True))


class Constraint:
    """Constraint base class: leaves the weights unchanged."""

    def __call__(self, w: Any) -> jax.Array:
        return jnp.asarray(K._arr(w))

    def get_config(self) -> dict[str, Any]:
        return {}


class MaxNorm(Constraint):
    """MaxNorm weight constraint.

    Rescales the weights whose L2 norm along `axis` exceeds `max_value`:
    `w * clip(norms, 0, max_value) / (K.epsilon() + norms)`.

    # Arguments
        max_value: float > 0, the maximum norm of the incoming weights.
        axis: int or list of ints, the axes along which norms are computed.
            For a `Dense` kernel `(input_dim, output_dim)`, `0` constrains
            each unit's incoming weight vector; for a `Conv2D` kernel
            `(rows, cols, input_depth, output_depth)`, use `[0, 1, 2]`.

    # References
        Srivastava et al., Dropout: A Simple Way to Prevent Neural Networks
        from Overfitting, JMLR 2014.
    """

    def __init__(self, max_value: float = 2, axis: Axis = 0):
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w: Any) -> jax.Array:
        w = jnp.asarray(K._arr(w))
        norms = _norms(w, self.axis)
        desired = K.clip(norms, 0, self.max_value)
        return w * (desired / (K.epsilon() + norms))

    def get_config(self) -> dict[str, Any]:
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Constrains the weights to be non-negative: negative entries become 0."""

    def __call__(self, w: Any) -> jax.Array:
        w = jnp.asarray(K._arr(w))
        return w * (w >= 0.).astype(w.dtype)


class UnitNorm(Constraint):
    """Constrains the weights to have unit L2 norm along `axis`.

    Computes `w / (K.epsilon() + norms)`.

    # Arguments
        axis: int or list of ints, the axes along which norms are computed
            (see `MaxNorm`).
    """

    def __init__(self, axis: Axis = 0):
        self.axis = axis

    def __call__(self, w: Any) -> jax.Array:
        w = jnp.asarray(K._arr(w))
        return w / (K.epsilon() + _norms(w, self.axis))

    def get_config(self) -> dict[str, Any]:
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Constrains the L2 norm along `axis` to lie between lower and upper bounds.

    Computes `w * desired / (K.epsilon() + norms)` with
    `desired = rate * clip(norms, min_value, max_value) + (1 - rate) * norms`.

    # Arguments
        min_value: float, the minimum norm of the incoming weights.
        max_value: float, the maximum norm of the incoming weights.
        rate: float in `[0, 1]`; 1.0 enforces the bounds at once, smaller
            values move the norms a fraction of the way at each step.
        axis: int or list of ints, the axes along which norms are computed
            (see `MaxNorm`).
    """

    def __init__(self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0,
                 axis: Axis = 0):
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w: Any) -> jax.Array:
        w = jnp.asarray(K._arr(w))
        norms = _norms(w, self.axis)
        desired = (self.rate * K.clip(norms, self.min_value, self.max_value)
                   + (1 - self.rate) * norms)
        return w * (desired / (K.epsilon() + norms))

    def get_config(self) -> dict[str, Any]:
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


# Aliases.

max_norm = MaxNorm
non_neg = NonNeg
unit_norm = UnitNorm
min_max_norm = MinMaxNorm

# Legacy aliases.

maxnorm = max_norm
nonneg = non_neg
unitnorm = unit_norm

_OBJECTS: dict[str, Any] = {
    obj.__name__: obj for obj in (Constraint, MaxNorm, NonNeg, UnitNorm, MinMaxNorm)
}
_OBJECTS.update(max_norm=max_norm, non_neg=non_neg, unit_norm=unit_norm,
                min_max_norm=min_max_norm, maxnorm=maxnorm, nonneg=nonneg, unitnorm=unitnorm)


def serialize(constraint: Constraint | Callable) -> dict[str, Any] | str:
    """Returns `{'class_name', 'config'}` for a constraint (a function's name for a function).

    # Arguments
        constraint: a `Constraint` instance or a plain function.

    # Returns
        A JSON-friendly dict, or a string.
    """
    return serialize_keras_object(constraint)


def deserialize(config: dict[str, Any] | str,
                custom_objects: dict[str, Any] | None = None) -> Constraint | Callable:
    """Builds a constraint from `{'class_name', 'config'}` or from a name.

    A name stands for `{'class_name': name, 'config': {}}`: the class with
    its defaults.

    # Arguments
        config: a config dict or a name.
        custom_objects: optional dict of user classes or functions, looked up first.

    # Returns
        A constraint.

    # Raises
        ValueError: for an unknown name or a malformed dict.
    """
    if isinstance(config, str):
        config = {"class_name": config, "config": {}}
    return deserialize_keras_object(config, _OBJECTS, custom_objects,
                                    printable_module_name="constraint")


def get(identifier: Any) -> Constraint | Callable | None:
    """Resolves what a layer argument such as `kernel_constraint` holds.

    # Arguments
        identifier: None, a name (`'max_norm'`, `'MaxNorm'`, `'non_neg'`...),
            a config dict, or a callable `f(w) -> w`, returned as is.

    # Returns
        A constraint, or None for None.

    # Raises
        ValueError: for an unknown name.
        TypeError: for an identifier of any other type.
    """
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    return get_object(identifier, _OBJECTS, "constraint")
