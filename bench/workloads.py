"""The benchmark's workloads, written once against the Keras API that jeras,
Keras 3 and tf_keras share, plus the same models as a hand-written JAX loop.

Run by `bench/run.py`, one child process per (system, workload, repeat), so
that each figure (compile time, peak memory) belongs to that system alone.
"""
from __future__ import annotations

import csv
import json
import os
import resource
import sys
import tempfile
import time
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Workload:
    name: str
    model: str            # 'softmax', 'mlp', 'cnn', 'lstm'
    batch_size: int
    callbacks: bool = False
    samples: int = 60000
    epochs: int = 3
    hidden: int = 512
    #: Repeats when a run takes minutes on a small CPU machine (None: the run's --repeats).
    repeats: int | None = None


WORKLOADS = {w.name: w for w in [
    Workload("softmax_b32", "softmax", 32),
    Workload("softmax_b128", "softmax", 128),
    Workload("mlp_b128", "mlp", 128),
    Workload("mlp_b128_callbacks", "mlp", 128, callbacks=True),
    # XLA's CPU max-pool gradient takes seconds per batch of 128 on two cores,
    # so the convolutional and recurrent workloads use fewer samples here.
    Workload("cnn_b128", "cnn", 128, samples=2560, epochs=2, repeats=1),
    Workload("lstm_b128", "lstm", 128, samples=7680, epochs=2, repeats=1),
]}

# Larger models for an accelerator, so the device rather than the host is the limit.
GPU_WORKLOADS = {w.name: w for w in [
    Workload("softmax_b32", "softmax", 32),
    Workload("mlp2048_b512", "mlp", 512, hidden=2048),
    Workload("mlp2048_b512_callbacks", "mlp", 512, callbacks=True, hidden=2048),
    Workload("cnn_b512", "cnn", 512),
    Workload("lstm_b512", "lstm", 512),
]}

INPUT_SHAPES = {"softmax": (784,), "mlp": (784,), "cnn": (28, 28, 1), "lstm": (28, 28)}


def make_data(workload: Workload, seed: int = 0) -> tuple:
    """Synthetic data of MNIST's shape: uniform pixels, one-hot labels of 10 classes."""
    rng = np.random.RandomState(seed)
    shape = INPUT_SHAPES[workload.model]
    x = rng.rand(workload.samples, *shape).astype("float32")
    y = np.eye(10, dtype="float32")[rng.randint(0, 10, workload.samples)]
    x_test = rng.rand(10000, *shape).astype("float32")
    return x, y, x_test


def build_keras(api, workload: Workload):
    """The workload's model in the Keras API of `api` (jeras, keras or tf_keras)."""
    L = api.layers
    shape = INPUT_SHAPES[workload.model]
    if workload.model == "softmax":
        layers = [L.Dense(10, input_shape=shape, kernel_initializer="uniform"),
                  L.Activation("softmax")]
    elif workload.model == "mlp":
        h = workload.hidden
        layers = [L.Dense(h, activation="relu", input_shape=shape), L.Dropout(0.2),
                  L.Dense(h, activation="relu"), L.Dropout(0.2),
                  L.Dense(10, activation="softmax")]
    elif workload.model == "cnn":
        layers = [L.Conv2D(32, (3, 3), activation="relu", input_shape=shape),
                  L.MaxPooling2D((2, 2)), L.Conv2D(64, (3, 3), activation="relu"),
                  L.MaxPooling2D((2, 2)), L.Flatten(), L.Dense(10, activation="softmax")]
    else:
        layers = [L.LSTM(64, recurrent_activation="sigmoid", input_shape=shape),
                  L.Dense(10, activation="softmax")]
    model = api.models.Sequential(layers)
    model.compile(loss="categorical_crossentropy",
                  optimizer=api.optimizers.RMSprop(learning_rate=0.001), metrics=["accuracy"])
    return model


def run_keras(system: str, workload: Workload) -> dict:
    """Trains and predicts with a Keras-API system; returns its timings."""
    if system == "keras3":
        os.environ["KERAS_BACKEND"] = "jax"
        import keras as api
    elif system == "tf_keras":
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import tf_keras as api
    else:
        import jeras as api
    x, y, x_test = make_data(workload)
    np.random.seed(0)
    model = build_keras(api, workload)
    ends: list[float] = []
    callbacks = [api.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: ends.append(time.perf_counter()))]
    with tempfile.TemporaryDirectory() as tmp:
        if workload.callbacks:
            ckpt = "ckpt.weights.h5" if system == "keras3" else "ckpt.h5"
            seen = []
            callbacks += [
                api.callbacks.ModelCheckpoint(os.path.join(tmp, ckpt), save_weights_only=True),
                api.callbacks.CSVLogger(os.path.join(tmp, "log.csv")),
                api.callbacks.LambdaCallback(on_batch_end=lambda batch, logs: seen.append(batch)),
            ]
        start = time.perf_counter()
        model.fit(x, y, batch_size=workload.batch_size, epochs=workload.epochs, verbose=0,
                  callbacks=callbacks)
        model.predict(x_test, batch_size=1000, verbose=0)
        t = time.perf_counter()
        model.predict(x_test, batch_size=1000, verbose=0)
        predict_s = time.perf_counter() - t
    return _figures(workload, start, ends, predict_s)


def _figures(workload: Workload, start: float, ends: list, predict_s: float) -> dict:
    steps = -(-workload.samples // workload.batch_size)
    steady = float(np.median(np.diff(ends))) if len(ends) > 1 else float("nan")
    return {
        "first_epoch_s": ends[0] - start,
        "epoch_s": steady,
        "us_per_step": steady / steps * 1e6,
        "predict_samples_per_s": 10000 / predict_s,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_jax(workload: Workload) -> dict:
    """The same training written by hand: `jax.jit` of one epoch as a `lax.scan`."""
    import jax
    import jax.numpy as jnp
    from jax import lax

    x_np, y_np, x_test_np = make_data(workload)
    x, y, x_test = jnp.asarray(x_np), jnp.asarray(y_np), jnp.asarray(x_test_np)
    params = _init_params(workload, np.random.RandomState(0))
    forward = _forward_fn(workload)
    n, bs = workload.samples, workload.batch_size
    steps = -(-n // bs)
    lr, rho, eps = 0.001, 0.9, 1e-7

    def loss_fn(p, xb, yb, mask, key):
        probs = forward(p, xb, key)
        probs = jnp.clip(probs / probs.sum(-1, keepdims=True), eps, 1 - eps)
        per = -jnp.sum(yb * jnp.log(probs), -1)
        m = mask.astype(jnp.float32)
        acc = jnp.sum((jnp.argmax(probs, -1) == jnp.argmax(yb, -1)) * m) / jnp.sum(m)
        return jnp.sum(per * m) / jnp.sum(m), acc

    def step(carry, xb, yb, mask, key):
        p, acc_state = carry
        (loss, acc), g = jax.value_and_grad(loss_fn, has_aux=True)(p, xb, yb, mask, key)
        acc_state = jax.tree.map(lambda a, gi: rho * a + (1 - rho) * gi * gi, acc_state, g)
        p = jax.tree.map(lambda pi, gi, a: pi - lr * gi / (jnp.sqrt(a) + eps), p, g, acc_state)
        return (p, acc_state), (loss, acc)

    @jax.jit
    def epoch(carry, x, y, key):
        perm = jnp.zeros(steps * bs, jnp.int32).at[:n].set(jax.random.permutation(key, n))
        valid = jnp.arange(steps * bs) < n

        def body(carry, i):
            idx = lax.dynamic_slice(perm, (i * bs,), (bs,))
            mask = lax.dynamic_slice(valid, (i * bs,), (bs,))
            return step(carry, x[idx], y[idx], mask, jax.random.fold_in(key, i))

        return lax.scan(body, carry, jnp.arange(steps))

    @jax.jit
    def one_step(carry, xb, yb, key):
        return step(carry, xb, yb, jnp.ones(xb.shape[0], bool), key)

    @jax.jit
    def predict(p, x):
        return lax.map(lambda xb: forward(p, xb, None), x.reshape((10, 1000) + x.shape[1:]))

    carry = (params, jax.tree.map(jnp.zeros_like, params))
    ends = []
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        for e in range(workload.epochs):
            key = jax.random.PRNGKey(e)
            if workload.callbacks:
                # A per-batch host hook: one dispatch per batch, then the epoch's files.
                seen, losses = [], []
                order = np.random.permutation(n)
                for i in range(steps):
                    idx = order[i * bs:(i + 1) * bs]
                    carry, (loss, _) = one_step(carry, x[idx], y[idx], jax.random.fold_in(key, i))
                    losses.append(float(loss))
                    seen.append(i)
                np.savez(os.path.join(tmp, "ckpt.npz"), *jax.tree.leaves(carry[0]))
                with open(os.path.join(tmp, "log.csv"), "a", newline="") as f:
                    csv.writer(f).writerow([e, float(np.mean(losses))])
            else:
                carry, logs = epoch(carry, x, y, key)
                jax.block_until_ready(logs)
            ends.append(time.perf_counter())
        jax.block_until_ready(predict(carry[0], x_test))
        t = time.perf_counter()
        jax.block_until_ready(predict(carry[0], x_test))
        predict_s = time.perf_counter() - t
    return _figures(workload, start, ends, predict_s)


def _init_params(workload: Workload, rng: np.random.RandomState) -> dict:
    def glorot(fan_in, fan_out, shape):
        limit = np.sqrt(6 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, shape).astype("float32")

    z = np.zeros
    if workload.model == "softmax":
        return {"w": rng.uniform(-0.05, 0.05, (784, 10)).astype("float32"),
                "b": z(10, "float32")}
    if workload.model == "mlp":
        h = workload.hidden
        return {"w1": glorot(784, h, (784, h)), "b1": z(h, "float32"),
                "w2": glorot(h, h, (h, h)), "b2": z(h, "float32"),
                "w3": glorot(h, 10, (h, 10)), "b3": z(10, "float32")}
    if workload.model == "cnn":
        return {"k1": glorot(9, 9 * 32, (3, 3, 1, 32)), "c1": z(32, "float32"),
                "k2": glorot(9 * 32, 9 * 64, (3, 3, 32, 64)), "c2": z(64, "float32"),
                "w": glorot(1600, 10, (1600, 10)), "b": z(10, "float32")}
    return {"k": glorot(28, 256, (28, 256)), "r": glorot(64, 256, (64, 256)),
            "bias": z(256, "float32"), "w": glorot(64, 10, (64, 10)), "b": z(10, "float32")}


def _forward_fn(workload: Workload):
    import jax
    import jax.numpy as jnp
    from jax import lax

    def softmax(p, x, key):
        return jax.nn.softmax(x @ p["w"] + p["b"])

    def mlp(p, x, key):
        def drop(h, k):
            if key is None:
                return h
            keep = jax.random.bernoulli(k, 0.8, h.shape)
            return jnp.where(keep, h / 0.8, 0.0)
        k1, k2 = (None, None) if key is None else jax.random.split(key)
        h = drop(jax.nn.relu(x @ p["w1"] + p["b1"]), k1)
        h = drop(jax.nn.relu(h @ p["w2"] + p["b2"]), k2)
        return jax.nn.softmax(h @ p["w3"] + p["b3"])

    def cnn(p, x, key):
        dn = ("NHWC", "HWIO", "NHWC")
        h = jax.nn.relu(lax.conv_general_dilated(x, p["k1"], (1, 1), "VALID",
                                                 dimension_numbers=dn) + p["c1"])
        h = lax.reduce_window(h, -jnp.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")
        h = jax.nn.relu(lax.conv_general_dilated(h, p["k2"], (1, 1), "VALID",
                                                 dimension_numbers=dn) + p["c2"])
        h = lax.reduce_window(h, -jnp.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")
        return jax.nn.softmax(h.reshape(h.shape[0], -1) @ p["w"] + p["b"])

    def lstm(p, x, key):
        def cell(carry, xt):
            h, c = carry
            z = xt @ p["k"] + h @ p["r"] + p["bias"]
            i, f, g, o = jnp.split(z, 4, axis=-1)
            i, f, o = jax.nn.sigmoid(i), jax.nn.sigmoid(f), jax.nn.sigmoid(o)
            c = f * c + i * jnp.tanh(g)
            h = o * jnp.tanh(c)
            return (h, c), None
        zeros = jnp.zeros((x.shape[0], 64), x.dtype)
        (h, _), _ = lax.scan(cell, (zeros, zeros), jnp.swapaxes(x, 0, 1))
        return jax.nn.softmax(h @ p["w"] + p["b"])

    return {"softmax": softmax, "mlp": mlp, "cnn": cnn, "lstm": lstm}[workload.model]


def main() -> None:
    """Child entry point: `python bench/workloads.py SYSTEM WORKLOAD [gpu]`; prints JSON."""
    system, name = sys.argv[1], sys.argv[2]
    table = GPU_WORKLOADS if len(sys.argv) > 3 and sys.argv[3] == "gpu" else WORKLOADS
    workload = table[name]
    result = run_jax(workload) if system == "jax" else run_keras(system, workload)
    print("BENCH_RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
