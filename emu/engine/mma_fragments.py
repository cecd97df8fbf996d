"""Warp-level ``mma.sync`` and ``wmma.mma.sync``: registers of 32 lanes to matrices, the tensor-core model, and back.

Each lane holds a few elements of A, B, C and D in its registers, placed as
the PTX ISA's fragment tables say (``emu.isa.fragments``). The engine gathers
the registers of all 32 lanes and calls ``execute`` (through numba's object
mode), which rebuilds A, B and C, runs ``emu.numerics.mma.mma_bits`` for the
launch's architecture and scatters D back.
"""
from __future__ import annotations

import functools

import numpy as np
from numba import njit

from emu.isa.fragments import ACCUMULATORS, INPUT_TYPES, LAYOUTS, MODEL_FORMAT, SHAPES
from emu.isa.wmma import SHAPES as WMMA_SHAPES
from emu.numerics.mma import mma_bits

ARCH_OF_CC = {70: "sm_70", 72: "sm_70", 75: "sm_75", 80: "sm_80", 86: "sm_80", 87: "sm_80", 89: "sm_89",
              90: "sm_90", 100: "sm_100"}


def _arch(cc: int) -> str:
    """The tensor-core model of compute capability ``cc`` (e.g. 86 -> "sm_80")."""
    return ARCH_OF_CC.get(cc, "sm_90" if cc > 90 else "sm_80")


def _unpack(regs: np.ndarray, bits: int) -> np.ndarray:
    """[lanes, nregs] 32-bit registers -> [lanes, nregs * 32/bits] elements, low bits first."""
    per = 32 // bits
    shifts = np.arange(per, dtype=np.int64) * bits
    elems = (regs[:, :, None].astype(np.int64) >> shifts) & ((1 << bits) - 1)
    return elems.reshape(regs.shape[0], -1)


def _pack(elems: np.ndarray, bits: int) -> np.ndarray:
    per = 32 // bits
    e = elems.reshape(elems.shape[0], -1, per).astype(np.int64)
    shifts = np.arange(per, dtype=np.int64) * bits
    return (e << shifts).sum(axis=2)


@functools.cache
def _maps(shape_id: int, layout_code: int, accumulator: str):
    """Index arrays [32, elements, 3] of (computation, row, col) for A, B and C/D (once per form)."""
    shape = SHAPES[shape_id]
    a_layout, b_layout = LAYOUTS[layout_code].split(".")

    def table(position, count):
        return np.array([[(shape.computation(lane), *position(lane, i)) for i in range(count)]
                         for lane in range(32)])

    return (table(shape.a_position(a_layout), shape.a_elements),
            table(shape.b_position(b_layout), shape.b_elements),
            table(shape.c_position(accumulator), shape.c_elements))


_WIDE = {8: np.uint8, 16: np.uint16, 32: np.uint32}


def _matrices(elements: np.ndarray, where: np.ndarray, shape: tuple, bits: int) -> np.ndarray:
    """[warps * 32, E] lane elements -> [warps, *shape] matrices, element (lane, e) at ``where[lane, e]``."""
    warps = elements.shape[0] // 32
    out = np.zeros((warps, *shape), dtype=_WIDE[bits])
    out[:, where[..., 0], where[..., 1], where[..., 2]] = elements.reshape(warps, 32, -1)
    return out


def execute(shape_id: int, layout_code: int, in_code: int, acc_code: int, cc: int,
            a_regs: np.ndarray, b_regs: np.ndarray, c_regs: np.ndarray, d_regs: np.ndarray) -> None:
    """The mma.sync of one or more warps: registers [warps * 32, n] (raw bits) in, D registers out (in place).

    ``layout_code`` indexes LAYOUTS, ``in_code`` INPUT_TYPES, ``acc_code``
    ACCUMULATORS (C and D share the type). A, B and C become arrays of each
    warp's independent computations (one, or four for m8n8k4), all computed
    by one call of ``emu.numerics.mma`` for the architecture of ``cc``.
    """
    shape = SHAPES[shape_id]
    in_type, acc = INPUT_TYPES[in_code], ACCUMULATORS[acc_code]
    a_map, b_map, c_map = _maps(shape_id, layout_code, acc)
    bits, acc_bits, q = shape.element_bits, 16 if acc == "f16" else 32, shape.computations
    A = _matrices(_unpack(a_regs & 0xFFFFFFFF, bits), a_map, (q, shape.m, shape.k), bits)
    B = _matrices(_unpack(b_regs & 0xFFFFFFFF, bits), b_map, (q, shape.k, shape.n), bits)
    C = _matrices(_unpack(c_regs & 0xFFFFFFFF, acc_bits), c_map, (q, shape.m, shape.n), acc_bits)
    arch = _arch(cc)
    D = mma_bits(A, B, C, arch=arch, input=MODEL_FORMAT[in_type], accumulate=MODEL_FORMAT[acc])
    d_el = D[:, c_map[..., 0], c_map[..., 1], c_map[..., 2]].reshape(d_regs.shape[0], -1)
    d_regs[:, :] = _pack(d_el.astype(np.int64), acc_bits)


# ---------------------------------------------------------------- wmma (CUDA C++ nvcuda::wmma)
# The PTX ISA leaves the distribution of wmma fragments over lanes unspecified
# ("implementation defined"); code may only load, compute element-wise, mma and
# store them. emu's choice: a fragment of E elements per lane holds elements
# chunk*E .. chunk*E+E-1 of the tile in row-major order, chunk = lane mod
# (tile size / E). Where the tile has fewer elements than 32*E (f16 A and B
# fragments), lanes 16..31 hold copies of lanes 0..15, as on Volta.


@njit(cache=True, error_model="numpy", _nrt=False)
def wmma_element(lane, j, per_lane, groups):
    """The tile element (row-major index) that element j of a lane's wmma fragment holds, for fragments
    of ``per_lane`` elements over a tile of ``groups * per_lane`` (the engine's loads and stores use it too)."""
    return (lane % groups) * per_lane + j


@functools.cache
def _wmma_index(per_lane: int, groups: int) -> np.ndarray:
    """[groups, per_lane]: wmma_element of the first ``groups`` lanes (the others hold copies)."""
    return np.array([[wmma_element(lane, j, per_lane, groups) for j in range(per_lane)] for lane in range(groups)])


def _wmma_matrices(regs: np.ndarray, rows: int, cols: int, bits: int) -> np.ndarray:
    """[warps * 32, n] fragment registers -> [warps, rows, cols] tiles."""
    warps = regs.shape[0] // 32
    elems = _unpack(regs & 0xFFFFFFFF, bits).reshape(warps, 32, -1)
    per_lane = elems.shape[2]
    groups = rows * cols // per_lane
    tiles = np.zeros((warps, rows * cols), dtype=elems.dtype)
    tiles[:, _wmma_index(per_lane, groups)] = elems[:, :groups]
    return tiles.reshape(warps, rows, cols)


def execute_wmma(shape_id: int, in_code: int, acc_code: int, cc: int,
                 a_regs: np.ndarray, b_regs: np.ndarray, c_regs: np.ndarray, d_regs: np.ndarray) -> None:
    """The wmma.mma.sync of one or more warps ([warps * 32, n] registers) on emu's fragment layout (see above)."""
    m, n, k = WMMA_SHAPES[shape_id]
    in_type, acc = INPUT_TYPES[in_code], ACCUMULATORS[acc_code]
    in_bits = 32 if in_type == "tf32" else 16
    acc_bits = 16 if acc == "f16" else 32
    A = _wmma_matrices(a_regs, m, k, in_bits)
    B = _wmma_matrices(b_regs, k, n, in_bits)
    C = _wmma_matrices(c_regs, m, n, acc_bits)
    narrow = np.uint32 if in_bits == 32 else np.uint16
    arch = _arch(cc)
    D = mma_bits(A.astype(narrow), B.astype(narrow), C.astype(np.uint16 if acc_bits == 16 else np.uint32),
                 arch=arch, input=MODEL_FORMAT[in_type], accumulate=MODEL_FORMAT[acc]).astype(np.int64)
    per_lane = m * n // 32                               # C/D tiles: exactly one copy over each warp's 32 lanes
    flat = D.reshape(D.shape[0], -1)[:, _wmma_index(per_lane, 32)].reshape(d_regs.shape[0], per_lane)
    d_regs[:, :] = _pack(flat, 16) if acc_bits == 16 else flat
