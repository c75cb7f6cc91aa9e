"""Checks and conversions of what users hand to compile/fit/evaluate/predict.

Everything here runs on the host before anything is traced, so bad input is
answered with a message naming the argument instead of a JAX traceback.
"""
from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse

from jeras import backend as K
from jeras import losses as losses_module


def check_positive_int(value: Any, argument: str, allow_zero: bool = False) -> int:
    """Returns `value` as an int, or raises naming `argument`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        kind = "a non-negative" if allow_zero else "a positive"
        raise TypeError(f"`{argument}` must be {kind} int, got {type(value).__name__} {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        kind = ">= 0" if allow_zero else ">= 1"
        raise ValueError(f"`{argument}` must be an int {kind}, got {value!r}")
    return int(value)


def to_list(x: Any) -> list:
    if isinstance(x, (list, tuple)):
        return list(x)
    return [x]


def as_numeric_array(value: Any, argument: str) -> np.ndarray:
    """Converts one array-like to a numpy array of a numeric dtype.

    Floats become `floatx`; integers stay integers (class ids, token ids).

    # Raises
        TypeError: if the data is not numeric (strings, objects, None).
    """
    if value is None:
        raise TypeError(f"`{argument}` is None; expected a numpy array")
    if scipy.sparse.issparse(value):
        # Keras 2.2.4 fed scipy sparse matrices to sparse placeholders; here they train dense.
        value = value.toarray()
    arr = np.asarray(value)
    if arr.dtype == np.bool_:
        arr = arr.astype(K.floatx())
    if not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"`{argument}` must hold numbers, got an array of dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"`{argument}` must hold real numbers, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.floating) and arr.dtype != np.dtype(K.floatx()):
        arr = arr.astype(K.floatx())
    if np.issubdtype(arr.dtype, np.integer) and arr.dtype.itemsize > 4:
        arr = arr.astype(np.int32)
    if arr.ndim == 0:
        raise ValueError(f"`{argument}` must have a batch axis, got a scalar")
    return arr


def standardize_arrays(data: Any, names: Sequence[str], shapes: Sequence[tuple],
                       argument: str, check_shapes: Sequence[bool] | None = None) -> list:
    """Turns `x` or `y` (an array, a list, or a dict keyed by layer name) into a checked list.

    1-D arrays get a trailing axis when the model expects 2-D data, as Keras 2 does.

    # Arguments
        data: what the user passed.
        names: the model's input (or output) names.
        shapes: the expected shapes, batch axis first (None for unknown sizes).
        argument: `'x'` or `'y'`, for messages.
        check_shapes: per entry, whether to check the non-batch shape.

    # Raises
        ValueError: wrong count, missing key or wrong shape. TypeError: non-numeric data.
    """
    if isinstance(data, dict):
        missing = [n for n in names if n not in data]
        if missing:
            raise ValueError(f"`{argument}`: no data provided for {missing}; the dict must "
                             f"have keys {list(names)}")
        arrays = [data[n] for n in names]
    elif isinstance(data, (list, tuple)) and len(names) > 1:
        arrays = list(data)
    elif isinstance(data, (list, tuple)) and len(data) == 1 and np.ndim(data[0]) >= 1 \
            and not np.isscalar(data[0]):
        arrays = list(data)
    else:
        arrays = [data]
    if len(arrays) != len(names):
        raise ValueError(f"`{argument}`: the model expects {len(names)} array(s) for "
                         f"{list(names)}, but got {len(arrays)}")
    out = []
    for arr, shape in zip(arrays, shapes):
        arr = as_numeric_array(arr, argument)
        if arr.ndim == 1 and len(shape) == 2:
            arr = arr[:, None]
        out.append(arr)
    check_array_shapes(out, names, shapes, argument, check_shapes)
    return out


def check_array_shapes(arrays: Sequence[np.ndarray], names: Sequence[str],
                       shapes: Sequence[tuple], argument: str,
                       check_shapes: Sequence[bool] | None = None) -> None:
    """Checks each array's shape beyond the batch axis against the model's.

    # Arguments
        arrays: the standardized arrays.
        names: the model's input (or output) names.
        shapes: the expected shapes, batch axis first (None for unknown sizes).
        argument: `'x'` or `'y'`, for messages.
        check_shapes: per entry, whether to check it (all when None).

    # Raises
        ValueError: naming the first array whose shape differs.
    """
    for i, (arr, name, shape) in enumerate(zip(arrays, names, shapes)):
        if check_shapes is not None and not check_shapes[i]:
            continue
        expected = tuple(shape[1:])
        got = arr.shape[1:]
        if len(expected) != len(got) or any(
                e is not None and e != g for e, g in zip(expected, got)):
            raise ValueError(
                f"`{argument}`: expected {name} to have shape {expected} but got array "
                f"with shape {got} (full array shape {arr.shape})")


def check_same_length(x: list, y: list) -> int:
    """Returns the common sample count of all arrays in `x` and `y`."""
    xs = {a.shape[0] for a in x}
    ys = {a.shape[0] for a in y}
    if len(xs) > 1:
        raise ValueError(f"All input arrays (`x`) should have the same number of samples, "
                         f"got {sorted(xs)}")
    if len(ys) > 1:
        raise ValueError(f"All target arrays (`y`) should have the same number of samples, "
                         f"got {sorted(ys)}")
    if y and xs != ys:
        raise ValueError(f"Input arrays should have the same number of samples as target "
                         f"arrays: found {xs.pop()} input samples (`x`) and {ys.pop()} target "
                         f"samples (`y`)")
    return xs.pop()


def check_loss_and_target(y: list, loss_fns: list, output_shapes: list) -> None:
    """Catches the classic mistake of integer targets with categorical_crossentropy."""
    for arr, fn, shape in zip(y, loss_fns, output_shapes):
        if fn is losses_module.categorical_crossentropy and arr.shape[-1] == 1 \
                and shape[-1] not in (None, 1):
            raise ValueError(
                f"`y`: you are passing a target array of shape {arr.shape} while using as loss "
                "`categorical_crossentropy`, which expects one-hot targets of shape (samples, "
                "classes). Convert integer classes with "
                "`jeras.utils.to_categorical(y)` or use the loss "
                "`sparse_categorical_crossentropy`.")


# Keras 2.2.4's names, for code (and tests) that call its training utilities.

def check_array_length_consistency(inputs: Any, targets: Any, weights: Any = None) -> None:
    """Checks that inputs, targets and sample weights agree on the number of samples.

    As in 2.2.4, each argument is iterated as a list of arrays (None, and
    None entries, count as 0 samples), so weights of None with targets fail.

    # Arguments
        inputs, targets, weights: lists of arrays, or None.

    # Raises
        ValueError: when the counts differ within or between the three.
    """
    def counts(arrays: Any) -> set:
        if arrays is None:
            return {0}
        return {0 if a is None else int(np.shape(a)[0]) for a in arrays}

    xs, ys, ws = counts(inputs), counts(targets), counts(weights)
    if len(xs) > 1:
        raise ValueError(f"All input arrays (x) should have the same number of samples. Got "
                         f"array shapes: {[np.shape(a) for a in inputs]}")
    if len(ys) > 1:
        raise ValueError(f"All target arrays (y) should have the same number of samples. Got "
                         f"array shapes: {[np.shape(a) for a in targets]}")
    if xs != ys:
        raise ValueError(f"Input arrays should have the same number of samples as target "
                         f"arrays. Found {min(xs)} input samples and {min(ys)} target samples.")
    if len(ws) > 1:
        raise ValueError("All sample_weight arrays should have the same number of samples.")
    if ys != ws:
        raise ValueError(f"Sample_weight arrays should have the same number of samples as "
                         f"target arrays. Got {min(ys)} target samples and {min(ws)} weights.")


def make_batches(size: int, batch_size: int) -> list[tuple[int, int]]:
    """Keras 2.2.4's batch boundaries: `(start, end)` index pairs covering `size` samples.

    # Arguments
        size: the number of samples.
        batch_size: the samples per batch (the last batch may be shorter).
    """
    return [(start, min(size, start + batch_size)) for start in range(0, size, batch_size)]


def check_loss_and_target_compatibility(targets: list, loss_fns: list,
                                        output_shapes: list) -> None:
    """Keras 2.2.4's check of targets against the losses that read them.

    # Raises
        ValueError: for `categorical_crossentropy` on targets whose last axis
            is 1 (integer classes), or for `mean_squared_error`,
            `binary_crossentropy` or `categorical_crossentropy` on targets whose
            shape differs from the output's.
    """
    same_shape = (losses_module.mean_squared_error, losses_module.binary_crossentropy,
                  losses_module.categorical_crossentropy)
    for y, fn, shape in zip(targets, loss_fns, output_shapes):
        if y is None or fn is None:
            continue
        if fn is losses_module.categorical_crossentropy and y.shape[-1] == 1:
            raise ValueError(f"You are passing a target array of shape {y.shape} while using "
                             "as loss `categorical_crossentropy`, which expects targets to be "
                             "binary matrices (1s and 0s) of shape (samples, classes). Convert "
                             "integer classes with `to_categorical(y)`, or use the loss "
                             "`sparse_categorical_crossentropy`.")
        if any(fn is f for f in same_shape):
            for target_dim, out_dim in zip(y.shape[1:], shape[1:]):
                if out_dim is not None and target_dim != out_dim:
                    raise ValueError(f"A target array with shape {y.shape} was passed for an "
                                     f"output of shape {tuple(shape)} while using as loss "
                                     f"`{fn.__name__}`. This loss expects targets to have the "
                                     "same shape as the output.")


def weighted_masked_objective(fn: Any) -> Any:
    """Keras 2.2.4's wrapper of a loss: `f(y_true, y_pred, weights, mask=None)`, the mean
    of the per-sample losses, masked (divided by the mask's mean) and weighted (divided by
    the share of non-zero weights). Works on arrays and graph tensors alike.
    """
    def weighted(y_true: Any, y_pred: Any, weights: Any, mask: Any = None) -> Any:
        score = fn(y_true, y_pred)
        if mask is not None:
            mask = K.cast(mask, K.floatx())
            score = score * mask / K.mean(mask)
        if weights is not None:
            extra = list(range(K.ndim(weights), K.ndim(score)))
            if extra:
                score = K.mean(score, axis=extra)
            score = score * weights / K.mean(K.cast(K.not_equal(weights, 0), K.floatx()))
        return K.mean(score)

    return weighted


def standardize_sample_weights(sample_weight: Any, class_weight: Any, y: list, n: int,
                               mode: str | list | None, output_names: Sequence[str]) -> list:
    """Returns one float weight array per output (shape `(n,)`, or `(n, T)` when temporal).

    As in Keras 2.2.4, an explicit `sample_weight` wins over `class_weight`.

    # Raises
        ValueError: for weights of the wrong shape, or classes missing from `class_weight`.
    """
    if sample_weight is None:
        sws = [None] * len(y)
    elif isinstance(sample_weight, dict):
        sws = [sample_weight.get(name) for name in output_names]
    elif isinstance(sample_weight, tuple) and len(output_names) > 1:
        raise TypeError("`sample_weight` for several outputs must be a list or a dict by "
                        f"output name, got a tuple of {len(sample_weight)}")
    elif isinstance(sample_weight, list) and len(output_names) > 1:
        sws = list(sample_weight)
    else:
        sws = [sample_weight]
    if isinstance(class_weight, dict) and class_weight and \
            all(isinstance(k, str) for k in class_weight) and set(class_weight) & set(output_names):
        cws = [class_weight.get(name) for name in output_names]
    else:
        cws = [class_weight] * len(y)
    modes = mode if isinstance(mode, list) else [mode] * len(y)
    out = []
    for sw, cw, target, mode in zip(sws, cws, y, modes):  # noqa: B020 - one mode per output
        if sw is not None:
            sw = as_numeric_array(sw, "sample_weight").astype(K.floatx())
            expected_ndim = 2 if mode == "temporal" else 1
            if sw.ndim != expected_ndim or sw.shape[0] != n or \
                    (mode == "temporal" and sw.shape[1] != target.shape[1]):
                want = f"({n}, timesteps)" if mode == "temporal" else f"({n},)"
                raise ValueError(f"`sample_weight`: expected an array of shape {want}, "
                                 f"got shape {sw.shape}")
            out.append(sw)
        elif cw is not None:
            if not isinstance(cw, dict):
                raise TypeError(f"`class_weight` must be a dict mapping class to weight, "
                                f"got {type(cw).__name__}")
            if target.ndim == 2 and target.shape[1] > 1:
                classes = np.argmax(target, axis=1)
            else:
                classes = np.reshape(target, (target.shape[0], -1))[:, 0].astype(np.int64)
            missing = sorted(set(np.unique(classes).tolist()) - set(cw))
            if missing:
                raise ValueError(f"`class_weight` must contain all classes in the data; the "
                                 f"classes {missing} exist in the data but not in class_weight")
            out.append(np.asarray([cw[c] for c in classes.tolist()], dtype=K.floatx()))
        else:
            shape = (n, target.shape[1]) if mode == "temporal" else (n,)
            out.append(np.ones(shape, dtype=K.floatx()))
    return out


def split_validation(arrays: list, validation_split: float) -> tuple[list, list]:
    """Splits off the last `validation_split` fraction of every array, as Keras 2 does."""
    if isinstance(validation_split, bool) or not isinstance(validation_split, numbers.Real):
        raise TypeError(f"`validation_split` must be a float in [0, 1), got {validation_split!r}")
    if not 0.0 <= validation_split < 1.0:
        raise ValueError(f"`validation_split` must be in [0, 1), got {validation_split!r}")
    n = arrays[0].shape[0]
    split_at = int(n * (1.0 - validation_split))
    if split_at == 0 or split_at == n:
        raise ValueError(f"`validation_split`={validation_split} leaves no training or no "
                         f"validation samples out of {n}")
    return [a[:split_at] for a in arrays], [a[split_at:] for a in arrays]
