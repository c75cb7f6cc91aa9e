"""compile / fit / evaluate / predict against independent numpy computations."""
import jax
import numpy as np
import pytest

from jeras import backend as K
from jeras import callbacks, optimizers
from jeras.layers import Activation, Dense, Dropout
from jeras.models import Sequential, load_model
from jeras.utils import set_random_seed, to_categorical


def softmax_model(n_in=6, n_out=3, **compile_kwargs):
    model = Sequential([Dense(n_out, input_shape=(n_in,)), Activation("softmax")])
    compile_kwargs.setdefault("optimizer", optimizers.SGD(lr=0.1))
    compile_kwargs.setdefault("loss", "categorical_crossentropy")
    model.compile(**compile_kwargs)
    return model


def data(n=50, n_in=6, n_out=3, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, n_in).astype("float32")
    y = to_categorical(rng.randint(0, n_out, n), n_out)
    return x, y


def np_forward(w, b, x):
    z = x @ w + b
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def np_cce_grad(w, b, x, y, sw=None):
    """Loss and gradients of Keras 2's weighted mean cross-entropy through softmax."""
    p = np_forward(w, b, x)
    sw = np.ones(len(x)) if sw is None else sw
    denom = np.sum(sw != 0)
    loss = np.sum(-np.sum(y * np.log(np.clip(p, 1e-7, 1 - 1e-7)), axis=1) * sw) / denom
    dz = (p - y) * sw[:, None] / denom
    return loss, x.T @ dz, dz.sum(axis=0)


def test_fit_sgd_matches_numpy_minibatch_sgd_with_short_last_batch():
    x, y = data(n=50)
    model = softmax_model()
    w, b = [a.astype(np.float64) for a in model.get_weights()]
    history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    expected_epoch_losses = []
    for _ in range(2):
        losses, sizes = [], []
        for start in range(0, 50, 16):
            xb, yb = x[start:start + 16], y[start:start + 16]
            loss, gw, gb = np_cce_grad(w, b, xb, yb)
            w, b = w - 0.1 * gw, b - 0.1 * gb
            losses.append(loss)
            sizes.append(len(xb))
        expected_epoch_losses.append(np.dot(losses, sizes) / 50)
    got_w, got_b = model.get_weights()
    np.testing.assert_allclose(got_w, w, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(got_b, b, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(history.history["loss"], expected_epoch_losses, rtol=1e-5)
    assert history.epoch == [0, 1]


def test_evaluate_and_predict_match_numpy():
    x, y = data(n=37)
    model = softmax_model(metrics=["acc", "mae"])
    w, b = model.get_weights()
    p = np_forward(w, b, x)
    loss = np.mean(-np.sum(y * np.log(np.clip(p, 1e-7, 1 - 1e-7)), axis=1))
    acc = np.mean(np.argmax(p, 1) == np.argmax(y, 1))
    mae = np.mean(np.abs(p - y))
    result = model.evaluate(x, y, batch_size=10, verbose=0)
    assert model.metrics_names == ["loss", "acc", "mean_absolute_error"]
    np.testing.assert_allclose(result, [loss, acc, mae], rtol=1e-5)
    np.testing.assert_allclose(model.predict(x, batch_size=8), p, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(model.predict_on_batch(x[:3]), p[:3], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(model.test_on_batch(x, y), [loss, acc, mae], rtol=1e-5)
    # As in 2.2.4, the figures are numpy scalars (scripts read `.shape`).
    assert all(np.shape(v) == () and isinstance(v, np.floating) for v in result)
    plain = softmax_model()
    assert isinstance(plain.evaluate(x, y, verbose=0), np.floating)
    assert isinstance(plain.train_on_batch(x, y), np.floating)


def test_scalar_user_metric_is_exact_on_the_short_last_batch():
    def mean_pred(y_true, y_pred):
        return K.mean(y_pred[:, 0])

    x, y = data(n=23)
    model = softmax_model(metrics=[mean_pred])
    w, b = model.get_weights()
    p = np_forward(w, b, x)
    batch_means = [p[s:s + 10, 0].mean() for s in range(0, 23, 10)]
    expected = np.dot(batch_means, [10, 10, 3]) / 23
    loss, got = model.evaluate(x, y, batch_size=10, verbose=0)
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    assert model.metrics_names == ["loss", "mean_pred"]


def test_sample_weight_and_class_weight_weight_the_loss():
    x, y = data(n=20)
    sw = np.random.RandomState(1).rand(20).astype("float32")
    sw[3] = 0.0
    model = softmax_model()
    w, b = [a.astype(np.float64) for a in model.get_weights()]
    loss, gw, gb = np_cce_grad(w, b, x, y, sw)
    np.testing.assert_allclose(model.evaluate(x, y, sample_weight=sw, batch_size=20, verbose=0),
                               loss, rtol=1e-5)
    model.train_on_batch(x, y, sample_weight=sw)
    np.testing.assert_allclose(model.get_weights()[0], w - 0.1 * gw, rtol=1e-4, atol=1e-6)

    model = softmax_model()
    w, b = [a.astype(np.float64) for a in model.get_weights()]
    class_weight = {0: 1.0, 1: 2.0, 2: 0.5}
    cw = np.array([class_weight[c] for c in np.argmax(y, 1)])
    _, gw, _ = np_cce_grad(w, b, x, y, cw)
    model.train_on_batch(x, y, class_weight=class_weight)
    np.testing.assert_allclose(model.get_weights()[0], w - 0.1 * gw, rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="class_weight"):
        model.fit(x, y, class_weight={0: 1.0}, verbose=0)


def test_regularization_penalty_is_part_of_the_loss():
    x, y = data(n=10)
    model = Sequential([Dense(3, input_shape=(6,), kernel_regularizer="l2",
                              activity_regularizer="l1"), Activation("softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    w, b = model.get_weights()
    z = x @ w + b
    p = np_forward(w, b, x)
    cce = np.mean(-np.sum(y * np.log(np.clip(p, 1e-7, 1 - 1e-7)), axis=1))
    expected = cce + 0.01 * np.sum(w ** 2) + 0.01 * np.sum(np.abs(z))
    np.testing.assert_allclose(model.evaluate(x, y, batch_size=10, verbose=0), expected,
                               rtol=1e-5)


def test_log_keys_are_2_2_4s_and_validation_uses_the_last_samples():
    x, y = data(n=40)
    # Keras 2.2.4: 'acc' and 'accuracy' both log `acc`; the second is deduplicated.
    model = softmax_model(metrics=["acc", "accuracy"])
    assert model.metrics_names == ["loss", "acc", "acc_1"]
    history = model.fit(x, y, epochs=1, batch_size=8, validation_split=0.25, verbose=0)
    assert set(history.history) == {"loss", "acc", "acc_1", "val_loss", "val_acc", "val_acc_1"}
    np.testing.assert_allclose(history.history["val_loss"][0],
                               model.evaluate(x[30:], y[30:], verbose=0)[0], rtol=1e-5)
    assert history.history["acc"] == history.history["acc_1"]


def test_accuracy_logs_acc_equal_to_numpy_accuracy_and_answers_both_spellings():
    x, y = data(n=50)
    xv, yv = data(n=21, seed=1)
    model = softmax_model(metrics=["accuracy"])
    assert model.metrics_names == ["loss", "acc"]
    history = model.fit(x, y, epochs=3, batch_size=16, validation_data=(xv, yv), verbose=0)
    assert list(history.history) == ["val_loss", "val_acc", "loss", "acc"]
    # val_acc is computed with the weights at the end of the epoch.
    p = model.predict(xv)
    expected = np.mean(np.argmax(p, axis=1) == np.argmax(yv, axis=1))
    np.testing.assert_allclose(history.history["val_acc"][-1], expected, rtol=1e-6)
    _, acc = model.evaluate(x, y, batch_size=16, verbose=0)
    np.testing.assert_allclose(acc, np.mean(np.argmax(model.predict(x), 1) == np.argmax(y, 1)),
                               rtol=1e-6)
    # The tf.keras-era spelling reads the same lists; nothing is logged twice.
    assert history.history["val_accuracy"] is history.history["val_acc"]
    assert history.history["accuracy"] is history.history["acc"]
    assert "accuracy" in history.history and "val_accuracy" in history.history
    assert history.history.get("val_accuracy") == history.history["val_acc"]
    assert len(history.history) == 4 and "accuracy" not in list(history.history)
    with pytest.raises(KeyError):
        history.history["val_top_k_categorical_accuracy"]


def test_other_metric_names_follow_2_2_4_and_answer_tf_keras_names():
    x, y = data(n=40)
    model = softmax_model(metrics=["mae", "crossentropy", "ce", "mse"])
    assert model.metrics_names == ["loss", "mean_absolute_error", "ce", "ce_1",
                                   "mean_squared_error"]
    history = model.fit(x, y, epochs=2, batch_size=8, validation_split=0.25, verbose=0)
    assert sorted(history.history) == sorted(
        ["loss", "mean_absolute_error", "ce", "ce_1", "mean_squared_error"]
        + ["val_loss", "val_mean_absolute_error", "val_ce", "val_ce_1",
           "val_mean_squared_error"])
    assert history.history["val_mae"] is history.history["val_mean_absolute_error"]
    assert history.history["mse"] is history.history["mean_squared_error"]
    assert history.history["val_crossentropy"] is history.history["val_ce"]
    # 'ce' with categorical_crossentropy is the loss itself.
    np.testing.assert_allclose(history.history["val_ce"], history.history["val_loss"],
                               rtol=1e-6)


def test_several_outputs_log_output_prefixed_acc():
    from jeras.layers import Input
    from jeras.models import Model

    inp = Input((6,))
    a = Dense(3, activation="softmax", name="a")(inp)
    b = Dense(1, activation="sigmoid", name="b")(inp)
    model = Model(inp, [a, b])
    model.compile("sgd", ["categorical_crossentropy", "binary_crossentropy"],
                  metrics=["accuracy"])
    assert model.metrics_names == ["loss", "a_loss", "b_loss", "a_acc", "b_acc"]
    x, y = data(n=30)
    yb = (x[:, :1] > 0).astype("float32")
    history = model.fit(x, [y, yb], epochs=1, batch_size=10, validation_data=(x, [y, yb]),
                        verbose=0)
    assert {"a_acc", "b_acc", "val_a_acc", "val_b_acc"} <= set(history.history)
    assert not any("accuracy" in k for k in history.history)
    assert history.history["val_a_accuracy"] is history.history["val_a_acc"]
    pa, pb = model.predict(x)
    np.testing.assert_allclose(history.history["val_a_acc"][0],
                               np.mean(np.argmax(pa, 1) == np.argmax(y, 1)), rtol=1e-6)
    np.testing.assert_allclose(history.history["val_b_acc"][0], np.mean(np.round(pb) == yb),
                               rtol=1e-6)


@pytest.mark.parametrize("batch_size", [16, 50])
def test_top_k_epoch_values_are_the_mean_over_all_samples(batch_size):
    # 2.2.4's top-k metrics return a batch mean; the epoch value must still be
    # the mean over all samples, the short last batch included.
    x, y = data(n=50, n_out=8)
    model = softmax_model(n_out=8, metrics=["top_k_categorical_accuracy"])
    labels = np.argmax(y, 1)
    _, top_k = model.evaluate(x, y, batch_size=batch_size, verbose=0)
    top5 = np.argsort(-model.predict(x), axis=1)[:, :5]
    expected = np.mean(np.any(top5 == labels[:, None], axis=1))
    np.testing.assert_allclose(top_k, expected, rtol=1e-6)
    # With a zero learning rate the weights stay put, so the epoch's value is exact too.
    model.compile(optimizers.SGD(lr=0.0), "categorical_crossentropy",
                  metrics=["top_k_categorical_accuracy"])
    history = model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
    np.testing.assert_allclose(history.history["top_k_categorical_accuracy"], [expected],
                               rtol=1e-6)
    sparse = softmax_model(n_out=8, loss="sparse_categorical_crossentropy",
                           metrics=["sparse_top_k_categorical_accuracy"])
    sparse.set_weights(model.get_weights())
    np.testing.assert_allclose(sparse.evaluate(x, labels, batch_size=batch_size, verbose=0)[1],
                               expected, rtol=1e-6)


def test_binary_and_sparse_accuracy_resolution_from_the_loss():
    rng = np.random.RandomState(0)
    x = rng.randn(30, 4).astype("float32")
    model = Sequential([Dense(1, input_shape=(4,), activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy", metrics=["acc"])
    yb = (rng.rand(30) > 0.5).astype("float32")
    p = model.predict(x)[:, 0]
    _, acc = model.evaluate(x, yb, verbose=0)
    np.testing.assert_allclose(acc, np.mean(np.round(p) == yb))

    model = Sequential([Dense(3, input_shape=(4,), activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    ys = rng.randint(0, 3, 30)
    p = model.predict(x)
    loss, acc = model.evaluate(x, ys, verbose=0)
    np.testing.assert_allclose(acc, np.mean(np.argmax(p, 1) == ys))
    np.testing.assert_allclose(loss, np.mean(-np.log(p[np.arange(30), ys])), rtol=1e-5)


def _count_compiles(fn):
    events = []

    def listener(name, *args, **kwargs):
        if name == "/jax/core/compile/backend_compile_duration":
            events.append(name)

    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        fn()
    finally:
        jax.monitoring.unregister_event_duration_listener(listener)
    return len(events)


class SetLR(callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        K.set_value(self.model.optimizer.lr, 0.1 / (epoch + 1))
        self.seen = getattr(self, "seen", []) + [float(K.get_value(self.model.optimizer.lr))]


def test_no_recompilation_across_epochs_short_batches_or_lr_changes():
    x, y = data(n=50)
    model = softmax_model(metrics=["acc"])
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    model.evaluate(x, y, batch_size=16, verbose=0)
    lr_setter = SetLR()
    compiles = _count_compiles(lambda: model.fit(x, y, batch_size=16, epochs=4, verbose=0,
                                                  callbacks=[lr_setter]))
    assert compiles == 0
    assert lr_setter.seen == pytest.approx([0.1, 0.05, 0.1 / 3, 0.025])


def test_lr_change_takes_effect_on_the_next_step():
    x, y = data(n=16)
    model = softmax_model()
    w, b = [a.astype(np.float64) for a in model.get_weights()]
    K.set_value(model.optimizer.lr, 0.5)
    model.train_on_batch(x, y)
    _, gw, _ = np_cce_grad(w, b, x, y)
    np.testing.assert_allclose(model.get_weights()[0], w - 0.5 * gw, rtol=1e-4, atol=1e-6)
    assert K.get_value(model.optimizer.iterations) == 1


class LossHistory(callbacks.Callback):
    def on_train_begin(self, logs={}):  # noqa: B006 - the seed's own signature
        self.losses = []
        self.sizes = []

    def on_batch_end(self, batch, logs={}):  # noqa: B006
        self.losses.append(logs.get("loss"))
        self.sizes.append(logs.get("size"))


def test_per_batch_callbacks_see_every_batch_and_change_nothing():
    x, y = data(n=50)
    set_random_seed(3)
    model_a = softmax_model()
    history = LossHistory()
    a = model_a.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[history])
    set_random_seed(3)
    model_b = softmax_model()
    b = model_b.fit(x, y, batch_size=16, epochs=2, verbose=0)
    assert len(history.losses) == 8 and history.sizes == [16, 16, 16, 2] * 2
    for wa, wb in zip(model_a.get_weights(), model_b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    np.testing.assert_allclose(a.history["loss"][0],
                               np.dot(history.losses[:4], [16, 16, 16, 2]) / 50, rtol=1e-6)
    assert a.history["loss"] == pytest.approx(b.history["loss"], rel=1e-6)


def test_same_seed_gives_bit_identical_training_with_dropout():
    x, y = data(n=64)

    def run():
        set_random_seed(42)
        model = Sequential([Dense(8, input_shape=(6,), activation="relu"), Dropout(0.5),
                            Dense(3, activation="softmax")])
        model.compile("adam", "categorical_crossentropy")
        model.fit(x, y, epochs=3, batch_size=8, verbose=0)
        return model.get_weights()

    first, second = run(), run()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_numpy_global_seed_is_enough_for_reproducibility():
    def weights_after_seed(seed):
        np.random.seed(seed)
        return Sequential([Dense(4, input_shape=(3,))]).get_weights()[0]

    np.testing.assert_array_equal(weights_after_seed(5), weights_after_seed(5))
    assert not np.array_equal(weights_after_seed(5), weights_after_seed(6))


def test_nan_in_data_trains_on_and_shows_nan():
    x, y = data(n=20)
    x[5, 2] = np.nan
    model = softmax_model()
    history = model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    assert len(history.history["loss"]) == 2
    assert np.isnan(history.history["loss"][0])


def test_steps_per_epoch_with_arrays_uses_the_whole_data_each_step():
    x, y = data(n=12)
    model = softmax_model()
    w, b = [a.astype(np.float64) for a in model.get_weights()]
    model.fit(x, y, steps_per_epoch=3, epochs=1, verbose=0)
    for _ in range(3):
        _, gw, gb = np_cce_grad(w, b, x, y)
        w, b = w - 0.1 * gw, b - 0.1 * gb
    np.testing.assert_allclose(model.get_weights()[0], w, rtol=1e-4, atol=1e-6)


def test_progress_bar_output(capsys):
    x, y = data(n=40)
    model = softmax_model(metrics=["acc"])
    model.fit(x, y, epochs=2, batch_size=8, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert "40/40 [==============================]" in out
    assert " - loss: " in out and " - acc: " in out
    model.fit(x, y, epochs=1, batch_size=8, verbose=2, validation_data=(x, y))
    out = capsys.readouterr().out
    assert "Epoch 1/1\n - " in out and "val_acc" in out and "[" not in out


# Bad input.

def test_fit_before_compile():
    model = Sequential([Dense(2, input_shape=(3,))])
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(np.zeros((4, 3)), np.zeros((4, 2)))


@pytest.mark.parametrize("kwargs, error, match", [
    ({"batch_size": -1}, ValueError, "batch_size"),
    ({"batch_size": 2.5}, TypeError, "batch_size"),
    ({"epochs": -2}, ValueError, "epochs"),
    ({"epochs": "3"}, TypeError, "epochs"),
    ({"validation_split": 1.5}, ValueError, "validation_split"),
    ({"shuffle": "yes"}, ValueError, "shuffle"),
    ({"bogus": 1}, TypeError, "bogus"),
])
def test_bad_fit_arguments(kwargs, error, match):
    x, y = data(n=10)
    model = softmax_model()
    with pytest.raises(error, match=match):
        model.fit(x, y, verbose=0, **kwargs)


def test_bad_data():
    x, y = data(n=10)
    model = softmax_model()
    with pytest.raises(ValueError, match="same number of samples"):
        model.fit(x, y[:9], verbose=0)
    with pytest.raises(ValueError, match=r"`y`: expected activation_\d+ to have shape \(3,\)"):
        model.fit(x, np.zeros((10, 4)), verbose=0)
    with pytest.raises(ValueError, match=r"`x`: expected .* shape \(6,\)"):
        model.fit(np.zeros((10, 5)), y, verbose=0)
    with pytest.raises(ValueError, match=r"`x`: expected .* shape \(6,\)"):
        model.predict(np.zeros((10, 7)))
    with pytest.raises(TypeError, match="`x` must hold numbers"):
        model.fit(np.array([["a"] * 6] * 10), y, verbose=0)
    with pytest.raises(TypeError, match="`y` must hold numbers"):
        model.fit(x, np.array([[None] * 3] * 10), verbose=0)
    with pytest.raises(ValueError, match="to_categorical"):
        model.fit(x, np.zeros((10, 1)), verbose=0)


def test_bad_compile_arguments():
    model = Sequential([Dense(2, input_shape=(3,))])
    with pytest.raises(ValueError, match="nonexistent_loss"):
        model.compile("sgd", "nonexistent_loss")
    with pytest.raises(ValueError, match="nonexistent_metric"):
        model.compile("sgd", "mse", metrics=["nonexistent_metric"])
    with pytest.raises(ValueError, match="nonexistent_optimizer"):
        model.compile("nonexistent_optimizer", "mse")
    with pytest.raises(TypeError, match="metrics"):
        model.compile("sgd", "mse", metrics="acc")
    with pytest.raises(ValueError, match="loss"):
        model.compile("sgd", ["mse", "mae"])


def test_scan_unfriendly_models_dispatch_steps_on_the_cpu():
    from jeras.engine.training_arrays import _scan_steps
    from jeras.layers import Conv2D, GlobalAveragePooling2D
    dense = softmax_model()
    # Images of any size: the convolution keeps XLA's, whose gradient scans slowly.
    conv = Sequential([Conv2D(2, (3, 3), input_shape=(None, None, 1)),
                       GlobalAveragePooling2D(), Dense(2)])
    assert _scan_steps(dense)
    assert not _scan_steps(conv) and not conv.scan_friendly
    conv.compile("sgd", "mse")
    x, y = np.random.rand(10, 6, 6, 1), np.random.rand(10, 2)
    history = conv.fit(x, y, batch_size=4, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()


@pytest.mark.parametrize("batch_size", [1, 5, 7, 23, 32])
def test_predict_and_evaluate_cover_every_sample_once_whatever_the_batch_size(batch_size):
    # 23 samples: a short last batch (sliced so that it ends with the data), or
    # fewer samples than one batch.
    np.random.seed(0)
    model = Sequential([Dense(3, activation="tanh", input_shape=(4,)), Dense(2)])
    model.compile("sgd", "mse", metrics=["mae"])
    x, y = np.random.rand(23, 4).astype("float32"), np.random.rand(23, 2)
    w1, b1, w2, b2 = model.get_weights()
    expected = np.tanh(x @ w1 + b1) @ w2 + b2
    np.testing.assert_allclose(model.predict(x, batch_size=batch_size), expected,
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.evaluate(x, y, batch_size=batch_size, verbose=0),
                               [np.mean((expected - y) ** 2), np.mean(np.abs(expected - y))],
                               rtol=1e-5)


def test_target_tensors_hold_fixed_targets():
    from jeras.layers import Input
    from jeras.models import Model
    rng = np.random.RandomState(0)
    x, y = rng.rand(10, 4).astype("float32"), rng.rand(10, 2).astype("float32")
    inp = Input((4,))
    model = Model(inp, Dense(2, name="out")(inp))
    model.compile("sgd", "mse", target_tensors=[K.variable(y)])
    kernel, bias = model.get_weights()
    expected = np.mean((x @ kernel + bias - y) ** 2)
    np.testing.assert_allclose(model.train_on_batch(x, None), expected, rtol=1e-5)
    with pytest.raises(ValueError, match="`y` must be None"):
        model.train_on_batch(x, y)
    with pytest.raises(TypeError, match="target_tensors"):
        model.compile("sgd", "mse", target_tensors=set())
    with pytest.raises(ValueError, match="one entry per model output"):
        model.compile("sgd", "mse", target_tensors=[K.variable(y)] * 2)


def test_trainable_discrepancy_warns_at_summary_and_fit_until_recompiled():
    from jeras.layers import Input
    from jeras.models import Model
    a = Input((3,))
    inner = Model(a, Dense(1)(a))
    inner.trainable = False
    b = Input((3,))
    outer = Model(b, Dense(1)(inner(b)))
    outer.compile("adam", "mse")
    inner.trainable = True
    with pytest.warns(UserWarning, match="Discrepancy"):
        outer.summary(print_fn=lambda line: None)
    with pytest.warns(UserWarning, match="Discrepancy"):
        outer.fit(np.zeros((4, 3)), np.zeros((4, 1)), verbose=0)
    frozen = inner.get_weights()
    outer.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0)
    np.testing.assert_array_equal(inner.get_weights()[0], frozen[0])


def test_keras_2_2_4_training_utils_and_sparse_inputs():
    import scipy.sparse

    from jeras import losses
    from jeras.engine import training_utils
    a = np.zeros((4, 3))
    training_utils.check_array_length_consistency([a], [a], [a])
    with pytest.raises(ValueError, match="same number of samples"):
        training_utils.check_array_length_consistency([a], [np.zeros((3, 3))], None)
    with pytest.raises(ValueError, match="You are passing a target array"):
        training_utils.check_loss_and_target_compatibility(
            [np.zeros((2, 3, 1))], [losses.categorical_crossentropy], [(2, 3, 1)])
    with pytest.raises(ValueError, match="same shape as the output"):
        training_utils.check_loss_and_target_compatibility(
            [np.zeros((2, 5))], [losses.mean_squared_error], [(None, 6)])
    objective = training_utils.weighted_masked_objective(losses.mean_squared_error)
    y_true, y_pred = np.ones((4, 2)), np.zeros((4, 2))
    weights = np.array([1.0, 0.0, 1.0, 1.0])
    np.testing.assert_allclose(objective(y_true, y_pred, weights), 0.75 / 0.75)
    model = Sequential([Dense(1, input_shape=(3,), kernel_initializer="ones")])
    model.compile("sgd", "mse")
    dense = np.array([[1.0, 0.0, 2.0], [0.0, 0.0, 1.0]], "float32")
    np.testing.assert_allclose(model.predict(scipy.sparse.csr_matrix(dense)),
                               dense.sum(1, keepdims=True))


def test_keras_2_function_hooks_check_compile_and_create_the_slots(tmp_path):
    model = Sequential([Dense(2, input_shape=(3,))])
    model._make_predict_function()
    with pytest.raises(RuntimeError, match="compile your model"):
        model._make_train_function()
    model.compile("adam", "mse")
    model._make_test_function()
    model._make_train_function()
    # Adam's slots as 2.2.4 lists them: iterations, m and v per weight, vhat placeholders.
    slots = model.optimizer.get_weights()
    assert [np.shape(s) for s in slots] == [(), (3, 2), (2,), (3, 2), (2,), (1,), (1,)]
    assert not np.any(slots[0]) and not any(np.any(s) for s in slots[1:5])
    model.save(tmp_path / "m.h5")
    loaded = load_model(tmp_path / "m.h5")
    assert [np.shape(s) for s in loaded.optimizer.get_weights()] == [np.shape(s) for s in slots]


def test_gan_freeze_idiom_moves_only_the_generator_in_the_combined_model():
    import jax.numpy as jnp

    from jeras.layers import Input
    from jeras.models import Model
    rng = np.random.RandomState(0)
    discriminator = Sequential([Dense(4, activation="tanh", input_shape=(3,)),
                                Dense(1, activation="sigmoid")])
    discriminator.compile(optimizers.SGD(lr=0.1), "binary_crossentropy")
    generator = Sequential([Dense(3, input_shape=(2,))])
    discriminator.trainable = False
    z = Input((2,))
    combined = Model(z, discriminator(generator(z)))
    combined.compile(optimizers.SGD(lr=0.1), "binary_crossentropy")
    noise, ones = rng.rand(8, 2).astype("float32"), np.ones((8, 1), "float32")
    g0, d0 = generator.get_weights(), discriminator.get_weights()

    def loss(g_kernel, g_bias):
        h = jnp.tanh((noise @ g_kernel + g_bias) @ d0[0] + d0[1])
        p = jnp.clip(1 / (1 + jnp.exp(-(h @ d0[2] + d0[3]))), 1e-7, 1 - 1e-7)
        return -jnp.mean(jnp.log(p))

    grads = jax.grad(loss, argnums=(0, 1))(g0[0], g0[1])
    combined.train_on_batch(noise, ones)
    # The generator took one SGD step on the combined loss; the frozen discriminator stayed.
    for new, old, grad in zip(generator.get_weights(), g0, grads):
        np.testing.assert_allclose(new, old - 0.1 * np.asarray(grad), rtol=1e-4, atol=1e-6)
    for new, old in zip(discriminator.get_weights(), d0):
        np.testing.assert_array_equal(new, old)
    # Compiled before the freeze, the discriminator still trains on its own,
    # with 2.2.4's warning about the discrepancy.
    g1 = generator.get_weights()
    with pytest.warns(UserWarning, match="Discrepancy"):
        discriminator.train_on_batch(rng.rand(8, 3).astype("float32"), ones)
    assert all(np.any(new != old) for new, old in zip(discriminator.get_weights(), d0))
    for new, old in zip(generator.get_weights(), g1):
        np.testing.assert_array_equal(new, old)
