"""Built-in loss functions, as in Keras 2.2.4.

Every loss is a pure function `(y_true, y_pred) -> per-sample loss` that
reduces only the last axis, so a `(batch, classes)` pair gives shape
`(batch,)` and a `(batch, steps, classes)` pair gives `(batch, steps)`. The
engine takes the (sample-weighted) mean once. `K.epsilon()` is read when a
loss is called (or traced), so `K.set_epsilon` takes effect on the next
compile.
"""

import math
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jeras import backend as K
from jeras.utils.generic_utils import get_object, serialize_keras_object


def _as_float(y_pred: ArrayLike) -> jax.Array:
    """`y_pred` as an array, cast to `K.floatx()` unless it already holds floats."""
    y_pred = jnp.asarray(K._arr(y_pred))
    if not jnp.issubdtype(y_pred.dtype, jnp.floating):
        y_pred = y_pred.astype(K.floatx())
    return y_pred


def _dense_pair(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[jax.Array, jax.Array]:
    """Both as arrays of `y_pred`'s float dtype, with matching ranks for single-unit outputs.

    Integer or boolean labels are cast to the prediction's dtype. Targets of
    shape `(batch,)` against predictions of shape `(batch, 1)` are expanded,
    as Keras 2.2.4 does when it standardizes targets, rather than silently
    broadcast to `(batch, batch)`.
    """
    y_pred = _as_float(y_pred)
    y_true = jnp.asarray(K._arr(y_true)).astype(y_pred.dtype)
    if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
        y_true = y_true[..., None]
    return y_true, y_pred


def _class_ids(y_true: ArrayLike, y_pred: jax.Array) -> jax.Array:
    """Sparse targets reshaped to `y_pred.shape[:-1]`, one id per prediction row.

    Accepts `(batch,)`, `(batch, 1)`, `(batch, steps)`, `(batch, steps, 1)`...

    # Raises
        ValueError: if the number of ids is not the number of rows.
    """
    y_true = jnp.asarray(K._arr(y_true))
    rows = y_pred.shape[:-1]
    if y_true.size != math.prod(rows):
        raise ValueError(
            f"Sparse targets: expected one class id per prediction row, i.e. shape {rows} "
            f"or {(*rows, 1)} for predictions of shape {y_pred.shape}; got shape {y_true.shape}")
    return jnp.reshape(y_true, rows)


def mean_squared_error(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Mean squared error.

    `loss = mean(square(y_pred - y_true), axis=-1)`.

    # Arguments
        y_true: tensor of true targets.
        y_pred: tensor of predicted targets, same shape.

    # Returns
        Tensor with one loss value per sample, shape `y_pred.shape[:-1]`.
    """
    y_true, y_pred = _dense_pair(y_true, y_pred)
    return jnp.mean(jnp.square(y_pred - y_true), axis=-1)


def mean_absolute_error(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Mean absolute error.

    `loss = mean(abs(y_pred - y_true), axis=-1)`.

    # Arguments
        y_true: tensor of true targets.
        y_pred: tensor of predicted targets, same shape.

    # Returns
        Tensor with one loss value per sample, shape `y_pred.shape[:-1]`.
    """
    y_true, y_pred = _dense_pair(y_true, y_pred)
    return jnp.mean(jnp.abs(y_pred - y_true), axis=-1)


def mean_absolute_percentage_error(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Mean absolute percentage error.

    `loss = 100 * mean(abs((y_true - y_pred) / clip(abs(y_true), eps, None)), axis=-1)`.

    # Arguments
        y_true: tensor of true targets; zeros are clipped to `K.epsilon()`
            in the denominator, so they give large but finite values.
        y_pred: tensor of predicted targets, same shape.

    # Returns
        Tensor with one loss value per sample, shape `y_pred.shape[:-1]`.
    """
    y_true, y_pred = _dense_pair(y_true, y_pred)
    diff = jnp.abs((y_true - y_pred) / jnp.maximum(jnp.abs(y_true), K.epsilon()))
    return 100.0 * jnp.mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Mean squared logarithmic error.

    `loss = mean(square(log(clip(y_pred, eps, None) + 1) - log(clip(y_true, eps, None) + 1)),
    axis=-1)`.

    # Arguments
        y_true: tensor of true targets (clipped below at `K.epsilon()`, as in
            Keras 2.2.4, so negatives count as zero).
        y_pred: tensor of predicted targets, same shape (clipped likewise).

    # Returns
        Tensor with one loss value per sample, shape `y_pred.shape[:-1]`.
    """
    y_true, y_pred = _dense_pair(y_true, y_pred)
    eps = K.epsilon()
    first_log = jnp.log(jnp.maximum(y_pred, eps) + 1.0)
    second_log = jnp.log(jnp.maximum(y_true, eps) + 1.0)
    return jnp.mean(jnp.square(first_log - second_log), axis=-1)


def squared_hinge(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Squared hinge loss.

    `loss = mean(square(max(1 - y_true * y_pred, 0)), axis=-1)`.

    # Arguments
        y_true: tensor of true targets, expected in {-1, 1} (Keras 2.2.4
            does not convert {0, 1} labels).
        y_pred: tensor of predicted scores, same shape.

    # Returns
        Tensor with one loss value per sample, shape `y_pred.shape[:-1]`.
    """
    y_true, y_pred = _dense_pair(y_true, y_pred)
    return jnp.mean(jnp.square(jnp.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


def hinge(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Hinge loss.

    `loss = mean(max(1 - y_true * y_pred, 0), axis=-1)`.

    # Arguments
        y_true: tensor of true targets, expected in {-1, 1} (Keras 2.2.4
            does not convert {0, 1} labels).
        y_pred: tensor of predicted scores, same shape.

    # Returns
        Tensor with one loss value per sample, shape `y_pred.shape[:-1]`.
    """
    y_true, y_pred = _dense_pair(y_true, y_pred)
    return jnp.mean(jnp.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def categorical_hinge(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Categorical hinge loss.

    `loss = max(0, max((1 - y_true) * y_pred, axis=-1) - sum(y_true * y_pred, axis=-1) + 1)`.

    # Arguments
        y_true: one-hot tensor of true classes.
        y_pred: tensor of predicted scores, same shape.

    # Returns
        Tensor with one loss value per sample, shape `y_pred.shape[:-1]`.
    """
    y_true, y_pred = _dense_pair(y_true, y_pred)
    pos = jnp.sum(y_true * y_pred, axis=-1)
    neg = jnp.max((1.0 - y_true) * y_pred, axis=-1)
    return jnp.maximum(0.0, neg - pos + 1.0)


def logcosh(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Logarithm of the hyperbolic cosine of the prediction error.

    `loss = mean(x + softplus(-2 * x) - log(2), axis=-1)` with `x = y_pred - y_true`,
    which equals `mean(log(cosh(x)))` without overflowing for large `|x|`.

    # Arguments
        y_true: tensor of true targets.
        y_pred: tensor of predicted targets, same shape.

    # Returns
        Tensor with one loss value per sample, shape `y_pred.shape[:-1]`.
    """
    y_true, y_pred = _dense_pair(y_true, y_pred)
    x = y_pred - y_true
    return jnp.mean(x + jax.nn.softplus(-2.0 * x) - math.log(2.0), axis=-1)


def categorical_crossentropy(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Categorical crossentropy between one-hot (or soft) targets and probabilities.

    `loss = -sum(y_true * log(clip(y_pred / sum(y_pred, axis=-1), eps, 1 - eps)), axis=-1)`.

    # Arguments
        y_true: tensor of target distributions over the last axis.
        y_pred: tensor of predicted probabilities, same shape; renormalised
            over the last axis, then clipped so that 0 and 1 stay finite.

    # Returns
        Tensor with one loss value per sample, shape `y_pred.shape[:-1]`.
    """
    y_true, y_pred = _dense_pair(y_true, y_pred)
    eps = K.epsilon()
    probs = y_pred / jnp.sum(y_pred, axis=-1, keepdims=True)
    probs = jnp.clip(probs, eps, 1.0 - eps)
    return -jnp.sum(y_true * jnp.log(probs), axis=-1)


def sparse_categorical_crossentropy(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Categorical crossentropy with integer class ids as targets.

    `loss = logsumexp(log(p), axis=-1) - log(p)[y_true]` with
    `p = clip(y_pred, eps, 1 - eps)`: Keras 2.2.4 feeds `log(p)` to a softmax
    cross-entropy, so `p` is renormalised after clipping; for probabilities
    that sum to one this is `-log(y_pred[y_true])`.

    # Arguments
        y_true: tensor of class ids (integers, or floats holding integers) of
            shape `y_pred.shape[:-1]`, or that shape with a trailing axis of 1,
            e.g. `(batch,)` or `(batch, 1)`; `(batch, steps, 1)` for sequences.
        y_pred: tensor of predicted probabilities, classes on the last axis.

    # Returns
        Tensor with one loss value per sample, shape `y_pred.shape[:-1]`.
    """
    y_pred = _as_float(y_pred)
    labels = _class_ids(y_true, y_pred).astype(jnp.int32)
    eps = K.epsilon()
    log_probs = jnp.log(jnp.clip(y_pred, eps, 1.0 - eps))
    picked = jnp.take_along_axis(log_probs, labels[..., None], axis=-1)[..., 0]
    return jax.nn.logsumexp(log_probs, axis=-1) - picked


def binary_crossentropy(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Binary crossentropy between targets and predicted probabilities.

    `loss = mean(max(z, 0) - z * y_true + log(1 + exp(-abs(z))), axis=-1)` with
    `z = log(p / (1 - p))` and `p = clip(y_pred, eps, 1 - eps)`: the sigmoid
    cross-entropy of the logit Keras 2.2.4 recovers from the probability.

    # Arguments
        y_true: tensor of targets in [0, 1].
        y_pred: tensor of predicted probabilities, same shape; 0 and 1 are
            clipped, so they give finite values.

    # Returns
        Tensor with one loss value per sample, shape `y_pred.shape[:-1]`.
    """
    y_true, y_pred = _dense_pair(y_true, y_pred)
    eps = K.epsilon()
    probs = jnp.clip(y_pred, eps, 1.0 - eps)
    logits = jnp.log(probs / (1.0 - probs))
    # The form TensorFlow's sigmoid_cross_entropy_with_logits uses: stable for
    # logits of either sign.
    per_entry = (jnp.maximum(logits, 0.0) - logits * y_true
                 + jnp.log1p(jnp.exp(-jnp.abs(logits))))
    return jnp.mean(per_entry, axis=-1)


def kullback_leibler_divergence(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Kullback-Leibler divergence `KL(y_true || y_pred)`.

    `loss = sum(t * log(t / p), axis=-1)` with `t = clip(y_true, eps, 1)` and
    `p = clip(y_pred, eps, 1)`.

    # Arguments
        y_true: tensor of target distributions.
        y_pred: tensor of predicted distributions, same shape.

    # Returns
        Tensor with one loss value per sample, shape `y_pred.shape[:-1]`.
    """
    y_true, y_pred = _dense_pair(y_true, y_pred)
    eps = K.epsilon()
    y_true = jnp.clip(y_true, eps, 1.0)
    y_pred = jnp.clip(y_pred, eps, 1.0)
    return jnp.sum(y_true * jnp.log(y_true / y_pred), axis=-1)


def poisson(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Poisson loss (negative log-likelihood up to a constant).

    `loss = mean(y_pred - y_true * log(y_pred + eps), axis=-1)`.

    # Arguments
        y_true: tensor of observed counts.
        y_pred: tensor of predicted rates (>= 0), same shape.

    # Returns
        Tensor with one loss value per sample, shape `y_pred.shape[:-1]`.
    """
    y_true, y_pred = _dense_pair(y_true, y_pred)
    return jnp.mean(y_pred - y_true * jnp.log(y_pred + K.epsilon()), axis=-1)


def cosine_proximity(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Negative cosine similarity over the last axis.

    `loss = -sum(l2_normalize(y_true, -1) * l2_normalize(y_pred, -1), axis=-1)`.

    # Arguments
        y_true: tensor of true targets.
        y_pred: tensor of predicted targets, same shape.

    # Returns
        Tensor with one loss value per sample, shape `y_pred.shape[:-1]`,
        in [-1, 1] (-1 when the vectors point the same way).
    """
    y_true, y_pred = _dense_pair(y_true, y_pred)
    y_true = K.l2_normalize(y_true, axis=-1)
    y_pred = K.l2_normalize(y_pred, axis=-1)
    return -jnp.sum(y_true * y_pred, axis=-1)


# Losses applied to graph tensors (a VAE's reconstruction term) record graph nodes.
K.dispatch_module(globals())

# Aliases: the same function objects, so identity checks (the engine's
# resolution of 'acc') hold whichever name the user picked.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence
cosine = cosine_similarity = cosine_proximity

_LOSSES: dict[str, Callable] = {
    "mean_squared_error": mean_squared_error,
    "mean_absolute_error": mean_absolute_error,
    "mean_absolute_percentage_error": mean_absolute_percentage_error,
    "mean_squared_logarithmic_error": mean_squared_logarithmic_error,
    "squared_hinge": squared_hinge,
    "hinge": hinge,
    "categorical_hinge": categorical_hinge,
    "logcosh": logcosh,
    "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
    "binary_crossentropy": binary_crossentropy,
    "kullback_leibler_divergence": kullback_leibler_divergence,
    "poisson": poisson,
    "cosine_proximity": cosine_proximity,
    "mse": mse, "MSE": MSE,
    "mae": mae, "MAE": MAE,
    "mape": mape, "MAPE": MAPE,
    "msle": msle, "MSLE": MSLE,
    "kld": kld, "KLD": KLD,
    "cosine": cosine,
    "cosine_similarity": cosine_similarity,
}


def serialize(loss: Callable) -> str:
    """Returns the name under which `loss` is saved in a training config.

    # Arguments
        loss: a loss function.

    # Returns
        Its `__name__`; aliases give the full name (`mse` -> `'mean_squared_error'`).
    """
    return serialize_keras_object(loss)


def deserialize(name: str | dict, custom_objects: Mapping[str, Any] | None = None) -> Callable:
    """Returns the loss function called `name`.

    # Arguments
        name: string, a loss name or alias (or a `{'class_name', 'config'}` dict).
        custom_objects: optional dict of user losses, looked up first.

    # Returns
        The loss function.

    # Raises
        ValueError: if `name` is unknown.
    """
    return get_object(name, _LOSSES, "loss function", custom_objects=custom_objects)


def get(identifier: str | dict | Callable | None) -> Callable | None:
    """Resolves what `compile(loss=...)` received.

    # Arguments
        identifier: None, a loss name or alias, a config dict, or a callable
            (returned as is).

    # Returns
        The loss function, or None for None.

    # Raises
        ValueError: if `identifier` is an unknown name.
        TypeError: if `identifier` is of another type (Keras 2.2.4 raised
            ValueError here; jeras names the wrong type instead).
    """
    return get_object(identifier, _LOSSES, "loss function")
