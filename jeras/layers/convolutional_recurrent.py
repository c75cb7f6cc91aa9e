"""Keras 2 convolutional recurrent layers: ConvLSTM2D, one `lax.scan` over time.

Weights keep Keras 2.2.4's layout so HDF5 files interchange: `kernel`
`(rows, cols, input_channels, 4 * filters)`, `recurrent_kernel`
`(rows, cols, filters, 4 * filters)`, `bias` `(4 * filters,)`, the gate blocks
side by side in the order i, f, c, o. The input convolution of every time
step runs as one batched convolution before the scan; only the recurrent
convolution runs step by step.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
from jax import lax

from jeras import activations
from jeras.compat import legacy as interfaces
from jeras.engine.base_layer import Shape
from jeras.layers.convolutional import (
    _dimension_numbers,
    _spatial_axes,
    conv_output_length,
    normalize_data_format,
    normalize_padding,
    normalize_positive_tuple,
    patch_conv,
    positive_int,
    window_pads,
)
from jeras.layers.recurrent import Recurrent, _sequence_part, forget_bias_one

__all__ = ["ConvLSTM2D"]

_GATES = 4
# The most bytes of patches a training batch keeps for its backward pass
# (`ConvLSTM2D._use_patches`).
_PATCH_BYTES_PER_BATCH = 2 ** 30


class ConvLSTM2D(Recurrent):
    """Convolutional LSTM (Shi et al., 2015): an LSTM whose input and recurrent
    transformations are 2-D convolutions. Keras 2's equations, per time step:

    ```
    i = recurrent_activation(x_i + h * U_i)     f = recurrent_activation(x_f + h * U_f)
    c = f * c + i * activation(x_c + h * U_c)   o = recurrent_activation(x_o + h * U_o)
    h = o * activation(c)
    ```
    where `*` is a convolution, `x_g = x * W_g + b_g` uses the layer's `padding`,
    `strides` and `dilation_rate`, and `h * U_g` uses `'same'` padding and stride 1
    (so the states keep the output's size). The output is `h`; the states are `[h, c]`.
    There is no peephole term, as in Keras.

    Weights, in order: `kernel` `(rows, cols, input_channels, 4 * filters)`,
    `recurrent_kernel` `(rows, cols, filters, 4 * filters)`, `bias` `(4 * filters,)`,
    gate blocks in the order i, f, c, o.

    # Arguments
        filters: positive int, the number of output channels (and state channels).
        kernel_size: int or tuple of 2 ints, the window of both convolutions.
        strides: int or tuple of 2 ints, the step of the input convolution.
        padding: `'valid'` or `'same'` (case-insensitive), the input convolution's
            padding (TensorFlow's split: the extra pad goes at the end).
        data_format: `'channels_last'` (frames `(rows, cols, channels)`) or
            `'channels_first'` (frames `(channels, rows, cols)`); None means
            `K.image_data_format()`.
        dilation_rate: int or tuple of 2 ints, the spacing of the input kernel's taps.
        activation: name or callable (default `'tanh'`).
        recurrent_activation: the gates' activation (default `'hard_sigmoid'`).
        use_bias: whether the layer uses a bias vector.
        kernel_initializer: initializer of `kernel`.
        recurrent_initializer: initializer of `recurrent_kernel` (default `'orthogonal'`).
        bias_initializer: initializer of `bias`.
        unit_forget_bias: whether the forget gate's bias starts at 1 (the other
            blocks then use `bias_initializer`).
        kernel_regularizer, recurrent_regularizer, bias_regularizer,
        activity_regularizer: regularizers.
        kernel_constraint, recurrent_constraint, bias_constraint: constraints.
        return_sequences: whether to return the output of every step rather than
            the last one.
        go_backwards: whether to read the sequence from its end; the returned
            sequence is then in reading order (reversed).
        stateful: whether each batch starts from the final states of the last
            (fixed batch size needed; `model.reset_states()` zeroes them).
        dropout: float in [0, 1], the fraction of input values dropped in training:
            one mask per gate over the whole frame, the same at every step.
        recurrent_dropout: float in [0, 1], the same for the state `h`.
        return_state: whether to return `[output, h, c]` (a list).
        unroll: must be False, as in Keras 2.2.4.

    # Input shape
        `(batch, timesteps, rows, cols, channels)` (channels_last) or
        `(batch, timesteps, channels, rows, cols)` (channels_first). Called with
        `initial_state=[h0, c0]` (or on `[x, h0, c0]`), the states start from
        `h0`, `c0`, each shaped like one step of the output. An input mask
        `(batch, timesteps)` makes masked steps keep the previous output and
        states; a mask with more axes (from `Masking` on frames) masks a step
        when all its positions are masked.

    # Output shape
        `(batch, new_rows, new_cols, filters)` (channels_last) or
        `(batch, filters, new_rows, new_cols)`; with `return_sequences` the same
        with a time axis after the batch axis; with `return_state`, a list of that
        and the final states `h`, `c` (each shaped like one step of the output).
        Each new size is `ceil((size - (kernel - 1) * dilation) / stride)` for
        `'valid'`, `ceil(size / stride)` for `'same'`. With `return_sequences` the
        input mask is passed on.

    # Raises
        ValueError: for a non-positive `filters`, a malformed size tuple, an unknown
            `padding` or `data_format`, a rate outside [0, 1], an input that is
            not 5-D with known channels at build, `stateful=True` without a fixed
            batch size, or initial states of the wrong count or shape.
        TypeError: for `unroll=True` (as Keras 2.2.4).

    # References
        Shi et al., Convolutional LSTM Network: A Machine Learning Approach for
        Precipitation Nowcasting, http://arxiv.org/abs/1506.04214
    """

    supports_masking = True
    state_count = 2
    scan_friendly = False
    #: Whether training on the CPU convolves with `patch_conv`: None decides at
    #: each call from the batch's sizes (`_use_patches`); True or False forces it.
    _patches: bool | None = None

    @interfaces.legacy_convlstm2d_support
    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1),
                 padding: str = "valid", data_format: str | None = None,
                 dilation_rate: Any = (1, 1), activation: Any = "tanh",
                 recurrent_activation: Any = "hard_sigmoid", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 unit_forget_bias: bool = True, kernel_regularizer: Any = None,
                 recurrent_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None,
                 return_sequences: bool = False, go_backwards: bool = False,
                 stateful: bool = False, dropout: float = 0., recurrent_dropout: float = 0.,
                 return_state: bool = False, unroll: bool = False, **kwargs: Any):
        super().__init__(
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            return_sequences=return_sequences, return_state=return_state,
            go_backwards=go_backwards, stateful=stateful, **kwargs)
        cls = type(self).__name__
        if unroll:
            raise TypeError(f"{cls}: `unroll=True` is not possible with convolutional RNNs "
                            f"(Keras 2.2.4 refuses it too); got unroll={unroll!r}")
        self.filters = positive_int(filters, "filters", cls)
        self.kernel_size = normalize_positive_tuple(kernel_size, 2, "kernel_size", cls)
        self.strides = normalize_positive_tuple(strides, 2, "strides", cls)
        self.padding = normalize_padding(padding, cls, ("valid", "same"))
        self.data_format = normalize_data_format(data_format, cls)
        self.dilation_rate = normalize_positive_tuple(dilation_rate, 2, "dilation_rate", cls)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.unit_forget_bias = bool(unit_forget_bias)
        self._set_dropout(dropout, recurrent_dropout)
        self.unroll = False

    # Layout helpers: a frame is one step of the input or state, without batch or time.

    @property
    def _channel_axis(self) -> int:
        """The channel axis of a `(batch,) + frame` tensor."""
        return -1 if self.data_format == "channels_last" else 1

    def _frame_space(self, frame: Sequence) -> tuple:
        return tuple(frame[:2]) if self.data_format == "channels_last" else tuple(frame[1:])

    def _frame(self, space: Sequence, channels: int | None) -> tuple:
        space = tuple(space)
        if self.data_format == "channels_last":
            return space + (channels,)
        return (channels,) + space

    def _output_frame(self, input_shape: Shape) -> tuple:
        space = tuple(conv_output_length(n, k, self.padding, s, d)
                      for n, k, s, d in zip(self._frame_space(input_shape[2:]),
                                            self.kernel_size, self.strides,
                                            self.dilation_rate))
        return self._frame(space, self.filters)

    # Weights.

    def build(self, input_shape: Shape | list) -> None:
        input_shape = _sequence_part(input_shape)
        channels = None
        if len(input_shape) == 5:
            channels = input_shape[-1 if self.data_format == "channels_last" else 2]
        if channels is None:
            layout = ("(batch, timesteps, rows, cols, channels)"
                      if self.data_format == "channels_last"
                      else "(batch, timesteps, channels, rows, cols)")
            raise ValueError(f"{type(self).__name__} {self.name!r}: expected an input of shape "
                             f"{layout} with known channels, got {tuple(input_shape)}")
        width = _GATES * self.filters
        self.add_weight("kernel", self.kernel_size + (channels, width),
                        initializer=self.kernel_initializer,
                        regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.add_weight("recurrent_kernel", self.kernel_size + (self.filters, width),
                        initializer=self.recurrent_initializer,
                        regularizer=self.recurrent_regularizer,
                        constraint=self.recurrent_constraint)
        if self.use_bias:
            self.add_weight("bias", (width,), initializer=self._bias_init(),
                            regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self._build_states(input_shape)

    def _use_patches(self, input_shape: tuple) -> bool:
        """Whether a training call on inputs of `input_shape` (batch and steps known)
        convolves patches on the CPU.

        The backward pass keeps the patches of both convolutions at every step:
        taps times output positions times (input + state) channels, for every
        step of every sample. Unlike `Conv2D`'s limit per sample, the budget is
        per batch (`_PATCH_BYTES_PER_BATCH`): inside the scan over time XLA's
        CPU convolution gradient is about nine times slower than patches, so
        patches pay off up to a larger size than outside a loop.
        """
        if self._patches is not None:
            return self._patches
        sizes = (input_shape[:2] + self._frame_space(self._output_frame(input_shape))
                 + self.kernel_size)
        size = math.prod(sizes) * (input_shape[self._channel_axis] + self.filters)
        return size * jnp.dtype(self.dtype).itemsize <= _PATCH_BYTES_PER_BATCH

    def _state_shapes(self, input_shape: Shape) -> list[tuple]:
        return [(input_shape[0],) + self._output_frame(input_shape)] * self.state_count

    def _bias_init(self) -> Any:
        if not self.unit_forget_bias:
            return self.bias_initializer
        return forget_bias_one(self.bias_initializer, self.filters)

    # The forward pass.

    def _stack_dropped(self, x: jax.Array, masks: jax.Array) -> jax.Array:
        """The four gates' dropped copies of `x`, side by side along the channel axis."""
        axis = -1 if self.data_format == "channels_last" else x.ndim - 3
        return jnp.concatenate([x * m for m in masks], axis=axis)

    def _convolve(self, x: jax.Array, kernel: jax.Array, dropped: bool, strides: tuple,
                  padding: str, dilation: tuple, patches: bool) -> jax.Array:
        """`x * kernel` for all four gates at once.

        A `dropped` input holds one copy per gate (`_stack_dropped`); it is
        convolved as four groups, group `g` producing gate block `g`, since a
        grouped convolution splits the kernel's output channels in the same
        gate-major order. With `patches` (training, see `_use_patches`) the CPU
        convolves patches with a matmul, as `Conv2D` does: XLA's CPU backend
        differentiates its own convolution far more slowly, above all inside
        the scan over time.
        """
        pads = window_pads(x.shape, _spatial_axes(2, self.data_format), kernel.shape[:2],
                           strides, padding, dilation)
        groups = _GATES if dropped else 1

        def xla_conv(x: jax.Array, kernel: jax.Array) -> jax.Array:
            return lax.conv_general_dilated(
                x, kernel, window_strides=strides, padding=pads, rhs_dilation=dilation,
                dimension_numbers=_dimension_numbers(2, self.data_format),
                feature_group_count=groups)

        def patches(x: jax.Array, kernel: jax.Array) -> jax.Array:
            xs = jnp.split(x, groups, axis=self._channel_axis)
            ks = jnp.split(kernel, groups, axis=-1)
            return jnp.concatenate(
                [patch_conv(xg, kg, strides, pads, dilation, self.data_format)
                 for xg, kg in zip(xs, ks)], axis=self._channel_axis)

        if not patches:
            return xla_conv(x, kernel)
        return lax.platform_dependent(x, kernel, default=xla_conv, cpu=patches)

    def _dropout_masks(self, training: bool, rng: jax.Array | None, batch: int,
                       input_frame: tuple, state_frame: tuple, dtype: Any
                       ) -> tuple[jax.Array | None, jax.Array | None]:
        """Keras's dropout masks: four per sequence (one per gate) of 0 or `1 / (1 - rate)`,
        each covering a whole frame and fixed over time."""
        if not training or not self.uses_rng:
            return None, None
        if rng is None:
            raise ValueError(f"{type(self).__name__} {self.name!r}: dropout in training needs "
                             "a `rng` key")
        key_in, key_rec = jax.random.split(rng)

        def masks(key: jax.Array, rate: float, frame: tuple) -> jax.Array | None:
            if not 0 < rate < 1:
                return None
            shape = (_GATES, batch) + frame
            # Drawn flat: XLA compiles the random bits of a rank-6 shape several
            # times slower (seconds on CPU) than those of a vector.
            keep = jax.random.bernoulli(key, 1.0 - rate, (math.prod(shape),)).reshape(shape)
            return keep.astype(dtype) / (1.0 - rate)
        return (masks(key_in, self.dropout, input_frame),
                masks(key_rec, self.recurrent_dropout, state_frame))

    def _step_mask(self, mask: Any) -> jax.Array | None:
        """The `(batch, timesteps)` mask of the steps, from a mask of that or higher rank."""
        if mask is None:
            return None
        mask = jnp.asarray(mask).astype(bool)
        if mask.ndim > 2:
            mask = jnp.any(mask, axis=tuple(range(2, mask.ndim)))
        return mask

    def _run(self, params, inputs, training, rng, mask, start):
        # Keras 2 feeds `initial_state` as extra inputs of the same call: [x, h0, c0].
        initial = None
        if isinstance(inputs, (list, tuple)):
            inputs, initial = inputs[0], tuple(inputs[1:])
            mask = _sequence_part(mask) if isinstance(mask, (list, tuple)) else mask
        batch, steps = inputs.shape[:2]
        input_frame = tuple(inputs.shape[2:])
        state_frame = self._output_frame(inputs.shape)
        if initial is not None:
            shapes = [tuple(s.shape) for s in initial]
            if len(initial) != 2 or any(s != (batch,) + state_frame for s in shapes):
                raise ValueError(
                    f"{type(self).__name__} {self.name!r}: `initial_state` must be a list of "
                    f"2 tensors [h, c] of shape {(batch,) + state_frame}, got shapes {shapes}")
        in_masks, rec_masks = self._dropout_masks(training, rng, batch, input_frame,
                                                  state_frame, inputs.dtype)
        patches = training and self._use_patches(tuple(inputs.shape))

        # The input convolution of all steps at once: time folded into the batch,
        # each sequence's masks broadcast over its steps.
        x = inputs if in_masks is None else self._stack_dropped(inputs, in_masks[:, :, None])
        projected = self._convolve(x.reshape((batch * steps,) + x.shape[2:]), params["kernel"],
                                   in_masks is not None, self.strides, self.padding,
                                   self.dilation_rate, patches)
        if self.use_bias:
            bias = params["bias"]
            projected = projected + (bias if self.data_format == "channels_last"
                                     else bias[:, None, None])
        projected = jnp.swapaxes(projected.reshape((batch, steps) + projected.shape[1:]), 0, 1)
        keep = self._step_mask(mask)
        keep = None if keep is None else jnp.swapaxes(keep, 0, 1)
        if self.go_backwards:
            projected = jnp.flip(projected, axis=0)
            keep = None if keep is None else jnp.flip(keep, axis=0)

        def body(states: tuple, step: tuple) -> tuple[tuple, jax.Array]:
            x_t, keep_t = step
            h, c = states
            h_in = h if rec_masks is None else self._stack_dropped(h, rec_masks)
            z = x_t + self._convolve(h_in, params["recurrent_kernel"], rec_masks is not None,
                                     (1, 1), "same", (1, 1), patches)
            i, f, g, o = jnp.split(z, _GATES, axis=self._channel_axis)
            new_c = (self.recurrent_activation(f) * c
                     + self.recurrent_activation(i) * self.activation(g))
            new_h = self.recurrent_activation(o) * self.activation(new_c)
            if keep_t is not None:
                # Keras semantics: a masked step keeps the previous output and states.
                keep_t = keep_t.reshape((batch, 1, 1, 1))
                new_h = jnp.where(keep_t, new_h, h)
                new_c = jnp.where(keep_t, new_c, c)
            return (new_h, new_c), new_h

        if initial is None:
            zeros = jnp.zeros((batch,) + state_frame, projected.dtype)
            initial = (zeros, zeros) if start is None else start
        final, outputs = lax.scan(body, tuple(initial), (projected, keep))
        result = jnp.swapaxes(outputs, 0, 1) if self.return_sequences else final[0]
        if self.return_state:
            return [result] + list(final), final
        return result, final

    def compute_output_shape(self, input_shape: Shape | list) -> Any:
        input_shape = _sequence_part(input_shape)
        state = (input_shape[0],) + self._output_frame(input_shape)
        output = state[:1] + (input_shape[1],) + state[1:] if self.return_sequences else state
        if self.return_state:
            return [output, state, state]
        return output

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask, None, None]
        return output_mask

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({
            **self._sequence_config(),
            "unroll": self.unroll,
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "unit_forget_bias": self.unit_forget_bias,
            **self._weight_rules_config(),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
        })
        return config
