"""Merge layers: combine several tensors into one (`Add`, `Concatenate`, `Dot`, ...)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax.numpy as jnp

from jeras import backend as K
from jeras.engine.base_layer import Layer, Shape, SymbolicTensor

__all__ = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
           "add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot"]


def _describe(tensors: Sequence[SymbolicTensor]) -> str:
    return ", ".join(f"{t.shape} from layer {t._keras_history[0].name!r}" for t in tensors)


def _broadcast_shapes(shape1: Shape | None, shape2: Shape | None, layer: str) -> Shape | None:
    """The shape of an elementwise op on two shapes (batch axis excluded), as numpy
    broadcasts: right-aligned, a size 1 takes the other's size, None stays unknown."""
    if shape1 is None or shape2 is None:
        return None
    if len(shape1) < len(shape2):
        shape1, shape2 = shape2, shape1
    if not shape2:
        return tuple(shape1)
    out = list(shape1[:len(shape1) - len(shape2)])
    for i, j in zip(shape1[len(shape1) - len(shape2):], shape2):
        if i is None or j is None:
            out.append(None)
        elif i == 1 or j == 1:
            out.append(j if i == 1 else i)
        elif i != j:
            raise ValueError(f"{layer}: operands could not be broadcast together with shapes "
                             f"{tuple(shape1)} {tuple(shape2)}")
        else:
            out.append(i)
    return tuple(out)


@K._dispatch
def _all_masks(masks: list) -> Any:
    """True where every mask is True (the masks broadcast against each other)."""
    combined = jnp.asarray(K._arr(masks[0]), bool)
    for m in masks[1:]:
        combined = jnp.logical_and(combined, jnp.asarray(K._arr(m), bool))
    return combined


def _check_masks(inputs: Any, mask: Any) -> None:
    # The checks of Keras 2.2.4's merge layers: one mask (or None) per input.
    if not isinstance(mask, (list, tuple)):
        raise ValueError(f"`mask` should be a list, got {type(mask).__name__}")
    if not isinstance(inputs, (list, tuple)):
        raise ValueError(f"`inputs` should be a list, got {type(inputs).__name__}")
    if len(mask) != len(inputs):
        raise ValueError(f"The lists `inputs` and `mask` should have the same length, got "
                         f"{len(inputs)} inputs and {len(mask)} masks")


class _Merge(Layer):
    """Base of the elementwise merges.

    The inputs' shapes broadcast as numpy's do (right-aligned, size-1 axes
    stretch), the batch axis apart; inputs of lower rank get axes inserted
    after the batch axis first, as Keras 2.2.4 does, so `(batch, 5)` adds to
    `(batch, 4, 5)` row by row.
    """

    supports_masking = True
    #: Whether `call` expands lower-rank inputs at axis 1 (not for Concatenate, Dot).
    _broadcast_ranks = True

    def __call__(self, inputs: Any, **kwargs: Any) -> Any:
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            got = f"{len(inputs)} inputs" if isinstance(inputs, (list, tuple)) else \
                type(inputs).__name__
            raise ValueError(f"{type(self).__name__} {self.name!r} must be called on a list of at "
                             f"least 2 tensors, got {got}")
        if all(isinstance(t, SymbolicTensor) for t in inputs):
            try:
                self.compute_output_shape([t.shape for t in inputs])
            except ValueError as error:
                raise ValueError(f"{error}; inputs: {_describe(inputs)}") from None
        return super().__call__(list(inputs), **kwargs)

    def _combine(self, inputs: list) -> Any:
        raise NotImplementedError

    def call(self, params, inputs, *, training=False, rng=None):
        inputs = [jnp.asarray(K._arr(x)) for x in inputs]
        if self._broadcast_ranks:
            rank = max(x.ndim for x in inputs)
            inputs = [x.reshape(x.shape[:1] + (1,) * (rank - x.ndim) + x.shape[1:])
                      for x in inputs]
        return self._combine(inputs)

    def compute_output_shape(self, input_shape: list) -> Shape:
        name = f"{type(self).__name__} {self.name!r}"
        shapes = [None if s is None else tuple(s) for s in input_shape]
        batch_sizes = {s[0] for s in shapes if s is not None} - {None}
        if len(batch_sizes) > 1:
            raise ValueError(f"{name}: cannot merge tensors with different batch sizes; got "
                             f"shapes {shapes}")
        out = None if shapes[0] is None else shapes[0][1:]
        for shape in shapes[1:]:
            out = _broadcast_shapes(out, None if shape is None else shape[1:], name)
        if out is None:
            return None
        return (batch_sizes.pop() if batch_sizes else None,) + out

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if mask is None:
            return None
        _check_masks(inputs, mask)
        masks = [m for m in mask if m is not None]
        if not masks:
            return None
        return _all_masks(masks)


class Add(_Merge):
    """Adds a list of inputs elementwise."""

    def _combine(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out


class Subtract(_Merge):
    """Subtracts the second input from the first (exactly two inputs)."""

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(f"Subtract {self.name!r} takes exactly 2 inputs, got "
                             f"{len(input_shape)}")
        return super().compute_output_shape(input_shape)

    def _combine(self, inputs):
        return inputs[0] - inputs[1]


class Multiply(_Merge):
    """Multiplies a list of inputs elementwise."""

    def _combine(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out * x
        return out


class Average(_Merge):
    """Averages a list of inputs elementwise."""

    def _combine(self, inputs):
        return sum(inputs[1:], inputs[0]) / len(inputs)


class Maximum(_Merge):
    """The elementwise maximum of a list of inputs."""

    def _combine(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = jnp.maximum(out, x)
        return out


class Minimum(_Merge):
    """The elementwise minimum of a list of inputs."""

    def _combine(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = jnp.minimum(out, x)
        return out


class Concatenate(_Merge):
    """Concatenates a list of inputs along `axis`.

    # Arguments
        axis: the axis to join along; all other axes must match.
    """

    _broadcast_ranks = False

    def __init__(self, axis: int = -1, **kwargs: Any):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def _combine(self, inputs):
        return jnp.concatenate(inputs, axis=self.axis)

    def compute_output_shape(self, input_shape):
        shapes = [list(s) for s in input_shape]
        rank = len(shapes[0])
        axis = self.axis % rank
        if axis == 0 or any(len(s) != rank for s in shapes):
            raise ValueError(f"Concatenate {self.name!r}: inputs must have the same rank and "
                             f"cannot be joined on the batch axis; got shapes "
                             f"{[tuple(s) for s in shapes]} with axis={self.axis}")
        for i in range(1, rank):
            if i == axis:
                continue
            dims = {s[i] for s in shapes if s[i] is not None}
            if len(dims) > 1:
                raise ValueError(f"Concatenate {self.name!r}: a `Concatenate` layer requires "
                                 f"inputs with matching shapes except for the concat axis; got "
                                 f"{[tuple(s) for s in shapes]}")
        out = list(shapes[0])
        sizes = [s[axis] for s in shapes]
        out[axis] = None if None in sizes else sum(sizes)
        out[0] = None
        return tuple(out)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        _check_masks(inputs, mask)
        if all(m is None for m in mask):
            return None
        return _concatenate_masks(list(inputs), list(mask), self.axis)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


class Dot(_Merge):
    """The dot product of two batches of vectors (or tensors) along `axes`.

    # Arguments
        axes: an int, or a pair of ints, the axes (counting the batch axis
            as 0) to contract in each input.
        normalize: L2-normalize both inputs along those axes first, giving
            the cosine proximity.
    """

    supports_masking = False
    _broadcast_ranks = False

    def __init__(self, axes: int | Sequence[int], normalize: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.axes = tuple(axes) if isinstance(axes, (list, tuple)) else int(axes)
        self.normalize = bool(normalize)

    def _pair(self, ranks: Sequence[int]) -> tuple[int, int]:
        axes = self.axes if isinstance(self.axes, tuple) else (self.axes, self.axes)
        return tuple(a % r for a, r in zip(axes, ranks))

    def _combine(self, inputs):
        x, y = inputs
        ax, ay = self._pair((x.ndim, y.ndim))
        if self.normalize:
            x = x / jnp.sqrt(jnp.maximum(jnp.sum(x * x, axis=ax, keepdims=True), 1e-12))
            y = y / jnp.sqrt(jnp.maximum(jnp.sum(y * y, axis=ay, keepdims=True), 1e-12))
        x_labels = list(range(x.ndim))
        y_labels = _y_axes(x.ndim, y.ndim, ax, ay)
        out_labels = [label for label in x_labels if label != ax]
        out_labels += [label for label in y_labels[1:] if label != ax]
        out = jnp.einsum(x, x_labels, y, y_labels, out_labels)
        if out.ndim == 1:
            out = out[:, None]
        return out

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(f"Dot {self.name!r} takes exactly 2 inputs, got {len(input_shape)}")
        sx, sy = (tuple(s) for s in input_shape)
        ax, ay = self._pair((len(sx), len(sy)))
        if sx[ax] is not None and sy[ay] is not None and sx[ax] != sy[ay]:
            raise ValueError(f"Dot {self.name!r}: dimension incompatibility {sx[ax]} != {sy[ay]} "
                             f"for shapes {sx} and {sy} with axes {self.axes}")
        out = [d for i, d in enumerate(sx) if i not in (0, ax)]
        out += [d for i, d in enumerate(sy) if i not in (0, ay)]
        return (None,) + tuple(out) if out else (None, 1)

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        config = super().get_config()
        config.update({"axes": self.axes, "normalize": self.normalize})
        return config


def _concatenate_masks(inputs: list, masks: list, axis: int) -> Any:
    """The mask of a concatenation, as Keras 2.2.4 computes it.

    Each mask is brought to its input's shape (a missing mask is all True, a
    mask of one axis fewer covers every feature of its step), the masks are
    concatenated like the inputs, and a position is kept where all its
    features are: the result has one axis fewer than the inputs. An input is
    read only where its mask needs its shape, so masks that are arrays give an
    array even when the inputs are graph tensors.
    """
    full = []
    for x, m in zip(inputs, masks):
        if m is None:
            full.append(K.ones_like(x, dtype="bool"))
        elif K.ndim(m) < K.ndim(x):
            features = K.int_shape(x)[-1]
            full.append(_spread_mask(m, features) if features is not None
                        else _spread_mask_like(m, x))
        else:
            full.append(m)
    return _all_along(full, axis)


@K._dispatch
def _spread_mask(mask: Any, features: int) -> Any:
    mask = jnp.asarray(K._arr(mask), bool)[..., None]
    return jnp.broadcast_to(mask, mask.shape[:-1] + (features,))


@K._dispatch
def _spread_mask_like(mask: Any, x: Any) -> Any:
    return _spread_mask(mask, jnp.shape(K._arr(x))[-1])


@K._dispatch
def _all_along(masks: list, axis: int) -> Any:
    masks = [jnp.asarray(K._arr(m), bool) for m in masks]
    return jnp.all(jnp.concatenate(masks, axis=axis), axis=-1)


def _y_axes(x_rank: int, y_rank: int, ax: int, ay: int) -> list[int]:
    """Einsum labels for the second input: shared batch label 0, `ay` tied to `ax`."""
    labels = []
    for i in range(y_rank):
        if i == 0:
            labels.append(0)
        elif i == ay:
            labels.append(ax)
        else:
            labels.append(x_rank + i)
    return labels


def _functional(cls: type) -> Any:
    def merge(inputs: list, **kwargs: Any) -> Any:
        return cls(**kwargs)(inputs)
    merge.__name__ = cls.__name__.lower()
    merge.__doc__ = f"Functional form of `{cls.__name__}`: `{cls.__name__}(**kwargs)(inputs)`."
    return merge


add = _functional(Add)
subtract = _functional(Subtract)
multiply = _functional(Multiply)
average = _functional(Average)
maximum = _functional(Maximum)
minimum = _functional(Minimum)


def concatenate(inputs: list, axis: int = -1, **kwargs: Any) -> Any:
    """Functional form of `Concatenate`: `Concatenate(axis)(inputs)`."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs: list, axes: int | Sequence[int], normalize: bool = False, **kwargs: Any) -> Any:
    """Functional form of `Dot`: `Dot(axes, normalize)(inputs)`."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
