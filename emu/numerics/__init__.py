"""Bit-exact numerics: formats and rounding, scalar arithmetic, tensor-core MMA."""
from .mma import mma, mma_bits

__all__ = ["mma", "mma_bits"]
