"""jeras.distribution: several devices and processes give one device's results.

The checks run in subprocesses: `--xla_force_host_platform_device_count`
must be set before JAX starts, and this process already has one device.
Each subprocess runs a batch of checks and writes what it found to JSON
(and arrays to npz) for the tests here to assert on.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

import jeras
from jeras import distribution
from jeras.models import load_model

# Shared by the workers and this process, so every run builds the same model
# from the same numbers.
COMMON = r'''
import numpy as np
from jeras.layers import BatchNormalization, Dense, Dropout
from jeras.models import Sequential
from jeras.utils import set_random_seed

rng = np.random.RandomState(0)
x = rng.randn(103, 6).astype("float32")
y = np.eye(4, dtype="float32")[rng.randint(0, 4, 103)]


def build():
    set_random_seed(1)
    model = Sequential([Dense(8, activation="relu", input_shape=(6,)), BatchNormalization(),
                        Dropout(0.2), Dense(4, activation="softmax")])
    model.compile("adam", "categorical_crossentropy", metrics=["acc"])
    return model
'''

DEVICES_WORKER = COMMON + r'''
import contextlib, json, os, sys
import jax
from jeras import distribution
from jeras.callbacks import ModelCheckpoint
from jeras.utils import multi_gpu_model

out = sys.argv[1]
ndev = jax.device_count()
# Batches of 10 and 8 split unevenly over 4 and 3 devices; the 72 training
# rows of 96 lie split over the devices, the 77 of 103 whole on each.
batch_size, n = (10, 96) if ndev == 4 else (8, 103)
found = {"devices": ndev}


def run(model, dist, callbacks=()):
    with (dist.scope() if dist is not None else contextlib.nullcontext()):
        history = model.fit(x[:n], y[:n], batch_size=batch_size, epochs=3, verbose=0,
                            validation_split=0.25, callbacks=list(callbacks))
        pred = model.predict(x, batch_size=batch_size)
    # The validation logs (`val_*` in the history) are evaluate's global values.
    return {"weights": model.get_weights(), "history": [history.history[k] for k in
            sorted(history.history)], "predict": [pred]}


def diffs(got):
    return {k: max(float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))
                   for a, b in zip(ref[k], got[k])) for k in ref}


ref = run(build(), None)
model = build()
found["dp"] = diffs(run(model, distribution.DataParallel()))
found["dp_kernel_sharding"] = str(model.layers[0]._values[0].sharding)
with distribution.DataParallel().scope():
    found["data_sharding"] = [list(distribution.place_data(np.zeros((r, 2))).sharding.spec)
                              for r in (ndev * 6, ndev * 6 + 1)]

if ndev == 4:
    mesh = distribution.DeviceMesh((2, 2), ("batch", "model"))
    layout = distribution.LayoutMap({"dense.*kernel": (None, "model")})
    mp = distribution.ModelParallel(mesh, layout)
    untrained = build()
    with mp.scope():
        pred = untrained.predict(x)
    found["mp_predict_untrained"] = float(np.max(np.abs(build().predict(x) - pred)))
    model = build()
    # Checkpoints written while training on 4 devices, for the parent to load on 1.
    check = ModelCheckpoint(os.path.join(out, "best.h5"), save_best_only=True)
    found["mp"] = diffs(run(model, mp, [check]))
    found["mp_kernel_sharding"] = [list(layer._values[0].sharding.spec)
                                   for layer in (model.layers[0], model.layers[3])]
    with mp.scope():
        model.save(os.path.join(out, "model.h5"))
        np.save(os.path.join(out, "model_predict.npy"), model.predict(x))

else:
    # multi_gpu_model over all devices against its graph built by hand on one:
    # dropout draws its keys per model nesting, so the template alone would differ.
    from jeras.layers import Activation, Input
    from jeras.models import Model

    template = build()
    inputs = Input(batch_shape=(None, 6), name="dense_1_input")
    by_hand = Model(inputs, Activation("linear", name=template.output_names[0])(
        template(inputs)))
    by_hand.compile("adam", "categorical_crossentropy", metrics=["acc"])
    ref = run(by_hand, None)
    template = build()
    parallel = multi_gpu_model(template, gpus=ndev)
    parallel.compile("adam", "categorical_crossentropy", metrics=["acc"])
    found["mgpu"] = diffs(run(parallel, None))
    found["mgpu_template"] = max(float(np.max(np.abs(a - b))) for a, b in
                                 zip(ref["weights"], template.get_weights()))
    found["mgpu_sharding"] = str(template.layers[0]._values[0].sharding)
    found["mgpu_names"] = [parallel.input_names, template.input_names, parallel.output_names,
                           template.output_names]
    found["mgpu_global_after"] = distribution.distribution() is None
    parallel = multi_gpu_model(template, gpus=list(range(ndev - 1, -1, -1)))
    found["mgpu_list_devices"] = [d.id for d in parallel.distribution.device_mesh.devices.flat]
    errors = []
    for gpus in (ndev + 1, 1, [0, 0], [0, 99], 2.0):
        try:
            multi_gpu_model(template, gpus=gpus)
            errors.append(None)
        except (ValueError, TypeError) as e:
            errors.append(f"{type(e).__name__}: {e}")
    found["mgpu_errors"] = errors

with open(os.path.join(out, "found.json"), "w") as f:
    json.dump(found, f)
'''

PROCESS_WORKER = COMMON + r'''
import os, sys
from jeras import distribution

pid, port, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
distribution.initialize(f"127.0.0.1:{port}", num_processes=2, process_id=pid)
import jax

model = build()
distribution.set_distribution(distribution.DataParallel())
rows = slice(50 * pid, 50 * (pid + 1))
history = model.fit(x[:100][rows], y[:100][rows], batch_size=10, epochs=3, verbose=0,
                    validation_split=0.2)
ev = model.evaluate(x[:100][rows], y[:100][rows], batch_size=7, verbose=0)
model.save(os.path.join(out, f"model_{pid}.h5"))
np.savez(os.path.join(out, f"result_{pid}.npz"), *model.get_weights(),
         loss=history.history["loss"], val_loss=history.history["val_loss"], ev=ev,
         devices=[jax.device_count(), jax.local_device_count()])
'''


def _env(devices: int) -> dict:
    env = dict(os.environ, JAX_PLATFORMS="cpu",
               XLA_FLAGS=f"--xla_force_host_platform_device_count={devices}")
    env["PYTHONPATH"] = os.pathsep.join(
        [os.path.dirname(os.path.dirname(jeras.__file__)), env.get("PYTHONPATH", "")])
    return env


def _start(code: str, args: list, devices: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code] + [str(a) for a in args],
                            env=_env(devices), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _finish(proc: subprocess.Popen) -> None:
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-4000:]


@pytest.fixture(scope="module")
def jobs(tmp_path_factory):
    """Starts every subprocess at once (most of their time is single-threaded compiling)."""
    outs = {d: tmp_path_factory.mktemp(f"devices{d}") for d in (4, 3, "processes")}
    port = _free_port()
    procs = [_start(DEVICES_WORKER, [outs[d]], d) for d in (4, 3)]
    procs += [_start(PROCESS_WORKER, [pid, port, outs["processes"]], 2) for pid in (0, 1)]
    # Meanwhile, the two processes' reference: one process, one device, all 100 samples.
    scope: dict = {}
    exec(COMMON, scope)
    ref = scope["build"]()
    history = ref.fit(scope["x"][:100], scope["y"][:100], batch_size=10, epochs=3, verbose=0,
                      validation_split=0.2)
    ref_ev = ref.evaluate(scope["x"][:100], scope["y"][:100], batch_size=7, verbose=0)
    for proc in procs:
        _finish(proc)
    found = {d: (json.loads((outs[d] / "found.json").read_text()), outs[d]) for d in (4, 3)}
    return found, (outs["processes"], ref.get_weights(), history.history, ref_ev)


@pytest.fixture(scope="module")
def workers(jobs):
    return jobs[0]


@pytest.fixture(scope="module")
def four(workers):
    return workers[4]


@pytest.fixture(scope="module")
def three(workers):
    return workers[3]


@pytest.mark.parametrize("fixture", ["four", "three"])
def test_data_parallel_matches_one_device(request, fixture):
    found, _ = request.getfixturevalue(fixture)
    for what, value in found["dp"].items():
        # Adam divides each step by the gradient's own scale, so the weights
        # carry the gradients' summation-order rounding (which differs by CPU)
        # further than the losses and predictions do.
        assert value < (1e-4 if what == "weights" else 1e-5), (fixture, what, value)
    assert f"'batch': {found['devices']}" in found["dp_kernel_sharding"]
    assert "spec=P()" in found["dp_kernel_sharding"]


@pytest.mark.parametrize("fixture", ["four", "three"])
def test_data_split_by_rows_where_the_devices_divide_them(request, fixture):
    found, _ = request.getfixturevalue(fixture)
    assert found["data_sharding"] == [["batch"], []]


def test_model_parallel_sharded_kernel_matches_one_device(four):
    found, _ = four
    assert found["mp_kernel_sharding"] == [[None, "model"]] * 2
    assert found["mp_predict_untrained"] < 1e-6
    for what, value in found["mp"].items():
        assert value < 1e-5, (what, value)


def test_checkpoint_written_on_four_devices_loads_on_one(four):
    _, out = four
    expected = np.load(out / "model_predict.npy")
    rng = np.random.RandomState(0)
    x = rng.randn(103, 6).astype("float32")
    model = load_model(str(out / "model.h5"))
    np.testing.assert_allclose(model.predict(x), expected, atol=1e-6)
    assert load_model(str(out / "best.h5")).predict(x).shape == (103, 4)
    assert model.optimizer.get_weights()[0] == 3 * 8  # iterations: 3 epochs of 8 batches


def test_multi_gpu_model_matches_one_device(three):
    found, _ = three
    ndev = found["devices"]
    for what, value in found["mgpu"].items():
        assert value < 1e-5, (what, value)
    assert found["mgpu_template"] < 1e-5  # the template shares the trained weights
    assert f"'batch': {ndev}" in found["mgpu_sharding"]
    assert "spec=P()" in found["mgpu_sharding"]
    inputs, template_inputs, outputs, template_outputs = found["mgpu_names"]
    assert inputs == template_inputs and outputs == template_outputs
    assert found["mgpu_global_after"]
    assert found["mgpu_list_devices"] == list(range(ndev - 1, -1, -1))
    too_many, one, repeated, unknown, float_gpus = found["mgpu_errors"]
    assert too_many.startswith("ValueError") and f"only {ndev}" in too_many
    assert one.startswith("ValueError") and "gpus >= 2" in one
    assert repeated.startswith("ValueError") and unknown.startswith("ValueError")
    assert float_gpus.startswith("TypeError")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_train_as_one(jobs):
    tmp_path, ref_weights, ref_history, ref_ev = jobs[1]
    for pid in (0, 1):
        found = np.load(tmp_path / f"result_{pid}.npz")
        assert found["devices"].tolist() == [4, 2]
        weights = [found[f"arr_{i}"] for i in range(len(ref_weights))]
        for got, want in zip(weights, ref_weights):
            np.testing.assert_allclose(got, want, atol=1e-5)
        np.testing.assert_allclose(found["loss"], ref_history["loss"], atol=1e-5)
        np.testing.assert_allclose(found["val_loss"], ref_history["val_loss"], atol=1e-5)
        np.testing.assert_allclose(found["ev"], ref_ev, atol=1e-5)
    # Written once, by process 0.
    assert (tmp_path / "model_0.h5").exists() and not (tmp_path / "model_1.h5").exists()


def test_set_distribution_and_scope():
    assert distribution.distribution() is None
    dp = distribution.DataParallel()
    with dp.scope():
        assert distribution.distribution() is dp
        inner = distribution.DataParallel([0])
        with inner.scope():
            assert distribution.distribution() is inner
        assert distribution.distribution() is dp
    assert distribution.distribution() is None
    distribution.set_distribution(dp)
    try:
        assert distribution.distribution() is dp
    finally:
        distribution.set_distribution(None)
    with pytest.raises(TypeError, match="Distribution or None"):
        distribution.set_distribution("data_parallel")


def test_layout_map_lookup_and_errors():
    mesh = distribution.DeviceMesh((1,), ("batch",))
    layout = distribution.LayoutMap({"dense.*kernel": (None, "batch"), "bias": None}, mesh)
    assert layout["dense_3/kernel"] == (None, "batch")
    assert layout["model_1/dense_3/kernel"] == (None, "batch")
    assert layout["conv2d_1/kernel"] is None
    assert "bias" in layout and len(layout) == 2
    layout["dense_3/kernel"] = ("batch", None)
    assert layout["dense_3/kernel"] == ("batch", None)  # an exact key wins over patterns
    layout["kernel"] = (None, None)
    with pytest.raises(ValueError, match="several patterns"):
        layout["dense_9/kernel"]
    with pytest.raises(TypeError, match="tuple of mesh axis names"):
        layout["x"] = "batch"
    assert distribution.LayoutMap(mesh).device_mesh is mesh  # Keras 3's LayoutMap(device_mesh)
    mp = distribution.ModelParallel(layout_map=distribution.LayoutMap(
        {"k": (None, "model"), "w": ("batch",)}, mesh))
    assert mp.batch_dim_name == "batch"
    with pytest.raises(ValueError, match="not an axis of the mesh"):
        mp.weight_sharding("k", (4, 4))
    with pytest.raises(ValueError, match="needs 1 dimensions"):
        mp.weight_sharding("w", (4, 4))


def test_mesh_errors():
    with pytest.raises(ValueError, match="same length"):
        distribution.DeviceMesh((1,), ("batch", "model"))
    with pytest.raises(ValueError, match="holds 2 devices, but 1"):
        distribution.DeviceMesh((2,), ("batch",))
    with pytest.raises(ValueError, match="no device with id 7"):
        distribution.DataParallel([7])
    with pytest.raises(ValueError, match="not an axis of the mesh"):
        distribution.ModelParallel(distribution.DeviceMesh((1,), ("data",)),
                                   batch_dim_name="batch")
    with pytest.raises(ValueError, match="give a `device_mesh`"):
        distribution.ModelParallel()
