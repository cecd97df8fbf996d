"""Which matrix element each lane's fragment registers hold, and loaders built on that.

The PTX ISA ("Matrix Fragments for mma.m16n8k*") gives, for every m16n8
shape, the row and column of element ``i`` of A, B and C/D held by a lane,
with ``group = lane >> 2`` and ``tig = lane % 4`` (thread in group). With
``per = 32 / element bits`` elements per register, register ``r = i // per``
and ``j = i % per``, every shape's table reduces to:

    A (16 x k):  row = group + 8 * (r % 2)           col = tig * per + j + (k / 2) * (r // 2)
    B (k x 8):   row = tig * per + j + (k / 2) * r   col = group
    C, D (16 x 8, c0..c3, also as two .f16x2 registers):
                 row = group + 8 * (i // 2)          col = tig * 2 + i % 2

(e.g. m16n8k16 f16 A: a0, a1 at (group, tig*2 + 0/1), a2, a3 eight rows
down, a4..a7 eight columns right.) Element ``j`` of a register sits in its
bits ``j * width`` and up.

Generated per (shape, type) of ``mma.VARIANTS``, callable from kernels and
from Python:

    frag_a_m16n8k16_f16(lane, i) -> (row, col)      frag_b_..., frag_c_m16n8
    load_a_m16n8k16_f16(A, row0, col0) -> tuple of uint32 registers (this lane's)
    load_b_m16n8k16_f16(B, row0, col0)              B is the k x n matrix, any layout
    load_c_m16n8(C, row0, col0) -> 4 float32        load_c_m16n8_f16 -> 2 .f16x2 registers
    store_d_m16n8(D, row0, col0, d)                 store_d_m16n8_f16(D, row0, col0, d)

A loader reads the tile whose top-left element is ``[row0, col0]`` of a 2-D
array (global or shared memory) and gives zero for elements outside the
array. It takes any element type of the register width as bits: float16 or
uint16 (bf16 patterns) for f16/bf16, float32 or uint32 for tf32 (not rounded:
the tensor cores ignore the low 13 bits; round with ``cvt_rna_tf32_f32`` for
round-to-nearest), uint8 for fp8. Stores skip elements outside the array.
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import cuda
from numba.cuda import types
from numba.cuda.core.errors import TypingError
from numba.cuda.extending import intrinsic, register_jitable

from .mma import VARIANTS, MmaVariant
from .scalar import INTRINSICS as _SCALAR

_unpack_f16x2 = _SCALAR["unpack_f16x2"]


@intrinsic
def _as_bits(typingctx, value):
    """The bit pattern of a float16/float32 or the unsigned value of an integer, as uint32."""
    if not isinstance(value, (types.Float, types.Integer)) or value.bitwidth > 32:
        raise TypingError(f"fragment elements must be 8-, 16- or 32-bit numbers, not {value}")

    def codegen(context, builder, signature, args):
        (x,) = args
        if isinstance(value, types.Float):
            x = builder.bitcast(x, ir.IntType(value.bitwidth))
        return builder.zext(x, ir.IntType(32)) if value.bitwidth < 32 else x

    return types.uint32(value), codegen


def _a_position(k: int, per: int):
    def position(lane, i):
        group, tig, r, j = lane >> 2, lane & 3, i // per, i % per
        return group + 8 * (r % 2), tig * per + j + (k // 2) * (r // 2)
    return register_jitable(position)


def _b_position(k: int, per: int):
    def position(lane, i):
        group, tig, r, j = lane >> 2, lane & 3, i // per, i % per
        return tig * per + j + (k // 2) * r, group
    return register_jitable(position)


@register_jitable
def frag_c_m16n8(lane, i):
    """(row, col) of c_i / d_i (i = 0..3) held by ``lane``, for every m16n8 shape and both accumulators."""
    return (lane >> 2) + 8 * (i // 2), (lane & 3) * 2 + i % 2


def _register_loader(position, per: int, width: int):
    """One lane's register ``r``: ``per`` elements of ``width`` bits, element 0 in the low bits."""
    mask = (1 << width) - 1

    def register(array, row0, col0, lane, r):
        value = 0
        for j in range(per):
            row, col = position(lane, r * per + j)
            row += row0
            col += col0
            if row < array.shape[0] and col < array.shape[1]:
                value |= (_as_bits(array[row, col]) & mask) << (j * width)
        return np.uint32(value)
    return register_jitable(register)


def _tuple_loader(register, count: int):
    """A loader returning this lane's ``count`` registers as a tuple (numba builds no tuple in a loop)."""
    if count == 1:
        def load(array, row0, col0):
            return (register(array, row0, col0, cuda.laneid, 0),)
    elif count == 2:
        def load(array, row0, col0):
            lane = cuda.laneid
            return register(array, row0, col0, lane, 0), register(array, row0, col0, lane, 1)
    elif count == 4:
        def load(array, row0, col0):
            lane = cuda.laneid
            return (register(array, row0, col0, lane, 0), register(array, row0, col0, lane, 1),
                    register(array, row0, col0, lane, 2), register(array, row0, col0, lane, 3))
    else:
        raise ValueError(f"no loader for {count} registers")
    return register_jitable(load)


@register_jitable
def _c_element(array, row0, col0, lane, i):
    row, col = frag_c_m16n8(lane, i)
    row += row0
    col += col0
    if row < array.shape[0] and col < array.shape[1]:
        return np.float32(array[row, col])
    return np.float32(0.0)


@register_jitable
def load_c_m16n8(array, row0, col0):
    """This lane's c0..c3 (float32) of the 16x8 tile at [row0, col0] of ``array``; zero outside the array."""
    lane = cuda.laneid
    return (_c_element(array, row0, col0, lane, 0), _c_element(array, row0, col0, lane, 1),
            _c_element(array, row0, col0, lane, 2), _c_element(array, row0, col0, lane, 3))


load_c_m16n8_f16 = _tuple_loader(_register_loader(frag_c_m16n8, 2, 16), 2)
load_c_m16n8_f16.__doc__ = """This lane's c0..c3 as two .f16x2 registers, from a float16 (or uint16) array."""


@register_jitable
def store_d_m16n8(array, row0, col0, d):
    """Store this lane's d0..d3 (float32) into the 16x8 tile at [row0, col0] of ``array``, inside the array."""
    lane = cuda.laneid
    for i in range(4):
        row, col = frag_c_m16n8(lane, i)
        row += row0
        col += col0
        if row < array.shape[0] and col < array.shape[1]:
            array[row, col] = d[i]


@register_jitable
def store_d_m16n8_f16(array, row0, col0, d):
    """Store this lane's two .f16x2 registers of D into a float16 array, inside the array."""
    lane = cuda.laneid
    for r in range(2):
        halves = _unpack_f16x2(d[r])
        for j in range(2):
            row, col = frag_c_m16n8(lane, 2 * r + j)
            row += row0
            col += col0
            if row < array.shape[0] and col < array.shape[1]:
                array[row, col] = halves[j]


def _generate() -> dict:
    """frag_a/frag_b/load_a/load_b for every (shape, type) of the mma table."""
    made = {}
    for v in VARIANTS:
        suffix = f"{v.shape}_{v.ab}"
        if f"frag_a_{suffix}" in made:          # f32 and f16 accumulators share the A/B layout
            continue
        per, width = 32 // v.element_bits, v.element_bits
        for operand, position, count in (("a", _a_position(v.k, per), v.a_registers),
                                         ("b", _b_position(v.k, per), v.b_registers)):
            position.__doc__ = (f"(row, col) of {operand}_i held by ``lane`` in mma.{v.shape} .{v.ab} "
                                f"(i = 0..{count * per - 1}).")
            load = _tuple_loader(_register_loader(position, per, width), count)
            load.__doc__ = (f"This lane's {count} {operand.upper()} register(s) for mma.{v.shape} .{v.ab} from the "
                            f"tile at [row0, col0] of a 2-D array of {width}-bit elements; zero outside it.")
            made[f"frag_{operand}_{suffix}"] = position
            made[f"load_{operand}_{suffix}"] = load
    return made


FUNCTIONS = {"frag_c_m16n8": frag_c_m16n8, "load_c_m16n8": load_c_m16n8, "load_c_m16n8_f16": load_c_m16n8_f16,
             "store_d_m16n8": store_d_m16n8, "store_d_m16n8_f16": store_d_m16n8_f16, **_generate()}


def variant_functions(variant: MmaVariant) -> dict:
    """The fragment functions of one mma variant, by role: frag_a, frag_b, load_a, load_b, load_c, store_d."""
    suffix, f16 = f"{variant.shape}_{variant.ab}", variant.d == "f16"
    return {"frag_a": FUNCTIONS[f"frag_a_{suffix}"], "frag_b": FUNCTIONS[f"frag_b_{suffix}"],
            "frag_c": frag_c_m16n8,
            "load_a": FUNCTIONS[f"load_a_{suffix}"], "load_b": FUNCTIONS[f"load_b_{suffix}"],
            "load_c": load_c_m16n8_f16 if f16 else load_c_m16n8,
            "store_d": store_d_m16n8_f16 if f16 else store_d_m16n8}
