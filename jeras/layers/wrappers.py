"""Keras 2 wrappers layers."""

__all__: list[str] = []
