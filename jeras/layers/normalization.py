"""Normalization layers (BatchNormalization, LayerNormalization) and spatial dropout."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jeras import backend as K
from jeras import constraints, initializers, regularizers
from jeras.compat import legacy as interfaces
from jeras.engine.base_layer import Layer, Shape
from jeras.layers.convolutional import normalize_data_format
from jeras.layers.core import Dropout

__all__ = ["BatchNormalization", "LayerNormalization", "SpatialDropout1D", "SpatialDropout2D",
           "SpatialDropout3D"]


def _axis_index(axis: Any, ndim: int, layer: Layer) -> int:
    if not -ndim <= axis < ndim:
        raise ValueError(f"{type(layer).__name__} {layer.name!r}: `axis` {axis} is out of "
                         f"range for an input of rank {ndim}")
    return axis % ndim


def _check_epsilon(epsilon: Any, layer: str) -> float:
    if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float, np.number)) \
            or epsilon <= 0:
        raise ValueError(f"{layer}: `epsilon` must be a positive float, got {epsilon!r}")
    return float(epsilon)


class BatchNormalization(Layer):
    """Normalizes each feature over the batch: `gamma * (x - mean) / sqrt(var + epsilon) + beta`.

    In training the batch's own mean and (biased) variance are used, and the
    moving statistics are updated as Keras 2.2.4 does:
    `moving_mean = moving_mean * momentum + mean * (1 - momentum)`, and likewise
    for `moving_variance` with the variance scaled by `n / (n - (1 + epsilon))`
    (`n` values per feature in the batch), Keras 2.2.4's unbiased estimate. In
    inference the moving statistics are used. The moving statistics are
    weights (non-trainable), so they are saved with the model. Padded rows of
    the epoch's short last batch take no part in the statistics.

    Keras 2.2.4's TensorFlow backend also applied TensorFlow's zero-debiasing
    to the moving averages through hidden variables that its files never
    stored; jeras keeps the plain moving average above (tf.keras's rule), so
    the saved weights are all the state there is.

    Weights, in order: `gamma`, `beta` (when `scale`, `center`), `moving_mean`,
    `moving_variance`, each of shape `(input_shape[axis],)`.

    # Arguments
        axis: int, the feature axis (`-1` for channels_last, `1` for channels_first).
        momentum: float, the moving averages' momentum.
        epsilon: positive float added to the variance.
        center: whether to learn an offset `beta`.
        scale: whether to learn a factor `gamma`.
        beta_initializer, gamma_initializer: initializers.
        moving_mean_initializer, moving_variance_initializer: initializers.
        beta_regularizer, gamma_regularizer: regularizers.
        beta_constraint, gamma_constraint: constraints.

    # Input shape
        Any rank of at least 2; `input_shape[axis]` must be known.

    # Output shape
        The input shape.

    # Raises
        ValueError: for a bad `epsilon`, or an `axis` outside the input or of
            unknown size at build.
    """

    training_differs = True

    supports_masking = True

    @interfaces.legacy_batchnorm_support
    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", moving_mean_initializer: Any = "zeros",
                 moving_variance_initializer: Any = "ones", beta_regularizer: Any = None,
                 gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"BatchNormalization: `axis` must be an int, got {axis!r}")
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.epsilon = _check_epsilon(epsilon, "BatchNormalization")
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def build(self, input_shape: Shape) -> None:
        axis = _axis_index(self.axis, len(input_shape), self)
        dim = input_shape[axis]
        if dim is None:
            raise ValueError(f"BatchNormalization {self.name!r}: axis {self.axis} of the input "
                             f"must have a known size, got shape {tuple(input_shape)}")
        shape = (dim,)
        if self.scale:
            self.add_weight("gamma", shape, initializer=self.gamma_initializer,
                            regularizer=self.gamma_regularizer, constraint=self.gamma_constraint)
        if self.center:
            self.add_weight("beta", shape, initializer=self.beta_initializer,
                            regularizer=self.beta_regularizer, constraint=self.beta_constraint)
        self.add_weight("moving_mean", shape, initializer=self.moving_mean_initializer,
                        trainable=False)
        self.add_weight("moving_variance", shape, initializer=self.moving_variance_initializer,
                        trainable=False)

    def _normalize(self, params: dict, inputs: jax.Array, mean: jax.Array,
                   variance: jax.Array) -> jax.Array:
        axis = self.axis % inputs.ndim
        shape = [1] * inputs.ndim
        shape[axis] = inputs.shape[axis]

        def bcast(v: jax.Array) -> jax.Array:
            return v.reshape(shape)

        outputs = (inputs - bcast(mean)) * jax.lax.rsqrt(bcast(variance) + self.epsilon)
        if self.scale:
            outputs = outputs * bcast(params["gamma"])
        if self.center:
            outputs = outputs + bcast(params["beta"])
        return outputs

    def call(self, params, inputs, *, training=False, rng=None):
        # The inference form; training goes through `apply`, which also updates state.
        return self._normalize(params, inputs, params["moving_mean"], params["moving_variance"])

    def apply(self, values: Sequence[jax.Array], inputs: Any, *, training: bool = False,
              rng: jax.Array | None = None, mask: Any = None,
              sample_mask: jax.Array | None = None) -> tuple[Any, list]:
        """As `Layer.apply`; in training also returns the updated moving statistics."""
        names = [spec.name for spec in self._specs]
        params = dict(zip(names, values))
        if not training:
            return self.call(params, inputs), list(values)
        axis = self.axis % inputs.ndim
        reduce = tuple(a for a in range(inputs.ndim) if a != axis)
        if sample_mask is None:
            weights = jnp.ones((inputs.shape[0],), inputs.dtype)
        else:
            weights = sample_mask.astype(inputs.dtype)
        weights = weights.reshape((-1,) + (1,) * (inputs.ndim - 1))
        per_row = np.prod([inputs.shape[a] for a in reduce[1:]], dtype=np.int64)
        count = jnp.sum(weights) * per_row
        mean = jnp.sum(inputs * weights, axis=reduce) / count
        centred = inputs - mean.reshape([inputs.shape[axis] if a == axis else 1
                                         for a in range(inputs.ndim)])
        variance = jnp.sum(jnp.square(centred) * weights, axis=reduce) / count
        outputs = self._normalize(params, inputs, mean, variance)
        unbiased = variance * count / (count - (1.0 + self.epsilon))
        new = dict(params)
        new["moving_mean"] = params["moving_mean"] * self.momentum + mean * (1 - self.momentum)
        new["moving_variance"] = (params["moving_variance"] * self.momentum
                                  + unbiased * (1 - self.momentum))
        return outputs, [new[name].astype(v.dtype) for name, v in zip(names, values)]

    @property
    def updates(self) -> list:
        """Keras 2.2.4's updates of the moving statistics, one pair per call in training:
        `(moving_mean, new value)` and `(moving_variance, new value)`, graph tensors of
        the call's input (`K.function(..., updates=model.updates)` applies them). Model
        training applies them by itself. A frozen layer has none."""
        found = super().updates
        for node in self._inbound_nodes:
            found.extend(self._node_updates(node))
        return found

    def _node_updates(self, node: Any) -> list:
        """The update pairs of one call (none for a frozen layer or `training=False`)."""
        if not self.trainable or not node.inputs or node.call_kwargs.get("training") is False:
            return []
        from jeras.engine import symbolic
        cache = self.__dict__.setdefault("_update_tensors", {})
        if id(node) not in cache:
            variables = self.variables
            names = [spec.name for spec in self._specs]
            i_mean, i_var = names.index("moving_mean"), names.index("moving_variance")

            def moved(x: Any) -> tuple:
                _, new = self.apply([K._arr(v) for v in variables], x, training=True)
                return new[i_mean], new[i_var]

            mean, var = symbolic.op(moved, (node.inputs[0],), {}, name="batchnorm_update")
            mean._keras_history[0].reads = variables
            cache[id(node)] = [(variables[i_mean], mean), (variables[i_var], var)]
        return cache[id(node)]

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer":
                initializers.serialize(self.moving_variance_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        })
        return config


class LayerNormalization(Layer):
    """Normalizes each sample over `axis`: `gamma * (x - mean) / sqrt(var + epsilon) + beta`.

    Mean and (biased) variance are taken per sample over the axes in `axis`,
    as tf.keras's `LayerNormalization` does; there is no state.

    Weights, in order (tf.keras's): `gamma`, `beta` (when `scale`, `center`),
    each of shape `tuple(input_shape[a] for a in axis)`.

    # Arguments
        axis: int or list of ints, the axes to normalize over (not the batch axis).
        epsilon: positive float added to the variance.
        center: whether to learn an offset `beta`.
        scale: whether to learn a factor `gamma`.
        beta_initializer, gamma_initializer: initializers.
        beta_regularizer, gamma_regularizer: regularizers.
        beta_constraint, gamma_constraint: constraints.

    # Input shape
        Any rank of at least 2.

    # Output shape
        The input shape.

    # Raises
        ValueError: for a bad `epsilon`, or an `axis` that is the batch axis,
            outside the input, or of unknown size at build.
    """

    supports_masking = True

    def __init__(self, axis: int | Sequence[int] = -1, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", beta_regularizer: Any = None,
                 gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis: int | list[int] = [int(a) for a in axis]
        elif isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
            self.axis = int(axis)
        else:
            raise TypeError(f"LayerNormalization: `axis` must be an int or a list of ints, "
                            f"got {axis!r}")
        self.epsilon = _check_epsilon(epsilon, "LayerNormalization")
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def _axes(self, ndim: int) -> tuple[int, ...]:
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        resolved = tuple(sorted(_axis_index(a, ndim, self) for a in axes))
        if 0 in resolved:
            raise ValueError(f"LayerNormalization {self.name!r}: `axis` {self.axis} includes "
                             "the batch axis")
        return resolved

    def build(self, input_shape: Shape) -> None:
        axes = self._axes(len(input_shape))
        shape = tuple(input_shape[a] for a in axes)
        if None in shape:
            raise ValueError(f"LayerNormalization {self.name!r}: the axes {self.axis} must "
                             f"have known sizes, got input shape {tuple(input_shape)}")
        if self.scale:
            self.add_weight("gamma", shape, initializer=self.gamma_initializer,
                            regularizer=self.gamma_regularizer, constraint=self.gamma_constraint)
        if self.center:
            self.add_weight("beta", shape, initializer=self.beta_initializer,
                            regularizer=self.beta_regularizer, constraint=self.beta_constraint)

    def call(self, params, inputs, *, training=False, rng=None):
        axes = self._axes(inputs.ndim)
        mean = jnp.mean(inputs, axis=axes, keepdims=True)
        variance = jnp.mean(jnp.square(inputs - mean), axis=axes, keepdims=True)
        outputs = (inputs - mean) * jax.lax.rsqrt(variance + self.epsilon)
        # gamma and beta span the normalized axes; put size-1 axes everywhere else.
        shape = [inputs.shape[a] if a in axes else 1 for a in range(inputs.ndim)]
        if self.scale:
            outputs = outputs * params["gamma"].reshape(shape)
        if self.center:
            outputs = outputs + params["beta"].reshape(shape)
        return outputs

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        })
        return config


class _SpatialDropout(Dropout):
    """Dropout of whole feature maps: one keep/drop draw per sample and channel."""

    rank = 1

    def __init__(self, rate: float, data_format: str | None = None, **kwargs: Any):
        super().__init__(rate, **kwargs)
        self.data_format = ("channels_last" if self.rank == 1
                            else normalize_data_format(data_format, type(self).__name__))

    def call(self, params, inputs, *, training=False, rng=None):
        # Dropout's rule (Keras 2.2.4): only 0 < rate < 1 drops; its rate is clipped to [0, 1].
        if not training or not 0.0 < self.rate < 1.0:
            return inputs
        if self.data_format == "channels_last":
            shape = (inputs.shape[0],) + (1,) * self.rank + (inputs.shape[-1],)
        else:
            shape = inputs.shape[:2] + (1,) * self.rank
        keep = 1.0 - self.rate
        kept = jax.random.bernoulli(rng, keep, shape)
        return jnp.where(kept, inputs / keep, 0.0).astype(inputs.dtype)

    def get_config(self) -> dict:
        config = super().get_config()
        if self.rank > 1:
            config["data_format"] = self.data_format
        return config


_SPATIAL_DROPOUT_DOC = """Spatial {n}-D dropout: in training, drops whole channels (the same
    channels at every {where}) with probability `rate` and scales the rest by
    `1 / (1 - rate)`; the identity in inference. Use it after convolutions, whose
    neighbouring positions are strongly correlated.

    # Arguments
        rate: float, the fraction of channels to drop; clipped into [0, 1] and
            applied only when `0 < rate < 1`, as `Dropout`'s.{data_format}

    # Input shape
        `(batch, {space}, channels)`{first}.

    # Output shape
        The input shape.

    # Raises
        TypeError: if `rate` is not a number.
    """


class SpatialDropout1D(_SpatialDropout):
    __doc__ = _SPATIAL_DROPOUT_DOC.format(n=1, where="time step", data_format="",
                                          space="steps", first="")

    rank = 1

    @interfaces.legacy_spatialdropout1d_support
    def __init__(self, rate: float, **kwargs: Any):
        super().__init__(rate, **kwargs)


_DATA_FORMAT_DOC = ("\n        data_format: `'channels_last'` or `'channels_first'`; None means "
                    "`K.image_data_format()`.")


class SpatialDropout2D(_SpatialDropout):
    __doc__ = _SPATIAL_DROPOUT_DOC.format(n=2, where="position", data_format=_DATA_FORMAT_DOC,
                                          space="rows, cols", first=" or channels-first")

    rank = 2
    __init__ = interfaces.legacy_spatialdropoutNd_support(_SpatialDropout.__init__)


class SpatialDropout3D(_SpatialDropout):
    __doc__ = _SPATIAL_DROPOUT_DOC.format(n=3, where="position", data_format=_DATA_FORMAT_DOC,
                                          space="d1, d2, d3", first=" or channels-first")

    rank = 3
    __init__ = interfaces.legacy_spatialdropoutNd_support(_SpatialDropout.__init__)
