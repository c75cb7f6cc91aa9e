"""Tests for jeras.regularizers against numpy transcriptions of the penalty."""
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jeras import regularizers


def f32(value):
    """What Keras 2.2.4 stores: the factor rounded to float32, back as a Python float."""
    return float(np.float32(value))


@pytest.fixture
def weights():
    return np.random.RandomState(0).randn(7, 5).astype(np.float32)


def numpy_penalty(x, l1, l2):
    x = x.astype(np.float64)
    return l1 * np.abs(x).sum() + l2 * np.square(x).sum()


@pytest.mark.parametrize("l1, l2", [(0.01, 0.), (0., 0.02), (0.3, 0.05), (0., 0.)])
def test_l1l2_penalty_matches_numpy(weights, l1, l2):
    reg = regularizers.L1L2(l1=l1, l2=l2)
    expected = numpy_penalty(weights, l1, l2)
    for fn in (reg, jax.jit(reg)):
        value = fn(jnp.asarray(weights))
        assert value.shape == ()
        np.testing.assert_allclose(float(value), expected, rtol=1e-5, atol=1e-7)


def test_l1l2_gradient(weights):
    reg = regularizers.L1L2(l1=0.1, l2=0.2)
    grad = jax.jit(jax.grad(reg))(jnp.asarray(weights))
    np.testing.assert_allclose(np.asarray(grad),
                               f32(0.1) * np.sign(weights) + 2 * f32(0.2) * weights, rtol=1e-5)


def test_penalty_keeps_the_weights_dtype():
    x = jnp.ones((3, 3), jnp.bfloat16)
    assert regularizers.l2(0.5)(x).dtype == jnp.bfloat16
    assert regularizers.L1L2()(x).dtype == jnp.bfloat16


def test_base_regularizer_is_zero(weights):
    assert float(regularizers.Regularizer()(weights)) == 0.


def test_shortcut_functions():
    assert regularizers.l1().get_config() == {"l1": f32(0.01), "l2": 0.}
    assert regularizers.l2().get_config() == {"l1": 0., "l2": f32(0.01)}
    assert regularizers.l1_l2().get_config() == {"l1": f32(0.01), "l2": f32(0.01)}
    assert regularizers.l1(0.5).get_config() == {"l1": 0.5, "l2": 0.}
    assert regularizers.l2(l=0.25).get_config() == {"l1": 0., "l2": 0.25}
    assert regularizers.l1_l2(l1=0.125, l2=0.75).get_config() == {"l1": 0.125, "l2": 0.75}
    assert regularizers.L1L2().get_config() == {"l1": 0., "l2": 0.}


def test_config_holds_python_floats_rounded_like_keras():
    config = regularizers.L1L2(l1=np.float64(0.001), l2=0.01).get_config()
    assert set(config) == {"l1", "l2"}
    assert all(type(v) is float for v in config.values())
    # Keras 2.2.4 casts the factors to floatx, so 0.01 is written as 0.009999999776482582.
    assert config == {"l1": f32(0.001), "l2": 0.009999999776482582}


@pytest.mark.parametrize("name, expected", [
    ("l1", {"l1": f32(0.01), "l2": 0.}), ("l2", {"l1": 0., "l2": f32(0.01)}),
    ("l1_l2", {"l1": f32(0.01), "l2": f32(0.01)}), ("L1L2", {"l1": 0., "l2": 0.}),
])
def test_get_by_name(name, expected):
    reg = regularizers.get(name)
    assert isinstance(reg, regularizers.L1L2)
    assert reg.get_config() == expected


def test_get_dict_callable_none_and_errors():
    reg = regularizers.get({"class_name": "L1L2", "config": {"l1": 0.5, "l2": 0.25}})
    assert isinstance(reg, regularizers.L1L2) and reg.get_config() == {"l1": 0.5, "l2": 0.25}
    assert regularizers.get(None) is None

    def my_reg(x):
        return 0.1 * jnp.sum(x)

    assert regularizers.get(my_reg) is my_reg
    inst = regularizers.l2()
    assert regularizers.get(inst) is inst
    with pytest.raises(ValueError, match="Unknown regularizer: 'l3'"):
        regularizers.get("l3")
    with pytest.raises(TypeError):
        regularizers.get(0.01)


@pytest.mark.parametrize("reg", [regularizers.L1L2(0.3, 0.7), regularizers.l2(0.02),
                                 regularizers.l1_l2(), regularizers.L1L2()])
def test_config_round_trip(reg):
    config = regularizers.serialize(reg)
    assert config == {"class_name": "L1L2", "config": reg.get_config()}
    restored = regularizers.deserialize(json.loads(json.dumps(config)))
    assert type(restored) is regularizers.L1L2
    assert restored.get_config() == reg.get_config()
    # Rounding to float32 is idempotent, so a saved config reloads to the same numbers.
    assert regularizers.L1L2.from_config(reg.get_config()).get_config() == reg.get_config()


def test_deserialize_custom_objects():
    class Sum(regularizers.Regularizer):
        def __call__(self, x):
            return jnp.sum(x)

    reg = regularizers.deserialize({"class_name": "Sum", "config": {}},
                                   custom_objects={"Sum": Sum})
    assert isinstance(reg, Sum)
    assert float(reg(jnp.ones((2, 3)))) == 6.
