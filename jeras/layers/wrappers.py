"""Layer wrappers: TimeDistributed and Bidirectional.

A wrapper answers for the weights of the layers it wraps: its weight list is
theirs, in order (Bidirectional: forward then backward), so the model's train
state, `get_weights` and HDF5 files see one flat list as in Keras 2.2.4. The
values stay in the inner layers (the wrapper reads and writes them there), so
`wrapper.layer.get_weights()` and `wrapper.layer.kernel` always agree with the
wrapper's. Losses and updates are the inner layers' too, as 2.2.4 lists them.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jeras import backend as K
from jeras.engine.base_layer import Layer, LayerVariable, Shape, WeightSpec, _input_key
from jeras.layers.recurrent import graph_states
from jeras.utils.generic_utils import object_list_uid

__all__ = ["Bidirectional", "TimeDistributed", "Wrapper"]


def _as_list(x: Any) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _layer_from(config: dict, custom_objects: dict | None = None) -> Layer:
    from jeras import layers as layers_module
    return layers_module.deserialize(config, custom_objects)


class _WrappedSpec(WeightSpec):
    """The wrapper's spec of one inner weight: the inner facts under the wrapper's name.

    Trainable while the inner weight and the inner layer are, read at each
    access, so freezing the inner layer after the wrapper is built freezes it
    here too (Keras 2.2.4's wrappers read the inner layer's `trainable_weights`).
    """

    def __init__(self, prefix: str, layer: Layer, index: int):
        spec = layer.weight_specs[index]
        self._layer, self._index = layer, index
        self.name = prefix + spec.name
        self.shape = tuple(spec.shape)
        self.regularizer = spec.regularizer
        self.constraint = spec.constraint
        self.state = spec.state

    @property
    def trainable(self) -> bool:  # type: ignore[override]
        return bool(self._layer.trainable and self._layer.weight_specs[self._index].trainable)


class _WrapperVariable(LayerVariable):
    """A wrapper's weight variable: assigning it writes the inner layer's value."""

    def _write(self, value: np.ndarray) -> None:
        values = self._layer._values
        old = values[self._index]
        if tuple(np.shape(value)) != tuple(old.shape):
            raise ValueError(f"Variable {self.name}: cannot assign a value of shape "
                             f"{tuple(np.shape(value))} to a variable of shape {tuple(old.shape)}")
        values[self._index] = jnp.asarray(value, dtype=old.dtype)
        self._layer._values = values


class Wrapper(Layer):
    """Base class of the layer wrappers.

    # Arguments
        layer: the wrapped `Layer` instance.

    # Raises
        TypeError: if `layer` is not a Layer.
    """

    _variable_class = _WrapperVariable

    def __init__(self, layer: Layer, **kwargs: Any):
        if not isinstance(layer, Layer):
            raise TypeError(f"{type(self).__name__}: `layer` must be a Layer instance, got "
                            f"{layer!r}")
        # As in 2.2.4 the wrapper's `trainable` is the inner layer's; an explicit
        # `trainable=` sets it, the default leaves a frozen inner layer frozen.
        trainable = kwargs.pop("trainable", None)
        super().__init__(**kwargs)
        self.layer = layer
        if trainable is not None:
            self.trainable = trainable
        # The inner layer's input for each input of the wrapper (2.2.4's `_input_map`).
        self._input_map: dict[str, Any] = {}

    def _inner_layers(self) -> list[Layer]:
        """The layers whose weights are the wrapper's, in weight order."""
        layer = self.__dict__.get("layer")
        return [] if layer is None else [layer]

    @property
    def trainable(self) -> bool:
        inner = self._inner_layers()
        return bool(inner[0].trainable) if inner else self.__dict__.get("_trainable", True)

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self.__dict__["_trainable"] = bool(value)
        for layer in self._inner_layers():
            layer.trainable = bool(value)

    @property
    def _values(self) -> list:
        return [v for layer in self._inner_layers() for v in layer._values]

    @_values.setter
    def _values(self, values: Sequence) -> None:
        values = list(values)
        for layer in self._inner_layers():
            k = len(layer.weight_specs)
            layer._values = values[:k]
            values = values[k:]


    def _storage_parts(self) -> list:
        return self._inner_layers()

    def _reset_state_values(self) -> None:
        for layer in self._inner_layers():
            layer._reset_state_values()

    def _adopt(self, prefixes: Sequence[str]) -> None:
        """Takes the built inner layers' weights as this layer's, in order."""
        self._specs = [_WrappedSpec(prefix, layer, i)
                       for layer, prefix in zip(self._inner_layers(), prefixes)
                       for i in range(len(layer.weight_specs))]

    @property
    def activity_regularizer(self) -> Any:
        """The inner layer's activity regularizer, applied to the wrapper's output."""
        inner = self._inner_layers()
        return getattr(inner[0], "activity_regularizer", None) if inner else None

    def _depends_on_phase(self) -> bool:
        return any(layer._depends_on_phase() for layer in self._inner_layers())

    # Losses and updates: the wrapper's own and its inner layers', as 2.2.4 lists them.

    def _added_losses(self) -> list:
        found = list(self.__dict__.get("_losses", []))
        for layer in self._inner_layers():
            found.extend(layer._added_losses())
        return found

    def get_losses_for(self, inputs: Any) -> list:
        """The losses tied to `inputs`: the wrapper's, and for None (weight penalties
        and losses added without inputs) the inner layers' added ones as well."""
        found = super().get_losses_for(inputs)
        return found + (self._inner_added_losses_for(None) if inputs is None else [])

    def _inner_added_losses_for(self, inputs: Any) -> list:
        """The terms the inner layers' `add_loss` tied to `inputs`."""
        key = _input_key(inputs)
        return [item for layer in self._inner_layers() for item in layer._added_losses_for(key)]

    @property
    def updates(self) -> list:
        """The inner layers' updates (those `add_update` added and, for a layer that
        updates state when it runs, such as `BatchNormalization`, one set per call of
        the wrapper), then the wrapper's own; none while frozen."""
        found: list = []
        for layer in self._inner_layers():
            found.extend(layer.updates)
        for node in self._inbound_nodes:
            found.extend(self._node_updates(node))
        return found + super().updates

    def _node_updates(self, node: Any) -> list:
        """The inner layer's state updates for one call of the wrapper (none by default)."""
        del node
        return []

    def get_updates_for(self, inputs: Any) -> list:
        """The updates tied to `inputs` (None: those added without inputs), the inner
        layers' first (their inputs are the wrapper's, or `_input_map`'s for them)."""
        inner_inputs = inputs
        if inputs is not None:
            inner_inputs = self._input_map.get(object_list_uid(inputs), inputs)
        found: list = []
        for layer in self._inner_layers():
            found.extend(layer.get_updates_for(inner_inputs))
        key = _input_key(inputs)
        return found + [item for item, k in zip(self.__dict__.get("_updates", []),
                                                self.__dict__.get("_update_inputs", []))
                        if k == key]

    def get_config(self) -> dict:
        config = super().get_config()
        config["layer"] = {"class_name": type(self.layer).__name__,
                           "config": self.layer.get_config()}
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> Wrapper:
        config = dict(config)
        layer = _layer_from(config.pop("layer"), custom_objects)
        return cls(layer, **config)


class TimeDistributed(Wrapper):
    """Applies a layer to every time step (axis 1) of its input, with the same weights.

    The wrapped layer sees `(batch * timesteps, ...)`; its weights are this
    layer's. An input mask `(batch, timesteps, ...)` reaches a wrapped layer
    that takes one as `(batch * timesteps, ...)`; the output mask is the
    wrapped layer's, with the time axis restored, or (when it gives none) the
    input mask reduced to `(batch, timesteps)`, as in Keras 2.2.4. In
    training, a wrapped `BatchNormalization` counts each time step of the real
    rows of the batch as a sample.

    # Arguments
        layer: the `Layer` (or model) to apply at each step.

    # Input shape
        `(batch, timesteps, ...)`, of rank at least 3.

    # Output shape
        `(batch, timesteps) + layer_output_shape[1:]`.

    # Raises
        TypeError: if `layer` is not a Layer.
        ValueError: for an input of rank below 3.
    """

    supports_masking = True

    def __init__(self, layer: Layer, **kwargs: Any):
        super().__init__(layer, **kwargs)
        self.uses_rng = layer.uses_rng

    def _inner_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) < 3:
            raise ValueError(f"TimeDistributed {self.name!r}: expected an input of rank at "
                             f"least 3 (batch, timesteps, ...), got shape {tuple(input_shape)}")
        return (None,) + tuple(input_shape[2:])

    def build(self, input_shape: Shape) -> None:
        self.layer.ensure_built(self._inner_shape(input_shape))
        self._adopt([""])

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        inner = self.layer.compute_output_shape(self._inner_shape(input_shape))
        return (input_shape[0], input_shape[1]) + tuple(inner[1:])

    def __call__(self, inputs: Any, **kwargs: Any) -> Any:
        outputs = super().__call__(inputs, **kwargs)
        if K._is_symbolic(inputs):
            # What the wrapped layer sees of this input, as a graph tensor (2.2.4's
            # `_input_map`): its updates and masks are computed from it.
            uid = object_list_uid(inputs)
            if uid not in self._input_map:
                from jeras.engine import symbolic
                self._input_map[uid] = symbolic.op(_merge_time, (inputs,), {},
                                                   name=f"{self.name}_inner_input")
        return outputs

    def apply(self, values: Sequence[jax.Array], inputs: Any, *, training: bool = False,
              rng: jax.Array | None = None, mask: Any = None,
              sample_mask: jax.Array | None = None) -> tuple[Any, list]:
        """Runs the wrapped layer on `(batch * timesteps, ...)` and restores the time axis."""
        batch, steps = inputs.shape[0], inputs.shape[1]
        rows = None if sample_mask is None else jnp.repeat(sample_mask, steps)
        inner_mask = None if mask is None else _merge_time(mask)
        outputs, new_values = self.layer.apply(values, _merge_time(inputs), training=training,
                                               rng=rng, mask=inner_mask, sample_mask=rows)
        return outputs.reshape((batch, steps) + outputs.shape[1:]), new_values

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The output mask (see the class doc); a graph tensor for graph tensors."""
        if K._is_symbolic(inputs) or K._is_symbolic(mask):
            from jeras.engine import symbolic
            return symbolic.op(self._output_mask, (inputs, mask), {},
                               name=f"{self.name}_mask")
        return self._output_mask(inputs, mask)

    def _output_mask(self, inputs: Any, mask: Any) -> Any:
        inputs = K._arr(inputs)
        inner_mask = None if mask is None else _merge_time(mask)
        output_mask = self.layer.compute_mask(_merge_time(inputs), inner_mask)
        if output_mask is None:
            if mask is None:
                return None
            # The wrapped layer consumes the mask of each step's features: a step is
            # kept where any of them is.
            if mask.ndim > 2:
                mask = jnp.any(mask.reshape(mask.shape[:2] + (-1,)), axis=-1)
            return mask
        return output_mask.reshape(inputs.shape[:2] + output_mask.shape[1:])

    def _node_updates(self, node: Any) -> list:
        """The wrapped layer's state updates for one call of the wrapper, computed from
        the inner input that call gives it (a wrapped `BatchNormalization`'s moving
        statistics)."""
        inner = getattr(self.layer, "_node_updates", None)
        if inner is None or not node.inputs:
            return []
        calls = self.__dict__.setdefault("_inner_calls", {})
        if id(node) not in calls:
            x = node.inputs[0]
            seen = self._input_map.get(object_list_uid(x))
            if seen is None:
                from jeras.engine import symbolic
                seen = symbolic.op(_merge_time, (x,), {}, name=f"{self.name}_inner_input")
            calls[id(node)] = _InnerCall([seen], dict(node.call_kwargs))
        return inner(calls[id(node)])


class _InnerCall:
    """A wrapped layer's view of one call of its wrapper: its input and call arguments."""

    def __init__(self, inputs: list, call_kwargs: dict):
        self.inputs = inputs
        self.call_kwargs = call_kwargs


def _merge_time(x: Any) -> Any:
    """`(batch, timesteps, ...)` as `(batch * timesteps, ...)`."""
    return x.reshape((x.shape[0] * x.shape[1],) + tuple(x.shape[2:]))


class Bidirectional(Wrapper):
    """Runs a recurrent layer forwards and backwards over the sequence and merges the two.

    The backward copy is made from the layer's config with `go_backwards`
    flipped; with `return_sequences` its output is reversed back into time
    order before merging. Weights, in order: the forward layer's, then the
    backward layer's (named `forward_<name>/...`, `backward_<name>/...`).

    # Arguments
        layer: a recurrent layer (`SimpleRNN`, `LSTM`, `GRU`).
        merge_mode: `'concat'` (default), `'sum'`, `'mul'`, `'ave'` or None
            (a list `[forward, backward]`).
        weights: initial weights, forward layer's then backward layer's.

    # Input shape
        `(batch, timesteps, input_dim)`, with an optional mask `(batch, timesteps)`.

    # Output shape
        The wrapped layer's, with the last axis doubled for `'concat'`; with
        `return_state`, `[output] + forward_states + backward_states`.

    # Raises
        TypeError: if `layer` is not a Layer.
        ValueError: for an unknown `merge_mode`, or a layer without `go_backwards`.
    """

    supports_masking = True
    merge_modes = ("sum", "mul", "concat", "ave", None)

    def __init__(self, layer: Layer, merge_mode: str | None = "concat", **kwargs: Any):
        trainable = kwargs.pop("trainable", None)
        super().__init__(layer, **kwargs)
        if merge_mode not in self.merge_modes:
            raise ValueError(f"Bidirectional: `merge_mode` must be one of "
                             f"{list(self.merge_modes)}, got {merge_mode!r}")
        config = layer.get_config()
        if "go_backwards" not in config:
            raise ValueError(f"Bidirectional: `layer` must be a recurrent layer with "
                             f"`go_backwards`, got {type(layer).__name__}")
        self.merge_mode = merge_mode
        config.pop("batch_input_shape", None)
        cls = type(layer)
        self.forward_layer = cls.from_config({**config, "name": "forward_" + layer.name})
        self.backward_layer = cls.from_config({**config, "name": "backward_" + layer.name,
                                               "go_backwards": not config["go_backwards"]})
        self.trainable = layer.trainable if trainable is None else trainable
        self.return_sequences = bool(config.get("return_sequences", False))
        self.return_state = bool(config.get("return_state", False))
        self.stateful = bool(config.get("stateful", False))
        self.uses_rng = layer.uses_rng
        self._num_constants: int | None = None

    def _inner_layers(self) -> list[Layer]:
        found = [self.__dict__.get("forward_layer"), self.__dict__.get("backward_layer")]
        return [layer for layer in found if layer is not None]

    def _set_num_constants(self, count: int | None) -> None:
        self._num_constants = count
        for layer in self._inner_layers():
            layer._num_constants = count

    def __call__(self, inputs: Any, initial_state: Any = None, constants: Any = None,
                 **kwargs: Any) -> Any:
        """Calls the layer; `initial_state` (the forward layer's states, then the backward
        layer's) and `constants` (handed to both) join the inputs, as in Keras 2.2.4.

        # Arguments
            inputs: the sequence, or the list `[sequence] + initial states + constants`
                (as a loaded model calls the layer).
            initial_state: a list of tensors, the forward states then the backward ones.
            constants: a tensor or list of tensors for the wrapped RNN's cell.

        # Raises
            ValueError: for an `initial_state` that is not a list of states of both
                directions (an odd count), or inputs given both ways.
        """
        if isinstance(inputs, (list, tuple)):
            if initial_state is not None or constants is not None:
                raise ValueError(f"Bidirectional {self.name!r}: give `initial_state` and "
                                 "`constants` either as keyword arguments or as extra "
                                 "inputs, not both")
            inputs, states, constants = self._split(list(inputs))
            states = list(states[0]) + list(states[1])
        else:
            states = [] if initial_state is None else _as_list(initial_state)
            constants = None if constants is None else _as_list(constants)
            if constants is not None:
                self._set_num_constants(len(constants))
        if len(states) % 2:
            raise ValueError(f"Bidirectional {self.name!r}: `initial_state` must be a list "
                             "holding the states of the forward layer, then those of the "
                             f"backward layer (an even count); got {initial_state!r}")
        full = [inputs] + graph_states(inputs, states) + list(constants or [])
        return super().__call__(full if len(full) > 1 else inputs, **kwargs)

    def _split(self, items: list) -> tuple[Any, tuple[list, list], list]:
        """`[x] + forward states + backward states + constants` (tensors or shapes) as
        `(x, (forward states, backward states), constants)`."""
        k = self._num_constants or 0
        constants = items[len(items) - k:] if k else []
        states = items[1:len(items) - k]
        half = len(states) // 2
        return items[0], (states[:half], states[half:]), constants

    def _directions(self, items: Any) -> tuple[Any, Any]:
        """What the forward and the backward layer are called on for these inputs."""
        if not isinstance(items, list):
            return items, items
        x, (forward, backward), constants = self._split(items)

        def one(states: list) -> Any:
            own = [x] + list(states) + list(constants)
            return own if len(own) > 1 else x
        return one(forward), one(backward)

    def build(self, input_shape: Shape | list) -> None:
        for layer, shape in zip(self._inner_layers(), self._directions(input_shape)):
            layer.ensure_built(shape)
        self._adopt([self.forward_layer.name + "/", self.backward_layer.name + "/"])

    def compute_output_shape(self, input_shape: Shape | list) -> Any:
        shape = self.forward_layer.compute_output_shape(self._directions(input_shape)[0])
        states: list = []
        if self.return_state:
            states = list(shape[1:]) * 2
            shape = shape[0]
        if self.merge_mode == "concat":
            shape = tuple(shape[:-1]) + (shape[-1] * 2,)
        outputs = [shape, shape] if self.merge_mode is None else [shape]
        if self.return_state or self.merge_mode is None:
            return outputs + states
        return shape

    def _merge(self, y: jax.Array, y_rev: jax.Array) -> Any:
        if self.merge_mode == "concat":
            return jnp.concatenate([y, y_rev], axis=-1)
        if self.merge_mode == "sum":
            return y + y_rev
        if self.merge_mode == "ave":
            return (y + y_rev) / 2
        if self.merge_mode == "mul":
            return y * y_rev
        return [y, y_rev]

    def apply(self, values: Sequence[jax.Array], inputs: Any, *, training: bool = False,
              rng: jax.Array | None = None, mask: Any = None,
              sample_mask: jax.Array | None = None) -> tuple[Any, list]:
        """Runs both directions, re-reverses the backward sequence and merges."""
        n = len(self.forward_layer._specs)
        keys = (None, None) if rng is None else tuple(jax.random.split(rng))
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        forward_inputs, backward_inputs = self._directions(
            list(inputs) if isinstance(inputs, (list, tuple)) else inputs)
        y, forward_values = self.forward_layer.apply(
            values[:n], forward_inputs, training=training, rng=keys[0], mask=mask,
            sample_mask=sample_mask)
        y_rev, backward_values = self.backward_layer.apply(
            values[n:], backward_inputs, training=training, rng=keys[1], mask=mask,
            sample_mask=sample_mask)
        states: list = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = jnp.flip(y_rev, axis=1)
        merged = self._merge(y, y_rev)
        if self.return_state:
            merged = (merged if isinstance(merged, list) else [merged]) + states
        return merged, list(forward_values) + list(backward_values)

    def reset_states(self) -> None:
        """Sets the carried states of both directions back to zeros (stateful layers).

        # Raises
            AttributeError: if the wrapped layer is not stateful.
        """
        if not self.stateful:
            raise AttributeError(f"Bidirectional {self.name!r}: reset_states needs a stateful "
                                 "recurrent layer (stateful=True)")
        self._reset_state_values()

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        masks = [output_mask, output_mask] if self.merge_mode is None else [output_mask]
        if self.return_state:
            state_count = len(self.forward_layer.compute_output_shape((None, None, 1))) - 1
            return masks + [None] * (2 * state_count)
        return masks if self.merge_mode is None else output_mask

    # Losses and updates: the wrapper's own, then both directions' (2.2.4's order).

    def get_losses_for(self, inputs: Any) -> list:
        return Layer.get_losses_for(self, inputs) + self._inner_added_losses_for(inputs)

    def get_config(self) -> dict:
        config = super().get_config()
        config["merge_mode"] = self.merge_mode
        if self._num_constants is not None:
            config["num_constants"] = self._num_constants
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> Bidirectional:
        """Makes the layer from its config (the wrapped layer through `layers.deserialize`).

        # Arguments
            config: as `get_config` returns it.
            custom_objects: user classes by name (a custom RNN cell's class).
        """
        config = dict(config)
        num_constants = config.pop("num_constants", None)
        layer = _layer_from(config.pop("layer"), custom_objects)
        wrapper = cls(layer, **config)
        wrapper._set_num_constants(num_constants)
        return wrapper
