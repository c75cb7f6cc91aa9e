"""Keras 2 advanced activations layers."""

__all__: list[str] = []
