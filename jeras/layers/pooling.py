"""Keras 2 pooling layers."""

__all__: list[str] = []
