"""MobileNet (Howard et al., 2017), as `keras.applications.mobilenet` builds it
(channels_last only).

# Reference
    [MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications](
    https://arxiv.org/abs/1704.04861)
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
    DepthwiseConv2D,
    Dropout,
    GlobalAveragePooling2D,
    ReLU,
    Reshape,
    ZeroPadding2D,
)

__all__ = ["MobileNet", "decode_predictions", "preprocess_input"]

WEIGHTS_ORIGIN = "https://github.com/fchollet/deep-learning-models/releases/download/v0.6/"
_SIZES = (128, 160, 192, 224)
_ALPHAS = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0", 0.25: "2_5"}


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Scales pixels from [0, 255] to [-1, 1]."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def _depthwise_block(x: Any, filters: int, alpha: float, depth_multiplier: int,
                     strides: tuple[int, int], block_id: int) -> Any:
    """3x3 depthwise then 1x1 pointwise convolution, each with batch norm and ReLU6."""
    if strides != (1, 1):
        x = ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
    x = DepthwiseConv2D((3, 3), padding="same" if strides == (1, 1) else "valid",
                        depth_multiplier=depth_multiplier, strides=strides, use_bias=False,
                        name=f"conv_dw_{block_id}")(x)
    x = BatchNormalization(name=f"conv_dw_{block_id}_bn")(x)
    x = ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = Conv2D(int(filters * alpha), (1, 1), padding="same", use_bias=False,
               name=f"conv_pw_{block_id}")(x)
    x = BatchNormalization(name=f"conv_pw_{block_id}_bn")(x)
    return ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


def MobileNet(input_shape: tuple | None = None, alpha: float = 1.0,  # noqa: N802
              depth_multiplier: int = 1, dropout: float = 1e-3, include_top: bool = True,
              weights: str | None = "imagenet", input_tensor: Any = None,
              pooling: str | None = None, classes: int = 1000) -> Model:
    """MobileNet: a strided 3x3 convolution, then 13 depthwise-separable blocks.

    # Arguments
        input_shape: one image's shape; `(224, 224, 3)` by default. Square
            sides of 128, 160, 192 or 224 select that size's ImageNet weights.
        alpha: width multiplier of every layer's filters (0.25, 0.5, 0.75 or 1.0
            with ImageNet weights).
        depth_multiplier: of the depthwise convolutions (1 with ImageNet weights).
        dropout: the dropout rate before the classifier.
        include_top: whether to end with the 1x1-convolution classifier.
        weights: None, `'imagenet'` (Keras's file `mobilenet_{alpha}_{size}_tf.h5`
            or `..._tf_no_top.h5`, e.g. `mobilenet_1_0_224_tf.h5`, from the Keras
            cache `~/.keras/models/`) or the path of a weights file.
        input_tensor: a symbolic tensor to use as the image input.
        pooling: without the top, None (4-D feature maps), `'avg'` or `'max'`.
        classes: the number of classes of the top.

    # Returns
        A `Model` named `'mobilenet_{alpha:.2f}_{rows}'`.

    # Raises
        ValueError: for invalid `weights`, `input_shape` or `pooling`, or an
            `alpha`, `depth_multiplier` or size ImageNet weights do not exist for.
        FileNotFoundError: for ImageNet weights missing from the Keras cache.
    """
    imagenet_utils.check_weights(weights, include_top, classes)
    with imagenet_utils.channels_last("MobileNet"):
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
                raise ValueError(f"ImageNet weights exist for alpha in {sorted(_ALPHAS)}; got "
                                 f"{alpha}")
            if rows is None:
                rows = 224
            elif rows != cols or rows not in _SIZES:
                raise ValueError(f"ImageNet weights exist for square inputs of side {_SIZES}; "
                                 f"got input_shape={input_shape}")
        files = imagenet_utils.keras_files(f"mobilenet_{_ALPHAS.get(alpha, alpha)}_{rows}_tf",
                                           WEIGHTS_ORIGIN, notop="_no_top")
        path = imagenet_utils.weights_file(weights, files, include_top)
        img_input = imagenet_utils.image_input(input_tensor, input_shape)
        x = ZeroPadding2D(padding=((0, 1), (0, 1)), name="conv1_pad")(img_input)
        x = Conv2D(int(32 * alpha), (3, 3), padding="valid", use_bias=False, strides=(2, 2),
                   name="conv1")(x)
        x = BatchNormalization(name="conv1_bn")(x)
        x = ReLU(6.0, name="conv1_relu")(x)
        plan = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1),
                (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1))
        for block_id, (filters, stride) in enumerate(plan, start=1):
            x = _depthwise_block(x, filters, alpha, depth_multiplier, (stride, stride),
                                 block_id)

        def top(x: Any) -> Any:
            x = GlobalAveragePooling2D()(x)
            x = Reshape((1, 1, int(1024 * alpha)), name="reshape_1")(x)
            x = Dropout(dropout, name="dropout")(x)
            x = Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
            x = Activation("softmax", name="act_softmax")(x)
            return Reshape((classes,), name="reshape_2")(x)

        x = imagenet_utils.top_or_pooling(x, include_top, pooling, top)
        return imagenet_utils.finish(img_input, input_tensor, x,
                                     f"mobilenet_{alpha:0.2f}_{rows}", path)
