"""Keras 2 advanced activation layers: LeakyReLU, PReLU, ELU, ThresholdedReLU, Softmax,
ReLU, and the ActivityRegularization layer.

Each is an elementwise function of its input (Softmax: along one axis); only
PReLU has a weight, `alpha`, shaped like one sample with the shared axes
collapsed to 1.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax.numpy as jnp
import numpy as np

from jeras import activations, constraints, initializers, regularizers
from jeras import backend as K
from jeras.compat import legacy as interfaces
from jeras.engine.base_layer import Layer, Shape

__all__ = ["ActivityRegularization", "ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax",
           "ThresholdedReLU"]


def _number(value: Any, argument: str, layer: str, minimum: float | None = None) -> float:
    """Checks a float argument (and its lower bound) and returns it as a Python float."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{layer}: `{argument}` must be a number, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{layer}: `{argument}` must be >= {minimum}, got {value!r}")
    return float(value)


class LeakyReLU(Layer):
    """Leaky rectified linear unit: `f(x) = alpha * x` for `x < 0`, `f(x) = x` otherwise.

    Computed as `max(x, alpha * x)`, TensorFlow 1's `leaky_relu` that Keras
    2.2.4 calls, which is that function for every `alpha <= 1`.

    # Arguments
        alpha: float, the slope below zero. Any number, as Keras 2.2.4 accepts:
            a negative slope maps negative inputs to positive outputs (`-1`
            gives `|x|`); above 1, `max` takes `alpha * x` above zero and `x`
            below, as 2.2.4 does.

    # Raises
        TypeError: if `alpha` is not a number.

    # Input shape
        Any; the output has the same shape.
    """

    supports_masking = True

    def __init__(self, alpha: float = 0.3, **kwargs: Any):
        super().__init__(**kwargs)
        self.alpha = _number(alpha, "alpha", "LeakyReLU")

    def call(self, params, inputs, *, training=False, rng=None):
        return K.relu(inputs, alpha=self.alpha)

    def get_config(self) -> dict:
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


class PReLU(Layer):
    """Parametric rectified linear unit: `f(x) = alpha * x` for `x < 0`, `x` otherwise,
    with a learned `alpha` per input element.

    # Arguments
        alpha_initializer: initializer of `alpha` (default `'zeros'`, a plain ReLU).
        alpha_regularizer: regularizer of `alpha`.
        alpha_constraint: constraint of `alpha`.
        shared_axes: axes (counted from 1, the batch axis being 0) along which
            one `alpha` is shared, e.g. `[1, 2]` for one slope per channel of
            `(batch, rows, cols, channels)` feature maps.

    # Input shape
        Any, with known non-batch dimensions; the output has the same shape.

    # Raises
        ValueError: for a shared axis outside the input's non-batch axes, at build.
    """

    supports_masking = True

    @interfaces.legacy_prelu_support
    def __init__(self, alpha_initializer: Any = "zeros", alpha_regularizer: Any = None,
                 alpha_constraint: Any = None, shared_axes: int | Sequence[int] | None = None,
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        elif isinstance(shared_axes, (list, tuple)):
            self.shared_axes = [int(a) for a in shared_axes]
        else:
            self.shared_axes = [int(shared_axes)]

    def build(self, input_shape: Shape) -> None:
        shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            if not 1 <= axis < len(input_shape):
                raise ValueError(f"PReLU {self.name!r}: shared axis {axis} is not a non-batch "
                                 f"axis of inputs of shape {tuple(input_shape)}")
            shape[axis - 1] = 1
        if any(d is None for d in shape):
            raise ValueError(f"PReLU {self.name!r}: the non-shared dimensions must be known, "
                             f"got input shape {tuple(input_shape)}")
        self.add_weight("alpha", tuple(shape), initializer=self.alpha_initializer,
                        regularizer=self.alpha_regularizer, constraint=self.alpha_constraint)

    def call(self, params, inputs, *, training=False, rng=None):
        # Keras 2.2.4's form, `relu(x) - alpha * relu(-x)`, broadcasting `alpha`.
        return jnp.maximum(inputs, 0.0) - params["alpha"] * jnp.maximum(-inputs, 0.0)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": constraints.serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        })
        return config


class ELU(Layer):
    """Exponential linear unit: `f(x) = alpha * (exp(x) - 1)` for `x < 0`, `x` otherwise.

    # Arguments
        alpha: float, the scale of the negative part.
    """

    supports_masking = True

    def __init__(self, alpha: float = 1.0, **kwargs: Any):
        super().__init__(**kwargs)
        self.alpha = _number(alpha, "alpha", "ELU")

    def call(self, params, inputs, *, training=False, rng=None):
        return K.elu(inputs, self.alpha)

    def get_config(self) -> dict:
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


class ThresholdedReLU(Layer):
    """Thresholded rectified linear unit: `f(x) = x` for `x > theta`, `0` otherwise.

    # Arguments
        theta: float >= 0, the threshold.
    """

    supports_masking = True

    def __init__(self, theta: float = 1.0, **kwargs: Any):
        super().__init__(**kwargs)
        self.theta = _number(theta, "theta", "ThresholdedReLU", 0.0)

    def call(self, params, inputs, *, training=False, rng=None):
        return jnp.where(inputs > self.theta, inputs, 0.0).astype(inputs.dtype)

    def get_config(self) -> dict:
        config = super().get_config()
        config["theta"] = self.theta
        return config


class Softmax(Layer):
    """Softmax along one axis: `exp(x) / sum(exp(x), axis)`.

    # Arguments
        axis: int, the axis normalised (default the last).
    """

    supports_masking = True

    def __init__(self, axis: int = -1, **kwargs: Any):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def call(self, params, inputs, *, training=False, rng=None):
        return activations.softmax(inputs, axis=self.axis)

    def get_config(self) -> dict:
        config = super().get_config()
        config["axis"] = self.axis
        return config


class ReLU(Layer):
    """Rectified linear unit with Keras 2.2.4's options:

    `f(x) = max_value` for `x >= max_value`, `x` for `threshold < x < max_value`,
    `negative_slope * (x - threshold)` otherwise.

    # Arguments
        max_value: float >= 0, the saturation value; None for none.
        negative_slope: float >= 0, the slope below `threshold`.
        threshold: float, where the function turns linear.

    # Raises
        ValueError: for a negative `max_value` or `negative_slope`.
    """

    supports_masking = True

    def __init__(self, max_value: float | None = None, negative_slope: float = 0.,
                 threshold: float = 0., **kwargs: Any):
        super().__init__(**kwargs)
        self.max_value = (None if max_value is None
                          else _number(max_value, "max_value", "ReLU", 0.0))
        self.negative_slope = _number(negative_slope, "negative_slope", "ReLU", 0.0)
        self.threshold = _number(threshold, "threshold", "ReLU")

    def call(self, params, inputs, *, training=False, rng=None):
        return K.relu(inputs, alpha=self.negative_slope, max_value=self.max_value,
                      threshold=self.threshold)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"max_value": self.max_value, "negative_slope": self.negative_slope,
                       "threshold": self.threshold})
        return config


class ActivityRegularization(Layer):
    """Passes its input through and adds `l1 * sum(|x|) + l2 * sum(x ** 2)` of it to the loss.

    # Arguments
        l1: float >= 0, the L1 factor.
        l2: float >= 0, the L2 factor.
    """

    supports_masking = True

    def __init__(self, l1: float = 0., l2: float = 0., **kwargs: Any):
        super().__init__(**kwargs)
        self.l1 = _number(l1, "l1", "ActivityRegularization", 0.0)
        self.l2 = _number(l2, "l2", "ActivityRegularization", 0.0)
        self.activity_regularizer = regularizers.L1L2(l1=self.l1, l2=self.l2)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"l1": self.l1, "l2": self.l2})
        return config
