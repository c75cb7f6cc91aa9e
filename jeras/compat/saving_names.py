"""The names of Keras 2.2.4's `keras.engine.saving` that jeras spells otherwise.

`keras.engine.saving` stands for `jeras.saving` and its modules; these are the
2.2.4 names of the HDF5 helpers custom saving code imports from it.
"""
from __future__ import annotations

from typing import Any

import h5py

from jeras.saving import hdf5
from jeras.saving.hdf5 import load_attributes as load_attributes_from_hdf5_group
from jeras.saving.hdf5 import save_attributes as save_attributes_to_hdf5_group


def save_weights_to_hdf5_group(f: h5py.Group, layers: list[Any]) -> None:
    """Writes the weights of `layers` into an open HDF5 group, in Keras 2's layout.

    # Arguments
        f: an open `h5py.File` or group.
        layers: the layers, e.g. `model.layers`.
    """
    hdf5._write_layer_weights(f, layers)


__all__ = ["load_attributes_from_hdf5_group", "save_attributes_to_hdf5_group",
           "save_weights_to_hdf5_group"]
