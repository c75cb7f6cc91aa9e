"""Keras 2 merge layers."""

__all__: list[str] = []
