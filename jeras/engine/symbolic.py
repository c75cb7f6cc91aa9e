"""The backend on graph tensors: every `K.*` function, applied to symbolic tensors,
records a node of the graph that runs the same function on arrays.

Keras 2 code computes with the graph's tensors (`K.mean(K.square(x - y))` for
a loss added with `add_loss`, `K.function([model.input], [layer.output])`).
jeras writes each backend function once, for arrays; `backend.dispatch_module`
wraps it so that, when an argument is a `SymbolicTensor`, the call becomes an
`OpLayer` node (`op`) whose output shapes and dtypes come from `jax.eval_shape`
of the very same function: shapes, dtypes and values cannot drift apart.
`Function` (`K.function`) and `gradients` (`K.gradients`) run such graphs.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import numpy as np

from jeras import backend as K
from jeras.engine.base_layer import Layer, Node, SymbolicTensor
from jeras.utils.generic_utils import get_uid


def _is_leaf(x: Any) -> bool:
    return isinstance(x, (SymbolicTensor, K.Variable))


def _spec(t: SymbolicTensor, dims: Callable[[int], Any]) -> jax.ShapeDtypeStruct:
    return jax.ShapeDtypeStruct(tuple(dims(i) if d is None else d for i, d in enumerate(t.shape)),
                                t.dtype)


def infer_outputs(run: Callable[[list], Any],
                  tensors: Sequence[SymbolicTensor]) -> tuple[Any, list[tuple[tuple, str]]]:
    """The structure, shapes and dtypes of `run(arrays)` for arrays shaped like `tensors`.

    Unknown dimensions (None) are first traced as symbolic dimensions, one per
    axis position, which gives exact results for most functions; a function
    that needs concrete sizes is traced at two sizes instead, and the
    dimensions that differ between the two are unknown.

    # Returns
        `(treedef, [(shape, dtype), ...])`, one entry per output leaf.

    # Raises
        whatever `run` raises on both attempts (the concrete attempt's error).
    """
    tensors = list(tensors)
    if not any(None in t.shape for t in tensors):
        out = jax.eval_shape(run, [_spec(t, int) for t in tensors])
        leaves, tree = jax.tree.flatten(out)
        return tree, [(tuple(s.shape), str(s.dtype)) for s in leaves]
    try:
        scope = jax.export.SymbolicScope()
        symbols: dict[int, Any] = {}

        def symbol(axis: int) -> Any:
            if axis not in symbols:
                symbols[axis] = jax.export.symbolic_shape(f"d{axis}", scope=scope)[0]
            return symbols[axis]

        out = jax.eval_shape(run, [_spec(t, symbol) for t in tensors])
        leaves, tree = jax.tree.flatten(out)
        return tree, [(tuple(d if isinstance(d, (int, np.integer)) else None for d in s.shape),
                       str(s.dtype)) for s in leaves]
    except Exception:  # noqa: BLE001 - some functions need concrete sizes; try those next
        pass
    results = []
    for base in (2, 3):
        out = jax.eval_shape(run, [_spec(t, lambda axis, b=base: b) for t in tensors])
        results.append(jax.tree.flatten(out))
    (first, tree), (second, _) = results
    shapes = [(tuple(a if a == b else None for a, b in zip(s.shape, t.shape)), str(s.dtype))
              for s, t in zip(first, second)]
    return tree, shapes


class OpLayer(Layer):
    """A backend function applied to graph tensors: a node without weights.

    # Arguments
        fn: the function, called with the arguments' arrays in place of the tensors.
        leaves: the flattened arguments, tensors included.
        treedef: how to rebuild `(args, kwargs)` from `leaves`.
        positions: where the tensors sit among `leaves`.
        out_tree: the structure of the function's result.
        name: the node's name (the function's name and a counter).
    """

    uses_rng = True

    def __init__(self, fn: Callable, leaves: list, treedef: Any, positions: list[int],
                 out_tree: Any, name: str):
        super().__init__(name=name)
        self.function = fn
        self._leaves = leaves
        self._treedef = treedef
        self._positions = positions
        self._out_tree = out_tree
        self.built = True

    def run(self, arrays: Sequence[Any]) -> Any:
        filled = list(self._leaves)
        for p, a in zip(self._positions, arrays):
            filled[p] = a
        args, kwargs = jax.tree.unflatten(self._treedef, filled)
        return self.function(*args, **kwargs)

    def apply(self, values: Sequence, inputs: Any, *, training: bool = False, rng: Any = None,
              mask: Any = None, sample_mask: Any = None,
              call_kwargs: dict | None = None) -> tuple[Any, list]:
        arrays = inputs if len(self._positions) > 1 else [inputs]
        with K.StateScope(training=training, rng=rng) as scope:
            out = jax.tree.leaves(self.run(arrays))
        scope.hand_up()
        return (out if len(out) > 1 else out[0]), []

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return None

    def _depends_on_phase(self) -> bool:
        return self.function is K._by_phase

    def get_config(self) -> dict:
        raise TypeError(f"Layer {self.name!r} applies {getattr(self.function, '__name__', 'a')}"
                        " function to graph tensors and has no Keras 2 config; wrap the "
                        "computation in a `Lambda` layer to save the model's config")


def op(fn: Callable, args: Sequence, kwargs: dict, name: str | None = None) -> Any:
    """Records `fn(*args, **kwargs)` on graph tensors as a node; returns its symbolic outputs.

    # Raises
        ValueError: when `fn` fails on arrays shaped like the tensors, naming
            the function and the shapes.
    """
    leaves, treedef = jax.tree.flatten((tuple(args), dict(kwargs)), is_leaf=_is_leaf)
    positions = [i for i, leaf in enumerate(leaves) if isinstance(leaf, SymbolicTensor)]
    tensors = [leaves[i] for i in positions]
    name = name or getattr(fn, "__name__", "op")

    def run(arrays: list) -> Any:
        filled = list(leaves)
        for p, a in zip(positions, arrays):
            filled[p] = a
        a, kw = jax.tree.unflatten(treedef, filled)
        with K.StateScope():
            return fn(*a, **kw)

    try:
        out_tree, specs = infer_outputs(run, tensors)
    except Exception as e:
        raise ValueError(f"{name}: cannot be applied to tensors of shapes "
                         f"{[tuple(t.shape) for t in tensors]} and dtypes "
                         f"{[t.dtype for t in tensors]}: {type(e).__name__}: {e}") from e
    layer = OpLayer(fn, leaves, treedef, positions, out_tree, f"{name}_{get_uid(name)}")
    node = Node(layer, tensors, [s for s, _ in specs], dtypes=[d for _, d in specs])
    return jax.tree.unflatten(out_tree, node.outputs)


def _sources(tensors: Sequence[SymbolicTensor]) -> list[SymbolicTensor]:
    """The graph inputs (`Input`, `placeholder`) that `tensors` are computed from, in the
    order a depth-first walk meets them."""
    from jeras.engine.input_layer import InputLayer
    found: list[SymbolicTensor] = []
    seen: set[int] = set()
    stack = list(reversed(list(tensors)))
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        layer, node_index, _ = t._keras_history
        if isinstance(layer, InputLayer):
            found.append(t)
            continue
        stack.extend(reversed(layer._inbound_nodes[node_index].inputs))
    return found


def _graph_variables(layers: Sequence[Layer]) -> list[K.Variable]:
    """Every variable a pass over `layers` reads: their weights, and the variables
    their graph operations name (`K.dot(x, other.kernel)`, `K.gradients`)."""
    from jeras.engine.network import Network
    found: dict[int, K.Variable] = {}
    for layer in layers:
        if isinstance(layer, Network):
            found.update((id(v), v) for inner in layer.layers
                         for v in _graph_variables([inner]))
            continue
        found.update((id(v), v) for v in layer.variables)
        if isinstance(layer, OpLayer):
            found.update((id(v), v) for v in layer._leaves if isinstance(v, K.Variable))
            found.update((id(v), v) for v in getattr(layer, "reads", []))
    return list(found.values())


def _run_bound(graph: Any, variables: Sequence[K.Variable], values: Sequence, arrays: list,
               training: bool, rng: Any, probes: dict | None = None) -> list:
    """Runs `graph` on `arrays` with `variables` bound to `values`; returns its outputs."""
    with K.StateScope({id(v): x for v, x in zip(variables, values)}, training=training):
        weights = [[v.value for v in layer.variables] if hasattr(layer, "_specs")
                   else layer._values for layer in graph.layers]
        forward = graph.run(graph.layers, weights, arrays, training=training, rng=rng,
                            sample_mask=None, probes=probes)
    return forward.outputs


class Function:
    """`K.function`: the graph from `inputs` to `outputs`, compiled with `jax.jit`.

    The learning phase, when it is one of the inputs, selects training or
    inference behaviour (dropout, batch statistics); each phase compiles once.
    Variables are arguments of the compiled program, never constants, so
    their later values are the ones used.

    # Arguments
        inputs: graph inputs.
        outputs: graph tensors.
        updates: `(variable, new value)` pairs assigned after each call.

    # Raises
        TypeError: for inputs or outputs that are not graph tensors.
        ValueError: for outputs the inputs do not determine.
    """

    def __init__(self, inputs: Sequence, outputs: Sequence, updates: Sequence):
        from jeras.engine.network import _Graph
        self._single = not isinstance(outputs, (list, tuple))
        self.inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        self.outputs = [outputs] if self._single else list(outputs)
        for where, tensors in (("inputs", self.inputs), ("outputs", self.outputs)):
            for t in tensors:
                if not isinstance(t, SymbolicTensor):
                    raise TypeError(f"K.function: `{where}` must be graph tensors, got "
                                    f"{type(t).__name__}")
        self._phase = [i for i, t in enumerate(self.inputs) if K._learning_phase_tensor(t)]
        feeds = [t for i, t in enumerate(self.inputs) if i not in self._phase]
        self._updates: list[tuple[K.Variable, SymbolicTensor]] = []
        constant_updates: list[tuple[K.Variable, Any]] = []
        for item in updates:
            if not (isinstance(item, tuple) and len(item) == 2
                    and isinstance(item[0], K.Variable)):
                raise TypeError(f"K.function: `updates` must be (variable, new value) pairs "
                                f"(as K.update returns), got {item!r:.80}")
            if isinstance(item[1], SymbolicTensor):
                self._updates.append(item)
            else:
                constant_updates.append(item)
        self._constant_updates = constant_updates
        targets = self.outputs + [value for _, value in self._updates]
        self._graph = _Graph(feeds, targets, "function") if targets else None
        self._feeds = feeds
        layers = self._graph.layers if self._graph else []
        self._variables = _graph_variables(layers)
        self._compiled: dict[bool, Callable] = {}

    def _program(self, training: bool) -> Callable:
        if training not in self._compiled:
            graph, variables = self._graph, self._variables

            def run(values: list, arrays: list, rng: Any) -> list:
                return _run_bound(graph, variables, values, arrays, training, rng)

            self._compiled[training] = K.ReadingProgram(run, jax.jit)
        return self._compiled[training]

    def __call__(self, inputs: Sequence) -> list:
        """Runs the function on `inputs`, one array per input, and returns the outputs.

        # Raises
            ValueError: when the number of inputs differs from the function's.
        """
        inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(inputs) != len(self.inputs):
            raise ValueError(f"K.function: expected {len(self.inputs)} input array(s) "
                             f"({[t.name for t in self.inputs]}), got {len(inputs)}")
        training = bool(K._LEARNING_PHASE or 0)
        if self._phase:
            training = bool(np.asarray(inputs[self._phase[0]]))
        arrays = [np.asarray(K._arr(x), dtype=t.dtype) for i, (t, x) in
                  enumerate(zip(self.inputs, inputs)) if i not in self._phase]
        for t, a in zip(self._feeds, arrays):
            if len(a.shape) != len(t.shape) or any(d is not None and d != s
                                                   for d, s in zip(t.shape, a.shape)):
                raise ValueError(f"K.function: input {t.name} expects arrays of shape "
                                 f"{tuple(t.shape)}, got {a.shape}")
        results: list = []
        if self._graph is not None:
            values = [v._read() for v in self._variables]
            results = self._program(training)(values, arrays, K.rng_key())
        n = len(self.outputs)
        for (variable, _), value in zip(self._updates, results[n:]):
            variable.assign(np.asarray(value))
        for variable, value in self._constant_updates:
            variable.assign(np.asarray(K._arr(value)))
        outputs = [np.asarray(r) for r in results[:n]]
        return outputs


class GraphOnlyError(TypeError):
    """Raised by functions that need graph tensors when they are given arrays.

    `Lambda` catches it: its function then runs on the graph tensors themselves
    (2.2.4's `Lambda(lambda x: K.gradients(K.sum(x[1]), x[0]))`)."""


def gradients(loss: SymbolicTensor, variables: Any) -> list:
    """`K.gradients`: graph tensors holding d(sum of `loss`)/d(each of `variables`).

    # Arguments
        loss: a graph tensor.
        variables: variables (layer weights, `K.variable`s), graph inputs, or
            graph tensors `loss` is computed from (the gradient with respect to
            that intermediate value, as TensorFlow's graph gives it).

    # Raises
        TypeError: when `loss` is not a graph tensor (`GraphOnlyError` for an
            array), or a target is neither a variable nor a graph tensor that
            `loss` depends on.
    """
    from jeras.engine.network import _Graph, _topological_order
    if not isinstance(loss, SymbolicTensor):
        error = GraphOnlyError if isinstance(loss, jax.Array) else TypeError
        raise error(f"K.gradients: `loss` must be a graph tensor, got {type(loss).__name__}")
    targets = list(variables) if isinstance(variables, (list, tuple)) else [variables]
    sources = _sources([loss])
    computed = {id(t) for node in _topological_order([loss])[0] for t in node.outputs}
    for t in targets:
        if not (isinstance(t, K.Variable)
                or (isinstance(t, SymbolicTensor) and id(t) in computed)):
            raise TypeError("K.gradients: each of `variables` must be a variable or a graph "
                            f"tensor that `loss` depends on, got {t!r:.80}")
    probed = [t for t in targets if isinstance(t, SymbolicTensor)
              and not any(t is s for s in sources)]
    graph = _Graph(sources, [loss] + probed, "gradients")
    reads = _graph_variables(graph.layers)
    wrt_vars = [t for t in targets if isinstance(t, K.Variable)]

    def grad_fn(*arrays: Any) -> list:
        scope = K.current_scope()
        training = scope.training if scope is not None else False

        def objective(var_values: list, input_values: list, offsets: list) -> Any:
            probes = {id(t): o for t, o in zip(probed, offsets)}
            outputs = _run_bound(graph, wrt_vars, var_values, input_values, training, None,
                                 probes)
            return jax.numpy.sum(outputs[0])

        var_values = [v.value for v in wrt_vars]
        # The probes' shapes need a trace of the graph; gradients with respect
        # to variables and inputs alone need none.
        shapes = jax.eval_shape(
            lambda: _run_bound(graph, wrt_vars, var_values, list(arrays), training, None)
        )[1:] if probed else []
        zeros = [jax.numpy.zeros(s.shape, s.dtype) for s in shapes]
        g_vars, g_inputs, g_probes = jax.grad(objective, argnums=(0, 1, 2))(
            var_values, list(arrays), zeros)
        out, vi, pi = [], 0, 0
        for t in targets:
            if isinstance(t, K.Variable):
                out.append(g_vars[vi])
                vi += 1
            elif any(t is s for s in sources):
                out.append(g_inputs[next(i for i, s in enumerate(sources) if t is s)])
            else:
                out.append(g_probes[pi])
                pi += 1
        return out

    result = op(grad_fn, tuple(sources), {}, name="gradients")
    layer = result[0]._keras_history[0]
    layer.reads = reads
    return list(result)
