"""Metrics against NumPy transcriptions of Keras 2.2.4, and `resolve`'s branches."""
import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jeras import losses, metrics

RNG = np.random.default_rng(7)


@functools.cache
def jitted(fn):
    """One compiled version per metric (and `k`), which keeps the file fast."""
    return jax.jit(fn, static_argnames=("k",) if "top_k" in fn.__name__ else ())


def f32(x):
    return np.asarray(x, dtype=np.float32)


def one_hot_np(ids, n):
    return np.eye(n, dtype=np.float32)[ids]


def run(fn, t, p, shape=None, **kwargs):
    out = jitted(fn)(jnp.asarray(t), jnp.asarray(p), **kwargs)
    assert out.dtype == jnp.float32
    assert out.shape == (np.shape(p)[:-1] if shape is None else shape)
    return np.asarray(out)


# --- NumPy references ---

def ref_binary_accuracy(t, p):
    return np.mean(f32(t) == np.round(f32(p)), axis=-1)


def ref_categorical_accuracy(t, p):
    return (np.argmax(t, axis=-1) == np.argmax(p, axis=-1)).astype(np.float32)


def ref_top_k(ids, p, k):
    """True class among the k largest by a full sort (valid for scores without ties)."""
    top = np.argsort(-p, axis=-1)[..., :k]
    return np.any(top == np.asarray(ids)[..., None], axis=-1).astype(np.float32)


# --- binary_accuracy ---

@pytest.mark.parametrize("shape", [(16, 3), (4, 5, 2)], ids=["2d", "3d"])
def test_binary_accuracy_random(shape):
    t = f32(RNG.integers(0, 2, shape))
    p = f32(RNG.uniform(0.0, 1.0, shape))
    np.testing.assert_allclose(run(metrics.binary_accuracy, t, p), ref_binary_accuracy(t, p),
                               rtol=1e-6)


def test_binary_accuracy_edges():
    # Exactly 0.5 rounds half to even, to 0, as tf.round does.
    t = f32([[0.0, 1.0, 0.0, 1.0], [1.0, 1.0, 0.0, 0.0]])
    p = f32([[0.0, 1.0, 0.5, 0.5], [1.0, 0.49, 0.51, 0.0]])
    np.testing.assert_allclose(run(metrics.binary_accuracy, t, p), [0.75, 0.5], rtol=1e-6)


def test_binary_accuracy_batch_targets_against_one_unit_output():
    t = np.array([1, 0, 1])
    p = f32([[0.9], [0.7], [0.2]])
    np.testing.assert_allclose(run(metrics.binary_accuracy, t, p), [1.0, 0.0, 0.0])


# --- categorical and sparse categorical accuracy ---

@pytest.mark.parametrize("shape", [(16, 4), (3, 5, 4)], ids=["2d", "3d"])
def test_categorical_accuracy_random(shape):
    ids = RNG.integers(0, shape[-1], shape[:-1])
    t, p = one_hot_np(ids, shape[-1]), f32(RNG.uniform(size=shape))
    np.testing.assert_allclose(run(metrics.categorical_accuracy, t, p),
                               ref_categorical_accuracy(t, p))


def test_categorical_accuracy_ties_go_to_first_class():
    t = f32([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    p = f32([[0.4, 0.4, 0.2], [0.4, 0.4, 0.2]])
    np.testing.assert_allclose(run(metrics.categorical_accuracy, t, p), [1.0, 0.0])


@pytest.mark.parametrize("label_shape", [(16,), (16, 1)])
@pytest.mark.parametrize("label_dtype", [np.int32, np.float32])
def test_sparse_categorical_accuracy_label_forms(label_shape, label_dtype):
    ids = RNG.integers(0, 4, 16)
    p = f32(RNG.uniform(size=(16, 4)))
    out = run(metrics.sparse_categorical_accuracy, ids.reshape(label_shape).astype(label_dtype), p)
    np.testing.assert_allclose(out, ref_categorical_accuracy(one_hot_np(ids, 4), p))


@pytest.mark.parametrize("label_shape", [(3, 5), (3, 5, 1)])
def test_sparse_categorical_accuracy_sequences(label_shape):
    ids = RNG.integers(0, 4, (3, 5))
    p = f32(RNG.uniform(size=(3, 5, 4)))
    out = run(metrics.sparse_categorical_accuracy, ids.reshape(label_shape), p)
    np.testing.assert_allclose(out, ref_categorical_accuracy(one_hot_np(ids, 4), p))


def test_sparse_categorical_accuracy_compares_as_floats():
    p = f32([[0.1, 0.8, 0.1], [0.1, 0.8, 0.1]])
    np.testing.assert_allclose(run(metrics.sparse_categorical_accuracy, f32([1.0, 1.5]), p),
                               [1.0, 0.0])


# --- top k ---
# Keras 2.2.4 returns `K.mean(K.in_top_k(...), axis=-1)`: for (batch, classes)
# scores, one scalar, the batch's mean.

@pytest.mark.parametrize("k", [1, 2, 5])
def test_top_k_random_is_the_batch_mean(k):
    ids = RNG.integers(0, 8, 32)
    p = f32(RNG.uniform(size=(32, 8)))
    expected = ref_top_k(ids, p, k).mean()
    np.testing.assert_allclose(
        run(metrics.top_k_categorical_accuracy, one_hot_np(ids, 8), p, shape=(), k=k), expected,
        rtol=1e-6)
    np.testing.assert_allclose(
        run(metrics.sparse_top_k_categorical_accuracy, ids, p, shape=(), k=k), expected,
        rtol=1e-6)
    np.testing.assert_allclose(
        run(metrics.sparse_top_k_categorical_accuracy, f32(ids).reshape(32, 1), p, shape=(),
            k=k), expected, rtol=1e-6)


def test_top_1_is_the_mean_of_categorical_accuracy():
    ids = RNG.integers(0, 6, 20)
    t, p = one_hot_np(ids, 6), f32(RNG.uniform(size=(20, 6)))
    np.testing.assert_allclose(run(metrics.top_k_categorical_accuracy, t, p, shape=(), k=1),
                               run(metrics.categorical_accuracy, t, p).mean(), rtol=1e-6)


def test_top_k_default_k_is_5_and_ties_count_as_in():
    p = f32([[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.05],
             [0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3]])
    ids = np.array([6, 6])
    # Out of the top 5 in the first row, tied into it in the second.
    np.testing.assert_allclose(
        np.asarray(metrics.sparse_top_k_categorical_accuracy(ids, p)), 0.5)
    np.testing.assert_allclose(
        np.asarray(metrics.top_k_categorical_accuracy(one_hot_np(ids, 7), p)), 0.5)
    np.testing.assert_allclose(
        np.asarray(metrics.sparse_top_k_categorical_accuracy(ids[1:], p[1:])), 1.0)


def test_top_k_sequences():
    ids = RNG.integers(0, 5, (2, 3))
    p = f32(RNG.uniform(size=(2, 3, 5)))
    np.testing.assert_allclose(run(metrics.sparse_top_k_categorical_accuracy, ids, p, k=2),
                               ref_top_k(ids, p, 2))


# --- eager and compiled agree ---

METRIC_FUNCTIONS = ["binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
                    "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy"]


@pytest.mark.parametrize("name", METRIC_FUNCTIONS)
def test_eager_and_jit_agree(name):
    fn = getattr(metrics, name)
    ids = RNG.integers(0, 6, 10)
    p = f32(RNG.uniform(size=(10, 6)))
    t = ids if name.startswith("sparse") else one_hot_np(ids, 6)
    np.testing.assert_array_equal(np.asarray(jax.jit(fn)(t, p)), np.asarray(fn(t, p)))


# --- Names and lookup ---

LOSS_NAMES = ["mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
              "mean_squared_logarithmic_error", "squared_hinge", "hinge", "categorical_hinge",
              "logcosh", "categorical_crossentropy", "sparse_categorical_crossentropy",
              "binary_crossentropy", "kullback_leibler_divergence", "poisson",
              "cosine_proximity"]
ALIASES = ["mse", "MSE", "mae", "MAE", "mape", "MAPE", "msle", "MSLE", "kld", "KLD",
           "cosine", "cosine_similarity"]


@pytest.mark.parametrize("name", LOSS_NAMES + ALIASES)
def test_losses_are_re_exported_as_the_same_objects(name):
    assert getattr(metrics, name) is getattr(losses, name)
    assert metrics.get(name) is getattr(losses, name)


@pytest.mark.parametrize("name", METRIC_FUNCTIONS + LOSS_NAMES)
def test_get_serialize_deserialize(name):
    fn = getattr(metrics, name)
    assert metrics.get(name) is fn
    assert metrics.serialize(fn) == name
    assert metrics.deserialize(name) is fn


def test_acc_is_not_a_metric_function():
    assert not hasattr(metrics, "acc")
    with pytest.raises(ValueError, match="'acc'"):
        metrics.get("acc")


def test_get_none_callable_and_bad_types():
    assert metrics.get(None) is None
    assert metrics.get(metrics.binary_accuracy) is metrics.binary_accuracy
    with pytest.raises(ValueError, match="'nope'"):
        metrics.get("nope")
    # A TypeError by kind, and the ValueError Keras 2.2.4 raises.
    for kind in (TypeError, ValueError):
        with pytest.raises(kind, match="metric function identifier"):
            metrics.get(3.5)


# --- resolve ---

BCE = losses.binary_crossentropy
CCE = losses.categorical_crossentropy
SCCE = losses.sparse_categorical_crossentropy


@pytest.mark.parametrize("metric,loss_fn,shape,expected", [
    ("acc", BCE, (None, 3), metrics.binary_accuracy),
    ("acc", CCE, (None, 1), metrics.binary_accuracy),
    ("accuracy", losses.mse, (None, 1), metrics.binary_accuracy),
    ("acc", SCCE, (None, 10), metrics.sparse_categorical_accuracy),
    ("accuracy", SCCE, (None, 7, 10), metrics.sparse_categorical_accuracy),
    ("acc", CCE, (None, 10), metrics.categorical_accuracy),
    ("accuracy", losses.mse, (None, 4), metrics.categorical_accuracy),
    ("ce", BCE, (None, 3), losses.binary_crossentropy),
    ("crossentropy", CCE, (None, 1), losses.binary_crossentropy),
    ("ce", SCCE, (None, 10), losses.sparse_categorical_crossentropy),
    ("crossentropy", CCE, (None, 10), losses.categorical_crossentropy),
])
def test_resolve_accuracy_and_crossentropy_branches(metric, loss_fn, shape, expected):
    name, fn = metrics.resolve(metric, loss_fn, shape)
    # Keras 2.2.4 logs both spellings as `acc` (and `ce`).
    assert name == ("acc" if "acc" in metric else "ce")
    assert fn is expected


def test_resolve_binary_wins_over_sparse_for_one_unit_outputs():
    # Keras 2.2.4 checks the one-unit case first.
    assert metrics.resolve("acc", SCCE, (None, 1))[1] is metrics.binary_accuracy


def test_resolve_accepts_loss_found_by_alias_lookup():
    assert metrics.resolve("acc", losses.get("binary_crossentropy"), (None, 5))[1] \
        is metrics.binary_accuracy


@pytest.mark.parametrize("metric,expected_name", [
    ("mae", "mean_absolute_error"),
    ("MSE", "mean_squared_error"),
    ("cosine", "cosine_proximity"),
    ("binary_accuracy", "binary_accuracy"),
    ("top_k_categorical_accuracy", "top_k_categorical_accuracy"),
])
def test_resolve_other_names_log_under_function_name(metric, expected_name):
    name, fn = metrics.resolve(metric, CCE, (None, 10))
    assert name == expected_name
    assert fn is metrics.get(metric)


@pytest.mark.parametrize("key,expected", [
    ("accuracy", "acc"),
    ("val_accuracy", "val_acc"),
    ("out_accuracy", "out_acc"),
    ("val_out_accuracy", "val_out_acc"),
    ("weighted_accuracy", "weighted_acc"),
    ("accuracy_1", "acc_1"),
    ("crossentropy", "ce"),
    ("val_crossentropy", "val_ce"),
    ("mae", "mean_absolute_error"),
    ("val_mse", "val_mean_squared_error"),
    ("out_MAPE", "out_mean_absolute_percentage_error"),
    ("msle", "mean_squared_logarithmic_error"),
    ("kld", "kullback_leibler_divergence"),
    ("val_cosine_similarity", "val_cosine_proximity"),
])
def test_log_key_maps_tf_keras_spellings_to_2_2_4(key, expected):
    assert metrics.log_key(key) == expected


@pytest.mark.parametrize("key", ["acc", "val_acc", "loss", "val_loss", "out_loss", "ce",
                                 "mean_absolute_error", "val_mean_absolute_error",
                                 "categorical_accuracy", "val_out_binary_accuracy",
                                 "sparse_top_k_categorical_accuracy", "binary_crossentropy",
                                 "val_categorical_crossentropy_1", "my_accuracy_metric", "lr",
                                 "mean_pred"])
def test_log_key_leaves_2_2_4_and_other_keys_alone(key):
    assert metrics.log_key(key) is None


def test_resolve_callables():
    def my_metric(y_true, y_pred):
        return jnp.mean(y_pred, axis=-1)

    assert metrics.resolve(my_metric, CCE, (None, 3)) == ("my_metric", my_metric)

    class Named:
        name = "custom_name"

        def __call__(self, y_true, y_pred):
            return jnp.mean(y_pred, axis=-1)

    named = Named()
    assert metrics.resolve(named, CCE, (None, 3)) == ("custom_name", named)


def test_resolve_unnamed_callable_is_type_error():
    with pytest.raises(TypeError, match="name"):
        metrics.resolve(functools.partial(metrics.top_k_categorical_accuracy, k=2),
                        CCE, (None, 3))


def test_resolve_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match=r"'bogus'.*'acc'.*'accuracy'"):
        metrics.resolve("bogus", CCE, (None, 3))


@pytest.mark.parametrize("bad", [None, 3, ["acc"]])
def test_resolve_other_types_are_type_error(bad):
    with pytest.raises(TypeError):
        metrics.resolve(bad, CCE, (None, 3))
