"""Losses against NumPy transcriptions of the Keras 2.2.4 formulas.

References run in float64 on the same float32 inputs; the clip bounds are
the float32 values jeras and Keras both use (`1 - eps` rounds to
0.99999988 in float32), so clipped edge cases agree to float32 precision.
"""
import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jeras import backend as K
from jeras import losses

EPS = float(np.float32(1e-7))
ONE_MINUS_EPS = float(np.float32(1.0) - np.float32(1e-7))

RNG = np.random.default_rng(1234)


def f32(x):
    return np.asarray(x, dtype=np.float32)


def f64(x):
    return np.asarray(x, dtype=np.float64)


def softmax_np(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def one_hot_np(ids, n):
    return np.eye(n, dtype=np.float32)[ids]


# --- NumPy references (one value per sample: reduce the last axis only) ---

def ref_mse(t, p):
    return np.mean((f64(p) - f64(t)) ** 2, axis=-1)


def ref_mae(t, p):
    return np.mean(np.abs(f64(p) - f64(t)), axis=-1)


def ref_mape(t, p):
    t, p = f64(t), f64(p)
    return 100.0 * np.mean(np.abs((t - p) / np.maximum(np.abs(t), EPS)), axis=-1)


def ref_msle(t, p):
    t, p = f64(t), f64(p)
    return np.mean((np.log1p(np.maximum(p, EPS)) - np.log1p(np.maximum(t, EPS))) ** 2, axis=-1)


def ref_squared_hinge(t, p):
    return np.mean(np.maximum(1.0 - f64(t) * f64(p), 0.0) ** 2, axis=-1)


def ref_hinge(t, p):
    return np.mean(np.maximum(1.0 - f64(t) * f64(p), 0.0), axis=-1)


def ref_categorical_hinge(t, p):
    t, p = f64(t), f64(p)
    pos = np.sum(t * p, axis=-1)
    neg = np.max((1.0 - t) * p, axis=-1)
    return np.maximum(0.0, neg - pos + 1.0)


def ref_logcosh(t, p):
    # log(cosh(x)) written the plain way: float64 has room for cosh of the test values.
    return np.mean(np.log(np.cosh(f64(p) - f64(t))), axis=-1)


def ref_cce(t, p):
    t, p = f64(t), f64(p)
    p = np.clip(p / p.sum(axis=-1, keepdims=True), EPS, ONE_MINUS_EPS)
    return -np.sum(t * np.log(p), axis=-1)


def ref_sparse_cce(ids, p):
    # Keras 2.2.4 clips, takes logs and feeds them to a softmax cross-entropy,
    # i.e. renormalises the clipped probabilities.
    p = np.clip(f64(p), EPS, ONE_MINUS_EPS)
    p = p / p.sum(axis=-1, keepdims=True)
    ids = np.asarray(ids).astype(np.int64).reshape(p.shape[:-1])
    return -np.log(np.take_along_axis(p, ids[..., None], axis=-1)[..., 0])


def ref_bce(t, p):
    # The logit round trip is the identity on clipped p, so the plain formula applies.
    t, p = f64(t), np.clip(f64(p), EPS, ONE_MINUS_EPS)
    return np.mean(-(t * np.log(p) + (1.0 - t) * np.log(1.0 - p)), axis=-1)


def ref_kld(t, p):
    t, p = np.clip(f64(t), EPS, 1.0), np.clip(f64(p), EPS, 1.0)
    return np.sum(t * np.log(t / p), axis=-1)


def ref_poisson(t, p):
    t, p = f64(t), f64(p)
    return np.mean(p - t * np.log(p + EPS), axis=-1)


def ref_cosine(t, p):
    def l2n(x):
        x = f64(x)
        return x / np.sqrt(np.maximum(np.sum(x * x, axis=-1, keepdims=True), 1e-12))
    return -np.sum(l2n(t) * l2n(p), axis=-1)


@functools.cache
def jitted(fn):
    """One compiled version per loss: eager dispatch compiles every primitive
    separately and would make this file several times slower."""
    return jax.jit(fn)


def check(fn, ref, t, p, rtol=1e-6, atol=1e-6):
    out = jitted(fn)(jnp.asarray(t), jnp.asarray(p))
    assert out.dtype == jnp.float32
    assert out.shape == np.shape(p)[:-1]
    out = np.asarray(out)
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, ref(t, p), rtol=rtol, atol=atol)


# --- Random inputs, 2-D and 3-D ---

def random_case(kind, shape):
    """Seeded (y_true, y_pred) of `shape` suited to the loss family `kind`."""
    if kind == "regression":
        return f32(RNG.normal(size=shape) * 2), f32(RNG.normal(size=shape) * 2)
    if kind == "positive":
        return f32(RNG.uniform(0.0, 3.0, shape)), f32(RNG.uniform(0.0, 3.0, shape))
    if kind == "signs":
        return f32(RNG.choice([-1.0, 1.0], size=shape)), f32(RNG.normal(size=shape))
    if kind == "onehot":
        t = one_hot_np(RNG.integers(0, shape[-1], shape[:-1]), shape[-1])
        return t, f32(softmax_np(RNG.normal(size=shape) * 2))
    if kind == "distributions":
        return (f32(softmax_np(RNG.normal(size=shape))),
                f32(softmax_np(RNG.normal(size=shape))))
    if kind == "binary":
        return f32(RNG.integers(0, 2, shape)), f32(RNG.uniform(0.01, 0.99, shape))
    raise AssertionError(kind)


DENSE_CASES = [
    ("mean_squared_error", ref_mse, "regression"),
    ("mean_absolute_error", ref_mae, "regression"),
    ("mean_absolute_percentage_error", ref_mape, "regression"),
    ("mean_squared_logarithmic_error", ref_msle, "positive"),
    ("squared_hinge", ref_squared_hinge, "signs"),
    ("hinge", ref_hinge, "signs"),
    ("categorical_hinge", ref_categorical_hinge, "onehot"),
    ("logcosh", ref_logcosh, "regression"),
    ("categorical_crossentropy", ref_cce, "onehot"),
    ("binary_crossentropy", ref_bce, "binary"),
    ("kullback_leibler_divergence", ref_kld, "distributions"),
    ("poisson", ref_poisson, "positive"),
    ("cosine_proximity", ref_cosine, "regression"),
]


@pytest.mark.parametrize("shape", [(8, 5), (3, 4, 6)], ids=["2d", "3d"])
@pytest.mark.parametrize("name,ref,kind", DENSE_CASES, ids=[c[0] for c in DENSE_CASES])
def test_random_inputs_match_reference(name, ref, kind, shape):
    t, p = random_case(kind, shape)
    # logcosh subtracts log(2) from terms of size ~1 to get values ~x**2/2.
    atol = 1e-5 if name == "logcosh" else 1e-6
    check(getattr(losses, name), ref, t, p, atol=atol)


@pytest.mark.parametrize("shape", [(8, 5), (3, 4, 6)], ids=["2d", "3d"])
def test_sparse_cce_random_matches_reference(shape):
    ids = RNG.integers(0, shape[-1], shape[:-1])
    p = f32(softmax_np(RNG.normal(size=shape) * 2))
    check(losses.sparse_categorical_crossentropy, ref_sparse_cce, ids, p)
    # On normalised probabilities away from the clip it is -log p[class].
    plain = -np.log(np.take_along_axis(f64(p), ids[..., None], axis=-1)[..., 0])
    out = jitted(losses.sparse_categorical_crossentropy)(ids, p)
    np.testing.assert_allclose(np.asarray(out), plain, rtol=1e-5)
    # ... and categorical crossentropy on the one-hot targets.
    dense = jitted(losses.categorical_crossentropy)(one_hot_np(ids, shape[-1]), p)
    np.testing.assert_allclose(np.asarray(out), np.asarray(dense), rtol=1e-5)


# --- Edge values ---

P_EDGE = f32([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
T_EDGE = f32([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])


def test_cce_exact_zero_and_one_probabilities_are_finite():
    check(losses.categorical_crossentropy, ref_cce, T_EDGE, P_EDGE)
    out = np.asarray(jitted(losses.categorical_crossentropy)(T_EDGE, P_EDGE))
    # A confident right answer costs -log(1 - eps); a confident wrong one -log(eps).
    np.testing.assert_allclose(out[:2], [-math.log(ONE_MINUS_EPS), -math.log(EPS)], rtol=1e-5)


def test_cce_renormalises_predictions():
    p = f32([[2.0, 6.0, 2.0]])
    t = f32([[0.0, 1.0, 0.0]])
    np.testing.assert_allclose(
        np.asarray(jitted(losses.categorical_crossentropy)(t, p)), [-math.log(0.6)], rtol=1e-6)


def test_sparse_cce_edge_probabilities_are_finite():
    ids = np.array([1, 1, 2, 0])
    check(losses.sparse_categorical_crossentropy, ref_sparse_cce, ids, P_EDGE, rtol=1e-5)


@pytest.mark.parametrize("label_shape", [(4,), (4, 1)])
@pytest.mark.parametrize("label_dtype", [np.int32, np.float32])
def test_sparse_cce_label_shapes_and_dtypes(label_shape, label_dtype):
    ids = np.array([2, 0, 1, 2]).reshape(label_shape).astype(label_dtype)
    p = f32(softmax_np(RNG.normal(size=(4, 3))))
    out = jitted(losses.sparse_categorical_crossentropy)(jnp.asarray(ids), jnp.asarray(p))
    assert out.shape == (4,)
    np.testing.assert_allclose(np.asarray(out), ref_sparse_cce(ids, p), rtol=1e-6)


@pytest.mark.parametrize("label_shape", [(2, 5), (2, 5, 1)])
def test_sparse_cce_sequences(label_shape):
    ids = RNG.integers(0, 4, (2, 5))
    p = f32(softmax_np(RNG.normal(size=(2, 5, 4))))
    out = jitted(losses.sparse_categorical_crossentropy)(ids.reshape(label_shape), p)
    assert out.shape == (2, 5)
    np.testing.assert_allclose(np.asarray(out), ref_sparse_cce(ids, p), rtol=1e-6)


def test_sparse_cce_wrong_number_of_ids_names_the_shapes():
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(4, 2\)"):
        losses.sparse_categorical_crossentropy(np.zeros((4, 2), np.int32), P_EDGE)


def test_bce_exact_zero_and_one_probabilities_are_finite():
    t = f32([[0.0, 1.0, 0.0, 1.0], [1.0, 1.0, 0.0, 0.5]])
    p = f32([[0.0, 1.0, 1.0, 0.0], [1.0, 0.5, 0.0, 1.0]])
    check(losses.binary_crossentropy, ref_bce, t, p, rtol=1e-5)
    # A confident wrong answer costs about -log(eps) ~ 16, not infinity.
    wrong = np.asarray(jitted(losses.binary_crossentropy)(f32([[0.0]]), f32([[1.0]])))
    np.testing.assert_allclose(wrong, [-math.log(1.0 - ONE_MINUS_EPS)], rtol=1e-5)


def test_bce_accepts_integer_targets_and_one_unit_outputs():
    t = np.array([1, 0, 1, 1])
    p = f32([[0.9], [0.2], [0.4], [1.0]])
    out = jitted(losses.binary_crossentropy)(t, p)
    assert out.shape == (4,)
    np.testing.assert_allclose(np.asarray(out), ref_bce(t[:, None], p), rtol=1e-5)


def test_mape_zeros_in_y_true_are_finite():
    t = f32([[0.0, 2.0, -4.0], [0.0, 0.0, 0.0]])
    p = f32([[1.0, 1.0, -2.0], [0.0, 3.0, -1e-3]])
    check(losses.mean_absolute_percentage_error, ref_mape, t, p)


def test_msle_clips_negatives_like_keras():
    t = f32([[-3.0, 0.0, 2.0], [1.0, -1.0, 0.5]])
    p = f32([[-1.0, 4.0, 0.0], [1.0, 2.0, -7.0]])
    check(losses.mean_squared_logarithmic_error, ref_msle, t, p)


def test_hinge_negative_labels():
    t = f32([[-1.0, 1.0, -1.0], [1.0, 1.0, -1.0]])
    p = f32([[0.3, -2.0, -0.5], [2.0, 0.0, 1.5]])
    check(losses.hinge, ref_hinge, t, p)
    check(losses.squared_hinge, ref_squared_hinge, t, p)


def test_categorical_hinge_negative_scores():
    t = f32([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    p = f32([[-1.0, -3.0, -0.5], [2.0, 1.5, -4.0]])
    check(losses.categorical_hinge, ref_categorical_hinge, t, p)


def test_logcosh_large_errors_do_not_overflow():
    t = f32([[0.0, 0.0], [0.0, 0.0]])
    p = f32([[100.0, -100.0], [0.0, 1e-3]])
    check(losses.logcosh, ref_logcosh, t, p)
    np.testing.assert_allclose(
        np.asarray(jitted(losses.logcosh)(t, p))[0], 100.0 - math.log(2.0), rtol=1e-6)


def test_kld_zeros_in_both():
    t = f32([[0.0, 1.0, 0.0], [0.5, 0.5, 0.0]])
    p = f32([[0.0, 0.0, 1.0], [0.5, 0.0, 0.5]])
    check(losses.kullback_leibler_divergence, ref_kld, t, p, rtol=1e-5)


def test_poisson_zero_rates():
    t = f32([[0.0, 2.0, 1.0], [3.0, 0.0, 0.0]])
    p = f32([[0.0, 0.0, 1.0], [2.5, 0.0, 0.1]])
    check(losses.poisson, ref_poisson, t, p)


def test_cosine_zero_vector_and_parallel_vectors():
    t = f32([[0.0, 0.0, 0.0], [1.0, 2.0, 2.0], [1.0, 0.0, 0.0]])
    p = f32([[1.0, 2.0, 3.0], [2.0, 4.0, 4.0], [-3.0, 0.0, 0.0]])
    check(losses.cosine_proximity, ref_cosine, t, p)
    np.testing.assert_allclose(
        np.asarray(jitted(losses.cosine_proximity)(t, p)), [0.0, -1.0, 1.0], atol=1e-6)


def test_regression_targets_of_shape_batch_against_one_unit_output():
    t = f32([1.0, 2.0, 3.0])
    p = f32([[1.5], [2.0], [0.0]])
    out = jitted(losses.mean_squared_error)(t, p)
    assert out.shape == (3,)
    np.testing.assert_allclose(np.asarray(out), [0.25, 0.0, 9.0], rtol=1e-6)


def test_epsilon_is_read_at_call_time():
    t, p = f32([[0.0, 1.0]]), f32([[1.0, 0.0]])
    old = K.epsilon()
    try:
        K.set_epsilon(1e-3)
        out = np.asarray(losses.categorical_crossentropy(t, p))
    finally:
        K.set_epsilon(old)
    np.testing.assert_allclose(out, [-math.log(1e-3)], rtol=1e-5)


ALL_LOSSES = [c[0] for c in DENSE_CASES] + ["sparse_categorical_crossentropy"]


KIND = {name: kind for name, _, kind in DENSE_CASES}


# Every test above runs compiled; eager dispatch compiles each primitive on its
# own and is slow, so eager calls are checked on the losses with the most
# varied operations (gather and reshape, clip and log, softplus).
@pytest.mark.parametrize("name", ["sparse_categorical_crossentropy", "binary_crossentropy",
                                  "logcosh"])
def test_eager_and_jit_agree(name):
    fn = getattr(losses, name)
    if name == "sparse_categorical_crossentropy":
        t, p = RNG.integers(0, 5, (8,)), random_case("onehot", (8, 5))[1]
    else:
        t, p = random_case(KIND[name], (8, 5))
    np.testing.assert_allclose(np.asarray(jitted(fn)(t, p)), np.asarray(fn(t, p)),
                               rtol=1e-6, atol=1e-7)


def test_gradients_are_finite_at_clipped_edges():
    grad = jax.jit(jax.grad(lambda p: jnp.sum(losses.binary_crossentropy(T_EDGE, p)
                                              + losses.categorical_crossentropy(T_EDGE, p))))
    assert np.all(np.isfinite(np.asarray(grad(jnp.asarray(P_EDGE)))))


# --- Names, aliases, lookup ---

ALIASES = {
    "mse": "mean_squared_error", "MSE": "mean_squared_error",
    "mae": "mean_absolute_error", "MAE": "mean_absolute_error",
    "mape": "mean_absolute_percentage_error", "MAPE": "mean_absolute_percentage_error",
    "msle": "mean_squared_logarithmic_error", "MSLE": "mean_squared_logarithmic_error",
    "kld": "kullback_leibler_divergence", "KLD": "kullback_leibler_divergence",
    "cosine": "cosine_proximity", "cosine_similarity": "cosine_proximity",
}


@pytest.mark.parametrize("alias,full", sorted(ALIASES.items()))
def test_aliases_are_the_same_objects(alias, full):
    assert getattr(losses, alias) is getattr(losses, full)
    assert losses.get(alias) is getattr(losses, full)


@pytest.mark.parametrize("name", ALL_LOSSES)
def test_get_serialize_deserialize_by_full_name(name):
    fn = getattr(losses, name)
    assert fn.__name__ == name
    assert losses.get(name) is fn
    assert losses.serialize(fn) == name
    assert losses.deserialize(name) is fn


def test_serialize_alias_gives_full_name():
    assert losses.serialize(losses.mse) == "mean_squared_error"


def test_get_none_and_callables():
    assert losses.get(None) is None

    def my_loss(y_true, y_pred):
        return jnp.mean(y_pred - y_true, axis=-1)

    assert losses.get(my_loss) is my_loss
    assert losses.deserialize("my_loss", custom_objects={"my_loss": my_loss}) is my_loss


def test_unknown_name_is_value_error_naming_it():
    with pytest.raises(ValueError, match="'no_such_loss'"):
        losses.get("no_such_loss")


def test_other_types_are_type_error():
    with pytest.raises(TypeError):
        losses.get(42)
