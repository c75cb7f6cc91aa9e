"""Keras 2's ImageNet models (`keras.applications`), with Keras's layer names, weight
order and weight files: VGG16, VGG19, ResNet50, InceptionV3, InceptionResNetV2, Xception,
MobileNet, MobileNetV2, DenseNet121/169/201 and NASNetMobile.

Each module (`jeras.applications.vgg16`...) also has the model's `preprocess_input`
and `decode_predictions`. `weights='imagenet'` reads the files Keras 2 cached in
`~/.keras/models/`; jeras never downloads them.
"""
from jeras.applications import (
    densenet,
    imagenet_utils,
    inception_resnet_v2,
    inception_v3,
    mobilenet,
    mobilenet_v2,
    nasnet,
    resnet50,
    vgg16,
    vgg19,
    xception,
)
from jeras.applications.densenet import DenseNet121, DenseNet169, DenseNet201
from jeras.applications.inception_resnet_v2 import InceptionResNetV2
from jeras.applications.inception_v3 import InceptionV3
from jeras.applications.mobilenet import MobileNet
from jeras.applications.mobilenet_v2 import MobileNetV2
from jeras.applications.nasnet import NASNetMobile
from jeras.applications.resnet50 import ResNet50
from jeras.applications.vgg16 import VGG16
from jeras.applications.vgg19 import VGG19
from jeras.applications.xception import Xception

__all__ = ["DenseNet121", "DenseNet169", "DenseNet201", "InceptionResNetV2", "InceptionV3",
           "MobileNet", "MobileNetV2", "NASNetMobile", "ResNet50", "VGG16", "VGG19", "Xception",
           "densenet", "imagenet_utils", "inception_resnet_v2", "inception_v3", "mobilenet",
           "mobilenet_v2", "nasnet", "resnet50", "vgg16", "vgg19", "xception"]
