"""Data sets: `digits` ships inside the package."""
from jeras.datasets import digits

__all__ = ["digits"]
