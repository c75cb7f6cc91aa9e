"""Keras 2 recurrent layers: SimpleRNN, LSTM and GRU, each one `lax.scan` over time.

Weights keep Keras 2.2.4's layout: `kernel` `(input_dim, gates * units)`,
`recurrent_kernel` `(units, gates * units)`, `bias` `(gates * units,)`, the
gates side by side in Keras's order (LSTM: i, f, c, o; GRU: z, r, h). The
input projection of every time step is computed in one matrix product before
the scan; only the recurrent part runs step by step.
"""
from __future__ import annotations

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
from jeras.layers.convolutional import positive_int

__all__ = ["SimpleRNN", "LSTM", "GRU", "Recurrent"]


def _check_dropout(value: Any, argument: str, layer: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{layer}: `{argument}` must be a float in [0, 1], got {value!r}")
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{layer}: `{argument}` must be in [0, 1], got {value!r}")
    return float(value)


def sequence_input_shape(kwargs: dict) -> dict:
    """Keras 2's `input_dim` / `input_length` of a recurrent layer as its `input_shape`."""
    if "input_shape" not in kwargs and ("input_dim" in kwargs or "input_length" in kwargs):
        kwargs["input_shape"] = (kwargs.pop("input_length", None), kwargs.pop("input_dim", None))
    return kwargs


def _sequence_part(value: Any) -> Any:
    """The sequence's entry when a layer is called on `[x] + initial_state`."""
    return value[0] if isinstance(value, list) else value


def _given_state(sequence: Any, state: Any) -> jax.Array:
    state = jnp.asarray(K._arr(state))
    missing = sequence.shape[0] - state.shape[0]
    if state.ndim and missing > 0:
        # `fit` and `predict` pad a short last batch to the batch size: the padding
        # rows start from zeros (their outputs are dropped).
        state = jnp.pad(state, [(0, missing)] + [(0, 0)] * (state.ndim - 1))
    return state


def graph_states(sequence: Any, states: Sequence) -> list:
    """The initial states of a call on `sequence`, as graph tensors when it is one.

    Keras 2 accepts states that are not graph tensors (a `K.variable`, an
    array): they are constants of the graph. Here such a state becomes a node,
    fed by the sequence, that reads the variable's value when the model runs,
    so the layer is still called on graph tensors only.

    # Arguments
        sequence: the sequence the layer is called on.
        states: the initial states given.

    # Returns
        The states, those not graph tensors replaced by graph tensors.
    """
    if not K._is_symbolic(sequence):
        return list(states)
    from jeras.engine import symbolic
    return [s if K._is_symbolic(s) else
            symbolic.op(_given_state, (sequence, s), {}, name="initial_state")
            for s in states]


class Recurrent(Layer):
    """What every recurrent layer shares: `stateful`, carrying its final states
    from one batch to the next.

    Subclasses set `self.stateful`, call `_build_states` at the end of
    `build`, and compute their forward pass in `_run`, which also returns
    the final states. A stateful layer keeps its states next to its weights
    (see `Layer.add_state`): they are not weights, so `get_weights`, parameter
    counts and weights files are those of Keras 2.
    """

    stateful = False
    #: Number of state tensors carried from step to step (the output is the first).
    state_count = 1

    def __init__(self, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, return_sequences: bool = False,
                 return_state: bool = False, go_backwards: bool = False, stateful: bool = False,
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)

    def _set_dropout(self, dropout: Any, recurrent_dropout: Any) -> None:
        """Checks and keeps the dropout rates; the layer draws random numbers only for
        rates strictly inside (0, 1), as Keras applies them."""
        cls = type(self).__name__
        self.dropout = _check_dropout(dropout, "dropout", cls)
        self.recurrent_dropout = _check_dropout(recurrent_dropout, "recurrent_dropout", cls)
        self.uses_rng = 0 < self.dropout < 1 or 0 < self.recurrent_dropout < 1

    def _sequence_config(self) -> dict:
        """The config entries of what the layer returns and how it reads."""
        return {"return_sequences": self.return_sequences, "return_state": self.return_state,
                "go_backwards": self.go_backwards, "stateful": self.stateful}

    def _weight_rules_config(self) -> dict:
        """The config entries of the weights' initializers, regularizers and constraints."""
        return {
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }

    def _state_shapes(self, input_shape: Shape) -> list[tuple]:
        """The shapes of the states for inputs of `input_shape`, batch axis included."""
        raise NotImplementedError

    def _build_states(self, input_shape: Shape) -> None:
        """Creates the carried states of a stateful layer (zeros).

        # Raises
            ValueError: when the batch size is unknown, as in Keras 2.2.4.
        """
        if not self.stateful:
            return
        if input_shape[0] is None:
            raise ValueError(
                f"{type(self).__name__} {self.name!r}: a stateful RNN needs to know its batch "
                "size. Give the first layer of a Sequential model a `batch_input_shape` "
                "(batch, timesteps, features) or a `batch_size`, or give `Input` a "
                f"`batch_shape`; got input shape {tuple(input_shape)}")
        for i, shape in enumerate(self._state_shapes(input_shape)):
            if None in shape:
                raise ValueError(f"{type(self).__name__} {self.name!r}: a stateful RNN needs "
                                 f"states of known shape; got {shape} for input shape "
                                 f"{tuple(input_shape)}")
            self.add_state(f"state_{i}", shape)

    def _run(self, params: dict, inputs: Any, training: bool, rng: jax.Array | None,
             mask: Any, start: tuple | None) -> tuple[Any, tuple]:
        """The forward pass from the states `start` (zeros when None, unless the layer
        is called on `[x] + initial_state`); returns `(outputs, final states)`."""
        raise NotImplementedError

    def call(self, params, inputs, *, training=False, rng=None, mask=None):
        return self._run(params, inputs, training, rng, mask, None)[0]

    def __call__(self, inputs: Any, initial_state: Any = None, **kwargs: Any) -> Any:
        """Calls the layer; `initial_state` (one tensor per state) joins the inputs,
        as in Keras 2, and may hold variables or arrays (see `graph_states`)."""
        if initial_state is not None:
            states = initial_state if isinstance(initial_state, (list, tuple)) else [initial_state]
            sequence = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
            initial_state = graph_states(sequence, states)
        return super().__call__(inputs, initial_state=initial_state, **kwargs)

    def _depends_on_phase(self) -> bool:
        # Dropout is configured per instance, so the class cannot tell.
        return bool(self.uses_rng) or super()._depends_on_phase()

    def apply(self, values: Sequence[jax.Array], inputs: Any, *, training: bool = False,
              rng: jax.Array | None = None, mask: Any = None,
              sample_mask: jax.Array | None = None) -> tuple[Any, list]:
        """As `Layer.apply`; a stateful layer starts from its carried states and
        returns the final ones in their place.

        As in Keras 2.2.4, an explicit `initial_state` takes precedence over the
        carried states, and evaluation and prediction move the states as
        training does.
        """
        if not self.stateful:
            return super().apply(values, inputs, training=training, rng=rng, mask=mask,
                                 sample_mask=sample_mask)
        params = {spec.name: v for spec, v in zip(self._specs, values)}
        index = self._state_indices()
        outputs, final = self._run(params, inputs, training, rng, mask,
                                   tuple(values[i] for i in index))
        new = list(values)
        for i, state in zip(index, final):
            new[i] = state.astype(values[i].dtype)
        return outputs, new

    @property
    def cell(self) -> Any:
        """Keras 2.2.4's `layer.cell` (`lstm.cell.kernel`, `.units`, `.kernel_regularizer`):
        jeras's recurrent layers hold their step's weights and arguments themselves, so
        a view of the layer answers for its cell (`RNN(cell)` sets a cell of its own)."""
        cell = self.__dict__.get("_cell")
        if cell is None:
            cell = self.__dict__["_cell"] = _CellView(self)
        return cell

    @cell.setter
    def cell(self, value: Any) -> None:
        self.__dict__["_cell"] = value

    def get_initial_state(self, inputs: Any) -> list:
        """Zero states for a sequence batch `inputs`, one per state, as 2.2.4's RNN makes.

        # Arguments
            inputs: a sequence batch (an array or a graph tensor).

        # Returns
            A list of `state_count` tensors of the states' shape.
        """
        def zeros(x: Any) -> list:
            x = K._arr(x)
            shape = tuple(self.compute_output_shape(tuple(x.shape)))
            if isinstance(shape[0], tuple):
                shape = shape[0]
            if self.return_sequences:
                shape = shape[:1] + shape[2:]
            return [jnp.zeros((x.shape[0],) + shape[1:], x.dtype)] * self.state_count

        if K._is_symbolic(inputs):
            from jeras.engine import symbolic
            return symbolic.op(zeros, (inputs,), {}, name="initial_state")
        return zeros(inputs)

    @property
    def states(self) -> list:
        """The carried states as variables (`K.get_value` reads them); Keras 2 gives
        `None` per state for a layer that is not stateful."""
        if not self.stateful or not self.built:
            return [None] * self.state_count
        variables = self.variables
        return [variables[i] for i in self._state_indices()]

    def reset_states(self, states: Any = None) -> None:
        """Sets the carried states to zeros, or to the given arrays.

        # Arguments
            states: None for zeros, or one array per state (a single array
                for one state), each of the state's full shape.

        # Raises
            AttributeError: if the layer is not stateful (as Keras 2.2.4).
            ValueError: before the layer is built, or for a wrong count or shape.
        """
        if not self.stateful:
            raise AttributeError(f"{type(self).__name__} {self.name!r}: reset_states needs a "
                                 "stateful layer (stateful=True)")
        if not self.built:
            raise ValueError(f"{type(self).__name__} {self.name!r}: reset_states needs the layer "
                             "to be built (with its batch size) first")
        if states is None:
            self._reset_state_values()
            return
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        index = self._state_indices()
        if len(states) != len(index):
            raise ValueError(f"Layer {self.name!r} expects {len(index)} state(s), but "
                             f"reset_states got {len(states)}")
        new = list(self._values)
        for k, (i, value) in enumerate(zip(index, states)):
            value = np.asarray(value)
            expected = tuple(self._specs[i].shape)
            if value.shape != expected:
                raise ValueError(f"State {k} is incompatible with layer {self.name!r}: "
                                 f"expected shape {expected}, found shape {value.shape}")
            new[i] = jnp.asarray(value, dtype=self._values[i].dtype)
        self._values = new


class _CellView:
    """The cell of a built-in recurrent layer: the layer itself, seen as 2.2.4's cell.

    Attributes are the layer's (`kernel`, `units`, `trainable`, `get_weights`...;
    setting one sets the layer's). Only the losses differ, as in 2.2.4 where the
    cell owns the weights and the layer the activity regularizer: the cell's are
    the layer's weight penalties, tied to no inputs.
    """

    def __init__(self, layer: Recurrent):
        self.__dict__["_layer"] = layer

    def __getattr__(self, name: str) -> Any:
        layer = self.__dict__.get("_layer")
        if layer is None:  # a copy being made, before its state is set
            raise AttributeError(name)
        return getattr(layer, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._layer, name, value)

    @property
    def state_size(self) -> Any:
        """The size of each state: an int, or a tuple for several (LSTM's `h`, `c`)."""
        count, units = self._layer.state_count, self._layer.units
        return units if count == 1 else (units,) * count

    @property
    def activity_regularizer(self) -> None:
        return None

    @property
    def losses(self) -> list:
        return self._layer._weight_losses()

    def get_losses_for(self, inputs: Any) -> list:
        """The weight penalties for None (they are tied to no inputs); none otherwise."""
        return self._layer._weight_losses() if inputs is None else []

    def __repr__(self) -> str:
        return f"<cell of {self._layer!r}>"


class _RNN(Recurrent):
    """The shared machinery of the recurrent layers: weights, dropout masks, the scan,
    masking, directions and what is returned. Subclasses give the cell's `_step`."""

    supports_masking = True
    #: Gate blocks in the kernels (1 for SimpleRNN, 4 for LSTM, 3 for GRU).
    gates = 1

    def __init__(self, units: int, activation: Any = "tanh", use_bias: bool = True,
                 dropout: float = 0., recurrent_dropout: float = 0., unroll: bool = False,
                 **kwargs: Any):
        super().__init__(**sequence_input_shape(kwargs))
        self.units = positive_int(units, "units", type(self).__name__)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self._set_dropout(dropout, recurrent_dropout)
        self.unroll = bool(unroll)
        self.implementation = 1

    # Weights.

    def _bias_shape(self) -> tuple:
        return (self.gates * self.units,)

    def _bias_init(self) -> Any:
        return self.bias_initializer

    def build(self, input_shape: Shape | list) -> None:
        input_shape = _sequence_part(input_shape)
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(f"{type(self).__name__} {self.name!r}: expected an input of shape "
                             f"(batch, timesteps, features) with known features, got "
                             f"{tuple(input_shape)}")
        self.add_weight("kernel", (input_shape[-1], self.gates * self.units),
                        initializer=self.kernel_initializer,
                        regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.add_weight("recurrent_kernel", (self.units, self.gates * self.units),
                        initializer=self.recurrent_initializer,
                        regularizer=self.recurrent_regularizer,
                        constraint=self.recurrent_constraint)
        if self.use_bias:
            self.add_weight("bias", self._bias_shape(), initializer=self._bias_init(),
                            regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self._build_states(input_shape)

    def _state_shapes(self, input_shape: Shape) -> list[tuple]:
        return [(input_shape[0], self.units)] * self.state_count

    # The forward pass.

    def _input_bias(self, params: dict) -> jax.Array | float:
        return params["bias"] if self.use_bias else 0.0

    def _masks(self, rng: jax.Array, rate: float, shape: tuple, dtype: Any) -> jax.Array:
        """Keras's dropout masks: `count` masks of 0 or `1 / (1 - rate)`, fixed over time.

        Implementation 1 draws one mask per gate; implementation 2 uses the first
        for all of them, so it is repeated.
        """
        count = self.gates if self.implementation == 1 else 1
        keep = jax.random.bernoulli(rng, 1.0 - rate, (count,) + shape)
        masks = keep.astype(dtype) / (1.0 - rate)
        return jnp.broadcast_to(masks, (self.gates,) + shape) if count == 1 else masks

    def _dropout_masks(self, training: bool, rng: jax.Array | None, inputs: jax.Array
                       ) -> tuple[jax.Array | None, jax.Array | None]:
        if not training or not self.uses_rng:
            return None, None
        if rng is None:
            raise ValueError(f"{type(self).__name__} {self.name!r}: dropout in training needs "
                             "a `rng` key")
        key_in, key_rec = jax.random.split(rng)
        batch = inputs.shape[0]
        in_masks = rec_masks = None
        if 0 < self.dropout < 1:
            in_masks = self._masks(key_in, self.dropout, (batch, inputs.shape[-1]), inputs.dtype)
        if 0 < self.recurrent_dropout < 1:
            rec_masks = self._masks(key_rec, self.recurrent_dropout, (batch, self.units),
                                    inputs.dtype)
        return in_masks, rec_masks

    def _project_inputs(self, params: dict, x_t: jax.Array,
                        in_masks: jax.Array | None) -> jax.Array:
        """`x_t @ kernel + input_bias` for one step, gate by gate under dropout.

        Done inside the scan, step by step: on XLA's CPU backend projecting the
        whole sequence first and scanning over the result ran about 3x slower.
        """
        kernel = params["kernel"]
        if in_masks is None:
            projected = jnp.matmul(x_t, kernel)
        else:
            u = self.units
            projected = jnp.concatenate(
                [jnp.matmul(x_t * in_masks[g], kernel[:, g * u:(g + 1) * u])
                 for g in range(self.gates)], axis=-1)
        return projected + self._input_bias(params)

    def _recurrent(self, h: jax.Array, kernel: jax.Array, rec_masks: jax.Array | None,
                   gates: Sequence[int]) -> jax.Array:
        """`h @ recurrent_kernel` for the given gate blocks, each with its dropout mask."""
        u = self.units
        if rec_masks is None:
            return jnp.matmul(h, kernel[:, gates[0] * u:(gates[-1] + 1) * u])
        return jnp.concatenate([jnp.matmul(h * rec_masks[g], kernel[:, g * u:(g + 1) * u])
                                for g in gates], axis=-1)

    def _step(self, params: dict, x_t: jax.Array, states: tuple,
              rec_masks: jax.Array | None) -> tuple[jax.Array, tuple]:
        raise NotImplementedError

    def _run(self, params, inputs, training, rng, mask, start):
        # Keras 2 feeds `initial_state` as extra inputs of the same call: [x, h0, (c0)].
        initial = None
        if isinstance(inputs, (list, tuple)):
            inputs, initial = inputs[0], tuple(inputs[1:])
            mask = _sequence_part(mask) if isinstance(mask, (list, tuple)) else mask
            if len(initial) != self.state_count:
                raise ValueError(f"{type(self).__name__} {self.name!r}: `initial_state` must be "
                                 f"a list of {self.state_count} tensor(s), got {len(initial)}")
        in_masks, rec_masks = self._dropout_masks(training, rng, inputs)
        sequence = jnp.swapaxes(inputs, 0, 1)
        steps = None if mask is None else jnp.swapaxes(mask.astype(bool), 0, 1)
        if self.go_backwards:
            sequence = jnp.flip(sequence, axis=0)
            steps = None if steps is None else jnp.flip(steps, axis=0)
        dtype = jnp.result_type(inputs.dtype, params["kernel"].dtype)
        zeros = jnp.zeros((inputs.shape[0], self.units), dtype)

        def body(states: tuple, step: tuple) -> tuple[tuple, jax.Array]:
            x_t, keep = step
            x_t = self._project_inputs(params, x_t, in_masks)
            output, new_states = self._step(params, x_t, states, rec_masks)
            if keep is not None:
                # Keras semantics: a masked step keeps the previous output and states.
                keep = keep[:, None]
                output = jnp.where(keep, output, states[0])
                new_states = tuple(jnp.where(keep, n, s) for n, s in zip(new_states, states))
            return new_states, output

        if initial is not None:
            start = initial
        elif start is None:
            start = (zeros,) * self.state_count
        final, outputs = lax.scan(body, tuple(start), (sequence, steps),
                                  unroll=self.unroll)
        result = jnp.swapaxes(outputs, 0, 1) if self.return_sequences else final[0]
        if self.return_state:
            return [result] + list(final), final
        return result, final

    def compute_output_shape(self, input_shape: Shape | list) -> Any:
        input_shape = _sequence_part(input_shape)
        if self.return_sequences:
            output = (input_shape[0], input_shape[1], self.units)
        else:
            output = (input_shape[0], self.units)
        if self.return_state:
            return [output] + [(input_shape[0], self.units)] * self.state_count
        return output

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * self.state_count
        return output_mask

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({
            **self._sequence_config(),
            "unroll": self.unroll,
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            **self._weight_rules_config(),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
        })
        return config


def forget_bias_one(base: Any, size: int) -> Any:
    """An LSTM bias initializer for gate blocks i, f, c, o of `size` each: the forget
    block ones, the others drawn from `base` (in two draws, as Keras 2 does)."""
    def initializer(shape: Sequence[int], dtype: Any = None) -> jax.Array:
        return jnp.concatenate([jnp.asarray(base((size,), dtype=dtype)),
                                jnp.ones((size,), dtype),
                                jnp.asarray(base((2 * size,), dtype=dtype))])
    return initializer


def _check_implementation(implementation: Any, layer: str) -> int:
    if implementation not in (0, 1, 2):
        raise ValueError(f"{layer}: `implementation` must be 1 or 2, got {implementation!r}")
    if implementation == 0:
        warnings.warn(f"{layer}: `implementation=0` is deprecated; using 1", stacklevel=3)
        return 1
    return int(implementation)


_COMMON_ARGUMENTS = """        use_bias: whether the layer uses a bias vector.
        kernel_initializer: initializer of `kernel` (inputs to gates).
        recurrent_initializer: initializer of `recurrent_kernel` (default `'orthogonal'`).
        bias_initializer: initializer of `bias`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer,
        activity_regularizer: regularizers.
        kernel_constraint, recurrent_constraint, bias_constraint: constraints.
        dropout: float in [0, 1], the fraction of input units dropped in training
            (one mask per sequence, the same at every step).
        recurrent_dropout: float in [0, 1], the same for the recurrent state.
"""
_RETURN_ARGUMENTS = """        return_sequences: whether to return the output of every step
            `(batch, timesteps, units)` rather than the last `(batch, units)`.
        return_state: whether to return `[output] + states` (a list).
        go_backwards: whether to read the sequence from its end; the returned
            sequence is then in reading order (reversed).
        stateful: whether the final states of each batch are the initial states
            of the next (sample `i` of a batch continues sample `i` of the last
            one). The batch size must then be fixed (`batch_input_shape`), and
            `model.reset_states()` sets the states back to zeros. Training,
            evaluation and prediction all move the states, as in Keras 2.2.4.
        unroll: whether to unroll the scan over time (short sequences only).
"""
_SHAPES = """
    # Input shape
        `(batch, timesteps, input_dim)`; an input mask `(batch, timesteps)` (from
        `Embedding(mask_zero=True)` or `Masking`) makes masked steps keep the
        previous output and states, as in Keras 2.

    # Output shape
        `(batch, units)`, or `(batch, timesteps, units)` with `return_sequences`;
        with `return_state`, a list of that and the final states `(batch, units)`.
        With `return_sequences` the input mask is passed on.

    # Raises
        ValueError: for a non-positive `units`, a rate outside [0, 1], an input that
            is not `(batch, timesteps, features)` at build, or `stateful=True`
            without a fixed batch size.
    """


class SimpleRNN(_RNN):
    __doc__ = """Fully connected recurrent layer: `h_t = activation(x_t @ kernel + bias
    + h_{t-1} @ recurrent_kernel)`; the output is `h`.

    Weights, in order: `kernel` `(input_dim, units)`, `recurrent_kernel`
    `(units, units)`, `bias` `(units,)`.

    # Arguments
        units: positive int, the size of the output and state.
        activation: name or callable (default `'tanh'`).
""" + _COMMON_ARGUMENTS + _RETURN_ARGUMENTS + _SHAPES

    @interfaces.legacy_recurrent_support
    def __init__(self, units: int, activation: Any = "tanh", **kwargs: Any):
        # Keras 2.2.4 warns about and drops `implementation` for SimpleRNN.
        if "implementation" in kwargs:
            kwargs.pop("implementation")
            warnings.warn("SimpleRNN: the `implementation` argument has no effect",
                          stacklevel=2)
        super().__init__(units, activation=activation, **kwargs)

    def _step(self, params, x_t, states, rec_masks):
        h = states[0]
        if rec_masks is not None:
            h = h * rec_masks[0]
        output = self.activation(x_t + jnp.matmul(h, params["recurrent_kernel"]))
        return output, (output,)


class LSTM(_RNN):
    __doc__ = """Long short-term memory (Hochreiter & Schmidhuber, 1997), Keras 2's equations:

    ```
    i = recurrent_activation(x_i + h @ U_i)     f = recurrent_activation(x_f + h @ U_f)
    c = f * c + i * activation(x_c + h @ U_c)   o = recurrent_activation(x_o + h @ U_o)
    h = o * activation(c)
    ```
    where `x_g = x @ W_g + b_g`. The output is `h`; the states are `[h, c]`.

    Weights, in order: `kernel` `(input_dim, 4 * units)`, `recurrent_kernel`
    `(units, 4 * units)`, `bias` `(4 * units,)`, gate blocks in the order i, f, c, o.

    # Arguments
        units: positive int, the size of the output and states.
        activation: name or callable (default `'tanh'`).
        recurrent_activation: the gates' activation (default `'hard_sigmoid'`).
        unit_forget_bias: whether the forget gate's bias starts at 1 (the other
            blocks then use `bias_initializer`).
        implementation: 1 (one dropout mask per gate) or 2 (one mask shared by
            all gates); both compute the same function without dropout.
""" + _COMMON_ARGUMENTS + _RETURN_ARGUMENTS + _SHAPES

    gates = 4
    state_count = 2

    @interfaces.legacy_recurrent_support
    def __init__(self, units: int, activation: Any = "tanh",
                 recurrent_activation: Any = "hard_sigmoid", unit_forget_bias: bool = True,
                 implementation: int = 1, **kwargs: Any):
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.implementation = _check_implementation(implementation, "LSTM")

    def _bias_init(self) -> Any:
        if not self.unit_forget_bias:
            return self.bias_initializer
        return forget_bias_one(self.bias_initializer, self.units)

    def _step(self, params, x_t, states, rec_masks):
        h, c = states
        z = x_t + self._recurrent(h, params["recurrent_kernel"], rec_masks, range(4))
        i, f, g, o = jnp.split(z, 4, axis=-1)
        c = (self.recurrent_activation(f) * c
             + self.recurrent_activation(i) * self.activation(g))
        h = self.recurrent_activation(o) * self.activation(c)
        return h, (h, c)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "unit_forget_bias": self.unit_forget_bias,
            "implementation": self.implementation,
        })
        return config


class GRU(_RNN):
    __doc__ = """Gated recurrent unit (Cho et al., 2014), Keras 2's equations:

    ```
    z = recurrent_activation(x_z + h @ U_z)     r = recurrent_activation(x_r + h @ U_r)
    hh = activation(x_h + (r * h) @ U_h)        # reset_after=False (Keras 2.2.4 default)
    hh = activation(x_h + r * (h @ U_h + b'_h)) # reset_after=True (CuDNN-compatible)
    h = z * h + (1 - z) * hh
    ```
    where `x_g = x @ W_g + b_g`; with `reset_after` the recurrent projections
    also get their own bias `b'` (`h @ U_z + b'_z`...). The output and state is `h`.

    Weights, in order: `kernel` `(input_dim, 3 * units)`, `recurrent_kernel`
    `(units, 3 * units)`, `bias` `(3 * units,)` or, with `reset_after`,
    `(2, 3 * units)` (input bias, then recurrent bias); gate blocks z, r, h.

    # Arguments
        units: positive int, the size of the output and state.
        activation: name or callable (default `'tanh'`).
        recurrent_activation: the gates' activation (default `'hard_sigmoid'`).
        implementation: 1 (one dropout mask per gate) or 2 (one mask shared by
            all gates; as in Keras 2.2.4 the recurrently dropped `h` then also
            enters the final mix `z * h`).
        reset_after: whether the reset gate is applied after the recurrent
            matrix product (default False, as in Keras 2.2.4).
""" + _COMMON_ARGUMENTS + _RETURN_ARGUMENTS + _SHAPES

    gates = 3

    @interfaces.legacy_recurrent_support
    def __init__(self, units: int, activation: Any = "tanh",
                 recurrent_activation: Any = "hard_sigmoid", implementation: int = 1,
                 reset_after: bool = False, **kwargs: Any):
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.implementation = _check_implementation(implementation, "GRU")
        self.reset_after = bool(reset_after)

    def _bias_shape(self) -> tuple:
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _input_bias(self, params: dict) -> jax.Array | float:
        if not self.use_bias:
            return 0.0
        return params["bias"][0] if self.reset_after else params["bias"]

    def _step(self, params, x_t, states, rec_masks):
        h = states[0]
        u = self.units
        kernel = params["recurrent_kernel"]
        x_z, x_r, x_h = x_t[:, :u], x_t[:, u:2 * u], x_t[:, 2 * u:]
        if self.reset_after:
            rec = self._recurrent(h, kernel, rec_masks, range(3))
            if self.use_bias:
                rec = rec + params["bias"][1]
        else:
            rec = self._recurrent(h, kernel, rec_masks, range(2))
        z = self.recurrent_activation(x_z + rec[:, :u])
        r = self.recurrent_activation(x_r + rec[:, u:2 * u])
        if self.reset_after:
            hh = self.activation(x_h + r * rec[:, 2 * u:])
        else:
            h_h = h if rec_masks is None else h * rec_masks[2]
            hh = self.activation(x_h + jnp.matmul(r * h_h, kernel[:, 2 * u:]))
        if rec_masks is not None and self.implementation != 1:
            # Keras 2.2.4's implementation 2 rebinds `h_tm1` to its dropped version,
            # which then also enters the update below.
            h = h * rec_masks[0]
        output = z * h + (1 - z) * hh
        return output, (output,)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "implementation": self.implementation,
            "reset_after": self.reset_after,
        })
        return config
