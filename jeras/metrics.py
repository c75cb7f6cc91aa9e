"""Built-in metrics, as in Keras 2.2.4, and the resolution of `compile(metrics=...)`.

A metric is a pure function `(y_true, y_pred) -> per-sample value`, like a
loss; every loss function is a metric too and is re-exported here as the
same object. `resolve` is what the engine calls for each entry of
`compile(metrics=[...])`.
"""

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from jeras import backend as K
from jeras.losses import (
    KLD,
    MAE,
    MAPE,
    MSE,
    MSLE,
    _as_float,
    _class_ids,
    _dense_pair,
    binary_crossentropy,
    categorical_crossentropy,
    categorical_hinge,
    cosine,
    cosine_proximity,
    cosine_similarity,
    hinge,
    kld,
    kullback_leibler_divergence,
    logcosh,
    mae,
    mape,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    mse,
    msle,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
from jeras.utils.generic_utils import get_object, serialize_keras_object


def binary_accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Fraction of entries whose rounded prediction equals the target.

    `acc = mean(equal(y_true, round(y_pred)), axis=-1)` (round half to even,
    so a prediction of exactly 0.5 counts as 0).

    # Arguments
        y_true: tensor of 0/1 targets.
        y_pred: tensor of predicted probabilities, same shape (or `(batch, 1)`
            against targets of shape `(batch,)`).

    # Returns
        Tensor with one value per sample, shape `y_pred.shape[:-1]`.
    """
    y_true, y_pred = _dense_pair(y_true, y_pred)
    hits = jnp.equal(y_true, jnp.round(y_pred)).astype(y_pred.dtype)
    return jnp.mean(hits, axis=-1)


def categorical_accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Whether the most probable class is the true one, for one-hot targets.

    `acc = cast(equal(argmax(y_true, -1), argmax(y_pred, -1)), floatx)`; ties
    go to the first class, as with TensorFlow's argmax.

    # Arguments
        y_true: one-hot tensor of true classes.
        y_pred: tensor of predicted scores, same shape.

    # Returns
        Tensor of 0/1 values, one per sample, shape `y_pred.shape[:-1]`.
    """
    y_pred = _as_float(y_pred)
    same = jnp.equal(jnp.argmax(jnp.asarray(K._arr(y_true)), axis=-1), jnp.argmax(y_pred, axis=-1))
    return same.astype(y_pred.dtype)


def sparse_categorical_accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """Whether the most probable class is the true one, for integer targets.

    `acc = cast(equal(y_true, cast(argmax(y_pred, -1), floatx)), floatx)`.

    # Arguments
        y_true: tensor of class ids (int or float) of shape `y_pred.shape[:-1]`,
            or that shape with a trailing axis of 1.
        y_pred: tensor of predicted scores, classes on the last axis.

    # Returns
        Tensor of 0/1 values, one per sample, shape `y_pred.shape[:-1]`.
    """
    y_pred = _as_float(y_pred)
    # Compared as floats, as Keras 2.2.4 does, so a non-integer id never matches.
    labels = _class_ids(y_true, y_pred).astype(y_pred.dtype)
    predicted = jnp.argmax(y_pred, axis=-1).astype(y_pred.dtype)
    return jnp.equal(labels, predicted).astype(y_pred.dtype)


def _in_top_k(y_pred: jax.Array, targets: jax.Array, k: int) -> jax.Array:
    """`K.in_top_k` over any number of leading axes, as floats."""
    num_classes = y_pred.shape[-1]
    hits = K.in_top_k(jnp.reshape(y_pred, (-1, num_classes)), jnp.reshape(targets, (-1,)), k)
    return jnp.reshape(hits, y_pred.shape[:-1]).astype(y_pred.dtype)


def _batch_mean(hits: jax.Array) -> jax.Array:
    """Keras 2.2.4's `K.mean(in_top_k(...), axis=-1)`: the batch mean for `(batch,)` hits.

    2.2.4's `in_top_k` takes only `(batch, classes)` scores; hits over more
    axes (sequences) stay one per position, which the engine averages alike.
    """
    return jnp.mean(hits, axis=-1) if hits.ndim == 1 else hits


def top_k_categorical_accuracy(y_true: ArrayLike, y_pred: ArrayLike, k: int = 5) -> jax.Array:
    """Fraction of samples whose true class is among the `k` highest-scored, for one-hot targets.

    `acc = mean(in_top_k(y_pred, argmax(y_true, -1), k), axis=-1)`; classes
    tied with the k-th score count as in the top k, as in TensorFlow.

    # Arguments
        y_true: one-hot tensor of true classes.
        y_pred: tensor of predicted scores, same shape.
        k: integer >= 1, how many top classes to consider.

    # Returns
        For `(batch, classes)` inputs, a scalar: the batch's mean of the
        0/1 hits, as Keras 2.2.4 returns (training averages it over the
        epoch's samples all the same). For sequences, `(batch, steps,
        classes)`, which 2.2.4 does not take, the 0/1 hit of each position,
        shape `y_pred.shape[:-1]`.
    """
    y_pred = _as_float(y_pred)
    return _batch_mean(_in_top_k(y_pred, jnp.argmax(jnp.asarray(K._arr(y_true)), axis=-1), k))


def sparse_top_k_categorical_accuracy(y_true: ArrayLike, y_pred: ArrayLike,
                                      k: int = 5) -> jax.Array:
    """Fraction of samples whose true class is among the `k` highest-scored, for integer targets.

    `acc = mean(in_top_k(y_pred, cast(flatten(y_true), int32), k), axis=-1)`.

    # Arguments
        y_true: tensor of class ids (int or float) of shape `y_pred.shape[:-1]`,
            or that shape with a trailing axis of 1.
        y_pred: tensor of predicted scores, classes on the last axis.
        k: integer >= 1, how many top classes to consider.

    # Returns
        As `top_k_categorical_accuracy`: a scalar, the batch mean, for
        `(batch, classes)` scores; one 0/1 value per position for sequences.
    """
    y_pred = _as_float(y_pred)
    return _batch_mean(_in_top_k(y_pred, _class_ids(y_true, y_pred).astype(jnp.int32), k))


# Metrics applied to graph tensors record graph nodes, as the losses do.
K.dispatch_module(globals())

_METRICS: dict[str, Callable] = {
    fn.__name__: fn
    for fn in (binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
               top_k_categorical_accuracy, sparse_top_k_categorical_accuracy,
               mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
               mean_squared_logarithmic_error, squared_hinge, hinge, categorical_hinge,
               logcosh, categorical_crossentropy, sparse_categorical_crossentropy,
               binary_crossentropy, kullback_leibler_divergence, poisson, cosine_proximity)
}
_METRICS.update({
    "mse": mse, "MSE": MSE,
    "mae": mae, "MAE": MAE,
    "mape": mape, "MAPE": MAPE,
    "msle": msle, "MSLE": MSLE,
    "kld": kld, "KLD": KLD,
    "cosine": cosine,
    "cosine_similarity": cosine_similarity,
})

# Names that `compile` resolves from the loss and the output shape rather
# than from the table above.
_ACCURACY_NAMES = ("acc", "accuracy")
_CROSSENTROPY_NAMES = ("ce", "crossentropy")

# tf.keras 2.x logs a metric under the string passed to `compile`; Keras
# 2.2.4 logs `acc`, `ce`, or the function's name. Where they differ, the
# tf.keras spelling maps to 2.2.4's (`accuracy` -> `acc`, `mae` ->
# `mean_absolute_error`), so lookups of either find the one logged value.
_TF_KERAS_LOG_NAMES: dict[str, str] = {
    "accuracy": "acc",
    "crossentropy": "ce",
    **{alias: fn.__name__ for alias, fn in _METRICS.items() if alias != fn.__name__},
}
# `[val_][<output>_][weighted_]<name>[_<n>]`: the alias is the last name before
# an optional dedupe counter, either the whole key or after an underscore.
_ALIASED_KEY = re.compile(
    r"^(?P<head>(?:.*_)?)(?P<name>"
    + "|".join(sorted(map(re.escape, _TF_KERAS_LOG_NAMES), key=len, reverse=True))
    + r")(?P<tail>_\d+)?$")
# Metric names that end like an alias (`categorical_accuracy`, `binary_crossentropy`)
# are names of their own, never aliases.
_NOT_ALIASED = re.compile(
    r"(?:^|_)(?:"
    + "|".join(re.escape(m) for m in _METRICS
               if any(m.endswith("_" + alias) for alias in _TF_KERAS_LOG_NAMES))
    + r")(?:_\d+)?$")


def serialize(metric: Callable) -> str:
    """Returns the name under which `metric` is saved in a training config.

    # Arguments
        metric: a metric function.

    # Returns
        Its `__name__`; aliases give the full name (`mae` -> `'mean_absolute_error'`).
    """
    return serialize_keras_object(metric)


def deserialize(name: str | dict, custom_objects: Mapping[str, Any] | None = None) -> Callable:
    """Returns the metric function called `name`.

    # Arguments
        name: string, a metric (or loss) name or alias.
        custom_objects: optional dict of user metrics, looked up first.

    # Returns
        The metric function.

    # Raises
        ValueError: if `name` is unknown.
    """
    return get_object(name, _METRICS, "metric function", custom_objects=custom_objects)


def get(identifier: str | dict | Callable | None) -> Callable | None:
    """Resolves a metric name, config dict or callable to a metric function.

    `'acc'` and `'accuracy'` are not in this table: they depend on the loss,
    see `resolve`.

    # Arguments
        identifier: None, a metric (or loss) name or alias, a config dict, or
            a callable (returned as is).

    # Returns
        The metric function, or None for None.

    # Raises
        ValueError: if `identifier` is an unknown name.
        IdentifierError: (a `TypeError`, and a `ValueError` as in Keras 2.2.4)
            if `identifier` is of another type.
    """
    return get_object(identifier, _METRICS, "metric function")


def resolve(metric: str | Callable, loss_fn: Callable | None,
            output_shape: Sequence[int | None]) -> tuple[str, Callable]:
    """Return (log name, per-sample function) for one entry of compile(metrics=[...]).

    `'acc'`/`'accuracy'` (and `'crossentropy'`/`'ce'`) pick their function as
    Keras 2.2.4's `Model.compile` does: binary accuracy (crossentropy) when
    the output has one unit or the loss is `binary_crossentropy`; sparse
    categorical when the loss is `sparse_categorical_crossentropy`;
    categorical otherwise. They are logged as 2.2.4 logs them: both
    accuracy spellings as `acc`, both crossentropy spellings as `ce`.
    Any other name is logged under the function's `__name__`, as in 2.2.4,
    so `'mae'` logs as `mean_absolute_error`. A callable is logged under its
    `name` attribute if it has one, else its `__name__`. (`log_key` maps
    the tf.keras-era spellings of these names back, for lookups.)

    # Arguments
        metric: a metric name or alias, or a callable `(y_true, y_pred)`.
        loss_fn: the resolved loss function of the output the metric is for.
        output_shape: the shape of that output, e.g. `(None, 10)`.

    # Returns
        A tuple `(log_name, fn)` where `fn(y_true, y_pred)` returns one value
        per sample.

    # Raises
        ValueError: if `metric` is an unknown name (the message lists the
            valid ones).
        TypeError: if `metric` is neither a string nor a callable, or is a
            callable with neither `name` nor `__name__`.
    """
    if isinstance(metric, str):
        if metric in _ACCURACY_NAMES or metric in _CROSSENTROPY_NAMES:
            accuracy = metric in _ACCURACY_NAMES
            if tuple(output_shape)[-1:] == (1,) or loss_fn is binary_crossentropy:
                fn = binary_accuracy if accuracy else binary_crossentropy
            elif loss_fn is sparse_categorical_crossentropy:
                fn = sparse_categorical_accuracy if accuracy else sparse_categorical_crossentropy
            else:
                fn = categorical_accuracy if accuracy else categorical_crossentropy
            return ("acc" if accuracy else "ce"), fn
        if metric not in _METRICS:
            valid = sorted([*_ACCURACY_NAMES, *_CROSSENTROPY_NAMES, *_METRICS])
            raise ValueError(f"Unknown metric: {metric!r}. Valid names: {valid}")
        fn = get(metric)
        return fn.__name__, fn
    if callable(metric):
        name = getattr(metric, "name", None) or getattr(metric, "__name__", None)
        if not isinstance(name, str):
            raise TypeError(
                f"metrics: cannot name the callable {metric!r} for the logs; give it a "
                "`__name__` (a def function) or a `name` attribute")
        return name, metric
    raise TypeError(
        "metrics: expected a metric name or a callable (y_true, y_pred), got "
        f"{type(metric).__name__} {metric!r}")


def log_key(key: str) -> str | None:
    """Returns Keras 2.2.4's spelling of a tf.keras-era log key, or None if it has none.

    tf.keras 2.x logs a metric under the string passed to `compile`
    (`accuracy`, `val_accuracy`, `out_accuracy`, `mae`); 2.2.4, and so
    jeras, log `acc`, `val_acc`, `out_acc`, `mean_absolute_error`. The
    callbacks and `History.history` use this to answer both spellings
    while logging each value once.

    # Arguments
        key: a log key such as `'val_accuracy'`.

    # Returns
        The 2.2.4 key (`'val_acc'`), or None when `key` names no metric
        alias (`'loss'`, `'val_acc'`, or any key already in 2.2.4's form).

    # Example
    ```python
    log_key('val_accuracy')    # 'val_acc'
    log_key('out_mae')         # 'out_mean_absolute_error'
    log_key('val_loss')        # None
    ```
    """
    match = _ALIASED_KEY.match(key) if isinstance(key, str) else None
    if match is None or _NOT_ALIASED.search(key):
        return None
    return match["head"] + _TF_KERAS_LOG_NAMES[match["name"]] + (match["tail"] or "")
