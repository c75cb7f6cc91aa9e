"""`keras.legacy.layers`: the deprecated layers Keras 2.2.4 still shipped.

`MaxoutDense` and `Highway` keep Keras 1's argument names (`init`,
`W_regularizer`, `bias`...), weight names (`W`, `b`, `W_carry`, `b_carry`),
weight order and config keys, so models that use them load from Keras 2.2.4
files; `AtrousConvolution1D`/`2D` are the dilated `Conv1D`/`Conv2D` they
became. As in 2.2.4, `keras.layers` exports these names too, and each
constructor warns that the layer is deprecated.
"""
from __future__ import annotations

import warnings
from typing import Any

import jax
import jax.numpy as jnp

from jeras import activations, constraints, initializers, regularizers
from jeras import backend as K
from jeras.engine.base_layer import Layer, Shape
from jeras.engine.input_spec import InputSpec
from jeras.layers.convolutional import AtrousConvolution1D, AtrousConvolution2D

__all__ = ["AtrousConvolution1D", "AtrousConvolution2D", "Highway", "MaxoutDense"]


def _dense_input(layer: Layer, input_shape: Shape) -> int:
    if len(input_shape) != 2 or input_shape[-1] is None:
        raise ValueError(f"{type(layer).__name__} {layer.name!r}: expected a 2D input "
                         f"`(samples, input_dim)` with a known `input_dim`, got shape "
                         f"{tuple(input_shape)}")
    return int(input_shape[-1])


class _LegacyDense(Layer):
    """What `MaxoutDense` and `Highway` share: Keras 1's weight arguments and their config."""

    def __init__(self, init: Any = "glorot_uniform", W_regularizer: Any = None,  # noqa: N803
                 b_regularizer: Any = None, activity_regularizer: Any = None,
                 W_constraint: Any = None, b_constraint: Any = None,  # noqa: N803
                 bias: bool = True, input_dim: int | None = None, **kwargs: Any):
        warnings.warn(f"The `{type(self).__name__}` layer is deprecated and will be removed "
                      f"after 06/2017.", stacklevel=3)
        if input_dim:
            kwargs["input_shape"] = (input_dim,)
        super().__init__(**kwargs)
        self.init = initializers.get(init)
        self.W_regularizer = regularizers.get(W_regularizer)
        self.b_regularizer = regularizers.get(b_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.W_constraint = constraints.get(W_constraint)
        self.b_constraint = constraints.get(b_constraint)
        self.bias = bool(bias)
        self.input_dim = input_dim
        self.input_spec = InputSpec(ndim=2)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({
            "init": initializers.serialize(self.init),
            "W_regularizer": regularizers.serialize(self.W_regularizer),
            "b_regularizer": regularizers.serialize(self.b_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "W_constraint": constraints.serialize(self.W_constraint),
            "b_constraint": constraints.serialize(self.b_constraint),
            "bias": self.bias,
            "input_dim": self.input_dim,
        })
        return config


class MaxoutDense(_LegacyDense):
    """A dense maxout layer: the elementwise maximum of `nb_feature` dense layers.

    `output = max_k (dot(x, W[k]) + b[k])`, with `W` of shape
    `(nb_feature, input_dim, output_dim)` and `b` of shape
    `(nb_feature, output_dim)`. The layer is linear (no activation): it
    learns a convex, piecewise linear function of its input.

    # Arguments
        output_dim: int > 0, the output dimension.
        nb_feature: int > 0, the number of dense layers whose maximum is taken.
        init: initializer of `W` (`b` starts at zeros).
        weights: initial weights, `[W, b]` (or `[W]` without bias).
        W_regularizer, b_regularizer: regularizers of `W` and `b`.
        activity_regularizer: regularizer of the output.
        W_constraint, b_constraint: constraints of `W` and `b`.
        bias: whether to add `b`.
        input_dim: shorthand for `input_shape=(input_dim,)` on the first layer.

    # Input shape
        2D tensor `(samples, input_dim)`.

    # Output shape
        2D tensor `(samples, output_dim)`.

    # Raises
        ValueError: for an `output_dim` or `nb_feature` that is not a positive int.

    # References
        - [Maxout Networks](http://arxiv.org/abs/1302.4389)
    """

    def __init__(self, output_dim: int, nb_feature: int = 4, **kwargs: Any):
        for name, value in (("output_dim", output_dim), ("nb_feature", nb_feature)):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"MaxoutDense: `{name}` must be a positive int, got {value!r}")
        super().__init__(**kwargs)
        self.output_dim = output_dim
        self.nb_feature = nb_feature

    def build(self, input_shape: Shape) -> None:
        input_dim = _dense_input(self, input_shape)
        self.input_spec = InputSpec(dtype=K.floatx(), shape=(None, input_dim))
        self.add_weight("W", (self.nb_feature, input_dim, self.output_dim),
                        initializer=self.init, regularizer=self.W_regularizer,
                        constraint=self.W_constraint)
        if self.bias:
            self.add_weight("b", (self.nb_feature, self.output_dim), initializer="zeros",
                            regularizer=self.b_regularizer, constraint=self.b_constraint)

    def call(self, params: dict, inputs: jax.Array, *, training: bool = False,
             rng: Any = None) -> jax.Array:
        # (samples, nb_feature, output_dim): one dense layer per feature.
        outputs = jnp.einsum("si,fio->sfo", inputs, params["W"])
        if self.bias:
            outputs = outputs + params["b"]
        return jnp.max(outputs, axis=1)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (input_shape[0], self.output_dim)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"output_dim": self.output_dim, "nb_feature": self.nb_feature})
        return config


class Highway(_LegacyDense):
    """A densely connected highway layer: a gate mixes a dense transform with the input.

    `t = sigmoid(dot(x, W_carry) + b_carry)` and
    `output = t * activation(dot(x, W) + b) + (1 - t) * x`, with square
    `W`, `W_carry` of shape `(input_dim, input_dim)`; `b` starts at zeros
    and `b_carry` at ones. Only `W` and `b` take the regularizers and
    constraints, as in 2.2.4.

    # Arguments
        init: initializer of `W` and `W_carry`.
        activation: the transform's activation; None means linear.
        weights: initial weights, `[W, W_carry, b, b_carry]` (or `[W, W_carry]`
            without bias).
        W_regularizer, b_regularizer: regularizers of `W` and `b`.
        activity_regularizer: regularizer of the output.
        W_constraint, b_constraint: constraints of `W` and `b`.
        bias: whether to add `b` and `b_carry`.
        input_dim: shorthand for `input_shape=(input_dim,)` on the first layer.

    # Input shape
        2D tensor `(samples, input_dim)`.

    # Output shape
        The input's shape.

    # References
        - [Highway Networks](http://arxiv.org/abs/1505.00387v2)
    """

    def __init__(self, init: Any = "glorot_uniform", activation: Any = None, **kwargs: Any):
        if "transform_bias" in kwargs:
            kwargs.pop("transform_bias")
            warnings.warn("`transform_bias` argument is deprecated and has been removed.",
                          stacklevel=2)
        super().__init__(init=init, **kwargs)
        self.activation = activations.get(activation)

    def build(self, input_shape: Shape) -> None:
        input_dim = _dense_input(self, input_shape)
        self.input_spec = InputSpec(dtype=K.floatx(), shape=(None, input_dim))
        # 2.2.4's weight order: W, W_carry, b, b_carry.
        self.add_weight("W", (input_dim, input_dim), initializer=self.init,
                        regularizer=self.W_regularizer, constraint=self.W_constraint)
        self.add_weight("W_carry", (input_dim, input_dim), initializer=self.init)
        if self.bias:
            self.add_weight("b", (input_dim,), initializer="zeros",
                            regularizer=self.b_regularizer, constraint=self.b_constraint)
            self.add_weight("b_carry", (input_dim,), initializer="ones")

    def call(self, params: dict, inputs: jax.Array, *, training: bool = False,
             rng: Any = None) -> jax.Array:
        carry = jnp.matmul(inputs, params["W_carry"])
        transform = jnp.matmul(inputs, params["W"])
        if self.bias:
            carry = carry + params["b_carry"]
            transform = transform + params["b"]
        gate = activations.sigmoid(carry)
        return self.activation(transform) * gate + (1 - gate) * inputs

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return tuple(input_shape)

    def get_config(self) -> dict:
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config
