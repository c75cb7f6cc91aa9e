"""Keras 2 convolutional layers: convolutions, transposed, separable and depthwise
convolutions, cropping, zero-padding and up-sampling.

Kernels keep Keras 2.2.4's layouts so HDF5 files interchange: a convolution
kernel is `kernel_size + (input_channels, filters)`, a transposed one
`kernel_size + (filters, input_channels)`, a depthwise one
`kernel_size + (input_channels, depth_multiplier)`.
"""
from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jeras import activations, constraints, initializers, regularizers
from jeras import backend as K
from jeras.compat import legacy as interfaces
from jeras.engine.base_layer import Layer, Shape

__all__ = [
    "Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "Conv3DTranspose", "SeparableConv1D",
    "SeparableConv2D", "DepthwiseConv2D", "Cropping1D", "Cropping2D", "Cropping3D",
    "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "UpSampling1D", "UpSampling2D",
    "UpSampling3D",
    # Keras 2.2.4 aliases.
    "Convolution1D", "Convolution2D", "Convolution3D", "SeparableConvolution1D",
    "SeparableConvolution2D", "Convolution2DTranspose", "Deconvolution2D", "Deconv2D",
    "Deconvolution3D", "Deconv3D", "AtrousConvolution1D", "AtrousConvolution2D",
]

_SPATIAL = "DHW"


# Argument normalisation shared with pooling.py.

def normalize_tuple(value: Any, n: int, argument: str, layer: str) -> tuple[int, ...]:
    """Turns an int or a sequence of `n` ints into a tuple of `n` non-negative ints.

    # Raises
        ValueError: naming `argument` and `layer` when `value` is of the wrong form.
    """
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        values: tuple = (int(value),) * n
    else:
        try:
            values = tuple(value)
        except TypeError:
            values = ()
        if len(values) != n or any(isinstance(v, bool) or not isinstance(v, (int, np.integer))
                                   for v in values):
            raise ValueError(f"{layer}: `{argument}` must be an int or a tuple of {n} ints, "
                             f"got {value!r}")
        values = tuple(int(v) for v in values)
    if any(v < 0 for v in values):
        raise ValueError(f"{layer}: `{argument}` must be non-negative, got {value!r}")
    return values


def normalize_positive_tuple(value: Any, n: int, argument: str, layer: str) -> tuple[int, ...]:
    """As `normalize_tuple`, but every entry must be at least 1 (sizes, strides, rates)."""
    values = normalize_tuple(value, n, argument, layer)
    if any(v < 1 for v in values):
        raise ValueError(f"{layer}: `{argument}` must hold positive ints, got {value!r}")
    return values


def normalize_padding(value: Any, layer: str, allowed: Sequence[str]) -> str:
    """Lower-cases and checks a `padding` string against the ones this layer takes."""
    padding = value.lower() if isinstance(value, str) else value
    if padding not in allowed:
        raise ValueError(f"{layer}: `padding` must be one of {list(allowed)}, got {value!r}")
    return padding


def normalize_data_format(value: str | None, layer: str) -> str:
    """Resolves `None` to `K.image_data_format()` and checks the spelling."""
    data_format = K.image_data_format() if value is None else value
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"{layer}: `data_format` must be 'channels_last' or "
                         f"'channels_first', got {value!r}")
    return data_format


def positive_int(value: Any, argument: str, layer: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{layer}: `{argument}` must be a positive int, got {value!r}")
    return int(value)


def check_rank(layer: Layer, input_shape: Shape, rank: int) -> None:
    """Raises the build-time error for an input of the wrong rank."""
    if len(input_shape) != rank:
        raise ValueError(f"{type(layer).__name__} {layer.name!r}: expected an input of rank "
                         f"{rank} (batch axis included), got shape {tuple(input_shape)}")


def conv_output_length(length: int | None, kernel: int, padding: str, stride: int,
                       dilation: int = 1) -> int | None:
    """The output length of a convolution or pooling along one axis (Keras 2's rule)."""
    if length is None:
        return None
    dilated = (kernel - 1) * dilation + 1
    if padding in ("same", "causal"):
        out = length
    elif padding == "full":
        out = length + dilated - 1
    else:
        out = length - dilated + 1
    return (out + stride - 1) // stride


def deconv_length(length: int | None, stride: int, kernel: int, padding: str,
                  output_padding: int | None, dilation: int = 1) -> int | None:
    """The output length of a transposed convolution along one axis (Keras 2.2.4's rule)."""
    if length is None:
        return None
    kernel = (kernel - 1) * dilation + 1
    if output_padding is None:
        if padding == "valid":
            return length * stride + max(kernel - stride, 0)
        return length * stride
    pad = kernel // 2 if padding == "same" else 0
    return (length - 1) * stride + kernel - 2 * pad + output_padding


def _dimension_numbers(rank: int, data_format: str, kernel: str = "IO") -> tuple[str, str, str]:
    spatial = _SPATIAL[3 - rank:]
    lhs = "N" + spatial + "C" if data_format == "channels_last" else "NC" + spatial
    return lhs, spatial + kernel, lhs


def _channel_axis(data_format: str) -> int:
    return -1 if data_format == "channels_last" else 1


def _spatial_axes(rank: int, data_format: str) -> range:
    return range(1, rank + 1) if data_format == "channels_last" else range(2, rank + 2)


def _add_bias(outputs: jax.Array, bias: jax.Array, data_format: str) -> jax.Array:
    if data_format == "channels_first":
        bias = bias.reshape((-1,) + (1,) * (outputs.ndim - 2))
    return outputs + bias


# The most memory, per sample, that a layer's training patches may take: 4 MiB
# covers MNIST- and CIFAR-sized networks (a 3x3 kernel over 32x32x64 needs
# 2 MiB) but not ImageNet-sized ones (115 MiB for VGG16's second layer), where
# the patches' memory would outweigh their speed.
_PATCH_BYTES_PER_SAMPLE = 4 * 2 ** 20


def window_pads(shape: Sequence[int], axes: Sequence[int], window: Sequence[int],
                strides: Sequence[int], padding: str,
                dilation: Sequence[int] | None = None) -> list[tuple[int, int]]:
    """`(before, after)` pads for each of `axes` of an input of `shape`: none for
    `'valid'`, TensorFlow's split for `'same'` (an odd pad goes at the end), the
    dilated window's reach on the left for `'causal'`."""
    dilation = dilation or (1,) * len(window)
    reach = [(k - 1) * d + 1 for k, d in zip(window, dilation)]
    if padding == "causal":
        return [(r - 1, 0) for r in reach]
    if padding == "same":
        return lax.padtype_to_pads([shape[a] for a in axes], reach, strides, "SAME")
    return [(0, 0)] * len(axes)


def window_views(inputs: jax.Array, axes: Sequence[int], window: Sequence[int],
                 strides: Sequence[int], pads: Sequence[tuple[int, int]],
                 pad_value: float = 0.0,
                 dilation: Sequence[int] | None = None) -> list[jax.Array]:
    """One strided view of the padded `inputs` per window tap, taps in row-major order.

    View `t` holds, at every output position, the entry under tap `t` of that
    position's window, so a window reduction is an elementwise one across the
    views and a convolution a matmul of their concatenation. XLA's CPU backend
    differentiates these slices (into pads and adds) quickly, at the top level
    and inside `lax.scan` alike, unlike its convolutions and window reductions.
    """
    dilation = dilation or (1,) * len(window)
    widths = [(0, 0)] * inputs.ndim
    for a, pad in zip(axes, pads):
        widths[a] = pad
    padded = jnp.pad(inputs, widths, constant_values=pad_value)
    views = []
    for taps in itertools.product(*(range(k) for k in window)):
        start, limit, step = [0] * padded.ndim, list(padded.shape), [1] * padded.ndim
        for a, t, k, s, d in zip(axes, taps, window, strides, dilation):
            out = max((padded.shape[a] - (k - 1) * d - 1) // s + 1, 0)
            start[a], limit[a], step[a] = t * d, t * d + max((out - 1) * s + 1, 0), s
        views.append(lax.slice(padded, start, limit, step))
    return views


def patch_conv(inputs: jax.Array, kernel: jax.Array, strides: Sequence[int],
               pads: Sequence[tuple[int, int]], dilation: Sequence[int],
               data_format: str, groups: int = 1) -> jax.Array:
    """A convolution as one matmul of the input's patches (im2col) with the kernel.

    Equal to `lax.conv_general_dilated` up to float rounding. On XLA's CPU backend
    its train step runs several times faster, and as fast inside `lax.scan` as at
    the top level, at the cost of keeping the patches (the kernel's size times the
    input) for the backward pass. With `groups` (a depthwise kernel
    `(taps..., 1, groups * multiplier)`), each tap's view is scaled channel by
    channel and summed instead.
    """
    if data_format == "channels_first":
        outputs = patch_conv(jnp.moveaxis(inputs, 1, -1), kernel, strides, pads, dilation,
                             "channels_last", groups)
        return jnp.moveaxis(outputs, -1, 1)
    rank = kernel.ndim - 2
    views = window_views(inputs, range(1, rank + 1), kernel.shape[:rank], strides, pads,
                         dilation=dilation)
    if groups > 1:
        # Output channel `c * m + j` reads input channel `c` (see `_grouped_kernel`).
        taps = kernel.reshape(-1, groups, kernel.shape[-1] // groups)
        outputs = views[0][..., None] * taps[0]
        for view, tap in zip(views[1:], taps[1:]):
            outputs = outputs + view[..., None] * tap
        return outputs.reshape(outputs.shape[:-2] + (kernel.shape[-1],))
    # Taps major, channels minor: the order of the kernel's own flattening.
    patches = jnp.concatenate(views, axis=-1)
    # As one 2-D matmul: XLA's CPU backend runs it and its gradient about twice as
    # fast as the same contraction left with the batch and spatial axes apart.
    outputs = patches.reshape(-1, patches.shape[-1]) @ kernel.reshape(-1, kernel.shape[-1])
    return outputs.reshape(patches.shape[:-1] + kernel.shape[-1:])


class _Conv(Layer):
    """Abstract N-D convolution; see `Conv1D`, `Conv2D`, `Conv3D`.

    Training steps on XLA's CPU backend convolve with `patch_conv`, whose
    gradient is fast inside `lax.scan` too, so `scan_friendly` stays on; its
    patches hold the kernel's size times each layer's output positions until
    the backward pass. Where they would exceed `_PATCH_BYTES_PER_SAMPLE` (large
    images), or the spatial size is unknown, the layer keeps XLA's convolution
    and is dispatched step by step instead.
    """

    rank = 2
    paddings: tuple[str, ...] = ("valid", "same")
    #: Whether training on the CPU convolves with `patch_conv` (set at build).
    _patches = True

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: str | None = None, dilation_rate: Any = 1, activation: Any = None,
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, **kwargs: Any):
        super().__init__(**kwargs)
        cls = type(self).__name__
        self.filters = None if filters is None else positive_int(filters, "filters", cls)
        self.kernel_size = normalize_positive_tuple(kernel_size, self.rank, "kernel_size", cls)
        self.strides = normalize_positive_tuple(strides, self.rank, "strides", cls)
        self.padding = normalize_padding(padding, cls, self.paddings)
        self.data_format = normalize_data_format(data_format, cls)
        self.dilation_rate = normalize_positive_tuple(dilation_rate, self.rank, "dilation_rate",
                                                      cls)
        if self.padding == "causal" and self.data_format != "channels_last":
            raise ValueError(f"{cls}: `padding='causal'` needs `data_format='channels_last'`, "
                             f"got {self.data_format!r}")
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def _input_channels(self, input_shape: Shape) -> int:
        check_rank(self, input_shape, self.rank + 2)
        channels = input_shape[_channel_axis(self.data_format)]
        if channels is None:
            raise ValueError(f"{type(self).__name__} {self.name!r}: the channel dimension of "
                             f"the inputs must be known, got shape {tuple(input_shape)}")
        return int(channels)

    def build(self, input_shape: Shape) -> None:
        channels = self._input_channels(input_shape)
        self.add_weight("kernel", self.kernel_size + (channels, self.filters),
                        initializer=self.kernel_initializer,
                        regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self._add_bias_weight(self.filters)
        self._choose_patches(input_shape, channels)

    def _choose_patches(self, input_shape: Shape, channels: int) -> None:
        """Trains with `patch_conv` on the CPU, and scans, where the patches of one
        sample fit `_PATCH_BYTES_PER_SAMPLE`."""
        space = self._output_space(input_shape)
        if None in space:
            self._patches = False
        else:
            size = np.prod(space + self.kernel_size, dtype=np.int64) * channels
            self._patches = size * np.dtype(self.dtype).itemsize <= _PATCH_BYTES_PER_SAMPLE
        self.scan_friendly = self._patches

    def _add_bias_weight(self, size: int) -> None:
        if self.use_bias:
            self.add_weight("bias", (size,), initializer=self.bias_initializer,
                            regularizer=self.bias_regularizer, constraint=self.bias_constraint)

    def _convolve(self, inputs: jax.Array, kernel: jax.Array, training: bool, groups: int = 1,
                  strides: tuple | None = None, dilation: tuple | None = None,
                  padding: str | None = None) -> jax.Array:
        strides, dilation = strides or self.strides, dilation or self.dilation_rate
        pads = window_pads(inputs.shape, _spatial_axes(self.rank, self.data_format),
                           kernel.shape[:self.rank], strides, padding or self.padding, dilation)

        def xla_conv(inputs: jax.Array, kernel: jax.Array) -> jax.Array:
            return lax.conv_general_dilated(
                inputs, kernel, window_strides=strides, padding=pads, rhs_dilation=dilation,
                dimension_numbers=_dimension_numbers(self.rank, self.data_format),
                feature_group_count=groups)

        if not training or not self._patches:
            return xla_conv(inputs, kernel)
        # XLA's CPU backend takes the gradient of patches and a matmul several
        # times faster than that of its convolution; its forward alone is the
        # faster one, hence inference keeps it, and so do the other backends.
        return lax.platform_dependent(
            inputs, kernel, default=xla_conv,
            cpu=lambda x, k: patch_conv(x, k, strides, pads, dilation, self.data_format,
                                        groups))

    def _finish(self, params: dict, outputs: jax.Array) -> jax.Array:
        if self.use_bias:
            outputs = _add_bias(outputs, params["bias"], self.data_format)
        return self.activation(outputs)

    def call(self, params, inputs, *, training=False, rng=None):
        return self._finish(params, self._convolve(inputs, params["kernel"], training))

    def _output_space(self, input_shape: Shape) -> tuple:
        return tuple(conv_output_length(input_shape[a], k, self.padding, s, d)
                     for a, k, s, d in zip(_spatial_axes(self.rank, self.data_format),
                                           self.kernel_size, self.strides, self.dilation_rate))

    def _output_channels(self, input_shape: Shape) -> int:
        return self.filters

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        check_rank(self, input_shape, self.rank + 2)
        space = self._output_space(input_shape)
        channels = self._output_channels(input_shape)
        if self.data_format == "channels_last":
            return (input_shape[0],) + space + (channels,)
        return (input_shape[0], channels) + space

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
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


_CONV_ARGUMENTS = """
    # Arguments
        filters: positive int, the number of output channels.
        kernel_size: int or tuple of {n} ints, the window size.
        strides: int or tuple of {n} ints, the step of the window.
        padding: `'valid'` (no padding) or `'same'` (output size `ceil(input / stride)`,
            TensorFlow's split: the extra pad goes at the end){causal}.
        data_format: `'channels_last'` or `'channels_first'`; {default}.
        dilation_rate: int or tuple of {n} ints, the spacing of the kernel taps.
        activation: name or callable; None means linear.
        use_bias: whether to add a bias vector of size `filters`.
        kernel_initializer, bias_initializer: initializers.
        kernel_regularizer, bias_regularizer, activity_regularizer: regularizers.
        kernel_constraint, bias_constraint: constraints.

    # Input shape
        `(batch, {space}, channels)` (channels_last) or `(batch, channels, {space})`.

    # Output shape
        `(batch, {new_space}, filters)` or `(batch, filters, {new_space})`, each spatial
        size `ceil((size - (kernel - 1) * dilation) / stride)` for `'valid'`.

    # Raises
        ValueError: for a non-positive `filters`, a malformed size tuple, an unknown
            `padding` or `data_format`, or an input of the wrong rank at build.
"""


class Conv1D(_Conv):
    __doc__ = ("1-D convolution over time: `output = activation(conv(inputs, kernel) + bias)`.\n"
               "\n    The kernel has shape `(kernel_size, input_channels, filters)`.\n"
               + _CONV_ARGUMENTS.format(
                   n=1, causal=", or `'causal'` (left padding only, so `output[t]` sees no "
                   "input after `t`)", default="defaults to `'channels_last'`",
                   space="steps", new_space="new_steps"))

    rank = 1
    paddings = ("valid", "same", "causal")

    @interfaces.legacy_conv1d_support
    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: str = "channels_last", dilation_rate: Any = 1, **kwargs: Any):
        if "input_shape" not in kwargs and "input_dim" in kwargs:
            kwargs["input_shape"] = (kwargs.pop("input_length", None), kwargs.pop("input_dim"))
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, **kwargs)


class Conv2D(_Conv):
    __doc__ = ("2-D convolution over images: `output = activation(conv(inputs, kernel) + bias)`."
               "\n\n    The kernel has shape `(rows, cols, input_channels, filters)`.\n"
               + _CONV_ARGUMENTS.format(
                   n=2, causal="", default="None means `K.image_data_format()`",
                   space="rows, cols", new_space="new_rows, new_cols"))

    rank = 2
    __init__ = interfaces.legacy_conv2d_support(_Conv.__init__)


class Conv3D(_Conv):
    __doc__ = ("3-D convolution over volumes: `output = activation(conv(inputs, kernel) + bias)`."
               "\n\n    The kernel has shape `(d1, d2, d3, input_channels, filters)`.\n"
               + _CONV_ARGUMENTS.format(
                   n=3, causal="", default="None means `K.image_data_format()`",
                   space="d1, d2, d3", new_space="new_d1, new_d2, new_d3"))

    rank = 3
    __init__ = interfaces.legacy_conv3d_support(_Conv.__init__)


class _ConvTranspose(_Conv):
    """Abstract transposed convolution; see `Conv2DTranspose`."""

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 output_padding: Any = None, data_format: str | None = None,
                 dilation_rate: Any = 1, **kwargs: Any):
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, **kwargs)
        cls = type(self).__name__
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = normalize_tuple(output_padding, self.rank, "output_padding",
                                                  cls)
            if any(p >= s for p, s in zip(self.output_padding, self.strides)):
                raise ValueError(f"{cls}: each `output_padding` {self.output_padding} must be "
                                 f"smaller than the matching stride {self.strides}")

    def build(self, input_shape: Shape) -> None:
        channels = self._input_channels(input_shape)
        self.add_weight("kernel", self.kernel_size + (self.filters, channels),
                        initializer=self.kernel_initializer,
                        regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self._add_bias_weight(self.filters)
        self._choose_patches(input_shape, channels)

    def _output_space(self, input_shape: Shape) -> tuple:
        pads = self.output_padding or (None,) * self.rank
        return tuple(deconv_length(input_shape[a], s, k, self.padding, p, d)
                     for a, k, s, p, d in zip(_spatial_axes(self.rank, self.data_format),
                                              self.kernel_size, self.strides, pads,
                                              self.dilation_rate))

    def call(self, params, inputs, *, training=False, rng=None):
        # The gradient of a strided (dilated) convolution: dilate the input by the
        # strides and correlate with the flipped (dilated) kernel. TensorFlow's
        # transposed convolution puts the output at offset `-pad_before` of the full
        # result, where `pad_before` is the 'same' padding the forward convolution
        # of the output would use.
        axes = _spatial_axes(self.rank, self.data_format)
        out_space = self._output_space(inputs.shape)
        pads = []
        for a, k, s, d, out in zip(axes, self.kernel_size, self.strides, self.dilation_rate,
                                   out_space):
            n, reach = inputs.shape[a], (k - 1) * d + 1
            total = max((n - 1) * s + reach - out, 0) if self.padding == "same" else 0
            before = total // 2
            pads.append((reach - 1 - before, out - (n - 1) * s - 1 + before))
        kernel = jnp.flip(params["kernel"], axis=tuple(range(self.rank)))
        ones = (1,) * self.rank

        def xla_conv(inputs: jax.Array, kernel: jax.Array) -> jax.Array:
            return lax.conv_general_dilated(
                inputs, kernel, window_strides=ones, padding=pads, lhs_dilation=self.strides,
                rhs_dilation=self.dilation_rate,
                dimension_numbers=_dimension_numbers(self.rank, self.data_format, kernel="OI"))

        def patches(inputs: jax.Array, kernel: jax.Array) -> jax.Array:
            # The strides as zeros between the inputs, the pads (negative ones crop)
            # around them, then a plain correlation.
            config = [(0, 0, 0)] * inputs.ndim
            for a, s, pad in zip(axes, self.strides, pads):
                config[a] = (pad[0], pad[1], s - 1)
            dilated = lax.pad(inputs, jnp.zeros((), inputs.dtype), config)
            return patch_conv(dilated, jnp.swapaxes(kernel, -1, -2), ones, [(0, 0)] * self.rank,
                              self.dilation_rate, self.data_format)

        if training and self._patches:
            outputs = lax.platform_dependent(inputs, kernel, default=xla_conv, cpu=patches)
        else:
            outputs = xla_conv(inputs, kernel)
        return self._finish(params, outputs)

    def get_config(self) -> dict:
        config = super().get_config()
        config["output_padding"] = self.output_padding
        return config


_TRANSPOSE_DOC = """Transposed convolution ("deconvolution"): the gradient of a {n}-D
    convolution with respect to its input, mapping a convolution's output shape back to
    its input shape.

    The kernel has shape `kernel_size + (filters, input_channels)`.

    # Arguments
        filters: positive int, the number of output channels.
        kernel_size: int or tuple of {n} ints.
        strides: int or tuple of {n} ints, the up-sampling factors.
        padding: `'valid'` or `'same'`.
        output_padding: int or tuple of {n} ints below the strides, extra size added
            at the end of each spatial axis; None infers the size: `size * stride` for
            `'same'`, `size * stride + max(kernel - stride, 0)` for `'valid'`.
        data_format: `'channels_last'` or `'channels_first'`; None means
            `K.image_data_format()`.
        dilation_rate: int or tuple of {n} ints, the spacing of the kernel taps
            (the transpose of a dilated convolution; each `kernel` below is then
            the dilated size `(kernel - 1) * dilation + 1`).
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
        bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint:
            as for `Conv{n}D`.

    # Input shape
        `(batch, {space}, channels)` or `(batch, channels, {space})`.

    # Output shape
        `(batch, {new_space}, filters)` or `(batch, filters, {new_space})`, where
        with `output_padding` each size is
        `(size - 1) * stride + kernel - 2 * pad + output_padding` (`pad` is
        `kernel // 2` for `'same'`, 0 for `'valid'`).

    # Raises
        ValueError: for bad sizes, `output_padding` not below the strides, or an
            input of the wrong rank at build.
    """


class Conv2DTranspose(_ConvTranspose):
    __doc__ = _TRANSPOSE_DOC.format(n=2, space="rows, cols", new_space="new_rows, new_cols")

    rank = 2
    __init__ = interfaces.legacy_deconv2d_support(_ConvTranspose.__init__)


class Conv3DTranspose(_ConvTranspose):
    __doc__ = _TRANSPOSE_DOC.format(n=3, space="d1, d2, d3", new_space="new_d1, new_d2, new_d3")

    rank = 3

    def get_config(self) -> dict:
        config = super().get_config()
        # Keras 2.2.4's Conv3DTranspose has no dilation_rate: its files carry none.
        if all(d == 1 for d in self.dilation_rate):
            del config["dilation_rate"]
        return config


class _SeparableConv(_Conv):
    """Abstract separable convolution; see `SeparableConv2D`."""

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: str | None = None, dilation_rate: Any = 1,
                 depth_multiplier: int = 1, activation: Any = None, use_bias: bool = True,
                 depthwise_initializer: Any = "glorot_uniform",
                 pointwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, pointwise_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 depthwise_constraint: Any = None, pointwise_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any):
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         activation=activation, use_bias=use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         bias_constraint=bias_constraint, **kwargs)
        self.depth_multiplier = positive_int(depth_multiplier, "depth_multiplier",
                                             type(self).__name__)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build(self, input_shape: Shape) -> None:
        channels = self._input_channels(input_shape)
        self.add_weight("depthwise_kernel", self.kernel_size + (channels, self.depth_multiplier),
                        initializer=self.depthwise_initializer,
                        regularizer=self.depthwise_regularizer,
                        constraint=self.depthwise_constraint)
        self.add_weight("pointwise_kernel",
                        (1,) * self.rank + (channels * self.depth_multiplier, self.filters),
                        initializer=self.pointwise_initializer,
                        regularizer=self.pointwise_regularizer,
                        constraint=self.pointwise_constraint)
        self._add_bias_weight(self.filters)
        self._choose_patches(input_shape, channels)

    def call(self, params, inputs, *, training=False, rng=None):
        channels = params["depthwise_kernel"].shape[-2]
        outputs = self._convolve(inputs, _grouped_kernel(params["depthwise_kernel"]), training,
                                 groups=channels)
        outputs = self._convolve(outputs, params["pointwise_kernel"], training,
                                 strides=(1,) * self.rank,
                                 dilation=(1,) * self.rank, padding="valid")
        return self._finish(params, outputs)

    def get_config(self) -> dict:
        config = super().get_config()
        for key in ("kernel_initializer", "kernel_regularizer", "kernel_constraint"):
            del config[key]
        config.update({
            "depth_multiplier": self.depth_multiplier,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "pointwise_constraint": constraints.serialize(self.pointwise_constraint),
        })
        return config


def _grouped_kernel(depthwise: jax.Array) -> jax.Array:
    """`(..., in, multiplier)` to `(..., 1, in * multiplier)`: output channel `c * m + j`
    reads input channel `c`, TensorFlow's depthwise order and lax's grouping alike."""
    return depthwise.reshape(depthwise.shape[:-2] + (1, depthwise.shape[-2] * depthwise.shape[-1]))


_SEPARABLE_DOC = """Depthwise separable {n}-D convolution: a depthwise convolution (each input
    channel convolved on its own, `depth_multiplier` outputs per channel) followed by a
    pointwise (1x1) convolution that mixes the channels.

    Weights, in order: `depthwise_kernel` `kernel_size + (input_channels, depth_multiplier)`,
    `pointwise_kernel` `(1,) * {n} + (input_channels * depth_multiplier, filters)`, `bias`.

    # Arguments
        filters: positive int, the number of output channels.
        kernel_size, strides, padding, dilation_rate: as for `Conv{n}D`, applied to the
            depthwise step.
        data_format: `'channels_last'` or `'channels_first'`; {default}.
        depth_multiplier: positive int, depthwise outputs per input channel.
        activation, use_bias: as for `Conv{n}D`.
        depthwise_initializer, pointwise_initializer, bias_initializer: initializers.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer,
        activity_regularizer: regularizers.
        depthwise_constraint, pointwise_constraint, bias_constraint: constraints.

    # Input shape
        `(batch, {space}, channels)` or `(batch, channels, {space})`.

    # Output shape
        `(batch, {new_space}, filters)` or `(batch, filters, {new_space})`.

    # Raises
        ValueError: for bad sizes or an input of the wrong rank at build.
    """


class SeparableConv1D(_SeparableConv):
    __doc__ = _SEPARABLE_DOC.format(n=1, default="defaults to `'channels_last'`",
                                    space="steps", new_space="new_steps")

    rank = 1

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: str = "channels_last", **kwargs: Any):
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, **kwargs)


class SeparableConv2D(_SeparableConv):
    __doc__ = _SEPARABLE_DOC.format(n=2, default="None means `K.image_data_format()`",
                                    space="rows, cols", new_space="new_rows, new_cols")

    rank = 2
    __init__ = interfaces.legacy_separable_conv2d_support(_SeparableConv.__init__)


class DepthwiseConv2D(_Conv):
    """Depthwise 2-D convolution: each input channel convolved on its own with
    `depth_multiplier` kernels; output channel `c * depth_multiplier + j`.

    Weights, in order: `depthwise_kernel` `(rows, cols, input_channels, depth_multiplier)`,
    `bias` `(input_channels * depth_multiplier,)`.

    # Arguments
        kernel_size: int or tuple of 2 ints.
        strides: int or tuple of 2 ints.
        padding: `'valid'` or `'same'`.
        depth_multiplier: positive int, outputs per input channel.
        data_format: `'channels_last'` or `'channels_first'`; None means
            `K.image_data_format()`.
        dilation_rate: int or tuple of 2 ints (later Keras; 1 in Keras 2.2.4).
        activation, use_bias: as for `Conv2D`.
        depthwise_initializer, bias_initializer: initializers.
        depthwise_regularizer, bias_regularizer, activity_regularizer: regularizers.
        depthwise_constraint, bias_constraint: constraints.

    # Input shape
        `(batch, rows, cols, channels)` or `(batch, channels, rows, cols)`.

    # Output shape
        `(batch, new_rows, new_cols, channels * depth_multiplier)` or the
        channels-first equivalent.

    # Raises
        ValueError: for bad sizes or an input of the wrong rank at build.
    """

    rank = 2

    def __init__(self, kernel_size: Any, strides: Any = (1, 1), padding: str = "valid",
                 depth_multiplier: int = 1, data_format: str | None = None,
                 activation: Any = None, use_bias: bool = True,
                 depthwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, depthwise_constraint: Any = None,
                 bias_constraint: Any = None, dilation_rate: Any = (1, 1), **kwargs: Any):
        super().__init__(None, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         activation=activation, use_bias=use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         bias_constraint=bias_constraint, **kwargs)
        self.depth_multiplier = positive_int(depth_multiplier, "depth_multiplier",
                                             "DepthwiseConv2D")
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)

    def build(self, input_shape: Shape) -> None:
        channels = self._input_channels(input_shape)
        self.add_weight("depthwise_kernel", self.kernel_size + (channels, self.depth_multiplier),
                        initializer=self.depthwise_initializer,
                        regularizer=self.depthwise_regularizer,
                        constraint=self.depthwise_constraint)
        self._add_bias_weight(channels * self.depth_multiplier)
        self._choose_patches(input_shape, channels)

    def call(self, params, inputs, *, training=False, rng=None):
        kernel = _grouped_kernel(params["depthwise_kernel"])
        channels = params["depthwise_kernel"].shape[-2]
        return self._finish(params, self._convolve(inputs, kernel, training, groups=channels))

    def _output_channels(self, input_shape: Shape) -> int:
        channels = input_shape[_channel_axis(self.data_format)]
        return None if channels is None else channels * self.depth_multiplier

    def get_config(self) -> dict:
        config = super().get_config()
        for key in ("filters", "kernel_initializer", "kernel_regularizer", "kernel_constraint"):
            del config[key]
        config.update({
            "depth_multiplier": self.depth_multiplier,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
        })
        return config


# Cropping, padding and up-sampling.

def _pairs(value: Any, rank: int, argument: str, layer: str) -> tuple[tuple[int, int], ...]:
    """Keras 2's forms: an int (all sides), `rank` ints (symmetric per axis), or `rank`
    pairs `(before, after)`; for rank 1 a single pair `(before, after)`."""
    if rank == 1:
        return (normalize_tuple(value, 2, argument, layer),)
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        n = normalize_tuple(value, 1, argument, layer)[0]
        return ((n, n),) * rank
    try:
        items = tuple(value)
    except TypeError:
        items = ()
    if len(items) != rank:
        raise ValueError(f"{layer}: `{argument}` must be an int, a tuple of {rank} ints or a "
                         f"tuple of {rank} pairs of ints, got {value!r}")
    if all(isinstance(i, (int, np.integer)) for i in items):
        return tuple((int(i), int(i)) for i in normalize_tuple(items, rank, argument, layer))
    return tuple(normalize_tuple(i, 2, argument, layer) for i in items)


class _SpatialLayer(Layer):
    """Shared shape logic of the cropping, padding and up-sampling layers."""

    rank = 1
    channels_first_ok = True

    def __init__(self, data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        # The 1-D layers take no data_format in Keras 2: time is always axis 1.
        self.data_format = ("channels_last" if self.rank == 1
                            else normalize_data_format(data_format, type(self).__name__))

    def _axes(self) -> range:
        return _spatial_axes(self.rank, self.data_format)

    def _new_size(self, i: int, size: int | None) -> int | None:
        raise NotImplementedError

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        check_rank(self, input_shape, self.rank + 2)
        shape = list(input_shape)
        for i, a in enumerate(self._axes()):
            shape[a] = self._new_size(i, shape[a])
        return tuple(shape)

    def get_config(self) -> dict:
        config = super().get_config()
        if self.rank > 1:
            config["data_format"] = self.data_format
        return config


class _Cropping(_SpatialLayer):
    def __init__(self, cropping: Any, data_format: str | None = None, **kwargs: Any):
        super().__init__(data_format, **kwargs)
        self.cropping = _pairs(cropping, self.rank, "cropping", type(self).__name__)

    def _new_size(self, i: int, size: int | None) -> int | None:
        if size is None:
            return None
        new = size - sum(self.cropping[i])
        if new < 0:
            raise ValueError(f"{type(self).__name__} {self.name!r}: `cropping` "
                             f"{self.cropping[i]} removes more than the axis' {size} entries")
        return new

    def call(self, params, inputs, *, training=False, rng=None):
        index = [slice(None)] * inputs.ndim
        for (before, after), a in zip(self.cropping, self._axes()):
            index[a] = slice(before, inputs.shape[a] - after)
        return inputs[tuple(index)]

    def get_config(self) -> dict:
        config = super().get_config()
        config["cropping"] = self.cropping[0] if self.rank == 1 else self.cropping
        return config


_CROPPING_DOC = """Crops a {n}-D input along its spatial axes.

    # Arguments
        cropping: {forms}
{data_format}
    # Input shape
        `(batch, {space}, channels)`{first}.

    # Output shape
        The same rank, each spatial size reduced by its `before + after`.

    # Raises
        ValueError: for a malformed `cropping` or an input of the wrong rank.
    """
_DF_DOC = ("        data_format: `'channels_last'` or `'channels_first'`; None means\n"
           "            `K.image_data_format()`.\n")
_FORMS_ND = ("an int (all sides), a tuple of {n} ints (symmetric per axis) or a\n"
             "            tuple of {n} `(before, after)` pairs.")


class Cropping1D(_Cropping):
    __doc__ = _CROPPING_DOC.format(n=1, forms="an int or `(before, after)`, steps removed "
                                   "from each end.", data_format="", space="steps", first="")

    rank = 1

    def __init__(self, cropping: Any = (1, 1), **kwargs: Any):
        super().__init__(cropping, **kwargs)


class Cropping2D(_Cropping):
    __doc__ = _CROPPING_DOC.format(n=2, forms=_FORMS_ND.format(n=2), data_format=_DF_DOC,
                                   space="rows, cols", first=" or channels-first")

    rank = 2

    @interfaces.legacy_cropping2d_support
    def __init__(self, cropping: Any = ((0, 0), (0, 0)), data_format: str | None = None,
                 **kwargs: Any):
        super().__init__(cropping, data_format, **kwargs)


class Cropping3D(_Cropping):
    __doc__ = _CROPPING_DOC.format(n=3, forms=_FORMS_ND.format(n=3), data_format=_DF_DOC,
                                   space="d1, d2, d3", first=" or channels-first")

    rank = 3

    @interfaces.legacy_cropping3d_support
    def __init__(self, cropping: Any = ((1, 1), (1, 1), (1, 1)), data_format: str | None = None,
                 **kwargs: Any):
        super().__init__(cropping, data_format, **kwargs)


class _ZeroPadding(_SpatialLayer):
    def __init__(self, padding: Any, data_format: str | None = None, **kwargs: Any):
        super().__init__(data_format, **kwargs)
        self.padding = _pairs(padding, self.rank, "padding", type(self).__name__)

    def _new_size(self, i: int, size: int | None) -> int | None:
        return None if size is None else size + sum(self.padding[i])

    def call(self, params, inputs, *, training=False, rng=None):
        widths = [(0, 0)] * inputs.ndim
        for pair, a in zip(self.padding, self._axes()):
            widths[a] = pair
        return jnp.pad(inputs, widths)

    def get_config(self) -> dict:
        config = super().get_config()
        config["padding"] = self.padding[0] if self.rank == 1 else self.padding
        return config


_PADDING_DOC = """Pads a {n}-D input with zeros along its spatial axes.

    # Arguments
        padding: {forms}
{data_format}
    # Input shape
        `(batch, {space}, channels)`{first}.

    # Output shape
        The same rank, each spatial size grown by its `before + after`.

    # Raises
        ValueError: for a malformed `padding` or an input of the wrong rank.
    """


class ZeroPadding1D(_ZeroPadding):
    __doc__ = _PADDING_DOC.format(n=1, forms="an int or `(before, after)`, zero steps added "
                                  "at each end.", data_format="", space="steps", first="")

    rank = 1

    def __init__(self, padding: Any = 1, **kwargs: Any):
        super().__init__(padding, **kwargs)


class ZeroPadding2D(_ZeroPadding):
    __doc__ = _PADDING_DOC.format(n=2, forms=_FORMS_ND.format(n=2), data_format=_DF_DOC,
                                  space="rows, cols", first=" or channels-first")

    rank = 2

    @interfaces.legacy_zeropadding2d_support
    def __init__(self, padding: Any = (1, 1), data_format: str | None = None, **kwargs: Any):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    __doc__ = _PADDING_DOC.format(n=3, forms=_FORMS_ND.format(n=3), data_format=_DF_DOC,
                                  space="d1, d2, d3", first=" or channels-first")

    rank = 3

    @interfaces.legacy_zeropadding3d_support
    def __init__(self, padding: Any = (1, 1, 1), data_format: str | None = None, **kwargs: Any):
        super().__init__(padding, data_format, **kwargs)


class _UpSampling(_SpatialLayer):
    def __init__(self, size: Any, data_format: str | None = None, **kwargs: Any):
        super().__init__(data_format, **kwargs)
        self.size = normalize_positive_tuple(size, self.rank, "size", type(self).__name__)

    def _new_size(self, i: int, size: int | None) -> int | None:
        return None if size is None else size * self.size[i]

    def call(self, params, inputs, *, training=False, rng=None):
        # Nearest neighbour: every entry repeated `size` times along its axis.
        for factor, a in zip(self.size, self._axes()):
            inputs = jnp.repeat(inputs, factor, axis=a)
        return inputs

    def get_config(self) -> dict:
        config = super().get_config()
        config["size"] = self.size[0] if self.rank == 1 else self.size
        return config


_UPSAMPLING_DOC = """Up-samples a {n}-D input by repeating each entry along the spatial axes.

    # Arguments
        size: {forms}
{data_format}
    # Input shape
        `(batch, {space}, channels)`{first}.

    # Output shape
        The same rank, each spatial size multiplied by its factor.

    # Raises
        ValueError: for a non-positive `size` or an input of the wrong rank.
    """


class UpSampling1D(_UpSampling):
    __doc__ = _UPSAMPLING_DOC.format(n=1, forms="positive int, the repetition count of each "
                                     "step.", data_format="", space="steps", first="")

    rank = 1

    @interfaces.legacy_upsampling1d_support
    def __init__(self, size: int = 2, **kwargs: Any):
        super().__init__(size, **kwargs)


class UpSampling2D(_UpSampling):
    __doc__ = _UPSAMPLING_DOC.format(
        n=2, forms="int or tuple of 2 ints, the factors for rows and cols.",
        data_format=_DF_DOC + """\
        interpolation: `'nearest'` (each pixel repeated) or `'bilinear'`,
            TensorFlow 1's `resize_bilinear` as Keras 2.2.4 calls it (no aligned
            corners, no half-pixel centres): output pixel `i` interpolates the
            input at `i / factor`, the last row and column repeated at the edge.
""", space="rows, cols", first=" or channels-first")

    rank = 2

    @interfaces.legacy_upsampling2d_support
    def __init__(self, size: Any = (2, 2), data_format: str | None = None,
                 interpolation: str = "nearest", **kwargs: Any):
        super().__init__(size, data_format, **kwargs)
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(f"UpSampling2D: `interpolation` must be 'nearest' or 'bilinear', "
                             f"got {interpolation!r}")
        self.interpolation = interpolation

    def call(self, params, inputs, *, training=False, rng=None):
        if self.interpolation == "nearest":
            return super().call(params, inputs, training=training, rng=rng)
        return K.resize_images(inputs, self.size[0], self.size[1], self.data_format,
                               "bilinear")

    def get_config(self) -> dict:
        config = super().get_config()
        config["interpolation"] = self.interpolation
        return config


class UpSampling3D(_UpSampling):
    __doc__ = _UPSAMPLING_DOC.format(n=3, forms="int or tuple of 3 ints.", data_format=_DF_DOC,
                                     space="d1, d2, d3", first=" or channels-first")

    rank = 3

    @interfaces.legacy_upsampling3d_support
    def __init__(self, size: Any = (2, 2, 2), data_format: str | None = None, **kwargs: Any):
        super().__init__(size, data_format, **kwargs)


# Keras 2.2.4 aliases: the same classes under their older names.
Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D
SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D
Convolution2DTranspose = Conv2DTranspose
Deconvolution2D = Deconv2D = Conv2DTranspose
Deconvolution3D = Deconv3D = Conv3DTranspose


def AtrousConvolution1D(*args: Any, **kwargs: Any) -> Conv1D:  # noqa: N802 (a Keras 1 class name)
    """Keras 1's dilated `Conv1D`: `atrous_rate` is `dilation_rate`; warns as Keras 2.2.4 does."""
    kwargs["dilation_rate"] = kwargs.pop("atrous_rate", 1)
    warnings.warn("The `AtrousConvolution1D` layer  has been deprecated. Use instead the "
                  "`Conv1D` layer with the `dilation_rate` argument.", stacklevel=2)
    return Conv1D(*args, **kwargs)


def AtrousConvolution2D(*args: Any, **kwargs: Any) -> Conv2D:  # noqa: N802 (a Keras 1 class name)
    """Keras 1's dilated `Conv2D`: `atrous_rate` is `dilation_rate`; warns as Keras 2.2.4 does."""
    kwargs["dilation_rate"] = kwargs.pop("atrous_rate", 1)
    warnings.warn("The `AtrousConvolution2D` layer  has been deprecated. Use instead the "
                  "`Conv2D` layer with the `dilation_rate` argument.", stacklevel=2)
    return Conv2D(*args, **kwargs)
