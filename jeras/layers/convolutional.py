"""Keras 2 convolutional layers."""

__all__: list[str] = []
