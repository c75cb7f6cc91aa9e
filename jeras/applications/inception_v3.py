"""InceptionV3 (Szegedy et al., 2015), as `keras.applications.inception_v3` builds it.

# Reference
    [Rethinking the Inception Architecture for Computer Vision](
    https://arxiv.org/abs/1512.00567)
"""
from __future__ import annotations

from typing import Any

from jeras import backend as K
from jeras.applications import imagenet_utils
from jeras.applications.imagenet_utils import decode_predictions
from jeras.engine.training import Model
from jeras.layers import (
    Activation,
    AveragePooling2D,
    BatchNormalization,
    Conv2D,
    Dense,
    GlobalAveragePooling2D,
    MaxPooling2D,
    concatenate,
)

__all__ = ["InceptionV3", "decode_predictions", "preprocess_input"]

WEIGHTS_ORIGIN = "https://github.com/fchollet/deep-learning-models/releases/download/v0.5/"


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Scales pixels from [0, 255] to [-1, 1]."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def conv2d_bn(x: Any, filters: int, rows: int, cols: int, padding: str = "same",
              strides: tuple[int, int] = (1, 1), name: str | None = None) -> Any:
    """A bias-free convolution, batch norm without scale, and ReLU (`name_conv`, `name_bn`)."""
    x = Conv2D(filters, (rows, cols), strides=strides, padding=padding, use_bias=False,
               name=None if name is None else name + "_conv")(x)
    x = BatchNormalization(axis=imagenet_utils.channel_axis(), scale=False,
                           name=None if name is None else name + "_bn")(x)
    return Activation("relu", name=name)(x)


def _chain(x: Any, convs: tuple) -> Any:
    """Applies `conv2d_bn` for each `(filters, rows, cols[, strides, padding])` in turn."""
    for filters, rows, cols, *rest in convs:
        strides, padding = rest if rest else ((1, 1), "same")
        x = conv2d_bn(x, filters, rows, cols, strides=strides, padding=padding)
    return x


def _avg_branch(x: Any, filters: int) -> Any:
    x = AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)
    return conv2d_bn(x, filters, 1, 1)


def InceptionV3(include_top: bool = True, weights: str | None = "imagenet",  # noqa: N802
                input_tensor: Any = None, input_shape: tuple | None = None,
                pooling: str | None = None, classes: int = 1000) -> Model:
    """InceptionV3: a convolutional stem, then the eleven `mixed0`...`mixed10` modules.

    # Arguments
        include_top: whether to end with global average pooling and the classifier.
        weights: None, `'imagenet'` (Keras's file
            `inception_v3_weights_tf_dim_ordering_tf_kernels[_notop].h5` from the Keras
            cache `~/.keras/models/`) or the path of a weights file.
        input_tensor: a symbolic tensor to use as the image input.
        input_shape: one image's shape; `(299, 299, 3)` by default. Sides at least 75.
        pooling: without the top, None (4-D feature maps), `'avg'` or `'max'`.
        classes: the number of classes of the top.

    # Returns
        A `Model` named `'inception_v3'`.

    # Raises
        ValueError: for invalid `weights`, `input_shape` or `pooling`.
        FileNotFoundError: for ImageNet weights missing from the Keras cache.
    """
    imagenet_utils.check_weights(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=299, min_size=75, data_format=K.image_data_format(),
        require_flatten=False, weights=weights)
    files = imagenet_utils.keras_files(
        "inception_v3_weights_tf_dim_ordering_tf_kernels", WEIGHTS_ORIGIN)
    path = imagenet_utils.weights_file(weights, files, include_top)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    axis = imagenet_utils.channel_axis()
    valid2 = ((2, 2), "valid")
    x = _chain(img_input, ((32, 3, 3) + valid2, (32, 3, 3, (1, 1), "valid"), (64, 3, 3)))
    x = MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = _chain(x, ((80, 1, 1, (1, 1), "valid"), (192, 3, 3, (1, 1), "valid")))
    x = MaxPooling2D((3, 3), strides=(2, 2))(x)

    # mixed0-2: 35x35 modules.
    for i, pool_filters in enumerate((32, 64, 64)):
        x = concatenate([_chain(x, ((64, 1, 1),)),
                         _chain(x, ((48, 1, 1), (64, 5, 5))),
                         _chain(x, ((64, 1, 1), (96, 3, 3), (96, 3, 3))),
                         _avg_branch(x, pool_filters)], axis=axis, name=f"mixed{i}")
    # mixed3: reduction to 17x17.
    x = concatenate([_chain(x, ((384, 3, 3) + valid2,)),
                     _chain(x, ((64, 1, 1), (96, 3, 3), (96, 3, 3) + valid2)),
                     MaxPooling2D((3, 3), strides=(2, 2))(x)], axis=axis, name="mixed3")
    # mixed4-7: 17x17 modules with factorized 7x7 convolutions.
    for i, width in zip(range(4, 8), (128, 160, 160, 192)):
        x = concatenate([_chain(x, ((192, 1, 1),)),
                         _chain(x, ((width, 1, 1), (width, 1, 7), (192, 7, 1))),
                         _chain(x, ((width, 1, 1), (width, 7, 1), (width, 1, 7), (width, 7, 1),
                                    (192, 1, 7))),
                         _avg_branch(x, 192)], axis=axis, name=f"mixed{i}")
    # mixed8: reduction to 8x8.
    x = concatenate([_chain(x, ((192, 1, 1), (320, 3, 3) + valid2)),
                     _chain(x, ((192, 1, 1), (192, 1, 7), (192, 7, 1), (192, 3, 3) + valid2)),
                     MaxPooling2D((3, 3), strides=(2, 2))(x)], axis=axis, name="mixed8")
    # mixed9-10: 8x8 modules with split 3x3 branches.
    for i in range(2):
        branch3x3 = conv2d_bn(x, 384, 1, 1)
        branch3x3 = concatenate([conv2d_bn(branch3x3, 384, 1, 3),
                                 conv2d_bn(branch3x3, 384, 3, 1)], axis=axis,
                                name=f"mixed9_{i}")
        double = _chain(x, ((448, 1, 1), (384, 3, 3)))
        double = concatenate([conv2d_bn(double, 384, 1, 3), conv2d_bn(double, 384, 3, 1)],
                             axis=axis)
        x = concatenate([conv2d_bn(x, 320, 1, 1), branch3x3, double, _avg_branch(x, 192)],
                        axis=axis, name=f"mixed{9 + i}")

    def top(x: Any) -> Any:
        x = GlobalAveragePooling2D(name="avg_pool")(x)
        return Dense(classes, activation="softmax", name="predictions")(x)

    x = imagenet_utils.top_or_pooling(x, include_top, pooling, top)
    return imagenet_utils.finish(img_input, input_tensor, x, "inception_v3", path)
