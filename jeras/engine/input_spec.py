"""`InputSpec`: what a layer expects of each input (rank, dtype, shape, fixed axes)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence


class InputSpec:
    """Specifies the rank, dtype and shape of an input of a layer.

    A layer may set `self.input_spec` to one of these (or a list, one per
    input). A None entry in `shape` matches any size; a None shape matches
    any shape.

    # Arguments
        dtype: the expected dtype of the input.
        shape: the expected shape, None for unchecked axes.
        ndim: the expected rank (taken from `shape` when it is given).
        max_ndim: the largest rank accepted.
        min_ndim: the smallest rank accepted.
        axes: a dict mapping axes to the size they must have, e.g. `{-1: 16}`.
    """

    def __init__(self, dtype: str | None = None, shape: Sequence[int | None] | None = None,
                 ndim: int | None = None, max_ndim: int | None = None,
                 min_ndim: int | None = None, axes: Mapping[int, int] | None = None):
        self.dtype = dtype
        self.shape = shape
        self.ndim = len(shape) if shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = dict(axes or {})

    def __repr__(self) -> str:
        parts = [f"{name}={value}" for name, value in
                 (("dtype", self.dtype), ("shape", self.shape), ("ndim", self.ndim),
                  ("max_ndim", self.max_ndim), ("min_ndim", self.min_ndim),
                  ("axes", self.axes)) if value]
        return f"InputSpec({', '.join(parts)})"


__all__ = ["InputSpec"]
