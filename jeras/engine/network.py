"""Network: a graph of layers that is itself a layer.

`Network` holds what every container shares (weights gathered from its
layers in Keras 2 order, use as a layer inside another model) and the
functional graph: `Model(inputs, outputs)` walks the nodes recorded when
layers were called on symbolic tensors and runs them, in topological order,
as one pure function.
"""
from __future__ import annotations

import copy
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jeras import backend as K
from jeras.engine import model_state
from jeras.engine.base_layer import Layer, Node, SymbolicTensor, WeightSpec, _input_key
from jeras.engine.input_layer import InputLayer
from jeras.utils.generic_utils import get_uid, to_snake_case


class Forward(NamedTuple):
    """What a model's pure forward pass returns."""
    outputs: list
    #: Per output, the mask of its time steps (or None).
    masks: list
    #: The weights after the pass (moving statistics updated in training).
    weights: list
    #: The sum of the activity regularizers' penalties.
    activity: Any


def _to_list(x: Any) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


class Network(Layer):
    """A container of layers; with `inputs` and `outputs`, a functional graph.

    # Arguments
        inputs: a symbolic tensor from `Input()`, or a list of them.
        outputs: the symbolic tensor(s) computed from `inputs`.
        name: the model's name.

    # Raises
        ValueError: if the graph does not connect the inputs to the outputs,
            or two layers share a name.
        TypeError: if `inputs`/`outputs` are not symbolic tensors.
    """

    def __init__(self, inputs: Any = None, outputs: Any = None, name: str | None = None):
        # A container is a layer, but its weights live in its layers, so the
        # Layer constructor's per-weight bookkeeping does not apply.
        if name is None:
            prefix = to_snake_case(type(self).__name__)
            name = f"{prefix}_{get_uid(prefix)}"
        self.name = name
        self.trainable = True
        self.dtype = K.floatx()
        self._initial_weights = None
        self._inbound_nodes: list = []
        self._outbound_nodes: list = []
        self.input_spec = None
        self._losses: list = []
        self._updates: list = []
        self._loss_graphs: dict = {}
        self._graph: _Graph | None = None
        self._state = model_state.empty_state()
        if inputs is not None or outputs is not None:
            self._graph = _Graph(_to_list(inputs), _to_list(outputs), self.name)
            self._inputs_were_list = isinstance(inputs, (list, tuple))
            self._outputs_were_list = isinstance(outputs, (list, tuple))
            model_state.claim(self, self.layers)

    # The graph: what subclasses (Sequential) replace.

    @property
    def layers(self) -> list[Layer]:
        return list(self._graph.layers) if self._graph else []

    @property
    def built(self) -> bool:
        return self._graph is not None

    @built.setter
    def built(self, value: bool) -> None:
        pass

    @property
    def inputs(self) -> list[SymbolicTensor]:
        return list(self._graph.inputs)

    @property
    def outputs(self) -> list[SymbolicTensor]:
        return list(self._graph.outputs)

    @property
    def input(self) -> Any:
        """The model's input tensor (a list of them for several inputs)."""
        inputs = self.inputs
        return inputs[0] if len(inputs) == 1 else inputs

    @property
    def output(self) -> Any:
        """The model's output tensor (a list of them for several outputs)."""
        outputs = self.outputs
        return outputs[0] if len(outputs) == 1 else outputs

    @property
    def input_names(self) -> list[str]:
        return [t._keras_history[0].name for t in self._graph.inputs]

    @property
    def output_names(self) -> list[str]:
        return [t._keras_history[0].name for t in self._graph.outputs]

    def _input_shapes(self) -> list[tuple]:
        return [t.shape for t in self._graph.inputs]

    def _output_shapes(self) -> list[tuple]:
        return [t.shape for t in self._graph.outputs]

    @property
    def input_shape(self) -> Any:
        shapes = self._input_shapes()
        return shapes if len(shapes) > 1 else shapes[0]

    @input_shape.setter
    def input_shape(self, value: Any) -> None:
        pass

    @property
    def output_shape(self) -> Any:
        shapes = self._output_shapes()
        return shapes if len(shapes) > 1 else shapes[0]

    @output_shape.setter
    def output_shape(self, value: Any) -> None:
        pass

    @property
    def batch_input_shape(self) -> tuple | None:
        """The input shape when the model is used as the first layer of a Sequential."""
        if not self.built:
            return None
        shapes = self._input_shapes()
        return shapes[0] if len(shapes) == 1 else None

    def _build_from_data(self, inputs: list) -> None:
        raise ValueError(f"Model {self.name!r} has no graph: build it with "
                         "Model(inputs, outputs)")

    def _forward(self, weights: list, inputs: list, *, training: bool, rng: Any,
                 sample_mask: Any) -> Forward:
        tensors = [t for t in self._objective_losses() if isinstance(t, SymbolicTensor)]
        if not tensors:
            forward = self._graph.run(self.layers, weights, inputs, training=training, rng=rng,
                                      sample_mask=sample_mask)
            return forward._replace(activity=forward.activity + self._constant_losses())
        # Loss terms computed from the graph's tensors (`model.add_loss(K.mean(...))`)
        # run in the same pass as the outputs, so they see the same random draws.
        key = tuple(id(t) for t in tensors)
        if key not in self._loss_graphs:
            self._loss_graphs = {key: _Graph(self._graph.inputs, self._graph.outputs + tensors,
                                             self.name)}
        graph = self._loss_graphs[key]
        # A loss may read tensors inside a nested model (a VAE's encoder's z_mean): its
        # layers then run with their slice of the nested model's weights.
        values_of: dict[int, list] = {}

        def collect(layers: list, groups: list) -> None:
            for layer, group in zip(layers, groups):
                values_of[id(layer)] = group
                if isinstance(layer, Network):
                    collect(layer.layers, layer._split(group))

        collect(self.layers, weights)
        ws = [values_of.get(id(layer), list(layer._values)) for layer in graph.layers]
        forward = graph.run(graph.layers, ws, inputs, training=training, rng=rng,
                            sample_mask=sample_mask)
        n = len(self._graph.outputs)
        extra = sum(_loss_value(v) for v in forward.outputs[n:])
        return Forward(forward.outputs[:n], forward.masks[:n],
                       [forward.weights[graph.index[id(layer)]] for layer in self.layers],
                       forward.activity + extra + self._constant_losses())

    def _constant_losses(self) -> Any:
        total = jnp.zeros((), jnp.float32)
        for item in self._objective_losses():
            if isinstance(item, SymbolicTensor):
                continue
            total = total + _loss_value(item() if callable(item) else K._arr(item))
        return total

    def _graph_nodes(self) -> list:
        """The calls of its layers that make up the model."""
        return self._graph.nodes if self._graph is not None else []

    def _added_losses(self) -> list:
        return self._gather_losses(lambda layer: layer._added_losses())

    def _objective_losses(self) -> list:
        """The `add_loss` terms this model's pass adds itself. A nested model adds its
        own in its pass, on the tensors it is called on there."""
        return self._gather_losses(
            lambda layer: [] if isinstance(layer, Network) else layer._added_losses())

    def _gather_losses(self, of_layer: Any) -> list:
        found = list(self.__dict__.get("_losses", []))
        for layer in self.layers:
            found.extend(item for item in of_layer(layer) if not any(item is f for f in found))
        return found

    @property
    def losses(self) -> list:
        """The model's loss terms, as Keras 2.2.4 lists them: its own `add_loss`
        terms, every layer's unconditional ones (weight penalties; a layer shared
        by nested models counts once), and those tied to the inputs of each call
        in this model (activity penalties). A nested model called here brings its
        inner penalties computed on the tensors it is called on. A tensor counts
        once, a number each time it was added."""
        return _unique_losses(list(self.__dict__.get("_losses", []))
                              + self._unconditional_losses() + self._conditional_losses())

    def _unconditional_losses(self) -> list:
        """The layers' terms tied to no inputs, nested models' layers included, each
        layer once."""
        found: list = []
        seen: set[int] = set()

        def walk(network: Network) -> None:
            for layer in network.layers:
                if id(layer) not in seen:
                    seen.add(id(layer))
                    if isinstance(layer, Network):
                        found.extend(layer._added_losses_for(None))
                        walk(layer)
                    else:
                        found.extend(layer.get_losses_for(None))

        walk(self)
        return found

    def _conditional_losses(self) -> list:
        """The loss terms tied to the inputs of the calls that make up this model."""
        found = []
        for node in self._graph_nodes():
            layer = node.layer
            if isinstance(layer, Network):
                found.extend(layer._losses_on(node))
            else:
                found.extend(layer.get_losses_for(node.inputs))
        return found

    def _losses_on(self, node: Node) -> list:
        """This model's conditional loss terms replayed on the inputs of its call
        `node` in another graph, as 2.2.4's nested calls add them (cached per call)."""
        from jeras.engine import symbolic
        cache = self.__dict__.setdefault("_replayed_losses", {})
        if id(node) not in cache:
            terms = [t for t in self._conditional_losses() if isinstance(t, SymbolicTensor)]
            if not terms:
                return []
            graph = _Graph(self.inputs, terms, self.name)

            def replay(*arrays: Any) -> list:
                scope = K.current_scope()
                training = scope.training if scope is not None else False
                return symbolic._run_bound(graph, [], [], list(arrays), training, None)

            out = symbolic.op(replay, tuple(node.inputs), {}, name=f"{self.name}_losses")
            out = out if isinstance(out, list) else [out]
            out[0]._keras_history[0].reads = symbolic._graph_variables(graph.layers)
            cache[id(node)] = (node, out)
        return list(cache[id(node)][1])

    def get_losses_for(self, inputs: Any) -> list:
        """The loss terms tied to these `inputs`, as 2.2.4 ties them: for None, the
        model's own unconditional terms and its layers'; for the inputs of one of
        the model's calls, its layers' conditional terms computed on them."""
        key = _input_key(inputs)
        found = self._added_losses_for(key)
        if inputs is None:
            return _unique_losses(found + self._unconditional_losses())
        if key == _input_key(self.inputs):
            return found + self._conditional_losses()
        for node in self._inbound_nodes:
            if _input_key(node.inputs) == key:
                return found + self._losses_on(node)
        return found

    @property
    def updates(self) -> list:
        """The updates of the model and of its layers' calls in this model (none when
        the model is frozen), as Keras 2.2.4 lists them."""
        if not self.trainable:
            return []
        found = list(self._updates)
        nodes = self._graph_nodes()
        for layer in self.layers:
            if hasattr(layer, "_node_updates"):
                for node in nodes:
                    if node.layer is layer:
                        found.extend(layer._node_updates(node))
                found.extend(layer.__dict__.get("_updates", []))
            else:
                found.extend(layer.updates)
        return found

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """Returns a layer by name or by index (index wins when both are given).

        # Raises
            ValueError: for an unknown name or an index out of range.
        """
        if index is not None:
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(f"get_layer: model {self.name!r} has {len(self.layers)} layers; "
                                 f"index {index} is out of range")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"get_layer: no layer named {name!r} in model {self.name!r}; layers "
                         f"are {[layer.name for layer in self.layers]}")

    # Weights, gathered from the layers in Keras 2 order.

    def _weights(self) -> list:
        return [list(layer._values) for layer in self.layers]

    def _storage_parts(self) -> list:
        return self.layers

    @property
    def _values(self) -> list:
        return [v for layer in self.layers for v in layer._values]

    @_values.setter
    def _values(self, values: Sequence) -> None:
        values = list(values)
        for layer in self.layers:
            k = len(layer.weight_specs)
            layer._values = values[:k]
            values = values[k:]

    @property
    def weight_specs(self) -> list[WeightSpec]:
        """Every weight of every layer; those of frozen layers count as non-trainable."""
        specs = []
        for layer in self.layers:
            for spec in layer.weight_specs:
                if not layer.trainable and spec.trainable:
                    spec = copy.copy(spec)
                    spec.trainable = False
                specs.append(spec)
        return specs

    @property
    def _trainable_index(self) -> list[tuple[int, int]]:
        """`(layer, weight)` indices of the weights training updates: those of a compiled
        model's trainable set (fixed by `compile`), else those trainable now."""
        compiled = getattr(self, "_compiled_trainable", None)
        return list(compiled) if compiled is not None else self._live_trainable_index()

    def _live_trainable_index(self) -> list[tuple[int, int]]:
        if not self.trainable:
            return []
        return [(li, wi) for li, layer in enumerate(self.layers)
                for wi, spec in enumerate(layer.weight_specs)
                if layer.trainable and spec.trainable]

    def _weight_penalty(self, weights: list) -> Any:
        total = jnp.zeros((), jnp.float32)
        for layer, values in zip(self.layers, weights):
            total = total + layer.weight_penalty(values)
        return total

    def weight_penalty(self, values: Sequence) -> Any:
        return self._weight_penalty(self._split(values))

    def _constrain_trainable(self, values: list) -> list:
        out = []
        for (li, wi), v in zip(self._trainable_index, values):
            constraint = self.layers[li].weight_specs[wi].constraint
            out.append(v if constraint is None else constraint(v))
        return out

    def _split(self, values: Sequence) -> list:
        out, i = [], 0
        for layer in self.layers:
            k = len(layer.weight_specs)
            out.append(list(values[i:i + k]))
            i += k
        return out

    def get_weights(self) -> list[np.ndarray]:
        """Returns all weights as numpy arrays, layer by layer in Keras 2 order."""
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Sets all weights from a list shaped like `get_weights()`.

        # Raises
            ValueError: if the count or any shape differs.
        """
        weights = list(weights)
        counts = [len(layer.weights) for layer in self.layers]
        if len(weights) != sum(counts):
            raise ValueError(f"Model {self.name!r}: set_weights expected {sum(counts)} arrays, "
                             f"got {len(weights)}")
        for layer, k in zip(self.layers, counts):
            layer.set_weights(weights[:k])
            weights = weights[k:]

    @property
    def weights(self) -> list:
        """Keras 2's order for a model used as a layer (and in its weights file entry):
        every layer's trainable weights, then every layer's non-trainable ones."""
        return self.trainable_weights + self.non_trainable_weights

    @property
    def trainable_weights(self) -> list:
        if not self.trainable:
            return []
        return [w for layer in self.layers for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self) -> list:
        frozen = [w for layer in self.layers for w in layer.non_trainable_weights]
        if not self.trainable:
            return [w for layer in self.layers for w in layer.trainable_weights] + frozen
        return frozen

    def count_params(self) -> int:
        """Returns the number of scalars in all the model's weights."""
        if not self.built:
            raise ValueError(f"Model {self.name!r} has not been built yet: give its first "
                             "layer an `input_shape`, call `build`, or fit it on data first")
        return sum(layer.count_params() for layer in self.layers)

    # Stateful layers.

    @property
    def stateful(self) -> bool:
        """Whether any layer carries states from batch to batch (a stateful RNN)."""
        return any(getattr(layer, "stateful", False) for layer in self.layers)

    def reset_states(self) -> None:
        """Sets the states of every stateful layer back to zeros."""
        for layer in self.layers:
            if getattr(layer, "stateful", False) and hasattr(layer, "reset_states"):
                layer.reset_states()

    # A model used as a layer of another model.

    @property
    def uses_rng(self) -> bool:  # type: ignore[override]
        return any(layer.uses_rng for layer in self.layers)

    @property
    def scan_friendly(self) -> bool:  # type: ignore[override]
        return all(layer.scan_friendly for layer in self.layers)

    def ensure_built(self, input_shape: Any) -> Any:
        """The output shape for inputs of `input_shape`: the model's own, with the
        dimensions it leaves unknown taken from a trace of the model on inputs of that
        shape (a model of `(None, 3)` called on a `(None, 10, 3)` tensor gives `(None, 10, 5)`,
        as in Keras 2.2.4)."""
        many = isinstance(input_shape, list)
        shapes = [tuple(s) for s in (input_shape if many else [input_shape])]
        own = self._output_shapes()
        if shapes == [tuple(s) for s in self._input_shapes()]:
            return self.output_shape
        from jeras.engine import symbolic
        specs = [SimpleNamespace(shape=s, dtype=t.dtype) for s, t in zip(shapes, self.inputs)]
        try:
            _, traced = symbolic.infer_outputs(
                lambda arrays: self.apply(self._values, arrays if many else arrays[0])[0],
                specs)
        except Exception:  # noqa: BLE001 - a shape the trace cannot take keeps the model's own
            return self.output_shape
        merged = [tuple(o if o is not None else t for o, t in zip(mine, found))
                  if len(mine) == len(found) else tuple(mine)
                  for mine, (found, _) in zip(own, traced)]
        return merged if len(merged) > 1 else merged[0]

    def compute_output_shape(self, input_shape: Any) -> Any:
        # The graph's shapes, with the batch size of the given input shape.
        first = input_shape[0] if isinstance(input_shape, list) else input_shape
        batch = first[0] if first else None
        shapes = [(batch,) + tuple(s[1:]) for s in self._output_shapes()]
        return list(shapes) if len(shapes) > 1 else shapes[0]

    @property
    def _layers_by_depth(self) -> dict[int, list]:
        """Keras 2.2.4's map of depth (0 at the outputs) to the layers at that depth."""
        found: dict[int, list] = {}
        for layer in self.layers:
            found.setdefault(self._graph.depths.get(id(layer), 0), []).append(layer)
        return found

    @property
    def _input_layers(self) -> list:
        return [t._keras_history[0] for t in self.inputs]

    @property
    def _output_layers(self) -> list:
        return [t._keras_history[0] for t in self.outputs]

    def apply(self, values: Sequence, inputs: Any, *, training: bool = False, rng: Any = None,
              mask: Any = None, sample_mask: Any = None) -> tuple[Any, list]:
        forward = self._forward(self._split(values), _to_list(inputs), training=training,
                                rng=rng, sample_mask=sample_mask)
        outputs = forward.outputs if len(forward.outputs) > 1 else forward.outputs[0]
        return outputs, [v for layer in forward.weights for v in layer]

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        n = len(self.outputs)
        return [None] * n if n > 1 else None

    @property
    def uses_learning_phase(self) -> bool:
        """Whether any output depends on the learning phase (dropout, batch statistics)."""
        return any(getattr(t, "_uses_learning_phase", False) for t in self.outputs)

    def _depends_on_phase(self) -> bool:
        return self.uses_learning_phase

    def __reduce__(self) -> tuple:
        # Pickled as its whole-model HDF5 bytes: config, weights and optimizer state.
        from jeras.saving.pickling import pickle_model, unpickle_model
        return unpickle_model, (pickle_model(self),)

    # Config.

    def get_config(self) -> dict:
        """The Keras 2 functional config: layers with their inbound nodes, and the endpoints."""
        return self._graph.config(self.name)

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> Network:
        """Rebuilds a functional model from its Keras 2 config.

        # Raises
            ValueError: for a config whose nodes cannot all be connected.
        """
        return _from_config(cls, config, custom_objects)

    def summary(self, line_length: int | None = None, positions: Sequence[float] | None = None,
                print_fn: Any = None) -> None:
        """Prints the Keras 2 table of layers, shapes, parameter counts (and connections)."""
        from jeras.utils.layer_utils import print_summary
        check = getattr(self, "_check_trainable_discrepancy", None)
        if check is not None:
            check()
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn)


class GraphInputError(TypeError, ValueError):
    """Something that is not a graph tensor given as a model's input or output.

    A `TypeError`, and a `ValueError` as Keras 2.2.4 raised there.
    """


class _Graph:
    """The nodes between a model's inputs and outputs, in the order they run."""

    def __init__(self, inputs: list, outputs: list, model_name: str):
        for argument, tensors in (("inputs", inputs), ("outputs", outputs)):
            for t in tensors:
                if not isinstance(t, SymbolicTensor):
                    raise GraphInputError(
                        f"Model {model_name!r}: `{argument}` must be symbolic tensors (from "
                        f"Input() and layer calls), got {type(t).__name__} {t!r:.60}")
        if len({id(t) for t in inputs}) != len(inputs):
            raise ValueError(f"Model {model_name!r}: the list of inputs passed to the model is "
                             f"redundant; all inputs should only appear once: {inputs}")
        for t in inputs:
            layer = t._keras_history[0]
            if not isinstance(layer, InputLayer):
                raise ValueError(f"Model {model_name!r}: every input must come from Input(); "
                                 f"{t.name} is the output of layer {layer.name!r}")
        self.inputs, self.outputs = inputs, outputs
        self.nodes, self.layers, self.depths = _topological_order(outputs)
        # An input no output depends on still belongs to the model (its config
        # lists it), as in Keras 2.2.4.
        for t in reversed(inputs):
            layer = t._keras_history[0]
            if not any(layer is known for known in self.layers):
                self.nodes.insert(0, layer._inbound_nodes[t._keras_history[1]])
                self.layers.insert(0, layer)
        available = {id(t) for t in inputs}
        seen_layers: list[str] = []
        for node in self.nodes:
            for t in node.inputs:
                if id(t) not in available:
                    raise ValueError(
                        f"Graph disconnected: cannot obtain value for tensor {t.name} at layer "
                        f"{node.layer.name!r}. The following previous layers were accessed "
                        f"without issue: {seen_layers}")
            if not node.inputs and id(node.outputs[0]) not in available:
                raise ValueError(
                    f"Graph disconnected: the model uses input {node.layer.name!r}, which is not "
                    f"in `inputs` ({[t._keras_history[0].name for t in inputs]})")
            available.update(id(t) for t in node.outputs)
            seen_layers.append(node.layer.name)
        names = [layer.name for layer in self.layers]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"Model {model_name!r}: the name(s) {duplicates} are used by more "
                             "than one layer; all layer names should be unique")
        self.index = {id(layer): i for i, layer in enumerate(self.layers)}

    def run(self, layers: list, weights: list, inputs: list, *, training: bool, rng: Any,
            sample_mask: Any, probes: dict | None = None) -> Forward:
        """Runs the nodes on `inputs`; `probes` (`{id(tensor): array}`) are added to
        those tensors' values as they are computed (`K.gradients` of an intermediate
        tensor differentiates with respect to its probe)."""
        probes = probes or {}
        values: dict[int, Any] = {id(t): x for t, x in zip(self.inputs, inputs)}
        masks: dict[int, Any] = {id(t): None for t in self.inputs}
        new_weights = [list(w) for w in weights]
        activity = jnp.zeros((), jnp.float32)
        with pass_scope(self.layers, weights, training) as scope:
            for step, node in enumerate(self.nodes):
                if not node.inputs:
                    continue
                layer = node.layer
                li = self.index[id(layer)]
                xs = [values[id(t)] for t in node.inputs]
                ms = [masks[id(t)] for t in node.inputs]
                x = xs if len(xs) > 1 else xs[0]
                m = ms if len(ms) > 1 else ms[0]
                key = (jax.random.fold_in(rng, step) if rng is not None and layer.uses_rng
                       else None)
                node_training = node.call_kwargs.get("training", training)
                if key is None and node_training and layer.uses_rng:
                    # Training behaviour in a pass that draws no random numbers
                    # (`layer(x, training=True)` in predict): a key fixed per node.
                    key = jax.random.PRNGKey(step)
                if isinstance(layer, Network):
                    inner = layer._forward(layer._split(weights[li]), xs, training=node_training,
                                           rng=key, sample_mask=sample_mask)
                    outs = inner.outputs
                    new_weights[li] = [v for group in inner.weights for v in group]
                    activity = activity + inner.activity
                    out_masks = [None] * len(outs)
                else:
                    extra = {k: v for k, v in node.call_kwargs.items() if k != "training"}
                    y, new_weights[li] = layer.apply(
                        weights[li], x, training=node_training, rng=key, mask=m,
                        sample_mask=sample_mask, **({"call_kwargs": extra} if extra else {}))
                    outs = _to_list(y) if len(node.outputs) > 1 else [y]
                    out_mask = layer.compute_mask(x, m)
                    if len(node.outputs) == 1 and isinstance(out_mask, (list, tuple)):
                        # A one-output layer whose compute_mask returns one mask per
                        # input (a two-input Lambda): no mask unless exactly one is set.
                        given = [mk for mk in out_mask if mk is not None]
                        out_mask = given[0] if len(given) == 1 else None
                    out_masks = _to_list(out_mask) if len(node.outputs) > 1 else [out_mask]
                    if len(out_masks) != len(outs):
                        out_masks = [None] * len(outs)
                    if getattr(layer, "activity_regularizer", None) is not None:
                        for out in outs:
                            activity = activity + layer.activity_penalty(
                                mask_rows(out, sample_mask))
                for t, y, mk in zip(node.outputs, outs, out_masks):
                    values[id(t)] = y + probes[id(t)] if id(t) in probes else y
                    masks[id(t)] = mk
        activity = activity + settle_scope(scope, self.index, new_weights)
        return Forward([values[id(t)] for t in self.outputs], [masks[id(t)] for t in self.outputs],
                       new_weights, activity)

    def config(self, name: str) -> dict:
        # Node indices in a config count only the calls that belong to this model.
        kept = {id(node) for node in self.nodes}
        relative: dict[int, int] = {}
        for layer in self.layers:
            for node in layer._inbound_nodes:
                if id(node) in kept:
                    relative[id(node)] = sum(1 for n in layer._inbound_nodes[:layer._inbound_nodes
                                             .index(node)] if id(n) in kept)

        def ref(t: SymbolicTensor) -> list:
            layer, node_index, tensor_index = t._keras_history
            return [layer.name, relative[id(layer._inbound_nodes[node_index])], tensor_index]

        layer_configs = []
        for layer in self.layers:
            inbound = []
            for node in layer._inbound_nodes:
                if id(node) in kept and node.inputs:
                    inbound.append([ref(t) + [dict(node.call_kwargs)] for t in node.inputs])
            layer_configs.append({"name": layer.name, "class_name": type(layer).__name__,
                                  "config": layer.get_config(), "inbound_nodes": inbound})
        return {"name": name, "layers": layer_configs,
                "input_layers": [ref(t) for t in self.inputs],
                "output_layers": [ref(t) for t in self.outputs]}


def _topological_order(outputs: list) -> tuple[list[Node], list[Layer], dict[int, int]]:
    """Nodes and layers from inputs to outputs, ordered as Keras 2.2.4 orders them,
    and each layer's depth (by id) from the outputs.

    Layers are sorted by decreasing depth from the outputs, and within one
    depth by the order a depth-first walk from the outputs first met them;
    this order is the one weights files are written in.
    """
    first_seen: dict[int, int] = {}
    finished: list[Node] = []
    done: set[int] = set()
    in_progress: set[int] = set()

    def visit(node: Node) -> None:
        if id(node) in in_progress:
            raise ValueError(f"The graph has a cycle through layer {node.layer.name!r}")
        if id(node) in done:
            return
        first_seen.setdefault(id(node.layer), len(first_seen))
        in_progress.add(id(node))
        for t in node.inputs:
            layer, node_index, _ = t._keras_history
            visit(layer._inbound_nodes[node_index])
        in_progress.discard(id(node))
        done.add(id(node))
        finished.append(node)

    for t in outputs:
        layer, node_index, _ = t._keras_history
        visit(layer._inbound_nodes[node_index])
    node_depth: dict[int, int] = {}
    layer_depth: dict[int, int] = {}
    layers: dict[int, Layer] = {}
    for node in reversed(finished):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = depth
        node_depth[id(node)] = depth
        layers[id(node.layer)] = node.layer
        for t in node.inputs:
            layer, node_index, _ = t._keras_history
            parent = layer._inbound_nodes[node_index]
            node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    nodes = sorted(finished, key=lambda n: -node_depth[id(n)])
    ordered = sorted(layers.values(), key=lambda ly: (-layer_depth[id(ly)], first_seen[id(ly)]))
    return nodes, ordered, layer_depth


def pass_scope(layers: list, weights: list, training: bool) -> K.StateScope:
    """The scope of one forward pass: every variable of `layers` bound to its value in
    `weights`, so graph operations that read a layer's variables (`K.gradients`,
    `K.dot(x, layer.kernel)`) see the running step's values."""
    bindings = {}
    for layer, values in zip(layers, weights):
        if not isinstance(layer, Network):
            bindings.update((id(v), x) for v, x in zip(layer.variables, values))
    return K.StateScope(bindings, training=training)


def settle_scope(scope: K.StateScope, index: dict, new_weights: list) -> Any:
    """Ends a forward pass: applies the updates its layers recorded to variables of
    other layers of the pass, hands the rest on, and returns the sum of the losses
    its layers added from `call`."""
    from jeras.engine.base_layer import LayerVariable
    for key, (variable, value) in list(scope.updates.items()):
        if isinstance(variable, LayerVariable) and id(variable._layer) in index:
            li = index[id(variable._layer)]
            new_weights[li][variable._index] = value
            del scope.updates[key]
    total = sum((_loss_value(v) for v in scope.losses), jnp.zeros((), jnp.float32))
    scope.losses = []
    scope.hand_up()
    return total


def _loss_value(value: Any) -> Any:
    """A loss term as one number: Keras 2 sums the terms; a per-sample term counts its mean."""
    value = jnp.asarray(K._arr(value), jnp.float32)
    return jnp.mean(value) if value.ndim else value


def mask_rows(x: Any, mask: Any) -> Any:
    """Zeroes the padded rows of the short last batch, so activity penalties skip them."""
    if mask is None:
        return x
    return x * mask.reshape(mask.shape + (1,) * (x.ndim - 1)).astype(x.dtype)


def _from_config(cls: type, config: dict, custom_objects: dict | None) -> Network:
    from jeras import layers as layers_module
    created: dict[str, Layer] = {}
    pending: list[tuple[Layer, list]] = []
    for layer_data in config["layers"]:
        layer = layers_module.deserialize({"class_name": layer_data["class_name"],
                                           "config": layer_data["config"]}, custom_objects)
        created[layer_data["name"]] = layer
        for node_data in layer_data.get("inbound_nodes", []):
            pending.append((layer, _node_refs(node_data)))

    def tensor(ref: list) -> SymbolicTensor | None:
        layer = created.get(ref[0])
        if layer is None:
            raise ValueError(f"Model config: unknown layer {ref[0]!r} in an inbound node")
        node_index, tensor_index = ref[1], ref[2]
        nodes = [n for n in layer._inbound_nodes if n.inputs or isinstance(layer, InputLayer)]
        if node_index >= len(nodes):
            return None
        return nodes[node_index].outputs[tensor_index]

    # Keras 2.2.4 replays calls in config order, deferring any whose inputs are not made yet.
    while pending:
        progress = False
        for item in list(pending):
            layer, refs = item
            inputs = [tensor(ref) for ref in refs]
            if any(t is None for t in inputs):
                continue
            # The call's keyword arguments (`training=True`) are saved with its inputs.
            kwargs = dict(refs[0][3]) if refs and len(refs[0]) > 3 and refs[0][3] else {}
            layer(inputs if len(inputs) > 1 else inputs[0], **kwargs)
            pending.remove(item)
            progress = True
        if not progress:
            raise ValueError("Model config: some layers' inputs can never be computed: "
                             f"{[layer.name for layer, _ in pending]}")
    inputs = [tensor(ref) for ref in _endpoint_refs(config["input_layers"])]
    outputs = [tensor(ref) for ref in _endpoint_refs(config["output_layers"])]
    return cls(inputs=inputs, outputs=outputs, name=config.get("name"))


def _node_refs(node_data: Any) -> list:
    """Inbound node entries as `[layer_name, node_index, tensor_index, kwargs]` lists.

    Keras 3 writes a node as `{'args': [...], 'kwargs': {...}}` with
    `keras_history` triples; Keras 2 as a list of 4-element lists.
    """
    if isinstance(node_data, dict):
        refs = []

        def collect(obj: Any) -> None:
            if isinstance(obj, dict) and obj.get("class_name") == "__keras_tensor__":
                history = obj["config"]["keras_history"]
                refs.append([history[0], history[1], history[2], {}])
            elif isinstance(obj, (list, tuple)):
                for item in obj:
                    collect(item)
            elif isinstance(obj, dict):
                for item in obj.values():
                    collect(item)

        collect(node_data.get("args", []))
        return refs
    return [list(ref) + [{}] * (4 - len(ref)) for ref in node_data]


def _endpoint_refs(refs: Any) -> list:
    if refs and isinstance(refs[0], str):
        return [refs]
    return list(refs)


def _unique_losses(items: list) -> list:
    """Loss terms without repeats: a tensor counts once, a number each time (2.2.4)."""
    unique: list = []
    for item in items:
        if isinstance(item, (int, float)) or not any(item is u for u in unique):
            unique.append(item)
    return unique
