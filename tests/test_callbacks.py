"""Callbacks: the base plumbing, BaseLogger, History, ProgbarLogger, TerminateOnNaN."""
import numpy as np
import pytest

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
