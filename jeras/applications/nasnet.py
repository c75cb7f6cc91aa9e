"""NASNetMobile (Zoph et al., 2017), as `keras.applications.nasnet` builds it
(channels_last only).

# Reference
    [Learning Transferable Architectures for Scalable Image Recognition](
    https://arxiv.org/abs/1707.07012)
"""
from __future__ import annotations

from typing import Any

from jeras.applications import imagenet_utils
from jeras.applications.imagenet_utils import decode_predictions
from jeras.engine.training import Model
from jeras.layers import (
    Activation,
    AveragePooling2D,
    BatchNormalization,
    Conv2D,
    Cropping2D,
    Dense,
    GlobalAveragePooling2D,
    MaxPooling2D,
    SeparableConv2D,
    ZeroPadding2D,
    add,
    concatenate,
)

__all__ = ["NASNetMobile", "decode_predictions", "preprocess_input"]

WEIGHTS_ORIGIN = "https://github.com/titu1994/Keras-NASNet/releases/download/v1.2/"
_FILES = (("nasnet_mobile.h5", WEIGHTS_ORIGIN + "NASNet-mobile.h5"),
          ("nasnet_mobile_no_top.h5", WEIGHTS_ORIGIN + "NASNet-mobile-no-top.h5"))


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Scales pixels from [0, 255] to [-1, 1]."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def _bn(name: str | None = None) -> BatchNormalization:
    return BatchNormalization(axis=-1, momentum=0.9997, epsilon=1e-3, name=name)


def _conv1x1(x: Any, filters: int, name: str) -> Any:
    return Conv2D(filters, (1, 1), padding="same", use_bias=False, name=name,
                  kernel_initializer="he_normal")(x)


def _separable_block(x: Any, filters: int, kernel_size: tuple[int, int] = (3, 3),
                     strides: tuple[int, int] = (1, 1), block_id: str = "") -> Any:
    """ReLU-separable conv-BN twice; the first may be strided (after TF-'same' padding)."""
    x = Activation("relu")(x)
    padding = "same"
    if strides == (2, 2):
        x = ZeroPadding2D(padding=imagenet_utils.correct_pad(x, kernel_size[0]),
                          name=f"separable_conv_1_pad_{block_id}")(x)
        padding = "valid"
    x = SeparableConv2D(filters, kernel_size, strides=strides, padding=padding, use_bias=False,
                        kernel_initializer="he_normal", name=f"separable_conv_1_{block_id}")(x)
    x = _bn(f"separable_conv_1_bn_{block_id}")(x)
    x = Activation("relu")(x)
    x = SeparableConv2D(filters, kernel_size, padding="same", use_bias=False,
                        kernel_initializer="he_normal", name=f"separable_conv_2_{block_id}")(x)
    return _bn(f"separable_conv_2_bn_{block_id}")(x)


def _adjust_block(p: Any, ip: Any, filters: int, block_id: str) -> Any:
    """Brings the previous cell's output `p` to the shape of `ip` (halving its sides in two
    offset paths, or projecting its channels)."""
    if p is None:
        return ip
    if p.shape[-2] != ip.shape[-2]:
        p = Activation("relu", name=f"adjust_relu_1_{block_id}")(p)
        p1 = AveragePooling2D((1, 1), strides=(2, 2), padding="valid",
                              name=f"adjust_avg_pool_1_{block_id}")(p)
        p1 = _conv1x1(p1, filters // 2, f"adjust_conv_1_{block_id}")
        p2 = ZeroPadding2D(padding=((0, 1), (0, 1)))(p)
        p2 = Cropping2D(cropping=((1, 0), (1, 0)))(p2)
        p2 = AveragePooling2D((1, 1), strides=(2, 2), padding="valid",
                              name=f"adjust_avg_pool_2_{block_id}")(p2)
        p2 = _conv1x1(p2, filters // 2, f"adjust_conv_2_{block_id}")
        p = concatenate([p1, p2], axis=-1)
        return _bn(f"adjust_bn_{block_id}")(p)
    if p.shape[-1] != filters:
        p = Activation("relu")(p)
        p = _conv1x1(p, filters, f"adjust_conv_projection_{block_id}")
        return _bn(f"adjust_bn_{block_id}")(p)
    return p


def _normal_cell(ip: Any, p: Any, filters: int, block_id: str) -> tuple[Any, Any]:
    p = _adjust_block(p, ip, filters, block_id)
    h = Activation("relu")(ip)
    h = _conv1x1(h, filters, f"normal_conv_1_{block_id}")
    h = _bn(f"normal_bn_1_{block_id}")(h)
    x1 = add([_separable_block(h, filters, (5, 5), block_id=f"normal_left1_{block_id}"),
              _separable_block(p, filters, block_id=f"normal_right1_{block_id}")],
             name=f"normal_add_1_{block_id}")
    x2 = add([_separable_block(p, filters, (5, 5), block_id=f"normal_left2_{block_id}"),
              _separable_block(p, filters, (3, 3), block_id=f"normal_right2_{block_id}")],
             name=f"normal_add_2_{block_id}")
    x3 = AveragePooling2D((3, 3), strides=(1, 1), padding="same",
                          name=f"normal_left3_{block_id}")(h)
    x3 = add([x3, p], name=f"normal_add_3_{block_id}")
    x4 = add([AveragePooling2D((3, 3), strides=(1, 1), padding="same",
                               name=f"normal_left4_{block_id}")(p),
              AveragePooling2D((3, 3), strides=(1, 1), padding="same",
                               name=f"normal_right4_{block_id}")(p)],
             name=f"normal_add_4_{block_id}")
    x5 = add([_separable_block(h, filters, block_id=f"normal_left5_{block_id}"), h],
             name=f"normal_add_5_{block_id}")
    x = concatenate([p, x1, x2, x3, x4, x5], axis=-1, name=f"normal_concat_{block_id}")
    return x, ip


def _reduction_cell(ip: Any, p: Any, filters: int, block_id: str) -> tuple[Any, Any]:
    p = _adjust_block(p, ip, filters, block_id)
    h = Activation("relu")(ip)
    h = _conv1x1(h, filters, f"reduction_conv_1_{block_id}")
    h = _bn(f"reduction_bn_1_{block_id}")(h)
    h3 = ZeroPadding2D(padding=imagenet_utils.correct_pad(h, 3),
                       name=f"reduction_pad_1_{block_id}")(h)
    x1 = add([_separable_block(h, filters, (5, 5), (2, 2), f"reduction_left1_{block_id}"),
              _separable_block(p, filters, (7, 7), (2, 2), f"reduction_right1_{block_id}")],
             name=f"reduction_add_1_{block_id}")
    x2 = add([MaxPooling2D((3, 3), strides=(2, 2), padding="valid",
                           name=f"reduction_left2_{block_id}")(h3),
              _separable_block(p, filters, (7, 7), (2, 2), f"reduction_right2_{block_id}")],
             name=f"reduction_add_2_{block_id}")
    x3 = add([AveragePooling2D((3, 3), strides=(2, 2), padding="valid",
                               name=f"reduction_left3_{block_id}")(h3),
              _separable_block(p, filters, (5, 5), (2, 2), f"reduction_right3_{block_id}")],
             name=f"reduction_add3_{block_id}")
    x4 = AveragePooling2D((3, 3), strides=(1, 1), padding="same",
                          name=f"reduction_left4_{block_id}")(x1)
    x4 = add([x2, x4])
    x5 = add([_separable_block(x1, filters, (3, 3), block_id=f"reduction_left4_{block_id}"),
              MaxPooling2D((3, 3), strides=(2, 2), padding="valid",
                           name=f"reduction_right5_{block_id}")(h3)],
             name=f"reduction_add4_{block_id}")
    x = concatenate([x2, x3, x4, x5], axis=-1, name=f"reduction_concat_{block_id}")
    return x, ip


def NASNetMobile(input_shape: tuple | None = None, include_top: bool = True,  # noqa: N802
                 weights: str | None = "imagenet", input_tensor: Any = None,
                 pooling: str | None = None, classes: int = 1000) -> Model:
    """NASNet-A Mobile (4 @ 1056): a stem, two stem reduction cells, then three stacks
    of four normal cells separated by reduction cells.

    # Arguments
        input_shape: one image's shape; `(224, 224, 3)` by default (required with
            the top and ImageNet weights). Sides at least 32.
        include_top: whether to end with global average pooling and the classifier.
        weights: None, `'imagenet'` (Keras's file `nasnet_mobile.h5` or
            `nasnet_mobile_no_top.h5` from the Keras cache `~/.keras/models/`) or the
            path of a weights file.
        input_tensor: a symbolic tensor to use as the image input.
        pooling: without the top, None (4-D feature maps), `'avg'` or `'max'`.
        classes: the number of classes of the top.

    # Returns
        A `Model` named `'NASNet'`.

    # Raises
        ValueError: for invalid `weights`, `input_shape` or `pooling`.
        FileNotFoundError: for ImageNet weights missing from the Keras cache.
    """
    imagenet_utils.check_weights(weights, include_top, classes)
    penultimate_filters, num_blocks, stem_filters, multiplier = 1056, 4, 32, 2
    with imagenet_utils.channels_last("NASNetMobile"):
        input_shape = imagenet_utils.obtain_input_shape(
            input_shape, default_size=224, min_size=32, data_format="channels_last",
            require_flatten=include_top, weights=weights)
        path = imagenet_utils.weights_file(weights, _FILES, include_top)
        img_input = imagenet_utils.image_input(input_tensor, input_shape)
        filters = penultimate_filters // 24
        x = Conv2D(stem_filters, (3, 3), strides=(2, 2), padding="valid", use_bias=False,
                   kernel_initializer="he_normal", name="stem_conv1")(img_input)
        x = _bn("stem_bn1")(x)
        p = None
        x, p = _reduction_cell(x, p, filters // multiplier ** 2, "stem_1")
        x, p = _reduction_cell(x, p, filters // multiplier, "stem_2")
        for stack in range(3):
            width = filters * multiplier ** stack
            if stack:
                # NASNetMobile does not skip the reduction: its output is the next `p`.
                x, p = _reduction_cell(x, p, width, f"reduce_{stack * num_blocks}")
            for i in range(num_blocks):
                x, p = _normal_cell(x, p, width, f"{stack * num_blocks + i + bool(stack)}")
        x = Activation("relu")(x)

        def top(x: Any) -> Any:
            x = GlobalAveragePooling2D()(x)
            return Dense(classes, activation="softmax", name="predictions")(x)

        x = imagenet_utils.top_or_pooling(x, include_top, pooling, top)
        return imagenet_utils.finish(img_input, input_tensor, x, "NASNet", path)
