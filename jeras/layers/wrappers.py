"""Layer wrappers: TimeDistributed and Bidirectional.

A wrapper owns the weights of the layers it wraps: its weight list is theirs,
in order (Bidirectional: forward then backward), so the model's train state,
`get_weights` and HDF5 files see one flat list as in Keras 2.2.4.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from jeras.engine.base_layer import Layer, Shape, WeightSpec

__all__ = ["Bidirectional", "TimeDistributed", "Wrapper"]


def _layer_from(config: dict, custom_objects: dict | None = None) -> Layer:
    from jeras import layers as layers_module
    return layers_module.deserialize(config, custom_objects)


class Wrapper(Layer):
    """Base class of the layer wrappers.

    # Arguments
        layer: the wrapped `Layer` instance.

    # Raises
        TypeError: if `layer` is not a Layer.
    """

    def __init__(self, layer: Layer, **kwargs: Any):
        if not isinstance(layer, Layer):
            raise TypeError(f"{type(self).__name__}: `layer` must be a Layer instance, got "
                            f"{layer!r}")
        super().__init__(**kwargs)
        self.layer = layer

    def _adopt(self, inner: Sequence[Layer], prefixes: Sequence[str]) -> None:
        """Takes the built inner layers' weights as this layer's, in order."""
        for layer, prefix in zip(inner, prefixes):
            for spec, value in zip(layer._specs, layer._values):
                self._specs.append(WeightSpec(prefix + spec.name, spec.shape,
                                              spec.trainable and layer.trainable,
                                              spec.regularizer, spec.constraint, spec.state))
                self._values.append(value)

    def get_config(self) -> dict:
        config = super().get_config()
        config["layer"] = {"class_name": type(self.layer).__name__,
                           "config": self.layer.get_config()}
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> Wrapper:
        config = dict(config)
        layer = _layer_from(config.pop("layer"), custom_objects)
        return cls(layer, **config)


class TimeDistributed(Wrapper):
    """Applies a layer to every time step (axis 1) of its input, with the same weights.

    The wrapped layer sees `(batch * timesteps, ...)`; its weights are this
    layer's. An input mask is passed on unchanged; the wrapped layer gets
    none. In training, a wrapped `BatchNormalization` counts each time step
    of the real rows of the batch as a sample.

    # Arguments
        layer: the `Layer` to apply at each step.

    # Input shape
        `(batch, timesteps, ...)`, of rank at least 3.

    # Output shape
        `(batch, timesteps) + layer_output_shape[1:]`.

    # Raises
        TypeError: if `layer` is not a Layer.
        ValueError: for an input of rank below 3.
    """

    supports_masking = True

    def __init__(self, layer: Layer, **kwargs: Any):
        super().__init__(layer, **kwargs)
        self.uses_rng = layer.uses_rng

    def _inner_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) < 3:
            raise ValueError(f"TimeDistributed {self.name!r}: expected an input of rank at "
                             f"least 3 (batch, timesteps, ...), got shape {tuple(input_shape)}")
        return (None,) + tuple(input_shape[2:])

    def build(self, input_shape: Shape) -> None:
        self.layer.ensure_built(self._inner_shape(input_shape))
        self._adopt([self.layer], [""])

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        inner = self.layer.compute_output_shape(self._inner_shape(input_shape))
        return (input_shape[0], input_shape[1]) + tuple(inner[1:])

    def apply(self, values: Sequence[jax.Array], inputs: Any, *, training: bool = False,
              rng: jax.Array | None = None, mask: Any = None,
              sample_mask: jax.Array | None = None) -> tuple[Any, list]:
        """Runs the wrapped layer on `(batch * timesteps, ...)` and restores the time axis."""
        batch, steps = inputs.shape[0], inputs.shape[1]
        flat = inputs.reshape((batch * steps,) + inputs.shape[2:])
        rows = None if sample_mask is None else jnp.repeat(sample_mask, steps)
        outputs, new_values = self.layer.apply(values, flat, training=training, rng=rng,
                                               sample_mask=rows)
        return outputs.reshape((batch, steps) + outputs.shape[1:]), new_values


class Bidirectional(Wrapper):
    """Runs a recurrent layer forwards and backwards over the sequence and merges the two.

    The backward copy is made from the layer's config with `go_backwards`
    flipped; with `return_sequences` its output is reversed back into time
    order before merging. Weights, in order: the forward layer's, then the
    backward layer's (named `forward_<name>/...`, `backward_<name>/...`).

    # Arguments
        layer: a recurrent layer (`SimpleRNN`, `LSTM`, `GRU`).
        merge_mode: `'concat'` (default), `'sum'`, `'mul'`, `'ave'` or None
            (a list `[forward, backward]`).
        weights: initial weights, forward layer's then backward layer's.

    # Input shape
        `(batch, timesteps, input_dim)`, with an optional mask `(batch, timesteps)`.

    # Output shape
        The wrapped layer's, with the last axis doubled for `'concat'`; with
        `return_state`, `[output] + forward_states + backward_states`.

    # Raises
        TypeError: if `layer` is not a Layer.
        ValueError: for an unknown `merge_mode`, or a layer without `go_backwards`.
    """

    supports_masking = True
    merge_modes = ("sum", "mul", "concat", "ave", None)

    def __init__(self, layer: Layer, merge_mode: str | None = "concat", **kwargs: Any):
        super().__init__(layer, **kwargs)
        if merge_mode not in self.merge_modes:
            raise ValueError(f"Bidirectional: `merge_mode` must be one of "
                             f"{list(self.merge_modes)}, got {merge_mode!r}")
        config = layer.get_config()
        if "go_backwards" not in config:
            raise ValueError(f"Bidirectional: `layer` must be a recurrent layer with "
                             f"`go_backwards`, got {type(layer).__name__}")
        self.merge_mode = merge_mode
        config.pop("batch_input_shape", None)
        cls = type(layer)
        self.forward_layer = cls.from_config({**config, "name": "forward_" + layer.name})
        self.backward_layer = cls.from_config({**config, "name": "backward_" + layer.name,
                                               "go_backwards": not config["go_backwards"]})
        self.return_sequences = bool(config.get("return_sequences", False))
        self.return_state = bool(config.get("return_state", False))
        self.stateful = bool(config.get("stateful", False))
        self.uses_rng = layer.uses_rng

    def build(self, input_shape: Shape) -> None:
        for layer in (self.forward_layer, self.backward_layer):
            layer.ensure_built(input_shape)
        self._adopt([self.forward_layer, self.backward_layer],
                    [self.forward_layer.name + "/", self.backward_layer.name + "/"])

    def compute_output_shape(self, input_shape: Shape) -> Any:
        shape = self.forward_layer.compute_output_shape(input_shape)
        states: list = []
        if self.return_state:
            states = list(shape[1:]) * 2
            shape = shape[0]
        if self.merge_mode == "concat":
            shape = tuple(shape[:-1]) + (shape[-1] * 2,)
        outputs = [shape, shape] if self.merge_mode is None else [shape]
        if self.return_state or self.merge_mode is None:
            return outputs + states
        return shape

    def _merge(self, y: jax.Array, y_rev: jax.Array) -> Any:
        if self.merge_mode == "concat":
            return jnp.concatenate([y, y_rev], axis=-1)
        if self.merge_mode == "sum":
            return y + y_rev
        if self.merge_mode == "ave":
            return (y + y_rev) / 2
        if self.merge_mode == "mul":
            return y * y_rev
        return [y, y_rev]

    def apply(self, values: Sequence[jax.Array], inputs: Any, *, training: bool = False,
              rng: jax.Array | None = None, mask: Any = None,
              sample_mask: jax.Array | None = None) -> tuple[Any, list]:
        """Runs both directions, re-reverses the backward sequence and merges."""
        n = len(self.forward_layer._specs)
        keys = (None, None) if rng is None else tuple(jax.random.split(rng))
        y, forward_values = self.forward_layer.apply(
            values[:n], inputs, training=training, rng=keys[0], mask=mask,
            sample_mask=sample_mask)
        y_rev, backward_values = self.backward_layer.apply(
            values[n:], inputs, training=training, rng=keys[1], mask=mask,
            sample_mask=sample_mask)
        states: list = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = jnp.flip(y_rev, axis=1)
        merged = self._merge(y, y_rev)
        if self.return_state:
            merged = (merged if isinstance(merged, list) else [merged]) + states
        return merged, list(forward_values) + list(backward_values)

    def reset_states(self) -> None:
        """Sets the carried states of both directions back to zeros (stateful layers).

        # Raises
            AttributeError: if the wrapped layer is not stateful.
        """
        if not self.stateful:
            raise AttributeError(f"Bidirectional {self.name!r}: reset_states needs a stateful "
                                 "recurrent layer (stateful=True)")
        self._reset_state_values()

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        output_mask = mask if self.return_sequences else None
        masks = [output_mask, output_mask] if self.merge_mode is None else [output_mask]
        if self.return_state:
            state_count = len(self.forward_layer.compute_output_shape((None, None, 1))) - 1
            return masks + [None] * (2 * state_count)
        return masks if self.merge_mode is None else output_mask

    def get_config(self) -> dict:
        config = super().get_config()
        config["merge_mode"] = self.merge_mode
        return config
