"""Tests for jeras.initializers against formulas written out here."""
import json
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jeras import initializers

TRUNC_STD = 0.87962566103423978  # std of a unit normal truncated to [-2, 2]
# XLA compiles each random draw once per shape (about a second on a small CPU),
# so the tests share one shape wherever the shape itself is not under test.
SHAPE = (300, 200)
# Orthogonal runs an SVD, slow on a busy CPU for large matrices: keep it small.
ORTH_SHAPE = (6, 5)

ALL_NAMES = [
    "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform", "TruncatedNormal",
    "VarianceScaling", "Orthogonal", "lecun_uniform", "glorot_normal", "glorot_uniform",
    "he_normal", "lecun_normal", "he_uniform", "zero", "zeros", "one", "ones", "constant",
    "uniform", "random_uniform", "normal", "random_normal", "truncated_normal", "orthogonal",
]


def sample(init, shape=SHAPE):
    return np.asarray(init(shape), dtype=np.float64)


# --- constants -------------------------------------------------------------

def test_zeros_ones_constant_values_shape_dtype():
    for init, value in [(initializers.Zeros(), 0.), (initializers.Ones(), 1.),
                        (initializers.Constant(3.5), 3.5), (initializers.Constant(), 0.)]:
        w = init((4, 5))
        assert isinstance(w, np.ndarray)
        assert w.shape == (4, 5) and w.dtype == jnp.float32
        np.testing.assert_array_equal(np.asarray(w), np.full((4, 5), value))
        assert init([2, 3, 4], dtype="float16").dtype == jnp.float16


def test_constant_broadcasts_an_array_value():
    w = initializers.Constant(np.array([1., 2., 3.]))((2, 3))
    np.testing.assert_array_equal(np.asarray(w), [[1., 2., 3.], [1., 2., 3.]])


def test_identity():
    w = initializers.Identity(gain=2.5)((6, 6))
    np.testing.assert_allclose(np.asarray(w), 2.5 * np.eye(6))
    assert w.dtype == jnp.float32
    wide = initializers.Identity()((2, 4))
    np.testing.assert_allclose(np.asarray(wide), [[1, 0, 1, 0], [0, 1, 0, 1]])
    tall = initializers.Identity()((6, 3))
    np.testing.assert_allclose(np.asarray(tall), np.vstack([np.eye(3), np.eye(3)]))
    for bad in [(3, 4), (3,), (2, 2, 2)]:
        with pytest.raises(ValueError, match="multiple of the short side"):
            initializers.Identity()(bad)


def test_deterministic_initializers_under_jit():
    for init in [initializers.Zeros(), initializers.Constant(2.), initializers.Identity(3.)]:
        eager = np.asarray(init((6, 6)))
        jitted = np.asarray(jax.jit(lambda init=init: init((6, 6)))())
        np.testing.assert_allclose(jitted, eager, rtol=1e-6)


# --- plain random distributions --------------------------------------------

def test_random_uniform_statistics():
    lo, hi = -0.3, 0.7
    w = sample(initializers.RandomUniform(lo, hi, seed=1))
    assert w.min() >= lo and w.max() < hi
    assert w.min() < lo + 0.01 and w.max() > hi - 0.01
    assert abs(w.mean() - (lo + hi) / 2) < 0.01
    assert abs(w.std() - (hi - lo) / math.sqrt(12)) < 0.01 * (hi - lo)


def test_random_normal_statistics():
    w = sample(initializers.RandomNormal(mean=1.5, stddev=0.2, seed=2))
    assert abs(w.mean() - 1.5) < 0.005
    assert abs(w.std() - 0.2) / 0.2 < 0.02
    # An untruncated normal goes past 3 stddev in a sample of 60000.
    assert np.abs(w - 1.5).max() > 3 * 0.2


def test_truncated_normal_never_beyond_two_stddev():
    mean, stddev = -0.5, 0.1
    w = sample(initializers.TruncatedNormal(mean, stddev, seed=3))
    assert np.abs(w - mean).max() <= 2 * stddev * (1 + 1e-6)
    assert np.abs(w - mean).max() > 1.95 * stddev
    assert abs(w.mean() - mean) < 0.002
    assert abs(w.std() - TRUNC_STD * stddev) / (TRUNC_STD * stddev) < 0.02


def test_default_parameters_match_keras():
    assert initializers.RandomNormal().get_config() == {"mean": 0., "stddev": 0.05, "seed": None}
    assert initializers.RandomUniform().get_config() == {
        "minval": -0.05, "maxval": 0.05, "seed": None}
    assert initializers.TruncatedNormal().get_config() == {
        "mean": 0., "stddev": 0.05, "seed": None}
    assert initializers.VarianceScaling().get_config() == {
        "scale": 1.0, "mode": "fan_in", "distribution": "normal", "seed": None}
    assert initializers.Orthogonal().get_config() == {"gain": 1., "seed": None}
    assert initializers.Identity().get_config() == {"gain": 1.}
    assert initializers.Constant().get_config() == {"value": 0}
    assert initializers.Zeros().get_config() == {}


def test_random_dtypes():
    # eval_shape traces without compiling: the dtype is decided at trace time.
    for init in [initializers.RandomNormal(), initializers.RandomUniform(),
                 initializers.TruncatedNormal(), initializers.glorot_uniform(),
                 initializers.he_normal(), initializers.Orthogonal()]:
        for dtype, expected in [(None, jnp.float32), ("bfloat16", jnp.bfloat16),
                                ("float16", jnp.float16)]:
            out = jax.eval_shape(lambda init=init, dtype=dtype: init((8, 4), dtype=dtype))
            assert out.shape == (8, 4) and out.dtype == expected


# --- variance scaling ------------------------------------------------------

@pytest.mark.parametrize("shape, fans", [
    ((300, 200), (300, 200)),
    ((3, 3, 16, 32), (3 * 3 * 16, 3 * 3 * 32)),  # Conv2D kernel, channels_last
    ((5, 8, 16), (5 * 8, 5 * 16)),  # Conv1D kernel
    ((2, 3, 3, 4, 8), (2 * 3 * 3 * 4, 2 * 3 * 3 * 8)),  # Conv3D kernel
    ((100,), (10., 10.)),  # no assumption: sqrt(prod(shape)) for both
    ((), (1., 1.)),
    ((2, 2, 2, 2, 2, 2), (8., 8.)),
])
def test_compute_fans(shape, fans):
    assert initializers._compute_fans(shape) == pytest.approx(fans)


def test_conv_kernel_fans_seen_in_the_values():
    # He uniform on a (3, 3, 16, 32) kernel: fan_in = 3*3*16 = 144, limit sqrt(6/144).
    limit = math.sqrt(6 / 144)
    w = sample(initializers.he_uniform(seed=4), (3, 3, 16, 32))
    assert np.abs(w).max() <= limit * (1 + 1e-6)
    assert np.abs(w).max() > 0.99 * limit
    # Glorot uniform on it: fan_avg = (144 + 288) / 2.
    limit = math.sqrt(3 / ((144 + 288) / 2))
    w = sample(initializers.glorot_uniform(seed=4), (3, 3, 16, 32))
    assert limit * 0.99 < np.abs(w).max() <= limit * (1 + 1e-6)


@pytest.mark.parametrize("factory, n, scale, distribution", [
    (initializers.glorot_uniform, (300 + 200) / 2, 1., "uniform"),
    (initializers.glorot_normal, (300 + 200) / 2, 1., "normal"),
    (initializers.he_uniform, 300, 2., "uniform"),
    (initializers.he_normal, 300, 2., "normal"),
    (initializers.lecun_uniform, 300, 1., "uniform"),
    (initializers.lecun_normal, 300, 1., "normal"),
])
def test_named_variance_scaling_statistics(factory, n, scale, distribution):
    w = sample(factory(seed=11), (300, 200))
    target_std = math.sqrt(scale / n)
    assert abs(w.mean()) < 0.02 * target_std
    assert abs(w.std() - target_std) / target_std < 0.02
    if distribution == "uniform":
        bound = math.sqrt(3 * scale / n)
    else:
        bound = 2 * target_std / TRUNC_STD
    assert np.abs(w).max() <= bound * (1 + 1e-6)
    assert np.abs(w).max() > 0.97 * bound


def test_glorot_uniform_on_dense_kernel():
    w = sample(initializers.glorot_uniform(), (300, 200))
    assert np.abs(w).max() <= math.sqrt(6 / 500) * (1 + 1e-6)
    assert abs(w.std() - math.sqrt(2 / 500)) / math.sqrt(2 / 500) < 0.02


def test_variance_scaling_modes():
    shape = (300, 200)
    for mode, n in [("fan_in", 300), ("fan_out", 200), ("fan_avg", 250)]:
        w = sample(initializers.VarianceScaling(3., mode, "uniform", seed=0), shape)
        assert abs(w.std() - math.sqrt(3. / n)) / math.sqrt(3. / n) < 0.02


def test_variance_scaling_normalises_case():
    init = initializers.VarianceScaling(mode="FAN_AVG", distribution="Uniform")
    assert init.mode == "fan_avg" and init.distribution == "uniform"


@pytest.mark.parametrize("kwargs, argument", [
    ({"scale": 0.}, "scale"), ({"scale": -1.}, "scale"),
    ({"mode": "fan_sum"}, "mode"), ({"distribution": "cauchy"}, "distribution"),
])
def test_variance_scaling_rejects_bad_arguments(kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        initializers.VarianceScaling(**kwargs)


def test_named_functions_return_variance_scaling_configs():
    expected = {
        "lecun_uniform": (1., "fan_in", "uniform"), "glorot_normal": (1., "fan_avg", "normal"),
        "glorot_uniform": (1., "fan_avg", "uniform"), "he_normal": (2., "fan_in", "normal"),
        "lecun_normal": (1., "fan_in", "normal"), "he_uniform": (2., "fan_in", "uniform"),
    }
    for name, (scale, mode, distribution) in expected.items():
        init = getattr(initializers, name)(seed=7)
        assert type(init) is initializers.VarianceScaling
        assert init.get_config() == {"scale": scale, "mode": mode,
                                     "distribution": distribution, "seed": 7}


# --- orthogonal ------------------------------------------------------------

@pytest.mark.parametrize("shape, gain", [(ORTH_SHAPE, 2.), ((2, 3, 5), 0.5)])
def test_orthogonal_columns(shape, gain):
    w = np.asarray(initializers.Orthogonal(gain=gain, seed=1)(shape), dtype=np.float64)
    assert w.shape == shape
    flat = w.reshape(-1, shape[-1])
    np.testing.assert_allclose(flat.T @ flat, gain ** 2 * np.eye(shape[-1]), atol=1e-5)


def test_orthogonal_wide_matrix_has_orthonormal_rows():
    w = np.asarray(initializers.Orthogonal(gain=1.5, seed=1)((5, 6)), dtype=np.float64)
    np.testing.assert_allclose(w @ w.T, 2.25 * np.eye(5), atol=1e-5)


def test_orthogonal_needs_two_dimensions():
    with pytest.raises(ValueError, match="2 dimensions"):
        initializers.Orthogonal()((5,))


# --- seeding ---------------------------------------------------------------

SEEDABLE = [
    (lambda seed: initializers.RandomNormal(seed=seed), SHAPE),
    (lambda seed: initializers.RandomUniform(seed=seed), SHAPE),
    (lambda seed: initializers.TruncatedNormal(seed=seed), SHAPE),
    (lambda seed: initializers.VarianceScaling(seed=seed), SHAPE),
    (lambda seed: initializers.glorot_uniform(seed=seed), SHAPE),
    (lambda seed: initializers.Orthogonal(seed=seed), ORTH_SHAPE),
]


@pytest.mark.parametrize("make, shape", SEEDABLE)
def test_seeded_initializers_repeat(make, shape):
    a, b = make(42)(shape), make(42)(shape)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    init = make(42)
    np.testing.assert_array_equal(np.asarray(init(shape)), np.asarray(init(shape)))
    assert not np.array_equal(np.asarray(a), np.asarray(make(43)(shape)))


@pytest.mark.parametrize("make, shape", SEEDABLE)
def test_numpy_global_seed_makes_unseeded_reproducible(make, shape):
    init = make(None)
    np.random.seed(123)
    first, second = np.asarray(init(shape)), np.asarray(init(shape))
    assert not np.array_equal(first, second)
    np.random.seed(123)
    np.testing.assert_array_equal(np.asarray(init(shape)), first)
    np.testing.assert_array_equal(np.asarray(init(shape)), second)


# --- lookup and serialization ----------------------------------------------

@pytest.mark.parametrize("name", ALL_NAMES)
def test_get_by_every_name(name):
    init = initializers.get(name)
    assert isinstance(init, initializers.Initializer)
    shape = ORTH_SHAPE if name.lower() == "orthogonal" else SHAPE
    w = init(shape)
    assert w.shape == shape and w.dtype == jnp.float32


def test_get_identity_by_name():
    for name in ["identity", "Identity"]:
        np.testing.assert_array_equal(np.asarray(initializers.get(name)((6, 6))), np.eye(6))


def test_names_resolve_to_the_right_objects():
    assert isinstance(initializers.get("zeros"), initializers.Zeros)
    assert isinstance(initializers.get("one"), initializers.Ones)
    assert isinstance(initializers.get("uniform"), initializers.RandomUniform)
    assert isinstance(initializers.get("normal"), initializers.RandomNormal)
    assert isinstance(initializers.get("truncated_normal"), initializers.TruncatedNormal)
    assert initializers.get("he_normal").get_config() == initializers.he_normal().get_config()
    assert initializers.zero is initializers.zeros is initializers.Zeros
    assert initializers.uniform is initializers.random_uniform is initializers.RandomUniform
    assert initializers.normal is initializers.random_normal is initializers.RandomNormal


def test_get_passes_through_none_and_callables():
    assert initializers.get(None) is None

    def my_init(shape, dtype=None):
        return jnp.full(shape, 7., dtype or "float32")

    assert initializers.get(my_init) is my_init
    inst = initializers.RandomUniform(seed=1)
    assert initializers.get(inst) is inst


def test_get_unknown_name_and_bad_type():
    with pytest.raises(ValueError, match="Unknown initializer: 'foo'"):
        initializers.get("foo")
    with pytest.raises(TypeError):
        initializers.get(42)


def test_get_config_dict():
    init = initializers.get({"class_name": "VarianceScaling",
                             "config": {"scale": 2., "mode": "fan_out",
                                        "distribution": "uniform", "seed": 3}})
    assert isinstance(init, initializers.VarianceScaling)
    assert (init.scale, init.mode, init.distribution, init.seed) == (2., "fan_out", "uniform", 3)


ROUND_TRIP = [
    initializers.Zeros(), initializers.Ones(), initializers.Constant(1.25),
    initializers.RandomNormal(0.1, 0.3, seed=1), initializers.RandomUniform(-1., 2., seed=2),
    initializers.TruncatedNormal(0., 1., seed=3), initializers.VarianceScaling(2., "fan_avg"),
    initializers.Orthogonal(1.3, seed=4), initializers.Identity(0.7),
    initializers.glorot_uniform(), initializers.he_normal(seed=5),
]


@pytest.mark.parametrize("init", ROUND_TRIP, ids=lambda i: type(i).__name__)
def test_config_round_trip(init):
    config = initializers.serialize(init)
    assert config == {"class_name": type(init).__name__, "config": init.get_config()}
    restored = initializers.deserialize(json.loads(json.dumps(config)))
    assert type(restored) is type(init)
    assert restored.get_config() == init.get_config()
    assert type(init).from_config(init.get_config()).get_config() == init.get_config()


def test_glorot_uniform_serializes_as_variance_scaling():
    assert initializers.serialize(initializers.glorot_uniform()) == {
        "class_name": "VarianceScaling",
        "config": {"scale": 1., "mode": "fan_avg", "distribution": "uniform", "seed": None}}


def test_deserialize_with_custom_objects_and_names():
    class Halves(initializers.Initializer):
        def __call__(self, shape, dtype=None):
            return jnp.full(shape, 0.5, dtype or "float32")

    init = initializers.deserialize({"class_name": "Halves", "config": {}},
                                    custom_objects={"Halves": Halves})
    assert isinstance(init, Halves)
    assert isinstance(initializers.deserialize("glorot_normal"), initializers.VarianceScaling)
