"""Embedding (integer indices to dense vectors) and Masking, the two sources of masks."""
from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

from jeras import constraints, initializers, regularizers
from jeras.compat import legacy as interfaces
from jeras.engine.base_layer import Layer, Shape
from jeras.layers.convolutional import positive_int

__all__ = ["Embedding", "Masking"]


class Embedding(Layer):
    """Maps integer indices to dense vectors: `output[..., :] = embeddings[index]`.

    Only usable as the first layer of a model. Its one weight is `embeddings`,
    of shape `(input_dim, output_dim)`.

    # Arguments
        input_dim: positive int, the vocabulary size (largest index + 1).
        output_dim: positive int, the size of each vector.
        embeddings_initializer: initializer (default `'uniform'`, in [-0.05, 0.05]).
        embeddings_regularizer: regularizer of the embedding matrix.
        activity_regularizer: regularizer of the output.
        embeddings_constraint: constraint on the embedding matrix.
        mask_zero: whether index 0 is padding; the output then carries the mask
            `inputs != 0`, which recurrent layers, `GlobalAveragePooling1D`,
            losses and metrics honour (index 0 is then not a word, so
            `input_dim` should be the vocabulary size + 1).
        input_length: the sequence length, when constant (needed before
            `Flatten` then `Dense`); sets the input shape `(input_length,)`.

    # Input shape
        `(batch, sequence_length)` of integers (other ranks work alike).

    # Output shape
        `(batch, sequence_length, output_dim)`.

    # Raises
        ValueError: for a non-positive `input_dim` or `output_dim`, or an
            `input_length` that disagrees with the input shape at build.
    """

    @interfaces.legacy_embedding_support
    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer: Any = "uniform",
                 embeddings_regularizer: Any = None, activity_regularizer: Any = None,
                 embeddings_constraint: Any = None, mask_zero: bool = False,
                 input_length: int | tuple | None = None, **kwargs: Any):
        if "input_shape" not in kwargs and "batch_input_shape" not in kwargs:
            # As Keras 2: the layer is a first layer, of sequences of any length by default.
            kwargs["input_shape"] = (tuple(input_length) if isinstance(input_length, (list, tuple))
                                     else (input_length,))
        super().__init__(**kwargs)
        self.input_dim = positive_int(input_dim, "input_dim", "Embedding")
        self.output_dim = positive_int(output_dim, "output_dim", "Embedding")
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.input_length = input_length

    def build(self, input_shape: Shape) -> None:
        self.add_weight("embeddings", (self.input_dim, self.output_dim),
                        initializer=self.embeddings_initializer,
                        regularizer=self.embeddings_regularizer,
                        constraint=self.embeddings_constraint)

    def call(self, params, inputs, *, training=False, rng=None):
        # Inputs may arrive as floats (the model's input dtype); indices are exact below 2**24.
        return jnp.take(params["embeddings"], inputs.astype(jnp.int32), axis=0)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if not self.mask_zero:
            return None
        return jnp.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        if self.input_length is None:
            return tuple(input_shape) + (self.output_dim,)
        lengths = (self.input_length if isinstance(self.input_length, (list, tuple))
                   else (self.input_length,))
        if len(lengths) != len(input_shape) - 1:
            raise ValueError(f"Embedding {self.name!r}: `input_length` is {self.input_length}, "
                             f"but the input shape is {tuple(input_shape)}")
        for given, actual in zip(lengths, input_shape[1:]):
            if given is not None and actual is not None and given != actual:
                raise ValueError(f"Embedding {self.name!r}: `input_length` is "
                                 f"{self.input_length}, but the input shape is "
                                 f"{tuple(input_shape)}")
        dims = tuple(a if a is not None else g for g, a in zip(lengths, input_shape[1:]))
        return (input_shape[0],) + dims + (self.output_dim,)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
            "input_length": self.input_length,
        })
        return config


class Masking(Layer):
    """Masks time steps whose features all equal `mask_value`.

    A step is kept where any feature differs from `mask_value`; masked steps
    are zeroed in the output, and the mask `(batch, steps)` is passed on to
    the layers that take it (recurrent layers skip masked steps).

    # Arguments
        mask_value: the padding value (default 0.).

    # Input shape
        `(batch, steps, features)` (any rank of at least 2).

    # Output shape
        The input shape.
    """

    supports_masking = True

    def __init__(self, mask_value: float = 0., **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(mask_value, (np.generic, np.ndarray)):
            mask_value = mask_value.item()
        self.mask_value = mask_value

    def _keep(self, inputs: Any) -> Any:
        return jnp.any(jnp.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, params, inputs, *, training=False, rng=None):
        return inputs * self._keep(inputs)[..., None].astype(inputs.dtype)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return self._keep(inputs)

    def get_config(self) -> dict:
        config = super().get_config()
        config["mask_value"] = self.mask_value
        return config
