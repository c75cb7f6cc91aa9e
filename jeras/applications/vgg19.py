"""VGG19 (Simonyan & Zisserman, 2014), as `keras.applications.vgg19` builds it.

# Reference
    [Very Deep Convolutional Networks for Large-Scale Image Recognition](
    https://arxiv.org/abs/1409.1556)
"""
from __future__ import annotations

from typing import Any

from jeras.applications.imagenet_utils import decode_predictions
from jeras.applications.vgg16 import preprocess_input, vgg
from jeras.engine.training import Model

__all__ = ["VGG19", "decode_predictions", "preprocess_input"]


def VGG19(include_top: bool = True, weights: str | None = "imagenet",  # noqa: N802
          input_tensor: Any = None, input_shape: tuple | None = None,
          pooling: str | None = None, classes: int = 1000) -> Model:
    """VGG19: 16 convolutions in five blocks (2, 2, 4, 4, 4), then three dense layers.

    Arguments, return value and errors are VGG16's; the ImageNet file is
    `vgg19_weights_tf_dim_ordering_tf_kernels[_notop].h5` and the model is named `'vgg19'`.
    """
    return vgg((2, 2, 4, 4, 4), "vgg19", include_top, weights, input_tensor, input_shape,
               pooling, classes)
