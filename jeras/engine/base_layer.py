"""The Layer base class, its weight variables, and the graph's nodes.

A layer holds its configuration and its weights as `Variable`s with identity
(`self.kernel`), whose values sit in the layer between training steps (what
`get_weights` returns). During `fit` the authoritative arrays live in the
model's train state; a compiled step binds every variable to its traced
value while a layer's `call` runs (`backend.StateScope`), and the model writes
the arrays back into its layers when a step sequence ends, the way Keras 3's
JAX trainer syncs its variables.

Layers come with one of two `call` signatures. jeras's built-in layers write
`call(self, params, inputs, *, training, rng)`, a pure function of a dict of
weight arrays; Keras 2 layers write `call(self, inputs, **kwargs)` and read
their weights from `self`. Both run under the same scope, so `add_loss`,
`K.update` and random draws behave the same in either.
"""
from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jeras import backend as K
from jeras import constraints as constraints_module
from jeras import initializers as initializers_module
from jeras import regularizers as regularizers_module
from jeras.engine.input_spec import InputSpec as InputSpec
from jeras.utils.generic_utils import get_uid, has_arg, to_snake_case

Shape = tuple


class LayerVariable(K.Variable):
    """A layer's weight: a `Variable` whose value is the layer's stored array.

    Its facts (short name, shape, trainable flag, regularizer, constraint)
    come from the layer's `WeightSpec`; its name is Keras 2's, `dense_1/kernel:0`.
    """

    def __init__(self, layer: Layer, index: int):
        self._layer = layer
        self._index = index
        self._dtype = None

    @property
    def spec(self) -> WeightSpec:
        return self._layer._specs[self._index]

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"{self._layer.name}/{self.spec.name}:0"

    @property
    def trainable(self) -> bool:  # type: ignore[override]
        return self.spec.trainable

    @property
    def constraint(self) -> Any:  # type: ignore[override]
        return self.spec.constraint

    @property
    def regularizer(self) -> Any:  # type: ignore[override]
        return self.spec.regularizer

    def _read(self) -> Any:
        return self._layer._values[self._index]

    def _write(self, value: np.ndarray) -> None:
        old = self._layer._values[self._index]
        if tuple(np.shape(value)) != tuple(old.shape):
            raise ValueError(f"Variable {self.name}: cannot assign a value of shape "
                             f"{tuple(np.shape(value))} to a variable of shape {tuple(old.shape)}")
        self._layer._values[self._index] = jnp.asarray(value, dtype=old.dtype)

    def assign(self, value: Any) -> None:
        self._write(np.asarray(value))


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

    def __init_subclass__(cls, **kwargs: Any):
        super().__init_subclass__(**kwargs)
        if "build" in cls.__dict__:
            # `layer.build(shape)` called directly (as Keras 2 tests and scripts do)
            # leaves the layer built, so a later call does not create its weights again.
            original = cls.__dict__["build"]

            @functools.wraps(original)
            def build(self: Layer, *args: Any, **kw: Any) -> None:
                original(self, *args, **kw)
                self.built = True

            cls.build = build
        if "call" in cls.__dict__ and _native_call(cls):
            # Keras 2 code calls `layer.call(inputs)` directly (2.2.4's own tests do,
            # on a Bidirectional's inner layers); jeras's pure call takes the weights
            # first, so such a call runs the layer on its current weights instead.
            pure = cls.__dict__["call"]

            @functools.wraps(pure)
            def call(self: Layer, params: Any, *args: Any, **kw: Any) -> Any:
                if isinstance(params, dict):
                    return pure(self, params, *args, **kw)
                return self._direct_call(params, training=kw.get("training"),
                                         mask=kw.get("mask"))

            cls.call = call
        if "compute_mask" in cls.__dict__:
            # Keras 2 code asks a layer for the mask of its graph input
            # (`layer.compute_mask(layer.input)`) and feeds it to `K.function`;
            # on graph tensors the mask becomes a node computed at run time.
            array_mask = cls.__dict__["compute_mask"]

            @functools.wraps(array_mask)
            def compute_mask(self: Layer, inputs: Any, mask: Any = None) -> Any:
                def symbolic_in(tree: Any) -> bool:
                    leaves = jax.tree.leaves(tree, is_leaf=lambda t: isinstance(t, SymbolicTensor))
                    return any(isinstance(t, SymbolicTensor) for t in leaves)

                if not symbolic_in(mask):
                    try:
                        # Most masks come from the given masks alone (merge layers)
                        # and need only the inputs' shapes.
                        return array_mask(self, inputs, mask)
                    except TypeError:
                        if not symbolic_in(inputs):
                            raise
                from jeras.engine import symbolic
                return symbolic.op(functools.partial(array_mask, self), (inputs, mask), {},
                                   name=f"{self.name}_mask")

            cls.compute_mask = compute_mask

    def _direct_call(self, inputs: Any, training: Any = None, mask: Any = None) -> Any:
        """`layer.call(inputs)` as Keras 2 code writes it: the outputs on the layer's
        current weights, a graph node for graph tensors, without recording a call."""
        variables = self.variables

        def run(x: Any) -> Any:
            return self.apply([K._arr(v) for v in variables], x, training=bool(training),
                              mask=mask)[0]

        flat = inputs if isinstance(inputs, (list, tuple)) else [inputs]
        if any(isinstance(t, SymbolicTensor) for t in flat):
            from jeras.engine import symbolic
            out = symbolic.op(run, (inputs,), {}, name=f"{self.name}_call")
            first = out[0] if isinstance(out, (list, tuple)) else out
            first._keras_history[0].reads = variables
            return out
        return run(inputs)

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
        self._values = []
        self._initial_weights = weights
        self._inbound_nodes: list = []
        self._outbound_nodes: list = []
        self._losses: list = []
        self._updates: list = []
        self.input_spec: Any = None
        if not _native_call(type(self)):
            # A Keras 2 layer may draw random numbers in `call` (K.dropout,
            # K.random_normal); it gets a key of its own in every step.
            self.uses_rng = True

    # Building.

    def add_weight(self, name: str | None = None, shape: Sequence[int] | None = None,
                   dtype: str | None = None, initializer: Any = None, regularizer: Any = None,
                   trainable: bool = True, constraint: Any = None) -> LayerVariable:
        """Creates a weight, records it in the layer's weight order and returns it.

        # Arguments
            name: the weight's short name (`'kernel'`, `'bias'`).
            shape: its shape.
            dtype: defaults to the layer's dtype.
            initializer: anything `initializers.get` takes (default `glorot_uniform`).
            regularizer: anything `regularizers.get` takes.
            trainable: whether the optimizer updates it.
            constraint: anything `constraints.get` takes.

        # Returns
            The weight's `Variable`: in `call`, `K.dot(inputs, self.kernel)` reads its
            value in the running step.

        # Raises
            ValueError: when called from `call` (weights are created in `build`),
                or without a shape.
        """
        if K.current_scope() is not None:
            raise ValueError(f"Layer {self.name!r}: add_weight({name!r}) was called while the "
                             "layer runs (from `call`); create weights in `build(input_shape)`")
        if shape is None:
            raise ValueError(f"Layer {self.name!r}: add_weight({name!r}) needs a `shape`")
        name = name or f"weight_{len(self._specs)}"
        init = initializers_module.get(initializer or "glorot_uniform")
        dtype = dtype or self.dtype
        value = jnp.asarray(init(tuple(shape), dtype=dtype), dtype=dtype)
        self._specs.append(WeightSpec(name, shape, trainable,
                                      regularizers_module.get(regularizer),
                                      constraints_module.get(constraint)))
        self._values.append(value)
        return self.variables[-1]

    def add_state(self, name: str, shape: Sequence[int],
                  dtype: str | None = None) -> LayerVariable:
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
        return self.variables[-1]

    def __getattr__(self, name: str) -> Any:
        # Keras 2 code reads a built-in layer's weights by name (`dense.kernel`,
        # `bn.moving_mean`), as attributes its `build` set.
        attr = getattr(type(self), name, None)
        if isinstance(attr, property):
            return attr.fget(self)
        specs = self.__dict__.get("_specs")
        if specs and not name.startswith("_"):
            for i, spec in enumerate(specs):
                if spec.name == name and not spec.state:
                    return self.variables[i]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    # What `variables` makes: a layer whose values live elsewhere (a wrapper's in
    # its inner layers) reads them through a subclass.
    _variable_class: type = LayerVariable

    @property
    def variables(self) -> list[LayerVariable]:
        """One `Variable` per entry of the layer's weight order, the same objects every time."""
        made = self.__dict__.setdefault("_variable_objects", [])
        while len(made) < len(self._specs):
            made.append(self._variable_class(self, len(made)))
        del made[len(self._specs):]
        return list(made)

    # Where the values live: in the state of the model that owns the layer
    # (`engine.model_state`), or in the layer while no model does.

    @property
    def _values(self) -> list:
        home = self.__dict__.get("_home")
        if home is not None:
            return home[0]._state.values[home[1]]
        return self.__dict__.setdefault("_own_values", [])

    @_values.setter
    def _values(self, values: Sequence) -> None:
        home = self.__dict__.get("_home")
        if home is not None:
            home[0]._state.values[home[1]] = list(values)
        else:
            self.__dict__["_own_values"] = list(values)

    def _storage_parts(self) -> list | None:
        """The layers whose values make up this one's (None: it holds its own)."""
        return None

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
        input_shape = self._build_once(input_shape)
        out = self.compute_output_shape(input_shape)
        self.output_shape = [tuple(o) for o in out] if isinstance(out, list) else tuple(out)
        return self.output_shape

    def _build_once(self, input_shape: Shape | list) -> Shape | list:
        input_shape = ([tuple(s) for s in input_shape] if isinstance(input_shape, list)
                       else tuple(input_shape))
        if not self.built:
            self.build(input_shape)
            self.built = True
            if self._initial_weights is not None:
                self.set_weights(self._initial_weights)
                self._initial_weights = None
        self.input_shape = input_shape
        return input_shape

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    #: Whether the layer computes otherwise in training than in inference
    #: beyond random draws (batch statistics).
    training_differs = False

    def _depends_on_phase(self) -> bool:
        if _native_call(type(self)):
            return bool(type(self).uses_rng or self.training_differs)
        return has_arg(type(self).call, "training")

    # The pure forward pass.

    def call(self, params: dict, inputs: jax.Array, *, training: bool = False,
             rng: jax.Array | None = None) -> jax.Array:
        """The layer's forward pass: a pure function of its weights and inputs.

        Subclasses that consume a mask declare a keyword argument `mask`
        (the mask of their input, or None); `apply` passes it only to those.
        Keras 2 layers write `call(self, inputs, **kwargs)` instead, reading
        their weights from the variables `add_weight` returned; `apply`
        passes them `training` and `mask` when their `call` takes them.

        # Arguments
            params: the layer's weights, by short name.
            inputs: the input batch.
            training: whether this is a training step (dropout, noise).
            rng: a `jax.random` key when `uses_rng` and `training`.
        """
        return inputs

    def apply(self, values: Sequence[jax.Array], inputs: Any, *, training: bool = False,
              rng: jax.Array | None = None, mask: Any = None,
              sample_mask: jax.Array | None = None,
              call_kwargs: dict | None = None) -> tuple[Any, list]:
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
            call_kwargs: further keyword arguments of a Keras 2 layer's `call`,
                as given when it was called on graph tensors.

        Layers whose forward pass changes non-trainable state (moving
        statistics) override this to return updated values.
        """
        del sample_mask
        variables = self.variables
        values = list(values)
        with K.StateScope({id(v): x for v, x in zip(variables, values)}, training=training,
                          rng=rng) as scope:
            if _native_call(type(self)):
                params = {spec.name: v for spec, v in zip(self._specs, values)}
                kwargs = {"mask": mask} if _takes_mask(self) else {}
                outputs = self.call(params, inputs, training=training, rng=rng, **kwargs)
            else:
                kwargs = dict(call_kwargs or {})
                if _takes_mask(self):
                    kwargs.setdefault("mask", mask)
                if has_arg(type(self).call, "training"):
                    kwargs.setdefault("training", training)
                outputs = self.call(inputs, **kwargs)
        own = {id(v): i for i, v in enumerate(variables)}
        for key, (_, value) in scope.updates.items():
            if key in own:
                values[own[key]] = jnp.asarray(value, values[own[key]].dtype)
        scope.hand_up(keep=set(own))
        return outputs, values

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """Returns the mask of the layer's output, given its input and input mask.

        # Raises
            TypeError: if a mask arrives at a layer that does not support masking
                (as Keras 2.2.4 does).
        """
        if mask is None or (isinstance(mask, (list, tuple))
                            and all(m is None for m in mask)):
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
        and computes the outputs eagerly (inference mode, unless `training=True`).

        # Raises
            TypeError: for a mix of symbolic and concrete inputs, or a call
                argument the layer's `call` does not take.
            ValueError: when a Keras 2 layer's `call` fails on the inputs' shapes.
        """
        if "initial_state" in kwargs and kwargs["initial_state"] is not None:
            # Keras 2 passes initial states to an RNN as extra inputs of the same call.
            state = kwargs.pop("initial_state")
            inputs = [inputs] + list(state if isinstance(state, (list, tuple)) else [state])
        kwargs.pop("initial_state", None)
        training = kwargs.pop("training", None)
        mask = kwargs.pop("mask", None)
        native = _native_call(type(self))
        if kwargs and (native or not all(has_arg(type(self).call, k, accept_all=True)
                                         for k in kwargs)):
            raise TypeError(f"Layer {self.name!r}: unsupported call argument(s) {sorted(kwargs)}")
        flat = inputs if isinstance(inputs, (list, tuple)) else [inputs]
        symbolic = [isinstance(t, SymbolicTensor) for t in flat]
        many = isinstance(inputs, (list, tuple))
        if any(symbolic):
            if not all(symbolic):
                raise TypeError(
                    f"Layer {self.name!r} was called with an input that is not a symbolic "
                    "tensor (from `Input()` or another layer's output); got "
                    f"{[type(t).__name__ for t in flat]}")
            shapes = [tuple(t.shape) for t in flat]
            call_kwargs = dict(kwargs)
            if training is not None:
                call_kwargs["training"] = bool(training)
            if native:
                out = self.ensure_built(shapes if many else shapes[0])
                multi = isinstance(out, list)
                node = Node(self, flat, out if multi else [out], call_kwargs=call_kwargs)
                return node.outputs if multi else node.outputs[0]
            from jeras.engine import symbolic as symbolic_lib
            self._build_once(shapes if many else shapes[0])
            extra = {k: v for k, v in call_kwargs.items() if k != "training"}

            def run(arrays: list) -> Any:
                return self.apply(self._values, arrays if many else arrays[0],
                                  training=bool(training), call_kwargs=extra or None)[0]

            try:
                tree, specs = symbolic_lib.infer_outputs(run, flat)
            except Exception as e:
                raise ValueError(f"Layer {self.name!r} ({type(self).__name__}): `call` failed "
                                 f"on inputs of shape {shapes if many else shapes[0]}: "
                                 f"{type(e).__name__}: {e}") from e
            declared: Any = None
            if type(self).compute_output_shape is not Layer.compute_output_shape:
                try:
                    declared = self.compute_output_shape(shapes if many else shapes[0])
                except NotImplementedError:
                    declared = None
            declared = declared if isinstance(declared, list) else [declared]
            shapes_out = [_merge_shape(s, d) for (s, _), d in
                          zip(specs, declared if len(declared) == len(specs) else
                              [None] * len(specs))]
            node = Node(self, flat, shapes_out, call_kwargs=call_kwargs,
                        dtypes=[d for _, d in specs])
            self.output_shape = shapes_out if len(shapes_out) > 1 else shapes_out[0]
            return jax.tree.unflatten(tree, node.outputs)
        del mask
        arrays = [jnp.asarray(K._arr(t)) for t in flat]
        self.ensure_built([a.shape for a in arrays] if many else arrays[0].shape)
        rng = K.rng_key() if training and self.uses_rng else None
        outputs, _ = self.apply(self._values, arrays if many else arrays[0],
                                training=bool(training), rng=rng,
                                **({"call_kwargs": kwargs} if kwargs else {}))
        penalty = self.activity_penalty(outputs) if not isinstance(outputs, list) else None
        if penalty is not None:
            # As a call on TensorFlow tensors in 2.2.4, an eager call lists its
            # activity penalty among the layer's losses.
            self.__dict__.setdefault("_eager_activity", []).append(penalty)
            self.__dict__.setdefault("_eager_activity_inputs", []).append(_input_key(inputs))
        return outputs

    # The graph: where the layer was called on symbolic tensors.

    def _node(self, node_index: int, what: str) -> Node:
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name!r} is not connected, no {what}: call it on "
                                 "a tensor from `Input()` first")
        if not -len(self._inbound_nodes) <= node_index < len(self._inbound_nodes):
            raise ValueError(f"Layer {self.name!r}: asked for node {node_index}, but the layer "
                             f"has only {len(self._inbound_nodes)} inbound node(s)")
        return self._inbound_nodes[node_index]

    def _only_node(self, what: str) -> Node:
        if len(self._inbound_nodes) > 1:
            raise AttributeError(f"Layer {self.name!r} has multiple inbound nodes, hence the "
                                 f"notion of \"layer {what}\" is ill-defined. Use "
                                 f"`get_{what}_at(node_index)` instead.")
        return self._node(0, what)

    def get_input_at(self, node_index: int) -> Any:
        """The input tensor(s) of the layer's call number `node_index`."""
        inputs = self._node(node_index, "input").inputs
        return inputs[0] if len(inputs) == 1 else list(inputs)

    def get_output_at(self, node_index: int) -> Any:
        """The output tensor(s) of the layer's call number `node_index`."""
        outputs = self._node(node_index, "output").outputs
        return outputs[0] if len(outputs) == 1 else list(outputs)

    def get_input_shape_at(self, node_index: int) -> Any:
        inputs = self._node(node_index, "input").inputs
        return inputs[0].shape if len(inputs) == 1 else [t.shape for t in inputs]

    def get_input_mask_at(self, node_index: int) -> Any:
        """The input mask of call number `node_index` (None: see `input_mask`)."""
        self._node(node_index, "input")
        return None

    def get_output_mask_at(self, node_index: int) -> Any:
        """The output mask of call number `node_index` (None: see `input_mask`)."""
        self._node(node_index, "output")
        return None

    def get_output_shape_at(self, node_index: int) -> Any:
        outputs = self._node(node_index, "output").outputs
        return outputs[0].shape if len(outputs) == 1 else [t.shape for t in outputs]

    @property
    def input(self) -> Any:
        """The input tensor(s) of the layer's one call on graph tensors.

        # Raises
            AttributeError: when the layer was never called, or called more than once.
        """
        inputs = self._only_node("input").inputs
        if not inputs:
            return self._inbound_nodes[0].outputs[0]
        return inputs[0] if len(inputs) == 1 else list(inputs)

    @property
    def output(self) -> Any:
        """The output tensor(s) of the layer's one call on graph tensors.

        # Raises
            AttributeError: when the layer was never called, or called more than once.
        """
        outputs = self._only_node("output").outputs
        return outputs[0] if len(outputs) == 1 else list(outputs)

    @property
    def input_mask(self) -> Any:
        """The mask of the layer's input in its one call (None: masks are not kept
        on graph tensors; they are computed when the model runs)."""
        self._only_node("input")
        return None

    @property
    def output_mask(self) -> Any:
        """The mask of the layer's output in its one call (see `input_mask`)."""
        self._only_node("output")
        return None

    # Losses and updates a layer adds.

    def add_loss(self, losses: Any, inputs: Any = None) -> None:
        """Adds loss terms to the layer (and to any model it is part of).

        Called from `call`, the values are the running step's and join that
        step's objective. Called on graph tensors (`K.mean(...)` of a model's
        tensors, the VAE pattern), they are computed with the model's outputs
        in every step.

        # Arguments
            losses: a tensor or a list of them; scalars or per-sample values
                (summed after a mean over the batch).
            inputs: accepted for Keras 2; losses are not tied to inputs here.
        """
        items = losses if isinstance(losses, (list, tuple)) else [losses]
        scope = K.current_scope()
        for item in items:
            if item is None:
                continue
            if scope is not None and not isinstance(item, SymbolicTensor):
                scope.losses.append(item)
            else:
                self.__dict__.setdefault("_losses", []).append(item)
                self.__dict__.setdefault("_loss_inputs", []).append(_input_key(inputs))

    def _added_losses(self) -> list:
        """The terms `add_loss` added outside `call` (what a model adds to its objective)."""
        return list(self.__dict__.get("_losses", []))

    @property
    def losses(self) -> list:
        """The layer's loss terms, as Keras 2.2.4 lists them: those added with
        `add_loss`, its weight regularizers' penalties (at the current weights),
        and its activity regularizer on each of its outputs in the graph."""
        return self._added_losses() + self._weight_losses() + self._activity_losses()

    def _weight_losses(self) -> list:
        """The weight regularizers' penalties at the current weights (2.2.4 adds them
        without inputs)."""
        specs = self.__dict__.get("_specs", [])
        return [spec.regularizer(K._arr(v)) for spec, v in zip(specs, self.variables)
                if spec.regularizer is not None]

    def _activity_losses(self, key: Any = False) -> list:
        """The activity regularizer's penalties of the layer's calls: all of them, or
        those of the calls on the inputs of `key` (an `_input_key`), as 2.2.4 ties
        them to the call's inputs."""
        found = [p for p, k in zip(self.__dict__.get("_eager_activity", []),
                                   self.__dict__.get("_eager_activity_inputs", []))
                 if key is False or k == key]
        regularizer = getattr(self, "activity_regularizer", None)
        if regularizer is not None:
            from jeras.engine import symbolic
            cache = self.__dict__.setdefault("_activity_penalties", {})
            for node in self._inbound_nodes:
                if key is not False and _input_key(node.inputs) != key:
                    continue
                for t in node.outputs:
                    if id(t) not in cache:
                        cache[id(t)] = symbolic.op(regularizer, (t,), {},
                                                   name="activity_regularizer")
                    found.append(cache[id(t)])
        return found

    def add_update(self, updates: Any, inputs: Any = None) -> None:
        """Adds state updates, `(variable, new_value)` pairs or `K.update(...)` results.

        From `call` they are recorded in the running step, which returns them
        as the variables' new values; outside it, they are kept in `updates`.

        # Arguments
            updates: an update or a list of them.
            inputs: accepted for Keras 2.
        """
        items = updates if isinstance(updates, list) else [updates]
        scope = K.current_scope()
        for item in items:
            pair = isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], K.Variable)
            if scope is not None:
                # Updates made with K.update in `call` are recorded already.
                if pair:
                    K.update(item[0], item[1])
                continue
            self.__dict__.setdefault("_updates", []).append(item)
            self.__dict__.setdefault("_update_inputs", []).append(_input_key(inputs))

    @property
    def updates(self) -> list:
        """The updates added with `add_update` outside `call`."""
        return list(getattr(self, "_updates", []))

    def get_losses_for(self, inputs: Any) -> list:
        """The losses tied to these `inputs`, as Keras 2.2.4 ties them: for None, those
        added without inputs and the weight regularizers' penalties; else those added
        with these inputs and the activity penalties of the calls on them."""
        key = _input_key(inputs)
        return self._added_losses_for(key) + (self._weight_losses() if inputs is None
                                              else self._activity_losses(key))

    def _added_losses_for(self, key: tuple | None) -> list:
        """The terms `add_loss` added to this layer itself with inputs of `key`
        (an `_input_key`; None for those added without inputs)."""
        return [item for item, k in zip(self.__dict__.get("_losses", []),
                                        self.__dict__.get("_loss_inputs", [])) if k == key]

    def get_updates_for(self, inputs: Any) -> list:
        """The updates added with these `inputs` (None: those added without inputs)."""
        key = _input_key(inputs)
        return [item for item, k in zip(self.updates, getattr(self, "_update_inputs", []))
                if k == key]

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
        variables = self.variables
        return [variables[i] for i in self._keras_order()]

    @property
    def trainable_weights(self) -> list[K.Variable]:
        if not self.trainable:
            return []
        variables = self.variables
        return [variables[i] for i, s in enumerate(self._specs) if s.trainable]

    @property
    def non_trainable_weights(self) -> list[K.Variable]:
        if not self.trainable:
            return self.weights
        variables = self.variables
        return [variables[i] for i, s in enumerate(self._specs)
                if not s.trainable and not s.state]

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


class _Shape(tuple):
    """A tensor's shape: a tuple, with TensorFlow's `as_list()` for Keras 2 code."""

    def as_list(self) -> list:
        return list(self)


def _operator(name: str, reflected: bool = False) -> Callable:
    fn = getattr(__import__("operator"), name)

    def method(self: SymbolicTensor, other: Any = None) -> Any:
        from jeras.engine import symbolic
        if name in ("neg", "pos", "abs", "invert"):
            return symbolic.op(fn, (self,), {}, name=name)
        args = (other, self) if reflected else (self, other)
        return symbolic.op(lambda a, b: fn(K._arr(a), K._arr(b)), args, {}, name=name)

    return method


class SymbolicTensor:
    """A placeholder for an array in a graph: its shape (batch axis None), dtype and origin.

    `_keras_history` is `(layer, node_index, tensor_index)`: which call of
    which layer made it, and which of that call's outputs it is. Arithmetic,
    indexing and every `K.*` function applied to it record a node of the
    graph that runs the same computation on arrays.
    """

    _jeras_symbolic = True

    def __init__(self, shape: tuple, dtype: str, layer: Layer, node_index: int,
                 tensor_index: int):
        self.shape = _Shape(shape)
        self.dtype = dtype
        self._keras_history = (layer, node_index, tensor_index)
        self._keras_shape = self.shape
        self._uses_learning_phase = False

    def get_shape(self) -> _Shape:
        return self.shape

    def __getitem__(self, item: Any) -> SymbolicTensor:
        from jeras.engine import symbolic
        return symbolic.op(lambda a, i: a[i], (self, item), {}, name="getitem")

    def __iter__(self):
        raise TypeError(f"Symbolic tensor {self.name} is not iterable; index it instead")

    def __bool__(self) -> bool:
        raise TypeError(f"Symbolic tensor {self.name} has no truth value: it stands for an "
                        "array computed when the model runs")

    __add__, __radd__ = _operator("add"), _operator("add", True)
    __sub__, __rsub__ = _operator("sub"), _operator("sub", True)
    __mul__, __rmul__ = _operator("mul"), _operator("mul", True)
    __truediv__, __rtruediv__ = _operator("truediv"), _operator("truediv", True)
    __floordiv__, __rfloordiv__ = _operator("floordiv"), _operator("floordiv", True)
    __mod__, __rmod__ = _operator("mod"), _operator("mod", True)
    __pow__, __rpow__ = _operator("pow"), _operator("pow", True)
    __matmul__, __rmatmul__ = _operator("matmul"), _operator("matmul", True)
    __lt__, __le__ = _operator("lt"), _operator("le")
    __gt__, __ge__ = _operator("gt"), _operator("ge")
    __and__, __or__ = _operator("and_"), _operator("or_")
    __neg__, __pos__ = _operator("neg"), _operator("pos")
    __abs__, __invert__ = _operator("abs"), _operator("invert")
    __hash__ = object.__hash__

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
                 output_shapes: Sequence[tuple], call_kwargs: dict | None = None,
                 dtypes: Sequence[str] | None = None):
        self.layer = layer
        self.inputs = list(inputs)
        self.call_kwargs = dict(call_kwargs or {})
        node_index = len(layer._inbound_nodes)
        layer._inbound_nodes.append(self)
        dtype = layer.dtype if inputs else getattr(layer, "input_dtype", layer.dtype)
        dtypes = list(dtypes) if dtypes is not None else [dtype] * len(output_shapes)
        self.outputs = [SymbolicTensor(shape, d, layer, node_index, i)
                        for i, (shape, d) in enumerate(zip(output_shapes, dtypes))]
        for inbound in self.inbound_layers:
            inbound.__dict__.setdefault("_outbound_nodes", []).append(self)
        # Keras 2.2.4 marks tensors whose value depends on the learning phase.
        uses_phase = (layer._depends_on_phase() and "training" not in self.call_kwargs) or any(
            getattr(t, "_uses_learning_phase", False) for t in self.inputs)
        for t in self.outputs:
            t._uses_learning_phase = uses_phase

    # Keras 2.2.4's view of a node.

    @property
    def outbound_layer(self) -> Layer:
        return self.layer

    @property
    def inbound_layers(self) -> list:
        return [t._keras_history[0] for t in self.inputs]

    @property
    def node_indices(self) -> list:
        return [t._keras_history[1] for t in self.inputs]

    @property
    def tensor_indices(self) -> list:
        return [t._keras_history[2] for t in self.inputs]

    @property
    def input_tensors(self) -> list:
        return list(self.inputs) if self.inputs else list(self.outputs)

    @property
    def output_tensors(self) -> list:
        return list(self.outputs)

    @property
    def input_shapes(self) -> list:
        return [tuple(t.shape) for t in self.input_tensors]

    @property
    def output_shapes(self) -> list:
        return [tuple(t.shape) for t in self.outputs]

    @property
    def input_masks(self) -> list:
        return [None] * len(self.input_tensors)

    @property
    def output_masks(self) -> list:
        return [None] * len(self.outputs)

    def get_config(self) -> dict:
        return {"outbound_layer": self.layer.name,
                "inbound_layers": [layer.name for layer in self.inbound_layers],
                "node_indices": self.node_indices, "tensor_indices": self.tensor_indices}


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


def _input_key(inputs: Any) -> tuple | None:
    """What `add_loss`/`add_update` remember of their `inputs`: the tensors' identities."""
    if inputs is None:
        return None
    return tuple(id(t) for t in (inputs if isinstance(inputs, (list, tuple)) else [inputs]))


def _takes_mask(layer: Layer) -> bool:
    return has_arg(type(layer).call, "mask")


@functools.cache
def _native_call(cls: type) -> bool:
    """Whether `cls.call` is jeras's pure `call(params, inputs, ...)` rather than Keras 2's."""
    names = list(inspect.signature(cls.call).parameters)
    return len(names) > 1 and names[1] == "params"


def _merge_shape(inferred: tuple, declared: Any) -> tuple:
    """The shape a Keras 2 layer's call produced, with dims it leaves unknown taken
    from its `compute_output_shape` where that agrees in rank."""
    if not isinstance(declared, tuple) or len(declared) != len(inferred):
        return tuple(inferred)
    return tuple(d if d is not None else (e if isinstance(e, int) else None)
                 for d, e in zip(inferred, declared))
