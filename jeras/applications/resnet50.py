"""ResNet50 (He et al., 2015), as `keras.applications.resnet50` (keras-applications 1.0.6)
builds it: layer names `res{stage}{block}_branch{2a,2b,2c,1}` and `bn...`, biases on
every convolution, global average pooling before the classifier.

# Reference
    [Deep Residual Learning for Image Recognition](https://arxiv.org/abs/1512.03385)
"""
from __future__ import annotations

from typing import Any

from jeras import backend as K
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
    ZeroPadding2D,
    add,
)

__all__ = ["ResNet50", "decode_predictions", "preprocess_input"]

WEIGHTS_ORIGIN = "https://github.com/fchollet/deep-learning-models/releases/download/v0.2/"


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Caffe-style preprocessing (RGB to BGR, minus the ImageNet channel means)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def _block(x: Any, filters: tuple[int, int, int], stage: int, block: str,
           strides: tuple[int, int] | None) -> Any:
    """A bottleneck block: 1x1, 3x3, 1x1 convolutions with batch norm, plus a shortcut.

    `strides` None makes the identity block (the shortcut is the input); otherwise the
    shortcut is a strided 1x1 convolution with batch norm (the conv block).
    """
    axis = imagenet_utils.channel_axis()
    conv, bn = f"res{stage}{block}_branch", f"bn{stage}{block}_branch"
    shortcut = x
    y = Conv2D(filters[0], (1, 1), strides=strides or (1, 1), kernel_initializer="he_normal",
               name=conv + "2a")(x)
    y = BatchNormalization(axis=axis, name=bn + "2a")(y)
    y = Activation("relu")(y)
    y = Conv2D(filters[1], (3, 3), padding="same", kernel_initializer="he_normal",
               name=conv + "2b")(y)
    y = BatchNormalization(axis=axis, name=bn + "2b")(y)
    y = Activation("relu")(y)
    y = Conv2D(filters[2], (1, 1), kernel_initializer="he_normal", name=conv + "2c")(y)
    y = BatchNormalization(axis=axis, name=bn + "2c")(y)
    if strides is not None:
        shortcut = Conv2D(filters[2], (1, 1), strides=strides, kernel_initializer="he_normal",
                          name=conv + "1")(x)
        shortcut = BatchNormalization(axis=axis, name=bn + "1")(shortcut)
    y = add([y, shortcut])
    return Activation("relu")(y)


def ResNet50(include_top: bool = True, weights: str | None = "imagenet",  # noqa: N802
             input_tensor: Any = None, input_shape: tuple | None = None,
             pooling: str | None = None, classes: int = 1000) -> Model:
    """ResNet50: a 7x7 stem, then 3, 4, 6 and 3 bottleneck blocks in stages 2 to 5.

    # Arguments
        include_top: whether to end with global average pooling and the classifier.
        weights: None, `'imagenet'` (Keras's file
            `resnet50_weights_tf_dim_ordering_tf_kernels[_notop].h5` from the Keras
            cache `~/.keras/models/`) or the path of a weights file.
        input_tensor: a symbolic tensor to use as the image input.
        input_shape: one image's shape; `(224, 224, 3)` by default (required with
            the top and ImageNet weights). Sides at least 32.
        pooling: without the top, None (4-D feature maps), `'avg'` or `'max'`.
        classes: the number of classes of the top.

    # Returns
        A `Model` named `'resnet50'`.

    # Raises
        ValueError: for invalid `weights`, `input_shape` or `pooling`.
        FileNotFoundError: for ImageNet weights missing from the Keras cache.
    """
    imagenet_utils.check_weights(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=224, min_size=32, data_format=K.image_data_format(),
        require_flatten=include_top, weights=weights)
    files = imagenet_utils.keras_files(
        "resnet50_weights_tf_dim_ordering_tf_kernels", WEIGHTS_ORIGIN)
    path = imagenet_utils.weights_file(weights, files, include_top)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    x = ZeroPadding2D(padding=(3, 3), name="conv1_pad")(img_input)
    x = Conv2D(64, (7, 7), strides=(2, 2), padding="valid", kernel_initializer="he_normal",
               name="conv1")(x)
    x = BatchNormalization(axis=imagenet_utils.channel_axis(), name="bn_conv1")(x)
    x = Activation("relu")(x)
    x = ZeroPadding2D(padding=(1, 1), name="pool1_pad")(x)
    x = MaxPooling2D((3, 3), strides=(2, 2))(x)
    stages = ((2, (64, 64, 256), 3), (3, (128, 128, 512), 4), (4, (256, 256, 1024), 6),
              (5, (512, 512, 2048), 3))
    for stage, filters, blocks in stages:
        first_strides = (1, 1) if stage == 2 else (2, 2)
        for b in range(blocks):
            x = _block(x, filters, stage, "abcdef"[b], first_strides if b == 0 else None)

    def top(x: Any) -> Any:
        x = GlobalAveragePooling2D(name="avg_pool")(x)
        return Dense(classes, activation="softmax", name="fc1000")(x)

    x = imagenet_utils.top_or_pooling(x, include_top, pooling, top)
    return imagenet_utils.finish(img_input, input_tensor, x, "resnet50", path)
