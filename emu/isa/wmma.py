"""Shapes and fragments of ``wmma`` (CUDA C++ ``nvcuda::wmma``), as the PTX ISA names them.

How a fragment's elements are spread over the lanes is left to the
implementation by the PTX ISA; emu's choice is with the engine
(``emu.engine.mma_fragments``).
"""
from __future__ import annotations

SHAPES = ((16, 16, 16), (32, 8, 16), (8, 32, 16), (16, 16, 8))     # (m, n, k)
SHAPE_NAMES = ("m16n16k16", "m32n8k16", "m8n32k16", "m16n16k8")
FRAGMENTS = ("a", "b", "c", "d")      # wmma.load.{a,b,c}, wmma.store.d


def tile(shape_id: int, fragment: int) -> tuple[int, int]:
    """(rows, cols) of the tile that fragment ``FRAGMENTS[fragment]`` of shape ``SHAPES[shape_id]`` covers."""
    m, n, k = SHAPES[shape_id]
    return ((m, k), (k, n), (m, n), (m, n))[fragment]
