"""Keras 2 embeddings layers."""

__all__: list[str] = []
