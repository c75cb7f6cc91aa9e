"""Built-in weight regularizers, as in Keras 2.2.4.

A regularizer maps a weight (or activation) tensor to a scalar penalty that
the engine adds to the training loss; it is a pure function of its input,
so it traces inside the compiled train step.
"""
from collections.abc import Callable
from typing import Any, Self

import jax
import jax.numpy as jnp

from jeras import backend as K
from jeras.utils.generic_utils import (
    deserialize_keras_object,
    get_object,
    serialize_keras_object,
)


class Regularizer:
    """Regularizer base class: a penalty of 0."""

    def __call__(self, x: Any) -> jax.Array:
        return jnp.zeros((), K.floatx())

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Self:
        """Builds a regularizer from the dict `get_config()` returned."""
        return cls(**config)


class L1L2(Regularizer):
    """Regularizer for L1 and L2 regularization.

    The penalty is `sum(l1 * |x|) + sum(l2 * x ** 2)`.

    The factors are rounded to `K.floatx()` when stored, as Keras 2.2.4 does,
    so `L1L2(l2=0.01).get_config()['l2']` is `0.009999999776482582` in
    float32, the number Keras 2.2.4 writes to model files.

    # Arguments
        l1: float >= 0, L1 regularization factor.
        l2: float >= 0, L2 regularization factor.
    """

    def __init__(self, l1: float = 0., l2: float = 0.):
        self.l1 = float(K.cast_to_floatx(l1))
        self.l2 = float(K.cast_to_floatx(l2))

    def __call__(self, x: Any) -> jax.Array:
        x = jnp.asarray(K._arr(x))
        penalty = jnp.zeros((), x.dtype)
        # Zero factors are skipped (static config), as in Keras 2.2.4, so an
        # unused term adds no work to the compiled step.
        if self.l1:
            penalty += jnp.sum(self.l1 * jnp.abs(x))
        if self.l2:
            penalty += jnp.sum(self.l2 * jnp.square(x))
        return penalty

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1, "l2": self.l2}


def l1(l: float = 0.01) -> L1L2:  # noqa: E741 - Keras 2 argument name
    """L1 weight regularization, `sum(l * |x|)`.

    # Arguments
        l: float >= 0, regularization factor.

    # Returns
        An `L1L2(l1=l)`.
    """
    return L1L2(l1=l)


def l2(l: float = 0.01) -> L1L2:  # noqa: E741 - Keras 2 argument name
    """L2 weight regularization, `sum(l * x ** 2)`.

    # Arguments
        l: float >= 0, regularization factor.

    # Returns
        An `L1L2(l2=l)`.
    """
    return L1L2(l2=l)


def l1_l2(l1: float = 0.01, l2: float = 0.01) -> L1L2:
    """L1 plus L2 weight regularization.

    # Arguments
        l1: float >= 0, L1 regularization factor.
        l2: float >= 0, L2 regularization factor.

    # Returns
        An `L1L2(l1=l1, l2=l2)`.
    """
    return L1L2(l1=l1, l2=l2)


_OBJECTS: dict[str, Any] = {obj.__name__: obj for obj in (Regularizer, L1L2, l1, l2, l1_l2)}


def serialize(regularizer: Regularizer | Callable) -> dict[str, Any] | str:
    """Returns `{'class_name', 'config'}` for a regularizer (a function's name for a function).

    `l2(0.01)` returns an `L1L2`, so it serializes as `L1L2`.

    # Arguments
        regularizer: a `Regularizer` instance or a plain function.

    # Returns
        A JSON-friendly dict, or a string.
    """
    return serialize_keras_object(regularizer)


def deserialize(config: dict[str, Any] | str,
                custom_objects: dict[str, Any] | None = None) -> Regularizer | Callable:
    """Builds a regularizer from `{'class_name', 'config'}` or from a name.

    A name stands for `{'class_name': name, 'config': {}}`, so `'l2'` calls
    `l2()` and gives `L1L2(l2=0.01)`.

    # Arguments
        config: a config dict or a name.
        custom_objects: optional dict of user classes or functions, looked up first.

    # Returns
        A regularizer.

    # Raises
        ValueError: for an unknown name or a malformed dict.
    """
    if isinstance(config, str):
        config = {"class_name": config, "config": {}}
    return deserialize_keras_object(config, _OBJECTS, custom_objects,
                                    printable_module_name="regularizer")


def get(identifier: Any) -> Regularizer | Callable | None:
    """Resolves what a layer argument such as `kernel_regularizer` holds.

    # Arguments
        identifier: None, a name (`'l1'`, `'l2'`, `'l1_l2'`, `'L1L2'`), a
            config dict, or a callable `f(x) -> scalar`, returned as is.

    # Returns
        A regularizer, or None for None.

    # Raises
        ValueError: for an unknown name.
        TypeError: for an identifier of any other type.
    """
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    return get_object(identifier, _OBJECTS, "regularizer")
