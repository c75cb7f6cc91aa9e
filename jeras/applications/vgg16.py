"""VGG16 (Simonyan & Zisserman, 2014), as `keras.applications.vgg16` builds it.

# Reference
    [Very Deep Convolutional Networks for Large-Scale Image Recognition](
    https://arxiv.org/abs/1409.1556)
"""
from __future__ import annotations

from typing import Any

from jeras import backend as K
from jeras.applications import imagenet_utils
from jeras.applications.imagenet_utils import decode_predictions
from jeras.engine.training import Model
from jeras.layers import Conv2D, Dense, Flatten, MaxPooling2D

__all__ = ["VGG16", "decode_predictions", "preprocess_input"]

WEIGHTS_ORIGIN = "https://github.com/fchollet/deep-learning-models/releases/download/v0.1/"


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Caffe-style preprocessing (RGB to BGR, minus the ImageNet channel means)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def vgg(convs_per_block: tuple[int, ...], name: str, include_top: bool, weights: str | None,
        input_tensor: Any, input_shape: tuple | None, pooling: str | None,
        classes: int) -> Model:
    """The VGG family: five blocks of 3x3 'same' ReLU convolutions (64, 128, 256, 512,
    512 filters) each closed by a 2x2 max pooling, then two 4096-unit ReLU layers and
    the softmax classifier."""
    imagenet_utils.check_weights(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=224, min_size=32, data_format=K.image_data_format(),
        require_flatten=include_top, weights=weights)
    files = imagenet_utils.keras_files(
        f"{name}_weights_tf_dim_ordering_tf_kernels", WEIGHTS_ORIGIN)
    path = imagenet_utils.weights_file(weights, files, include_top)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    x = img_input
    for block, (convs, filters) in enumerate(zip(convs_per_block, (64, 128, 256, 512, 512)),
                                             start=1):
        for i in range(1, convs + 1):
            x = Conv2D(filters, (3, 3), activation="relu", padding="same",
                       name=f"block{block}_conv{i}")(x)
        x = MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)

    def top(x: Any) -> Any:
        x = Flatten(name="flatten")(x)
        x = Dense(4096, activation="relu", name="fc1")(x)
        x = Dense(4096, activation="relu", name="fc2")(x)
        return Dense(classes, activation="softmax", name="predictions")(x)

    x = imagenet_utils.top_or_pooling(x, include_top, pooling, top)
    return imagenet_utils.finish(img_input, input_tensor, x, name, path)


def VGG16(include_top: bool = True, weights: str | None = "imagenet",  # noqa: N802
          input_tensor: Any = None, input_shape: tuple | None = None,
          pooling: str | None = None, classes: int = 1000) -> Model:
    """VGG16: 13 convolutions in five blocks (2, 2, 3, 3, 3), then three dense layers.

    # Arguments
        include_top: whether to end with the Flatten and the three dense layers.
        weights: None (random initialization), `'imagenet'` (Keras's file
            `vgg16_weights_tf_dim_ordering_tf_kernels[_notop].h5`, read from the
            Keras cache `~/.keras/models/`), or the path of a weights file.
        input_tensor: a symbolic tensor to use as the image input.
        input_shape: one image's shape; `(224, 224, 3)` by default, and required
            to be that with the top and ImageNet weights. Sides at least 32.
        pooling: without the top, None (the 4-D feature maps), `'avg'` or `'max'`
            (global pooling to 2-D).
        classes: the number of classes of the top (1000 with ImageNet weights).

    # Returns
        A `Model` named `'vgg16'`.

    # Raises
        ValueError: for invalid `weights`, `input_shape` or `pooling`.
        FileNotFoundError: for ImageNet weights missing from the Keras cache.
    """
    return vgg((2, 2, 3, 3, 3), "vgg16", include_top, weights, input_tensor, input_shape,
               pooling, classes)
