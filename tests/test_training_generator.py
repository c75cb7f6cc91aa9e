"""fit_generator, evaluate_generator and predict_generator on generators and Sequences."""
import warnings

import numpy as np
import pytest

from jeras import callbacks
from jeras.layers import Dense
from jeras.models import Sequential
from jeras.utils import Sequence, data_utils

RNG = np.random.RandomState(0)
X = RNG.randn(100, 4).astype("float32")
Y = (X.sum(axis=1, keepdims=True) > 0).astype("float32")


class Batches(Sequence):
    def __init__(self, x, y, batch_size, weights=None):
        self.x, self.y, self.batch_size, self.weights = x, y, batch_size, weights
        self.epoch_ends = 0

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, i):
        s = slice(i * self.batch_size, (i + 1) * self.batch_size)
        if self.weights is None:
            return self.x[s], self.y[s]
        return self.x[s], self.y[s], self.weights[s]

    def on_epoch_end(self):
        self.epoch_ends += 1


def looping(x, y, batch_size, counter=None):
    while True:
        for i in range(0, len(x), batch_size):
            if counter is not None:
                counter.append(i)
            yield x[i:i + batch_size], y[i:i + batch_size]


def make_model(seed=1):
    np.random.seed(seed)
    model = Sequential([Dense(8, activation="tanh", input_dim=4),
                        Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy", metrics=["acc"])
    return model


def test_sequence_trains_exactly_like_fit_on_the_same_batches():
    by_arrays, by_sequence = make_model(), make_model()
    h1 = by_arrays.fit(X, Y, batch_size=32, epochs=3, shuffle=False, verbose=0,
                       validation_data=(X[:30], Y[:30]))
    seq = Batches(X, Y, 32)
    h2 = by_sequence.fit_generator(seq, epochs=3, shuffle=False, verbose=0,
                                   validation_data=Batches(X[:30], Y[:30], 7))
    for a, b in zip(by_arrays.get_weights(), by_sequence.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for key in ("loss", "acc", "val_loss", "val_acc"):
        np.testing.assert_allclose(h1.history[key], h2.history[key], rtol=1e-5, atol=1e-6)
    assert seq.epoch_ends == 3
    # The short last batch (4 of 32 rows) was padded: one compiled train step.
    assert by_sequence._functions[("generator", "train", None)]._cache_size() == 1
    assert by_sequence.evaluate_generator(Batches(X, Y, 32)) == pytest.approx(
        by_sequence.evaluate(X, Y, verbose=0), rel=1e-5)
    assert by_sequence.evaluate(Batches(X, Y, 30), verbose=0) == pytest.approx(
        by_sequence.evaluate(X, Y, verbose=0), rel=1e-5)
    np.testing.assert_allclose(by_sequence.predict_generator(Batches(X, Y, 32), workers=2),
                               by_sequence.predict(X), rtol=1e-6)
    np.testing.assert_allclose(by_sequence.predict((X[i:i + 40] for i in range(0, 100, 40)),
                                                   steps=3), by_sequence.predict(X), rtol=1e-6)


def test_a_sequence_with_use_multiprocessing_trains_the_same_without_a_warning():
    # 2.2.4 warns about processes for plain generators only; threads read a
    # Sequence here, and its batches and their order are unchanged.
    by_threads, by_flag = make_model(), make_model()
    by_threads.fit_generator(Batches(X, Y, 32), epochs=1, shuffle=False, verbose=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        by_flag.fit_generator(Batches(X, Y, 32), epochs=1, shuffle=False, verbose=0,
                              workers=2, use_multiprocessing=True)
    assert [str(w.message) for w in caught if "Sequence" in str(w.message)] == []
    for a, b in zip(by_threads.get_weights(), by_flag.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_a_generator_set_up_by_on_train_begin_is_read_after_it():
    # 2.2.4's image_ocr: the generator is also a callback that fills itself there.
    Callback = callbacks.Callback

    class Source(Callback):
        def on_train_begin(self, logs=None):
            self.rows = X

        def batches(self):
            while True:
                yield self.rows[:32], Y[:32]

    source = Source()
    model = make_model()
    model.fit_generator(source.batches(), steps_per_epoch=2, verbose=0, workers=1,
                        callbacks=[source])
    reference = make_model()
    reference.fit(np.concatenate([X[:32]] * 2), np.concatenate([Y[:32]] * 2), batch_size=32,
                  shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_generator_with_callbacks_class_weight_and_bounded_reading():
    seen, read = [], []

    class Batch(callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append((batch, logs["size"], sorted(logs)))

    model = make_model()
    history = model.fit(looping(X, Y, 32, read), steps_per_epoch=4, epochs=2, verbose=0,
                        validation_data=looping(X, Y, 50), validation_steps=2,
                        class_weight={0: 1.0, 1: 2.0}, callbacks=[Batch()], max_queue_size=3)
    assert [s[:2] for s in seen] == [(0, 32), (1, 32), (2, 32), (3, 4)] * 2
    assert seen[0][2] == ["acc", "batch", "loss", "size"]
    assert sorted(history.history) == ["acc", "loss", "val_acc", "val_loss"]
    assert history.history["val_loss"][-1] == pytest.approx(model.evaluate(X, Y, verbose=0)[0],
                                                            rel=1e-5)
    # 8 batches trained; the reading thread ran at most a queue's length ahead.
    assert 8 <= len(read) <= 8 + 3 + 1
    weighted = make_model()
    weighted.fit_generator(looping(X, Y, 32), steps_per_epoch=4, class_weight={0: 1.0, 1: 2.0},
                           verbose=0, workers=0)
    plain = make_model()
    plain.fit_generator(looping(X, Y, 32), steps_per_epoch=4, verbose=0, workers=0)
    assert not np.allclose(plain.get_weights()[0], weighted.get_weights()[0])


def test_keras2_arguments_without_effect_warn_once():
    data_utils._WARNED.clear()
    model = make_model()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(2):
            model.fit_generator(looping(X, Y, 50), steps_per_epoch=2, verbose=0, workers=4,
                                use_multiprocessing=True)
    texts = [str(w.message) for w in caught]
    assert sum("use_multiprocessing" in t for t in texts) == 1
    assert sum("workers=4" in t for t in texts) == 1


@pytest.mark.parametrize("workers", [0, 1])
def test_bad_generators_say_what_and_where(workers):
    model = make_model()

    def short():
        yield X[:10], Y[:10]

    with pytest.raises(ValueError, match=r"stopped after 1 batch\(es\), at step 2/3 of epoch 1"):
        model.fit_generator(short(), steps_per_epoch=3, verbose=0, workers=workers)

    def wrong_shape():
        while True:
            yield X[:10, :3], Y[:10]

    with pytest.raises(ValueError, match=r"fit_generator: the batch read at step 1/2 of epoch 1 "
                                         r"does not fit the model: .*shape \(4,\).*\(3,\)"):
        model.fit_generator(wrong_shape(), steps_per_epoch=2, verbose=0, workers=workers)

    def not_a_tuple():
        while True:
            yield X[:10]

    with pytest.raises(ValueError, match=r"should be a tuple `\(x, y\)`.*got ndarray"):
        model.fit_generator(not_a_tuple(), steps_per_epoch=2, verbose=0, workers=workers)

    def raising():
        yield X[:10], Y[:10]
        raise KeyError("broken record 17")

    with pytest.raises(KeyError, match="broken record 17") as info:
        model.fit_generator(raising(), steps_per_epoch=3, verbose=0, workers=workers)
    assert any("fit_generator, asked for step 2/3 of epoch 1" in n
               for n in info.value.__notes__)

    with pytest.raises(ValueError, match=r"`steps_per_epoch=None` is only valid for a "
                                         r"jeras.utils.Sequence"):
        model.fit_generator(looping(X, Y, 10), verbose=0, workers=workers)
    with pytest.raises(ValueError, match="`y` must be None when `x` is a generator"):
        model.fit(looping(X, Y, 10), Y, steps_per_epoch=2)
    with pytest.raises(TypeError, match="must be a Python generator"):
        model.fit_generator([X, Y], steps_per_epoch=2)


def test_stateful_model_moves_its_states_through_generator_methods():
    from jeras.layers import SimpleRNN
    x = RNG.randn(8, 3, 2).astype("float32")
    y = RNG.randn(8, 1).astype("float32")
    model = Sequential([SimpleRNN(1, stateful=True, batch_input_shape=(4, 3, 2))])
    model.compile("sgd", "mse")
    # Two batches in order: the generator methods must see what the array methods see.
    expected = model.predict(x, batch_size=4)
    model.reset_states()
    np.testing.assert_allclose(model.predict_generator(Batches(x, y, 4)), expected, rtol=1e-6)
    model.reset_states()
    loss = model.evaluate(x, y, batch_size=4, verbose=0)
    state = model.layers[0].states[0].numpy()
    model.reset_states()
    assert model.evaluate_generator(Batches(x, y, 4)) == pytest.approx(loss, rel=1e-6)
    np.testing.assert_allclose(model.layers[0].states[0].numpy(), state, rtol=1e-6)
    model.reset_states()
    model.fit_generator(Batches(x, y, 4), epochs=1, verbose=0, shuffle=False)
    assert np.abs(model.layers[0].states[0].numpy()).sum() > 0
    with pytest.raises(ValueError, match=r"step 1/2.*batches of exactly 4 samples.*got a "
                                         r"batch size of 3"):
        model.evaluate_generator(Batches(x[:6], y[:6], 3))
    with pytest.raises(ValueError, match=r"fit_generator \(validation data\): in a stateful "
                                         r"network.*Found: 6 samples"):
        model.fit_generator(Batches(x, y, 4), validation_data=(x[:6], y[:6]), verbose=0)
