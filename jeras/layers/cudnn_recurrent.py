"""Keras 2's cuDNN recurrent layers, CuDNNLSTM and CuDNNGRU, computed on any device.

They keep the weights Keras 2 gave them, so their files load as they are:
`kernel` `(input_dim, gates * units)`, `recurrent_kernel` `(units, gates * units)`,
and a `bias` of `2 * gates * units`, the input biases then the recurrent ones
(cuDNN adds a bias on each side). Keras 2 handed each gate's slice of the
kernels to cuDNN as raw memory, which cuDNN reads as a row-major
`(units, fan_in)` matrix; so the layers compute what `LSTM` and
`GRU(reset_after=True)` compute with `sigmoid` gates, on the weights that
`jeras.saving.preprocess_weights_for_loading` converts a CuDNN file into.
The forward pass reuses that conversion (as index permutations fixed at
build) and the plain layers' scans.
"""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jeras.engine.base_layer import Shape
from jeras.layers.convolutional import positive_int
from jeras.layers.recurrent import GRU, LSTM, Recurrent, sequence_input_shape
from jeras.saving.legacy import preprocess_weights_for_loading

__all__ = ["CuDNNGRU", "CuDNNLSTM"]


class _CuDNNRNN(Recurrent):
    """What CuDNNLSTM and CuDNNGRU share: weights, the conversion and the config."""

    #: Gate blocks in the kernels (4 for LSTM, 3 for GRU).
    gates = 4

    def __init__(self, units: int, **kwargs: Any):
        super().__init__(**sequence_input_shape(kwargs))
        self.units = positive_int(units, "units", type(self).__name__)
        self._plain = self._plain_layer()
        self._kernel_index: np.ndarray | None = None
        self._recurrent_index: np.ndarray | None = None

    def _plain_layer(self) -> LSTM | GRU:
        """The plain layer whose equations this one computes (named, so no counter moves)."""
        raise NotImplementedError

    def _plain_bias(self, bias: jax.Array) -> jax.Array:
        """The plain layer's bias from the doubled cuDNN one."""
        raise NotImplementedError

    def _bias_init(self) -> Any:
        return self.bias_initializer

    def build(self, input_shape: Shape | list) -> None:
        input_shape = input_shape[0] if isinstance(input_shape, list) else input_shape
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(f"{type(self).__name__} {self.name!r}: expected an input of shape "
                             f"(batch, timesteps, features) with known features, got "
                             f"{tuple(input_shape)}")
        width = self.gates * self.units
        self.add_weight("kernel", (input_shape[-1], width), initializer=self.kernel_initializer,
                        regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.add_weight("recurrent_kernel", (self.units, width),
                        initializer=self.recurrent_initializer,
                        regularizer=self.recurrent_regularizer,
                        constraint=self.recurrent_constraint)
        self.add_weight("bias", (2 * width,), initializer=self._bias_init(),
                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        # The file conversion only moves entries around, so converting arrays of
        # positions gives the gather that converts the kernels inside `call`.
        positions = [np.arange(input_shape[-1] * width).reshape(input_shape[-1], width),
                     np.arange(self.units * width).reshape(self.units, width),
                     np.zeros(2 * width)]
        kernel, recurrent, _ = preprocess_weights_for_loading(self._plain, positions, "2.2.4")
        self._kernel_index, self._recurrent_index = kernel, recurrent
        self._build_states(input_shape)

    def _state_shapes(self, input_shape: Shape) -> list[tuple]:
        return self._plain._state_shapes(input_shape)

    def _run(self, params, inputs, training, rng, mask, start):
        # Masks are refused by `compute_mask`, and cuDNN layers have no dropout.
        plain = {"kernel": jnp.ravel(params["kernel"])[self._kernel_index],
                 "recurrent_kernel": jnp.ravel(params["recurrent_kernel"])[self._recurrent_index],
                 "bias": self._plain_bias(params["bias"])}
        return self._plain._run(plain, inputs, False, None, None, start)

    def compute_output_shape(self, input_shape: Shape | list) -> Any:
        return self._plain.compute_output_shape(input_shape)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if isinstance(mask, list):
            mask = mask[0]
        if mask is not None:
            raise TypeError(f"Layer {self.name} ({type(self).__name__}): masking is not "
                            "supported for CuDNN RNNs (Keras 2 refuses it too); use LSTM or "
                            "GRU(reset_after=True, recurrent_activation='sigmoid')")
        return [None] * (1 + self.state_count) if self.return_state else None

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({**self._sequence_config(), "units": self.units,
                       **self._weight_rules_config()})
        return config


_ARGUMENTS = """
    # Arguments
        units: positive int, the size of the output and states.
        kernel_initializer: initializer of `kernel`.
        recurrent_initializer: initializer of `recurrent_kernel` (default `'orthogonal'`).
        bias_initializer: initializer of `bias`.{forget}
        kernel_regularizer, recurrent_regularizer, bias_regularizer,
        activity_regularizer: regularizers.
        kernel_constraint, recurrent_constraint, bias_constraint: constraints.
        return_sequences: whether to return every step's output
            `(batch, timesteps, units)` rather than the last `(batch, units)`.
        return_state: whether to return `[output] + states`.
        go_backwards: whether to read the sequence from its end.
        stateful: whether each batch starts from the final states of the last
            (fixed batch size needed; `model.reset_states()` zeroes them).

    # Input shape
        `(batch, timesteps, input_dim)`; masks are refused, as in Keras 2.

    # Raises
        ValueError: for a non-positive `units`, an input that is not
            `(batch, timesteps, features)` at build, or `stateful=True` without a
            fixed batch size.
    """


class CuDNNLSTM(_CuDNNRNN):
    __doc__ = """Keras 2's cuDNN LSTM, with cuDNN's equations (sigmoid gates, two biases):

    ```
    i = sigmoid(W_i x + b_Wi + R_i h + b_Ri)    f = sigmoid(W_f x + b_Wf + R_f h + b_Rf)
    c' = tanh(W_c x + b_Wc + R_c h + b_Rc)      o = sigmoid(W_o x + b_Wo + R_o h + b_Ro)
    c = f * c + i * c'                          h = o * tanh(c)
    ```
    Weights: `kernel` `(input_dim, 4 * units)`, `recurrent_kernel`
    `(units, 4 * units)` (gate blocks i, f, c, o, each the row-major memory of
    cuDNN's `W_g` / `R_g`), `bias` `(8 * units,)`: `b_W` for i, f, c, o, then `b_R`.
""" + _ARGUMENTS.format(forget="""
        unit_forget_bias: whether the recurrent forget bias `b_Rf` starts at 1.""")

    gates = 4
    state_count = 2

    def __init__(self, units: int, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 unit_forget_bias: bool = True, **kwargs: Any):
        self.unit_forget_bias = bool(unit_forget_bias)
        super().__init__(units, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, **kwargs)

    def _plain_layer(self) -> LSTM:
        return LSTM(self.units, recurrent_activation="sigmoid", unit_forget_bias=False,
                    return_sequences=self.return_sequences, return_state=self.return_state,
                    go_backwards=self.go_backwards, name=f"{self.name}_equations")

    def _plain_bias(self, bias: jax.Array) -> jax.Array:
        return bias[:4 * self.units] + bias[4 * self.units:]

    def _bias_init(self) -> Any:
        if not self.unit_forget_bias:
            return self.bias_initializer
        base, units = self.bias_initializer, self.units

        def forget_bias_one(shape: Any, dtype: Any = None) -> jax.Array:
            # Keras 2: the input biases and the recurrent i from `bias_initializer`,
            # the recurrent f at one, the recurrent c and o from `bias_initializer`.
            return jnp.concatenate([jnp.asarray(base((5 * units,), dtype=dtype)),
                                    jnp.ones((units,), dtype),
                                    jnp.asarray(base((2 * units,), dtype=dtype))])
        return forget_bias_one

    def get_config(self) -> dict:
        config = super().get_config()
        config["unit_forget_bias"] = self.unit_forget_bias
        return config


class CuDNNGRU(_CuDNNRNN):
    __doc__ = """Keras 2's cuDNN GRU, with cuDNN's equations (the reset gate applied after
    the recurrent product, sigmoid gates, two biases):

    ```
    z = sigmoid(W_z x + b_Wz + R_z h + b_Rz)    r = sigmoid(W_r x + b_Wr + R_r h + b_Rr)
    h' = tanh(W_h x + b_Wh + r * (R_h h + b_Rh))
    h = z * h + (1 - z) * h'
    ```
    Weights: `kernel` `(input_dim, 3 * units)`, `recurrent_kernel`
    `(units, 3 * units)` (gate blocks z, r, h, each the row-major memory of
    cuDNN's `W_g` / `R_g`), `bias` `(6 * units,)`: `b_W` for z, r, h, then `b_R`.
""" + _ARGUMENTS.format(forget="")

    gates = 3

    def _plain_layer(self) -> GRU:
        return GRU(self.units, recurrent_activation="sigmoid", reset_after=True,
                   return_sequences=self.return_sequences, return_state=self.return_state,
                   go_backwards=self.go_backwards, name=f"{self.name}_equations")

    def _plain_bias(self, bias: jax.Array) -> jax.Array:
        return jnp.reshape(bias, (2, 3 * self.units))
