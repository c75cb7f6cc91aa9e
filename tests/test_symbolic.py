"""The backend on graph tensors: `K.*` on symbolic tensors, `K.function`, `K.gradients`."""
import numpy as np
import pytest

from jeras import backend as K
from jeras import losses
from jeras.layers import BatchNormalization, Dense, Dropout, Input
from jeras.models import Model


def test_backend_functions_on_graph_tensors_give_shapes_and_dtypes():
    x = Input((None, 6))
    assert K.int_shape(x) == (None, None, 6) and K.dtype(x) == "float32" and K.ndim(x) == 3
    m = K.mean(K.square(x), axis=-1)
    assert K.int_shape(m) == (None, None)
    flat = K.reshape(x, (-1, 3))
    assert K.int_shape(flat) == (None, 3)
    s = x[:, :, 2:]
    assert K.int_shape(s) == (None, None, 4)
    c = K.cast(K.argmax(x, axis=-1), "int32")
    assert K.dtype(c) == "int32" and K.int_shape(c) == (None, None)
    y = (x * 2.0 - 1.0) / 3.0
    assert K.int_shape(y) == (None, None, 6)
    assert K.is_keras_tensor(y) and not K.is_keras_tensor(K.placeholder(shape=(2,)))
    with pytest.raises(ValueError, match="Expected a symbolic tensor"):
        K.is_keras_tensor(np.zeros(2))
    assert K.is_placeholder(x) and not K.is_placeholder(y)


def test_function_computes_what_numpy_computes():
    x = Input((4,))
    a = K.placeholder(shape=(None, 4))
    out = K.sum(K.exp(x) * a, axis=1, keepdims=True)
    loss = losses.mean_squared_error(x, a)
    f = K.function([x, a], [out, loss])
    xv = np.random.RandomState(0).rand(5, 4).astype("float32")
    av = np.random.RandomState(1).rand(5, 4).astype("float32")
    o, lo = f([xv, av])
    np.testing.assert_allclose(o, (np.exp(xv) * av).sum(1, keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(lo, ((xv - av) ** 2).mean(-1), rtol=1e-5)
    with pytest.raises(ValueError, match="expected 2 input"):
        f([xv])
    with pytest.raises(ValueError, match="shape"):
        f([xv[:, :3], av])


def test_function_reads_weights_at_call_time_and_follows_the_learning_phase():
    inp = Input((50,))
    dense = Dense(50, kernel_initializer="ones", use_bias=False)
    bn = BatchNormalization()
    out = bn(Dropout(0.5)(dense(inp)))
    model = Model(inp, out)
    f = K.function([model.input, K.learning_phase()], [dense.output, model.output])
    x = np.ones((6, 50), "float32")
    np.testing.assert_allclose(f([x, 0])[0], np.full((6, 50), 50.0))
    dense.set_weights([np.full((50, 50), 2.0, "float32")])
    np.testing.assert_allclose(f([x, 0])[0], np.full((6, 50), 100.0))
    gamma, beta, mean, var = bn.get_weights()
    test_out = f([x, 0])[1]
    expected = (100.0 - mean) / np.sqrt(var + 1e-3) * gamma + beta
    np.testing.assert_allclose(test_out, np.broadcast_to(expected, (6, 50)), rtol=1e-4)
    train_out = f([x, 1])[1]
    assert not np.allclose(train_out, test_out)


def test_function_applies_updates_after_each_call():
    counter = K.variable(0.0)
    x = Input((3,))
    f = K.function([x], [K.sum(x)], updates=[K.update(counter, counter + K.sum(x))])
    f([np.ones((2, 3), "float32")])
    f([np.ones((2, 3), "float32")])
    assert float(K.get_value(counter)) == 12.0


def test_gradients_of_the_graph_match_the_analytic_ones():
    inp = Input((3,))
    dense = Dense(2, activation="tanh")
    out = dense(inp)
    loss = K.sum(K.square(out))
    grads = K.gradients(loss, [dense.kernel, inp])
    f = K.function([inp], grads)
    x = np.random.RandomState(2).rand(4, 3).astype("float32")
    g_kernel, g_input = f([x])
    w, b = dense.get_weights()
    h = np.tanh(x @ w + b)
    delta = 2 * h * (1 - h ** 2)
    np.testing.assert_allclose(g_kernel, x.T @ delta, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(g_input, delta @ w.T, rtol=1e-4, atol=1e-6)


def test_gradient_ascent_on_the_input_deep_dream_style():
    inp = Input((2,))
    out = Dense(1, kernel_initializer="ones", bias_initializer="zeros")(inp)
    loss = K.mean(out)
    step = K.function([inp], [loss] + K.gradients(loss, inp))
    x = np.zeros((1, 2), "float32")
    for _ in range(3):
        value, grad = step([x])
        x = x + grad
    np.testing.assert_allclose(x, [[3.0, 3.0]], rtol=1e-6)


def test_in_train_phase_on_graph_tensors():
    inp = Input((2,))
    out = K.in_train_phase(inp * 2.0, inp * 3.0)
    f = K.function([inp, K.learning_phase()], [out])
    x = np.ones((1, 2), "float32")
    np.testing.assert_allclose(f([x, 1])[0], 2 * x)
    np.testing.assert_allclose(f([x, 0])[0], 3 * x)


def test_a_function_that_fails_on_graph_tensors_names_itself():
    with pytest.raises(ValueError, match="dot: cannot be applied to tensors of shapes"):
        K.dot(Input((3,)), Input((4,)))


def test_a_layer_mask_of_graph_tensors_is_computed_by_a_function():
    from jeras.layers import Masking
    x = Input((3, 2))
    masking = Masking(0.0)
    masking(x)
    f = K.function([x], [masking.compute_mask(masking.input)])
    xv = np.array([[[0, 0], [1, 0], [0, 2]], [[3, 3], [0, 0], [0, 0]]], "float32")
    np.testing.assert_array_equal(f([xv])[0], np.any(xv != 0, axis=-1))
    # On arrays the mask is computed at once.
    np.testing.assert_array_equal(np.asarray(masking.compute_mask(xv)), np.any(xv != 0, -1))


def test_gradients_with_respect_to_an_intermediate_tensor():
    x = Input((3,))
    h = Dense(4, kernel_initializer="ones", bias_initializer="zeros")(x)
    loss = K.sum(K.square(h))
    grad_h, grad_x = K.gradients(loss, [h, x])
    xv = np.random.RandomState(0).rand(2, 3).astype("float32")
    gh, gx = K.function([x], [grad_h, grad_x])([xv])
    hv = xv @ np.ones((3, 4), "float32")
    np.testing.assert_allclose(gh, 2 * hv, rtol=1e-5)
    np.testing.assert_allclose(gx, 2 * hv @ np.ones((4, 3), "float32"), rtol=1e-5)


def test_lambda_taking_gradients_between_its_inputs_runs_on_the_graph():
    # 2.2.4's mnist_swwae: where the max of each pooling window was.
    from jeras.layers import Lambda, MaxPooling2D

    def where(tensors):
        before, after = tensors
        return K.gradients(K.sum(after), before)

    x = Input((4, 4, 1))
    pooled = MaxPooling2D()(x)
    mask = Lambda(where, output_shape=lambda shapes: shapes[0])([x, pooled])
    assert K.int_shape(mask) == (None, 4, 4, 1)
    xv = np.random.RandomState(1).rand(3, 4, 4, 1).astype("float32")
    got = Model(x, mask).predict(xv)
    blocks = xv.reshape(3, 2, 2, 2, 2).transpose(0, 1, 3, 2, 4).reshape(3, 2, 2, 4)
    want = (blocks == blocks.max(-1, keepdims=True)).astype("float32")
    want = want.reshape(3, 2, 2, 2, 2).transpose(0, 1, 3, 2, 4).reshape(3, 4, 4, 1)
    np.testing.assert_array_equal(got, want)
