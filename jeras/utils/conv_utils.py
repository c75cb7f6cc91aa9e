"""Utilities of convolutional layers: argument normalisation and output lengths.

These are the functions of Keras 2.2.4's `keras.utils.conv_utils` that custom
layers import; jeras's own layers check their arguments with the same rules.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from jeras import backend as K

_PADDINGS = ("valid", "same", "causal")


def normalize_tuple(value: Any, n: int, name: str) -> tuple[int, ...]:
    """Turns an int, or an iterable of `n` ints, into a tuple of `n` ints.

    # Arguments
        value: an int, or an iterable of ints.
        n: the length of the tuple to return.
        name: the argument's name (`'strides'`, `'kernel_size'`), for messages.

    # Returns
        A tuple of `n` ints.

    # Raises
        ValueError: when `value` is neither an int nor an iterable of `n` ints.
    """
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),) * n
    message = f"The `{name}` argument must be a tuple of {n} integers. Received: {value!r}"
    try:
        values = tuple(value)
    except TypeError:
        raise ValueError(message) from None
    if len(values) != n:
        raise ValueError(message)
    out = []
    for item in values:
        try:
            out.append(int(item))
        except (TypeError, ValueError):
            raise ValueError(f"{message} including element {item!r} of type "
                             f"{type(item)}") from None
    return tuple(out)


def normalize_data_format(value: str | None) -> str:
    """Checks a `data_format`, `None` meaning `K.image_data_format()`.

    # Arguments
        value: `'channels_first'`, `'channels_last'` or None.

    # Returns
        `'channels_first'` or `'channels_last'`.

    # Raises
        ValueError: for any other value.
    """
    if value is None:
        value = K.image_data_format()
    data_format = value.lower() if isinstance(value, str) else value
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError('The `data_format` argument must be one of "channels_first", '
                         f'"channels_last". Received: {value!r}')
    return data_format


def normalize_padding(value: str) -> str:
    """Lower-cases a `padding` and checks it is `'valid'`, `'same'` or `'causal'`.

    # Arguments
        value: the padding given to a layer.

    # Returns
        The padding, lower-cased.

    # Raises
        ValueError: for any other value.
    """
    padding = value.lower() if isinstance(value, str) else value
    if padding not in _PADDINGS:
        raise ValueError('The `padding` argument must be one of "valid", "same" (or "causal" '
                         f'for Conv1D). Received: {value!r}')
    return padding


def convert_kernel(kernel: Any) -> np.ndarray:
    """Flips a convolution kernel along its spatial axes, Theano's layout to TensorFlow's.

    Theano computed true convolutions, TensorFlow (and jeras) correlations;
    flipping is its own inverse, so it converts either way.

    # Arguments
        kernel: a 3D, 4D or 5D array; its last two axes (input and output
            channels) are left as they are.

    # Returns
        The flipped kernel, a new array.

    # Raises
        ValueError: for a kernel of another rank.
    """
    kernel = np.asarray(kernel)
    if not 3 <= kernel.ndim <= 5:
        raise ValueError(f"Invalid kernel shape: {kernel.shape} (expected 3, 4 or 5 axes)")
    return np.flip(kernel, axis=tuple(range(kernel.ndim - 2))).copy()


def _dilated(filter_size: int, dilation: int) -> int:
    return filter_size + (filter_size - 1) * (dilation - 1)


class PaddingError(ValueError, AssertionError):
    """An unknown `padding` given to one of the length functions.

    Keras 2.2.4 checks these paddings with `assert`, so code written against it
    catches `AssertionError`; code written for jeras's "errors at the door"
    catches `ValueError`. The error is both, so either `except` clause works.
    """


def _check_padding(padding: str, allowed: tuple[str, ...], function: str) -> None:
    if padding not in allowed:
        raise PaddingError(f"{function}: `padding` must be one of {list(allowed)}, "
                           f"got {padding!r}")


def conv_output_length(input_length: int | None, filter_size: int, padding: str, stride: int,
                       dilation: int = 1) -> int | None:
    """The length of a convolution's (or pooling's) output along one axis.

    # Arguments
        input_length: the input's length, or None when unknown.
        filter_size: the kernel's size.
        padding: `'same'`, `'valid'`, `'full'` or `'causal'`.
        stride: the stride.
        dilation: the dilation rate.

    # Returns
        The output length, or None for an unknown input length.

    # Raises
        PaddingError: (a `ValueError` and an `AssertionError`) for another padding.
    """
    if input_length is None:
        return None
    _check_padding(padding, ("same", "valid", "full", "causal"), "conv_output_length")
    size = _dilated(filter_size, dilation)
    if padding in ("same", "causal"):
        length = input_length
    elif padding == "valid":
        length = input_length - size + 1
    else:
        length = input_length + size - 1
    return (length + stride - 1) // stride


def conv_input_length(output_length: int | None, filter_size: int, padding: str,
                      stride: int) -> int | None:
    """The input length a convolution needs to give `output_length` (one axis).

    # Arguments
        output_length: the output's length, or None when unknown.
        filter_size: the kernel's size.
        padding: `'same'`, `'valid'` or `'full'`.
        stride: the stride.

    # Returns
        The input length, or None for an unknown output length.

    # Raises
        PaddingError: (a `ValueError` and an `AssertionError`) for another padding.
    """
    if output_length is None:
        return None
    _check_padding(padding, ("same", "valid", "full"), "conv_input_length")
    pad = {"same": filter_size // 2, "valid": 0, "full": filter_size - 1}[padding]
    return (output_length - 1) * stride - 2 * pad + filter_size


def deconv_length(dim_size: int | None, stride_size: int, kernel_size: int, padding: str,
                  output_padding: int | None = None, dilation: int = 1) -> int | None:
    """The length of a transposed convolution's output along one axis.

    # Arguments
        dim_size: the input's length, or None when unknown.
        stride_size: the stride.
        kernel_size: the kernel's size.
        padding: `'same'`, `'valid'` or `'full'`.
        output_padding: extra length on the output's far side; None infers
            the length as Keras 2.2.4 does.
        dilation: the dilation rate.

    # Returns
        The output length, or None for an unknown input length.

    # Raises
        PaddingError: (a `ValueError` and an `AssertionError`) for another padding.
    """
    _check_padding(padding, ("same", "valid", "full"), "deconv_length")
    if dim_size is None:
        return None
    kernel_size = _dilated(kernel_size, dilation)
    if output_padding is None:
        if padding == "valid":
            return dim_size * stride_size + max(kernel_size - stride_size, 0)
        if padding == "full":
            return dim_size * stride_size - (stride_size + kernel_size - 2)
        return dim_size * stride_size
    pad = {"same": kernel_size // 2, "valid": 0, "full": kernel_size - 1}[padding]
    return (dim_size - 1) * stride_size + kernel_size - 2 * pad + output_padding


__all__ = ["PaddingError", "conv_input_length", "conv_output_length", "convert_kernel",
           "deconv_length", "normalize_data_format", "normalize_padding", "normalize_tuple"]
