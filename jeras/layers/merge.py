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


class _Merge(Layer):
    """Base of the elementwise merges: same-shaped inputs (size-1 axes broadcast)."""

    supports_masking = True

    def __call__(self, inputs: Any, **kwargs: Any) -> Any:
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError(f"{type(self).__name__} {self.name!r} must be called on a list of at "
                             f"least 2 tensors, got {type(inputs).__name__}")
        if all(isinstance(t, SymbolicTensor) for t in inputs):
            try:
                self.compute_output_shape([t.shape for t in inputs])
            except ValueError as error:
                raise ValueError(f"{error}; inputs: {_describe(inputs)}") from None
        return super().__call__(list(inputs), **kwargs)

    def _combine(self, inputs: list) -> Any:
        raise NotImplementedError

    def call(self, params, inputs, *, training=False, rng=None):
        return self._combine(list(inputs))

    def compute_output_shape(self, input_shape: list) -> Shape:
        shapes = [tuple(s) for s in input_shape]
        rank = max(len(s) for s in shapes)
        out = []
        for axis in range(1, rank):
            dims = {s[axis] for s in shapes if len(s) == rank and s[axis] not in (None, 1)}
            if len(dims) > 1:
                raise ValueError(f"{type(self).__name__} {self.name!r}: the inputs' shapes do not "
                                 f"match ({[tuple(s) for s in shapes]})")
            known = [s[axis] for s in shapes if len(s) == rank]
            out.append(dims.pop() if dims else (None if None in known else 1))
        if any(len(s) != rank for s in shapes):
            raise ValueError(f"{type(self).__name__} {self.name!r}: the inputs must all have rank "
                             f"{rank}, got shapes {shapes}")
        return (None,) + tuple(out)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        masks = [jnp.asarray(K._arr(m)) for m in (mask or []) if m is not None]
        if not masks:
            return None
        combined = masks[0]
        for m in masks[1:]:
            combined = jnp.logical_and(combined, m)
        return combined


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
        if mask is None or all(m is None for m in mask):
            return None
        # Inputs without a mask count as fully present, as in Keras 2.
        inputs = [jnp.asarray(K._arr(x)) for x in inputs]
        full = [jnp.ones(x.shape[:-1], bool) if m is None else jnp.asarray(K._arr(m), bool)
                for x, m in zip(inputs, mask)]
        if self.axis % inputs[0].ndim == inputs[0].ndim - 1:
            return jnp.all(jnp.stack(full, axis=-1), axis=-1)
        return jnp.concatenate(full, axis=self.axis)

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
