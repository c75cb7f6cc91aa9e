"""Keras 2 pooling layers: max and average pooling over windows, and global pooling."""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from jax import lax

from jeras.compat import legacy as interfaces
from jeras.engine.base_layer import Layer, Shape
from jeras.layers.convolutional import (
    _spatial_axes,
    check_rank,
    conv_output_length,
    normalize_data_format,
    normalize_padding,
    normalize_positive_tuple,
    window_pads,
    window_views,
)

__all__ = [
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
    "AveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
    # Keras 2.2.4 aliases.
    "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D",
    "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D", "GlobalAvgPool1D",
    "GlobalAvgPool2D", "GlobalAvgPool3D",
]


class _Pooling(Layer):
    """Windowed pooling over `rank` spatial axes; subclasses pick max or average.

    Both train as fast inside `lax.scan` as at the top level on XLA's CPU backend
    (max pooling through its training formulation), so `scan_friendly` stays on.
    """

    rank = 2

    def __init__(self, pool_size: Any, strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        cls = type(self).__name__
        self.pool_size = normalize_positive_tuple(pool_size, self.rank, "pool_size", cls)
        # Keras 2: strides default to the pool size (non-overlapping windows).
        self.strides = (self.pool_size if strides is None
                        else normalize_positive_tuple(strides, self.rank, "strides", cls))
        self.padding = normalize_padding(padding, cls, ("valid", "same"))
        self.data_format = normalize_data_format(data_format, cls)

    def _window(self, values: tuple[int, ...]) -> tuple[int, ...]:
        if self.data_format == "channels_last":
            return (1,) + values + (1,)
        return (1, 1) + values

    def _reduce(self, inputs: Any, init: float, op: Any) -> Any:
        # A Python scalar init lets lax pick its differentiable max/add window reducers.
        return lax.reduce_window(inputs, init, op,
                                 self._window(self.pool_size), self._window(self.strides),
                                 self.padding.upper())

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        check_rank(self, input_shape, self.rank + 2)
        shape = list(input_shape)
        for a, k, s in zip(_spatial_axes(self.rank, self.data_format), self.pool_size,
                           self.strides):
            shape[a] = conv_output_length(shape[a], k, self.padding, s)
        return tuple(shape)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"pool_size": self.pool_size, "padding": self.padding,
                       "strides": self.strides, "data_format": self.data_format})
        return config


class _MaxPooling(_Pooling):
    def call(self, params, inputs, *, training=False, rng=None):
        if not training:
            return self._window_max(inputs)
        # XLA's CPU backend takes the gradient of `lax.reduce_window` (a
        # select-and-scatter) tens of times slower than that of strided slices
        # reduced elementwise; its forward alone is the faster one, hence inference
        # keeps it, and so do the other backends.
        return lax.platform_dependent(inputs, default=self._window_max,
                                      cpu=self._max_of_views)

    def _window_max(self, inputs: jax.Array) -> jax.Array:
        return self._reduce(inputs, -jnp.inf, lax.max)

    def _max_of_views(self, inputs: jax.Array) -> jax.Array:
        axes = _spatial_axes(self.rank, self.data_format)
        views = window_views(inputs, axes, self.pool_size, self.strides,
                             window_pads(inputs.shape, axes, self.pool_size, self.strides,
                                         self.padding), -jnp.inf)
        result = views[0]
        for view in views[1:]:
            # A later tap replaces the maximum only when strictly greater (or NaN,
            # which propagates), so the whole gradient of a window goes to its first
            # maximal entry in row-major order, as with `lax.reduce_window` and in
            # TensorFlow, never split among ties.
            result = jnp.where((view > result) | jnp.isnan(view), view, result)
        return result


class _AveragePooling(_Pooling):
    def call(self, params, inputs, *, training=False, rng=None):
        total = self._reduce(inputs, 0.0, lax.add)
        # TensorFlow's average pooling divides by the number of real (unpadded)
        # entries in each window, so 'same' edges are not pulled towards zero.
        count = self._reduce(jnp.ones((1,) + inputs.shape[1:], inputs.dtype), 0.0, lax.add)
        return total / count


_POOL_DOC = """{kind} pooling over {n}-D windows{what}.

    # Arguments
        pool_size: {pool_form}, the window size.
        strides: {pool_form}, or None for `pool_size`.
        padding: `'valid'` or `'same'`{same}.
        data_format: `'channels_last'` or `'channels_first'`; {default}.

    # Input shape
        `(batch, {space}, channels)` or `(batch, channels, {space})`.

    # Output shape
        The same rank, each spatial size `ceil((size - pool + 1) / stride)` for
        `'valid'`, `ceil(size / stride)` for `'same'`.

    # Raises
        ValueError: for a non-positive size, an unknown `padding` or `data_format`,
            or an input of the wrong rank.
    """
_AVG_SAME = " (padded entries are left out of each window's mean)"
_1D = dict(n=1, pool_form="positive int", default="defaults to `'channels_last'`",
           space="steps")
_2D = dict(n=2, pool_form="int or tuple of 2 ints", default="None means "
           "`K.image_data_format()`", space="rows, cols")
_3D = dict(n=3, pool_form="int or tuple of 3 ints", default="None means "
           "`K.image_data_format()`", space="d1, d2, d3")


class MaxPooling1D(_MaxPooling):
    __doc__ = _POOL_DOC.format(kind="Max", what=" of time", same="", **_1D)

    rank = 1

    @interfaces.legacy_pooling1d_support
    def __init__(self, pool_size: Any = 2, strides: Any = None, padding: str = "valid",
                 data_format: str = "channels_last", **kwargs: Any):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling2D(_MaxPooling):
    __doc__ = _POOL_DOC.format(kind="Max", what=" of images", same="", **_2D)

    rank = 2

    @interfaces.legacy_pooling2d_support
    def __init__(self, pool_size: Any = (2, 2), strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs: Any):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling3D(_MaxPooling):
    __doc__ = _POOL_DOC.format(kind="Max", what=" of volumes", same="", **_3D)

    rank = 3

    @interfaces.legacy_pooling3d_support
    def __init__(self, pool_size: Any = (2, 2, 2), strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs: Any):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(_AveragePooling):
    __doc__ = _POOL_DOC.format(kind="Average", what=" of time", same=_AVG_SAME, **_1D)

    rank = 1

    @interfaces.legacy_pooling1d_support
    def __init__(self, pool_size: Any = 2, strides: Any = None, padding: str = "valid",
                 data_format: str = "channels_last", **kwargs: Any):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling2D(_AveragePooling):
    __doc__ = _POOL_DOC.format(kind="Average", what=" of images", same=_AVG_SAME, **_2D)

    rank = 2

    @interfaces.legacy_pooling2d_support
    def __init__(self, pool_size: Any = (2, 2), strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs: Any):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling3D(_AveragePooling):
    __doc__ = _POOL_DOC.format(kind="Average", what=" of volumes", same=_AVG_SAME, **_3D)

    rank = 3

    @interfaces.legacy_pooling3d_support
    def __init__(self, pool_size: Any = (2, 2, 2), strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs: Any):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class _GlobalPooling(Layer):
    """Reduces all spatial axes to one value per channel."""

    rank = 2

    @interfaces.legacy_global_pooling_support
    def __init__(self, data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, type(self).__name__)

    def _axes(self) -> tuple[int, ...]:
        return tuple(_spatial_axes(self.rank, self.data_format))

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        check_rank(self, input_shape, self.rank + 2)
        channel = input_shape[-1] if self.data_format == "channels_last" else input_shape[1]
        return (input_shape[0], channel)

    def get_config(self) -> dict:
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


class _GlobalMaxPooling(_GlobalPooling):
    def call(self, params, inputs, *, training=False, rng=None):
        return jnp.max(inputs, axis=self._axes())


class _GlobalAveragePooling(_GlobalPooling):
    def call(self, params, inputs, *, training=False, rng=None):
        return jnp.mean(inputs, axis=self._axes())


_GLOBAL_DOC = """Global {kind} pooling: one value per channel over all {n}-D positions{what}.

    # Arguments
        data_format: `'channels_last'` or `'channels_first'`; {default}.

    # Input shape
        `(batch, {space}, channels)` or `(batch, channels, {space})`.

    # Output shape
        `(batch, channels)`.

    # Raises
        ValueError: for an unknown `data_format` or an input of the wrong rank.
    """


class GlobalMaxPooling1D(_GlobalMaxPooling):
    __doc__ = _GLOBAL_DOC.format(kind="max", what="", **_1D)

    rank = 1

    def __init__(self, data_format: str = "channels_last", **kwargs: Any):
        super().__init__(data_format, **kwargs)


class GlobalMaxPooling2D(_GlobalMaxPooling):
    __doc__ = _GLOBAL_DOC.format(kind="max", what="", **_2D)

    rank = 2


class GlobalMaxPooling3D(_GlobalMaxPooling):
    __doc__ = _GLOBAL_DOC.format(kind="max", what="", **_3D)

    rank = 3


class GlobalAveragePooling1D(_GlobalAveragePooling):
    __doc__ = _GLOBAL_DOC.format(
        kind="average", what="; with an input mask `(batch, steps)` (from `Embedding("
        "mask_zero=True)` or `Masking`) the mean runs over the unmasked steps only, and "
        "the output carries no mask", **_1D)

    rank = 1
    supports_masking = True

    def __init__(self, data_format: str = "channels_last", **kwargs: Any):
        super().__init__(data_format, **kwargs)

    def call(self, params, inputs, *, training=False, rng=None, mask=None):
        if mask is None:
            return jnp.mean(inputs, axis=self._axes())
        steps = self._axes()[0]
        weights = mask.astype(inputs.dtype)
        weights = weights[:, :, None] if steps == 1 else weights[:, None, :]
        return jnp.sum(inputs * weights, axis=steps) / jnp.sum(weights, axis=steps)

    def compute_mask(self, inputs: Any, mask: Any = None) -> None:
        return None


class GlobalAveragePooling2D(_GlobalAveragePooling):
    __doc__ = _GLOBAL_DOC.format(kind="average", what="", **_2D)

    rank = 2


class GlobalAveragePooling3D(_GlobalAveragePooling):
    __doc__ = _GLOBAL_DOC.format(kind="average", what="", **_3D)

    rank = 3


# Keras 2.2.4 aliases: the same classes under their short names.
MaxPool1D = MaxPooling1D
MaxPool2D = MaxPooling2D
MaxPool3D = MaxPooling3D
AvgPool1D = AveragePooling1D
AvgPool2D = AveragePooling2D
AvgPool3D = AveragePooling3D
GlobalMaxPool1D = GlobalMaxPooling1D
GlobalMaxPool2D = GlobalMaxPooling2D
GlobalMaxPool3D = GlobalMaxPooling3D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalAvgPool3D = GlobalAveragePooling3D
