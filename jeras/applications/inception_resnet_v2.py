"""InceptionResNetV2 (Szegedy et al., 2016), as `keras.applications.inception_resnet_v2`
builds it: the same layer names and order, so Keras's weight files load.

# Reference
    [Inception-v4, Inception-ResNet and the Impact of Residual Connections on
    Learning](https://arxiv.org/abs/1602.07261)
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
    Concatenate,
    Conv2D,
    Dense,
    GlobalAveragePooling2D,
    Lambda,
    MaxPooling2D,
)

__all__ = ["InceptionResNetV2", "decode_predictions", "preprocess_input"]

WEIGHTS_ORIGIN = "https://github.com/fchollet/deep-learning-models/releases/download/v0.7/"


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Scales pixels from [0, 255] to [-1, 1]."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def conv2d_bn(x: Any, filters: int, kernel_size: int | tuple, strides: int = 1,
              padding: str = "same", activation: str | None = "relu", use_bias: bool = False,
              name: str | None = None) -> Any:
    """A convolution (`name`), then, without a bias, batch norm without scale (`name_bn`),
    then the activation (`name_ac`)."""
    x = Conv2D(filters, kernel_size, strides=strides, padding=padding, use_bias=use_bias,
               name=name)(x)
    if not use_bias:
        x = BatchNormalization(axis=imagenet_utils.channel_axis(), scale=False,
                               name=None if name is None else name + "_bn")(x)
    if activation is not None:
        x = Activation(activation, name=None if name is None else name + "_ac")(x)
    return x


def _scaled_sum(inputs: list, scale: float) -> Any:
    return inputs[0] + inputs[1] * scale


# Each residual block's branches: `(filters, kernel_size)` convolutions in turn.
_BRANCHES = {
    "block35": (((32, 1),), ((32, 1), (32, 3)), ((32, 1), (48, 3), (64, 3))),
    "block17": (((192, 1),), ((128, 1), (160, (1, 7)), (192, (7, 1)))),
    "block8": (((192, 1),), ((192, 1), (224, (1, 3)), (256, (3, 1)))),
}


def inception_resnet_block(x: Any, scale: float, block_type: str, block_idx: int,
                           activation: str | None = "relu") -> Any:
    """A residual Inception block: `x + scale * conv(concat(branches))`, then `activation`.

    # Arguments
        x: the block's input.
        scale: the factor of the residual branch.
        block_type: `'block35'`, `'block17'` or `'block8'`.
        block_idx: the block's index; its layers are named `{block_type}_{block_idx}...`.
        activation: the activation after the sum, or None.

    # Raises
        ValueError: for an unknown `block_type`.
    """
    if block_type not in _BRANCHES:
        raise ValueError(f"inception_resnet_block: unknown `block_type` {block_type!r}; "
                         f"expected one of {sorted(_BRANCHES)}")
    name = f"{block_type}_{block_idx}"
    axis = imagenet_utils.channel_axis()
    branches = []
    for convs in _BRANCHES[block_type]:
        branch = x
        for filters, size in convs:
            branch = conv2d_bn(branch, filters, size)
        branches.append(branch)
    mixed = Concatenate(axis=axis, name=name + "_mixed")(branches)
    up = conv2d_bn(mixed, K.int_shape(x)[axis], 1, activation=None, use_bias=True,
                   name=name + "_conv")
    x = Lambda(_scaled_sum, output_shape=K.int_shape(x)[1:], arguments={"scale": scale},
               name=name)([x, up])
    if activation is not None:
        x = Activation(activation, name=name + "_ac")(x)
    return x


def _reduction(x: Any, branches: tuple, name: str) -> Any:
    """Concatenates the branches (`(filters, size[, strides, padding])` chains) with a
    3x3 stride-2 max pooling of `x`."""
    outs = []
    for convs in branches:
        branch = x
        for filters, size, *rest in convs:
            strides, padding = rest if rest else (1, "same")
            branch = conv2d_bn(branch, filters, size, strides=strides, padding=padding)
        outs.append(branch)
    outs.append(MaxPooling2D(3, strides=2, padding="valid")(x))
    return Concatenate(axis=imagenet_utils.channel_axis(), name=name)(outs)


def InceptionResNetV2(include_top: bool = True, weights: str | None = "imagenet",  # noqa: N802
                      input_tensor: Any = None, input_shape: tuple | None = None,
                      pooling: str | None = None, classes: int = 1000) -> Model:
    """InceptionResNetV2: a stem, then 10, 20 and 10 residual Inception blocks
    (`block35`, `block17`, `block8`) between two reductions, and `conv_7b`.

    # Arguments
        include_top: whether to end with global average pooling and the classifier.
        weights: None, `'imagenet'` (Keras's file
            `inception_resnet_v2_weights_tf_dim_ordering_tf_kernels[_notop].h5` from
            the Keras cache `~/.keras/models/`) or the path of a weights file.
        input_tensor: a symbolic tensor to use as the image input.
        input_shape: one image's shape; `(299, 299, 3)` by default. Sides at least 75.
        pooling: without the top, None (4-D feature maps), `'avg'` or `'max'`.
        classes: the number of classes of the top.

    # Returns
        A `Model` named `'inception_resnet_v2'`.

    # Raises
        ValueError: for invalid `weights`, `input_shape` or `pooling`.
        FileNotFoundError: for ImageNet weights missing from the Keras cache.
    """
    imagenet_utils.check_weights(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=299, min_size=75, data_format=K.image_data_format(),
        require_flatten=False, weights=weights)
    files = imagenet_utils.keras_files(
        "inception_resnet_v2_weights_tf_dim_ordering_tf_kernels", WEIGHTS_ORIGIN)
    path = imagenet_utils.weights_file(weights, files, include_top)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    axis = imagenet_utils.channel_axis()

    x = conv2d_bn(img_input, 32, 3, strides=2, padding="valid")
    x = conv2d_bn(x, 32, 3, padding="valid")
    x = conv2d_bn(x, 64, 3)
    x = MaxPooling2D(3, strides=2)(x)
    x = conv2d_bn(x, 80, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, padding="valid")
    x = MaxPooling2D(3, strides=2)(x)

    # mixed_5b: the Inception-A block of InceptionV3, 35x35x320.
    branch_0 = conv2d_bn(x, 96, 1)
    branch_1 = conv2d_bn(conv2d_bn(x, 48, 1), 64, 5)
    branch_2 = conv2d_bn(conv2d_bn(conv2d_bn(x, 64, 1), 96, 3), 96, 3)
    branch_pool = conv2d_bn(AveragePooling2D(3, strides=1, padding="same")(x), 64, 1)
    x = Concatenate(axis=axis, name="mixed_5b")([branch_0, branch_1, branch_2, branch_pool])
    for idx in range(1, 11):
        x = inception_resnet_block(x, scale=0.17, block_type="block35", block_idx=idx)

    # mixed_6a: reduction to 17x17x1088.
    x = _reduction(x, (((384, 3, 2, "valid"),),
                       ((256, 1), (256, 3), (384, 3, 2, "valid"))), "mixed_6a")
    for idx in range(1, 21):
        x = inception_resnet_block(x, scale=0.1, block_type="block17", block_idx=idx)

    # mixed_7a: reduction to 8x8x2080.
    x = _reduction(x, (((256, 1), (384, 3, 2, "valid")),
                       ((256, 1), (288, 3, 2, "valid")),
                       ((256, 1), (288, 3), (320, 3, 2, "valid"))), "mixed_7a")
    for idx in range(1, 10):
        x = inception_resnet_block(x, scale=0.2, block_type="block8", block_idx=idx)
    x = inception_resnet_block(x, scale=1.0, activation=None, block_type="block8",
                               block_idx=10)
    x = conv2d_bn(x, 1536, 1, name="conv_7b")

    def top(x: Any) -> Any:
        x = GlobalAveragePooling2D(name="avg_pool")(x)
        return Dense(classes, activation="softmax", name="predictions")(x)

    x = imagenet_utils.top_or_pooling(x, include_top, pooling, top)
    return imagenet_utils.finish(img_input, input_tensor, x, "inception_resnet_v2", path)
