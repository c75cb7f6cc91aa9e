"""Callbacks: the base plumbing, the loggers, and every callback of the seed tutorial.

Each rule is checked twice: by feeding a callback a fixed sequence of epoch
logs and comparing with a hand-computed Keras 2.2.4 expectation, and through
a real `fit`.
"""
import http.server
import json
import os
import socket
import threading
import types

import numpy as np
import pytest

from jeras import backend as K
from jeras import callbacks
from jeras.layers import Dense
from jeras.models import Sequential


def small_model():
    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse", metrics=["mae"])
    return model


def test_base_logger_weights_batches_by_size():
    logger = callbacks.BaseLogger()
    logger.set_params({"metrics": ["loss", "mae"]})
    logger.on_epoch_begin(0)
    logger.on_batch_end(0, {"batch": 0, "size": 3, "loss": 1.0, "mae": 2.0})
    logger.on_batches_end(1, np.array([1, 4]), {"loss": np.array([2.0, 0.5]),
                                                "mae": np.array([1.0, 1.0])})
    logs = {}
    logger.on_epoch_end(0, logs)
    assert logs["loss"] == pytest.approx((3 * 1.0 + 2.0 + 4 * 0.5) / 8)
    assert logs["mae"] == pytest.approx((6.0 + 1.0 + 4.0) / 8)
    stateful = callbacks.BaseLogger(stateful_metrics=["mae"])
    stateful.set_params({"metrics": ["mae"]})
    stateful.on_epoch_begin(0)
    stateful.on_batch_end(0, {"size": 3, "mae": 2.0})
    stateful.on_batch_end(1, {"size": 3, "mae": 5.0})
    logs = {}
    stateful.on_epoch_end(0, logs)
    assert logs["mae"] == 5.0


def test_history_records_epochs():
    x, y = np.random.rand(10, 2), np.random.rand(10, 1)
    model = small_model()
    history = model.fit(x, y, epochs=3, verbose=0, validation_data=(x, y))
    assert isinstance(history, callbacks.History) and model.history is history
    assert history.epoch == [0, 1, 2]
    assert all(len(v) == 3 for v in history.history.values())
    assert sorted(history.history) == ["loss", "mean_absolute_error", "val_loss",
                                       "val_mean_absolute_error"]
    history = model.fit(x, y, epochs=5, initial_epoch=3, verbose=0)
    assert history.epoch == [3, 4]


class Recorder(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def on_train_begin(self, logs=None):
        self.calls.append(("train_begin", dict(self.params)))

    def on_epoch_begin(self, epoch, logs=None):
        self.calls.append(("epoch_begin", epoch))

    def on_batch_begin(self, batch, logs=None):
        self.calls.append(("batch_begin", batch, dict(logs)))

    def on_batch_end(self, batch, logs=None):
        self.calls.append(("batch_end", batch, sorted(logs)))

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(("epoch_end", epoch, sorted(logs)))

    def on_train_end(self, logs=None):
        self.calls.append(("train_end",))


def test_hook_order_params_and_logs():
    x, y = np.random.rand(5, 2), np.random.rand(5, 1)
    model = small_model()
    rec = Recorder()
    model.fit(x, y, batch_size=2, epochs=1, verbose=0, callbacks=[rec], validation_split=0.2)
    kinds = [c[0] for c in rec.calls]
    assert kinds == ["train_begin", "epoch_begin", "batch_begin", "batch_end", "batch_begin",
                     "batch_end", "epoch_end", "train_end"]
    params = rec.calls[0][1]
    assert params == {"batch_size": 2, "epochs": 1, "steps": None, "samples": 4, "verbose": 0,
                      "do_validation": True,
                      "metrics": ["loss", "mean_absolute_error", "val_loss",
                                  "val_mean_absolute_error"]}
    assert rec.calls[2][2] == {"batch": 0, "size": 2}
    assert rec.calls[3][2] == ["batch", "loss", "mean_absolute_error", "size"]
    assert rec.calls[6][2] == ["loss", "mean_absolute_error", "val_loss",
                               "val_mean_absolute_error"]


def test_only_batch_hook_overrides_force_per_batch_calls():
    assert not callbacks.History().needs_batch_hooks()
    assert not callbacks.BaseLogger().needs_batch_hooks()
    assert not callbacks.ProgbarLogger().needs_batch_hooks()
    assert not Recorder.__mro__[1]().needs_batch_hooks()
    assert Recorder().needs_batch_hooks()
    assert callbacks.TerminateOnNaN().needs_batch_hooks()


def test_terminate_on_nan_stops_after_the_bad_batch(capsys):
    x, y = np.random.rand(8, 2), np.random.rand(8, 1)
    x[5] = np.nan
    model = small_model()
    history = model.fit(x, y, batch_size=2, epochs=3, shuffle=False, verbose=0,
                        callbacks=[callbacks.TerminateOnNaN()])
    assert "Batch 2: Invalid loss, terminating training" in capsys.readouterr().out
    assert history.epoch == [0]


def test_bad_callback_arguments():
    with pytest.raises(ValueError, match="count_mode"):
        callbacks.ProgbarLogger(count_mode="epochs")
    with pytest.raises(TypeError, match="Callback"):
        callbacks.CallbackList([object()])
    model = small_model()
    with pytest.raises(TypeError, match="Callback"):
        model.fit(np.zeros((2, 2)), np.zeros((2, 1)), verbose=0, callbacks=[lambda: None])


def test_stop_training_from_epoch_end():
    class StopAtOne(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True

    model = small_model()
    history = model.fit(np.zeros((4, 2)), np.zeros((4, 1)), epochs=10, verbose=0,
                        callbacks=[StopAtOne()])
    assert history.epoch == [0, 1]


# ----- The callbacks of issue #4: shared data, a stand-in model for fed logs. -----

def regression_data(n=32, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.rand(n, 2).astype("float32")
    return x, (x @ np.array([[1.0], [-1.0]]) + 0.5).astype("float32")


X, Y = regression_data()
XV, YV = regression_data(8, seed=1)


class FakeModel:
    """Enough of a model for callbacks fed scripted logs: weights, lr, save calls."""

    def __init__(self, lr=0.1):
        self.stop_training = False
        self.optimizer = types.SimpleNamespace(lr=K.Variable(lr))
        self.weights = [np.zeros(1)]
        self.saved = []

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = weights

    def save(self, filepath, overwrite=True):
        self.saved.append(("model", filepath))

    def save_weights(self, filepath, overwrite=True):
        self.saved.append(("weights", filepath))


def feed(callback, series, key="val_loss", model=None):
    """Runs `callback` through one epoch per value of `series`; returns (model, epochs run)."""
    model = model or FakeModel()
    callback.set_model(model)
    callback.set_params({"epochs": len(series), "metrics": ["loss", key], "verbose": 0})
    callback.on_train_begin({})
    run, all_logs = [], []
    for epoch, value in enumerate(series):
        model.weights = [np.full(1, float(epoch))]
        callback.on_epoch_begin(epoch, {})
        logs = {} if value is None else {key: value}
        callback.on_epoch_end(epoch, logs)
        run.append(epoch)
        all_logs.append(logs)
        if model.stop_training:
            break
    callback.on_train_end({})
    model.logs = all_logs
    return model, run


# ModelCheckpoint

def test_checkpoint_save_best_only_rule_names_and_messages(capsys):
    ckpt = callbacks.ModelCheckpoint("w.{epoch:02d}-{val_loss:.2f}.h5", save_best_only=True,
                                     verbose=1)
    model, _ = feed(ckpt, [0.51234, 0.6, 0.49876, 0.49876])
    assert model.saved == [("model", "w.01-0.51.h5"), ("model", "w.03-0.50.h5")]
    out = capsys.readouterr().out
    assert "Epoch 00001: val_loss improved from inf to 0.51234, saving model to w.01-0.51.h5" in out
    assert "Epoch 00002: val_loss did not improve from 0.51234" in out
    assert ("Epoch 00003: val_loss improved from 0.51234 to 0.49876, saving model to "
            "w.03-0.50.h5") in out
    assert "Epoch 00004: val_loss did not improve from 0.49876" in out


def test_checkpoint_modes_period_and_weights_only():
    # 'auto' maximises names containing acc or starting with fmeasure.
    for key in ("val_acc", "fmeasure_x"):
        model, _ = feed(callbacks.ModelCheckpoint("m.h5", monitor=key, save_best_only=True,
                                                  save_weights_only=True), [0.5, 0.4, 0.7], key)
        assert model.saved == [("weights", "m.h5")] * 2
    model, _ = feed(callbacks.ModelCheckpoint("m.h5", monitor="val_loss", mode="max",
                                              save_best_only=True), [0.5, 0.4, 0.7])
    assert len(model.saved) == 2
    model, _ = feed(callbacks.ModelCheckpoint("e{epoch}.h5", period=2), [1, 1, 1, 1, 1])
    assert model.saved == [("model", "e2.h5"), ("model", "e4.h5")]
    with pytest.warns(RuntimeWarning, match="mode sideways is unknown"):
        ckpt = callbacks.ModelCheckpoint("m.h5", mode="sideways")
    assert ckpt.monitor_op is np.less


def test_checkpoint_missing_monitor_warns_and_bad_arguments():
    with pytest.warns(RuntimeWarning, match="Can save best model only with val_loss"):
        model, run = feed(callbacks.ModelCheckpoint("m.h5", save_best_only=True), [None, None])
    assert model.saved == [] and run == [0, 1]
    with pytest.raises(ValueError, match="val_acc"):
        feed(callbacks.ModelCheckpoint("w-{val_acc:.2f}.h5"), [0.5])
    with pytest.raises(ValueError, match="period"):
        callbacks.ModelCheckpoint("m.h5", period=0)
    with pytest.raises(TypeError, match="filepath"):
        callbacks.ModelCheckpoint(None)


def small_compiled(optimizer="sgd"):
    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile(optimizer, "mse", metrics=["mae"])
    return model


def weights_log():
    """A LambdaCallback recording the weights and logs at every epoch end."""
    record = []
    cb = callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: record.append((epoch, dict(logs),
                                                        cb.model.get_weights())))
    return cb, record


def test_checkpoint_seed_example_keeps_the_best_epoch(tmp_path, capsys):
    from jeras.models import load_model

    model = small_compiled()
    recorder, record = weights_log()
    path = str(tmp_path / "weights.hdf5")
    checkpointer = callbacks.ModelCheckpoint(filepath=path, verbose=1, save_best_only=True)
    model.fit(X, Y, batch_size=8, epochs=4, verbose=0, validation_data=(XV, YV),
              callbacks=[recorder, checkpointer])
    best = min(record, key=lambda r: r[1]["val_loss"])
    loaded = load_model(path)
    for a, b in zip(loaded.get_weights(), best[2]):
        np.testing.assert_allclose(a, b)
    assert "saving model to " + path in capsys.readouterr().out
    weights_path = str(tmp_path / "w.{epoch:02d}.h5")
    model.fit(X, Y, batch_size=8, epochs=2, verbose=0,
              callbacks=[callbacks.ModelCheckpoint(weights_path, save_weights_only=True)])
    assert sorted(os.listdir(tmp_path)) == ["w.01.h5", "w.02.h5", "weights.hdf5"]
    fresh = small_compiled()
    fresh.load_weights(str(tmp_path / "w.02.h5"))
    for a, b in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b)


# EarlyStopping

def test_early_stopping_rule_on_fixed_logs(capsys):
    stop = callbacks.EarlyStopping(patience=2, verbose=1)
    _, run = feed(stop, [1.0, 0.9, 0.95, 0.96, 0.97])
    assert run == [0, 1, 2, 3] and stop.stopped_epoch == 3 and stop.wait == 2
    assert "Epoch 00004: early stopping" in capsys.readouterr().out
    # min_delta: 0.95 beats 1.0, but not by more than 0.1.
    _, run = feed(callbacks.EarlyStopping(min_delta=0.1, patience=1), [1.0, 0.95, 0.5])
    assert run == [0, 1]
    # baseline is the starting best; a stop at epoch index 0 prints nothing (2.2.4).
    stop = callbacks.EarlyStopping(baseline=0.85, verbose=1)
    _, run = feed(stop, [0.9, 0.8])
    assert run == [0] and capsys.readouterr().out == ""
    _, run = feed(callbacks.EarlyStopping(monitor="val_acc", patience=1), [0.5, 0.6, 0.6, 0.7],
                  "val_acc")
    assert run == [0, 1, 2]
    _, run = feed(callbacks.EarlyStopping(patience=0), [1.0, 1.0])
    assert run == [0, 1]


def test_early_stopping_restores_best_weights_on_fixed_logs():
    stop = callbacks.EarlyStopping(patience=2, restore_best_weights=True)
    model, _ = feed(stop, [1.0, 0.5, 0.7, 0.8, 0.1])
    assert model.weights[0][0] == 1.0  # epoch index 1's weights
    # Never beating the baseline: nothing to restore, the last weights stay.
    model, _ = feed(callbacks.EarlyStopping(baseline=0.1, restore_best_weights=True), [1.0])
    assert model.weights[0][0] == 0.0


def test_early_stopping_missing_key_and_bad_arguments():
    with pytest.warns(RuntimeWarning, match="Available metrics are: loss"):
        callbacks.EarlyStopping().on_epoch_end(0, {"loss": 1.0})
    with pytest.warns(RuntimeWarning, match="EarlyStopping mode up is unknown"):
        stop = callbacks.EarlyStopping(monitor="val_acc", mode="up")
    assert stop.monitor_op is np.greater
    with pytest.raises(ValueError, match="patience"):
        callbacks.EarlyStopping(patience=-1)


def scripted(key, values):
    """A LambdaCallback that adds `values[epoch]` under `key` to the epoch logs."""
    return callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: logs.update(
        {key: values[epoch]}))


def test_early_stopping_through_fit_restores_best_weights(capsys):
    model = small_compiled()
    recorder, record = weights_log()
    stop = callbacks.EarlyStopping(monitor="score", patience=2, verbose=1,
                                   restore_best_weights=True)
    history = model.fit(X, Y, batch_size=8, epochs=10, verbose=0,
                        callbacks=[scripted("score", [1.0, 0.9, 0.95, 0.96, 0.97] + [0] * 5),
                                   recorder, stop])
    assert history.epoch == [0, 1, 2, 3] and stop.stopped_epoch == 3
    for a, b in zip(model.get_weights(), record[1][2]):
        np.testing.assert_array_equal(a, b)
    out = capsys.readouterr().out
    assert "Restoring model weights" in out and "Epoch 00004: early stopping" in out


# LearningRateScheduler

def test_learning_rate_scheduler_sets_lr_each_epoch(capsys):
    model = small_compiled()
    seen = []
    probe = callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.append(float(K.get_value(model.optimizer.lr))))
    model.fit(X, Y, batch_size=8, epochs=3, verbose=0, callbacks=[
        callbacks.LearningRateScheduler(lambda epoch: 0.1 * 0.5 ** epoch, verbose=1), probe])
    np.testing.assert_allclose(seen, [0.1, 0.05, 0.025], rtol=1e-6)
    assert "Epoch 00002: LearningRateScheduler setting learning rate to 0.05." in \
        capsys.readouterr().out

    def halve(epoch, lr):
        return lr / 2

    seen.clear()
    model.fit(X, Y, batch_size=8, epochs=2, verbose=0,
              callbacks=[callbacks.LearningRateScheduler(halve), probe])
    np.testing.assert_allclose(seen, [0.0125, 0.00625], rtol=1e-6)
    # The rate set is the one the step uses: 0 leaves the weights as they were.
    before = model.get_weights()
    model.fit(X, Y, batch_size=8, epochs=2, verbose=0,
              callbacks=[callbacks.LearningRateScheduler(lambda epoch: 0.0)])
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_learning_rate_scheduler_errors():
    with pytest.raises(ValueError, match="should be float, got int 1"):
        feed(callbacks.LearningRateScheduler(lambda epoch: 1), [0.0])

    def broken(epoch, lr):
        raise TypeError("inside the user's schedule")

    # A TypeError of the user's own is not taken for the one-argument API.
    with pytest.raises(TypeError, match="inside the user's schedule"):
        feed(callbacks.LearningRateScheduler(broken), [0.0])
    with pytest.raises(TypeError, match="schedule"):
        callbacks.LearningRateScheduler(0.1)
    model = FakeModel()
    model.optimizer = object()
    with pytest.raises(ValueError, match='"lr" attribute'):
        feed(callbacks.LearningRateScheduler(lambda e: 0.1), [0.0], model=model)


# ReduceLROnPlateau

def test_reduce_lr_on_plateau_rule_on_fixed_logs(capsys):
    reduce = callbacks.ReduceLROnPlateau(factor=0.5, patience=2, cooldown=1, min_lr=0.02,
                                         verbose=1)
    model, _ = feed(reduce, [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5])
    logged = [logs["lr"] for logs in model.logs]
    np.testing.assert_allclose(logged, [0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.025, 0.025],
                               rtol=1e-6)
    assert all(type(v) is float for v in logged)
    assert float(K.get_value(model.optimizer.lr)) == pytest.approx(0.02)
    assert "Epoch 00003: ReduceLROnPlateau reducing learning rate to 0.05" in \
        capsys.readouterr().out
    # min_delta: 0.99995 is not better than 1.0 by more than 1e-4.
    model, _ = feed(callbacks.ReduceLROnPlateau(patience=1), [1.0, 0.99995])
    assert float(K.get_value(model.optimizer.lr)) == pytest.approx(0.01)
    model, _ = feed(callbacks.ReduceLROnPlateau(monitor="val_acc", patience=1),
                    [0.5, 0.6, 0.7], "val_acc")
    assert float(K.get_value(model.optimizer.lr)) == pytest.approx(0.1)


def test_reduce_lr_on_plateau_arguments():
    with pytest.warns(UserWarning, match="`epsilon` argument is deprecated"):
        reduce = callbacks.ReduceLROnPlateau(epsilon=0.5)
    assert reduce.min_delta == 0.5
    with pytest.raises(ValueError, match="factor >= 1.0"):
        callbacks.ReduceLROnPlateau(factor=1.0)
    with pytest.raises(TypeError, match="min_deltaa"):
        callbacks.ReduceLROnPlateau(min_deltaa=0.1)
    with pytest.warns(RuntimeWarning, match="mode x is unknown"):
        callbacks.ReduceLROnPlateau(mode="x")
    with pytest.warns(RuntimeWarning, match="Reduce LR on plateau conditioned on metric"):
        feed(callbacks.ReduceLROnPlateau(), [None])


def test_seed_reduce_lr_and_csv_logger_record_lr(tmp_path):
    model = small_compiled()
    reduce_lr = callbacks.ReduceLROnPlateau(monitor="score", factor=0.2, patience=1,
                                            min_lr=0.001)
    csv_logger = callbacks.CSVLogger(str(tmp_path / "training.log"))
    history = model.fit(X, Y, batch_size=8, epochs=4, verbose=0, validation_data=(XV, YV),
                        callbacks=[scripted("score", [1.0, 1.0, 1.0, 1.0]), reduce_lr,
                                   csv_logger])
    np.testing.assert_allclose(history.history["lr"], [0.01, 0.01, 0.002, 0.001], rtol=1e-6)
    lines = (tmp_path / "training.log").read_text().splitlines()
    assert lines[0] == "epoch,loss,lr,mean_absolute_error,score,val_loss,val_mean_absolute_error"
    rows = [line.split(",") for line in lines[1:]]
    assert [int(r[0]) for r in rows] == [0, 1, 2, 3]
    np.testing.assert_allclose([float(r[1]) for r in rows], history.history["loss"])
    np.testing.assert_allclose([float(r[2]) for r in rows], history.history["lr"])


# CSVLogger

def test_csv_logger_rows_append_and_na(tmp_path):
    path = str(tmp_path / "log.csv")
    logger = callbacks.CSVLogger(path)
    model = FakeModel()
    logger.set_model(model)
    logger.on_train_begin()
    assert os.path.getsize(path) == 0
    logger.on_epoch_end(0, {"loss": 0.5, "acc": 0.25, "vec": np.array([1, 2])})
    assert open(path).read().splitlines() == ["epoch,acc,loss,vec", '0,0.25,0.5,"[1, 2]"']
    model.stop_training = True
    logger.on_epoch_end(1, {"loss": 0.4})
    logger.on_train_end()
    # append=True continues the file without a second header.
    model.stop_training = False
    logger = callbacks.CSVLogger(path, separator=";", append=True)
    logger.set_model(model)
    logger.on_train_begin()
    logger.on_epoch_end(2, {"loss": 0.3, "acc": 0.5, "vec": 1})
    assert open(path).read().splitlines() == [
        "epoch,acc,loss,vec", '0,0.25,0.5,"[1, 2]"', "1,NA,0.4,NA", "2;0.5;0.3;1"]
    # Without append, the file starts over.
    logger = callbacks.CSVLogger(path)
    logger.set_model(model)
    logger.on_train_begin()
    logger.on_epoch_end(0, {"loss": 1.0})
    assert open(path).read().splitlines() == ["epoch,loss", "0,1.0"]
    with pytest.raises(TypeError, match="filename"):
        callbacks.CSVLogger(3)


# Log keys: 2.2.4's names are logged; monitors and lookups answer tf.keras's too.

def test_log_dict_holds_2_2_4_keys_and_answers_tf_keras_spellings():
    logs = callbacks.LogDict(loss=0.5, acc=0.75, val_acc=0.5, mean_absolute_error=0.25)
    assert list(logs) == ["loss", "acc", "val_acc", "mean_absolute_error"] and len(logs) == 4
    assert logs["accuracy"] == 0.75 and logs["val_accuracy"] == 0.5 and logs["mae"] == 0.25
    assert "val_accuracy" in logs and "val_mae" not in logs and "nope" not in logs
    assert logs.get("accuracy") == 0.75 and logs.get("val_mae", "x") == "x"
    assert json.loads(json.dumps(logs)) == dict(logs)
    with pytest.raises(KeyError, match="val_mae"):
        logs["val_mae"]
    # A key logged as such wins over an alias.
    assert callbacks.LogDict(accuracy=1.0, acc=0.0)["accuracy"] == 1.0
    assert callbacks.log_value({"val_acc": 0.5}, "val_accuracy") == 0.5
    assert callbacks.log_value({"val_acc": 0.5}, "val_loss", "none") == "none"


def accuracy_model():
    model = Sequential([Dense(3, input_shape=(2,), activation="softmax")])
    model.compile("sgd", "categorical_crossentropy", metrics=["accuracy"])
    return model


def accuracy_data(n, seed):
    rng = np.random.RandomState(seed)
    x = rng.rand(n, 2).astype("float32")
    return x, np.eye(3, dtype="float32")[rng.randint(0, 3, n)]


@pytest.mark.parametrize("monitor", ["val_acc", "val_accuracy"])
def test_checkpoint_on_val_acc_of_either_era_writes_the_best_model(tmp_path, monitor):
    from jeras.models import load_model

    model = accuracy_model()
    recorder, record = weights_log()
    path = str(tmp_path / "best-{val_accuracy:.2f}.h5")
    checkpoint = callbacks.ModelCheckpoint(path, monitor=monitor, save_best_only=True)
    assert checkpoint.monitor_op is np.greater
    # The scripted values decide which epochs improve: 1 and 3, not 2.
    model.fit(*accuracy_data(12, 0), epochs=3, batch_size=4, verbose=0,
              validation_data=accuracy_data(6, 1),
              callbacks=[scripted("val_acc", [0.5, 0.25, 0.75]), recorder, checkpoint])
    assert sorted(os.listdir(tmp_path)) == ["best-0.50.h5", "best-0.75.h5"]
    assert checkpoint.best == 0.75
    loaded = load_model(str(tmp_path / "best-0.75.h5"))
    for a, b in zip(loaded.get_weights(), record[2][2]):
        np.testing.assert_allclose(a, b)


def test_early_stopping_and_reduce_lr_on_val_accuracy():
    stop = callbacks.EarlyStopping(monitor="val_accuracy", patience=1)
    assert stop.monitor_op is np.greater
    model, run = feed(stop, [0.5, 0.75, 0.7, 0.9], key="val_acc")
    assert run == [0, 1, 2] and stop.best == 0.75 and model.stop_training
    with pytest.warns(RuntimeWarning, match="val_accuracy.*Available metrics are: val_loss"):
        feed(callbacks.EarlyStopping(monitor="val_accuracy"), [0.5])
    model, _ = feed(callbacks.ReduceLROnPlateau(monitor="val_accuracy", patience=1),
                    [0.5, 0.4, 0.3], "val_acc")
    assert float(K.get_value(model.optimizer.lr)) == pytest.approx(0.001)
    # Through fit: the tf.keras-era monitor finds `val_acc` in the epoch logs.
    model = accuracy_model()
    stop = callbacks.EarlyStopping(monitor="val_accuracy", patience=0)
    history = model.fit(*accuracy_data(12, 0), epochs=5, batch_size=4, verbose=0,
                        validation_data=accuracy_data(6, 1),
                        callbacks=[scripted("val_acc", [0.5, 0.5, 1.0, 1.0, 1.0]), stop])
    assert history.epoch == [0, 1] and stop.best == 0.5
    assert history.history["val_accuracy"] == [0.5, 0.5]


def test_csv_logger_columns_and_callback_logs_use_2_2_4_names(tmp_path):
    model = accuracy_model()
    seen = []
    reader = callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.append((logs["val_accuracy"], logs["val_acc"],
                                                      logs.get("accuracy"), logs["acc"])))
    path = tmp_path / "log.csv"
    history = model.fit(*accuracy_data(12, 0), epochs=2, batch_size=4, verbose=0,
                        validation_data=accuracy_data(6, 1),
                        callbacks=[reader, callbacks.CSVLogger(str(path))])
    lines = path.read_text().splitlines()
    assert lines[0] == "epoch,acc,loss,val_acc,val_loss"
    np.testing.assert_allclose([float(line.split(",")[3]) for line in lines[1:]],
                               history.history["val_acc"])
    assert [(a, b) for a, b, _, _ in seen] == [(v, v) for v in history.history["val_acc"]]
    assert [(c, d) for _, _, c, d in seen] == [(v, v) for v in history.history["acc"]]


# LambdaCallback: the seed's three examples, and the LossHistory example.

def test_seed_lambda_callback_examples(tmp_path, capsys):
    model = small_compiled()
    batch_print_callback = callbacks.LambdaCallback(
        on_batch_begin=lambda batch, logs: print(batch))
    json_log = open(tmp_path / "loss_log.json", mode="wt", buffering=1)  # noqa: UP015 (seed's spelling)
    json_logging_callback = callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: json_log.write(
            json.dumps({"epoch": epoch, "loss": logs["loss"]}) + "\n"),
        on_train_end=lambda logs: json_log.close())

    class Process:
        terminated = False

        def is_alive(self):
            return not self.terminated

        def terminate(self):
            self.terminated = True

    processes = [Process(), Process()]
    cleanup_callback = callbacks.LambdaCallback(
        on_train_end=lambda logs: [p.terminate() for p in processes if p.is_alive()])
    assert batch_print_callback.needs_batch_hooks()
    assert not json_logging_callback.needs_batch_hooks()
    history = model.fit(X, Y, batch_size=8, epochs=2, verbose=0,
                        callbacks=[batch_print_callback, json_logging_callback,
                                   cleanup_callback])
    assert capsys.readouterr().out.split() == ["0", "1", "2", "3"] * 2
    assert json_log.closed
    lines = [json.loads(line) for line in open(tmp_path / "loss_log.json")]
    assert lines == [{"epoch": e, "loss": history.history["loss"][e]} for e in (0, 1)]
    assert all(p.terminated for p in processes)
    with pytest.raises(TypeError, match="on_epoch_end"):
        callbacks.LambdaCallback(on_epoch_end=3)


def test_seed_loss_history_example():
    class LossHistory(callbacks.Callback):
        def on_train_begin(self, logs={}):  # noqa: B006 (the seed's own spelling)
            self.losses = []

        def on_batch_end(self, batch, logs={}):  # noqa: B006
            self.losses.append(logs.get("loss"))

    model = Sequential([Dense(10, input_dim=2, kernel_initializer="uniform"), Dense(1)])
    model.compile(loss="mse", optimizer="rmsprop")
    history = LossHistory()
    fit_history = model.fit(X, Y, batch_size=8, epochs=2, verbose=0, callbacks=[history])
    assert len(history.losses) == 8 and all(type(v) is float for v in history.losses)
    # Equal batches: the epoch loss is the mean of its batch losses.
    np.testing.assert_allclose(np.mean(history.losses[:4]), fit_history.history["loss"][0],
                               rtol=1e-5)


# RemoteMonitor

class _Recorder(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((self.path, dict(self.headers), body.decode()))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_remote_monitor_posts_form_and_json(http_server):
    from urllib.parse import parse_qs

    root = f"http://127.0.0.1:{http_server.server_address[1]}"
    model = small_compiled()
    history = model.fit(X, Y, batch_size=8, epochs=2, verbose=0, callbacks=[
        callbacks.RemoteMonitor(root=root, headers={"X-Run": "seven"})])
    assert [r[0] for r in http_server.received] == ["/publish/epoch/end/"] * 2
    path, headers, body = http_server.received[1]
    assert headers["X-Run"] == "seven"
    sent = json.loads(parse_qs(body)["data"][0])
    assert sent == {"epoch": 1, "loss": history.history["loss"][1],
                    "mean_absolute_error": history.history["mean_absolute_error"][1]}
    http_server.received.clear()
    monitor = callbacks.RemoteMonitor(root=root, path="/p", send_as_json=True)
    monitor.on_epoch_end(3, {"loss": np.float32(0.5), "v": np.array([1.0, 2.0])})
    path, headers, body = http_server.received[0]
    assert path == "/p" and headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"epoch": 3, "loss": 0.5, "v": [1.0, 2.0]}


def test_remote_monitor_unreachable_server_warns_and_training_goes_on():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    model = small_compiled()
    with pytest.warns(UserWarning, match="could not reach RemoteMonitor root server"):
        history = model.fit(X, Y, batch_size=8, epochs=2, verbose=0, callbacks=[
            callbacks.RemoteMonitor(root=f"http://127.0.0.1:{port}")])
    assert history.epoch == [0, 1]


# TensorBoard

def read_events(log_dir):
    from tensorboard.backend.event_processing import event_accumulator

    acc = event_accumulator.EventAccumulator(str(log_dir), size_guidance={
        event_accumulator.HISTOGRAMS: 0, event_accumulator.IMAGES: 0,
        event_accumulator.SCALARS: 0, event_accumulator.TENSORS: 0})
    acc.Reload()
    return acc


def test_tensorboard_scalars_histograms_grads_images_graph(tmp_path):
    model = small_compiled()
    tb = callbacks.TensorBoard(log_dir=str(tmp_path), histogram_freq=2, write_grads=True,
                               write_images=True, batch_size=5)
    tb.validation_data = [XV, YV, np.ones(len(XV), "float32")]
    recorder, record = weights_log()
    history = model.fit(X, Y, batch_size=8, epochs=3, verbose=0, validation_data=(XV, YV),
                        callbacks=[recorder, tb])
    acc = read_events(tmp_path)
    tags = acc.Tags()
    assert set(tags["scalars"]) == {"loss", "mean_absolute_error", "val_loss",
                                    "val_mean_absolute_error"}
    for key in tags["scalars"]:
        events = acc.Scalars(key)
        assert [e.step for e in events] == [0, 1, 2]
        np.testing.assert_allclose([e.value for e in events], history.history[key], rtol=1e-6)
    layer = model.layers[0].name
    assert set(tags["histograms"]) == {f"{layer}/kernel_0", f"{layer}/bias_0",
                                       f"{layer}/kernel_0_grad", f"{layer}/bias_0_grad"}
    kernel_tag = f"{layer}/kernel_0"
    assert [h.step for h in acc.Histograms(kernel_tag)] == [0, 2]
    # Histogram of epoch 2's kernel: its sum is the sum of the weights then.
    kernel_2 = record[2][2][0]
    assert acc.Histograms(kernel_tag)[1].histogram_value.sum == pytest.approx(kernel_2.sum())
    # The gradient of mse for a linear layer: 2/n X^T (XW + b - y), on the validation data.
    w, b = record[2][2]
    expected = 2.0 / len(XV) * XV.T @ (XV @ w + b - YV)
    grad = acc.Histograms(layer + "/kernel_0_grad")[1].histogram_value
    assert grad.sum == pytest.approx(expected.sum(), rel=1e-4)
    assert grad.min == pytest.approx(expected.min(), rel=1e-4)
    # As 2.2.4: the (2, 1) kernel squeezes to a column; the (1,) bias to a scalar, not drawn.
    assert tags["images"] == [layer + "/kernel_0/image"]
    image = acc.Images(layer + "/kernel_0/image")[0]
    assert (image.width, image.height) == (1, 2)
    graph = acc.Graph()
    assert [(n.name, n.op, list(n.input)) for n in graph.node] == [
        (model.input_names[0], "InputLayer", []), (layer, "Dense", [model.input_names[0]])]
    from tensorboard.plugins.custom_scalar import layout_pb2

    layout = layout_pb2.Layout.FromString(
        acc.Tensors("custom_scalars__config__")[0].tensor_proto.string_val[0])
    charts = {c.title: list(c.multiline.tag) for c in layout.category[0].chart}
    assert charts["loss"] == ["^loss$", "^val_loss$"]


def test_tensorboard_graph_of_a_functional_model(tmp_path):
    from jeras.layers import Input
    from jeras.models import Model

    inp = Input((2,))
    hidden = Dense(3)(inp)
    model = Model(inp, [Dense(1)(hidden), Dense(2)(hidden)])
    tb = callbacks.TensorBoard(log_dir=str(tmp_path))
    tb.set_model(model)
    tb.set_params({"metrics": ["loss"]})
    tb.on_train_begin()
    tb.on_train_end()
    names = [layer.name for layer in model.layers]
    nodes = [(n.name, n.op, list(n.input)) for n in read_events(tmp_path).Graph().node]
    assert nodes == [(names[0], "InputLayer", []), (names[1], "Dense", [names[0]]),
                     (names[2], "Dense", [names[1]]), (names[3], "Dense", [names[1]])]


def test_tensorboard_update_freq_counts_samples(tmp_path):
    model = small_compiled()
    model.fit(X, Y, batch_size=8, epochs=2, verbose=0, callbacks=[
        callbacks.TensorBoard(log_dir=str(tmp_path / "batch"), update_freq="batch",
                              write_graph=False)])
    model.fit(X, Y, batch_size=8, epochs=2, verbose=0, callbacks=[
        callbacks.TensorBoard(log_dir=str(tmp_path / "n"), update_freq=20, write_graph=False)])
    steps = [e.step for e in read_events(tmp_path / "batch").Scalars("loss")]
    # Every batch (8 samples), plus each epoch's logs at the samples seen then.
    assert steps == [8, 16, 24, 32, 32, 40, 48, 56, 64, 64]
    steps = [e.step for e in read_events(tmp_path / "n").Scalars("loss")]
    assert steps == [24, 32, 48, 64]


def test_tensorboard_embeddings_and_arguments(tmp_path):
    from jeras.layers import Embedding, Flatten

    model = Sequential([Embedding(10, 3, input_length=4), Flatten(), Dense(1)])
    model.compile("sgd", "mse")
    words = np.arange(24).reshape(6, 4) % 10
    (tmp_path / "meta.tsv").write_text("".join(f"w{i}\n" for i in range(6)))
    tb = callbacks.TensorBoard(log_dir=str(tmp_path), embeddings_freq=1,
                               embeddings_data=words, embeddings_metadata="meta.tsv",
                               batch_size=4)
    model.fit(words, np.zeros((6, 1)), epochs=2, verbose=0, callbacks=[tb])
    name = model.layers[0].name
    config = (tmp_path / "projector_config.pbtxt").read_text()
    assert f'tensor_name: "{name}:00001"' in config
    tensors = np.loadtxt(tmp_path / "00001" / name / "tensors.tsv")
    table = model.get_weights()[0]
    np.testing.assert_allclose(tensors, table[words].reshape(6, 12), rtol=1e-5)
    labels = (tmp_path / "00001" / name / "metadata.tsv").read_text().split()
    assert labels == [f"w{i}" for i in range(6)]
    with pytest.raises(ValueError, match="embeddings_data"):
        callbacks.TensorBoard(embeddings_freq=1)
    with pytest.raises(ValueError, match="update_freq"):
        callbacks.TensorBoard(update_freq=0)
    with pytest.raises(ValueError, match="not layers of the model"):
        model.fit(words, np.zeros((6, 1)), verbose=0, callbacks=[callbacks.TensorBoard(
            log_dir=str(tmp_path / "x"), embeddings_freq=1, embeddings_data=words,
            embeddings_layer_names=["nope"])])
    with pytest.raises(ValueError, match="validation"):
        small_compiled().fit(X, Y, verbose=0, callbacks=[callbacks.TensorBoard(
            log_dir=str(tmp_path / "y"), histogram_freq=1, write_grads=True)])


def test_tensorboard_embeds_the_layers_of_a_functional_model_with_two_inputs(tmp_path):
    from jeras.layers import Embedding, Flatten, Input, concatenate
    from jeras.models import Model

    words, extra = Input((4,)), Input((2,))
    hidden = Dense(3, name="hidden")(concatenate([Flatten()(Embedding(10, 2)(words)), extra]))
    model = Model([words, extra], Dense(1)(hidden))
    model.compile("sgd", "mse")
    x = [np.arange(24).reshape(6, 4) % 10, np.random.rand(6, 2).astype("float32")]
    tb = callbacks.TensorBoard(log_dir=str(tmp_path), embeddings_freq=1, embeddings_data=x,
                               embeddings_layer_names=["hidden"], batch_size=4)
    model.fit(x, np.zeros((6, 1)), epochs=1, verbose=0, callbacks=[tb])
    table, kernel, bias = model.get_weights()[:3]
    features = np.concatenate([table[x[0]].reshape(6, 8), x[1]], axis=1)
    np.testing.assert_allclose(np.loadtxt(tmp_path / "00000" / "hidden" / "tensors.tsv"),
                               features @ kernel + bias, rtol=1e-4, atol=1e-5)


# A callback that fails: the fit fails with its exception, files stay whole.

class Boom(Exception):
    pass


def test_failing_callback_leaves_complete_files(tmp_path):
    model = small_compiled()

    def explode(epoch, logs):
        if epoch == 1:
            raise Boom("epoch 1")

    cbs = [callbacks.CSVLogger(str(tmp_path / "log.csv")),
           callbacks.ModelCheckpoint(str(tmp_path / "m.h5"))]
    with pytest.raises(Boom, match="epoch 1"):
        model.fit(X, Y, batch_size=8, epochs=3, verbose=0, validation_data=(XV, YV),
                  callbacks=cbs + [callbacks.LambdaCallback(on_epoch_end=explode)])
    lines = open(tmp_path / "log.csv").read().splitlines()
    assert len(lines) == 3 and all(len(line.split(",")) == 5 for line in lines)
    assert open(tmp_path / "log.csv", newline="").read().endswith("\r\n")
    from jeras.models import load_model

    for a, b in zip(load_model(str(tmp_path / "m.h5")).get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b)
    assert sorted(os.listdir(tmp_path)) == ["log.csv", "m.h5"]


def test_validation_data_reaches_callbacks_and_a_batch_stop_skips_validation():
    class Seen(callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.data = self.validation_data

    class StopAtFirstBatch(callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            self.model.stop_training = True

    x, y = np.random.rand(8, 2), np.random.rand(8, 1)
    vx, vy = np.random.rand(4, 2), np.random.rand(4, 1)
    seen = Seen()
    model = small_model()
    model.fit(x, y, epochs=1, verbose=0, validation_data=(vx, vy), callbacks=[seen])
    assert len(seen.data) == 3
    np.testing.assert_allclose(seen.data[0], vx.astype("float32"))
    np.testing.assert_allclose(seen.data[1], vy.astype("float32"))
    np.testing.assert_array_equal(seen.data[2], np.ones(4, "float32"))
    history = model.fit(x, y, batch_size=2, epochs=3, verbose=0, validation_data=(vx, vy),
                        callbacks=[StopAtFirstBatch()])
    assert history.epoch == [0] and "val_loss" not in history.history


@pytest.mark.interop
def test_checkpoint_file_loads_in_tf_keras(tmp_path):
    tf_keras = pytest.importorskip("tf_keras")
    model = small_compiled()
    path = str(tmp_path / "best.h5")
    # Saved every epoch, so the file holds the final model whatever the initial
    # weights (with save_best_only it may hold an earlier epoch's).
    model.fit(X, Y, batch_size=8, epochs=2, verbose=0, validation_data=(XV, YV),
              callbacks=[callbacks.ModelCheckpoint(path)])
    theirs = tf_keras.models.load_model(path)
    np.testing.assert_allclose(theirs.predict(XV, verbose=0), model.predict(XV), atol=1e-6)
