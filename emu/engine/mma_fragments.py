"""Warp-level ``mma.sync``: fragment layouts of the PTX ISA and the call into the tensor-core model.

Each lane of the warp holds a few elements of A, B, C and D in its registers.
The maps below say which matrix element each register half / byte holds
(PTX ISA, "Matrix Fragments for mma.m16n8k*"); ``groupID = lane >> 2`` and
``tig = lane % 4`` (thread in group). The engine gathers the registers of all
32 lanes and calls ``execute`` (through numba's object mode), which rebuilds
A, B and C, runs ``emu.numerics.mma.mma_bits`` for the launch's architecture
and scatters D back.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emu.numerics.mma import mma_bits


@dataclass(frozen=True)
class Shape:
    name: str
    m: int
    n: int
    k: int
    inputs: tuple        # PTX input type names allowed for A/B
    element_bits: int    # bits per A/B element in a register (16 for f16/bf16, 32 tf32, 8 fp8)
    min_sm: int          # first target with this shape and type (PTX ISA, "mma" target ISA notes)

    @property
    def a_regs(self) -> int:
        return self.m * self.k * self.element_bits // (32 * 32)

    @property
    def b_regs(self) -> int:
        return self.k * self.n * self.element_bits // (32 * 32)

    def c_regs(self, accumulator: str) -> int:
        return self.m * self.n * (16 if accumulator == "f16" else 32) // (32 * 32)


SHAPES = (
    Shape("m16n8k16", 16, 8, 16, ("f16", "bf16"), 16, 80),
    Shape("m16n8k8", 16, 8, 8, ("f16",), 16, 75),
    Shape("m16n8k8", 16, 8, 8, ("bf16",), 16, 80),
    Shape("m16n8k8", 16, 8, 8, ("tf32",), 32, 80),
    Shape("m16n8k4", 16, 8, 4, ("tf32",), 32, 80),
    Shape("m16n8k32", 16, 8, 32, ("e4m3", "e5m2"), 8, 89),
)
INPUT_TYPES = ("f16", "bf16", "tf32", "e4m3", "e5m2")   # F_TY2 of a decoded mma
ACCUMULATORS = ("f32", "f16")                           # F_TY of a decoded mma (C and D)
PTX_TO_MODEL = {"f16": "fp16", "bf16": "bf16", "tf32": "tf32", "e4m3": "e4m3", "e5m2": "e5m2", "f32": "fp32"}
ARCH_OF_CC = {70: "sm_70", 75: "sm_75", 80: "sm_80", 86: "sm_80", 87: "sm_80", 89: "sm_89", 90: "sm_90",
              100: "sm_100"}


def find_shape(name: str, input_type: str) -> int:
    for i, shape in enumerate(SHAPES):
        if shape.name == name and input_type in shape.inputs:
            return i
    raise KeyError(f"mma.{name} with .{input_type} inputs")


# ---------------------------------------------------------------- fragment maps: (lane, element) -> (row, col)
def a_position(shape: Shape, lane: int, i: int) -> tuple[int, int]:
    """Element i of A held by lane (elements numbered as the PTX ISA's a0, a1, ...)."""
    group, tig = lane >> 2, lane % 4
    if shape.element_bits == 32:                       # tf32: m16n8k8 a0..a3, m16n8k4 a0..a1
        row = group + 8 * (i % 2)
        col = tig + 4 * (i // 2)
        return row, col
    if shape.element_bits == 8:                        # m16n8k32 fp8: a0..a15
        row = group + (8 if (i % 8) >= 4 else 0)
        col = tig * 4 + (i & 3) + (16 if i >= 8 else 0)
        return row, col
    if shape.k == 16:                                  # m16n8k16 f16/bf16: a0..a7
        row = group + (8 if i in (2, 3, 6, 7) else 0)
        col = tig * 2 + (i & 1) + (8 if i >= 4 else 0)
        return row, col
    row = group + (8 if i >= 2 else 0)                 # m16n8k8 f16/bf16: a0..a3
    return row, tig * 2 + (i & 1)


def b_position(shape: Shape, lane: int, i: int) -> tuple[int, int]:
    group, tig = lane >> 2, lane % 4
    if shape.element_bits == 32:                       # tf32: b0 (k4), b0..b1 (k8)
        return tig + 4 * i, group
    if shape.element_bits == 8:                        # fp8: b0..b7
        return tig * 4 + (i & 3) + (16 if i >= 4 else 0), group
    if shape.k == 16:                                  # f16/bf16 k16: b0..b3
        return tig * 2 + (i & 1) + (8 if i >= 2 else 0), group
    return tig * 2 + i, group                          # k8: b0..b1


def c_position(lane: int, i: int) -> tuple[int, int]:
    """Element i of C/D (c0..c3) held by lane, for every m16n8 shape."""
    group, tig = lane >> 2, lane % 4
    return group + (8 if i >= 2 else 0), tig * 2 + (i & 1)


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


_MAPS: dict = {}


def _maps(shape_id: int):
    """Index arrays scattering lane elements into A, B, C (computed once per shape)."""
    if shape_id not in _MAPS:
        shape = SHAPES[shape_id]
        lanes = np.arange(32)
        na = shape.a_regs * 32 // shape.element_bits
        nb = shape.b_regs * 32 // shape.element_bits
        a = np.array([[a_position(shape, lane, i) for i in range(na)] for lane in lanes])
        b = np.array([[b_position(shape, lane, i) for i in range(nb)] for lane in lanes])
        c = np.array([[c_position(lane, i) for i in range(4)] for lane in lanes])
        _MAPS[shape_id] = (a, b, c)
    return _MAPS[shape_id]


def execute(shape_id: int, in_code: int, acc_code: int, cc: int,
            a_regs: np.ndarray, b_regs: np.ndarray, c_regs: np.ndarray, d_regs: np.ndarray) -> None:
    """One warp's mma.sync: registers [32, n] (raw bits) in, D registers out (in place).

    ``in_code`` indexes INPUT_TYPES, ``acc_code`` ACCUMULATORS (C and D share the type).
    """
    shape = SHAPES[shape_id]
    in_type, c_type = INPUT_TYPES[in_code], ACCUMULATORS[acc_code]
    d_type = c_type
    a_map, b_map, c_map = _maps(shape_id)
    bits = shape.element_bits
    a_el = _unpack(a_regs & 0xFFFFFFFF, bits)
    b_el = _unpack(b_regs & 0xFFFFFFFF, bits)
    A = np.zeros((shape.m, shape.k), dtype=np.uint32)
    B = np.zeros((shape.k, shape.n), dtype=np.uint32)
    A[a_map[..., 0], a_map[..., 1]] = a_el
    B[b_map[..., 0], b_map[..., 1]] = b_el
    if c_type == "f16":
        c_el = _unpack(c_regs & 0xFFFFFFFF, 16)
        C = np.zeros((shape.m, shape.n), dtype=np.uint16)
    else:
        c_el = c_regs & 0xFFFFFFFF
        C = np.zeros((shape.m, shape.n), dtype=np.uint32)
    C[c_map[..., 0], c_map[..., 1]] = c_el
    if in_type in ("f16", "bf16"):
        A, B = A.astype(np.uint16), B.astype(np.uint16)
    elif in_type in ("e4m3", "e5m2"):
        A, B = A.astype(np.uint8), B.astype(np.uint8)
    arch = ARCH_OF_CC.get(cc, "sm_90" if cc > 90 else "sm_80")
    D = mma_bits(A, B, C, arch=arch, input=PTX_TO_MODEL[in_type], accumulate=PTX_TO_MODEL[d_type])
    d_el = D[c_map[..., 0], c_map[..., 1]].astype(np.int64)
    d_regs[:, :] = _pack(d_el, 16) if d_type == "f16" else d_el


# ---------------------------------------------------------------- wmma (CUDA C++ nvcuda::wmma)
# The PTX ISA leaves the distribution of wmma fragments over lanes unspecified
# ("implementation defined"); code may only load, compute element-wise, mma and
# store them. emu's choice: a fragment of E elements per lane holds elements
# chunk*E .. chunk*E+E-1 of the tile in row-major order, chunk = lane mod
# (tile size / E). Where the tile has fewer elements than 32*E (f16 A and B
# fragments), lanes 16..31 hold copies of lanes 0..15, as on Volta.
WMMA_SHAPES = ((16, 16, 16), (32, 8, 16), (8, 32, 16), (16, 16, 8))     # (m, n, k)
WMMA_SHAPE_NAMES = ("m16n16k16", "m32n8k16", "m8n32k16", "m16n16k8")
WMMA_KINDS = ("a", "b", "c", "d")


def wmma_tile(shape_id: int, kind: int) -> tuple[int, int]:
    """(rows, cols) of the tile a wmma fragment kind (0 a, 1 b, 2 c, 3 d) covers."""
    m, n, k = WMMA_SHAPES[shape_id]
    return ((m, k), (k, n), (m, n), (m, n))[kind]


def _wmma_matrix(regs: np.ndarray, rows: int, cols: int, bits: int) -> np.ndarray:
    elems = _unpack(regs & 0xFFFFFFFF, bits)            # [32, E]
    per_lane = elems.shape[1]
    groups = rows * cols // per_lane
    return elems[:groups].reshape(rows, cols)


def execute_wmma(shape_id: int, in_code: int, acc_code: int, cc: int,
                 a_regs: np.ndarray, b_regs: np.ndarray, c_regs: np.ndarray, d_regs: np.ndarray) -> None:
    """One warp's wmma.mma.sync on emu's fragment layout (see above)."""
    m, n, k = WMMA_SHAPES[shape_id]
    in_type, acc = INPUT_TYPES[in_code], ACCUMULATORS[acc_code]
    in_bits = 32 if in_type == "tf32" else 16
    acc_bits = 16 if acc == "f16" else 32
    A = _wmma_matrix(a_regs, m, k, in_bits)
    B = _wmma_matrix(b_regs, k, n, in_bits)
    C = _wmma_matrix(c_regs, m, n, acc_bits)
    narrow = np.uint32 if in_bits == 32 else np.uint16
    arch = ARCH_OF_CC.get(cc, "sm_90" if cc > 90 else "sm_80")
    D = mma_bits(A.astype(narrow), B.astype(narrow), C.astype(np.uint16 if acc_bits == 16 else np.uint32),
                 arch=arch, input=PTX_TO_MODEL[in_type], accumulate=PTX_TO_MODEL[acc]).astype(np.int64)
    flat = D.reshape(32, -1)                             # C/D tiles: exactly one copy over the 32 lanes
    d_regs[:, :] = _pack(flat, 16) if acc_bits == 16 else flat
