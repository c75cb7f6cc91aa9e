"""Keras 2's generic recurrent layer `RNN` and its cells.

`RNN(cell)` runs any cell over time: an object with `call(inputs, states)`
returning `(output, new_states)` and a `state_size`, as in Keras 2.2.4. A
cell written the Keras 2 way (a `Layer` subclass creating its weights with
`add_weight` in `build` and computing with `K.*` in `call`) works as is: the
RNN builds it with the shape of one time step, takes its weights as its own
(`rnn_1/kernel:0`...), and inside a running step binds the cell's variables
to the step's values while one `jax.lax.scan` calls the cell at every step.

The built-in cells `SimpleRNNCell`, `LSTMCell` and `GRUCell` are written the
same way and compute what `SimpleRNN`, `LSTM` and `GRU` do with the same
weights; `StackedRNNCells` makes a stack of cells behave as one.
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
from jeras.engine.base_layer import Layer, LayerVariable, Shape, WeightSpec, _input_key
from jeras.layers.convolutional import positive_int
from jeras.layers.recurrent import (
    Recurrent,
    _check_dropout,
    _check_implementation,
    forget_bias_one,
    graph_states,
    sequence_input_shape,
)
from jeras.utils.generic_utils import has_arg

__all__ = ["RNN", "SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells"]

#: The attributes in which Keras 2 cells cache their dropout masks for one sequence.
_MASK_ATTRIBUTES = ("_dropout_mask", "_recurrent_dropout_mask")


# What a cell declares.

def _state_sizes(cell: Any) -> list[int]:
    """The cell's `state_size` as a list, one int per state."""
    size = cell.state_size
    if hasattr(size, "__len__"):
        return [int(s) for s in size]
    return [int(size)]


def _output_size(cell: Any) -> int:
    """The cell's `output_size`, or its first state's size (Keras 2's fallback)."""
    size = getattr(cell, "output_size", None)
    return int(size) if size is not None else _state_sizes(cell)[0]


def _weight_layers(cell: Any) -> list[Layer]:
    """The layers that own a cell's weights, in weight order (a stack: each cell's)."""
    if isinstance(cell, StackedRNNCells):
        return [layer for c in cell.cells for layer in _weight_layers(c)]
    return [cell] if isinstance(cell, Layer) else []


def _check_cell(cell: Any, where: str) -> None:
    if not hasattr(cell, "call"):
        raise ValueError(f"{where}: a cell must have a `call(inputs, states)` method, got "
                         f"{cell!r}")
    if not hasattr(cell, "state_size"):
        raise ValueError(f"{where}: a cell must have a `state_size` attribute (an int, or one "
                         f"int per state), got {cell!r}")


def _build_cell(cell: Any, input_shape: Shape, constants_shape: list | None) -> None:
    """Builds a Layer cell once for one step's `input_shape` (with the constants' shapes
    when its `call` takes `constants`), as Keras 2's RNN does."""
    if not isinstance(cell, Layer) or cell.built:
        return
    if constants_shape and has_arg(cell.call, "constants"):
        cell._build_once([tuple(input_shape)] + [tuple(s) for s in constants_shape])
    else:
        cell._build_once(tuple(input_shape))


def _cell_kwargs(cell: Any, training: bool, constants: list | None) -> dict:
    """The keyword arguments Keras 2 hands a cell's `call`: `training` and `constants`
    when it takes them."""
    kwargs: dict[str, Any] = {}
    if has_arg(cell.call, "training"):
        kwargs["training"] = training
    if constants:
        kwargs["constants"] = list(constants)
    return kwargs


def _array(x: Any) -> jax.Array:
    return jnp.asarray(x.value if isinstance(x, K.Variable) else x)


def _as_list(x: Any) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _reset_masks(cell: Any) -> None:
    """Forgets the dropout masks a cell (or each cell of a stack) cached for a sequence."""
    if isinstance(cell, StackedRNNCells):
        for inner in cell.cells:
            _reset_masks(inner)
    for name in _MASK_ATTRIBUTES:
        if getattr(cell, name, None) is not None:
            setattr(cell, name, None)


# The RNN's view of its cell's weights.

class _CellWeightSpec(WeightSpec):
    """An RNN's spec of one of its cell's weights: the cell's facts under the RNN's name.

    It is trainable while the cell's weight and the cell are (`cell.trainable =
    False` freezes the RNN's copy, as Keras 2's RNN reads `cell.trainable_weights`).
    """

    def __init__(self, name: str, layer: Layer, spec: WeightSpec):
        self._layer = layer
        self._spec = spec
        super().__init__(name, spec.shape, spec.trainable, spec.regularizer, spec.constraint)

    @property
    def trainable(self) -> bool:  # type: ignore[override]
        return bool(self._spec.trainable and self._layer.trainable)

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._spec.trainable = bool(value)


class _RNNVariable(LayerVariable):
    """An RNN's weight variable; assigning it also updates the cell's copy."""

    def _write(self, value: np.ndarray) -> None:
        super()._write(value)
        self._layer._push_to_cells()


class RNN(Recurrent):
    """Base class for recurrent layers: runs a cell over the time axis.

    A cell is an object with
    - `call(inputs_at_t, states_at_t)` returning `(output_at_t, states_at_t_plus_1)`
      (a list of states); `call` may also take `training` and `constants`;
    - `state_size`: an int (one state, the size of the output) or one int per state;
    - optionally `output_size` (else the first state's size), `build(input_shape)`
      (a `Layer`'s; called with the shape of one step, `(batch, input_dim)`), and
      `get_initial_state(inputs=None, batch_size=None, dtype=None)`.
    A list of cells is stacked with `StackedRNNCells`.

    The layer's weights are its cell's, named after the layer (`rnn_1/kernel:0`; the
    second cell of a stack gets `kernel_1`, as TensorFlow names them), in the cell's
    order: the model trains, saves and loads them. A cell's `call` runs inside the
    step, with its variables bound to the step's values; what it records with
    `add_loss` or `K.update` stays in its time step and is dropped. A cell may cache
    dropout masks in `_dropout_mask` and `_recurrent_dropout_mask` on its first call:
    as Keras 2's TensorFlow backend, the RNN calls it once on the first step before
    the loop, so the masks are drawn once per sequence, and it forgets them after.

    # Arguments
        cell: an RNN cell, or a list of cells (stacked).
        return_sequences: whether to return the output of every step
            `(batch, timesteps, output_size)` rather than the last one.
        return_state: whether to return `[output] + final states`.
        go_backwards: whether to read the sequence from its end; the returned
            sequence is then in reading order (reversed).
        stateful: whether the final states of each batch are the initial states of
            the next (a fixed batch size is then needed; `reset_states()` zeros them).
        unroll: whether to unroll the loop over time (short sequences only).
        input_dim, input_length: Keras 2's way to give the input shape.

    # Calling
        `layer(x, initial_state=[...], constants=[...])`: initial states (one tensor
        per state) and constants (tensors handed to every step as the cell's
        `constants` argument) are extra inputs of the call, as in Keras 2.

    # Input shape
        `(batch, timesteps, input_dim)`; an input mask `(batch, timesteps)` (from
        `Embedding(mask_zero=True)` or `Masking`) makes masked steps keep the
        previous output and states, as Keras 2.2.4's loop does (with `unroll`, the
        previous output, zeros before the first step).

    # Output shape
        `(batch, output_size)`, or `(batch, timesteps, output_size)` with
        `return_sequences`; with `return_state`, a list of that and the final
        states `(batch, state_size)`.

    # Raises
        ValueError: for a cell without `call` or `state_size`, an input of rank
            below 3, an `initial_state` of the wrong count or sizes, constants for a
            cell whose `call` does not take them, or `stateful=True` without a fixed
            batch size.

    # Example

    ```python
    class MinimalRNNCell(Layer):
        def __init__(self, units, **kwargs):
            self.units = units
            self.state_size = units
            super(MinimalRNNCell, self).__init__(**kwargs)

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                          initializer='uniform', name='kernel')
            self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                    initializer='uniform',
                                                    name='recurrent_kernel')
            self.built = True

        def call(self, inputs, states):
            prev_output = states[0]
            h = K.dot(inputs, self.kernel)
            output = h + K.dot(prev_output, self.recurrent_kernel)
            return output, [output]

    y = RNN(MinimalRNNCell(32))(Input((None, 5)))
    ```
    """

    _variable_class = _RNNVariable

    supports_masking = True

    def __init__(self, cell: Any, return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 **kwargs: Any):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(list(cell))
        _check_cell(cell, "RNN")
        rules = {"kernel_initializer", "recurrent_initializer", "bias_initializer",
                 "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
                 "activity_regularizer", "kernel_constraint", "recurrent_constraint",
                 "bias_constraint"}
        unknown = sorted(rules & set(kwargs))
        if unknown:
            raise TypeError(f"RNN: unexpected keyword argument(s) {unknown} (they are the "
                            "cell's arguments)")
        self.__dict__["_sources"] = []
        super().__init__(return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful,
                         **sequence_input_shape(kwargs))
        self.cell = cell
        self.unroll = bool(unroll)
        self._num_constants: int | None = None
        self.uses_rng = any(getattr(layer, "uses_rng", False) for layer in _weight_layers(cell))

    # The cell's weights as the layer's own.

    @property
    def _values(self) -> list:
        """The weight values: the cell's first (kept in step with the cell's own copies:
        a weight set on the cell is seen here), then the carried states."""
        own = Layer._values.fget(self)
        offset = 0
        for layer in self.__dict__.get("_sources", []):
            count = len(layer._specs)
            for j, value in enumerate(layer._values[:count]):
                if offset + j < len(own) and own[offset + j] is not value:
                    own[offset + j] = value
            offset += count
        return own

    @_values.setter
    def _values(self, values: Sequence) -> None:
        Layer._values.fset(self, values)
        self._push_to_cells()

    def _push_to_cells(self) -> None:
        """Gives the cells the layer's current values of their weights."""
        own = Layer._values.fget(self)
        offset = 0
        for layer in self.__dict__.get("_sources", []):
            count = len(layer._specs)
            if len(own) >= offset + count:
                layer._values = list(own[offset:offset + count]) + list(layer._values[count:])
            offset += count


    @property
    def state_count(self) -> int:  # type: ignore[override]
        """The number of states the cell carries."""
        return len(_state_sizes(self.cell))

    def _split_shapes(self, input_shape: Shape | list) -> tuple[Shape, list, list | None]:
        shapes = ([tuple(s) for s in input_shape] if isinstance(input_shape, list)
                  else [tuple(input_shape)])
        k = self._num_constants or 0
        constants = shapes[len(shapes) - k:] if k else None
        return shapes[0], shapes[1:len(shapes) - k], constants

    def build(self, input_shape: Shape | list) -> None:
        sequence, initial, constants = self._split_shapes(input_shape)
        if len(sequence) < 3:
            raise ValueError(f"RNN {self.name!r}: expected an input of shape (batch, timesteps, "
                             f"features), got {sequence}")
        _build_cell(self.cell, (sequence[0],) + tuple(sequence[2:]), constants)
        sizes = _state_sizes(self.cell)
        if initial and [s[-1] for s in initial] != sizes:
            raise ValueError(f"RNN {self.name!r}: an `initial_state` was passed that is not "
                             f"compatible with `cell.state_size`: state shapes {initial}, "
                             f"but `cell.state_size` is {self.cell.state_size}")
        sources = _weight_layers(self.cell)
        self.__dict__["_sources"] = []
        seen: dict[str, int] = {}
        specs, values = [], []
        for layer in sources:
            for spec, value in zip(layer._specs, layer._values):
                count = seen.get(spec.name, 0)
                seen[spec.name] = count + 1
                name = spec.name if count == 0 else f"{spec.name}_{count}"
                specs.append(_CellWeightSpec(name, layer, spec))
                values.append(value)
        self._specs = specs
        self._values = values
        self.__dict__["_sources"] = sources
        self._build_states(sequence)
        self.built = True

    def _state_shapes(self, input_shape: Shape) -> list[tuple]:
        return [(input_shape[0], size) for size in _state_sizes(self.cell)]

    def compute_output_shape(self, input_shape: Shape | list) -> Any:
        sequence = self._split_shapes(input_shape)[0]
        size = _output_size(self.cell)
        if self.return_sequences:
            output = (sequence[0], sequence[1], size)
        else:
            output = (sequence[0], size)
        if self.return_state:
            return [output] + [(sequence[0], s) for s in _state_sizes(self.cell)]
        return output

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * self.state_count
        return output_mask

    # Calling.

    def __call__(self, inputs: Any, initial_state: Any = None, constants: Any = None,
                 **kwargs: Any) -> Any:
        """Calls the layer; `initial_state` and `constants` join the inputs, as in Keras 2.

        # Arguments
            inputs: the sequence, or the list `[sequence] + initial states + constants`
                (as a loaded model calls the layer).
            initial_state: a tensor or list of tensors, one per state.
            constants: a tensor or list of tensors handed to every step.
        """
        if initial_state is None and constants is None:
            return super().__call__(inputs, **kwargs)
        if isinstance(inputs, (list, tuple)):
            raise ValueError(f"RNN {self.name!r}: give `initial_state` and `constants` either "
                             "as keyword arguments or as extra inputs, not both")
        full = [inputs]
        if initial_state is not None:
            full += graph_states(inputs, _as_list(initial_state))
        if constants is not None:
            constants = _as_list(constants)
            self._num_constants = len(constants)
            full += constants
        return super().__call__(full, **kwargs)

    def get_initial_state(self, inputs: Any) -> list[jax.Array]:
        """The states a sequence starts from: zeros `(batch, size)` for each state, or
        what the cell's own `get_initial_state` gives (graph tensors for a graph tensor).

        # Arguments
            inputs: a sequence batch (an array or a graph tensor).

        # Returns
            A list of one tensor per state.
        """
        if K._is_symbolic(inputs):
            from jeras.engine import symbolic
            return symbolic.op(self.get_initial_state, (inputs,), {}, name="initial_state")
        x = _array(inputs)
        dtype = x.dtype if jnp.issubdtype(x.dtype, jnp.floating) else jnp.dtype(K.floatx())
        maker = getattr(self.cell, "get_initial_state", None)
        if callable(maker):
            return [_array(s) for s in _as_list(maker(inputs=inputs, batch_size=x.shape[0],
                                                      dtype=dtype))]
        return [jnp.zeros((x.shape[0], size), dtype) for size in _state_sizes(self.cell)]

    def _split_inputs(self, inputs: Any) -> tuple[jax.Array, list | None, list | None]:
        if not isinstance(inputs, (list, tuple)):
            return inputs, None, None
        inputs = list(inputs)
        k = self._num_constants or 0
        constants = inputs[len(inputs) - k:] if k else None
        initial = inputs[1:len(inputs) - k] or None
        return inputs[0], initial, constants

    def call(self, params: dict, inputs: Any, *, training: bool = False,
             rng: jax.Array | None = None, mask: Any = None) -> Any:
        """The forward pass on the weights by name (see `apply`)."""
        values = [params[spec.name] for spec in self._specs]
        return self.apply(values, inputs, training=training, rng=rng, mask=mask)[0]

    def apply(self, values: Sequence[jax.Array], inputs: Any, *, training: bool = False,
              rng: jax.Array | None = None, mask: Any = None,
              sample_mask: jax.Array | None = None,
              call_kwargs: dict | None = None) -> tuple[Any, list]:
        """Runs the cell over the sequence; returns `(outputs, new values)`.

        A stateful layer starts from its carried states (unless given an
        `initial_state`) and returns the final ones in their place.
        """
        del sample_mask, call_kwargs
        values = list(values)
        x, initial, constants = self._split_inputs(inputs)
        x = _array(x)
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        state_index = self._state_indices()
        if initial is None:
            initial = ([values[i] for i in state_index] if self.stateful
                       else self.get_initial_state(x))
        initial = [_array(s) for s in initial]
        if len(initial) != self.state_count:
            raise ValueError(f"RNN {self.name!r}: the layer has {self.state_count} state(s) but "
                             f"was passed {len(initial)} initial state(s)")
        if constants and not has_arg(self.cell.call, "constants"):
            raise ValueError(f"RNN {self.name!r}: the cell's `call` does not take `constants`")

        def run(values: list, x: jax.Array, initial: list, constants: list | None, mask: Any,
                rng: jax.Array | None) -> tuple[Any, list]:
            bindings = {id(v): value for v, value in zip(self.variables, values)}
            offset = 0
            for layer in self.__dict__.get("_sources", []):
                count = len(layer._specs)
                bindings.update((id(v), value) for v, value in
                                zip(layer.variables, values[offset:offset + count]))
                offset += count
            return self._loop(x, initial, constants, mask, training, rng, bindings)

        arguments = (values, x, initial, constants, mask, rng)
        if any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree.leaves(arguments)):
            outputs, final = run(*arguments)
        else:
            # Called on arrays: one compiled program rather than the cell's operations
            # dispatched one by one.
            outputs, final = jax.jit(run)(*arguments)
        for i, state in zip(state_index, final):
            values[i] = state.astype(values[i].dtype)
        return outputs, values

    def _loop(self, x: jax.Array, initial: list, constants: list | None, mask: Any,
              training: bool, rng: jax.Array | None, bindings: dict) -> tuple[Any, list]:
        cell = self.cell
        kwargs = _cell_kwargs(cell, training, [_array(c) for c in constants or []])
        sequence = jnp.swapaxes(x, 0, 1)
        steps = None if mask is None else jnp.swapaxes(_array(mask).astype(bool), 0, 1)
        if self.go_backwards:
            sequence = jnp.flip(sequence, axis=0)
            steps = None if steps is None else jnp.flip(steps, axis=0)
        length = sequence.shape[0]
        first_key = keys = None
        if rng is not None:
            first_key, loop_key = jax.random.split(rng)
            keys = jax.random.split(loop_key, length)
        dtypes = [s.dtype for s in initial]
        size = _output_size(cell)
        _reset_masks(cell)
        try:
            with K.StateScope(bindings, training=training, rng=first_key):
                if length:
                    # Keras 2's TensorFlow loop calls the step once before looping: a cell
                    # draws its dropout masks there, the same for every step.
                    first, _ = cell.call(sequence[0], list(initial), **kwargs)
                    size = _array(first).shape[-1]
                out_dtype = jnp.result_type(x.dtype, *dtypes)
                # Masked steps repeat the previous output: the first state's in Keras 2's
                # loop, the last output in its unrolled version (or for a cell whose
                # output is not its first state).
                carry_output = self.unroll or size != initial[0].shape[-1]

                def body(carry: tuple, step: tuple) -> tuple[tuple, jax.Array]:
                    states, previous = carry
                    x_t, keep, key = step
                    with K.StateScope({}, training=training, rng=key):
                        output, new_states = cell.call(x_t, list(states), **kwargs)
                    output = _array(output).astype(out_dtype)
                    new_states = tuple(_array(s).astype(d) for s, d in
                                       zip(_as_list(new_states), dtypes))
                    if len(new_states) != len(states):
                        raise ValueError(f"RNN {self.name!r}: the cell returned "
                                         f"{len(new_states)} state(s), expected {len(states)}")
                    if keep is not None:
                        keep = keep[:, None]
                        output = jnp.where(keep, output,
                                           previous if carry_output else states[0])
                        new_states = tuple(jnp.where(keep, n, s)
                                           for n, s in zip(new_states, states))
                    return (new_states, output if carry_output else previous), output

                previous = jnp.zeros((x.shape[0], size), out_dtype)
                (final, _), outputs = lax.scan(body, (tuple(initial), previous),
                                               (sequence, steps, keys), unroll=self.unroll)
        finally:
            _reset_masks(cell)
        if self.return_sequences:
            result = jnp.swapaxes(outputs, 0, 1)
        else:
            result = outputs[-1] if length else previous
        final = list(final)
        if self.return_state:
            return [result] + final, final
        return result, final

    def get_losses_for(self, inputs: Any) -> list:
        """The losses tied to `inputs` (see `Layer.get_losses_for`), first those the
        cell (or a cell of the stack) added with them, as 2.2.4's RNN lists its cell's."""
        key = _input_key(inputs)
        cells = {id(c): c for c in [self.cell] + _weight_layers(self.cell)
                 if isinstance(c, Layer)}
        found = [item for cell in cells.values() for item in cell._added_losses_for(key)]
        return found + super().get_losses_for(inputs)

    # Serialization.

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(self._sequence_config())
        config["unroll"] = self.unroll
        if self._num_constants is not None:
            config["num_constants"] = self._num_constants
        config["cell"] = {"class_name": type(self.cell).__name__,
                          "config": self.cell.get_config()}
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> RNN:
        """Makes the layer from its config; the cell comes through `layers.deserialize`.

        # Arguments
            config: as `get_config` returns it.
            custom_objects: user classes by name (a custom cell's class).
        """
        from jeras import layers as layers_module
        config = dict(config)
        cell = layers_module.deserialize(config.pop("cell"), custom_objects=custom_objects)
        num_constants = config.pop("num_constants", None)
        layer = cls(cell, **config)
        layer._num_constants = num_constants
        return layer


# Cells.

def _dropped_ones(shape: tuple, rate: float, dtype: Any) -> jax.Array:
    """A dropout mask: 0 with probability `rate`, else `1 / (1 - rate)` (what
    `K.dropout(ones, rate)` gives)."""
    keep = 1.0 - rate
    return K.random_binomial(shape, p=keep, dtype=dtype) / keep


class _Cell(Layer):
    """What the built-in cells share: units, activation, weight rules and dropout."""

    #: Gate blocks in the kernels.
    gates = 1

    def _setup(self, units: int, activation: Any, use_bias: bool, kernel_initializer: Any,
               recurrent_initializer: Any, bias_initializer: Any, kernel_regularizer: Any,
               recurrent_regularizer: Any, bias_regularizer: Any, kernel_constraint: Any,
               recurrent_constraint: Any, bias_constraint: Any, dropout: Any,
               recurrent_dropout: Any) -> None:
        cls = type(self).__name__
        self.units = positive_int(units, "units", cls)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = _check_dropout(dropout, "dropout", cls)
        self.recurrent_dropout = _check_dropout(recurrent_dropout, "recurrent_dropout", cls)
        self.uses_rng = 0 < self.dropout < 1 or 0 < self.recurrent_dropout < 1
        self.state_size: Any = self.units
        self.output_size = self.units
        self.implementation = 1
        self._dropout_mask: Any = None
        self._recurrent_dropout_mask: Any = None

    def _bias_shape(self) -> tuple:
        return (self.gates * self.units,)

    def _bias_init(self) -> Any:
        return self.bias_initializer

    def build(self, input_shape: Shape) -> None:
        """Creates `kernel` `(input_dim, gates * units)`, `recurrent_kernel`
        `(units, gates * units)` and `bias`."""
        width = self.gates * self.units
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], width),
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(name="recurrent_kernel",
                                                shape=(self.units, width),
                                                initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=self._bias_shape(),
                                        initializer=self._bias_init(),
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.built = True

    def _masks(self, inputs: Any, h: Any, training: Any) -> tuple[Any, Any]:
        """The sequence's dropout masks, drawn on the first call in training and kept
        (`count` per kind: one per gate for implementation 1, as Keras 2)."""
        count = self.gates if self.implementation == 1 else 1
        if training:
            if 0 < self.dropout < 1 and self._dropout_mask is None:
                shape, dtype = _array(inputs).shape, _array(inputs).dtype
                masks = [_dropped_ones(shape, self.dropout, dtype) for _ in range(count)]
                self._dropout_mask = masks
            if 0 < self.recurrent_dropout < 1 and self._recurrent_dropout_mask is None:
                shape, dtype = _array(h).shape, _array(h).dtype
                masks = [_dropped_ones(shape, self.recurrent_dropout, dtype)
                         for _ in range(count)]
                self._recurrent_dropout_mask = masks
        return self._dropout_mask, self._recurrent_dropout_mask

    def _block(self, weight: Any, g: int) -> Any:
        """Gate block `g` of a kernel or bias (the last axis)."""
        u = self.units
        return weight[..., g * u:(g + 1) * u]

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
        })
        return config


_CELL_ARGUMENTS = """        use_bias: whether the cell uses a bias vector.
        kernel_initializer: initializer of `kernel` (inputs to gates).
        recurrent_initializer: initializer of `recurrent_kernel` (default `'orthogonal'`).
        bias_initializer: initializer of `bias`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: regularizers.
        kernel_constraint, recurrent_constraint, bias_constraint: constraints.
        dropout: float in [0, 1], the fraction of input units dropped in training
            (one mask per sequence, drawn on the first step).
        recurrent_dropout: float in [0, 1], the same for the recurrent state.

    # Raises
        ValueError: for a non-positive `units` or a rate outside [0, 1].
    """


class SimpleRNNCell(_Cell):
    __doc__ = """The cell of `SimpleRNN`: `h = activation(x @ kernel + bias + h_prev @
    recurrent_kernel)`; the output and the one state are `h`.

    # Arguments
        units: positive int, the size of the output and state.
        activation: name or callable (default `'tanh'`; None for linear).
""" + _CELL_ARGUMENTS

    def __init__(self, units: int, activation: Any = "tanh", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None,
                 dropout: float = 0., recurrent_dropout: float = 0., **kwargs: Any):
        super().__init__(**kwargs)
        self._setup(units, activation, use_bias, kernel_initializer, recurrent_initializer,
                    bias_initializer, kernel_regularizer, recurrent_regularizer,
                    bias_regularizer, kernel_constraint, recurrent_constraint, bias_constraint,
                    dropout, recurrent_dropout)

    def _masks(self, inputs: Any, h: Any, training: Any) -> tuple[Any, Any]:
        # Keras 2's SimpleRNNCell keeps one mask of each kind, not a list.
        dp, rec = super()._masks(inputs, h, training)
        if isinstance(dp, list):
            self._dropout_mask = dp = dp[0]
        if isinstance(rec, list):
            self._recurrent_dropout_mask = rec = rec[0]
        return dp, rec

    def call(self, inputs: Any, states: Sequence, training: Any = None) -> tuple[Any, list]:
        """One step: `(inputs (batch, input_dim), [h_prev])` to `(h, [h])`."""
        prev = states[0]
        dp, rec = self._masks(inputs, prev, training)
        h = K.dot(inputs if dp is None else inputs * dp, self.kernel)
        if self.bias is not None:
            h = h + self.bias
        if rec is not None:
            prev = prev * rec
        output = h + K.dot(prev, self.recurrent_kernel)
        if self.activation is not None:
            output = self.activation(output)
        return output, [output]


class LSTMCell(_Cell):
    __doc__ = """The cell of `LSTM`, Keras 2's equations:

    ```
    i = recurrent_activation(x_i + h @ U_i)     f = recurrent_activation(x_f + h @ U_f)
    c = f * c + i * activation(x_c + h @ U_c)   o = recurrent_activation(x_o + h @ U_o)
    h = o * activation(c)
    ```
    where `x_g = x @ W_g + b_g`, gate blocks i, f, c, o side by side in `kernel`
    `(input_dim, 4 * units)`, `recurrent_kernel` `(units, 4 * units)` and `bias`
    `(4 * units,)`. The output is `h`; the states are `[h, c]` (`state_size`
    `(units, units)`).

    # Arguments
        units: positive int, the size of the output and states.
        activation: name or callable (default `'tanh'`).
        recurrent_activation: the gates' activation (default `'hard_sigmoid'`).
        unit_forget_bias: whether the forget gate's bias starts at 1.
        implementation: 1 (gate by gate, one dropout mask per gate) or 2 (one
            matrix product, one mask shared by the gates); the same function
            without dropout.
""" + _CELL_ARGUMENTS

    gates = 4

    def __init__(self, units: int, activation: Any = "tanh",
                 recurrent_activation: Any = "hard_sigmoid", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 unit_forget_bias: bool = True, kernel_regularizer: Any = None,
                 recurrent_regularizer: Any = None, bias_regularizer: Any = None,
                 kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float = 0.,
                 recurrent_dropout: float = 0., implementation: int = 1, **kwargs: Any):
        super().__init__(**kwargs)
        self._setup(units, activation, use_bias, kernel_initializer, recurrent_initializer,
                    bias_initializer, kernel_regularizer, recurrent_regularizer,
                    bias_regularizer, kernel_constraint, recurrent_constraint, bias_constraint,
                    dropout, recurrent_dropout)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.implementation = _check_implementation(implementation, "LSTMCell")
        self.state_size = (self.units, self.units)

    def _bias_init(self) -> Any:
        if not self.unit_forget_bias:
            return self.bias_initializer
        return forget_bias_one(self.bias_initializer, self.units)

    def call(self, inputs: Any, states: Sequence, training: Any = None) -> tuple[Any, list]:
        """One step: `(inputs, [h_prev, c_prev])` to `(h, [h, c])`."""
        h_prev, c_prev = states[0], states[1]
        dp, rec = self._masks(inputs, h_prev, training)
        if self.implementation == 1 and (dp is not None or rec is not None):
            z = []
            for g in range(4):
                x_g = K.dot(inputs if dp is None else inputs * dp[g],
                            self._block(self.kernel, g))
                if self.bias is not None:
                    x_g = x_g + self._block(self.bias, g)
                h_g = h_prev if rec is None else h_prev * rec[g]
                z.append(x_g + K.dot(h_g, self._block(self.recurrent_kernel, g)))
        else:
            # Implementation 2, or 1 without dropout (the same function, fewer products).
            x = inputs if dp is None else inputs * dp[0]
            h = h_prev if rec is None else h_prev * rec[0]
            matrix = K.dot(x, self.kernel) + K.dot(h, self.recurrent_kernel)
            if self.bias is not None:
                matrix = matrix + self.bias
            z = [self._block(matrix, g) for g in range(4)]
        i = self.recurrent_activation(z[0])
        f = self.recurrent_activation(z[1])
        c = f * c_prev + i * self.activation(z[2])
        o = self.recurrent_activation(z[3])
        h = o * self.activation(c)
        return h, [h, c]

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "unit_forget_bias": self.unit_forget_bias,
            "implementation": self.implementation,
        })
        return config


class GRUCell(_Cell):
    __doc__ = """The cell of `GRU`, Keras 2's equations:

    ```
    z = recurrent_activation(x_z + h @ U_z)     r = recurrent_activation(x_r + h @ U_r)
    hh = activation(x_h + (r * h) @ U_h)        # reset_after=False (Keras 2.2.4 default)
    hh = activation(x_h + r * (h @ U_h + b'_h)) # reset_after=True (CuDNN-compatible)
    h = z * h + (1 - z) * hh
    ```
    where `x_g = x @ W_g + b_g`, gate blocks z, r, h; with `reset_after` the
    recurrent projections get their own bias `b'` and `bias` is `(2, 3 * units)`
    (input bias, then recurrent bias). The output and the one state are `h`.

    # Arguments
        units: positive int, the size of the output and state.
        activation: name or callable (default `'tanh'`).
        recurrent_activation: the gates' activation (default `'hard_sigmoid'`).
        implementation: 1 (gate by gate, one dropout mask per gate) or 2 (one
            mask shared by the gates; as in Keras 2.2.4 the recurrently dropped
            `h` then also enters `z * h`).
        reset_after: whether the reset gate is applied after the recurrent
            matrix product (default False).
""" + _CELL_ARGUMENTS

    gates = 3

    def __init__(self, units: int, activation: Any = "tanh",
                 recurrent_activation: Any = "hard_sigmoid", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None,
                 dropout: float = 0., recurrent_dropout: float = 0., implementation: int = 1,
                 reset_after: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self._setup(units, activation, use_bias, kernel_initializer, recurrent_initializer,
                    bias_initializer, kernel_regularizer, recurrent_regularizer,
                    bias_regularizer, kernel_constraint, recurrent_constraint, bias_constraint,
                    dropout, recurrent_dropout)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.implementation = _check_implementation(implementation, "GRUCell")
        self.reset_after = bool(reset_after)

    def _bias_shape(self) -> tuple:
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _biases(self) -> tuple[Any, Any]:
        """The input bias and the recurrent one (None without `reset_after`)."""
        if self.bias is None:
            return None, None
        if self.reset_after:
            return self.bias[0], self.bias[1]
        return self.bias, None

    def call(self, inputs: Any, states: Sequence, training: Any = None) -> tuple[Any, list]:
        """One step: `(inputs, [h_prev])` to `(h, [h])`."""
        h_prev = states[0]
        dp, rec = self._masks(inputs, h_prev, training)
        input_bias, recurrent_bias = self._biases()
        kernel, recurrent = self.kernel, self.recurrent_kernel
        if self.implementation == 1 and (dp is not None or rec is not None):
            x = []
            for g in range(3):
                x_g = K.dot(inputs if dp is None else inputs * dp[g], self._block(kernel, g))
                if input_bias is not None:
                    x_g = x_g + self._block(input_bias, g)
                x.append(x_g)
            h = [h_prev if rec is None else h_prev * rec[g] for g in range(3)]
            r_z = [K.dot(h[g], self._block(recurrent, g)) for g in range(2)]
            if recurrent_bias is not None:
                r_z = [r_z[g] + self._block(recurrent_bias, g) for g in range(2)]
            z = self.recurrent_activation(x[0] + r_z[0])
            r = self.recurrent_activation(x[1] + r_z[1])
            if self.reset_after:
                r_h = K.dot(h[2], self._block(recurrent, 2))
                if recurrent_bias is not None:
                    r_h = r_h + self._block(recurrent_bias, 2)
                r_h = r * r_h
            else:
                r_h = K.dot(r * h[2], self._block(recurrent, 2))
            hh = self.activation(x[2] + r_h)
        else:
            # Implementation 2, or 1 without dropout (the same function, fewer products).
            x_in = inputs if dp is None else inputs * dp[0]
            matrix_x = K.dot(x_in, kernel)
            if input_bias is not None:
                matrix_x = matrix_x + input_bias
            if rec is not None:
                h_prev = h_prev * rec[0]
            u = self.units
            if self.reset_after:
                inner = K.dot(h_prev, recurrent)
                if recurrent_bias is not None:
                    inner = inner + recurrent_bias
            else:
                inner = K.dot(h_prev, recurrent[:, :2 * u])
            z = self.recurrent_activation(self._block(matrix_x, 0) + self._block(inner, 0))
            r = self.recurrent_activation(self._block(matrix_x, 1) + self._block(inner, 1))
            if self.reset_after:
                r_h = r * self._block(inner, 2)
            else:
                r_h = K.dot(r * h_prev, recurrent[:, 2 * u:])
            hh = self.activation(self._block(matrix_x, 2) + r_h)
        output = z * h_prev + (1 - z) * hh
        return output, [output]

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "implementation": self.implementation,
            "reset_after": self.reset_after,
        })
        return config


class StackedRNNCells(Layer):
    """A stack of RNN cells that behaves as one cell: each step runs the cells in
    order, each on the output of the one below.

    The states are the cells' states in a flat list (`[h1, c1, h2, c2]` for two
    LSTM cells); the output is the last cell's. `RNN([cell_1, cell_2])` makes one.

    # Arguments
        cells: a list of cells.
        reverse_state_order: Keras 2.2.4's deprecated option to list the states
            from the last cell to the first.

    # Raises
        ValueError: for a cell without `call` or `state_size`.

    # Example

    ```python
    cells = [LSTMCell(32), LSTMCell(32)]
    y = RNN(StackedRNNCells(cells))(Input((None, 8)))
    ```
    """

    def __init__(self, cells: Sequence[Any], **kwargs: Any):
        cells = list(cells)
        for cell in cells:
            _check_cell(cell, "StackedRNNCells")
        self.reverse_state_order = bool(kwargs.pop("reverse_state_order", False))
        if self.reverse_state_order:
            warnings.warn("`reverse_state_order=True` in `StackedRNNCells` will soon be "
                          "deprecated: use the natural order of the states", stacklevel=2)
        super().__init__(**kwargs)
        self.cells = cells
        self.uses_rng = any(getattr(c, "uses_rng", False) for c in cells)

    def _ordered(self) -> list:
        return self.cells[::-1] if self.reverse_state_order else self.cells

    @property
    def state_size(self) -> tuple:
        """Every cell's state sizes, one flat tuple."""
        return tuple(s for cell in self._ordered() for s in _state_sizes(cell))

    @property
    def output_size(self) -> int:
        return _output_size(self.cells[-1])

    def build(self, input_shape: Shape | list) -> None:
        """Builds each cell on the output of the one below (`(batch, output_size)`)."""
        constants_shape = None
        if isinstance(input_shape, list):
            input_shape, constants_shape = input_shape[0], input_shape[1:]
        for cell in self.cells:
            _build_cell(cell, input_shape, constants_shape)
            input_shape = (input_shape[0], _output_size(cell))
        self.built = True

    def call(self, inputs: Any, states: Sequence, constants: Any = None,
             training: Any = None) -> tuple[Any, list]:
        """One step of every cell: `(inputs, flat states)` to `(output, flat states)`."""
        states = list(states)
        nested = []
        for cell in self._ordered():
            count = len(_state_sizes(cell))
            nested.append(states[:count])
            states = states[count:]
        if self.reverse_state_order:
            nested = nested[::-1]
        new_nested = []
        for cell, cell_states in zip(self.cells, nested):
            kwargs = _cell_kwargs(cell, bool(training), constants)
            if constants and not has_arg(cell.call, "constants"):
                kwargs.pop("constants")
            inputs, cell_states = cell.call(inputs, cell_states, **kwargs)
            new_nested.append(_as_list(cell_states))
        if self.reverse_state_order:
            new_nested = new_nested[::-1]
        return inputs, [s for group in new_nested for s in group]

    # The cells' weights, as Keras 2's stack reports them.

    def _layers(self) -> list[Layer]:
        return _weight_layers(self)

    @property
    def weights(self) -> list[K.Variable]:
        return [w for layer in self._layers() for w in layer.weights]

    @property
    def trainable_weights(self) -> list[K.Variable]:
        if not self.trainable:
            return []
        return [w for layer in self._layers() for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self) -> list[K.Variable]:
        weights = [w for layer in self._layers() for w in layer.non_trainable_weights]
        if not self.trainable:
            return [w for layer in self._layers() for w in layer.trainable_weights] + weights
        return weights

    def get_weights(self) -> list[np.ndarray]:
        """The cells' weights, cell after cell."""
        return [w for layer in self._layers() for w in layer.get_weights()]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Sets the cells' weights, cell after cell (see `get_weights`).

        # Raises
            ValueError: when the count or a shape differs.
        """
        weights = list(weights)
        expected = sum(len(layer.weights) for layer in self._layers())
        if len(weights) != expected:
            raise ValueError(f"StackedRNNCells {self.name!r}: set_weights expected "
                             f"{expected} arrays, got {len(weights)}")
        for layer in self._layers():
            count = len(layer.weights)
            layer.set_weights(weights[:count])
            weights = weights[count:]

    def count_params(self) -> int:
        return sum(layer.count_params() for layer in self._layers())

    @property
    def losses(self) -> list:
        return [loss for layer in self._layers() for loss in layer.losses]

    def get_config(self) -> dict:
        config = super().get_config()
        config["cells"] = [{"class_name": type(cell).__name__, "config": cell.get_config()}
                           for cell in self.cells]
        if self.reverse_state_order:
            config["reverse_state_order"] = True
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> StackedRNNCells:
        """Makes the stack from its config, each cell through `layers.deserialize`."""
        from jeras import layers as layers_module
        config = dict(config)
        cells = [layers_module.deserialize(c, custom_objects=custom_objects)
                 for c in config.pop("cells")]
        return cls(cells, **config)
