"""jeras.layers.merge: Keras 2.2.4's shape rules, rank broadcasting and masks of merges."""
import numpy as np
import pytest

from jeras import backend as K
from jeras.layers import Add, Concatenate, Input, Maximum, Subtract, add, maximum
from jeras.models import Model


def test_lower_rank_inputs_broadcast_after_the_batch_axis():
    rng = np.random.RandomState(0)
    a, b = Input(shape=(4, 5)), Input(shape=(5,))
    x, y = rng.rand(2, 4, 5).astype("float32"), rng.rand(2, 5).astype("float32")
    # Keras 2.2.4 inserts the missing axes at position 1: y[:, None, :].
    for op, reference in ((add, np.add), (maximum, np.maximum)):
        out = op([a, b])
        assert K.int_shape(out) == (None, 4, 5)
        got = Model([a, b], out).predict([x, y])
        np.testing.assert_allclose(got, reference(x, y[:, None, :]), rtol=1e-6)
    # Unknown sizes broadcast the same way once the arrays arrive.
    c, d = Input(shape=(None, None)), Input(shape=(None,))
    out = add([c, d])
    assert K.int_shape(out) == (None, None, None)
    np.testing.assert_allclose(Model([c, d], out).predict([x, y]), x + y[:, None, :],
                               rtol=1e-6)


def test_size_one_axes_stretch_and_the_known_batch_size_is_kept():
    a, b = Input(shape=(4, 1)), Input(shape=(1, 5))
    assert Add().compute_output_shape([(None, 4, 1), (None, 1, 5)]) == (None, 4, 5)
    assert Maximum().compute_output_shape([(3, 4, 5), (None, 4, 5)]) == (3, 4, 5)
    x, y = np.arange(8.0).reshape(2, 4, 1), np.arange(10.0).reshape(2, 1, 5)
    np.testing.assert_allclose(Model([a, b], add([a, b])).predict([x, y]), x + y)


@pytest.mark.parametrize("shapes", [[(4, 5), (3, 5)], [(4, 5), (4,)]])
def test_shapes_that_do_not_broadcast_are_value_errors(shapes):
    inputs = [Input(shape=s) for s in shapes]
    with pytest.raises(ValueError, match="broadcast"):
        Add()(inputs)


def test_known_batch_sizes_must_agree():
    with pytest.raises(ValueError, match="batch sizes"):
        Add().compute_output_shape([(2, 4, 5), (3, 4, 5)])


def test_subtract_takes_exactly_two_inputs():
    inputs = [Input(shape=(3,)) for _ in range(3)]
    with pytest.raises(ValueError, match="exactly 2"):
        Subtract()(inputs)
    with pytest.raises(ValueError, match="at least 2"):
        Subtract()(inputs[:1])


def test_elementwise_mask_is_the_and_of_the_masks_and_is_checked():
    layer = Add()
    a, b = Input(shape=(3,)), Input(shape=(3,))
    m1 = np.array([[True, False, True]])
    m2 = np.array([[True, True, False]])
    np.testing.assert_array_equal(np.asarray(layer.compute_mask([a, b], [m1, m2])), m1 & m2)
    np.testing.assert_array_equal(np.asarray(layer.compute_mask([a, b], [None, m2])), m2)
    assert layer.compute_mask([a, b], [None, None]) is None
    for inputs, mask, what in (([a, b], m1, "`mask`"), (a, [None, None], "`inputs`"),
                               ([a, b], [None], "same length")):
        with pytest.raises(ValueError, match=what):
            layer.compute_mask(inputs, mask)


def test_concatenate_mask_follows_keras_2():
    rng = np.random.RandomState(1)
    layer = Concatenate(axis=1)
    a, b = Input(shape=(4, 5)), Input(shape=(4, 5))
    # Masks shaped like the inputs: concatenated, then all over the last axis.
    m1, m2 = rng.rand(2, 4, 5) > 0.2, rng.rand(2, 4, 5) > 0.2
    got = np.asarray(layer.compute_mask([a, b], [K.variable(m1), K.variable(m2)]))
    np.testing.assert_array_equal(got, np.concatenate([m1, m2], axis=1).all(axis=-1))
    # One mask per step, and an input without one: all of its steps are kept.
    x, y = np.zeros((2, 4, 5), "float32"), np.zeros((2, 3, 5), "float32")
    step_mask = rng.rand(2, 4) > 0.5
    got = np.asarray(layer.compute_mask([x, y], [step_mask, None]))
    np.testing.assert_array_equal(got, np.concatenate([step_mask, np.ones((2, 3), bool)], 1))
    step_mask_b = rng.rand(2, 4) > 0.5
    got = np.asarray(Concatenate(axis=-1).compute_mask(
        [x, np.zeros((2, 4, 3), "float32")], [step_mask, step_mask_b]))
    np.testing.assert_array_equal(got, step_mask & step_mask_b)
    with pytest.raises(ValueError, match="same length"):
        layer.compute_mask([a, b], [None])
