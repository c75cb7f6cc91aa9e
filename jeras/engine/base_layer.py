"""The Layer base class (configuration plus a pure `call`) and the graph's nodes.

A layer holds its configuration and, between training steps, a host-side
reference to its current weight arrays (what `get_weights` returns). During
`fit` the authoritative arrays live in the model's train state; the model
writes them back into its layers when a step sequence ends, the way Keras 3's
JAX trainer syncs its variables.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jeras import backend as K
from jeras import constraints as constraints_module
from jeras import initializers as initializers_module
from jeras import regularizers as regularizers_module
from jeras.utils.generic_utils import get_uid, has_arg, to_snake_case

Shape = tuple


class WeightSpec:
    """Static facts about one weight: its name, shape and the rules attached to it.

    A spec with `state=True` is not a weight but a value a layer carries from
    batch to batch (a stateful RNN's states): it travels with the weights
    through the train state, but is not in `weights`, `get_weights`,
    parameter counts or weights files, as Keras 2 kept such states out of them.
    """

    def __init__(self, name: str, shape: Shape, trainable: bool,
                 regularizer: Callable | None, constraint: Callable | None,
                 state: bool = False):
        self.name = name
        self.shape = tuple(shape)
        self.trainable = trainable
        self.regularizer = regularizer
        self.constraint = constraint
        self.state = state


class Layer:
    """Base class of all layers.

    Subclasses implement `build(input_shape)` (creating weights with
    `add_weight`), `call(params, inputs, *, training, rng)` (a pure function
    of the weight dict and the inputs) and `compute_output_shape`.

    # Arguments
        trainable: whether the layer's weights are updated by training.
        name: the layer's name; defaults to the snake-cased class name and a
            counter (`dense_1`, `dense_2`...), as in Keras 2.
        dtype: dtype of the layer's weights and outputs.
        input_shape: shape of one sample, for the first layer of a model.
        batch_input_shape: the full input shape with the batch dimension.
        batch_size: fixed batch size, with `input_shape`.
        weights: initial weight values, as `set_weights` takes them.

    # Raises
        TypeError: for a keyword argument no Keras 2 layer takes.
    """

    #: Whether the layer draws random numbers in training (the model then hands it a key).
    uses_rng = False
    #: Whether the layer passes an input mask through (`compute_mask`).
    supports_masking = False
    #: False for layers whose gradients XLA's CPU backend computes far slower
    #: inside a loop than at the top level (its own convolutions); `fit` then
    #: dispatches one compiled step per batch on the CPU instead of scanning.
    scan_friendly = True

    def __init__(self, trainable: bool = True, name: str | None = None, dtype: str | None = None,
                 input_shape: Sequence | None = None, batch_input_shape: Sequence | None = None,
                 batch_size: int | None = None, weights: list | None = None, **kwargs: Any):
        allowed = {"input_dim", "input_length"}
        unknown = set(kwargs) - allowed
        if unknown:
            raise TypeError(
                f"{type(self).__name__}: unexpected keyword argument(s) {sorted(unknown)}")
        if name is None:
            prefix = to_snake_case(type(self).__name__)
            name = f"{prefix}_{get_uid(prefix)}"
        if not isinstance(name, str) or not name:
            raise TypeError(f"{type(self).__name__}: `name` must be a non-empty string, "
                            f"got {name!r}")
        self.name = name
        self.trainable = bool(trainable)
        self.dtype = dtype or K.floatx()
        if batch_input_shape is None and input_shape is not None:
            batch_input_shape = (batch_size,) + _shape_tuple(input_shape, "input_shape")
        elif batch_input_shape is not None:
            batch_input_shape = _shape_tuple(batch_input_shape, "batch_input_shape")
        self.batch_input_shape = batch_input_shape
        self.built = False
        self.input_shape: Shape | None = None
        self.output_shape: Shape | None = None
        self._specs: list[WeightSpec] = []
        self._values: list[jax.Array] = []
        self._initial_weights = weights
        self._inbound_nodes: list = []

    # Building.

    def add_weight(self, name: str, shape: Sequence[int], dtype: str | None = None,
                   initializer: Any = None, regularizer: Any = None, trainable: bool = True,
                   constraint: Any = None) -> jax.Array:
        """Creates a weight, records it in the layer's weight order and returns its value.

        # Arguments
            name: the weight's short name (`'kernel'`, `'bias'`).
            shape: its shape.
            dtype: defaults to the layer's dtype.
            initializer: anything `initializers.get` takes (default `glorot_uniform`).
            regularizer: anything `regularizers.get` takes.
            trainable: whether the optimizer updates it.
            constraint: anything `constraints.get` takes.
        """
        init = initializers_module.get(initializer or "glorot_uniform")
        dtype = dtype or self.dtype
        value = jnp.asarray(init(tuple(shape), dtype=dtype), dtype=dtype)
        self._specs.append(WeightSpec(name, shape, trainable,
                                      regularizers_module.get(regularizer),
                                      constraints_module.get(constraint)))
        self._values.append(value)
        return value

    def add_state(self, name: str, shape: Sequence[int], dtype: str | None = None) -> jax.Array:
        """Creates a value carried from batch to batch (zeros at first), outside the weights.

        # Arguments
            name: the state's short name.
            shape: its shape, batch axis included.
            dtype: defaults to the layer's dtype.
        """
        dtype = dtype or self.dtype
        value = jnp.zeros(tuple(shape), dtype)
        self._specs.append(WeightSpec(name, shape, False, None, None, state=True))
        self._values.append(value)
        return value

    def _state_indices(self) -> list[int]:
        return [i for i, s in enumerate(self._specs) if s.state]

    def _reset_state_values(self) -> None:
        """Sets every state value of the layer back to zeros."""
        for i in self._state_indices():
            self._values[i] = jnp.zeros_like(self._values[i])

    def build(self, input_shape: Shape) -> None:
        """Creates the layer's weights for inputs of `input_shape` (batch axis included)."""
        self.built = True

    def ensure_built(self, input_shape: Shape | list) -> Shape | list:
        """Builds the layer once and returns its output shape for `input_shape`.

        `input_shape` is a list of shapes for a layer called on several tensors;
        the result is a list of shapes for a layer with several outputs.
        """
        input_shape = ([tuple(s) for s in input_shape] if isinstance(input_shape, list)
                       else tuple(input_shape))
        if not self.built:
            self.build(input_shape)
            self.built = True
            if self._initial_weights is not None:
                self.set_weights(self._initial_weights)
                self._initial_weights = None
        self.input_shape = input_shape
        out = self.compute_output_shape(input_shape)
        self.output_shape = [tuple(o) for o in out] if isinstance(out, list) else tuple(out)
        return self.output_shape

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    # The pure forward pass.

    def call(self, params: dict, inputs: jax.Array, *, training: bool = False,
             rng: jax.Array | None = None) -> jax.Array:
        """The layer's forward pass: a pure function of its weights and inputs.

        Subclasses that consume a mask declare a keyword argument `mask`
        (the mask of their input, or None); `apply` passes it only to those.

        # Arguments
            params: the layer's weights, by short name.
            inputs: the input batch.
            training: whether this is a training step (dropout, noise).
            rng: a `jax.random` key when `uses_rng` and `training`.
        """
        return inputs

    def apply(self, values: Sequence[jax.Array], inputs: Any, *, training: bool = False,
              rng: jax.Array | None = None, mask: Any = None,
              sample_mask: jax.Array | None = None) -> tuple[Any, list]:
        """Runs `call` on the weight list; returns `(outputs, new weight list)`.

        # Arguments
            values: the layer's weights, in its weight order.
            inputs: the input batch.
            training: whether this is a training step.
            rng: a `jax.random` key for layers that use randomness.
            mask: the mask of the inputs (from `Embedding(mask_zero=True)`
                or `Masking`), or None.
            sample_mask: which rows of the batch are real samples; the
                epoch's short last batch is padded to full size, and layers
                that compute batch statistics must skip the padding.

        Layers whose forward pass changes non-trainable state (moving
        statistics) override this to return updated values.
        """
        del sample_mask
        params = {spec.name: v for spec, v in zip(self._specs, values)}
        kwargs = {"mask": mask} if _takes_mask(self) else {}
        return self.call(params, inputs, training=training, rng=rng, **kwargs), list(values)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """Returns the mask of the layer's output, given its input and input mask.

        # Raises
            TypeError: if a mask arrives at a layer that does not support masking
                (as Keras 2.2.4 does).
        """
        if mask is None:
            return None
        if not self.supports_masking:
            raise TypeError(f"Layer {self.name} ({type(self).__name__}) does not support "
                            "masking, but was passed an input mask (from an Embedding with "
                            "mask_zero=True or a Masking layer below it)")
        return mask

    def __call__(self, inputs: Any, **kwargs: Any) -> Any:
        """Calls the layer.

        On symbolic tensors (from `Input`) this records the call in the graph
        and returns symbolic outputs; on arrays it builds the layer if needed
        and computes the outputs eagerly (inference mode).

        # Raises
            TypeError: for a mix of symbolic and concrete inputs.
        """
        if "initial_state" in kwargs and kwargs["initial_state"] is not None:
            # Keras 2 passes initial states to an RNN as extra inputs of the same call.
            state = kwargs.pop("initial_state")
            inputs = [inputs] + list(state if isinstance(state, (list, tuple)) else [state])
        kwargs.pop("training", None)
        if kwargs:
            raise TypeError(f"Layer {self.name!r}: unsupported call argument(s) {sorted(kwargs)}")
        flat = inputs if isinstance(inputs, (list, tuple)) else [inputs]
        symbolic = [isinstance(t, SymbolicTensor) for t in flat]
        if any(symbolic):
            if not all(symbolic):
                raise TypeError(
                    f"Layer {self.name!r} was called with an input that is not a symbolic "
                    "tensor (from `Input()` or another layer's output); got "
                    f"{[type(t).__name__ for t in flat]}")
            shapes = [t.shape for t in flat]
            out = self.ensure_built(shapes if isinstance(inputs, (list, tuple)) else shapes[0])
            multi = isinstance(out, list)
            node = Node(self, flat, out if multi else [out])
            return node.outputs if multi else node.outputs[0]
        arrays = [jnp.asarray(t) for t in flat]
        self.ensure_built([a.shape for a in arrays] if isinstance(inputs, (list, tuple))
                          else arrays[0].shape)
        outputs, _ = self.apply(self._values, arrays if isinstance(inputs, (list, tuple))
                                else arrays[0], training=False)
        return outputs

    # Weights.

    @property
    def weight_specs(self) -> list[WeightSpec]:
        return list(self._specs)

    def _keras_order(self) -> list[int]:
        """Indices of the weights in Keras 2 order: trainable ones first, then the others.

        States (`add_state`) are not weights and are left out.
        """
        return ([i for i, s in enumerate(self._specs) if s.trainable]
                + [i for i, s in enumerate(self._specs) if not s.trainable and not s.state])

    @property
    def weights(self) -> list[K.Variable]:
        """The weights as variables named like Keras 2's (`dense_1/kernel:0`).

        In Keras 2 order, the order of `get_weights` and of weights files:
        trainable weights first, then non-trainable ones, whatever `trainable` says.
        """
        return [self._weight_view(i) for i in self._keras_order()]

    @property
    def trainable_weights(self) -> list[K.Variable]:
        if not self.trainable:
            return []
        return [self._weight_view(i) for i, s in enumerate(self._specs) if s.trainable]

    @property
    def non_trainable_weights(self) -> list[K.Variable]:
        if not self.trainable:
            return self.weights
        return [self._weight_view(i) for i, s in enumerate(self._specs)
                if not s.trainable and not s.state]

    def _weight_view(self, i: int) -> K.Variable:
        def setter(value: np.ndarray) -> None:
            self._values[i] = jnp.asarray(value, dtype=self._values[i].dtype)
        return K.StateView(lambda: self._values[i], setter, str(self._values[i].dtype),
                           name=f"{self.name}/{self._specs[i].name}:0")

    def get_weights(self) -> list[np.ndarray]:
        """Returns the layer's weights as numpy arrays, in Keras 2 order (see `weights`)."""
        return [np.asarray(self._values[i]) for i in self._keras_order()]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Sets the layer's weights from numpy arrays, in Keras 2 order (see `weights`).

        # Raises
            ValueError: when the count or a shape differs from the layer's weights.
        """
        weights = list(weights)
        order = self._keras_order()
        if len(weights) != len(order):
            raise ValueError(
                f"Layer {self.name!r}: set_weights expected a list of {len(order)} "
                f"arrays ({[self._specs[i].name for i in order]}), got {len(weights)}")
        new = list(self._values)
        for i, w in zip(order, weights):
            spec, old = self._specs[i], self._values[i]
            arr = np.asarray(w)
            if arr.shape != tuple(old.shape):
                raise ValueError(
                    f"Layer {self.name!r}: weight {spec.name!r} has shape {tuple(old.shape)}, "
                    f"but set_weights got an array of shape {arr.shape}")
            new[i] = jnp.asarray(arr, dtype=old.dtype)
        self._values = new

    def count_params(self) -> int:
        if not self.built:
            raise ValueError(f"Layer {self.name!r}: count_params needs the layer to be built "
                             "(give the model an input_shape or call build first)")
        return int(sum(int(np.prod(s.shape, dtype=np.int64)) for s in self._specs
                       if not s.state))

    # Regularization and constraints.

    def weight_penalty(self, values: Sequence[jax.Array]) -> jax.Array:
        """The sum of the weight regularizers' penalties for these weight values."""
        total = jnp.zeros((), K.floatx())
        for spec, v in zip(self._specs, values):
            if spec.regularizer is not None:
                total = total + spec.regularizer(v)
        return total

    def activity_penalty(self, outputs: jax.Array) -> jax.Array | None:
        regularizer = getattr(self, "activity_regularizer", None)
        if regularizer is None:
            return None
        return regularizer(outputs)

    # Serialization.

    def get_config(self) -> dict:
        """Returns the layer's configuration with Keras 2's keys."""
        config: dict[str, Any] = {"name": self.name, "trainable": self.trainable}
        if self.batch_input_shape is not None:
            config["batch_input_shape"] = self.batch_input_shape
        config["dtype"] = self.dtype
        return config

    @classmethod
    def from_config(cls, config: dict) -> Layer:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"


class SymbolicTensor:
    """A placeholder for an array in a graph: its shape (batch axis None), dtype and origin.

    `_keras_history` is `(layer, node_index, tensor_index)`: which call of
    which layer made it, and which of that call's outputs it is.
    """

    def __init__(self, shape: tuple, dtype: str, layer: Layer, node_index: int,
                 tensor_index: int):
        self.shape = tuple(shape)
        self.dtype = dtype
        self._keras_history = (layer, node_index, tensor_index)
        self._keras_shape = self.shape

    @property
    def name(self) -> str:
        layer, node_index, tensor_index = self._keras_history
        return f"{layer.name}/{node_index}:{tensor_index}"

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"<SymbolicTensor {self.name} shape={self.shape} dtype={self.dtype}>"


class Node:
    """One call of a layer on symbolic tensors.

    # Arguments
        layer: the layer called.
        inputs: the tensors it was called on (empty for an input layer).
        output_shapes: the shapes it produced, one per output.
        call_kwargs: keyword arguments of the call, kept for the config.
    """

    def __init__(self, layer: Layer, inputs: Sequence[SymbolicTensor],
                 output_shapes: Sequence[tuple], call_kwargs: dict | None = None):
        self.layer = layer
        self.inputs = list(inputs)
        self.call_kwargs = dict(call_kwargs or {})
        node_index = len(layer._inbound_nodes)
        layer._inbound_nodes.append(self)
        dtype = layer.dtype if inputs else getattr(layer, "input_dtype", layer.dtype)
        self.outputs = [SymbolicTensor(shape, dtype, layer, node_index, i)
                        for i, shape in enumerate(output_shapes)]


def _shape_tuple(shape: Any, argument: str) -> tuple:
    if isinstance(shape, int):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(f"`{argument}` must be a tuple of ints, got {shape!r}") from None
    for d in dims:
        if d is not None and (not isinstance(d, (int, np.integer)) or isinstance(d, bool) or d < 0):
            raise ValueError(f"`{argument}` must be a tuple of non-negative ints or None, "
                             f"got {shape!r}")
    return tuple(None if d is None else int(d) for d in dims)


def _takes_mask(layer: Layer) -> bool:
    return has_arg(type(layer).call, "mask")
