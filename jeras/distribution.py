"""Training on several devices and hosts, on JAX's sharding machinery.

A `Distribution` says how arrays lie on a `jax.sharding.Mesh`: data split
along its batch axis, weights replicated (`DataParallel`) or sharded by
name pattern (`ModelParallel` with a `LayoutMap`). Set one with
`set_distribution(...)` or `with distribution.scope():` and `fit`,
`evaluate` and `predict` run unchanged: the engine gives the shardings to
`jax.device_put` and `jax.jit`, and XLA inserts the collectives (the
gradients' reduction included). Losses and metrics are computed over the
whole global batch, so callbacks and logs see global values.

Batches whose size the device count does not divide are split unevenly by
XLA (it pads internally); the engine's masks already make the padded rows
of an epoch's short last batch count for nothing, so results equal
single-device training up to float rounding. A data set whose sample count
the batch axis does not divide is kept whole on every device; each batch's
computation is split all the same.

Several hosts: call `initialize(...)` in every process first, seed every
process alike (`jeras.utils.set_random_seed`, so initial weights and
shuffling agree), and let each process pass its own samples to `fit`: the
global data set is the processes' samples in process order, gathered with
`jax.experimental.multihost_utils`, and `batch_size` is the global batch.
Every process then holds the same replicated weights; files are written by
process 0 alone.
"""
from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from typing import Any

import jax
import numpy as np
from jax.experimental import multihost_utils
from jax.sharding import AxisType, Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from jeras import backend as K

_distribution: Distribution | None = None


def list_devices() -> list:
    """Returns every device of every process (`jax.devices()`), in global order."""
    return jax.devices()


def initialize(coordinator_address: str | None = None, num_processes: int | None = None,
               process_id: int | None = None) -> None:
    """Joins this process to a multi-host job (`jax.distributed.initialize`).

    Call it in every process before anything else touches JAX. On a managed
    cluster (SLURM, Cloud TPU...) the arguments may be left out and JAX
    discovers them.

    # Arguments
        coordinator_address: `'host:port'` of process 0, which coordinates.
        num_processes: int >= 1, the number of processes in the job.
        process_id: int in `[0, num_processes)`, this process's index.
    """
    jax.distributed.initialize(coordinator_address=coordinator_address,
                               num_processes=num_processes, process_id=process_id)


class DeviceMesh:
    """A named grid of devices, as in Keras 3.

    # Arguments
        shape: tuple of ints, the size of each mesh axis; their product is
            the number of devices.
        axis_names: one name per axis, e.g. `('batch', 'model')`.
        devices: the devices to lay out (jax devices or device ids); defaults
            to every device of every process.

    # Raises
        ValueError: when the names and the shape disagree in length, or the
            shape does not hold exactly the devices given.
    """

    def __init__(self, shape: Sequence[int], axis_names: Sequence[str],
                 devices: Sequence[Any] | None = None):
        shape, axis_names = tuple(int(s) for s in shape), tuple(axis_names)
        if len(shape) != len(axis_names):
            raise ValueError(f"DeviceMesh: `shape` {shape} and `axis_names` {axis_names} must "
                             "have the same length")
        devices = _resolve_devices(devices, "DeviceMesh")
        if int(np.prod(shape)) != len(devices):
            raise ValueError(f"DeviceMesh: `shape` {shape} holds {int(np.prod(shape))} devices, "
                             f"but {len(devices)} were given")
        self.shape = shape
        self.axis_names = axis_names
        self.devices = np.array(devices, dtype=object).reshape(shape)
        # Auto axes: XLA propagates shardings through the step (JAX's default
        # for `jax.make_mesh` is now Explicit, which would type every op's sharding).
        self.mesh = Mesh(self.devices, axis_names, axis_types=(AxisType.Auto,) * len(shape))

    def __repr__(self) -> str:
        return f"DeviceMesh(shape={self.shape}, axis_names={self.axis_names})"


class LayoutMap(MutableMapping):
    """Maps weight names (regular expressions) to layouts over a `DeviceMesh`.

    A layout is a tuple with one entry per weight dimension: a mesh axis name
    to split that dimension over, or None to keep it whole. A weight's name
    is its path, `'dense_1/kernel'` (`'model_1/dense_1/kernel'` inside a
    nested model). Lookup returns the layout of the key equal to the name,
    else of the one key whose pattern `re.search`es it, else None (the
    weight is replicated).

    # Arguments
        layouts: a dict `{pattern: layout}` to start from.
        device_mesh: the `DeviceMesh` the layouts refer to (optional when
            `ModelParallel` is given one).

    # Example
    ```python
    mesh = DeviceMesh((2, 2), ('batch', 'model'))
    layout_map = LayoutMap({'dense.*kernel': (None, 'model')}, mesh)
    set_distribution(ModelParallel(mesh, layout_map))
    ```
    """

    def __init__(self, layouts: Mapping[str, Sequence | None] | DeviceMesh | None = None,
                 device_mesh: DeviceMesh | None = None):
        if isinstance(layouts, DeviceMesh):  # Keras 3's spelling, `LayoutMap(device_mesh)`.
            layouts, device_mesh = None, layouts
        self.device_mesh = device_mesh
        self._layouts: dict[str, tuple | None] = {}
        for key, value in (layouts or {}).items():
            self[key] = value

    def __getitem__(self, key: str) -> tuple | None:
        if key in self._layouts:
            return self._layouts[key]
        matches = [pattern for pattern in self._layouts if re.search(pattern, key)]
        if len(matches) > 1:
            raise ValueError(f"LayoutMap: weight {key!r} matches several patterns {matches}; "
                             "make them specific enough to select one")
        return self._layouts[matches[0]] if matches else None

    def __setitem__(self, key: str, layout: Sequence | None) -> None:
        if not isinstance(key, str):
            raise TypeError(f"LayoutMap: keys must be strings (patterns), got {key!r}")
        if layout is not None and (isinstance(layout, str) or not all(
                a is None or isinstance(a, str) for a in layout)):
            raise TypeError(f"LayoutMap: the layout of {key!r} must be a tuple of mesh axis "
                            f"names or None, got {layout!r}")
        self._layouts[key] = None if layout is None else tuple(layout)

    def __delitem__(self, key: str) -> None:
        del self._layouts[key]

    def __contains__(self, key: object) -> bool:
        return key in self._layouts

    def __iter__(self) -> Iterator[str]:
        return iter(self._layouts)

    def __len__(self) -> int:
        return len(self._layouts)


class Distribution:
    """Base class: a mesh, its batch axis, and the shardings derived from them.

    # Arguments
        device_mesh: the `DeviceMesh`.
        batch_dim_name: the mesh axis the batch is split over.
    """

    def __init__(self, device_mesh: DeviceMesh, batch_dim_name: str):
        if batch_dim_name not in device_mesh.axis_names:
            raise ValueError(f"{type(self).__name__}: `batch_dim_name` {batch_dim_name!r} is "
                             f"not an axis of the mesh {device_mesh.axis_names}")
        self.device_mesh = device_mesh
        self.batch_dim_name = batch_dim_name
        self.replicated = NamedSharding(device_mesh.mesh, P())

    @property
    def mesh(self) -> Mesh:
        return self.device_mesh.mesh

    def batch_sharding(self) -> NamedSharding:
        """The sharding of a batch: rows split over the batch axis (XLA pads uneven splits)."""
        return NamedSharding(self.mesh, P(self.batch_dim_name))

    def data_sharding(self, shape: Sequence[int]) -> NamedSharding:
        """The sharding of a whole data array: split by rows where the batch axis divides them.

        A stored array must split evenly; where it does not, every device keeps it whole.
        """
        size = self.mesh.shape[self.batch_dim_name]
        return self.batch_sharding() if shape[0] % size == 0 else self.replicated

    def weight_sharding(self, path: str, shape: Sequence[int]) -> NamedSharding:
        """The sharding of the weight named `path` (replicated in the base class)."""
        del path, shape
        return self.replicated

    @contextlib.contextmanager
    def scope(self) -> Iterator[Distribution]:
        """Makes this the current distribution inside a `with` block, then restores the last."""
        global _distribution
        previous, _distribution = _distribution, self
        try:
            yield self
        finally:
            _distribution = previous


class DataParallel(Distribution):
    """Replicates the weights and splits each batch over devices.

    Each device computes the loss and gradients of its rows; XLA sums the
    gradients across devices, so every replica makes the same update as one
    device on the whole batch.

    # Arguments
        devices: the devices (jax devices or device ids); defaults to every
            device of every process.
    """

    def __init__(self, devices: Sequence[Any] | None = None):
        devices = _resolve_devices(devices, "DataParallel")
        super().__init__(DeviceMesh((len(devices),), ("batch",), devices), "batch")

    def __repr__(self) -> str:
        return f"DataParallel(devices={list(self.device_mesh.devices.flat)})"


class ModelParallel(Distribution):
    """Shards weights by name over a mesh, and batches over its batch axis.

    # Arguments
        device_mesh: the `DeviceMesh`; defaults to `layout_map.device_mesh`.
        layout_map: a `LayoutMap`; weights it does not match are replicated.
        batch_dim_name: the mesh axis batches are split over; defaults to the
            mesh's first axis.

    # Raises
        ValueError: without a mesh, or for a batch axis the mesh lacks.
    """

    def __init__(self, device_mesh: DeviceMesh | None = None,
                 layout_map: LayoutMap | None = None, batch_dim_name: str | None = None):
        layout_map = LayoutMap() if layout_map is None else layout_map
        device_mesh = device_mesh or layout_map.device_mesh
        if device_mesh is None:
            raise ValueError("ModelParallel: give a `device_mesh` (or a `layout_map` built "
                             "with one)")
        super().__init__(device_mesh, batch_dim_name or device_mesh.axis_names[0])
        self.layout_map = layout_map

    def weight_sharding(self, path: str, shape: Sequence[int]) -> NamedSharding:
        """The sharding `layout_map` gives `path`; raises ValueError when it cannot apply."""
        layout = self.layout_map[path]
        if layout is None:
            return self.replicated
        if len(layout) != len(shape):
            raise ValueError(f"ModelParallel: the layout {layout} for weight {path!r} needs "
                             f"{len(layout)} dimensions, but the weight has shape {tuple(shape)}")
        for axis, size in zip(layout, shape):
            if axis is None:
                continue
            if axis not in self.mesh.shape:
                raise ValueError(f"ModelParallel: the layout {layout} for weight {path!r} "
                                 f"names {axis!r}, not an axis of the mesh "
                                 f"{self.device_mesh.axis_names}")
            if size % self.mesh.shape[axis]:
                raise ValueError(f"ModelParallel: weight {path!r} of shape {tuple(shape)} "
                                 f"cannot be split over mesh axis {axis!r} of size "
                                 f"{self.mesh.shape[axis]} (layout {layout})")
        return NamedSharding(self.mesh, P(*layout))

    def __repr__(self) -> str:
        return f"ModelParallel({self.device_mesh!r}, batch_dim_name={self.batch_dim_name!r})"


def set_distribution(value: Distribution | None) -> None:
    """Sets the distribution every later `fit`/`evaluate`/`predict` uses (None: one device)."""
    global _distribution
    if value is not None and not isinstance(value, Distribution):
        raise TypeError(f"set_distribution: expected a Distribution or None, got {value!r}")
    _distribution = value


def distribution() -> Distribution | None:
    """Returns the current distribution (None when training on one device)."""
    return _distribution


def _resolve_devices(devices: Sequence[Any] | None, caller: str) -> list:
    if devices is None:
        return jax.devices()
    by_id = {d.id: d for d in jax.devices()}
    out = []
    for d in devices:
        if isinstance(d, (int, np.integer)) and not isinstance(d, bool):
            if int(d) not in by_id:
                raise ValueError(f"{caller}: no device with id {d}; devices are {list(by_id)}")
            d = by_id[int(d)]
        out.append(d)
    if not out:
        raise ValueError(f"{caller}: `devices` is empty")
    return out


# The engine's hooks; each is the identity (or plain placement) without a distribution.

def gather_processes(arrays: tuple) -> tuple:
    """Joins every process's samples into the global data set, in process order.

    Each process passes its own rows; after this every process holds them
    all, so sample counts, shuffling and batches are those of one process
    training on the concatenation.

    # Raises
        ValueError: when processes hold different numbers of samples.
    """
    if _distribution is None or jax.process_count() == 1:
        return arrays
    local = [a for group in arrays for a in group]
    counts = multihost_utils.process_allgather(np.array([len(local[0])]), tiled=True)
    if len(set(counts.tolist())) > 1:
        raise ValueError(f"Every process must pass the same number of samples; processes "
                         f"passed {counts.tolist()}")
    return tuple([np.asarray(multihost_utils.process_allgather(a, tiled=True)) for a in group]
                 for group in arrays)


def place_data(data: Any) -> Any:
    """Puts a pytree of data arrays on the device(s), split by rows where they divide."""
    if _distribution is None:
        # A plain transfer: `jnp.asarray` also runs a conversion on the device,
        # which costs several times the copy for data of this size.
        return jax.device_put(data)
    return jax.tree.map(lambda a: jax.device_put(a, _distribution.data_sharding(np.shape(a))),
                        data)


def shard_batch(x: jax.Array) -> jax.Array:
    """Inside a step: asks XLA to split a gathered batch's rows over the batch axis."""
    if _distribution is None:
        return x
    return jax.lax.with_sharding_constraint(x, _distribution.batch_sharding())


def shard_all(arrays: list) -> list:
    """`shard_batch` on each array of a batch's list."""
    return [shard_batch(a) for a in arrays]


def jit(fn: Callable, model: Any, kind: str, **kwargs: Any) -> Callable:
    """`jax.jit(fn, **kwargs)`, laid out by the current distribution.

    `fn`'s first argument is the train state (`kind='train'`) or the weight
    lists (`'test'`, `'predict'`); it goes in and comes out laid out by the
    distribution. The other arguments keep the layout they arrive with; the
    logs and predictions come out replicated, so every process can read them.
    The first argument is put in its layout before each call: the arrays then
    carry the mesh from the first call on, and the function compiles once.
    """
    # Variables the model's layers read besides their weights are arguments too
    # (`K.ReadingProgram`), placed last: the other arguments keep their places.
    if _distribution is None:
        return K.ReadingProgram(fn, lambda program: jax.jit(program, **kwargs))
    shardings = _first_argument_shardings(model, kind)
    rest = (None,) * fn.__code__.co_argcount
    out = (shardings, _distribution.replicated) if kind == "train" else _distribution.replicated
    program = K.ReadingProgram(fn, lambda program: jax.jit(
        program, in_shardings=(shardings,) + rest, out_shardings=out, **kwargs))

    @functools.wraps(fn)
    def call(first: Any, *args: Any) -> Any:
        return program(jax.device_put(first, shardings), *args)

    return call


def _first_argument_shardings(model: Any, kind: str) -> Any:
    weights = [[_distribution.weight_sharding(path, np.shape(v)) for path, v in
                zip(_weight_paths(layer), layer._values)] for layer in model.layers]
    if kind != "train":
        return weights
    from jeras.engine.steps import TrainState
    index = model._trainable_index
    trainable = [(weights[li][wi], np.shape(model.layers[li]._values[wi])) for li, wi in index]
    return TrainState(weights, _slot_shardings(model._state.opt_state, trainable),
                      _distribution.replicated, _distribution.replicated)


def _slot_shardings(opt_state: Any, trainable: list) -> Any:
    """Optimizer slots lie like the weights they follow; counters and the rest are replicated."""
    def replicate(tree: Any) -> Any:
        return jax.tree.map(lambda _: _distribution.replicated, tree)

    if not hasattr(opt_state, "_fields"):
        return replicate(opt_state)
    fields = {}
    for name, value in zip(opt_state._fields, opt_state):
        if isinstance(value, list) and len(value) == len(trainable):
            fields[name] = [sharding if np.shape(slot) == shape else _distribution.replicated
                            for slot, (sharding, shape) in zip(value, trainable)]
        else:
            fields[name] = replicate(value)
    return type(opt_state)(**fields)


def _weight_paths(layer: Any, prefix: str = "") -> list[str]:
    """Names of a layer's weights in `_values` order: `layer/kernel`, nested ones prefixed."""
    if hasattr(layer, "layers"):
        return [p for sub in layer.layers for p in _weight_paths(sub, f"{prefix}{layer.name}/")]
    return [f"{prefix}{layer.name}/{spec.name}" for spec in layer.weight_specs]
