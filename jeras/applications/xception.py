"""Xception (Chollet, 2016), as `keras.applications.xception` builds it (channels_last only).

# Reference
    [Xception: Deep Learning with Depthwise Separable Convolutions](
    https://arxiv.org/abs/1610.02357)
"""
from __future__ import annotations

from typing import Any

from jeras.applications import imagenet_utils
from jeras.applications.imagenet_utils import decode_predictions
from jeras.engine.training import Model
from jeras.layers import (
    Activation,
    BatchNormalization,
    Conv2D,
    Dense,
    GlobalAveragePooling2D,
    MaxPooling2D,
    SeparableConv2D,
    add,
)

__all__ = ["Xception", "decode_predictions", "preprocess_input"]

WEIGHTS_ORIGIN = "https://github.com/fchollet/deep-learning-models/releases/download/v0.4/"


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Scales pixels from [0, 255] to [-1, 1]."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def _sepconv_bn(x: Any, filters: int, name: str) -> Any:
    x = SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name)(x)
    return BatchNormalization(name=name + "_bn")(x)


def _entry_block(x: Any, filters: tuple[int, int], block: int, first_relu: bool) -> Any:
    """Two separable convolutions and a strided max pooling, plus a strided 1x1 shortcut."""
    residual = Conv2D(filters[1], (1, 1), strides=(2, 2), padding="same", use_bias=False)(x)
    residual = BatchNormalization()(residual)
    prefix = f"block{block}"
    if first_relu:
        x = Activation("relu", name=prefix + "_sepconv1_act")(x)
    x = _sepconv_bn(x, filters[0], prefix + "_sepconv1")
    x = Activation("relu", name=prefix + "_sepconv2_act")(x)
    x = _sepconv_bn(x, filters[1], prefix + "_sepconv2")
    x = MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=prefix + "_pool")(x)
    return add([x, residual])


def Xception(include_top: bool = True, weights: str | None = "imagenet",  # noqa: N802
             input_tensor: Any = None, input_shape: tuple | None = None,
             pooling: str | None = None, classes: int = 1000) -> Model:
    """Xception: entry flow (blocks 1-4), eight middle-flow blocks (5-12), exit flow (13-14).

    # Arguments
        include_top: whether to end with global average pooling and the classifier.
        weights: None, `'imagenet'` (Keras's file
            `xception_weights_tf_dim_ordering_tf_kernels[_notop].h5` from the Keras
            cache `~/.keras/models/`) or the path of a weights file.
        input_tensor: a symbolic tensor to use as the image input.
        input_shape: one image's shape; `(299, 299, 3)` by default. Sides at least 71.
        pooling: without the top, None (4-D feature maps), `'avg'` or `'max'`.
        classes: the number of classes of the top.

    # Returns
        A `Model` named `'xception'`, built channels_last whatever
        `K.image_data_format()` says (as in Keras 2, with a warning).

    # Raises
        ValueError: for invalid `weights`, `input_shape` or `pooling`.
        FileNotFoundError: for ImageNet weights missing from the Keras cache.
    """
    imagenet_utils.check_weights(weights, include_top, classes)
    with imagenet_utils.channels_last("Xception"):
        input_shape = imagenet_utils.obtain_input_shape(
            input_shape, default_size=299, min_size=71, data_format="channels_last",
            require_flatten=False, weights=weights)
        files = imagenet_utils.keras_files(
            "xception_weights_tf_dim_ordering_tf_kernels", WEIGHTS_ORIGIN)
        path = imagenet_utils.weights_file(weights, files, include_top)
        img_input = imagenet_utils.image_input(input_tensor, input_shape)
        x = Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(img_input)
        x = BatchNormalization(name="block1_conv1_bn")(x)
        x = Activation("relu", name="block1_conv1_act")(x)
        x = Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
        x = BatchNormalization(name="block1_conv2_bn")(x)
        x = Activation("relu", name="block1_conv2_act")(x)
        x = _entry_block(x, (128, 128), 2, first_relu=False)
        x = _entry_block(x, (256, 256), 3, first_relu=True)
        x = _entry_block(x, (728, 728), 4, first_relu=True)
        for block in range(5, 13):
            residual = x
            for i in (1, 2, 3):
                x = Activation("relu", name=f"block{block}_sepconv{i}_act")(x)
                x = _sepconv_bn(x, 728, f"block{block}_sepconv{i}")
            x = add([x, residual])
        x = _entry_block(x, (728, 1024), 13, first_relu=True)
        for i, filters in ((1, 1536), (2, 2048)):
            x = _sepconv_bn(x, filters, f"block14_sepconv{i}")
            x = Activation("relu", name=f"block14_sepconv{i}_act")(x)

        def top(x: Any) -> Any:
            x = GlobalAveragePooling2D(name="avg_pool")(x)
            return Dense(classes, activation="softmax", name="predictions")(x)

        x = imagenet_utils.top_or_pooling(x, include_top, pooling, top)
        return imagenet_utils.finish(img_input, input_tensor, x, "xception", path)
