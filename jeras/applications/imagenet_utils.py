"""What the ImageNet applications share: input preprocessing, decoding of
predictions, input-shape rules, and reading Keras 2's cached weight files.

Keras 2 downloads weight files and the class index into `~/.keras/models/`.
jeras reads them from there under Keras's own file names and never downloads: a missing
file is an error that names it, where to put it and where Keras fetched it.
"""
from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from jeras import backend as K
from jeras.engine.base_layer import SymbolicTensor
from jeras.engine.input_layer import Input
from jeras.engine.training import Model
from jeras.layers import GlobalAveragePooling2D, GlobalMaxPooling2D

__all__ = ["decode_predictions", "preprocess_input"]

CLASS_INDEX_FILE = "imagenet_class_index.json"
CLASS_INDEX_URL = ("https://s3.amazonaws.com/deep-learning-models/image-models/"
                   "imagenet_class_index.json")

_CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)


def cache_dir() -> str:
    """Where Keras 2's `get_file` keeps models: `~/.keras/models`."""
    return os.path.join(os.path.expanduser("~"), ".keras", "models")


def cached_file(fname: str, origin: str) -> str:
    """The path of a file Keras 2 caches under `~/.keras/models/`.

    # Arguments
        fname: Keras's file name (`'vgg16_weights_tf_dim_ordering_tf_kernels.h5'`).
        origin: the URL Keras downloads it from, for the error message.

    # Raises
        FileNotFoundError: when the cache does not hold the file; the message
            names it, where to put it and where to get it.
    """
    path = os.path.join(cache_dir(), fname)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"{fname} is not in the Keras cache, and jeras does not download files. "
            f"Download it from {origin} and put it at {path}")
    return path


# Preprocessing and decoding.

def _channel_axis(ndim: int, data_format: str) -> int:
    """The channel axis of a single image (rank 3) or a batch (rank 4)."""
    return ndim - 1 if data_format == "channels_last" else ndim - 3


def _preprocess_numpy_input(x: np.ndarray, data_format: str, mode: str) -> np.ndarray:
    """Keras 2's in-place preprocessing of a numpy array (see `preprocess_input`)."""
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(K.floatx(), copy=False)
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    axis = _channel_axis(x.ndim, data_format)
    if mode == "torch":
        x /= 255.0
        mean, std = _TORCH_MEAN, _TORCH_STD
    else:
        x = np.flip(x, axis)  # RGB to BGR: a view, so the caller's array is changed too
        mean, std = _CAFFE_MEAN_BGR, None
    for c in range(3):
        channel = (slice(None),) * axis + (c,)
        x[channel] -= mean[c]
        if std is not None:
            x[channel] /= std[c]
    return x


def _preprocess_tensor_input(x: Any, data_format: str, mode: str) -> Any:
    """Preprocessing of a graph tensor or a jax array, with `jeras.backend` functions."""
    if not K.dtype(x).startswith(("float", "bfloat")):
        x = K.cast(x, K.floatx())
    dtype = K.dtype(x)
    if mode == "tf":
        return x / 127.5 - 1.0
    ndim = K.ndim(x)
    axis = _channel_axis(ndim, data_format)
    shape = [1] * ndim
    shape[axis] = 3
    if mode == "torch":
        mean = np.reshape(_TORCH_MEAN, shape).astype(dtype)
        std = np.reshape(_TORCH_STD, shape).astype(dtype)
        return (x / 255.0 - mean) / std
    return K.reverse(x, axis) - np.reshape(_CAFFE_MEAN_BGR, shape).astype(dtype)


def preprocess_input(x: Any, data_format: str | None = None, mode: str = "caffe") -> Any:
    """Preprocesses a batch of images (or one image) as Keras 2 does for ImageNet models.

    # Arguments
        x: RGB images, pixel values in [0, 255]: a numpy array, a graph
            tensor (`Input()` or a layer's output) or a jax array, of rank 3
            (one image) or 4 (a batch). A float numpy array is overwritten,
            as in Keras 2 (pass `np.copy(x)` to keep it); integer arrays are
            converted to `K.floatx()` first.
        data_format: `'channels_last'` or `'channels_first'`; None means
            `K.image_data_format()`.
        mode: `'caffe'` (RGB to BGR, then minus the ImageNet mean of each
            channel, `[103.939, 116.779, 123.68]` in BGR order), `'tf'`
            (`x / 127.5 - 1`, in [-1, 1]) or `'torch'` (`x / 255`, then minus
            `[0.485, 0.456, 0.406]` and divided by `[0.229, 0.224, 0.225]`
            per RGB channel).

    # Returns
        The preprocessed images: for numpy input an array sharing the input's
        memory (in `'caffe'` mode a channel-reversed view of it, so the
        input itself holds the result in RGB order), otherwise a new tensor.

    # Raises
        ValueError: for an unknown `data_format` or `mode`.
    """
    data_format = K.image_data_format() if data_format is None else data_format
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(f"Unknown data_format {data_format!r}")
    if mode not in ("caffe", "tf", "torch"):
        raise ValueError(f"preprocess_input: `mode` must be 'caffe', 'tf' or 'torch', "
                         f"got {mode!r}")
    if isinstance(x, np.ndarray):
        return _preprocess_numpy_input(x, data_format, mode)
    return _preprocess_tensor_input(x, data_format, mode)


# Keras 2's name: the class index once read, so code may also set it.
CLASS_INDEX: dict | None = None
CLASS_INDEX_PATH = CLASS_INDEX_URL


def decode_predictions(preds: Any, top: int = 5) -> list[list[tuple]]:
    """Turns ImageNet predictions into `(class_id, class_name, score)` tuples, best first.

    The class index is Keras's `imagenet_class_index.json`, read from the
    Keras cache (`~/.keras/models/`) the first time, then kept in
    `CLASS_INDEX`.

    # Arguments
        preds: array of shape `(samples, 1000)`.
        top: how many classes to return per sample.

    # Returns
        One list of `top` tuples per sample, by decreasing score.

    # Raises
        ValueError: for predictions not of shape `(samples, 1000)`.
        FileNotFoundError: when the class index is not in the cache.
    """
    global CLASS_INDEX
    preds = np.asarray(preds)
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ValueError("`decode_predictions` expects a batch of predictions (i.e. a 2D array "
                         f"of shape (samples, 1000)). Found array with shape: {preds.shape}")
    if CLASS_INDEX is None:
        with open(cached_file(CLASS_INDEX_FILE, CLASS_INDEX_URL)) as f:
            CLASS_INDEX = json.load(f)
    results = []
    for row in preds:
        best = np.argsort(row, kind="stable")[::-1][:top]
        results.append([tuple(CLASS_INDEX[str(i)]) + (row[i],) for i in best])
    return results


# Building the models.

def check_weights(weights: str | None, include_top: bool, classes: int) -> None:
    """Validates the `weights` and `classes` arguments as Keras 2 does.

    # Raises
        ValueError: for `weights` that is neither None, `'imagenet'` nor an
            existing file, or ImageNet weights with a top of other than 1000 classes.
    """
    if not (weights in (None, "imagenet") or (isinstance(weights, str)
                                             and os.path.exists(weights))):
        raise ValueError("`weights` must be None (random initialization), 'imagenet' "
                         f"(pre-training on ImageNet) or the path to a weights file; got "
                         f"{weights!r}")
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError("With weights='imagenet' and include_top=True, `classes` must be "
                         f"1000; got {classes}")


def obtain_input_shape(input_shape: tuple | None, default_size: int, min_size: int,
                       data_format: str, require_flatten: bool,
                       weights: str | None = None) -> tuple:
    """The model's input shape (one sample), checked as Keras 2 checks it.

    # Arguments
        input_shape: the user's shape, or None for the default.
        default_size: the default image side.
        min_size: the smallest side accepted.
        data_format: the image data format.
        require_flatten: whether the top needs fixed sides (a Flatten or
            a fixed-size classifier).
        weights: None, `'imagenet'` or a path; ImageNet weights need 3 channels.

    # Raises
        ValueError: for a shape of the wrong rank, channels, or sides.
    """
    channels_first = data_format == "channels_first"
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        channels = input_shape[0] if channels_first else input_shape[-1]
        if channels not in (1, 3):
            warnings.warn(f"This model usually expects 1 or 3 input channels; got "
                          f"input_shape={input_shape}", stacklevel=3)
        default_shape = ((channels, default_size, default_size) if channels_first
                         else (default_size, default_size, channels))
    else:
        default_shape = ((3, default_size, default_size) if channels_first
                         else (default_size, default_size, 3))
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and tuple(input_shape) != default_shape:
            raise ValueError(f"With include_top=True and weights='imagenet', `input_shape` "
                             f"must be {default_shape}; got {tuple(input_shape)}")
        return default_shape
    if not input_shape:
        if require_flatten:
            return default_shape
        return (3, None, None) if channels_first else (None, None, 3)
    input_shape = tuple(input_shape)
    if len(input_shape) != 3:
        raise ValueError(f"`input_shape` must be a tuple of three ints; got {input_shape}")
    channels = input_shape[0] if channels_first else input_shape[-1]
    sides = input_shape[1:] if channels_first else input_shape[:2]
    if channels != 3 and weights == "imagenet":
        raise ValueError(f"ImageNet weights need 3 input channels; got input_shape="
                         f"{input_shape}")
    if any(s is not None and s < min_size for s in sides):
        raise ValueError(f"Input sides must be at least {min_size}x{min_size}; got "
                         f"input_shape={input_shape}")
    if require_flatten and None in input_shape:
        raise ValueError("With include_top=True, `input_shape` must be fully defined; got "
                         f"{input_shape}")
    return input_shape


def image_input(input_tensor: SymbolicTensor | None, input_shape: tuple) -> SymbolicTensor:
    """The model's image tensor: `input_tensor` when given, else a new `Input`."""
    if input_tensor is None:
        return Input(shape=input_shape)
    if not isinstance(input_tensor, SymbolicTensor):
        raise TypeError("`input_tensor` must be a symbolic tensor (from `Input()` or a layer); "
                        f"got {type(input_tensor).__name__}")
    return input_tensor


def _source_inputs(tensor: SymbolicTensor) -> list[SymbolicTensor]:
    """The `Input` tensors a symbolic tensor is computed from."""
    layer, node_index, _ = tensor._keras_history
    node = layer._inbound_nodes[node_index]
    if not node.inputs:
        return [tensor]
    found: list[SymbolicTensor] = []
    for t in node.inputs:
        found.extend(s for s in _source_inputs(t) if s not in found)
    return found


def top_or_pooling(x: SymbolicTensor, include_top: bool, pooling: str | None,
                   top: Callable[[SymbolicTensor], SymbolicTensor], pool_names: tuple = (None, None)
                   ) -> SymbolicTensor:
    """The classifier (`top`) when `include_top`, else the `pooling` Keras 2 offers.

    # Raises
        ValueError: for a `pooling` other than None, `'avg'` and `'max'`.
    """
    if include_top:
        return top(x)
    if pooling == "avg":
        return GlobalAveragePooling2D(name=pool_names[0])(x)
    if pooling == "max":
        return GlobalMaxPooling2D(name=pool_names[1])(x)
    if pooling is not None:
        raise ValueError(f"`pooling` must be None, 'avg' or 'max'; got {pooling!r}")
    return x


def keras_files(stem: str, origin: str, notop: str = "_notop") -> tuple:
    """`finish`'s `files` for Keras's usual names: `stem.h5` and `stem{notop}.h5` at `origin`."""
    return tuple((f"{stem}{tail}.h5", f"{origin}{stem}{tail}.h5") for tail in ("", notop))


def weights_file(weights: str | None, files: tuple[tuple[str, str], tuple[str, str]],
                 include_top: bool) -> str | None:
    """The weights file a model will load, found before the network is built.

    # Arguments
        weights: None, `'imagenet'` or the path of a weights file.
        files: `(Keras's file name, the URL Keras downloads it from)` with the top,
            then without it.
        include_top: which of `files` the ImageNet weights are.

    # Raises
        FileNotFoundError: when `'imagenet'` weights are not in the Keras cache.
    """
    if weights == "imagenet":
        return cached_file(*files[0 if include_top else 1])
    return weights


def finish(img_input: SymbolicTensor, input_tensor: SymbolicTensor | None, outputs: Any,
           name: str, weights_path: str | None) -> Model:
    """Makes the model (named as in Keras 2) and loads `weights_path` when given.

    With an `input_tensor` the model starts at that tensor's source inputs.
    """
    inputs = img_input if input_tensor is None else _source_inputs(input_tensor)
    model = Model(inputs, outputs, name=name)
    if weights_path is not None:
        model.load_weights(weights_path)
    return model


@contextmanager
def channels_last(model: str) -> Iterator[None]:
    """Builds under `'channels_last'`, the only format some models support, as Keras 2
    does: the global format is switched (with a warning) and restored afterwards."""
    previous = K.image_data_format()
    if previous == "channels_last":
        yield
        return
    warnings.warn(f"{model} is only available with 'channels_last'; the model is built "
                  "with it, so its inputs are (rows, cols, channels)", stacklevel=3)
    K.set_image_data_format("channels_last")
    try:
        yield
    finally:
        K.set_image_data_format(previous)


def correct_pad(x: SymbolicTensor, kernel_size: int) -> tuple:
    """The zero padding before a stride-2 'valid' convolution that matches TF's 'same'."""
    rows, cols = (x.shape[2:4] if K.image_data_format() == "channels_first" else x.shape[1:3])
    adjust = (1, 1) if rows is None else (1 - rows % 2, 1 - cols % 2)
    half = kernel_size // 2
    return ((half - adjust[0], half), (half - adjust[1], half))


def channel_axis() -> int:
    """The channel axis of 4-D image tensors in the current data format."""
    return 1 if K.image_data_format() == "channels_first" else -1
