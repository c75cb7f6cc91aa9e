"""Pickling a model, as Keras 2.2.4 did: through its whole-model HDF5 form.

`pickle_model(model)` is a plain dict holding the bytes of the HDF5 file
`save_model` writes (config, weights and, for a compiled model, the training
config and optimizer state), and the custom layer classes the model uses, by
reference; `unpickle_model(state)` loads it back. A model's `__reduce__`
hands these to `pickle`, so `pickle.loads(pickle.dumps(model))` predicts the
same, has the same config and resumes training where the original was.
"""
from __future__ import annotations

import io
import json
import sys
from typing import Any

import h5py

from jeras.saving.hdf5 import load_model, save_model
from jeras.saving.model_config import json_default, model_from_config

#: The version of the layout of `pickle_model`'s dict.
_FORMAT = 1


def _importable_classes(model: Any) -> dict[str, type]:
    """The layer classes outside jeras that `pickle` can name (module-level classes)."""
    classes: dict[str, type] = {}
    stack = [model]
    while stack:
        layer = stack.pop()
        cls = type(layer)
        module = sys.modules.get(cls.__module__)
        if not cls.__module__.startswith("jeras.") and \
                getattr(module, cls.__qualname__, None) is cls:
            classes[cls.__name__] = cls
        stack.extend(getattr(layer, "layers", []))
        inner = getattr(layer, "layer", None)  # wrappers (TimeDistributed, Bidirectional)
        if inner is not None:
            stack.append(inner)
    return classes


def pickle_model(model: Any) -> dict:
    """Turns a model into a picklable dict: its HDF5 file's bytes and its custom classes.

    # Arguments
        model: a jeras model (built or not, compiled or not).

    # Returns
        A dict for `unpickle_model`. An unbuilt model, which has no weights
        yet, is kept as its config alone.
    """
    state: dict[str, Any] = {"format": _FORMAT, "classes": _importable_classes(model)}
    if not model.built:
        state["config"] = json.dumps({"class_name": type(model).__name__,
                                      "config": model.get_config()}, default=json_default)
        return state
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        save_model(model, f)
    state["h5"] = buffer.getvalue()
    return state


def unpickle_model(state: dict) -> Any:
    """Rebuilds the model `pickle_model` described.

    Layers are looked up among the classes saved with it, then the global
    custom objects (`custom_object_scope`), then jeras's own.

    # Arguments
        state: what `pickle_model` returned.

    # Returns
        A jeras model with the same config and weights, compiled with the
        same optimizer state when the original was compiled.

    # Raises
        ValueError: for a dict `pickle_model` did not make.
    """
    if not isinstance(state, dict) or state.get("format") != _FORMAT:
        raise ValueError("unpickle_model: not a jeras pickled model (or one from a newer jeras)")
    classes = state.get("classes") or {}
    # A pickle runs code when loaded anyway; Lambda layers in it load as Keras 2's did.
    if "h5" not in state:
        return model_from_config(json.loads(state["config"]), classes, safe_mode=False,
                                 source="unpickle_model")
    with h5py.File(io.BytesIO(state["h5"]), "r") as f:
        return load_model(f, classes, compile="training_config" in f.attrs, safe_mode=False)


__all__ = ["pickle_model", "unpickle_model"]
