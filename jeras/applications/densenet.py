"""DenseNet-121, 169 and 201 (Huang et al., 2016), as `keras.applications.densenet` builds them.

# Reference
    [Densely Connected Convolutional Networks](https://arxiv.org/abs/1608.06993)
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
    MaxPooling2D,
    ZeroPadding2D,
)

__all__ = ["DenseNet121", "DenseNet169", "DenseNet201", "decode_predictions",
           "preprocess_input"]

WEIGHTS_ORIGIN = "https://github.com/keras-team/keras-applications/releases/download/densenet/"
_NAMES = {(6, 12, 24, 16): "densenet121", (6, 12, 32, 32): "densenet169",
          (6, 12, 48, 32): "densenet201"}


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Torch-style preprocessing: scale to [0, 1], then normalize each channel."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="torch")


def _bn_relu(x: Any, name: str) -> Any:
    x = BatchNormalization(axis=imagenet_utils.channel_axis(), epsilon=1.001e-5,
                           name=name + "_bn")(x)
    return Activation("relu", name=name + "_relu")(x)


def _conv_block(x: Any, growth_rate: int, name: str) -> Any:
    """BN-ReLU-1x1 conv (4 * growth), BN-ReLU-3x3 conv (growth), concatenated to the input."""
    y = _bn_relu(x, name + "_0")
    y = Conv2D(4 * growth_rate, 1, use_bias=False, name=name + "_1_conv")(y)
    y = _bn_relu(y, name + "_1")
    y = Conv2D(growth_rate, 3, padding="same", use_bias=False, name=name + "_2_conv")(y)
    return Concatenate(axis=imagenet_utils.channel_axis(), name=name + "_concat")([x, y])


def _transition_block(x: Any, reduction: float, name: str) -> Any:
    """BN-ReLU, a 1x1 convolution keeping `reduction` of the channels, 2x2 average pooling."""
    x = _bn_relu(x, name)
    channels = x.shape[imagenet_utils.channel_axis()]
    x = Conv2D(int(channels * reduction), 1, use_bias=False, name=name + "_conv")(x)
    return AveragePooling2D(2, strides=2, name=name + "_pool")(x)


def DenseNet(blocks: tuple[int, int, int, int], include_top: bool = True,  # noqa: N802
             weights: str | None = "imagenet", input_tensor: Any = None,
             input_shape: tuple | None = None, pooling: str | None = None,
             classes: int = 1000) -> Model:
    """A DenseNet with `blocks` convolution blocks in its four dense blocks.

    # Arguments
        blocks: the number of conv blocks per dense block; ImageNet weights exist
            for (6, 12, 24, 16), (6, 12, 32, 32) and (6, 12, 48, 32).
        include_top: whether to end with global average pooling and the classifier.
        weights: None, `'imagenet'` (Keras's file
            `densenet{121,169,201}_weights_tf_dim_ordering_tf_kernels[_notop].h5` from
            the Keras cache `~/.keras/models/`) or the path of a weights file.
        input_tensor: a symbolic tensor to use as the image input.
        input_shape: one image's shape; `(224, 224, 3)` by default. Sides at least 32.
        pooling: without the top, None (4-D feature maps), `'avg'` or `'max'`.
        classes: the number of classes of the top.

    # Returns
        A `Model` named `'densenet121'` (`169`, `201`) or `'densenet'`.

    # Raises
        ValueError: for invalid `weights`, `input_shape` or `pooling`, or ImageNet
            weights for a block layout that has none.
        FileNotFoundError: for ImageNet weights missing from the Keras cache.
    """
    blocks = tuple(blocks)
    imagenet_utils.check_weights(weights, include_top, classes)
    name = _NAMES.get(blocks, "densenet")
    if weights == "imagenet" and name == "densenet":
        raise ValueError(f"ImageNet weights exist for the blocks of {sorted(_NAMES)}; got "
                         f"{blocks}")
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=224, min_size=32, data_format=K.image_data_format(),
        require_flatten=include_top, weights=weights)
    files = imagenet_utils.keras_files(
        f"{name}_weights_tf_dim_ordering_tf_kernels", WEIGHTS_ORIGIN)
    path = imagenet_utils.weights_file(weights, files, include_top)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    x = ZeroPadding2D(padding=((3, 3), (3, 3)))(img_input)
    x = Conv2D(64, 7, strides=2, use_bias=False, name="conv1/conv")(x)
    x = BatchNormalization(axis=imagenet_utils.channel_axis(), epsilon=1.001e-5,
                           name="conv1/bn")(x)
    x = Activation("relu", name="conv1/relu")(x)
    x = ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = MaxPooling2D(3, strides=2, name="pool1")(x)
    for stage, count in enumerate(blocks, start=2):
        for i in range(1, count + 1):
            x = _conv_block(x, 32, name=f"conv{stage}_block{i}")
        if stage < 5:
            x = _transition_block(x, 0.5, name=f"pool{stage}")
    x = BatchNormalization(axis=imagenet_utils.channel_axis(), epsilon=1.001e-5, name="bn")(x)
    x = Activation("relu", name="relu")(x)

    def top(x: Any) -> Any:
        x = GlobalAveragePooling2D(name="avg_pool")(x)
        return Dense(classes, activation="softmax", name="fc1000")(x)

    x = imagenet_utils.top_or_pooling(x, include_top, pooling, top, ("avg_pool", "max_pool"))
    return imagenet_utils.finish(img_input, input_tensor, x, name, path)


_VARIANT_DOC = """DenseNet{depth}: DenseNet with blocks {blocks}; arguments as `DenseNet`'s."""


def DenseNet121(include_top: bool = True, weights: str | None = "imagenet",  # noqa: N802
                input_tensor: Any = None, input_shape: tuple | None = None,
                pooling: str | None = None, classes: int = 1000) -> Model:
    return DenseNet((6, 12, 24, 16), include_top, weights, input_tensor, input_shape, pooling,
                    classes)


def DenseNet169(include_top: bool = True, weights: str | None = "imagenet",  # noqa: N802
                input_tensor: Any = None, input_shape: tuple | None = None,
                pooling: str | None = None, classes: int = 1000) -> Model:
    return DenseNet((6, 12, 32, 32), include_top, weights, input_tensor, input_shape, pooling,
                    classes)


def DenseNet201(include_top: bool = True, weights: str | None = "imagenet",  # noqa: N802
                input_tensor: Any = None, input_shape: tuple | None = None,
                pooling: str | None = None, classes: int = 1000) -> Model:
    return DenseNet((6, 12, 48, 32), include_top, weights, input_tensor, input_shape, pooling,
                    classes)


DenseNet121.__doc__ = _VARIANT_DOC.format(depth=121, blocks=(6, 12, 24, 16))
DenseNet169.__doc__ = _VARIANT_DOC.format(depth=169, blocks=(6, 12, 32, 32))
DenseNet201.__doc__ = _VARIANT_DOC.format(depth=201, blocks=(6, 12, 48, 32))
