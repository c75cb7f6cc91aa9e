"""Keras 2 recurrent layers."""

__all__: list[str] = []
