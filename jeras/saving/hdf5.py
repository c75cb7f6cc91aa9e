"""Whole models and weights in Keras 2's HDF5 layout.

A model file holds, at its root, the attributes `keras_version`, `backend`,
`model_config` (JSON) and, for a compiled model, `training_config` (JSON);
the group `model_weights` with the attribute `layer_names` and one group per
layer whose attribute `weight_names` (`dense_1/kernel:0`...) lists its
datasets in order; and the group `optimizer_weights` with its own
`weight_names`. A weights file is the `model_weights` group at the root.

Every write goes to a temporary file beside the target and is renamed over
it only once complete, so a crash or a full disk never leaves a half-written
file under the real name.
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

import h5py
import jax
import numpy as np

from jeras import backend as K
from jeras.saving import legacy
from jeras.saving.model_config import (
    BACKEND,
    KERAS_VERSION,
    compile_args,
    json_default,
    model_from_config,
    training_config,
)

#: Attributes larger than this do not fit an HDF5 object header; Keras 2
#: splits them into `name0`, `name1`... and so does jeras.
HDF5_OBJECT_HEADER_LIMIT = 64512


# Files.

def _describe(filepath: Any) -> str:
    if isinstance(filepath, h5py.Group):
        return f"{filepath.file.filename}:{filepath.name}"
    return os.fspath(filepath)


@contextlib.contextmanager
def _writing(filepath: Any, overwrite: bool) -> Iterator[h5py.Group | None]:
    """Yields an HDF5 file to fill; on success it replaces `filepath` in one rename.

    Yields None when `filepath` exists, `overwrite` is False and the user
    declines to overwrite it. An `h5py.Group` is written into directly.
    """
    if isinstance(filepath, h5py.Group):
        yield filepath
        return
    path = os.fspath(filepath)
    if not overwrite and os.path.isfile(path) and not _ask_to_overwrite(path):
        yield None
        return
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        with h5py.File(tmp, "w") as f:
            yield f
        with open(tmp, "rb") as done:
            os.fsync(done.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise


def _ask_to_overwrite(path: str) -> bool:
    """Asks on the console, as Keras 2 does with `overwrite=False`."""
    answer = input(f"[WARNING] {path} already exists - overwrite? [y/n]").strip().lower()
    while answer not in ("y", "n"):
        answer = input('Enter "y" (overwrite) or "n" (cancel).').strip().lower()
    if answer == "y":
        print("[TIP] Next time specify overwrite=True!")
    return answer == "y"


@contextlib.contextmanager
def _reading(filepath: Any) -> Iterator[h5py.Group]:
    """Opens `filepath` for reading; errors name the file.

    # Raises
        OSError: a missing, truncated or non-HDF5 file (FileNotFoundError
            when it does not exist).
    """
    if isinstance(filepath, h5py.Group):
        yield filepath
        return
    path = os.fspath(filepath)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such file: {path!r}")
    try:
        f = h5py.File(path, "r")
    except OSError as err:
        raise OSError(f"{path}: not a readable HDF5 file (truncated, corrupt or another "
                      f"format): {err}") from None
    with f:
        yield f


def _attr_text(value: Any) -> str:
    return value.decode("utf8") if isinstance(value, (bytes, np.bytes_)) else str(value)


def _root_attr(group: h5py.Group, name: str) -> str | None:
    value = group.attrs.get(name)
    return None if value is None else _attr_text(value)


def save_attributes(group: h5py.Group, name: str, values: list[str]) -> None:
    """Writes a list of strings as attribute `name`, split in chunks when too big (as Keras 2)."""
    data = np.array([v.encode("utf8") for v in values]) if values else np.array([])
    if data.nbytes <= HDF5_OBJECT_HEADER_LIMIT:
        group.attrs[name] = data
        return
    chunks = 1
    while any(chunk.nbytes > HDF5_OBJECT_HEADER_LIMIT for chunk in np.array_split(data, chunks)):
        chunks += 1
        if chunks > len(data):
            raise ValueError(f"Attribute {name!r}: one of its entries is larger than "
                             f"{HDF5_OBJECT_HEADER_LIMIT} bytes and cannot be saved in HDF5")
    for i, chunk in enumerate(np.array_split(data, chunks)):
        group.attrs[f"{name}{i}"] = chunk


def load_attributes(group: h5py.Group, name: str) -> list[str]:
    """Reads a list of strings written by `save_attributes` (whole or in chunks)."""
    if name in group.attrs:
        values = list(group.attrs[name])
    else:
        values, i = [], 0
        while f"{name}{i}" in group.attrs:
            values.extend(group.attrs[f"{name}{i}"])
            i += 1
    return [_attr_text(v) for v in values]


# Weights.

def _unique_names(names: list[str]) -> list[str]:
    """Makes repeated weight names unique with `_1`, `_2`... suffixes, as Keras 2 does."""
    out: list[str] = []
    for name in names:
        candidate, k = name, 0
        while candidate in out:
            k += 1
            candidate = f"{name}_{k}"
        out.append(candidate)
    return out


def _write_layer_weights(group: h5py.Group, layers: list) -> None:
    save_attributes(group, "layer_names", [layer.name for layer in layers])
    group.attrs["backend"] = BACKEND.encode("utf8")
    group.attrs["keras_version"] = KERAS_VERSION.encode("utf8")
    for layer in layers:
        layer_group = group.create_group(layer.name)
        names = _unique_names([w.name for w in layer.weights])
        save_attributes(layer_group, "weight_names", names)
        # As Keras 2.2.4: a layer's entry follows `layer.weights`, which for a
        # nested model is not the order of its `get_weights()`.
        for name, value in zip(names, K.batch_get_value(layer.weights), strict=True):
            layer_group.create_dataset(name, data=value)


def _read_layer_values(group: h5py.Group, name: str, source: str) -> list[np.ndarray]:
    """The arrays a file holds for layer `name`, in its `weight_names` order."""
    try:
        layer_group = group[name]
        return [np.asarray(layer_group[w]) for w in load_attributes(layer_group, "weight_names")]
    except (KeyError, OSError) as err:
        raise ValueError(f"{source}: cannot read the weights of layer {name!r} "
                         f"(the file is corrupt or incomplete): {err}") from None


def _saved_layer_names(group: h5py.Group, source: str) -> list[str]:
    if "layer_names" not in group.attrs and "layer_names0" not in group.attrs:
        raise ValueError(f"{source}: not a Keras 2 HDF5 weights file (it has no 'layer_names' "
                         "attribute; Keras 3 `.weights.h5` files use another layout)")
    try:
        names = load_attributes(group, "layer_names")
        return [n for n in names if load_attributes(group[n], "weight_names")]
    except (KeyError, OSError) as err:
        raise ValueError(f"{source}: cannot read the list of layers (the file is corrupt or "
                         f"not a Keras weights file): {err}") from None


def _check_fit(layer: Any, values: list[np.ndarray], saved_name: str, source: str) -> str | None:
    """Returns why `values` do not fit `layer` (count, then shapes), or None."""
    variables = layer.weights
    if len(values) != len(variables):
        return (f"{source}: layer {layer.name!r} expects {len(variables)} weight(s) "
                f"({[v.name for v in variables]}), but the saved weights of the file's layer "
                f"{saved_name!r} have {len(values)} element(s)")
    for variable, value in zip(variables, values):
        if tuple(variable.shape) != value.shape:
            return (f"{source}: layer {layer.name!r}, weight {variable.name!r} has shape "
                    f"{tuple(variable.shape)}, but the saved weight (in the file's layer "
                    f"{saved_name!r}) has shape {value.shape}")
    return None


def load_weights_from_hdf5_group(group: h5py.Group, layers: list, reshape: bool = False,
                                 source: str = "") -> None:
    """Loads weights into `layers` by order: the n-th layer with weights gets the n-th saved.

    Nothing is set unless every layer's weights fit.

    # Raises
        ValueError: for a different number of layers, or weights that do not fit a layer.
    """
    version = _root_attr(group, "keras_version")
    backend = _root_attr(group, "backend")
    targets = [layer for layer in layers if layer.weight_specs]
    names = _saved_layer_names(group, source)
    if len(names) != len(targets):
        # 2.2.4's wording, which scripts match, then the names.
        raise ValueError(f"{source}: you are trying to load a weight file containing "
                         f"{len(names)} layers into a model with {len(targets)} layers. "
                         f"The file's layers with weights are {names}; the model's are "
                         f"{[layer.name for layer in targets]}")
    pending = []
    for name, layer in zip(names, targets):
        values = legacy.preprocess_weights_for_loading(
            layer, _read_layer_values(group, name, source), version, backend, reshape=reshape)
        problem = _check_fit(layer, values, name, source)
        if problem:
            raise ValueError(problem)
        pending.append((layer, values))
    for layer, values in pending:
        K.batch_set_value(list(zip(layer.weights, values)))


def load_weights_from_hdf5_group_by_name(group: h5py.Group, layers: list,
                                         skip_mismatch: bool = False, reshape: bool = False,
                                         source: str = "") -> None:
    """Loads weights into the layers whose names the file holds; other layers are left as is.

    # Raises
        ValueError: for weights that do not fit a layer, unless `skip_mismatch`
            (then the layer is skipped with a warning).
    """
    version = _root_attr(group, "keras_version")
    backend = _root_attr(group, "backend")
    by_name: dict[str, list] = {}
    for layer in layers:
        by_name.setdefault(layer.name, []).append(layer)
    pending = []
    for name in _saved_layer_names(group, source):
        for layer in by_name.get(name, []):
            values = legacy.preprocess_weights_for_loading(
                layer, _read_layer_values(group, name, source), version, backend,
                reshape=reshape)
            problem = _check_fit(layer, values, name, source)
            if problem and skip_mismatch:
                warnings.warn(f"Skipping loading of weights for layer {layer.name!r} due to "
                              f"mismatch in its weights: {problem}",
                              stacklevel=3)
                continue
            if problem:
                raise ValueError(problem)
            pending.append((layer, values))
    for layer, values in pending:
        K.batch_set_value(list(zip(layer.weights, values)))


def _require_built(model: Any, what: str, source: str) -> None:
    if not model.built:
        raise ValueError(f"{source}: cannot {what} model {model.name!r} before it is built; "
                         "give its first layer an `input_shape` or call `model.build()` first")


def save_weights(model: Any, filepath: Any, overwrite: bool = True) -> None:
    """Saves all layer weights to an HDF5 file in Keras 2's layout.

    # Arguments
        model: a built jeras model.
        filepath: path of the file (or an open `h5py.Group`).
        overwrite: whether to replace an existing file silently; if False,
            ask on the console (as Keras 2 does).

    # Raises
        ValueError: if the model is not built.
    """
    source = _describe(filepath)
    _require_built(model, "save the weights of", source)
    if jax.process_index() != 0: return  # Several hosts, one file: process 0 writes it.
    with _writing(filepath, overwrite) as f:
        if f is not None:
            _write_layer_weights(f, model.layers)


def load_weights(model: Any, filepath: Any, by_name: bool = False, skip_mismatch: bool = False,
                 reshape: bool = False) -> None:
    """Loads weights from a Keras HDF5 weights file or whole-model file.

    # Arguments
        model: a built jeras model.
        filepath: path of the file (or an open `h5py.Group`).
        by_name: match layers by name (only those with a saved namesake are
            set) instead of by order.
        skip_mismatch: with `by_name`, skip (with a warning) layers whose
            saved weights do not fit instead of raising.
        reshape: reshape conv kernels whose size fits but shape does not.

    # Raises
        OSError: a missing, truncated or non-HDF5 file.
        ValueError: weights that do not fit the model (naming the file and
            the layer), or an unbuilt model.
    """
    source = _describe(filepath)
    if skip_mismatch and not by_name:
        raise ValueError("load_weights: `skip_mismatch=True` only works with `by_name=True`")
    _require_built(model, "load weights into", source)
    with _reading(filepath) as f:
        if "layer_names" not in f.attrs and "layer_names0" not in f.attrs \
                and "model_weights" in f:
            f = f["model_weights"]
        if by_name:
            load_weights_from_hdf5_group_by_name(f, model.layers, skip_mismatch=skip_mismatch,
                                                 reshape=reshape, source=source)
        else:
            load_weights_from_hdf5_group(f, model.layers, reshape=reshape, source=source)


# Whole models.

def _variable_names(layer: Any) -> list[str]:
    """The names of a layer's variables in `_values` order, nested models' included."""
    if hasattr(layer, "layers"):
        return [name for sub in layer.layers for name in _variable_names(sub)]
    return [v.name for v in layer.variables]


def _slot_names(optimizer: Any, model: Any) -> list[str]:
    """The optimizer slots' names, in `get_weights()` order: `training/Adam/dense_1/kernel/m:0`."""
    prefix = type(optimizer).__name__
    # The weights the slots follow are the compiled trainable set, which a
    # GAN's discriminator keeps after being frozen for the combined model.
    names_of = [_variable_names(layer) for layer in model.layers]
    params = [names_of[li][wi].removesuffix(":0") for li, wi in model._trainable_index]
    names = []
    for field in optimizer._weight_layouts[0]:
        if field == "iterations":
            names.append(f"{prefix}/iterations:0")
        elif isinstance(getattr(model._state.opt_state, field), list):
            names.extend(f"training/{prefix}/{p}/{field}:0" for p in params)
        else:
            names.append(f"training/{prefix}/{field}:0")
    return names


def save_model(model: Any, filepath: Any, overwrite: bool = True,
               include_optimizer: bool = True) -> None:
    """Saves a model (config, weights and, if compiled, training config and optimizer state).

    # Arguments
        model: a jeras model.
        filepath: path of the file (or an open `h5py.Group`).
        overwrite: whether to replace an existing file silently; if False,
            ask on the console (as Keras 2 does).
        include_optimizer: whether to store the training config and the
            optimizer's slots (needed to resume training exactly).

    # Raises
        ValueError: if the model is not built.
        TypeError: if a config holds something JSON cannot represent.
    """
    source = _describe(filepath)
    _require_built(model, "save", source)
    if jax.process_index() != 0: return  # Several hosts, one file: process 0 writes it.
    model_config = json.dumps({"class_name": type(model).__name__, "config": model.get_config()},
                              default=json_default)
    compiled = include_optimizer and model.optimizer is not None \
        and model._compiled_spec is not None
    train_config = json.dumps(training_config(model), default=json_default) if compiled else None
    with _writing(filepath, overwrite) as f:
        if f is None:
            return
        f.attrs["keras_version"] = KERAS_VERSION.encode("utf8")
        f.attrs["backend"] = BACKEND.encode("utf8")
        f.attrs["model_config"] = model_config.encode("utf8")
        _write_layer_weights(f.create_group("model_weights"), model.layers)
        if train_config is None:
            return
        f.attrs["training_config"] = train_config.encode("utf8")
        # The file holds this model's slots, also when its optimizer was shared
        # with a model compiled later (a GAN's).
        values = model.optimizer._weights_of(model._state.opt_state)
        if values:
            group = f.create_group("optimizer_weights")
            names = _unique_names(_slot_names(model.optimizer, model))
            save_attributes(group, "weight_names", names)
            for name, value in zip(names, values, strict=True):
                group.create_dataset(name, data=value)


def _decode_json_attr(f: h5py.Group, name: str, source: str) -> Any:
    raw = f.attrs.get(name)
    if raw is None:
        return None
    try:
        return json.loads(_attr_text(raw))
    except json.JSONDecodeError as err:
        raise ValueError(f"{source}: the {name!r} attribute is not valid JSON ({err})") from None


def load_model(filepath: Any, custom_objects: Mapping[str, Any] | None = None,
               compile: bool = True, safe_mode: bool = True) -> Any:
    """Loads a model saved by `save_model` (or by Keras 2.x, tf.keras or Keras 3 as `.h5`).

    # Arguments
        filepath: path of the file (or an open `h5py.Group`).
        custom_objects: user classes and functions by name: layers,
            activations, initializers, losses, metrics, optimizers.
        compile: compile the model with the saved training config and
            restore the optimizer's state. A training config jeras cannot
            represent leaves the model uncompiled, with a warning.
        safe_mode: refuse `Lambda` layers holding marshalled Python code
            (loading them runs that code); pass False only for trusted files.

    # Returns
        A jeras model with the saved weights, compiled when the file holds a
        training config and `compile` is True.

    # Raises
        OSError: a missing, truncated or non-HDF5 file.
        ValueError: a file without a model config, a refused Lambda layer,
            an unknown layer class, or weights that do not fit the model.
    """
    source = _describe(filepath)
    custom_objects = dict(custom_objects or {})
    with _reading(filepath) as f:
        config = _decode_json_attr(f, "model_config", source)
        if config is None:
            raise ValueError(f"{source}: no model found in the file (it has no 'model_config' "
                             "attribute; for a weights file use `model.load_weights`)")
        version = _root_attr(f, "keras_version")
        model = model_from_config(config, custom_objects, safe_mode=safe_mode,
                                  keras_version=version or "1", source=source)
        _require_built(model, "load weights into", source)
        if "model_weights" not in f:
            raise ValueError(f"{source}: the file has a model config but no 'model_weights'")
        load_weights_from_hdf5_group(f["model_weights"], model.layers, source=source)
        if compile:
            _compile_from_file(model, f, custom_objects, source)
    return model


def _compile_from_file(model: Any, f: h5py.Group, custom_objects: dict, source: str) -> None:
    config = _decode_json_attr(f, "training_config", source)
    if config is None:
        warnings.warn(f"{source}: no training configuration found in the file; the model was "
                      "*not* compiled. Compile it manually.", stacklevel=3)
        return
    try:
        model.compile(**compile_args(config, custom_objects, model.output_names))
    except (ValueError, TypeError) as err:
        # The model still predicts; only training needs what is missing.
        warnings.warn(f"{source}: the model was *not* compiled, because its training "
                      f"configuration cannot be restored: {err}. Pass the missing objects in "
                      "`custom_objects`, or compile it yourself.", stacklevel=3)
        return
    if "optimizer_weights" not in f:
        return
    group = f["optimizer_weights"]
    try:
        names = load_attributes(group, "weight_names")
        values = [np.asarray(group[n]) for n in names]
    except (KeyError, OSError) as err:
        raise ValueError(f"{source}: cannot read the optimizer weights (the file is corrupt "
                         f"or incomplete): {err}") from None
    values = legacy.order_optimizer_weights(names, values)
    if model._state.opt_state is None:
        model._init_optimizer_state()
    try:
        model.optimizer.set_weights(values)
    except ValueError as err:
        warnings.warn(f"{source}: error in loading the saved optimizer state ({err}); the "
                      "model starts with a freshly initialized optimizer.", stacklevel=3)
