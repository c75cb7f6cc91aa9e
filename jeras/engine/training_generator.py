"""The host loops of fit, evaluate and predict on Python generators and `Sequence`s.

Each batch is checked like `fit`'s arrays, padded to the largest batch size
seen so far and masked, then run by one jitted step; a short last batch
therefore compiles nothing new. The host syncs with the device every few
batches, so host memory holds at most `max_queue_size` waiting batches and
the device a few batches more: data larger than device memory trains with
bounded memory. Callbacks see the same hooks and logs as in `fit_loop`.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jeras import backend as K
from jeras import callbacks as cbks
from jeras import distribution as distribution_lib
from jeras.engine import model_state, steps, training_arrays
from jeras.engine.training_utils import check_positive_int
from jeras.utils.data_utils import GeneratorEnqueuer, OrderedEnqueuer, Sequence, iter_sequence
from jeras.utils.generic_utils import Progbar

# Batches dispatched before the host waits for the device; bounds device memory.
_MAX_IN_FLIGHT = 16
# Progress bar updates per epoch when no callback needs batch hooks.
_UPDATES_PER_EPOCH = 10


def is_data_source(x: Any) -> bool:
    """True for what `fit_generator` reads: a `Sequence` or an iterator (a generator)."""
    return isinstance(x, Sequence) or (hasattr(x, "__next__") and hasattr(x, "__iter__"))


def _check_source(source: Any, method: str, argument: str) -> None:
    if not is_data_source(source):
        raise TypeError(f"{method}: `{argument}` must be a Python generator (or iterator) or a "
                        f"jeras.utils.Sequence, got {type(source).__name__}")


def _steps(source: Any, steps_arg: int | None, method: str, argument: str) -> int:
    """Steps to read: `steps_arg`, or `len(source)` for a `Sequence`."""
    if steps_arg is not None:
        return check_positive_int(steps_arg, argument)
    if isinstance(source, Sequence):
        return check_positive_int(len(source), f"len() of the Sequence given to {method}")
    raise ValueError(f"{method}: `{argument}=None` is only valid for a jeras.utils.Sequence, "
                     f"which knows its length; a generator needs `{argument}` (batches to "
                     f"read per epoch)")


class _Reader:
    """Reads batches from a generator or `Sequence`, on threads when `workers > 0`.

    `next_batch` names the step in its errors: a generator that ends too soon
    or raises is reported with the method and the batch it was asked for.
    """

    def __init__(self, source: Any, method: str, *, workers: int, use_multiprocessing: bool,
                 max_queue_size: int, shuffle: bool = False):
        self.method = method
        workers = check_positive_int(workers, "workers", allow_zero=True)
        max_queue_size = check_positive_int(max_queue_size, "max_queue_size")
        self.enqueuer: GeneratorEnqueuer | OrderedEnqueuer | None = None
        if workers > 0:
            if isinstance(source, Sequence):
                self.enqueuer = OrderedEnqueuer(source, use_multiprocessing, shuffle=shuffle)
            else:
                self.enqueuer = GeneratorEnqueuer(source, use_multiprocessing)
            self.enqueuer.start(workers=workers, max_queue_size=max_queue_size)
            self.iterator: Iterator = self.enqueuer.get()
        elif isinstance(source, Sequence):
            self.iterator = iter_sequence(source, shuffle=shuffle)
        else:
            self.iterator = source
        self.read = 0

    def next_batch(self, where: str) -> Any:
        try:
            batch = next(self.iterator)
        except StopIteration:
            raise ValueError(f"{self.method}: the generator stopped after {self.read} "
                             f"batch(es), at {where}. Make it loop forever (`while True:` "
                             f"around its `yield`), or ask for fewer steps") from None
        except Exception as e:  # re-raised as it is, with a note saying where it came from
            e.add_note(f"(raised by the generator given to {self.method}, asked for {where})")
            raise
        self.read += 1
        return batch

    def stop(self) -> None:
        if self.enqueuer is not None:
            self.enqueuer.stop()


def _unpack(output: Any, method: str, where: str) -> tuple[Any, Any, Any]:
    """Splits a generator's output into `(x, y, sample_weight)`."""
    if not isinstance(output, (tuple, list)) or len(output) not in (2, 3):
        got = (f"a {type(output).__name__} of length {len(output)}"
               if isinstance(output, (tuple, list)) else type(output).__name__)
        raise ValueError(f"{method}: the generator's output should be a tuple `(x, y)` or "
                         f"`(x, y, sample_weight)`, got {got} at {where}")
    return output[0], output[1], output[2] if len(output) == 3 else None


def _standardize(model: Any, method: str, where: str, x: Any, y: Any = None,
                 sample_weight: Any = None, class_weight: Any = None,
                 need_y: bool = True) -> tuple[list, list, list]:
    """`model._standardize` on one batch, its errors prefixed with the batch's place."""
    try:
        inputs, targets, sws = model._standardize(x, y, sample_weight, class_weight,
                                                  need_y=need_y)
        rows = inputs[0].shape[0]
        if rows:
            # A stateful model's batches all have its fixed size (no padding).
            model._batch_size(rows, rows, "")
    except (ValueError, TypeError) as e:
        raise type(e)(f"{method}: the batch read at {where} does not fit the model: {e}") from e
    if inputs[0].shape[0] == 0:
        raise ValueError(f"{method}: the generator gave an empty batch at {where}; batches "
                         f"need at least one sample")
    return inputs, targets, sws


class _Padder:
    """Pads each batch to the largest size seen so far, with a mask of its real rows."""

    def __init__(self):
        self.size = 0

    def __call__(self, arrays: list) -> tuple[list, np.ndarray, int]:
        rows = arrays[0].shape[0]
        self.size = max(self.size, rows)
        mask = np.arange(self.size) < rows
        if rows == self.size:
            return arrays, mask, rows
        padded = [np.concatenate([a, np.zeros((self.size - rows,) + a.shape[1:], a.dtype)])
                  for a in arrays]
        return padded, mask, rows


def _function(model: Any, kind: str) -> Callable:
    """The model's jitted one-batch step of `kind`, built on first use.

    Kept in `model._functions`, which `compile` clears, so a recompiled model
    never runs a stale step. jit traces once per batch shape.
    """
    key = ("generator", kind, distribution_lib.distribution())
    if key not in model._functions:
        shard = distribution_lib.shard_all
        if kind == "train":
            train_step = steps.make_train_step(model)

            def run(state, inputs, targets, sws, mask, hyper, step):
                key = jax.random.fold_in(jax.random.PRNGKey(state.seed), step)
                return train_step(state, shard(inputs), shard(targets), shard(sws), mask, hyper,
                                  key)

            model._functions[key] = distribution_lib.jit(run, model, "train",
                                                         donate_argnums=(0,))
        else:
            # Evaluation and prediction hand back the weights only when they
            # carry the states of stateful layers.
            stateful = model.stateful
            test_step = steps.make_test_step(model) if kind == "test" else None

            def evaluate(weights, inputs, targets, sws, mask):
                logs, new = test_step(weights, shard(inputs), shard(targets), shard(sws), mask)
                return logs, (new if stateful else None)

            def predict(weights, inputs, mask):
                outputs, new = steps.predict_step(model, weights, shard(inputs), mask)
                return outputs, (new if stateful else None)

            model._functions[key] = distribution_lib.jit(
                evaluate if kind == "test" else predict, model, kind)
    return model._functions[key]


def fit_generator(model: Any, generator: Any, steps_per_epoch: int | None = None,
                  epochs: int = 1, verbose: int = 1, callbacks: list | None = None,
                  validation_data: Any = None, validation_steps: int | None = None,
                  class_weight: Any = None, max_queue_size: int = 10, workers: int = 1,
                  use_multiprocessing: bool = False, shuffle: bool = True,
                  initial_epoch: int = 0) -> cbks.History:
    """Trains `model` on batches read from `generator`; see `Model.fit_generator`."""
    method = "fit_generator"
    _check_source(generator, method, "generator")
    steps_per_epoch = _steps(generator, steps_per_epoch, method, "steps_per_epoch")
    epochs = check_positive_int(epochs, "epochs", allow_zero=True)
    initial_epoch = check_positive_int(initial_epoch, "initial_epoch", allow_zero=True)
    if verbose not in (0, 1, 2):
        raise ValueError(f"{method}: `verbose` must be 0, 1 or 2, got {verbose!r}")
    val_is_source = validation_data is not None and is_data_source(validation_data)
    val_arrays = None
    if val_is_source:
        validation_steps = _steps(validation_data, validation_steps, method, "validation_steps")
    elif validation_data is not None:
        val_arrays = model._validation_arrays(validation_data)
        # A stateful model validates in batches of its own size (2.2.4: the size
        # of the generator's batches, which must be that one), as fit checks.
        if model.stateful:
            model._batch_size(model._input_shapes()[0][0], val_arrays[0][0].shape[0],
                              f"{method} (validation data)")
    do_validation = validation_data is not None

    out_labels = list(model.metrics_names)
    callback_list = training_arrays.configure_callbacks(
        model, callbacks, verbose=verbose, count_mode="steps", val_data=val_arrays,
        do_validation=do_validation, params={"epochs": epochs, "steps": steps_per_epoch})
    per_batch = callback_list.needs_batch_hooks()
    flush_every = 1 if per_batch else max(1, min(_MAX_IN_FLIGHT,
                                                -(-steps_per_epoch // _UPDATES_PER_EPOCH)))

    reader = val_reader = None
    try:
        # As 2.2.4, `on_train_begin` runs before the generator is first read: a
        # generator that is also a callback (2.2.4's image_ocr) sets itself up there.
        model.stop_training = False
        callback_list.on_train_begin()
        reader = _Reader(generator, method, workers=workers,
                         use_multiprocessing=use_multiprocessing,
                         max_queue_size=max_queue_size, shuffle=bool(shuffle))
        if val_is_source:
            val_reader = _Reader(validation_data, method + " (validation_data)",
                                 workers=workers, use_multiprocessing=use_multiprocessing,
                                 max_queue_size=max_queue_size)
        train = _Trainer(model)
        for epoch in range(initial_epoch, epochs):
            callback_list.on_epoch_begin(epoch)
            pending: list = []
            first = 0
            for batch_index in range(steps_per_epoch):
                where = f"step {batch_index + 1}/{steps_per_epoch} of epoch {epoch + 1}"
                x, y, sw = _unpack(reader.next_batch(where), method, where)
                data = _standardize(model, method, where, x, y, sw, class_weight)
                size = data[0][0].shape[0]
                if per_batch:
                    batch_logs = cbks.LogDict(batch=batch_index, size=size)
                    callback_list.on_batch_begin(batch_index, batch_logs)
                logs = train(data)
                pending.append((size, logs))
                if len(pending) >= flush_every or batch_index == steps_per_epoch - 1:
                    values = jax.device_get([logs for _, logs in pending])
                    if per_batch:
                        batch_logs.update({k: float(values[0][k]) for k in out_labels})
                        callback_list.on_batch_end(batch_index, batch_logs)
                    else:
                        sizes = np.asarray([s for s, _ in pending], np.int64)
                        callback_list.on_batches_end(
                            first, sizes, {k: np.asarray([float(v[k]) for v in values])
                                           for k in out_labels})
                    pending, first = [], batch_index + 1
                if model.stop_training and per_batch:
                    break
            epoch_logs = cbks.LogDict()
            # As Keras 2.2.4, an epoch stopped by a batch hook skips validation.
            if do_validation and not (per_batch and model.stop_training):
                if val_reader is not None:
                    val_values = _evaluate(model, val_reader, validation_steps,
                                           method + " (validation_data)", verbose=0)
                else:
                    val_values = training_arrays.test_loop(model, val_arrays, train.padder.size,
                                                           verbose=0)
                for label, value in zip(out_labels, val_values):
                    epoch_logs["val_" + label] = value
            callback_list.on_epoch_end(epoch, epoch_logs)
            if model.stop_training:
                break
    finally:
        for r in (reader, val_reader):
            if r is not None:
                r.stop()
    callback_list.on_train_end()
    return model.history


class _Trainer:
    """Runs one padded batch through the jitted train step and keeps the model's state."""

    def __init__(self, model: Any):
        self.model = model
        self.padder = _Padder()
        model._state = model_state.seeded(model._state, K.random_seed())
        self.count = itertools.count()

    def __call__(self, data: tuple[list, list, list]) -> dict:
        model = self.model
        if model._state.opt_state is None:
            model._init_optimizer_state()
        inputs, targets, sws = data
        padded, mask, _ = self.padder(inputs + targets + sws)
        ni, nt = len(inputs), len(targets)
        step = next(self.count)
        fn = _function(model, "train")
        state, logs = fn(model._train_state(), padded[:ni], padded[ni:ni + nt],
                         padded[ni + nt:], mask, model.optimizer.hyper_values(), np.int32(step))
        model._set_state(state)
        if step % _MAX_IN_FLIGHT == _MAX_IN_FLIGHT - 1:
            jax.block_until_ready(logs)
        return logs


def _evaluate(model: Any, reader: _Reader, num_steps: int, method: str,
              verbose: int) -> list[float]:
    """Returns `[loss, metric...]` over `num_steps` batches, weighted by batch size."""
    fn = _function(model, "test")
    padder = _Padder()
    weights = model._weights()
    logs, sizes = [], []
    progbar = Progbar(num_steps) if verbose == 1 else None
    for step in range(num_steps):
        where = f"step {step + 1}/{num_steps}"
        x, y, sw = _unpack(reader.next_batch(where), method, where)
        inputs, targets, sws = _standardize(model, method, where, x, y, sw)
        padded, mask, rows = padder(inputs + targets + sws)
        ni, nt = len(inputs), len(targets)
        batch_logs, new = fn(weights, padded[:ni], padded[ni:ni + nt], padded[ni + nt:], mask)
        if new is not None:
            weights = new
        logs.append(batch_logs)
        sizes.append(rows)
        if step % _MAX_IN_FLIGHT == _MAX_IN_FLIGHT - 1:
            jax.block_until_ready(logs[-1])
        if progbar is not None:
            progbar.update(step + 1)
    if model.stateful:
        model._set_state(weights)
    values = jax.device_get(logs)
    weights_per_batch = np.asarray(sizes, np.float64)
    return [np.float64(np.average([float(v[k]) for v in values], weights=weights_per_batch))
            for k in model.metrics_names]


def evaluate_generator(model: Any, generator: Any, steps: int | None = None,
                       max_queue_size: int = 10, workers: int = 1,
                       use_multiprocessing: bool = False, verbose: int = 0) -> Any:
    """Evaluates `model` on batches read from `generator`; see `Model.evaluate_generator`."""
    method = "evaluate_generator"
    _check_source(generator, method, "generator")
    num_steps = _steps(generator, steps, method, "steps")
    reader = _Reader(generator, method, workers=workers, use_multiprocessing=use_multiprocessing,
                     max_queue_size=max_queue_size)
    try:
        values = _evaluate(model, reader, num_steps, method, verbose)
    finally:
        reader.stop()
    return values[0] if len(values) == 1 else values


def predict_generator(model: Any, generator: Any, steps: int | None = None,
                      max_queue_size: int = 10, workers: int = 1,
                      use_multiprocessing: bool = False, verbose: int = 0) -> Any:
    """Predicts on batches read from `generator`; see `Model.predict_generator`."""
    method = "predict_generator"
    _check_source(generator, method, "generator")
    num_steps = _steps(generator, steps, method, "steps")
    reader = _Reader(generator, method, workers=workers, use_multiprocessing=use_multiprocessing,
                     max_queue_size=max_queue_size)
    fn = _function(model, "predict")
    padder = _Padder()
    progbar = Progbar(num_steps) if verbose == 1 else None
    host: list = []
    pending: list = []
    try:
        for step in range(num_steps):
            where = f"step {step + 1}/{num_steps}"
            output = reader.next_batch(where)
            # As Keras 2: a tuple is `(x, y)` or `(x, y, sample_weight)`; anything else is x.
            if isinstance(output, tuple):
                x = _unpack(output, method, where)[0]
            else:
                x = output
            inputs, _, _ = _standardize(model, method, where, x, need_y=False)
            padded, mask, rows = padder(inputs)
            outputs, new = fn(model._weights(), padded, jnp.asarray(mask))
            if new is not None:
                model._set_state(new)
            pending.append((outputs, rows))
            if len(pending) >= _MAX_IN_FLIGHT or step == num_steps - 1:
                fetched = jax.device_get([outs for outs, _ in pending])
                host += [[np.asarray(o)[:rows] for o in outs]
                         for outs, (_, rows) in zip(fetched, pending)]
                pending = []
            if progbar is not None:
                progbar.update(step + 1)
    finally:
        reader.stop()
    outputs = [np.concatenate([batch[i] for batch in host]) for i in range(len(host[0]))]
    return outputs[0] if len(outputs) == 1 else outputs
