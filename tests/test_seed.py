"""The seed tutorial's snippets for losses, optimizers, metrics and activations, run as written.

Each snippet is followed by a check of what it should do.
"""
import numpy as np

from jeras import backend as K
from jeras import callbacks as keras_callbacks
from jeras import losses, metrics, optimizers
from jeras.layers import Activation, Dense
from jeras.models import Sequential
from jeras.utils.np_utils import to_categorical

RNG = np.random.RandomState(0)
X10 = RNG.randn(40, 10).astype("float32")
Y64 = RNG.rand(40, 64).astype("float32")


def seed_model():
    model = Sequential()
    model.add(Dense(64, kernel_initializer="uniform", input_shape=(10,)))
    model.add(Activation("softmax"))
    return model


def test_loss_by_name_and_by_function_give_the_same_numbers():
    model = seed_model()
    model.compile(loss="mean_squared_error", optimizer="sgd")
    by_name = model.evaluate(X10, Y64, verbose=0)
    model.compile(loss=losses.mean_squared_error, optimizer="sgd")
    by_function = model.evaluate(X10, Y64, verbose=0)
    p = model.predict(X10)
    assert by_name == by_function
    np.testing.assert_allclose(by_name, np.mean((p - Y64) ** 2), rtol=1e-5)


def test_to_categorical_snippet():
    int_labels = np.array([3, 0, 2])
    categorical_labels = to_categorical(int_labels, num_classes=None)
    np.testing.assert_array_equal(categorical_labels.argmax(axis=1), int_labels)
    assert categorical_labels.shape == (3, 4)


def test_optimizer_object_and_by_name():
    model = seed_model()
    sgd = optimizers.SGD(lr=0.01, decay=1e-6, momentum=0.9, nesterov=True)
    model.compile(loss="mean_squared_error", optimizer=sgd)
    before = model.evaluate(X10, Y64, verbose=0)
    model.fit(X10, Y64, epochs=3, verbose=0)
    assert model.evaluate(X10, Y64, verbose=0) < before
    assert K.get_value(sgd.iterations) == 6
    model.compile(loss="mean_squared_error", optimizer="sgd")
    assert isinstance(model.optimizer, optimizers.SGD)
    assert abs(float(K.get_value(model.optimizer.lr)) - 0.01) < 1e-9


def test_clipping_snippets_bound_the_update():
    for sgd, bound in [(optimizers.SGD(lr=0.01, clipnorm=1.), 0.01 * 1.0),
                       (optimizers.SGD(lr=0.01, clipvalue=0.5), 0.01 * 0.5)]:
        model = Sequential([Dense(1, input_shape=(10,), kernel_initializer="zeros")])
        model.compile(loss="mean_squared_error", optimizer=sgd)
        model.train_on_batch(X10 * 100, np.full((40, 1), 1e4, "float32"))
        kernel, bias = model.get_weights()
        change = np.concatenate([kernel.ravel(), bias.ravel()])
        if sgd.get_config().get("clipnorm"):
            assert np.linalg.norm(change) <= bound * (1 + 1e-5)
        else:
            assert np.abs(change).max() <= bound * (1 + 1e-5)
            np.testing.assert_allclose(np.abs(change), bound, rtol=1e-5)


def test_metrics_by_name_and_by_function():
    model = seed_model()
    model.compile(loss="mean_squared_error", optimizer="sgd", metrics=["mae", "acc"])
    assert model.metrics_names == ["loss", "mean_absolute_error", "acc"]
    loss, mae, acc = model.evaluate(X10, Y64, verbose=0)
    p = model.predict(X10)
    np.testing.assert_allclose(mae, np.mean(np.abs(p - Y64)), rtol=1e-5)
    np.testing.assert_allclose(acc, np.mean(p.argmax(1) == Y64.argmax(1)))
    model.compile(loss="mean_squared_error", optimizer="sgd",
                  metrics=[metrics.mae, metrics.categorical_accuracy])
    assert model.metrics_names == ["loss", "mean_absolute_error", "categorical_accuracy"]
    assert model.evaluate(X10, Y64, verbose=0)[1:] == [mae, acc]


def test_custom_mean_pred_metric():
    def mean_pred(y_true, y_pred):
        return K.mean(y_pred)

    model = Sequential([Dense(1, input_shape=(10,), activation="sigmoid")])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy",
                  metrics=["accuracy", mean_pred])
    y = (RNG.rand(40) > 0.5).astype("float32")
    history = model.fit(X10, y, epochs=2, batch_size=16, verbose=0)
    assert set(history.history) == {"loss", "acc", "mean_pred"}
    _, accuracy, got = model.evaluate(X10, y, batch_size=16, verbose=0)
    p = model.predict(X10)[:, 0]
    np.testing.assert_allclose(got, p.mean(), rtol=1e-5)
    np.testing.assert_allclose(accuracy, np.mean(np.round(p) == y))


def test_activation_layer_equals_activation_argument():
    first = Sequential([Dense(64, input_shape=(10,))])
    first.add(Activation("tanh"))
    second = Sequential([Dense(64, activation="tanh", input_shape=(10,))])
    third = Sequential([Dense(64, activation=K.tanh, input_shape=(10,))])
    fourth = Sequential([Dense(64, input_shape=(10,))])
    fourth.add(Activation(K.tanh))
    weights = first.get_weights()
    for model in (second, third, fourth):
        model.set_weights(weights)
    expected = np.tanh(X10 @ weights[0] + weights[1])
    for model in (first, second, third, fourth):
        np.testing.assert_allclose(model.predict(X10), expected, rtol=1e-5, atol=1e-6)


def test_loss_history_callback_example():
    class LossHistory(keras_callbacks.Callback):
        def on_train_begin(self, logs={}):  # noqa: B006 - as in the seed
            self.losses = []

        def on_batch_end(self, batch, logs={}):  # noqa: B006
            self.losses.append(logs.get("loss"))

    x_train = RNG.rand(300, 784).astype("float32")
    y_train = to_categorical(RNG.randint(0, 10, 300), 10)
    model = Sequential()
    model.add(Dense(10, input_dim=784, kernel_initializer="uniform"))
    model.add(Activation("softmax"))
    model.compile(loss="categorical_crossentropy", optimizer="rmsprop")
    history = LossHistory()
    model.fit(x_train, y_train, batch_size=128, epochs=20, verbose=0, callbacks=[history])
    assert len(history.losses) == 20 * 3
    assert all(isinstance(v, float) for v in history.losses)
    assert history.losses[-1] < history.losses[0]
