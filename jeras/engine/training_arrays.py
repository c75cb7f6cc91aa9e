"""The host loops of fit, evaluate and predict on arrays.

The host moves the data to the device once, then asks for many steps at a
time; it wakes up per batch only when a callback overrides a batch hook.
"""
from __future__ import annotations

from typing import Any

import jax
import numpy as np

from jeras import backend as K
from jeras import callbacks as cbks
from jeras import distribution as distribution_lib
from jeras.engine import model_state
from jeras.utils.generic_utils import Progbar

# Progress bar updates per epoch when batch hooks are not needed.
_CHUNKS_PER_EPOCH = 10


def _on_device(data: Any) -> Any:
    return distribution_lib.place_data(data)


def _scan_steps(model: Any) -> bool:
    """Whether to run many train steps per call in one `lax.scan`.

    Always, except on the CPU for models with a layer that is not
    `scan_friendly` (ConvLSTM2D, convolutions over large images or images of
    unknown size, which keep XLA's convolution): XLA's CPU backend computes
    their gradients about ten times slower inside a loop than at the top
    level, more than a dispatch per step costs.
    """
    return model.scan_friendly or jax.default_backend() != "cpu"


def _chunk_size(num_steps: int) -> int:
    """Steps per round trip for a live progress bar: about a tenth of the epoch.

    A divisor of the epoch's steps is preferred when one is close, since the
    train chunk then compiles without the branch that skips steps past the end.
    """
    target = -(-num_steps // _CHUNKS_PER_EPOCH)
    for size in range(target, (target + 1) // 2 - 1, -1):
        if size > 0 and num_steps % size == 0:
            return size
    return target


def _batch_sizes(n: int, batch_size: int, first: int, count: int, whole: bool) -> np.ndarray:
    if whole:
        return np.full(count, n, dtype=np.int64)
    starts = (first + np.arange(count)) * batch_size
    return np.minimum(batch_size, n - starts).astype(np.int64)


def configure_callbacks(model: Any, callbacks: list | None, *, verbose: int, count_mode: str,
                        val_data: tuple | None, do_validation: bool,
                        params: dict) -> cbks.CallbackList:
    """A fit's callbacks in Keras 2.2.4's order: BaseLogger, ProgbarLogger (when
    verbose), the user's, then a new History that becomes `model.history`.

    # Arguments
        model: the model being trained.
        callbacks: the user's callbacks.
        verbose: the fit's verbosity.
        count_mode: what the progress bar counts, `'samples'` or `'steps'`.
        val_data: validation arrays `(inputs, targets, sample_weights)`, handed
            to every callback as `validation_data`, or None.
        do_validation: whether the epochs end with validation.
        params: the fit's sizes (`batch_size`, `epochs`, `steps`, `samples`).
    """
    model.history = cbks.History()
    cb_list: list = [cbks.BaseLogger()]
    if verbose:
        cb_list.append(cbks.ProgbarLogger(count_mode))
    callback_list = cbks.CallbackList(cb_list + list(callbacks or []) + [model.history])
    callback_list.set_model(model)
    if val_data is not None:
        for cb in callback_list:
            cb.validation_data = list(val_data[0]) + list(val_data[1]) + list(val_data[2])
    labels = list(model.metrics_names)
    callback_list.set_params({
        **params, "verbose": verbose, "do_validation": do_validation,
        "metrics": labels + (["val_" + k for k in labels] if do_validation else []),
    })
    return callback_list


def fit_loop(model: Any, data: tuple, *, batch_size: int, epochs: int, verbose: int,
             callbacks: list | None, val_data: tuple | None, shuffle: bool | str,
             initial_epoch: int, steps_per_epoch: int | None) -> cbks.History:
    """Trains `model` on `(inputs, targets, sample_weights)` and returns its History."""
    n = data[0][0].shape[0]
    whole = steps_per_epoch is not None
    if whole:
        # Keras 2.2.4 with arrays and steps_per_epoch: each step is the whole data set.
        batch_size, num_steps = n, steps_per_epoch
    else:
        num_steps = -(-n // batch_size)
    out_labels = list(model.metrics_names)
    callback_list = configure_callbacks(
        model, callbacks, verbose=verbose, count_mode="steps" if whole else "samples",
        val_data=val_data, do_validation=val_data is not None,
        params={"batch_size": batch_size, "epochs": epochs, "steps": steps_per_epoch,
                "samples": n})
    per_batch = callback_list.needs_batch_hooks()
    trip = 1 if per_batch else (_chunk_size(num_steps) if verbose == 1 else num_steps)
    # Steps per compiled call: all of a round trip's, in one lax.scan, unless the
    # model is one XLA's CPU backend runs faster dispatched step by step.
    chunk = trip if _scan_steps(model) else 1
    train = model._function("train", batch_size, chunk)
    device_data = _on_device(data)
    fit_seed = K.random_seed()
    model._state = model_state.seeded(model._state, fit_seed)
    model.stop_training = False
    callback_list.on_train_begin()
    for epoch in range(initial_epoch, epochs):
        callback_list.on_epoch_begin(epoch)
        # Moved to the device once per epoch, not with every call of the step.
        perm, valid = jax.device_put(epoch_order(
            fit_seed, epoch, n, batch_size, shuffle, num_steps if whole else None))
        start = 0
        while start < num_steps:
            count = min(trip, num_steps - start)
            sizes = _batch_sizes(n, batch_size, start, count, whole)
            if per_batch:
                batch_logs = cbks.LogDict(batch=start, size=int(sizes[0]))
                callback_list.on_batch_begin(start, batch_logs)
            state = model._train_state()
            hyper = model.optimizer.hyper_values()
            pending = []
            for first in range(start, start + count, chunk):
                # Calls are dispatched without waiting; the host syncs once per trip.
                state, logs = train(state, device_data, perm, valid, np.int32(first), hyper,
                                    np.int32(epoch))
                pending.append(logs)
            model._set_state(state)
            pending = jax.device_get(pending)
            logs = {k: np.concatenate([np.asarray(p[k]) for p in pending])[:count]
                    for k in pending[0]}
            if per_batch:
                batch_logs.update({k: float(logs[k][0]) for k in out_labels})
                callback_list.on_batch_end(start, batch_logs)
            else:
                callback_list.on_batches_end(start, sizes, {k: logs[k] for k in out_labels})
            start += count
            if model.stop_training and per_batch:
                break
        epoch_logs = cbks.LogDict()
        # As Keras 2.2.4, an epoch stopped by a batch hook skips validation.
        if val_data is not None and not (per_batch and model.stop_training):
            val_values = test_loop(model, val_data, batch_size if not whole else
                                   val_data[0][0].shape[0], verbose=0)
            for label, value in zip(out_labels, val_values):
                epoch_logs["val_" + label] = value
        callback_list.on_epoch_end(epoch, epoch_logs)
        if model.stop_training:
            break
    callback_list.on_train_end()
    return model.history


def epoch_order(seed: int, epoch: int, n: int, batch_size: int, shuffle: bool | str,
                steps: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The epoch's sample order, padded to whole batches, and the mask of real entries.

    The order is drawn on the host from `(seed, epoch)`: moving these few
    hundred kilobytes costs less than compiling a device sort would, and the
    data itself stays on the device.

    # Arguments
        seed: the fit's seed; with `epoch` it fixes the order, so a resumed
            fit (`initial_epoch`) shuffles as an uninterrupted one does.
        epoch: the epoch's index.
        n: number of samples.
        batch_size: the batch size.
        shuffle: True for a full permutation, `'batch'` to shuffle whole
            batches (Keras 2's option for HDF5 data), False for none.
        steps: when given, every one of `steps` steps takes all `n` samples
            in order (Keras 2.2.4's `steps_per_epoch` with arrays).

    # Returns
        `(perm, valid)`: int32 indices of shape `(steps * batch_size,)` and
        which of them are real samples.
    """
    if steps is not None:
        perm = np.tile(np.arange(n, dtype=np.int32), steps)
        return perm, np.ones(perm.shape, bool)
    num_steps = -(-n // batch_size)
    padded = num_steps * batch_size
    rng = np.random.RandomState([seed, epoch])
    if not shuffle:
        order = np.arange(n, dtype=np.int32)
    elif shuffle == "batch":
        # As Keras 2.2.4: whole batches change places, the short last batch stays last.
        full = n // batch_size
        blocks = rng.permutation(full)
        order = (blocks[:, None] * batch_size + np.arange(batch_size)[None, :]).reshape(-1)
        order = np.concatenate([order, np.arange(full * batch_size, n)])
    else:
        order = rng.permutation(n)
    perm = np.zeros(padded, np.int32)
    perm[:n] = order
    return perm, np.arange(padded) < n


def test_loop(model: Any, data: tuple, batch_size: int, verbose: int = 0) -> list[float]:
    """Returns `[loss, metric...]` over `data`, the batch values weighted by batch size."""
    n = data[0][0].shape[0]
    fn = model._function("test", batch_size)
    logs, weights = fn(model._weights(), _on_device(data))
    if weights is not None:
        model._set_state(weights)
    logs = jax.device_get(logs)
    sizes = _batch_sizes(n, batch_size, 0, -(-n // batch_size), False).astype(np.float64)
    values = [np.float64(np.dot(np.asarray(logs[k], np.float64), sizes) / n)
              for k in model.metrics_names]
    if verbose == 1:
        Progbar(n).update(n, list(zip(model.metrics_names, values)))
    return values


def predict_loop(model: Any, inputs: list, batch_size: int, verbose: int = 0) -> list[np.ndarray]:
    """Returns the model's outputs for `inputs`, as numpy arrays."""
    n = inputs[0].shape[0]
    fn = model._function("predict", batch_size)
    outputs, weights = fn(model._weights(), _on_device(inputs))
    if weights is not None:
        model._set_state(weights)
    outputs = jax.device_get(outputs)
    if verbose == 1:
        Progbar(n).update(n)
    # Writable copies: Keras 2 scripts change predictions in place.
    return [np.array(o) for o in outputs]
