"""The one model-owned state: values, optimizer slots, step and seed, and who owns a layer."""
import numpy as np
import pytest

from jeras import optimizers
from jeras.engine import model_state
from jeras.layers import Dense, Dropout, Input
from jeras.models import Model, Sequential, load_model


def _dense_model(name=None, units=2):
    return Sequential([Dense(units, input_shape=(3,), name=name)])


def _data(n=8, seed=0):
    rng = np.random.RandomState(seed)
    return rng.rand(n, 3).astype("float32"), rng.rand(n, 2).astype("float32")


def test_values_live_in_the_model_state_and_layers_read_them_there():
    model = _dense_model()
    layer = model.layers[0]
    assert layer._home[0] is model
    own = model._state.values[layer._home[1]]
    np.testing.assert_array_equal(np.asarray(own[0]), layer.get_weights()[0])

    new_kernel = np.arange(6, dtype="float32").reshape(3, 2)
    layer.set_weights([new_kernel, np.zeros(2, "float32")])
    np.testing.assert_array_equal(np.asarray(model._state.values[layer._home[1]][0]), new_kernel)

    model.compile("sgd", "mse")
    x, y = _data()
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    # One SGD step per batch, computed by hand: the state holds the result.
    kernel, bias = new_kernel.astype(np.float64), np.zeros(2)
    for start in (0, 4):
        xb, yb = x[start:start + 4].astype(np.float64), y[start:start + 4].astype(np.float64)
        err = 2 * (xb @ kernel + bias - yb) / yb.size
        kernel, bias = kernel - 0.01 * xb.T @ err, bias - 0.01 * err.sum(0)
    np.testing.assert_allclose(np.asarray(model._state.values[layer._home[1]][0]), kernel,
                               rtol=1e-5)
    np.testing.assert_allclose(layer.get_weights()[1], bias, rtol=1e-5, atol=1e-7)


def test_optimizer_slots_and_step_count_are_in_the_state():
    model = _dense_model()
    model.compile(optimizers.Adam(), "mse")
    x, y = _data(10)
    model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    assert int(model._state.step) == 6
    assert int(model._state.opt_state.iterations) == 6
    assert model.optimizer.state is model._state.opt_state
    assert int(model._state.seed) >= 0
    slots = model.optimizer.get_weights()
    # 2.2.4's order: iterations, then m, v and vhat of the kernel and the bias.
    assert len(slots) == 7 and int(slots[0]) == 6
    np.testing.assert_array_equal(slots[1], np.asarray(model._state.opt_state.m[0]))


def _gan(shared_optimizer):
    d_in = Input((2,))
    discriminator = Model(d_in, Dense(1, activation="sigmoid", name="d_dense")(d_in))
    d_opt = optimizers.Adam(0.01)
    discriminator.compile(d_opt, "binary_crossentropy")
    z = Input((3,))
    generator = Model(z, Dense(2, name="g_dense")(z))
    discriminator.trainable = False
    combined = Model(z, discriminator(generator(z)))
    combined.compile(d_opt if shared_optimizer else optimizers.Adam(0.01), "binary_crossentropy")
    return discriminator, generator, combined


def test_a_shared_layer_is_owned_by_the_first_model_and_trained_through_the_second():
    np.random.seed(1)
    discriminator, generator, combined = _gan(shared_optimizer=False)
    d_layer, g_layer = discriminator.get_layer("d_dense"), generator.get_layer("g_dense")
    assert d_layer._home[0] is discriminator and g_layer._home[0] is generator
    # The combined model owns no values: every layer under it was owned before.
    assert combined._state.values == []
    d_before, g_before = d_layer.get_weights(), g_layer.get_weights()
    combined.train_on_batch(np.ones((4, 3), "float32"), np.ones((4, 1), "float32"))
    for before, after in zip(d_before, d_layer.get_weights()):
        np.testing.assert_array_equal(before, after)
    assert not np.allclose(g_before[0], g_layer.get_weights()[0])
    # The generator's new values are in the generator's own state.
    np.testing.assert_array_equal(np.asarray(generator._state.values[g_layer._home[1]][0]),
                                  g_layer.get_weights()[0])


def test_models_sharing_one_optimizer_keep_their_own_slots():
    def run(shared):
        np.random.seed(2)
        discriminator, generator, combined = _gan(shared)
        rng = np.random.RandomState(0)
        losses = []
        for _ in range(3):
            xd, yd = rng.rand(4, 2).astype("float32"), rng.randint(0, 2, (4, 1))
            losses.append(discriminator.train_on_batch(xd, yd))
            losses.append(combined.train_on_batch(rng.rand(4, 3).astype("float32"),
                                                  np.ones((4, 1), "float32")))
        return losses, discriminator, combined

    shared_losses, discriminator, combined = run(True)
    separate_losses, _, _ = run(False)
    # One Adam instance behaves as two: each model's slots follow its own weights.
    np.testing.assert_allclose(shared_losses, separate_losses, rtol=1e-6)
    assert len(discriminator._state.opt_state.m) == 2
    assert len(combined._state.opt_state.m) == 2
    assert int(discriminator._state.opt_state.iterations) == 3


def test_pop_gives_a_layer_its_values_back():
    model = Sequential([Dense(4, input_shape=(3,)), Dense(2, name="top")])
    top = model.layers[1]
    weights = top.get_weights()
    model.pop()
    assert "_home" not in top.__dict__
    for before, after in zip(weights, top.get_weights()):
        np.testing.assert_array_equal(before, after)
    assert model._state.values[1] == []


def test_a_layer_in_no_model_keeps_its_values():
    layer = Dense(2)
    layer.build((None, 3))
    assert model_state.storage_leaves(layer) == [layer]
    assert "_home" not in layer.__dict__ and len(layer._values) == 2


def test_train_on_batch_draws_new_keys_each_call_from_the_seeded_state():
    def losses():
        np.random.seed(3)
        model = Sequential([Dropout(0.5, input_shape=(3,)),
                            Dense(1, kernel_initializer="ones")])
        model.compile(optimizers.SGD(0.0), "mse")
        x, y = np.ones((16, 3), "float32"), np.zeros((16, 1), "float32")
        return [float(model.train_on_batch(x, y)) for _ in range(4)]

    first, second = losses(), losses()
    assert first == second
    assert len(set(first)) > 1


@pytest.mark.parametrize("shared", [True, False])
def test_saving_writes_the_saved_models_own_slots(tmp_path, shared):
    discriminator, _, combined = _gan(shared)
    for _ in range(2):
        discriminator.train_on_batch(np.ones((4, 2), "float32"), np.ones((4, 1)))
    combined.train_on_batch(np.ones((4, 3), "float32"), np.ones((4, 1)))
    path = tmp_path / "d.h5"
    discriminator.save(str(path))
    loaded = load_model(str(path))
    slots = loaded.optimizer.get_weights()
    assert int(slots[0]) == 2
    np.testing.assert_array_equal(slots[1], np.asarray(discriminator._state.opt_state.m[0]))
