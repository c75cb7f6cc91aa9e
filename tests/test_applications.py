"""The ImageNet applications: Keras 2's architectures (layer and parameter counts of
keras-applications 1.0.6, the code behind Keras 2.2.4), weights read from the Keras
cache, preprocessing and decoding."""
import json
import os

import jax.numpy as jnp
import numpy as np
import pytest

from jeras import applications
from jeras.applications import (
    densenet,
    imagenet_utils,
    inception_v3,
    mobilenet,
    mobilenet_v2,
    nasnet,
    resnet50,
    vgg16,
    vgg19,
    xception,
)
from jeras.layers import Input

# Keras 2.2.4's numbers: parameters from its documentation's table, layer counts
# from keras-applications 1.0.6 built with `weights=None`. Models whose top is a
# global pooling are built on small images, which changes neither count.
ARCHITECTURES = [
    (applications.VGG16, {}, 23, 138_357_544),
    (applications.VGG19, {}, 26, 143_667_240),
    (applications.ResNet50, {"input_shape": (32, 32, 3)}, 177, 25_636_712),
    (applications.InceptionV3, {"input_shape": (75, 75, 3)}, 313, 23_851_784),
    (applications.InceptionResNetV2, {"input_shape": (75, 75, 3)}, 782, 55_873_736),
    (applications.Xception, {"input_shape": (71, 71, 3)}, 134, 22_910_480),
    (applications.MobileNet, {"input_shape": (32, 32, 3)}, 93, 4_253_864),
    (applications.MobileNetV2, {"input_shape": (32, 32, 3)}, 157, 3_538_984),
    (applications.DenseNet121, {"input_shape": (32, 32, 3)}, 429, 8_062_504),
    (applications.NASNetMobile, {"input_shape": (32, 32, 3)}, 771, 5_326_716),
]


@pytest.mark.parametrize("build, kwargs, layers, params", ARCHITECTURES,
                         ids=[a[0].__name__ for a in ARCHITECTURES])
def test_architecture_matches_keras(build, kwargs, layers, params):
    model = build(weights=None, **kwargs)
    assert len(model.layers) == layers
    assert model.count_params() == params
    assert model.output_shape == (None, 1000)


def test_layer_names_and_model_names_follow_keras():
    model = applications.MobileNetV2(weights=None, input_shape=(96, 96, 3), alpha=0.35)
    assert model.name == "mobilenetv2_0.35_96"
    names = [layer.name for layer in model.layers]
    assert names[1:4] == ["Conv1_pad", "Conv1", "bn_Conv1"]
    assert "block_16_project_BN" in names and names[-1] == "Logits"
    resnet = applications.ResNet50(weights=None, include_top=False, input_shape=(32, 32, 3))
    assert [w.name for w in resnet.get_layer("res2a_branch2a").weights] == [
        "res2a_branch2a/kernel:0", "res2a_branch2a/bias:0"]


@pytest.mark.parametrize("pooling, shape", [(None, (None, 1, 1, 256)), ("avg", (None, 256)),
                                            ("max", (None, 256))])
def test_pooling_and_classes(pooling, shape):
    model = applications.MobileNet(weights=None, include_top=False, alpha=0.25,
                                   input_shape=(32, 32, 3), pooling=pooling)
    assert model.output_shape == shape
    top = applications.DenseNet121(weights=None, input_shape=(32, 32, 3), classes=7)
    assert top.output_shape == (None, 7)


def test_input_tensor_becomes_the_model_input():
    image = Input((48, 48, 3))
    model = applications.VGG16(weights=None, include_top=False, input_tensor=image)
    assert model.inputs == [image]
    assert model.output_shape == (None, 1, 1, 512)


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    cache = tmp_path / ".keras" / "models"
    cache.mkdir(parents=True)
    return cache


def test_imagenet_weights_load_from_the_keras_cache_and_predict(keras_home):
    # A Keras-format weights file under Keras's own name, as Keras 2 would have cached it.
    source = applications.MobileNet(weights=None, include_top=False, alpha=0.25,
                                    input_shape=(128, 128, 3))
    rng = np.random.RandomState(0)
    source.set_weights([rng.randn(*w.shape).astype("float32") * 0.1 + (w.ndim == 1)
                        for w in source.get_weights()])
    source.save_weights(str(keras_home / "mobilenet_2_5_128_tf_no_top.h5"))
    model = applications.MobileNet(weights="imagenet", include_top=False, alpha=0.25,
                                   input_shape=(128, 128, 3))
    for a, b in zip(model.get_weights(), source.get_weights()):
        np.testing.assert_array_equal(a, b)
    images = mobilenet.preprocess_input(rng.uniform(0, 255, (2, 128, 128, 3)))
    np.testing.assert_allclose(model.predict(images), source.predict(images), rtol=1e-6)


@pytest.mark.parametrize("build, kwargs, fname", [
    (applications.VGG16, {}, "vgg16_weights_tf_dim_ordering_tf_kernels.h5"),
    (applications.VGG19, {"include_top": False},
     "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"),
    (applications.ResNet50, {"include_top": False},
     "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"),
    (applications.InceptionV3, {}, "inception_v3_weights_tf_dim_ordering_tf_kernels.h5"),
    (applications.Xception, {"include_top": False},
     "xception_weights_tf_dim_ordering_tf_kernels_notop.h5"),
    (applications.MobileNet, {"input_shape": (160, 160, 3), "alpha": 0.5},
     "mobilenet_5_0_160_tf.h5"),
    (applications.MobileNetV2, {"include_top": False, "alpha": 0.35},
     "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5"),
    (applications.DenseNet121, {"include_top": False},
     "densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5"),
    (applications.NASNetMobile, {"include_top": False}, "nasnet_mobile_no_top.h5"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_missing_imagenet_weights_name_the_file_and_the_place(keras_home, build, kwargs,
                                                               fname):
    # The file is looked up before the network is built, so this is quick.
    with pytest.raises(FileNotFoundError) as error:
        build(weights="imagenet", **kwargs)
    message = str(error.value)
    assert fname in message
    assert str(keras_home / fname) in message and "https://" in message


@pytest.mark.parametrize("make, match", [
    (lambda: applications.VGG16(weights="imagenet", classes=10), "classes"),
    (lambda: applications.VGG16(weights="nowhere.h5"), "weights"),
    (lambda: applications.ResNet50(weights=None, include_top=False, pooling="sum",
                                   input_shape=(32, 32, 3)), "pooling"),
    (lambda: applications.VGG16(weights=None, input_shape=(16, 16, 3)), "at least 32"),
    (lambda: applications.MobileNet(weights="imagenet", alpha=0.3), "alpha"),
])
def test_argument_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


# Preprocessing and decoding.

IMAGES = np.random.RandomState(1).uniform(0, 255, (2, 4, 5, 3)).astype("float32")


def test_preprocess_input_modes():
    caffe = vgg16.preprocess_input(IMAGES.copy())
    np.testing.assert_allclose(caffe, IMAGES[..., ::-1] - [103.939, 116.779, 123.68],
                               rtol=1e-5)
    np.testing.assert_allclose(resnet50.preprocess_input(IMAGES.copy()), caffe)
    np.testing.assert_allclose(vgg19.preprocess_input(IMAGES.copy()), caffe)
    tf_mode = IMAGES / 127.5 - 1
    for module in (inception_v3, xception, mobilenet, mobilenet_v2, nasnet):
        np.testing.assert_allclose(module.preprocess_input(IMAGES.copy()), tf_mode, rtol=1e-5)
    torch = (IMAGES / 255 - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]
    np.testing.assert_allclose(densenet.preprocess_input(IMAGES.copy()), torch, rtol=1e-5)


def test_preprocess_input_overwrites_float_arrays_as_keras():
    for mode in ("tf", "torch"):
        x = IMAGES.copy()
        assert imagenet_utils.preprocess_input(x, mode=mode) is x
    # Caffe mode returns a channel-reversed view: the input holds the result in RGB order.
    x = IMAGES.copy()
    out = imagenet_utils.preprocess_input(x, data_format="channels_last", mode="caffe")
    assert np.shares_memory(out, x)
    np.testing.assert_array_equal(x, out[..., ::-1])
    np.testing.assert_allclose(x, IMAGES - [123.68, 116.779, 103.939], rtol=1e-5)
    # Integer arrays are converted to floatx first and left as they were.
    pixels = np.full((1, 2, 2, 3), 255, np.int64)
    out = inception_v3.preprocess_input(pixels)
    assert out.dtype == np.float32 and (pixels == 255).all()
    np.testing.assert_allclose(out, np.ones((1, 2, 2, 3)))


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
def test_preprocess_input_channels_first_and_single_images(mode):
    want = imagenet_utils.preprocess_input(IMAGES.copy(), "channels_last", mode)
    first = np.moveaxis(IMAGES, -1, 1).copy()
    np.testing.assert_allclose(imagenet_utils.preprocess_input(first, "channels_first", mode),
                               np.moveaxis(want, -1, 1), rtol=1e-6)
    single = np.moveaxis(IMAGES[0], -1, 0).copy()
    np.testing.assert_allclose(imagenet_utils.preprocess_input(single, "channels_first", mode),
                               np.moveaxis(want[0], -1, 0), rtol=1e-6)
    np.testing.assert_allclose(imagenet_utils.preprocess_input(IMAGES.astype("int32"),
                                                               "channels_last", mode),
                               imagenet_utils.preprocess_input(
                                   IMAGES.astype("int32").astype("float32"),
                                   "channels_last", mode), rtol=1e-6)
    with pytest.raises(ValueError, match="data_format"):
        imagenet_utils.preprocess_input(IMAGES.copy(), "channels_middle", mode)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
def test_preprocess_input_on_graph_tensors_and_jax_arrays(mode, data_format):
    from jeras.layers import Lambda
    from jeras.models import Model
    x = IMAGES if data_format == "channels_last" else np.moveaxis(IMAGES, -1, 1).copy()
    want = imagenet_utils.preprocess_input(x.copy(), data_format, mode)
    inputs = Input(shape=x.shape[1:])
    direct = imagenet_utils.preprocess_input(inputs, data_format, mode)
    np.testing.assert_allclose(Model(inputs, direct).predict(x), want, rtol=1e-5, atol=1e-5)
    wrapped = Lambda(lambda t: imagenet_utils.preprocess_input(t, data_format, mode))(inputs)
    np.testing.assert_allclose(Model(inputs, wrapped).predict(x), want, rtol=1e-5, atol=1e-5)
    as_jax = imagenet_utils.preprocess_input(jnp.asarray(x), data_format, mode)
    np.testing.assert_allclose(np.asarray(as_jax), want, rtol=1e-5, atol=1e-5)
    pixels = Input(shape=x.shape[1:], dtype="int32")
    assert imagenet_utils.preprocess_input(pixels, data_format, mode).dtype == "float32"


def test_decode_predictions_reads_the_cached_class_index(keras_home, monkeypatch):
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX", None)
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    (keras_home / "imagenet_class_index.json").write_text(json.dumps(index))
    preds = np.random.RandomState(2).rand(2, 1000)
    decoded = vgg16.decode_predictions(preds, top=3)
    for row, result in zip(preds, decoded):
        best = np.argsort(row)[::-1][:3]
        assert result == [(f"n{i:08d}", f"class_{i}", row[i]) for i in best]
    with pytest.raises(ValueError, match=r"\(samples, 1000\)"):
        vgg16.decode_predictions(np.zeros((2, 10)))


def test_decode_predictions_uses_a_class_index_set_by_hand(keras_home, monkeypatch):
    # Keras 2's module global: set, it is used without reading the cache.
    index = {str(i): [f"id{i}", f"name{i}"] for i in range(1000)}
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX", index)
    preds = np.zeros((2, 1000))
    preds[0, 372], preds[1, 549] = 0.5, 0.9
    assert imagenet_utils.decode_predictions(preds, top=1) == [[("id372", "name372", 0.5)],
                                                               [("id549", "name549", 0.9)]]


def test_decode_predictions_offline_names_the_class_index(keras_home, monkeypatch):
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX", None)
    with pytest.raises(FileNotFoundError, match="imagenet_class_index.json") as error:
        resnet50.decode_predictions(np.zeros((1, 1000)))
    assert os.path.join(str(keras_home), "imagenet_class_index.json") in str(error.value)
