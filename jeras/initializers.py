"""Built-in weight initializers, as in Keras 2.2.4.

An initializer is called as `init(shape, dtype=None)` and returns an array
of that shape, of `dtype` (default `K.floatx()`). Random initializers draw
from a numpy generator made by `K.np_random(seed)` at every call: with a
`seed` they repeat their values, without one they follow numpy's global RNG,
so `np.random.seed(n)` makes a model's initial weights reproducible. They
sample on the host with numpy because a `jax.random` draw is compiled once
per new shape, which made building a model cost about a second per layer.
"""
import math
from collections.abc import Callable, Sequence
from typing import Any, Self

import jax.numpy as jnp
import numpy as np

from jeras import backend as K
from jeras.utils.generic_utils import (
    deserialize_keras_object,
    get_object,
    serialize_keras_object,
)

# Standard deviation of a unit normal truncated to [-2, 2]
# (scipy.stats.truncnorm.std(a=-2, b=2)); VarianceScaling divides by it so
# that the truncated draws keep the intended variance.
_TRUNCATED_NORMAL_STDDEV = 0.87962566103423978


def _as_shape(shape: Sequence[int]) -> tuple[int, ...]:
    return tuple(int(d) for d in shape)


def _dtype(dtype: Any) -> np.dtype:
    # jnp.dtype knows bfloat16, which plain numpy does not.
    return jnp.dtype(dtype or K.floatx())


def _compute_fans(shape: Sequence[int]) -> tuple[float, float]:
    """Computes the number of input and output units for a weight shape.

    2-D shapes are `(fan_in, fan_out)`; 3-, 4- and 5-D shapes are
    convolution kernels in Keras's `channels_last` layout
    `(*receptive_field, input_depth, output_depth)`, whose fans are the depths
    times the receptive field size; any other rank (scalars, vectors, 6-D and
    up) uses `sqrt(prod(shape))` for both, as Keras 2.2.4 does.

    # Arguments
        shape: integer shape tuple.

    # Returns
        A tuple `(fan_in, fan_out)`.
    """
    shape = _as_shape(shape)
    if len(shape) == 2:
        return float(shape[0]), float(shape[1])
    if len(shape) in (3, 4, 5):
        receptive_field_size = math.prod(shape[:-2])
        return float(shape[-2] * receptive_field_size), float(shape[-1] * receptive_field_size)
    size = math.sqrt(math.prod(shape))
    return size, size


class Initializer:
    """Initializer base class: all initializers inherit from this class."""

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Self:
        """Builds an initializer from the dict `get_config()` returned."""
        return cls(**config)


class Zeros(Initializer):
    """Initializer that generates tensors initialized to 0."""

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> np.ndarray:
        return np.zeros(_as_shape(shape), _dtype(dtype))


class Ones(Initializer):
    """Initializer that generates tensors initialized to 1."""

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> np.ndarray:
        return np.ones(_as_shape(shape), _dtype(dtype))


class Constant(Initializer):
    """Initializer that generates tensors initialized to a constant value.

    # Arguments
        value: float, or an array broadcastable to the requested shape; the
            value of the generated tensors.
    """

    def __init__(self, value: Any = 0):
        self.value = value

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> np.ndarray:
        return np.full(_as_shape(shape), self.value, _dtype(dtype))

    def get_config(self) -> dict[str, Any]:
        return {"value": self.value}


class RandomNormal(Initializer):
    """Initializer that generates tensors with a normal distribution.

    # Arguments
        mean: float, mean of the random values.
        stddev: float >= 0, standard deviation of the random values.
        seed: int or None; with a seed every call returns the same values,
            None draws from numpy's global RNG.
    """

    def __init__(self, mean: float = 0., stddev: float = 0.05, seed: int | None = None):
        self.mean = mean
        self.stddev = stddev
        self.seed = seed

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> np.ndarray:
        sample = K.np_random(self.seed).standard_normal(_as_shape(shape))
        return (self.mean + self.stddev * sample).astype(_dtype(dtype))

    def get_config(self) -> dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(Initializer):
    """Initializer that generates tensors with a uniform distribution.

    # Arguments
        minval: float, lower bound (inclusive) of the random values.
        maxval: float, upper bound (exclusive) of the random values.
        seed: int or None; with a seed every call returns the same values,
            None draws from numpy's global RNG.
    """

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None):
        self.minval = minval
        self.maxval = maxval
        self.seed = seed

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> np.ndarray:
        sample = K.np_random(self.seed).uniform(self.minval, self.maxval, _as_shape(shape))
        return sample.astype(_dtype(dtype))

    def get_config(self) -> dict[str, Any]:
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


def _truncated_normal(seed: int | None, shape: Sequence[int], mean: float, stddev: float,
                      dtype: Any) -> np.ndarray:
    """`mean + stddev * z` where `z` is a unit normal truncated to [-2, 2] (redrawn beyond)."""
    rng = K.np_random(seed)
    z = rng.standard_normal(_as_shape(shape))
    outside = np.abs(z) > 2.0
    while outside.any():
        z[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(z) > 2.0
    return (mean + stddev * z).astype(_dtype(dtype))


class TruncatedNormal(Initializer):
    """Initializer that generates a truncated normal distribution.

    Values more than two standard deviations from the mean are discarded and
    redrawn, so every value lies in `[mean - 2 * stddev, mean + 2 * stddev]`.
    `stddev` is the spread before truncation; the values' actual standard
    deviation is about `0.88 * stddev`.

    # Arguments
        mean: float, mean of the random values.
        stddev: float >= 0, standard deviation of the normal before truncation.
        seed: int or None; with a seed every call returns the same values,
            None draws from numpy's global RNG.
    """

    def __init__(self, mean: float = 0., stddev: float = 0.05, seed: int | None = None):
        self.mean = mean
        self.stddev = stddev
        self.seed = seed

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> np.ndarray:
        return _truncated_normal(self.seed, shape, self.mean, self.stddev, dtype)

    def get_config(self) -> dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class VarianceScaling(Initializer):
    """Initializer capable of adapting its scale to the shape of weights.

    With `n` the number of input units (`mode="fan_in"`), output units
    (`"fan_out"`) or their average (`"fan_avg"`), floored at 1:
    `distribution="normal"` draws from a normal truncated at two standard
    deviations, with `stddev = sqrt(scale / n) / 0.87962566103423978` so that
    the values' variance is `scale / n`; `distribution="uniform"` draws from
    `[-limit, limit]` with `limit = sqrt(3 * scale / n)`. Convolution kernels
    `(*receptive_field, input_depth, output_depth)` count
    `depth * prod(receptive_field)` units.

    # Arguments
        scale: float > 0, scaling factor.
        mode: one of `"fan_in"`, `"fan_out"`, `"fan_avg"` (any case).
        distribution: one of `"normal"`, `"uniform"` (any case).
        seed: int or None; with a seed every call returns the same values,
            None draws from numpy's global RNG.

    # Raises
        ValueError: for a `scale` <= 0, or an unknown `mode` or `distribution`.
    """

    def __init__(self, scale: float = 1.0, mode: str = "fan_in", distribution: str = "normal",
                 seed: int | None = None):
        if scale <= 0.:
            raise ValueError(f"VarianceScaling: `scale` must be a positive float, got {scale!r}")
        modes = ("fan_in", "fan_out", "fan_avg")
        if not isinstance(mode, str) or mode.lower() not in modes:
            raise ValueError(f"VarianceScaling: `mode` must be one of {modes}, got {mode!r}")
        distributions = ("normal", "uniform")
        if not isinstance(distribution, str) or distribution.lower() not in distributions:
            raise ValueError(f"VarianceScaling: `distribution` must be one of {distributions}, "
                             f"got {distribution!r}")
        self.scale = scale
        self.mode = mode.lower()
        self.distribution = distribution.lower()
        self.seed = seed

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> np.ndarray:
        fan_in, fan_out = _compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.}[self.mode]
        scale = self.scale / max(1., n)
        if self.distribution == "normal":
            stddev = math.sqrt(scale) / _TRUNCATED_NORMAL_STDDEV
            return _truncated_normal(self.seed, shape, 0., stddev, dtype)
        limit = math.sqrt(3. * scale)
        sample = K.np_random(self.seed).uniform(-limit, limit, _as_shape(shape))
        return sample.astype(_dtype(dtype))

    def get_config(self) -> dict[str, Any]:
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed}


class Orthogonal(Initializer):
    """Initializer that generates a random orthogonal matrix.

    The shape is flattened to `(prod(shape[:-1]), shape[-1])`; the result has
    orthonormal columns (or rows, when there are fewer rows than columns),
    scaled by `gain`: `W^T W = gain^2 I` for a tall or square `W`.

    # Arguments
        gain: float, multiplicative factor applied to the orthogonal matrix.
        seed: int or None; with a seed every call returns the same values,
            None draws from numpy's global RNG.

    # Raises
        ValueError: when called with a shape of fewer than 2 dimensions.

    # References
        Saxe et al., Exact solutions to the nonlinear dynamics of learning in
        deep linear neural networks, http://arxiv.org/abs/1312.6120
    """

    def __init__(self, gain: float = 1., seed: int | None = None):
        self.gain = gain
        self.seed = seed

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> np.ndarray:
        shape = _as_shape(shape)
        if len(shape) < 2:
            raise ValueError(f"Orthogonal: the shape needs at least 2 dimensions, got {shape}")
        flat_shape = (math.prod(shape[:-1]), shape[-1])
        a = K.np_random(self.seed).standard_normal(flat_shape)
        u, _, vt = np.linalg.svd(a, full_matrices=False)
        q = u if u.shape == flat_shape else vt
        return (self.gain * q).reshape(shape).astype(_dtype(dtype))

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    """Initializer that generates the identity matrix, times `gain`.

    For 2-D shapes; a rectangular one whose long side is a multiple of its
    short side gets identity blocks side by side, as in Keras 2.2.4.

    # Arguments
        gain: float, multiplicative factor applied to the identity matrix.

    # Raises
        ValueError: when called with a shape that is not 2-D, or whose long
            side is not a multiple of its short side.
    """

    def __init__(self, gain: float = 1.):
        self.gain = gain

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> np.ndarray:
        shape = _as_shape(shape)
        if len(shape) != 2 or min(shape) == 0 or max(shape) % min(shape):
            raise ValueError(
                "Identity initializer can only be used for 2D matrices whose long side is a "
                f"multiple of the short side, got shape {shape}")
        rows, cols = shape
        eye = np.eye(min(shape))
        blocks = np.tile(eye, (rows // min(shape), cols // min(shape)))
        return (self.gain * blocks).astype(_dtype(dtype))

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain}


def lecun_uniform(seed: int | None = None) -> VarianceScaling:
    """LeCun uniform initializer.

    Draws from a uniform distribution within `[-limit, limit]` where
    `limit = sqrt(3 / fan_in)`.

    # Arguments
        seed: int or None, seed of the random generator.

    # Returns
        A `VarianceScaling(scale=1., mode='fan_in', distribution='uniform')`.

    # References
        LeCun et al., Efficient BackProp, 1998.
    """
    return VarianceScaling(scale=1., mode="fan_in", distribution="uniform", seed=seed)


def glorot_normal(seed: int | None = None) -> VarianceScaling:
    """Glorot normal initializer, also called Xavier normal initializer.

    Draws from a truncated normal centred on 0 whose values have standard
    deviation `sqrt(2 / (fan_in + fan_out))`.

    # Arguments
        seed: int or None, seed of the random generator.

    # Returns
        A `VarianceScaling(scale=1., mode='fan_avg', distribution='normal')`.

    # References
        Glorot & Bengio, AISTATS 2010.
    """
    return VarianceScaling(scale=1., mode="fan_avg", distribution="normal", seed=seed)


def glorot_uniform(seed: int | None = None) -> VarianceScaling:
    """Glorot uniform initializer, also called Xavier uniform initializer.

    Draws from a uniform distribution within `[-limit, limit]` where
    `limit = sqrt(6 / (fan_in + fan_out))`.

    # Arguments
        seed: int or None, seed of the random generator.

    # Returns
        A `VarianceScaling(scale=1., mode='fan_avg', distribution='uniform')`.

    # References
        Glorot & Bengio, AISTATS 2010.
    """
    return VarianceScaling(scale=1., mode="fan_avg", distribution="uniform", seed=seed)


def he_normal(seed: int | None = None) -> VarianceScaling:
    """He normal initializer.

    Draws from a truncated normal centred on 0 whose values have standard
    deviation `sqrt(2 / fan_in)`.

    # Arguments
        seed: int or None, seed of the random generator.

    # Returns
        A `VarianceScaling(scale=2., mode='fan_in', distribution='normal')`.

    # References
        He et al., http://arxiv.org/abs/1502.01852
    """
    return VarianceScaling(scale=2., mode="fan_in", distribution="normal", seed=seed)


def lecun_normal(seed: int | None = None) -> VarianceScaling:
    """LeCun normal initializer.

    Draws from a truncated normal centred on 0 whose values have standard
    deviation `sqrt(1 / fan_in)`.

    # Arguments
        seed: int or None, seed of the random generator.

    # Returns
        A `VarianceScaling(scale=1., mode='fan_in', distribution='normal')`.

    # References
        Klambauer et al., Self-Normalizing Neural Networks,
        https://arxiv.org/abs/1706.02515
    """
    return VarianceScaling(scale=1., mode="fan_in", distribution="normal", seed=seed)


def he_uniform(seed: int | None = None) -> VarianceScaling:
    """He uniform variance scaling initializer.

    Draws from a uniform distribution within `[-limit, limit]` where
    `limit = sqrt(6 / fan_in)`.

    # Arguments
        seed: int or None, seed of the random generator.

    # Returns
        A `VarianceScaling(scale=2., mode='fan_in', distribution='uniform')`.

    # References
        He et al., http://arxiv.org/abs/1502.01852
    """
    return VarianceScaling(scale=2., mode="fan_in", distribution="uniform", seed=seed)


# Compatibility aliases.

zero = zeros = Zeros
one = ones = Ones
constant = Constant
uniform = random_uniform = RandomUniform
normal = random_normal = RandomNormal
truncated_normal = TruncatedNormal
identity = Identity
orthogonal = Orthogonal

_OBJECTS: dict[str, Any] = {
    obj.__name__: obj
    for obj in (Initializer, Zeros, Ones, Constant, RandomNormal, RandomUniform,
                TruncatedNormal, VarianceScaling, Orthogonal, Identity, lecun_uniform,
                glorot_normal, glorot_uniform, he_normal, lecun_normal, he_uniform)
}
_OBJECTS.update(zero=zero, zeros=zeros, one=one, ones=ones, constant=constant, uniform=uniform,
                random_uniform=random_uniform, normal=normal, random_normal=random_normal,
                truncated_normal=truncated_normal, identity=identity, orthogonal=orthogonal)


def serialize(initializer: Initializer | Callable) -> dict[str, Any] | str:
    """Returns `{'class_name', 'config'}` for an initializer (a function's name for a function).

    `glorot_uniform()` and the other functions return `VarianceScaling`
    instances, so they serialize as `VarianceScaling` with their config.

    # Arguments
        initializer: an `Initializer` instance or a plain function.

    # Returns
        A JSON-friendly dict, or a string.
    """
    return serialize_keras_object(initializer)


def deserialize(config: dict[str, Any] | str,
                custom_objects: dict[str, Any] | None = None) -> Initializer | Callable:
    """Builds an initializer from `{'class_name', 'config'}` or from a name.

    A name stands for `{'class_name': name, 'config': {}}`: a class is built
    with its defaults and a function such as `glorot_uniform` is called with
    no arguments.

    # Arguments
        config: a config dict or a name.
        custom_objects: optional dict of user classes or functions, looked up first.

    # Returns
        An initializer.

    # Raises
        ValueError: for an unknown name or a malformed dict.
    """
    if isinstance(config, str):
        config = {"class_name": config, "config": {}}
    return deserialize_keras_object(config, _OBJECTS, custom_objects,
                                    printable_module_name="initializer")


def get(identifier: Any) -> Initializer | Callable | None:
    """Resolves what a layer argument such as `kernel_initializer` holds.

    # Arguments
        identifier: None, a name (`'glorot_uniform'`, `'zeros'`, `'Zeros'`...),
            a config dict, or a callable `f(shape, dtype=None)` (an
            `Initializer` instance or a user function), returned as is.

    # Returns
        An initializer, or None for None.

    # Raises
        ValueError: for an unknown name (`Unknown initializer: 'foo'`).
        TypeError: for an identifier of any other type.
    """
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    return get_object(identifier, _OBJECTS, "initializer")
