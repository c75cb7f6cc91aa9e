"""Keras 2 locally-connected layers: convolutions whose weights are not shared.

Every output position has its own filters. The kernel keeps Keras 2.2.4's
layout, `(output_positions, patch_size, filters)`, a patch being flattened in
the input's own axis order: `(rows, cols, channels)` for `channels_last`,
`(channels, rows, cols)` for `channels_first`.
"""
from __future__ import annotations

import itertools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jeras import activations, constraints, initializers, regularizers
from jeras.compat import legacy as interfaces
from jeras.engine.base_layer import Layer, Shape
from jeras.layers.convolutional import (
    check_rank,
    conv_output_length,
    normalize_data_format,
    normalize_padding,
    normalize_positive_tuple,
    positive_int,
)

__all__ = ["LocallyConnected1D", "LocallyConnected2D"]


class _LocallyConnected(Layer):
    """Shared machinery of the locally-connected layers; see LocallyConnected2D."""

    rank = 2

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: str | None = None, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, implementation: int = 1, **kwargs: Any):
        super().__init__(**kwargs)
        cls = type(self).__name__
        self.filters = positive_int(filters, "filters", cls)
        self.kernel_size = normalize_positive_tuple(kernel_size, self.rank, "kernel_size", cls)
        self.strides = normalize_positive_tuple(strides, self.rank, "strides", cls)
        self.padding = normalize_padding(padding, cls, ("valid",))
        self.data_format = normalize_data_format(data_format, cls)
        if implementation != 1:
            # tf.keras's implementations 2 and 3 store other kernel shapes.
            raise ValueError(f"{cls}: only `implementation=1` (Keras 2.2.4's kernel layout) is "
                             f"supported, got {implementation!r}")
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def _channels_first(self) -> bool:
        return self.data_format == "channels_first"

    def _split(self, input_shape: Shape) -> tuple[tuple, int | None]:
        """The input's spatial sizes and channel count."""
        check_rank(self, input_shape, self.rank + 2)
        if self._channels_first():
            return tuple(input_shape[2:]), input_shape[1]
        return tuple(input_shape[1:-1]), input_shape[-1]

    def _output_space(self, space: tuple) -> tuple:
        return tuple(conv_output_length(n, k, "valid", s)
                     for n, k, s in zip(space, self.kernel_size, self.strides))

    def build(self, input_shape: Shape) -> None:
        space, channels = self._split(input_shape)
        if channels is None or any(n is None for n in space):
            raise ValueError(f"{type(self).__name__} {self.name!r}: needs a fully defined "
                             f"input shape (no None but the batch), got {tuple(input_shape)}")
        out = self._output_space(space)
        if any(n <= 0 for n in out):
            raise ValueError(f"{type(self).__name__} {self.name!r}: kernel {self.kernel_size} "
                             f"is larger than the input's spatial size {space}")
        patch = int(np.prod(self.kernel_size)) * channels
        self.add_weight("kernel", (int(np.prod(out)), patch, self.filters),
                        initializer=self.kernel_initializer,
                        regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        if self.use_bias:
            self.add_weight("bias", self._bias_shape(out), initializer=self.bias_initializer,
                            regularizer=self.bias_regularizer, constraint=self.bias_constraint)

    def _bias_shape(self, out: tuple) -> tuple:
        return tuple(out) + (self.filters,)

    def _patches(self, inputs: jax.Array, out: tuple) -> jax.Array:
        """`(batch, positions, patch_size)`, each patch flattened in the input's axis order."""
        x = jnp.moveaxis(inputs, 1, -1) if self._channels_first() else inputs
        taps = []
        for offset in itertools.product(*(range(k) for k in self.kernel_size)):
            window = tuple(slice(o, o + s * (n - 1) + 1, s)
                           for o, s, n in zip(offset, self.strides, out))
            taps.append(x[(slice(None),) + window])
        patches = jnp.stack(taps, axis=-2)  # (batch, *out, kernel taps, channels)
        if self._channels_first():
            patches = jnp.swapaxes(patches, -1, -2)
        return jnp.reshape(patches, (inputs.shape[0], int(np.prod(out)), -1))

    def _add_bias(self, outputs: jax.Array, bias: jax.Array) -> jax.Array:
        return outputs + bias

    def call(self, params, inputs, *, training=False, rng=None):
        space, _ = self._split(inputs.shape)
        out = self._output_space(space)
        outputs = jnp.einsum("npf,pfo->npo", self._patches(inputs, out), params["kernel"])
        outputs = jnp.reshape(outputs, (inputs.shape[0],) + out + (self.filters,))
        if self._channels_first():
            outputs = jnp.moveaxis(outputs, -1, 1)
        if self.use_bias:
            outputs = self._add_bias(outputs, params["bias"])
        return self.activation(outputs)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        space, _ = self._split(input_shape)
        out = self._output_space(space)
        if self._channels_first():
            return (input_shape[0], self.filters) + out
        return (input_shape[0],) + out + (self.filters,)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        })
        return config


_ARGUMENTS = """
    # Arguments
        filters: positive int, the number of output channels.
        kernel_size: int or tuple of {n} ints, the window size.
        strides: int or tuple of {n} ints, the step of the window.
        padding: only `'valid'` (as in Keras 2; pad with a ZeroPadding layer first).
        data_format: `'channels_last'` or `'channels_first'`; None means
            `K.image_data_format()`.{format_note}
        activation: name or callable; None means linear.
        use_bias: whether to add a bias of shape `{bias}`.
        kernel_initializer, bias_initializer: initializers.
        kernel_regularizer, bias_regularizer, activity_regularizer: regularizers.
        kernel_constraint, bias_constraint: constraints.
        implementation: 1, the only layout Keras 2.2.4 has (tf.keras files may say 1).

    # Raises
        ValueError: for padding other than `'valid'`, `implementation` other than 1,
            or an input shape that is not fully defined at build.
"""


class LocallyConnected1D(_LocallyConnected):
    __doc__ = """Locally-connected layer for sequences: a Conv1D whose filters differ at
    every output step, `out[:, t] = activation(patch_t @ kernel[t] + bias[t])`.

    The kernel has shape `(new_steps, kernel_size * input_dim, filters)`.

    # Input shape
        `(batch, steps, input_dim)`, fully defined.

    # Output shape
        `(batch, new_steps, filters)`, `new_steps = (steps - kernel_size) // strides + 1`.
""" + _ARGUMENTS.format(n=1, bias="(new_steps, filters)", format_note="""
            As in Keras 2.2.4 it is recorded only: inputs are read as
            `(batch, steps, channels)` either way.""")

    rank = 1

    @interfaces.legacy_conv1d_support
    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: str | None = None, **kwargs: Any):
        if "input_shape" not in kwargs and "input_dim" in kwargs:
            kwargs["input_shape"] = (kwargs.pop("input_length", None), kwargs.pop("input_dim"))
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, **kwargs)

    def _channels_first(self) -> bool:
        return False


class LocallyConnected2D(_LocallyConnected):
    __doc__ = """Locally-connected layer for images: a Conv2D whose filters differ at every
    output pixel, `out[:, i, j] = activation(patch_ij @ kernel[i * new_cols + j] + bias[i, j])`.

    The kernel has shape `(new_rows * new_cols, rows_k * cols_k * channels, filters)`;
    the bias `(new_rows, new_cols, filters)`. With `channels_first` the bias's memory
    is read as `(filters, new_rows, new_cols)`, as Keras 2's `bias_add` does.

    # Input shape
        `(batch, rows, cols, channels)` or `(batch, channels, rows, cols)`, fully defined.

    # Output shape
        `(batch, new_rows, new_cols, filters)` or `(batch, filters, new_rows, new_cols)`.
""" + _ARGUMENTS.format(n=2, bias="(new_rows, new_cols, filters)", format_note="")

    rank = 2
    __init__ = interfaces.legacy_conv2d_support(_LocallyConnected.__init__)

    def _add_bias(self, outputs: jax.Array, bias: jax.Array) -> jax.Array:
        if self._channels_first():
            bias = jnp.reshape(bias, (self.filters,) + bias.shape[:2])
        return outputs + bias
