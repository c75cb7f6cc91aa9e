"""Keras 2 normalization layers."""

__all__: list[str] = []
