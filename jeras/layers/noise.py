"""Noise layers, active only in training: GaussianNoise, GaussianDropout, AlphaDropout."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from jeras.compat import legacy as interfaces
from jeras.engine.base_layer import Layer
from jeras.layers.core import _check_rate, _noise_shape

__all__ = ["AlphaDropout", "GaussianDropout", "GaussianNoise"]

# The SELU constants (Klambauer et al., 2017), as Keras 2 uses them.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class GaussianNoise(Layer):
    """Adds zero-centred Gaussian noise of standard deviation `stddev` in training.

    # Arguments
        stddev: float, the noise's standard deviation.
    """

    uses_rng = True
    supports_masking = True

    @interfaces.legacy_gaussiannoise_support
    def __init__(self, stddev: float, **kwargs: Any):
        super().__init__(**kwargs)
        if float(stddev) < 0:
            raise ValueError(f"GaussianNoise: `stddev` must be >= 0, got {stddev!r}")
        self.stddev = float(stddev)

    def call(self, params, inputs, *, training=False, rng=None):
        if not training:
            return inputs
        return inputs + self.stddev * jax.random.normal(rng, inputs.shape, inputs.dtype)

    def get_config(self) -> dict:
        config = super().get_config()
        config["stddev"] = self.stddev
        return config


class GaussianDropout(Layer):
    """Multiplies inputs by noise of mean 1 and stddev `sqrt(rate / (1 - rate))` in training.

    # Arguments
        rate: float in [0, 1), the equivalent drop probability.
    """

    uses_rng = True
    supports_masking = True

    @interfaces.legacy_gaussiandropout_support
    def __init__(self, rate: float, **kwargs: Any):
        super().__init__(**kwargs)
        self.rate = _check_rate(rate, "GaussianDropout")

    def call(self, params, inputs, *, training=False, rng=None):
        if not training or self.rate == 0.0:
            return inputs
        stddev = (self.rate / (1.0 - self.rate)) ** 0.5
        return inputs * (1.0 + stddev * jax.random.normal(rng, inputs.shape, inputs.dtype))

    def get_config(self) -> dict:
        config = super().get_config()
        config["rate"] = self.rate
        return config


class AlphaDropout(Layer):
    """Dropout that keeps the mean and variance of SELU activations (Keras 2.2.4's rule).

    Dropped units are set to `-alpha * scale` of SELU, then the result is mapped
    by `a * x + b` with `a = ((1 - rate) * (1 + rate * alpha_p ** 2)) ** -0.5`
    and `b = -a * alpha_p * rate`.

    # Arguments
        rate: float in [0, 1), the drop probability.
        noise_shape: shape of the binary mask, as for `Dropout`.
        seed: accepted for Keras 2 compatibility.
    """

    uses_rng = True
    supports_masking = True

    def __init__(self, rate: float, noise_shape: Sequence | None = None, seed: int | None = None,
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.rate = _check_rate(rate, "AlphaDropout")
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed

    def call(self, params, inputs, *, training=False, rng=None):
        if not training or self.rate == 0.0:
            return inputs
        alpha_p = -_SELU_ALPHA * _SELU_SCALE
        kept = jax.random.uniform(rng, _noise_shape(self.noise_shape, inputs)) >= self.rate
        a = ((1.0 - self.rate) * (1.0 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        x = jnp.where(kept, inputs, alpha_p)
        return (a * x + b).astype(inputs.dtype)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed})
        return config
