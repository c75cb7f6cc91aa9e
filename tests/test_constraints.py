"""Tests for jeras.constraints against numpy transcriptions of the Keras 2.2.4 formulas."""
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jeras import constraints

EPS = 1e-7  # K.epsilon()
AXES = [0, -1, [0, 1, 2]]


@pytest.fixture
def kernel():
    # A Conv2D-shaped kernel with varied norms: some columns far above 2, some below.
    rng = np.random.RandomState(0)
    return (rng.randn(3, 3, 4, 5) * rng.uniform(0.05, 2., size=(1, 1, 1, 5))).astype(np.float32)


def np_norms(w, axis):
    axis = axis if isinstance(axis, int) else tuple(axis)
    return np.sqrt(np.sum(np.square(w.astype(np.float64)), axis=axis, keepdims=True))


def check(constraint, w, expected):
    for fn in (constraint, jax.jit(constraint)):
        out = fn(jnp.asarray(w))
        assert out.shape == w.shape and out.dtype == jnp.float32
        np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("axis, max_value", [(0, 2), (1, 0.5), ([0, 1, 2], 1.5)])
def test_max_norm(kernel, axis, max_value):
    norms = np_norms(kernel, axis)
    expected = kernel * (np.clip(norms, 0, max_value) / (EPS + norms))
    check(constraints.MaxNorm(max_value, axis=axis), kernel, expected)
    out = np.asarray(constraints.MaxNorm(max_value, axis=axis)(kernel))
    assert np.all(np_norms(out, axis) <= max_value * (1 + 1e-5))


def test_max_norm_leaves_small_weights_alone():
    w = np.full((4, 3), 0.1, np.float32)
    np.testing.assert_allclose(np.asarray(constraints.MaxNorm()(w)), w, rtol=1e-5)


@pytest.mark.parametrize("axis", AXES)
def test_unit_norm(kernel, axis):
    expected = kernel / (EPS + np_norms(kernel, axis))
    check(constraints.UnitNorm(axis=axis), kernel, expected)
    out = np.asarray(constraints.UnitNorm(axis=axis)(kernel))
    np.testing.assert_allclose(np_norms(out, axis), 1., rtol=1e-5)


@pytest.mark.parametrize("axis, min_value, max_value, rate", [
    (0, 0.0, 1.0, 1.0), (-1, 0.5, 1.5, 0.3), ([0, 1, 2], 0.5, 1.5, 1.0),
    ((0, 1), 2.0, 3.0, 0.0)])
def test_min_max_norm(kernel, axis, min_value, max_value, rate):
    norms = np_norms(kernel, axis)
    desired = rate * np.clip(norms, min_value, max_value) + (1 - rate) * norms
    expected = kernel * (desired / (EPS + norms))
    check(constraints.MinMaxNorm(min_value, max_value, rate, axis), kernel, expected)


def test_min_max_norm_with_rate_one_lands_inside_the_bounds(kernel):
    out = np.asarray(constraints.MinMaxNorm(0.8, 1.2, axis=[0, 1, 2])(kernel))
    norms = np_norms(out, [0, 1, 2])
    assert np.all(norms >= 0.8 * (1 - 1e-5)) and np.all(norms <= 1.2 * (1 + 1e-5))


def test_non_neg(kernel):
    check(constraints.NonNeg(), kernel, kernel * (kernel >= 0))
    assert np.all(np.asarray(constraints.NonNeg()(kernel)) >= 0)


def test_base_constraint_is_identity(kernel):
    np.testing.assert_array_equal(np.asarray(constraints.Constraint()(kernel)), kernel)


def test_constraints_in_a_jitted_update(kernel):
    # The way an optimizer applies them: after the step, inside the compiled function.
    con = constraints.MaxNorm(1., axis=[0, 1, 2])

    @jax.jit
    def step(w, g):
        return con(w - 0.1 * g)

    out = np.asarray(step(jnp.asarray(kernel), jnp.ones_like(kernel)))
    assert np.all(np_norms(out, [0, 1, 2]) <= 1. + 1e-5)


def test_defaults_and_config_keys():
    assert constraints.MaxNorm().get_config() == {"max_value": 2, "axis": 0}
    assert constraints.UnitNorm().get_config() == {"axis": 0}
    assert constraints.MinMaxNorm().get_config() == {
        "min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0}
    assert constraints.NonNeg().get_config() == {}


def test_aliases():
    assert constraints.max_norm is constraints.maxnorm is constraints.MaxNorm
    assert constraints.non_neg is constraints.nonneg is constraints.NonNeg
    assert constraints.unit_norm is constraints.unitnorm is constraints.UnitNorm
    assert constraints.min_max_norm is constraints.MinMaxNorm


@pytest.mark.parametrize("name, cls", [
    ("MaxNorm", constraints.MaxNorm), ("max_norm", constraints.MaxNorm),
    ("maxnorm", constraints.MaxNorm), ("NonNeg", constraints.NonNeg),
    ("non_neg", constraints.NonNeg), ("nonneg", constraints.NonNeg),
    ("UnitNorm", constraints.UnitNorm), ("unit_norm", constraints.UnitNorm),
    ("unitnorm", constraints.UnitNorm), ("MinMaxNorm", constraints.MinMaxNorm),
    ("min_max_norm", constraints.MinMaxNorm),
])
def test_get_by_name(name, cls):
    con = constraints.get(name)
    assert type(con) is cls
    assert con.get_config() == cls().get_config()


def test_get_dict_callable_none_and_errors():
    con = constraints.get({"class_name": "MaxNorm", "config": {"max_value": 3, "axis": [0, 1]}})
    assert isinstance(con, constraints.MaxNorm)
    assert con.get_config() == {"max_value": 3, "axis": [0, 1]}
    assert constraints.get(None) is None

    def clip(w):
        return jnp.clip(w, -1., 1.)

    assert constraints.get(clip) is clip
    inst = constraints.NonNeg()
    assert constraints.get(inst) is inst
    with pytest.raises(ValueError, match="Unknown constraint: 'max_normal'"):
        constraints.get("max_normal")
    with pytest.raises(TypeError):
        constraints.get(3)


@pytest.mark.parametrize("con", [
    constraints.MaxNorm(3., axis=[0, 1, 2]), constraints.NonNeg(), constraints.UnitNorm(1),
    constraints.MinMaxNorm(0.2, 0.9, 0.5, -1)], ids=lambda c: type(c).__name__)
def test_config_round_trip(con):
    config = constraints.serialize(con)
    assert config == {"class_name": type(con).__name__, "config": con.get_config()}
    restored = constraints.deserialize(json.loads(json.dumps(config)))
    assert type(restored) is type(con)
    assert restored.get_config() == con.get_config()


def test_deserialize_custom_objects():
    class Halve(constraints.Constraint):
        def __call__(self, w):
            return w / 2

    con = constraints.deserialize({"class_name": "Halve", "config": {}},
                                  custom_objects={"Halve": Halve})
    assert isinstance(con, Halve)
