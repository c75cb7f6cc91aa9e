"""The compiled step functions: one pure train step, and scans of it over batches.

`train_step(state, batch) -> (state, logs)` is the whole of a training step:
forward pass, loss, gradients, optimizer update and constraints. `fit` runs
it inside `lax.scan` over many batches per host round trip. Batches are
gathered on the device from a permutation; the epoch's short last batch is
padded to full size and masked, so one compiled function serves every step.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from jeras import backend as K
from jeras import distribution as distribution_lib


class TrainState(NamedTuple):
    """What a train step takes and returns: the view of the model's state
    (`engine.model_state.ModelState`) with the values as one list per layer of
    the model, those of layers other models own included."""
    weights: list
    opt_state: Any
    step: Any
    seed: Any


def per_sample(fn: Callable, y_true: jax.Array, y_pred: jax.Array, mask: jax.Array) -> jax.Array:
    """Calls a loss or metric and returns at least one value per sample.

    Functions written like the seed's `mean_pred` reduce over the whole batch
    and return a scalar. On a full batch that scalar is used as it is; on the
    epoch's padded last batch the function is evaluated sample by sample, so
    padded rows take no part (exact for means, the usual case).
    """
    out = jnp.asarray(K._arr(fn(y_true, y_pred)))
    if not jnp.issubdtype(out.dtype, jnp.floating):
        out = out.astype(K.floatx())
    if jnp.ndim(out) > 0:
        return out

    def each_sample() -> jax.Array:
        return jax.vmap(lambda t, p: jnp.mean(K._arr(fn(t[None], p[None]))))(y_true, y_pred)

    return lax.cond(jnp.all(mask), lambda: jnp.broadcast_to(out, mask.shape), each_sample)


def weighted_mean(values: jax.Array, weights: jax.Array, mask: jax.Array) -> jax.Array:
    """Keras 2.2.4's weighted objective: `sum(l * w) / count(w != 0)` over unmasked samples.

    `values` is reduced by a mean over the axes beyond the weights' rank first.
    """
    values = values.astype(K.floatx())
    extra = tuple(range(weights.ndim, values.ndim))
    if extra:
        values = jnp.mean(values, axis=extra)
    m = mask.reshape(mask.shape + (1,) * (weights.ndim - 1)).astype(values.dtype)
    return jnp.sum(values * weights * m) / jnp.sum((weights != 0) * m)


def masked_mean(values: jax.Array, mask: jax.Array) -> jax.Array:
    """The mean over unmasked samples (of the per-sample means)."""
    values = values.astype(K.floatx())
    if values.ndim > 1:
        values = jnp.mean(values, axis=tuple(range(1, values.ndim)))
    m = mask.astype(values.dtype)
    return jnp.sum(values * m) / jnp.sum(m)


def apply_output_mask(values: jax.Array, out_mask: Any, mask: jax.Array) -> jax.Array:
    """Keras 2.2.4's masked objective: `values * m / mean(m)` for a time-step mask `m`.

    The mean runs over the real rows of the batch only.
    """
    if out_mask is None:
        return values
    m = out_mask.astype(K.floatx())
    values = values * m.reshape(m.shape + (1,) * (values.ndim - m.ndim))
    rows = mask.reshape(mask.shape + (1,) * (m.ndim - 1)).astype(m.dtype)
    mean_m = jnp.sum(m * rows) / (jnp.sum(rows) * (m.size // m.shape[0]))
    return values / mean_m


def objective_and_logs(spec: Any, forward: Any, targets: list, sws: list,
                       mask: jax.Array) -> tuple[jax.Array, dict]:
    """Returns the weighted loss over all outputs and the logs (losses and metrics).

    `spec` is the model's compiled description (`engine.training.CompiledSpec`),
    `forward` the model's `Forward` result.
    """
    total = jnp.zeros((), K.floatx())
    logs: dict[str, jax.Array] = {}
    many = len(forward.outputs) > 1
    outputs = [forward.outputs[i] for i in spec.fed]
    masks = [forward.masks[i] for i in spec.fed]
    for i, (y_pred, out_mask, y_true, sw) in enumerate(zip(outputs, masks, targets, sws)):
        def values(fn, y_true=y_true, y_pred=y_pred, out_mask=out_mask):
            return apply_output_mask(per_sample(fn, y_true, y_pred, mask), out_mask, mask)

        loss_i = weighted_mean(values(spec.loss_fns[i]), sw, mask)
        total = total + spec.loss_weights[i] * loss_i
        if many:
            logs[spec.output_names[i] + "_loss"] = loss_i
        for name, fn in spec.metrics[i]:
            logs[name] = masked_mean(values(fn), mask)
        for name, fn in spec.weighted_metrics[i]:
            logs[name] = weighted_mean(values(fn), sw, mask)
    return total, logs


def fixed_phase() -> bool:
    """Whether evaluation and prediction run in training mode: after
    `K.set_learning_phase(1)`, as Keras 2.2.4's graphs did."""
    return K._LEARNING_PHASE == 1


def make_train_step(model: Any) -> Callable:
    """Builds the pure train step of a compiled model."""
    spec = model._compiled_spec
    index = model._trainable_index
    optimizer = model.optimizer
    frozen = [(li, wi) for li, layer in enumerate(model.layers)
              if not (model.trainable and layer.trainable)
              for wi, s in enumerate(layer.weight_specs) if not s.state]

    def train_step(state: TrainState, inputs: list, targets: list, sws: list,
                   mask: jax.Array, hyper: dict, rng: jax.Array) -> tuple[TrainState, dict]:
        def objective(trainable: list) -> tuple[jax.Array, tuple]:
            weights = replace_weights(state.weights, index, trainable)
            forward = model._forward(weights, inputs, training=True, rng=rng, sample_mask=mask)
            loss, logs = objective_and_logs(spec, forward, targets, sws, mask)
            total = loss + model._weight_penalty(weights) + forward.activity
            return total, (forward.weights, {"loss": total, **logs})

        trainable = [state.weights[li][wi] for li, wi in index]
        grads, (new_weights, logs) = jax.grad(objective, has_aux=True)(trainable)
        # As 2.2.4, a frozen layer's updates (moving statistics) are not applied;
        # carried RNN states still move.
        new_weights = replace_weights(new_weights, frozen,
                                      [state.weights[li][wi] for li, wi in frozen])
        updated, opt_state = optimizer.update(grads, state.opt_state, trainable, hyper)
        updated = model._constrain_trainable(updated)
        return TrainState(replace_weights(new_weights, index, updated), opt_state,
                          state.step + 1, state.seed), logs

    return train_step


def make_test_step(model: Any) -> Callable:
    """Builds the pure evaluation step: loss (with penalties) and metrics.

    It returns `(logs, weights)`: the weights after the pass differ from those
    given only in the carried states of stateful layers.
    """
    spec = model._compiled_spec

    def test_step(weights: list, inputs: list, targets: list, sws: list,
                  mask: jax.Array) -> tuple[dict, list]:
        forward = model._forward(weights, inputs, training=fixed_phase(), rng=None,
                                 sample_mask=mask)
        loss, logs = objective_and_logs(spec, forward, targets, sws, mask)
        total = loss + model._weight_penalty(weights) + forward.activity
        return {"loss": total, **logs}, forward.weights

    return test_step


def predict_step(model: Any, weights: list, inputs: list, mask: jax.Array) -> tuple[list, list]:
    """The model's outputs on one batch, and its weights after the pass (see `make_test_step`)."""
    forward = model._forward(weights, inputs, training=fixed_phase(), rng=None,
                             sample_mask=mask)
    return forward.outputs, forward.weights


def scan_batches(step: Callable, weights: list, data: Any, batch_size: int,
                 stateful: bool) -> tuple[Any, list | None]:
    """Runs `step(weights, batch, mask) -> (result, weights)` over the batches of
    `data` (a pytree of arrays with the samples on their first axis) in order, in
    one scan.

    Each batch is a contiguous slice, which XLA copies faster than it gathers
    rows. The short last batch is the slice that ends with the data, the rows
    it shares with the batch before it masked out; `last_rows` finds its real
    rows among the results. Data smaller than one batch is padded to one.
    Only a stateful model threads its weights from batch to batch (they carry
    its layers' states); it gets them back after the last batch, others None.
    """
    n = jax.tree.leaves(data)[0].shape[0]
    if n < batch_size:
        data = jax.tree.map(
            lambda a: jnp.pad(a, [(0, batch_size - n)] + [(0, 0)] * (a.ndim - 1)), data)
    rows = max(n, batch_size)

    def body(carry, step_index):
        start = step_index * batch_size
        begin = jnp.minimum(start, rows - batch_size)
        index = begin + jnp.arange(batch_size)
        batch = jax.tree.map(lambda a: lax.dynamic_slice_in_dim(a, begin, batch_size), data)
        result, new = step(carry if stateful else weights, batch, (index >= start) & (index < n))
        return (new if stateful else None), result

    final, results = lax.scan(body, weights if stateful else None,
                              jnp.arange(-(-n // batch_size)))
    return results, final


def last_rows(n: int, batch_size: int) -> slice:
    """Where the real rows of the last batch of `scan_batches` lie in its results."""
    steps = -(-n // batch_size)
    start = (steps - 1) * batch_size
    offset = start - min(start, max(n, batch_size) - batch_size)
    return slice(offset, offset + n - start)


def replace_weights(weights: list, index: list, values: list) -> list:
    """Returns a copy of the per-layer weight lists with the indexed entries replaced."""
    out = [list(layer) for layer in weights]
    for (li, wi), v in zip(index, values):
        out[li][wi] = v
    return out


def _batch(arrays: list, idx: jax.Array) -> list:
    # The indices are in range by construction, so the gather needs no bounds handling.
    return distribution_lib.shard_all([jnp.take(a, idx, axis=0, mode="clip")
                                       for a in arrays])


def _slices(perm: jax.Array, valid: jax.Array, step: jax.Array, batch_size: int):
    start = step * batch_size
    return (lax.dynamic_slice(perm, (start,), (batch_size,)),
            lax.dynamic_slice(valid, (start,), (batch_size,)))


def make_train_chunk(model: Any, batch_size: int, chunk: int) -> Callable:
    """Returns a jitted function running `chunk` train steps in one `lax.scan`.

    Its arguments are `(state, data, perm, valid, start, hyper, epoch)`:
    `data` is `(inputs, targets, sample_weights)` on the device, `perm` the
    epoch's sample order padded to whole batches, `valid` which of its
    entries are real, `start` the first step's index; the steps' random keys
    come from the state's seed, `epoch` and the step's index. When `chunk` does not divide
    the epoch's steps, steps past the end are skipped, so the epoch's last
    chunk needs no other compilation.
    """
    train_step = make_train_step(model)
    uses_rng = model.uses_rng

    def run(state, data, perm, valid, start, hyper, epoch):
        inputs, targets, sws = data
        steps = perm.shape[0] // batch_size
        epoch_key = (jax.random.fold_in(jax.random.PRNGKey(state.seed), epoch) if uses_rng
                     else None)

        def active(state, step):
            idx, mask = _slices(perm, valid, step, batch_size)
            key = jax.random.fold_in(epoch_key, step) if uses_rng else None
            return train_step(state, _batch(inputs, idx), _batch(targets, idx),
                              _batch(sws, idx), mask, hyper, key)

        def body(state, i):
            step = start + i
            if steps % chunk == 0:
                return active(state, step)
            _, logs_shape = jax.eval_shape(active, state, step)

            def idle(state, step):
                return state, jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), logs_shape)

            return lax.cond(step < steps, active, idle, state, step)

        if chunk == 1:
            # One step needs no loop, and XLA's CPU backend runs some gradients
            # (convolutions, pooling) several times slower inside one.
            state, logs = active(state, start)
            return state, jax.tree.map(lambda v: v[None], logs)
        return lax.scan(body, state, jnp.arange(chunk))

    return distribution_lib.jit(run, model, "train", donate_argnums=(0,))


def make_test_loop(model: Any, batch_size: int) -> Callable:
    """Returns a jitted function computing per-batch logs over a whole data set in one scan.

    It returns `(logs, weights)`, the weights after the last batch for a
    stateful model (None otherwise).
    """
    test_step = make_test_step(model)
    stateful = model.stateful

    def run(weights, data):
        def step(weights, batch, mask):
            inputs, targets, sws = (distribution_lib.shard_all(part) for part in batch)
            return test_step(weights, inputs, targets, sws, mask)

        return scan_batches(step, weights, data, batch_size, stateful)

    return distribution_lib.jit(run, model, "test")


def make_predict_loop(model: Any, batch_size: int) -> Callable:
    """Returns a jitted function predicting a whole data set batch by batch in one scan.

    It returns `(outputs, weights)`, as `make_test_loop` returns its logs.
    """
    stateful = model.stateful

    def run(weights, inputs):
        def step(weights, batch, mask):
            return predict_step(model, weights, distribution_lib.shard_all(batch), mask)

        n = inputs[0].shape[0]
        outputs, final = scan_batches(step, weights, inputs, batch_size, stateful)
        last = last_rows(n, batch_size)
        # The row count is spelled out: -1 cannot be inferred for an empty output
        # (a Cropping1D that crops every step gives shape (n, 0, d)).
        return [jnp.concatenate([o[:-1].reshape(((o.shape[0] - 1) * o.shape[1],)
                                                + o.shape[2:]), o[-1][last]])
                for o in outputs], final

    return distribution_lib.jit(run, model, "predict")
