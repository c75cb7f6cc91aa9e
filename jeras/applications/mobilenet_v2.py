"""MobileNetV2 (Sandler et al., 2018), as `keras.applications.mobilenet_v2` builds it
(channels_last only).

# Reference
    [MobileNetV2: Inverted Residuals and Linear Bottlenecks](
    https://arxiv.org/abs/1801.04381)
"""
from __future__ import annotations

from typing import Any

from jeras.applications import imagenet_utils
from jeras.applications.imagenet_utils import decode_predictions
from jeras.engine.training import Model
from jeras.layers import (
    Add,
    BatchNormalization,
    Conv2D,
    Dense,
    DepthwiseConv2D,
    GlobalAveragePooling2D,
    ReLU,
    ZeroPadding2D,
)

__all__ = ["MobileNetV2", "decode_predictions", "preprocess_input"]

WEIGHTS_ORIGIN = "https://github.com/JonathanCMitchell/mobilenet_v2_keras/releases/download/v1.1/"
_SIZES = (96, 128, 160, 192, 224)
_ALPHAS = (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Scales pixels from [0, 255] to [-1, 1]."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def _make_divisible(value: float, divisor: int = 8) -> int:
    """Rounds a channel count to the nearest multiple of `divisor`, never more than 10% down."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def _bn(name: str) -> BatchNormalization:
    return BatchNormalization(epsilon=1e-3, momentum=0.999, name=name)


def _inverted_res_block(inputs: Any, expansion: int, stride: int, alpha: float, filters: int,
                        block_id: int) -> Any:
    """Expand (1x1), depthwise 3x3, project (1x1, linear); a residual add when shapes match."""
    in_channels = inputs.shape[-1]
    out_channels = _make_divisible(int(filters * alpha), 8)
    x = inputs
    prefix = f"block_{block_id}_"
    if block_id:
        x = Conv2D(expansion * in_channels, kernel_size=1, padding="same", use_bias=False,
                   name=prefix + "expand")(x)
        x = _bn(prefix + "expand_BN")(x)
        x = ReLU(6.0, name=prefix + "expand_relu")(x)
    else:
        prefix = "expanded_conv_"
    if stride == 2:
        x = ZeroPadding2D(padding=imagenet_utils.correct_pad(x, 3), name=prefix + "pad")(x)
    x = DepthwiseConv2D(kernel_size=3, strides=stride, use_bias=False,
                        padding="same" if stride == 1 else "valid", name=prefix + "depthwise")(x)
    x = _bn(prefix + "depthwise_BN")(x)
    x = ReLU(6.0, name=prefix + "depthwise_relu")(x)
    x = Conv2D(out_channels, kernel_size=1, padding="same", use_bias=False,
               name=prefix + "project")(x)
    x = _bn(prefix + "project_BN")(x)
    if in_channels == out_channels and stride == 1:
        return Add(name=prefix + "add")([inputs, x])
    return x


def MobileNetV2(input_shape: tuple | None = None, alpha: float = 1.0,  # noqa: N802
                depth_multiplier: int = 1, include_top: bool = True,
                weights: str | None = "imagenet", input_tensor: Any = None,
                pooling: str | None = None, classes: int = 1000) -> Model:
    """MobileNetV2: a strided 3x3 convolution, 17 inverted residual blocks, a 1x1 convolution.

    # Arguments
        input_shape: one image's shape; `(224, 224, 3)` by default. Square sides
            of 96, 128, 160, 192 or 224 select that size's ImageNet weights.
        alpha: width multiplier (0.35, 0.5, 0.75, 1.0, 1.3 or 1.4 with ImageNet weights).
        depth_multiplier: accepted for Keras 2's signature; must be 1 with ImageNet
            weights and has no other effect, as in Keras 2.
        include_top: whether to end with global average pooling and the classifier.
        weights: None, `'imagenet'` (Keras's file
            `mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{alpha}_{size}[_no_top].h5`
            from the Keras cache `~/.keras/models/`) or the path of a weights file.
        input_tensor: a symbolic tensor to use as the image input.
        pooling: without the top, None (4-D feature maps), `'avg'` or `'max'`.
        classes: the number of classes of the top.

    # Returns
        A `Model` named `'mobilenetv2_{alpha:.2f}_{rows}'`.

    # Raises
        ValueError: for invalid `weights`, `input_shape` or `pooling`, or an
            `alpha` or size ImageNet weights do not exist for.
        FileNotFoundError: for ImageNet weights missing from the Keras cache.
    """
    imagenet_utils.check_weights(weights, include_top, classes)
    with imagenet_utils.channels_last("MobileNetV2"):
        if input_shape is None and input_tensor is not None:
            sides = tuple(input_tensor.shape[1:3])
        else:
            sides = None if input_shape is None else tuple(input_shape)[:2]
        default_size = sides[0] if sides and sides[0] == sides[1] and sides[0] in _SIZES \
            else 224
        input_shape = imagenet_utils.obtain_input_shape(
            input_shape, default_size=default_size, min_size=32,
            data_format="channels_last", require_flatten=include_top, weights=weights)
        rows, cols = input_shape[:2]
        if weights == "imagenet":
            if depth_multiplier != 1:
                raise ValueError("ImageNet weights exist for depth_multiplier=1 only; got "
                                 f"{depth_multiplier}")
            if alpha not in _ALPHAS:
                raise ValueError(f"ImageNet weights exist for alpha in {_ALPHAS}; got {alpha}")
            if rows is None:
                rows = 224
            elif rows != cols or rows not in _SIZES:
                raise ValueError(f"ImageNet weights exist for square inputs of side {_SIZES}; "
                                 f"got input_shape={input_shape}")
        stem = f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{alpha}_{rows}"
        files = imagenet_utils.keras_files(stem, WEIGHTS_ORIGIN, notop="_no_top")
        path = imagenet_utils.weights_file(weights, files, include_top)
        img_input = imagenet_utils.image_input(input_tensor, input_shape)
        x = ZeroPadding2D(padding=imagenet_utils.correct_pad(img_input, 3),
                          name="Conv1_pad")(img_input)
        x = Conv2D(_make_divisible(32 * alpha, 8), kernel_size=3, strides=(2, 2),
                   padding="valid", use_bias=False, name="Conv1")(x)
        x = _bn("bn_Conv1")(x)
        x = ReLU(6.0, name="Conv1_relu")(x)
        plan = ((16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6),
                (64, 2, 6), (64, 1, 6), (64, 1, 6), (64, 1, 6), (96, 1, 6), (96, 1, 6),
                (96, 1, 6), (160, 2, 6), (160, 1, 6), (160, 1, 6), (320, 1, 6))
        for block_id, (filters, stride, expansion) in enumerate(plan):
            x = _inverted_res_block(x, expansion, stride, alpha, filters, block_id)
        last = _make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
        x = Conv2D(last, kernel_size=1, use_bias=False, name="Conv_1")(x)
        x = _bn("Conv_1_bn")(x)
        x = ReLU(6.0, name="out_relu")(x)

        def top(x: Any) -> Any:
            x = GlobalAveragePooling2D()(x)
            return Dense(classes, activation="softmax", use_bias=True, name="Logits")(x)

        x = imagenet_utils.top_or_pooling(x, include_top, pooling, top)
        return imagenet_utils.finish(img_input, input_tensor, x,
                                     f"mobilenetv2_{alpha:0.2f}_{rows}", path)
