"""`InputLayer` and `Input()`: where a functional model's graph starts."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from jeras import backend as K
from jeras.engine.base_layer import Layer, Node, SymbolicTensor
from jeras.utils.generic_utils import get_uid


class InputLayer(Layer):
    """The entry point of a model: fixes the input shape and passes inputs through.

    # Arguments
        input_shape: shape of one sample.
        batch_size: optional fixed batch size.
        batch_input_shape: the full shape with the batch axis (instead of the two above).
        dtype: the input dtype (`'int32'` for token ids fed to an Embedding).
        sparse: accepted for Keras 2 compatibility (must be False).
        name: the layer's name (default `input_1`, `input_2`...).

    # Raises
        ValueError: when neither shape argument is given, or `sparse=True`.
    """

    def __init__(self, input_shape: Sequence | None = None, batch_size: int | None = None,
                 batch_input_shape: Sequence | None = None, dtype: str | None = None,
                 input_tensor: Any = None, sparse: bool = False, name: str | None = None,
                 **kwargs: Any):
        if input_tensor is not None:
            raise ValueError("InputLayer: `input_tensor` is not supported by jeras")
        if sparse:
            raise ValueError("InputLayer: `sparse=True` is not supported by jeras")
        # Keras 3 writes `batch_shape` where Keras 2 wrote `batch_input_shape`.
        batch_shape = kwargs.pop("batch_shape", None)
        if batch_input_shape is None:
            batch_input_shape = batch_shape
        if input_shape is None and batch_input_shape is None:
            raise ValueError("InputLayer: give `input_shape` or `batch_input_shape`")
        if name is None:
            name = f"input_{get_uid('input')}"
        kwargs.pop("ragged", None)
        super().__init__(name=name, dtype=dtype, input_shape=input_shape, batch_size=batch_size,
                         batch_input_shape=batch_input_shape, **kwargs)
        self.input_dtype = dtype or K.floatx()
        self.sparse = False
        self.built = True
        self.input_shape = self.output_shape = self.batch_input_shape
        Node(self, [], [self.batch_input_shape])

    def get_config(self) -> dict:
        return {"batch_input_shape": self.batch_input_shape, "dtype": self.input_dtype,
                "sparse": self.sparse, "name": self.name}


def Input(shape: Sequence | None = None, batch_shape: Sequence | None = None,  # noqa: N802
          name: str | None = None, dtype: str | None = None, sparse: bool = False,
          tensor: Any = None) -> SymbolicTensor:
    """Returns a symbolic input tensor, the start of a functional model.

    # Arguments
        shape: shape of one sample, without the batch axis (`(784,)`).
        batch_shape: the full shape with the batch axis, instead of `shape`.
        name: the input layer's name.
        dtype: the data type expected (`'float32'`, `'int32'`...).
        sparse: must be False.
        tensor: not supported.

    # Returns
        A `SymbolicTensor`.

    # Raises
        ValueError: when no shape is given.
    """
    if shape is None and batch_shape is None:
        raise ValueError("Input: give `shape` (without the batch axis) or `batch_shape`")
    if shape is not None and isinstance(shape, (int, np.integer)):
        shape = (shape,)
    layer = InputLayer(input_shape=shape, batch_input_shape=batch_shape, name=name,
                       dtype=dtype, sparse=sparse, input_tensor=tensor)
    return layer._inbound_nodes[0].outputs[0]
