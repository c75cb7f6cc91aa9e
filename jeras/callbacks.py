"""Callbacks: host-side objects whose hooks `fit` calls at fixed moments.

They see logs of plain Python floats, never device arrays. `fit` calls batch
hooks after every batch only when some callback overrides them; otherwise it
runs many batches per host round trip and hands the built-in loggers the
chunk's per-batch values at once (`on_batches_end`).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from jeras.utils.generic_utils import Progbar

_BATCH_HOOKS = ("on_batch_begin", "on_batch_end")


class Callback:
    """Base class of callbacks.

    # Properties
        params: dict of training parameters (`batch_size`, `epochs`, `steps`,
            `samples`, `verbose`, `do_validation`, `metrics`).
        model: the model being trained.

    The `logs` dict a hook receives holds: `on_epoch_end`, `loss`, the metrics
    and, with validation, `val_loss` and `val_<metric>`; `on_batch_begin`,
    `batch` and `size`; `on_batch_end`, those plus `loss` and the metrics.
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
            logs = {"batch": first_batch + j, "size": size}
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

    `fit` returns it.
    """

    def on_train_begin(self, logs=None):
        self.epoch: list[int] = []
        self.history: dict[str, list] = {}

    def needs_batch_hooks(self) -> bool:
        return False

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)

