"""Keras 1 argument names, converted as Keras 2.2.4's legacy interfaces convert them."""
import json
import warnings

import pytest

from jeras import layers
from jeras.compat import legacy as interfaces


def same_config(old, new):
    return json.dumps(old.get_config()) == json.dumps(new.get_config())


def test_dense_keras1_names_give_the_keras2_config_and_warn():
    with pytest.warns(UserWarning, match=r"Update your `Dense` call to the Keras 2 API: "
                                         r"`Dense\(.*units=2, kernel_initializer=\"normal\""):
        old = layers.Dense(output_dim=2, init="normal", bias=False, W_regularizer="l1",
                           input_dim=3, name="d")
    new = layers.Dense(2, kernel_initializer="normal", use_bias=False, kernel_regularizer="l1",
                       input_shape=(3,), name="d")
    assert same_config(old, new)


def test_keras2_names_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layers.Dense(2, kernel_initializer="normal", name="d")
        layers.Conv2D(4, (3, 3), strides=(2, 2), name="c")
        layers.LSTM(3, implementation=2, name="l")


def test_conv2d_nb_row_nb_col_are_the_kernel_size_not_strides():
    old = layers.Conv2D(5, 3, 3, name="c")
    assert old.kernel_size == (3, 3) and old.strides == (1, 1)
    for old in (layers.Convolution2D(5, 3, nb_col=3, name="c"),
                layers.Convolution2D(5, nb_row=3, nb_col=3, name="c"),
                layers.Convolution2D(nb_filter=5, nb_row=3, nb_col=3, name="c")):
        assert same_config(old, layers.Conv2D(5, (3, 3), name="c"))
    old = layers.Convolution2D(5, 3, 3, init="normal", subsample=(2, 2), border_mode="same",
                               dim_ordering="th", W_constraint="maxnorm", name="c")
    new = layers.Conv2D(5, (3, 3), kernel_initializer="normal", strides=(2, 2), padding="same",
                        data_format="channels_first", kernel_constraint="max_norm", name="c")
    assert same_config(old, new)


def test_conv2d_int_kernel_and_strides_with_keras2_keywords_is_refused():
    with pytest.raises(ValueError, match="positional"):
        layers.Conv2D(5, 3, 3, padding="same")


def test_conv3d_and_deconv2d_keras1_sizes():
    new = layers.Conv3D(5, (3, 3, 4), name="c")
    assert same_config(layers.Convolution3D(5, 3, 3, 4, name="c"), new)
    assert same_config(layers.Convolution3D(5, 3, 3, kernel_dim3=4, name="c"), new)
    assert same_config(layers.Convolution3D(5, kernel_dim1=3, kernel_dim2=3, kernel_dim3=4,
                                            name="c"), new)
    # Keras 1's `output_shape` is dropped.
    old = layers.Deconvolution2D(5, 3, 3, (6, 7, 5), subsample=(2, 2), name="t")
    assert same_config(old, layers.Conv2DTranspose(5, (3, 3), strides=(2, 2), name="t"))


def test_recurrent_keras1_names():
    with pytest.warns(UserWarning, match="input_dim"):
        old = layers.LSTM(input_dim=5, input_length=3, output_dim=2, consume_less="gpu",
                          inner_init="uniform", forget_bias_init="one", dropout_W=0.1,
                          dropout_U=0.2, name="l")
    new = layers.LSTM(2, input_shape=(3, 5), implementation=2,
                      recurrent_initializer="uniform", unit_forget_bias=True, dropout=0.1,
                      recurrent_dropout=0.2, name="l")
    assert same_config(old, new)
    assert same_config(layers.GRU(2, consume_less="mem", name="g"),
                       layers.GRU(2, implementation=1, name="g"))


def test_pooling_padding_cropping_and_dropout_keras1_names():
    pairs = [
        (layers.MaxPooling1D(pool_length=3, stride=2, border_mode="same", name="p"),
         layers.MaxPooling1D(3, 2, "same", name="p")),
        (layers.AveragePooling2D(border_mode="same", dim_ordering="th", name="p"),
         layers.AveragePooling2D(padding="same", data_format="channels_first", name="p")),
        (layers.GlobalMaxPooling3D(dim_ordering="tf", name="p"),
         layers.GlobalMaxPooling3D(data_format="channels_last", name="p")),
        (layers.UpSampling1D(length=3, name="u"), layers.UpSampling1D(3, name="u")),
        (layers.ZeroPadding2D(padding={"top_pad": 1, "bottom_pad": 2, "left_pad": 3,
                                       "right_pad": 4}, name="z"),
         layers.ZeroPadding2D(((1, 2), (3, 4)), name="z")),
        (layers.Cropping2D(dim_ordering="th", name="c"),
         layers.Cropping2D(data_format="channels_first", name="c")),
        (layers.SpatialDropout2D(p=0.5, dim_ordering="tf", name="s"),
         layers.SpatialDropout2D(0.5, data_format="channels_last", name="s")),
        (layers.Dropout(p=0.25, name="d"), layers.Dropout(0.25, name="d")),
        (layers.GaussianNoise(sigma=0.3, name="n"), layers.GaussianNoise(0.3, name="n")),
        (layers.PReLU(init="ones", name="a"), layers.PReLU("ones", name="a")),
        (layers.BatchNormalization(mode=0, beta_init="ones", name="b"),
         layers.BatchNormalization(beta_initializer="ones", name="b")),
        (layers.Embedding(4, 2, init="normal", W_constraint="maxnorm", name="e"),
         layers.Embedding(4, 2, embeddings_initializer="normal",
                          embeddings_constraint="max_norm", name="e")),
    ]
    for old, new in pairs:
        assert same_config(old, new), type(old).__name__


def test_refusals_as_in_keras_224():
    with pytest.raises(TypeError, match="Stick to the latter"):
        layers.Dense(units=2, output_dim=2)
    with pytest.raises(TypeError, match="Stick to the latter"):
        layers.Dense(2, output_dim=2)
    with pytest.raises(TypeError, match="can accept only 1 positional"):
        layers.Dense(2, "relu")
    with pytest.raises(TypeError, match="mode"):
        layers.BatchNormalization(mode=2)
    with pytest.warns(UserWarning, match="no longer support in `Embedding`"):
        layers.Embedding(3, 2, dropout=0.2)


def test_atrous_convolutions_are_dilated_convolutions():
    with pytest.warns(UserWarning, match="AtrousConvolution1D"):
        old = layers.AtrousConvolution1D(5, 3, atrous_rate=2, subsample_length=2, name="c")
    assert same_config(old, layers.Conv1D(5, 3, strides=2, dilation_rate=2, name="c"))
    with pytest.warns(UserWarning, match="AtrousConvolution2D"):
        old = layers.AtrousConvolution2D(5, 3, 3, atrous_rate=(2, 2), name="c")
    assert same_config(old, layers.Conv2D(5, (3, 3), dilation_rate=(2, 2), name="c"))


def test_configs_still_round_trip():
    for layer in (layers.Conv2D(5, 3, 3, name="c"), layers.LSTM(output_dim=2, name="l"),
                  layers.Dense(output_dim=3, name="d")):
        clone = type(layer).from_config(layer.get_config())
        assert clone.get_config() == layer.get_config()


def test_custom_layers_can_use_the_decorators():
    class MyDense(layers.Layer):
        @interfaces.legacy_dense_support
        def __init__(self, units, kernel_initializer="zeros", **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.kernel_initializer = kernel_initializer

    with pytest.warns(UserWarning, match="Update your `MyDense` call"):
        layer = MyDense(output_dim=4, init="ones")
    assert (layer.units, layer.kernel_initializer) == (4, "ones")
    # Names 2.2.4 has no converter for here leave the function unchanged.
    assert interfaces.legacy_unknown_support(len) is len


def test_legacy_layers_compute_2_2_4s_formulas_with_its_weights():
    import numpy as np

    from jeras import regularizers
    from jeras.compat import legacy_layers
    from jeras.models import Sequential, model_from_json

    rng = np.random.RandomState(0)
    x = rng.randn(5, 3).astype("float32")
    with pytest.warns(UserWarning, match="`MaxoutDense` layer is deprecated"):
        maxout = legacy_layers.MaxoutDense(2, nb_feature=4, input_dim=3,
                                           W_regularizer=regularizers.l2(0.1))
    model = Sequential([maxout])
    assert [w.name for w in maxout.weights] == [f"{maxout.name}/W:0", f"{maxout.name}/b:0"]
    w, b = rng.randn(4, 3, 2).astype("float32"), rng.randn(4, 2).astype("float32")
    maxout.set_weights([w, b])
    expected = np.max(np.stack([x @ w[k] + b[k] for k in range(4)]), axis=0)
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5, atol=1e-6)
    # The config names the Keras 1 arguments and rebuilds the same layer from JSON.
    assert maxout.get_config()["W_regularizer"]["config"]["l2"] == pytest.approx(0.1)
    with pytest.warns(UserWarning):
        clone = model_from_json(model.to_json())
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict(x), expected, rtol=1e-5, atol=1e-6)

    with pytest.warns(UserWarning, match="`Highway` layer is deprecated"):
        highway = layers.Highway(activation="tanh", input_shape=(3,))
    model = Sequential([highway])
    names = [w.name.split("/")[1] for w in highway.weights]
    assert names == ["W:0", "W_carry:0", "b:0", "b_carry:0"]
    np.testing.assert_array_equal(highway.get_weights()[3], np.ones(3))
    w, wc = rng.randn(3, 3).astype("float32"), rng.randn(3, 3).astype("float32")
    b, bc = rng.randn(3).astype("float32"), rng.randn(3).astype("float32")
    highway.set_weights([w, wc, b, bc])
    gate = 1 / (1 + np.exp(-(x @ wc + bc)))
    expected = np.tanh(x @ w + b) * gate + (1 - gate) * x
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5, atol=1e-6)
    with pytest.warns(UserWarning):
        no_bias = legacy_layers.Highway(bias=False, input_shape=(3,))
    Sequential([no_bias])
    assert len(no_bias.weights) == 2
    with pytest.raises(ValueError, match="output_dim"):
        legacy_layers.MaxoutDense(0)
