"""Callbacks: host-side objects whose hooks `fit` calls at fixed moments.

They see logs of plain Python floats, never device arrays. `fit` calls batch
hooks after every batch only when some callback overrides them; otherwise it
runs many batches per host round trip and hands the built-in loggers the
chunk's per-batch values at once (`on_batches_end`).

Every rule below (when to save, stop or change the learning rate, and the
messages printed) is Keras 2.2.4's, epoch for epoch.

Log keys are 2.2.4's (`acc`, `val_acc`, `mean_absolute_error`); the logs
`fit` hands out, `History.history` and every `monitor` also answer the
tf.keras-era spelling (`accuracy`, `val_accuracy`, `mae`), through
`log_value` and `LogDict`, without logging anything twice.
"""
from __future__ import annotations

import csv
import io
import json
import os
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from jeras import backend as K
from jeras import metrics as metrics_module
from jeras.engine.training_utils import check_positive_int
from jeras.utils.generic_utils import Progbar, positional_arity, to_list

_BATCH_HOOKS = ("on_batch_begin", "on_batch_end")


def log_value(logs: Mapping, key: str, default: Any = None) -> Any:
    """Returns `logs[key]`, where `key` may also be the tf.keras-era spelling.

    `logs` holds Keras 2.2.4's keys; `'val_accuracy'` finds `val_acc` and
    `'mae'` finds `mean_absolute_error` (see `jeras.metrics.log_key`).

    # Arguments
        logs: a mapping of log keys, e.g. the epoch logs.
        key: the key asked for, in either spelling.
        default: returned when neither spelling is in `logs`.

    # Returns
        The value, or `default`.
    """
    if key in logs:
        return logs[key]
    alias = metrics_module.log_key(key)
    return logs[alias] if alias is not None and alias in logs else default


class LogDict(dict):
    """A dict of logs keyed by Keras 2.2.4's names that also answers tf.keras-era names.

    Its keys, iteration, `len`, `items()` and any CSV or JSON written from
    it are the 2.2.4 names only (`acc`, `val_acc`); reading a key, `get`
    and `in` also accept the tf.keras-era spelling (`accuracy`,
    `val_accuracy`), so scripts of both eras work. `History.history` and
    the logs `fit` hands to callbacks are `LogDict`s.

    # Example
    ```python
    history = model.fit(x, y, validation_split=0.2)   # metrics=['accuracy']
    list(history.history)               # ['val_loss', 'val_acc', 'loss', 'acc']
    history.history['val_accuracy'] is history.history['val_acc']   # True
    ```
    """

    def _alias(self, key: object) -> str | None:
        """The 2.2.4 key this dict holds for the tf.keras-era `key`, or None."""
        alias = metrics_module.log_key(key) if isinstance(key, str) else None
        return alias if alias is not None and dict.__contains__(self, alias) else None

    def __missing__(self, key: Any) -> Any:
        alias = self._alias(key)
        if alias is None:
            raise KeyError(key)
        return dict.__getitem__(self, alias)

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or self._alias(key) is not None

    def get(self, key: Any, default: Any = None) -> Any:
        return self[key] if key in self else default


class Callback:
    """Base class of callbacks.

    # Properties
        params: dict of training parameters (`batch_size`, `epochs`, `steps`,
            `samples`, `verbose`, `do_validation`, `metrics`).
        model: the model being trained.
        validation_data: as in Keras 2.2.4, the validation arrays (inputs,
            targets, sample weights) when the trainer provides them, else None.

    Override any of the hooks below; a subclass that overrides
    `on_batch_begin` or `on_batch_end` is called around every batch as it
    runs. The `logs` dict a hook receives holds: `on_epoch_end`, `loss`, the
    metrics and, with validation, `val_loss` and `val_<metric>`;
    `on_batch_begin`, `batch` and `size`; `on_batch_end`, those plus `loss`
    and the metrics.
    """

    def __init__(self):
        self.validation_data = None
        self.model = None
        self.params: dict = {}

    def set_params(self, params: dict) -> None:
        self.params = params

    def set_model(self, model: Any) -> None:
        self.model = model

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        pass

    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        pass

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        pass

    def on_train_begin(self, logs: dict | None = None) -> None:
        pass

    def on_train_end(self, logs: dict | None = None) -> None:
        pass

    def needs_batch_hooks(self) -> bool:
        """True if this callback must be called after every batch as it happens."""
        return any(getattr(type(self), hook) is not getattr(Callback, hook)
                   for hook in _BATCH_HOOKS)

    def on_batches_end(self, first_batch: int, sizes: np.ndarray,
                       batch_logs: dict[str, np.ndarray]) -> None:
        """Called after a run of batches with their sizes and per-batch values.

        The default replays `on_batch_begin` / `on_batch_end` for each batch,
        which is what the built-in loggers need; they override it to do the
        same work on whole arrays.
        """
        columns = {k: v.tolist() for k, v in batch_logs.items()}
        for j, size in enumerate(sizes.tolist()):
            logs = LogDict(batch=first_batch + j, size=size)
            self.on_batch_begin(first_batch + j, logs)
            logs.update({k: v[j] for k, v in columns.items()})
            self.on_batch_end(first_batch + j, logs)


class CallbackList:
    """A list of callbacks that forwards every hook to each, in order.

    # Arguments
        callbacks: the callbacks.
        queue_length: how many batch timings to keep for the slow-callback warning.
    """

    def __init__(self, callbacks: Iterable[Callback] | None = None, queue_length: int = 10):
        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"`callbacks` must hold jeras.callbacks.Callback instances, "
                                f"got {type(cb).__name__}")
        self.queue_length = queue_length

    def append(self, callback: Callback) -> None:
        self.callbacks.append(callback)

    def set_params(self, params: dict) -> None:
        for cb in self.callbacks:
            cb.set_params(params)

    def set_model(self, model: Any) -> None:
        for cb in self.callbacks:
            cb.set_model(model)

    def needs_batch_hooks(self) -> bool:
        return any(cb.needs_batch_hooks() for cb in self.callbacks)

    def _call(self, hook: str, *args: Any) -> None:
        for cb in self.callbacks:
            getattr(cb, hook)(*args)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._call("on_epoch_begin", epoch, {} if logs is None else logs)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._call("on_epoch_end", epoch, {} if logs is None else logs)

    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self._call("on_batch_begin", batch, {} if logs is None else logs)

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._call("on_batch_end", batch, {} if logs is None else logs)

    def on_batches_end(self, first_batch: int, sizes: np.ndarray,
                       batch_logs: dict[str, np.ndarray]) -> None:
        self._call("on_batches_end", first_batch, sizes, batch_logs)

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._call("on_train_begin", {} if logs is None else logs)

    def on_train_end(self, logs: dict | None = None) -> None:
        self._call("on_train_end", {} if logs is None else logs)

    def __iter__(self):
        return iter(self.callbacks)


class BaseLogger(Callback):
    """Averages the batch values of each epoch, weighted by batch size, into the epoch logs.

    Every model's `fit` attaches one.

    # Arguments
        stateful_metrics: names of metrics passed through with their last
            value instead of averaged.
    """

    def __init__(self, stateful_metrics: Iterable[str] | None = None):
        super().__init__()
        self.stateful_metrics = set(stateful_metrics or ())

    def needs_batch_hooks(self) -> bool:
        return False

    def on_epoch_begin(self, epoch, logs=None):
        self.seen = 0
        self.totals: dict[str, float] = {}

    def on_batch_end(self, batch, logs=None):
        logs = logs or {}
        size = logs.get("size", 0)
        self.seen += size
        for k, v in logs.items():
            if k in ("batch", "size"):
                continue
            if k in self.stateful_metrics:
                self.totals[k] = v
            else:
                self.totals[k] = self.totals.get(k, 0.0) + v * size

    def on_batches_end(self, first_batch, sizes, batch_logs):
        self.seen += int(sizes.sum())
        for k, v in batch_logs.items():
            if k in self.stateful_metrics:
                self.totals[k] = float(v[-1])
            else:
                self.totals[k] = self.totals.get(k, 0.0) + float(np.dot(v.astype(np.float64),
                                                                        sizes))

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        for k in self.params.get("metrics", []):
            if k in self.totals:
                if k in self.stateful_metrics:
                    logs[k] = self.totals[k]
                else:
                    logs[k] = self.totals[k] / self.seen


class TerminateOnNaN(Callback):
    """Stops training after a batch whose loss is NaN or infinite."""

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and (np.isnan(loss) or np.isinf(loss)):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class ProgbarLogger(Callback):
    """Prints the metrics to stdout with the Keras progress bar.

    # Arguments
        count_mode: `'samples'` or `'steps'`: whether the bar counts samples or batches.
        stateful_metrics: names shown as given rather than averaged.

    # Raises
        ValueError: for another `count_mode`.
    """

    def __init__(self, count_mode: str = "samples", stateful_metrics: Iterable[str] | None = None):
        super().__init__()
        if count_mode == "samples":
            self.use_steps = False
        elif count_mode == "steps":
            self.use_steps = True
        else:
            raise ValueError(f"ProgbarLogger: `count_mode` must be 'samples' or 'steps', "
                             f"got {count_mode!r}")
        self.stateful_metrics = set(stateful_metrics or ())

    def needs_batch_hooks(self) -> bool:
        return False

    def on_train_begin(self, logs=None):
        self.verbose = self.params["verbose"]
        self.epochs = self.params["epochs"]

    def on_epoch_begin(self, epoch, logs=None):
        if self.verbose:
            print(f"Epoch {epoch + 1}/{self.epochs}")
            self.target = self.params["steps"] if self.use_steps else self.params["samples"]
            self.progbar = Progbar(self.target, verbose=self.verbose,
                                   stateful_metrics=self.stateful_metrics,
                                   unit_name="step")
        self.seen = 0

    def _metric_names(self) -> list[str]:
        return [k for k in self.params["metrics"] if not k.startswith("val_")]

    def on_batch_end(self, batch, logs=None):
        logs = logs or {}
        self.seen += 1 if self.use_steps else logs.get("size", 0)
        values = [(k, logs[k]) for k in self._metric_names() if k in logs]
        if self.verbose and self.seen < self.target:
            self.progbar.update(self.seen, values)

    def on_batches_end(self, first_batch, sizes, batch_logs):
        count = len(sizes) if self.use_steps else int(sizes.sum())
        self.seen += count
        if self.verbose and self.seen < self.target:
            # The bar averages over units; the chunk's mean weighted by size matches that.
            values = [(k, float(np.dot(batch_logs[k].astype(np.float64), sizes) / sizes.sum()))
                      for k in self._metric_names() if k in batch_logs]
            self.progbar.update(self.seen, values)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        values = [(k, logs[k]) for k in self.params["metrics"] if k in logs]
        if self.verbose:
            self.progbar.stateful_metrics |= {k for k, _ in values}
            self.progbar.update(self.seen, values)


class History(Callback):
    """Records the epoch logs: `history.epoch` and `history.history[key]` (one value per epoch).

    `fit` returns it. `history.history` is a `LogDict`: its keys are Keras
    2.2.4's (`acc`, `val_acc`), and `history.history['val_accuracy']`
    reads the same list as `history.history['val_acc']`.
    """

    def on_train_begin(self, logs=None):
        self.epoch: list[int] = []
        self.history: LogDict = LogDict()

    def needs_batch_hooks(self) -> bool:
        return False

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)



def _monitor_op(owner: str, monitor: str, mode: str, max_prefixes: tuple[str, ...] = ()
                ) -> Callable[[Any, Any], bool]:
    """Returns `np.less` or `np.greater` for `mode`, as the 2.2.4 callbacks choose it.

    `'auto'` maximises names containing `acc` (and names starting with one of
    `max_prefixes`); an unknown mode warns and falls back to `'auto'`.
    """
    if mode not in ("auto", "min", "max"):
        warnings.warn(f"{owner} mode {mode} is unknown, fallback to auto mode.",
                      RuntimeWarning, stacklevel=3)
        mode = "auto"
    if mode == "auto":
        mode = "max" if "acc" in monitor or monitor.startswith(max_prefixes) else "min"
    return np.greater if mode == "max" else np.less


def _check_monitor(owner: str, monitor: Any) -> str:
    if not isinstance(monitor, str):
        raise TypeError(f"{owner}: `monitor` must be a log key such as 'val_loss', "
                        f"got {type(monitor).__name__} {monitor!r}")
    return monitor


def _missing_key_warning(what: str, monitor: str, logs: Mapping) -> None:
    warnings.warn(f"{what} conditioned on metric `{monitor}` which is not available. "
                  f"Available metrics are: {','.join(logs)}", RuntimeWarning, stacklevel=3)


class ModelCheckpoint(Callback):
    """Saves the model after every epoch (or every `period` epochs).

    `filepath` may hold format fields filled from the epoch (counted from 1)
    and the epoch logs: with `weights.{epoch:02d}-{val_loss:.2f}.hdf5` each
    checkpoint's name carries its epoch and validation loss. Fields and
    `monitor` may use 2.2.4's key (`val_acc`) or tf.keras's (`val_accuracy`). Files are Keras 2
    HDF5, written by `model.save` (or `model.save_weights`), which write to a
    temporary name and rename, so a checkpoint on disk is always whole.

    # Arguments
        filepath: string or path-like, where to save the model.
        monitor: the log key to watch (for `save_best_only`), e.g. `'val_acc'`
            or its tf.keras spelling `'val_accuracy'`.
        verbose: 0 or 1; 1 prints a line at each checkpoint decision.
        save_best_only: only save when `monitor` beats the best value so far,
            so the file at a fixed `filepath` is always the best model.
        save_weights_only: save only the weights (`model.save_weights`),
            else the whole model (`model.save`).
        mode: `'min'`, `'max'` or `'auto'`: whether a smaller or a larger
            `monitor` is better; `'auto'` picks max for names containing
            `acc` or starting with `fmeasure`, min otherwise. Another value
            warns and falls back to `'auto'`.
        period: int >= 1, epochs between checkpoints.

    # Raises
        TypeError / ValueError: for a `filepath`, `monitor` or `period` of the wrong kind.
        ValueError: at epoch end, when `filepath` names a key the logs do not hold.
    """

    def __init__(self, filepath: str | os.PathLike, monitor: str = "val_loss", verbose: int = 0,
                 save_best_only: bool = False, save_weights_only: bool = False,
                 mode: str = "auto", period: int = 1):
        super().__init__()
        if not isinstance(filepath, (str, os.PathLike)):
            raise TypeError(f"ModelCheckpoint: `filepath` must be a string or path, "
                            f"got {type(filepath).__name__} {filepath!r}")
        self.filepath = os.fspath(filepath)
        self.monitor = _check_monitor("ModelCheckpoint", monitor)
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.period = check_positive_int(period, "period")
        self.epochs_since_last_save = 0
        self.monitor_op = _monitor_op("ModelCheckpoint", monitor, mode, ("fmeasure",))
        self.best = np.inf if self.monitor_op is np.less else -np.inf

    def _format_path(self, epoch: int, logs: dict) -> str:
        try:
            return self.filepath.format_map(LogDict(logs, epoch=epoch + 1))
        except KeyError as e:
            raise ValueError(f"ModelCheckpoint: `filepath` {self.filepath!r} names {e}, which "
                             f"the epoch logs do not hold; available: epoch, "
                             f"{', '.join(logs)}") from None

    def _save(self, filepath: str) -> None:
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.epochs_since_last_save += 1
        if self.epochs_since_last_save < self.period:
            return
        self.epochs_since_last_save = 0
        filepath = self._format_path(epoch, logs)
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1:05d}: saving model to {filepath}")
            self._save(filepath)
            return
        current = log_value(logs, self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available, skipping.",
                          RuntimeWarning, stacklevel=2)
        elif self.monitor_op(current, self.best):
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1:05d}: {self.monitor} improved from {self.best:0.5f} "
                      f"to {current:0.5f}, saving model to {filepath}")
            self.best = current
            self._save(filepath)
        elif self.verbose > 0:
            print(f"\nEpoch {epoch + 1:05d}: {self.monitor} did not improve from "
                  f"{self.best:0.5f}")


class EarlyStopping(Callback):
    """Stops training when a monitored quantity has stopped improving.

    The 2.2.4 rule: an epoch improves when `current - min_delta` beats the
    best so far (`current + min_delta` in max mode); an improvement resets
    `wait`, anything else adds one, and training stops once
    `wait >= patience`, at the end of that epoch (`stopped_epoch`).

    # Arguments
        monitor: the log key to watch, in 2.2.4's spelling (`'val_acc'`) or
            tf.keras's (`'val_accuracy'`).
        min_delta: float >= 0, the smallest change that counts as an improvement.
        patience: int >= 0, epochs without improvement before stopping.
        verbose: 0 or 1; 1 prints `Epoch 00005: early stopping` at the end.
        mode: `'min'`, `'max'` or `'auto'` (max for names containing `acc`).
            Another value warns and falls back to `'auto'`.
        baseline: the value to beat, the starting best; with `patience=0`
            training stops after the first epoch that does not beat it.
        restore_best_weights: when stopping, put back the weights of the best
            epoch (as in 2.2.4, not when training simply runs out of epochs).

    # Raises
        TypeError / ValueError: for a `monitor` or `patience` of the wrong kind.
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0, patience: int = 0,
                 verbose: int = 0, mode: str = "auto", baseline: float | None = None,
                 restore_best_weights: bool = False):
        super().__init__()
        self.monitor = _check_monitor("EarlyStopping", monitor)
        self.patience = check_positive_int(patience, "patience", allow_zero=True)
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.monitor_op = _monitor_op("EarlyStopping", monitor, mode)
        # Stored signed, as 2.2.4 does: subtracting it always asks for a margin.
        self.min_delta = abs(min_delta) if self.monitor_op is np.greater else -abs(min_delta)
        self.wait = 0
        self.stopped_epoch = 0
        self.best_weights: list | None = None

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best_weights = None
        if self.baseline is not None:
            self.best = self.baseline
        else:
            self.best = np.inf if self.monitor_op is np.less else -np.inf

    def get_monitor_value(self, logs: dict) -> Any:
        """Returns `logs[monitor]`, or warns (naming the keys there are) and returns None."""
        value = log_value(logs, self.monitor)
        if value is None:
            _missing_key_warning("Early stopping", self.monitor, logs)
        return value

    def on_epoch_end(self, epoch, logs=None):
        current = self.get_monitor_value(logs or {})
        if current is None:
            return
        if self.monitor_op(current - self.min_delta, self.best):
            self.best = current
            self.wait = 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            # 2.2.4 would call set_weights(None) when no epoch ever beat the baseline.
            if self.restore_best_weights and self.best_weights is not None:
                if self.verbose > 0:
                    print("Restoring model weights from the end of the best epoch")
                self.model.set_weights(self.best_weights)

    def on_train_end(self, logs=None):
        # As 2.2.4: a stop at epoch index 0 prints nothing.
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1:05d}: early stopping")


class RemoteMonitor(Callback):
    """Posts the epoch logs to a server at the end of every epoch.

    Each epoch sends `{'epoch': epoch, **logs}` (numpy values as plain
    numbers) by HTTP POST to `root + path`: JSON-encoded in the form field
    `field`, or as a JSON body with `send_as_json=True`. An unreachable server
    gives a warning and training goes on. Needs the `requests` library, which
    is imported at the first post.

    # Arguments
        root: the server's root URL.
        path: the path, relative to `root`, the events go to.
        field: the form field holding the JSON (without `send_as_json`).
        headers: optional dict of extra HTTP headers.
        send_as_json: send the logs as an `application/json` body.
    """

    def __init__(self, root: str = "http://localhost:9000", path: str = "/publish/epoch/end/",
                 field: str = "data", headers: Mapping[str, str] | None = None,
                 send_as_json: bool = False):
        super().__init__()
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = send_as_json

    def on_epoch_end(self, epoch, logs=None):
        import requests

        send: dict[str, Any] = {"epoch": epoch}
        for k, v in (logs or {}).items():
            send[k] = v.tolist() if isinstance(v, (np.ndarray, np.generic)) else v
        try:
            if self.send_as_json:
                requests.post(self.root + self.path, json=send, headers=self.headers)
            else:
                requests.post(self.root + self.path, {self.field: json.dumps(send)},
                              headers=self.headers)
        except requests.exceptions.RequestException:
            warnings.warn(f"Warning: could not reach RemoteMonitor root server at {self.root}",
                          stacklevel=2)


def _optimizer_lr(owner: str, model: Any) -> Any:
    lr = getattr(model.optimizer, "lr", None)
    if lr is None:
        raise ValueError(f'{owner}: the optimizer must have a "lr" attribute, '
                         f"got {type(model.optimizer).__name__}")
    return lr


class LearningRateScheduler(Callback):
    """Sets the learning rate at the start of every epoch from a schedule.

    # Arguments
        schedule: a function of the epoch index (from 0), or of the epoch
            index and the current learning rate, returning the new learning
            rate as a float. Which form it is comes from its signature.
        verbose: 0 or 1; 1 prints the rate set at each epoch.

    # Raises
        TypeError: if `schedule` is not callable.
        ValueError: at an epoch's start, if the schedule returns no float or
            the optimizer has no `lr`.

    # Example
    ```python
    def schedule(epoch, lr):
        return lr if epoch < 10 else lr * 0.9
    model.fit(x, y, epochs=20, callbacks=[LearningRateScheduler(schedule)])
    ```
    """

    def __init__(self, schedule: Callable[..., float], verbose: int = 0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler: `schedule` must be a function of the "
                            f"epoch (and lr), got {type(schedule).__name__} {schedule!r}")
        self.schedule = schedule
        self.verbose = verbose
        try:
            self._takes_lr = positional_arity(schedule) >= 2
        except ValueError:
            # Callables without an inspectable signature (some builtins): the 2.2.4 old API.
            self._takes_lr = False

    def on_epoch_begin(self, epoch, logs=None):
        variable = _optimizer_lr("LearningRateScheduler", self.model)
        if self._takes_lr:
            lr = self.schedule(epoch, float(K.get_value(variable)))
        else:
            lr = self.schedule(epoch)
        if not isinstance(lr, (float, np.floating)):
            raise ValueError(f'LearningRateScheduler: the output of the "schedule" function '
                             f"should be float, got {type(lr).__name__} {lr!r}")
        K.set_value(variable, lr)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1:05d}: LearningRateScheduler setting learning rate "
                  f"to {lr}.")


class ReduceLROnPlateau(Callback):
    """Multiplies the learning rate by `factor` when a metric has stopped improving.

    The 2.2.4 rule: an epoch improves when `current < best - min_delta`
    (`current > best + min_delta` in max mode). After `patience` epochs
    without improvement the rate becomes `max(lr * factor, min_lr)` (if it is
    above `min_lr`), and for the next `cooldown` epochs `wait` stays at 0.
    The rate in force during the epoch is added to the epoch logs as `lr`,
    so `History` and a `CSVLogger` placed after this callback record it.

    # Arguments
        monitor: the log key to watch, in 2.2.4's spelling (`'val_acc'`) or
            tf.keras's (`'val_accuracy'`).
        factor: float < 1, the multiplier: `new_lr = lr * factor`.
        patience: int >= 0, epochs without improvement before reducing.
        verbose: 0 or 1; 1 prints each reduction.
        mode: `'min'`, `'max'` or `'auto'` (max for names containing `acc`).
            Another value warns and falls back to `'auto'`.
        min_delta: the margin an epoch must beat the best by to count as better.
            `epsilon` is accepted as its old name, with a warning.
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: lower bound of the learning rate.

    # Raises
        ValueError: if `factor >= 1`.
        TypeError: for a keyword argument other than `epsilon`.

    # Example
    ```python
    reduce_lr = ReduceLROnPlateau(monitor='val_loss', factor=0.2, patience=5, min_lr=0.001)
    model.fit(x_train, y_train, callbacks=[reduce_lr])
    ```
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
                 verbose: int = 0, mode: str = "auto", min_delta: float = 1e-4,
                 cooldown: int = 0, min_lr: float = 0, **kwargs: Any):
        super().__init__()
        if "epsilon" in kwargs:
            min_delta = kwargs.pop("epsilon")
            warnings.warn("`epsilon` argument is deprecated and will be removed, "
                          "use `min_delta` instead.", stacklevel=2)
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau: unexpected keyword argument(s) {sorted(kwargs)}")
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0, "
                             f"got `factor`={factor!r}")
        self.monitor = _check_monitor("ReduceLROnPlateau", monitor)
        self.factor = factor
        self.min_lr = min_lr
        self.min_delta = min_delta
        self.patience = check_positive_int(patience, "patience", allow_zero=True)
        self.verbose = verbose
        self.cooldown = check_positive_int(cooldown, "cooldown", allow_zero=True)
        self._maximize = _monitor_op("Learning Rate Plateau Reducing", monitor,
                                     mode) is np.greater
        self.mode = mode if mode in ("auto", "min", "max") else "auto"
        self._reset()

    def _reset(self) -> None:
        self.best = -np.inf if self._maximize else np.inf
        self.cooldown_counter = 0
        self.wait = 0

    def monitor_op(self, current: float, best: float) -> bool:
        """Whether `current` is better than `best` by more than `min_delta`."""
        if self._maximize:
            return bool(np.greater(current, best + self.min_delta))
        return bool(np.less(current, best - self.min_delta))

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        variable = _optimizer_lr("ReduceLROnPlateau", self.model)
        logs["lr"] = float(K.get_value(variable))
        current = log_value(logs, self.monitor)
        if current is None:
            _missing_key_warning("Reduce LR on plateau", self.monitor, logs)
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self.monitor_op(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = float(K.get_value(variable))
                if old_lr > self.min_lr:
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    K.set_value(variable, new_lr)
                    if self.verbose > 0:
                        print(f"\nEpoch {epoch + 1:05d}: ReduceLROnPlateau reducing learning "
                              f"rate to {new_lr}.")
                    self.cooldown_counter = self.cooldown
                    self.wait = 0


class CSVLogger(Callback):
    """Streams the epoch logs to a CSV file, one row per epoch.

    The header is `epoch` then the first epoch's log keys, sorted. Each row is
    formatted in memory and written with one call, then the file is closed, so
    the file holds whole rows only, whatever happens later in training. On
    the epoch that stopped training, keys the logs lack are written `NA`.
    1-D iterables are written as `[a, b, ...]`.

    # Arguments
        filename: the CSV file's path, e.g. `'run/log.csv'`.
        separator: the string between fields.
        append: continue an existing file (without repeating its header)
            instead of overwriting it.

    # Example
    ```python
    csv_logger = CSVLogger('training.log')
    model.fit(x_train, y_train, callbacks=[csv_logger])
    ```
    """

    def __init__(self, filename: str | os.PathLike, separator: str = ",", append: bool = False):
        super().__init__()
        if not isinstance(filename, (str, os.PathLike)):
            raise TypeError(f"CSVLogger: `filename` must be a string or path, "
                            f"got {type(filename).__name__} {filename!r}")
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self.keys: list[str] | None = None
        self.append_header = True

    def on_train_begin(self, logs=None):
        self.keys = None
        self.append_header = True
        if self.append and os.path.exists(self.filename):
            with open(self.filename, newline="") as f:
                self.append_header = not f.readline()
        else:
            # As 2.2.4 opens it for writing here: the file exists, empty, from the start.
            open(self.filename, "w").close()

    @staticmethod
    def _value(v: Any) -> Any:
        if isinstance(v, str) or (isinstance(v, np.ndarray) and v.ndim == 0):
            return v
        if isinstance(v, Iterable):
            return f"[{', '.join(map(str, v))}]"
        return v

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
        if self.model.stop_training:
            # NA rather than a gap, so CSV readers accept the last row.
            logs = {k: logs.get(k, "NA") for k in self.keys}
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=self.sep)
        if self.append_header:
            writer.writerow(["epoch"] + self.keys)
            self.append_header = False
        writer.writerow([epoch] + [self._value(logs[k]) for k in self.keys])
        with open(self.filename, "a", newline="") as f:
            f.write(buffer.getvalue())


class LambdaCallback(Callback):
    """A callback built from plain functions, for simple custom callbacks.

    The functions take positional arguments: `on_epoch_begin` and
    `on_epoch_end` take `(epoch, logs)`, `on_batch_begin` and `on_batch_end`
    take `(batch, logs)`, `on_train_begin` and `on_train_end` take `(logs)`.
    Hooks left out do nothing; with a batch function given, `fit` calls it
    after every batch as it happens.

    # Arguments
        on_epoch_begin: called at the start of every epoch.
        on_epoch_end: called at the end of every epoch.
        on_batch_begin: called before every batch.
        on_batch_end: called after every batch.
        on_train_begin: called at the start of training.
        on_train_end: called at the end of training.

    # Raises
        TypeError: if an argument is neither None nor callable.

    # Example
    ```python
    # Print the batch number at the beginning of every batch.
    batch_print_callback = LambdaCallback(on_batch_begin=lambda batch, logs: print(batch))

    # Stream the epoch loss to a file as JSON lines.
    json_log = open('loss_log.json', mode='wt', buffering=1)
    json_logging_callback = LambdaCallback(
        on_epoch_end=lambda epoch, logs: json_log.write(
            json.dumps({'epoch': epoch, 'loss': logs['loss']}) + '\\n'),
        on_train_end=lambda logs: json_log.close())
    ```
    """

    def __init__(self, on_epoch_begin: Callable | None = None,
                 on_epoch_end: Callable | None = None, on_batch_begin: Callable | None = None,
                 on_batch_end: Callable | None = None, on_train_begin: Callable | None = None,
                 on_train_end: Callable | None = None):
        super().__init__()
        hooks = {"on_epoch_begin": on_epoch_begin, "on_epoch_end": on_epoch_end,
                 "on_batch_begin": on_batch_begin, "on_batch_end": on_batch_end,
                 "on_train_begin": on_train_begin, "on_train_end": on_train_end}
        for name, fn in hooks.items():
            if fn is None:
                continue
            if not callable(fn):
                raise TypeError(f"LambdaCallback: `{name}` must be a function or None, "
                                f"got {type(fn).__name__} {fn!r}")
            # An instance attribute shadows the no-op method of the class.
            setattr(self, name, fn)
        self._batch_hooks = on_batch_begin is not None or on_batch_end is not None

    def needs_batch_hooks(self) -> bool:
        return self._batch_hooks


def _weight_images(value: np.ndarray) -> np.ndarray | None:
    """A weight as a batch of grey images (NHWC, uint8), shaped as 2.2.4 shows them.

    Dense kernels are shown wide (transposed when taller than wide), biases as
    a column, squeezed 3-D kernels one image per filter; higher ranks are
    skipped (None). Each image is scaled as TensorFlow's image summary scales
    floats: non-negative images so the largest value is 255, others so that
    0 is 128 and the largest magnitude reaches the edge of the range.
    """
    w = np.squeeze(np.asarray(value, np.float64))
    if w.ndim == 2:
        imgs = (w.T if w.shape[0] > w.shape[1] else w)[None]
    elif w.ndim == 3:
        imgs = np.transpose(w, (2, 0, 1)) if K.image_data_format() == "channels_last" else w
    elif w.ndim == 1:
        imgs = w[None, :, None]
    else:
        return None
    out = []
    for img in imgs:
        lo, hi = float(img.min()), float(img.max())
        if lo < 0:
            peak = max(-lo, hi)
            scaled = img * (127.0 / peak if peak > 0 else 0.0) + 128.0
        else:
            scaled = img * (255.0 / hi if hi > 0 else 0.0)
        out.append(np.clip(np.round(scaled), 0, 255).astype(np.uint8))
    return np.stack(out)[..., None]


class TensorBoard(Callback):
    """Writes TensorBoard event files: scalars, histograms, images, the graph, embeddings.

    Event files are written with tensorboardX; `tensorboard --logdir=log_dir`
    shows them. What is written, at Keras 2.2.4's moments and under its tags:

    - the epoch logs as scalars (`loss`, `acc`, `val_loss`, ...) at step
      `epoch`, or, with `update_freq` other than `'epoch'`, the batch logs
      every `update_freq` samples and the epoch logs too, at step "samples
      seen". A custom-scalars layout also draws each metric and its `val_`
      twin in one chart.
    - every `histogram_freq` epochs (epoch index divisible by it), a histogram
      of every weight (`dense_1/kernel_0`), of its gradient with `write_grads`
      (`dense_1/kernel_0_grad`: the gradient of the loss, regularisation
      included, in test mode, averaged over `validation_data` in batches of
      `batch_size`), and with `write_images` each weight as an image
      (`dense_1/kernel_0/image`).
    - with `write_graph`, the model's structure as a graph of layers (one
      node per layer, op = layer class, its config as an attribute), not the
      XLA computation.
    - every `embeddings_freq` epochs, the outputs of the chosen layers on
      `embeddings_data`, one row per sample, as embedding projector files
      under `log_dir/<epoch>/<layer name>/`.

    # Arguments
        log_dir: the directory to write to.
        histogram_freq: int >= 0, epochs between histograms; 0 for none.
        batch_size: int >= 1, batch size for gradients and embeddings.
        write_graph: write the layer graph.
        write_grads: write gradient histograms (needs `histogram_freq > 0`
            and `self.validation_data`, as in 2.2.4).
        write_images: write weights as images (at histogram epochs).
        embeddings_freq: int >= 0, epochs between embedding snapshots; 0 for none.
        embeddings_layer_names: layers whose outputs to embed; None for every
            `Embedding` layer. Each must have been called once (it has one `output`).
        embeddings_metadata: the name of a metadata file (relative to
            `log_dir`, as the projector reads it), or a dict mapping layer
            names to such names. One label per line; with several
            tab-separated columns, the first line is the header.
        embeddings_data: the input data to embed: an array, or a list of
            arrays for a model with several inputs.
        update_freq: `'epoch'`, `'batch'` or an int number of samples between
            writes of the batch logs.

    # Raises
        TypeError / ValueError: for arguments of the wrong kind, and
            `embeddings_freq` without `embeddings_data`.
    """

    def __init__(self, log_dir: str | os.PathLike = "./logs", histogram_freq: int = 0,
                 batch_size: int = 32, write_graph: bool = True, write_grads: bool = False,
                 write_images: bool = False, embeddings_freq: int = 0,
                 embeddings_layer_names: Iterable[str] | None = None,
                 embeddings_metadata: str | Mapping[str, str] | None = None,
                 embeddings_data: Any = None, update_freq: str | int = "epoch"):
        super().__init__()
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = check_positive_int(histogram_freq, "histogram_freq",
                                                 allow_zero=True)
        self.batch_size = check_positive_int(batch_size, "batch_size")
        self.write_graph = write_graph
        self.write_grads = write_grads
        self.write_images = write_images
        if write_grads and not histogram_freq:
            warnings.warn("TensorBoard: `write_grads` has no effect with `histogram_freq=0`",
                          stacklevel=2)
        self.embeddings_freq = check_positive_int(embeddings_freq, "embeddings_freq",
                                                  allow_zero=True)
        if self.embeddings_freq and embeddings_data is None:
            raise ValueError("TensorBoard: to visualize embeddings (`embeddings_freq` > 0), "
                             "`embeddings_data` must be provided, got None")
        self.embeddings_layer_names = (None if embeddings_layer_names is None
                                       else list(embeddings_layer_names))
        if not (embeddings_metadata is None or isinstance(embeddings_metadata, (str, Mapping))):
            raise TypeError(f"TensorBoard: `embeddings_metadata` must be a file name or a dict "
                            f"of layer names to file names, got "
                            f"{type(embeddings_metadata).__name__}")
        self.embeddings_metadata = embeddings_metadata
        self.embeddings_data = (None if embeddings_data is None else
                                [np.asarray(a) for a in (embeddings_data if isinstance(
                                    embeddings_data, (list, tuple)) else [embeddings_data])])
        if update_freq == "batch":
            self.update_freq: str | int = 1
        elif update_freq == "epoch":
            self.update_freq = "epoch"
        else:
            self.update_freq = check_positive_int(update_freq, "update_freq")
        self.samples_seen = 0
        self.samples_seen_at_last_write = 0
        self.writer = None
        self._grad_fn: Callable | None = None

    def needs_batch_hooks(self) -> bool:
        # Batch scalars are written after the fact, from the chunk's per-batch values.
        return False

    def on_train_begin(self, logs=None):
        from tensorboardX import SummaryWriter

        if self.embeddings_freq:
            self._embedded_layers = self._check_embedding_layers()
            self._embedding_model = None
        self.writer = SummaryWriter(self.log_dir)
        if self.write_graph:
            self._write_graph()
        metrics = self.params.get("metrics", [])
        pairs = [k for k in metrics if not k.startswith("val_") and "val_" + k in metrics]
        if pairs:
            self.writer.add_custom_scalars({"train and validation": {
                k: ["Multiline", [f"^{k}$", f"^val_{k}$"]] for k in pairs}})
        self.writer.flush()

    def on_epoch_end(self, epoch, logs=None):
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._write_histograms(epoch)
        if self.embeddings_freq and epoch % self.embeddings_freq == 0:
            self._write_embeddings(epoch)
        self._write_logs(logs or {}, epoch if self.update_freq == "epoch" else self.samples_seen)

    def on_batch_end(self, batch, logs=None):
        if self.update_freq == "epoch":
            return
        logs = logs or {}
        self.samples_seen += logs.get("size", 0)
        if self.samples_seen - self.samples_seen_at_last_write >= self.update_freq:
            self._write_logs(logs, self.samples_seen)
            self.samples_seen_at_last_write = self.samples_seen

    def on_train_end(self, logs=None):
        self.writer.close()

    def _write_logs(self, logs: dict, index: int) -> None:
        for name, value in logs.items():
            if name not in ("batch", "size"):
                self.writer.add_scalar(name, float(value), index)
        # Flushed at once, so a fit that fails later leaves every record written so far.
        self.writer.flush()

    def _write_graph(self) -> None:
        from tensorboardX.proto import attr_value_pb2, event_pb2, graph_pb2, node_def_pb2

        graph = graph_pb2.GraphDef()

        def add(name: str, op: str, inputs: list[str], config: dict) -> None:
            attr = {"config": attr_value_pb2.AttrValue(s=json.dumps(config).encode())}
            graph.node.append(node_def_pb2.NodeDef(name=name, op=op, input=inputs, attr=attr))

        config = self.model.get_config()
        layers = config["layers"]
        if all("inbound_nodes" in layer for layer in layers):
            # The functional layout: each layer lists the layers it is called on.
            for layer in layers:
                inputs = [inbound[0] for node in layer["inbound_nodes"] for inbound in node]
                add(layer["name"], layer["class_name"], inputs, layer["config"])
        else:
            # Sequential: a chain from the (possibly implicit) input layer.
            previous = None
            if not layers or layers[0]["class_name"] != "InputLayer":
                previous = self.model.input_names[0]
                add(previous, "InputLayer", [], {"name": previous})
            for layer in layers:
                add(layer["config"]["name"], layer["class_name"],
                    [previous] if previous else [], layer["config"])
                previous = layer["config"]["name"]
        self.writer.file_writer.add_event(event_pb2.Event(graph_def=graph.SerializeToString()))

    def _write_histograms(self, epoch: int) -> None:
        grads = self._validation_gradients() if self.write_grads else {}
        for li, layer in enumerate(self.model.layers):
            for wi, weight in enumerate(layer.weights):
                name = weight.name.replace(":", "_")
                value = K.get_value(weight)
                self.writer.add_histogram(name, value, epoch)
                if (li, wi) in grads:
                    self.writer.add_histogram(name + "_grad", grads[li, wi], epoch)
                if self.write_images:
                    images = _weight_images(value)
                    if images is not None:
                        self.writer.add_images(name + "/image", images, epoch,
                                               dataformats="NHWC")
        self.writer.flush()

    def _gradient_function(self) -> Callable:
        """jit(grad) of the model's test-mode objective with respect to its trainable weights."""
        import jax

        from jeras.engine import steps

        model = self.model
        spec, index = model._compiled_spec, model._trainable_index

        def objective(trainable, weights, inputs, targets, sws, mask):
            weights = steps.replace_weights(weights, index, trainable)
            forward = model._forward(weights, inputs, training=False, rng=None, sample_mask=mask)
            loss, _ = steps.objective_and_logs(spec, forward, targets, sws, mask)
            return loss + model._weight_penalty(weights) + forward.activity

        return jax.jit(jax.grad(objective))

    def _validation_gradients(self) -> dict[tuple[int, int], np.ndarray]:
        """The mean gradient on the validation data, per `(layer index, weight index)`.

        `validation_data` is 2.2.4's list: the inputs, the targets, then
        (optionally) the sample weights.
        """
        if not self.validation_data:
            raise ValueError("TensorBoard: gradient histograms (`write_grads`) need validation "
                             "data: fit with `validation_data` or `validation_split`")
        model = self.model
        n_in, n_out = len(model.input_names), len(model.output_names)
        data = [np.asarray(a) for a in self.validation_data]
        inputs, targets = data[:n_in], data[n_in:n_in + n_out]
        sws = data[n_in + n_out:n_in + 2 * n_out]
        n = inputs[0].shape[0]
        if len(sws) < n_out:
            sws = [np.ones(n, K.floatx())] * n_out
        if self._grad_fn is None:
            self._grad_fn = self._gradient_function()
        weights = model._weights()
        index = model._trainable_index
        trainable = [weights[li][wi] for li, wi in index]
        size = min(self.batch_size, n)
        totals = [np.zeros(np.shape(w), np.float64) for w in trainable]
        for start in range(0, n, size):
            # The short last batch is padded and masked, so one compiled shape serves all.
            positions = np.arange(start, start + size)
            rows, mask = np.minimum(positions, n - 1), positions < n
            grads = self._grad_fn(trainable, weights, [a[rows] for a in inputs],
                                  [a[rows] for a in targets], [a[rows] for a in sws], mask)
            for total, g in zip(totals, grads):
                total += np.asarray(g, np.float64) * mask.sum()
        return {key: total / n for key, total in zip(index, totals)}

    def _check_embedding_layers(self) -> list[str]:
        layer_names = [layer.name for layer in self.model.layers]
        names = self.embeddings_layer_names
        if not names:
            names = [layer.name for layer in self.model.layers
                     if type(layer).__name__ == "Embedding"]
        unknown = [name for name in names if name not in layer_names]
        if unknown:
            raise ValueError(f"TensorBoard: `embeddings_layer_names` {unknown} are not layers "
                             f"of the model; its layers are {layer_names}")
        return names

    def _embedding_outputs(self) -> dict[str, np.ndarray]:
        """The chosen layers' outputs on `embeddings_data`, flattened per sample, in test mode."""
        from jeras.engine.training import Model

        if self._embedding_model is None:
            # As 2.2.4, each layer's `output`: a layer called several times is refused there.
            outputs = [self.model.get_layer(name).output for name in self._embedded_layers]
            self._embedding_model = Model(self.model.inputs, outputs)
        data = self.embeddings_data
        values = to_list(self._embedding_model.predict(data if len(data) > 1 else data[0],
                                                       batch_size=self.batch_size))
        return {name: np.asarray(v).reshape(v.shape[0], -1)
                for name, v in zip(self._embedded_layers, values)}

    def _metadata(self, layer_name: str, count: int) -> tuple[list | None, list | None]:
        """The labels (and header) of a layer's metadata file, or `(None, None)`."""
        meta = self.embeddings_metadata
        filename = meta.get(layer_name) if isinstance(meta, Mapping) else meta
        if filename is None:
            return None, None
        path = os.path.join(self.log_dir, filename)
        with open(path, encoding="utf8") as f:
            rows = f.read().splitlines()
        header = None
        if rows and "\t" in rows[0]:
            header, rows = rows[0].split("\t"), [row.split("\t") for row in rows[1:]]
        if len(rows) != count:
            raise ValueError(f"TensorBoard: `embeddings_metadata` file {path!r} has {len(rows)} "
                             f"labels for {count} rows of `embeddings_data`")
        return rows, header

    def _write_embeddings(self, epoch: int) -> None:
        for name, matrix in self._embedding_outputs().items():
            labels, header = self._metadata(name, matrix.shape[0])
            self.writer.add_embedding(matrix, metadata=labels, metadata_header=header,
                                      global_step=epoch, tag=name)
