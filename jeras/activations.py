"""Built-in activation functions, as in Keras 2.2.4.

Each activation is a pure function of a `jax` array, so it traces inside
compiled code like any `jax.numpy` call. `get` turns what a layer's
`activation=` argument received into one of them.
"""

import warnings
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jeras import backend as K
from jeras.utils.generic_utils import IdentifierError, get_object, serialize_keras_object

# Constants from Klambauer et al. (2017), to the precision Keras 2.2.4 writes them.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def softmax(x: ArrayLike, axis: int = -1) -> jax.Array:
    """Softmax activation function.

    `softmax(x) = exp(x - max(x)) / sum(exp(x - max(x)))` along `axis`.

    # Arguments
        x: input tensor of rank 2 or more.
        axis: integer, the axis along which the normalization is applied.

    # Returns
        Tensor, output of the softmax transformation (same shape as `x`).

    # Raises
        ValueError: if `x` is 1-D (Keras 2.2.4 refuses it too: a 1-D tensor
            has no batch axis to keep apart from the class axis).
    """
    x = jnp.asarray(x)
    if x.ndim < 2:
        raise ValueError(
            "Cannot apply softmax to a tensor that is 1D. "
            f"Received input of shape {tuple(x.shape)}")
    return K.softmax(x, axis=axis)


def elu(x: ArrayLike, alpha: float = 1.0) -> jax.Array:
    """Exponential linear unit.

    `elu(x) = x if x > 0 else alpha * (exp(x) - 1)`.

    # Arguments
        x: input tensor.
        alpha: float, the slope of the negative section.

    # Returns
        The exponential linear activation of `x`.
    """
    return K.elu(x, alpha)


def selu(x: ArrayLike) -> jax.Array:
    """Scaled exponential linear unit (Klambauer et al., 2017).

    `selu(x) = scale * elu(x, alpha)` with `alpha = 1.6732632...` and
    `scale = 1.0507009...`.

    # Arguments
        x: input tensor.

    # Returns
        The scaled exponential unit activation of `x`.

    # References
        - [Self-Normalizing Neural Networks](https://arxiv.org/abs/1706.02515)
    """
    return _SELU_SCALE * K.elu(x, _SELU_ALPHA)


def softplus(x: ArrayLike) -> jax.Array:
    """Softplus activation function.

    `softplus(x) = log(exp(x) + 1)`.

    # Arguments
        x: input tensor.

    # Returns
        The softplus activation of `x`.
    """
    return K.softplus(x)


def softsign(x: ArrayLike) -> jax.Array:
    """Softsign activation function.

    `softsign(x) = x / (abs(x) + 1)`.

    # Arguments
        x: input tensor.

    # Returns
        The softsign activation of `x`.
    """
    return K.softsign(x)


def relu(x: ArrayLike, alpha: float = 0.0, max_value: float | None = None,
         threshold: float = 0.0) -> jax.Array:
    """Rectified linear unit.

    `relu(x) = min(x, max_value) if x > threshold else alpha * (x - threshold)`;
    with the defaults, `max(x, 0)`.

    # Arguments
        x: input tensor.
        alpha: float, slope of the negative part. Defaults to zero.
        max_value: float >= 0, saturation threshold; None means no saturation.
        threshold: float, the value under which the slope `alpha` applies
            (accepted as in later Keras 2 releases; 2.2.4 fixes it at 0).

    # Returns
        The rectified linear activation of `x`.
    """
    return K.relu(x, alpha=alpha, max_value=max_value, threshold=threshold)


def tanh(x: ArrayLike) -> jax.Array:
    """Hyperbolic tangent activation function.

    `tanh(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x))`.

    # Arguments
        x: input tensor.

    # Returns
        The hyperbolic tangent of `x`.
    """
    return K.tanh(x)


def sigmoid(x: ArrayLike) -> jax.Array:
    """Sigmoid activation function.

    `sigmoid(x) = 1 / (1 + exp(-x))`.

    # Arguments
        x: input tensor.

    # Returns
        The sigmoid activation of `x`.
    """
    return K.sigmoid(x)


def hard_sigmoid(x: ArrayLike) -> jax.Array:
    """Hard sigmoid activation function, a piecewise-linear sigmoid.

    `hard_sigmoid(x) = clip(0.2 * x + 0.5, 0, 1)`.

    # Arguments
        x: input tensor.

    # Returns
        The hard sigmoid activation of `x`.
    """
    return K.hard_sigmoid(x)


def exponential(x: ArrayLike) -> jax.Array:
    """Exponential (base e) activation function.

    `exponential(x) = exp(x)`.

    # Arguments
        x: input tensor.

    # Returns
        `exp(x)`.
    """
    return K.exp(x)


def linear(x: ArrayLike) -> ArrayLike:
    """Linear (identity) activation function.

    `linear(x) = x`.

    # Arguments
        x: input tensor.

    # Returns
        `x`, unchanged.
    """
    return x


# Activations applied to graph tensors record graph nodes.
K.dispatch_module(globals())

_ACTIVATIONS: dict[str, Callable] = {
    fn.__name__: fn
    for fn in (softmax, elu, selu, softplus, softsign, relu, tanh, sigmoid,
               hard_sigmoid, exponential, linear)
}


def serialize(activation: Callable) -> str:
    """Returns the name under which `activation` is saved in a model config.

    # Arguments
        activation: an activation function.

    # Returns
        Its `__name__`, e.g. `'relu'`.
    """
    return serialize_keras_object(activation)


def deserialize(name: str, custom_objects: Mapping[str, Any] | None = None) -> Callable:
    """Returns the activation function called `name`.

    # Arguments
        name: string, the function's name.
        custom_objects: optional dict of user functions, looked up first.

    # Returns
        The activation function.

    # Raises
        ValueError: if `name` is unknown.
    """
    return get_object(name, _ACTIVATIONS, "activation function",
                      custom_objects=custom_objects)


def get(identifier: str | Callable | None) -> Callable:
    """Resolves what a layer's `activation=` argument received.

    # Arguments
        identifier: None (the linear activation), the name of a built-in
            activation, or any callable (returned as is, so `K.tanh` works).

    # Returns
        The activation function.

    # Raises
        ValueError: if `identifier` is an unknown name.
        IdentifierError: (a `TypeError`, and a `ValueError` as in Keras 2.2.4)
            if `identifier` is neither None, a string nor a callable.
    """
    if identifier is None:
        return linear
    from jeras.engine.base_layer import Layer
    if isinstance(identifier, Layer):
        warnings.warn(f"Do not pass a layer instance (such as {type(identifier).__name__}) as "
                      "the activation argument of another layer. Instead, advanced "
                      "activation layers should be used just like any other layer in a "
                      "model.", stacklevel=2)
    if isinstance(identifier, str) or callable(identifier):
        return get_object(identifier, _ACTIVATIONS, "activation function")
    raise IdentifierError(
        "Could not interpret activation function identifier: expected None, a string "
        f"or a callable, got {type(identifier).__name__} {identifier!r}")
