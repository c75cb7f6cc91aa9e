"""Keras 2's data preprocessing (keras_preprocessing 1.0.5): `sequence`, `text`, `image`."""
from jeras.preprocessing import image, sequence, text

__all__ = ["image", "sequence", "text"]
