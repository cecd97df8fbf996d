"""Fragment positions and tile loaders for the mma intrinsics, callable from kernels and from Python.

The positions are those of ``emu.isa.fragments`` (the PTX ISA's tables), the
same functions the engine uses, compiled by numba for kernels. Generated per
variant of ``mma.VARIANTS``:

    frag_a_m16n8k16_f16(lane, i) -> (row, col)      frag_b_..., frag_c_m16n8
    load_a_m16n8k16_f16(A, row0, col0) -> tuple of uint32 registers (this lane's)
    load_b_m16n8k16_f16(B, row0, col0)              B is the k x n matrix, any layout
    load_c_m16n8(C, row0, col0) -> 4 float32        load_c_m16n8_f16 -> 2 .f16x2 registers
    store_d_m16n8(D, row0, col0, d)                 store_d_m16n8_f16(D, row0, col0, d)

(e.g. m16n8k16 f16 A: a0, a1 at (group, tig*2 + 0/1), a2, a3 eight rows
down, a4..a7 eight columns right.) For ``mma.m8n8k4`` the A and B names carry
the layout when it is not the default (``frag_a_m8n8k4_col_f16``,
``load_b_m8n8k4_row_f16``), C and D theirs by accumulator
(``frag_c_m8n8k4`` for f32, ``frag_c_m8n8k4_f16``; ``load_c_m8n8k4`` gives 8
float32), and ``computation_m8n8k4(lane)`` says which of the warp's four
products a lane works on: each quad pair passes its own tile origin.

A loader reads the tile whose top-left element is ``[row0, col0]`` of a 2-D
array (global or shared memory) and gives zero for elements outside the
array. It takes any element type of the register width as bits: float16 or
uint16 (bf16 patterns) for f16/bf16, float32 or uint32 for tf32 (not rounded:
the tensor cores ignore the low 13 bits; round with ``cvt_rna_tf32_f32`` for
round-to-nearest), uint8 for fp8. Stores skip elements outside the array.
"""
from __future__ import annotations

import functools

import numpy as np
from llvmlite import ir
from numba import cuda
from numba.cuda import types
from numba.cuda.core.errors import TypingError
from numba.cuda.extending import intrinsic, register_jitable

from .mma import VARIANTS, MmaVariant
from .scalar import INTRINSICS as _SCALAR

_unpack_f16x2 = _SCALAR["unpack_f16x2"]
_jitable = functools.cache(register_jitable)      # one numba overload per position function


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


def _float_loader(position):
    """One lane's element ``i`` as a float32 (an f32 accumulator register)."""
    def element(array, row0, col0, lane, i):
        row, col = position(lane, i)
        row += row0
        col += col0
        if row < array.shape[0] and col < array.shape[1]:
            return np.float32(array[row, col])
        return np.float32(0.0)
    return register_jitable(element)


def _tuple_loader(part, count: int, doc: str):
    """``load(array, row0, col0)``: this lane's ``(part(..., 0), ..., part(..., count - 1))``.

    numba builds no tuple in a loop, so the call list is written out as source.
    """
    calls = ", ".join(f"part(array, row0, col0, lane, {r})" for r in range(count))
    namespace = {"cuda": cuda, "part": part}
    exec(f"def load(array, row0, col0):\n    lane = cuda.laneid\n    return ({calls},)\n", namespace)
    load = namespace["load"]
    load.__doc__ = doc
    return register_jitable(load)


@register_jitable
def _float_element(d, i):
    return d[i]


@register_jitable
def _f16x2_element(d, i):
    return _unpack_f16x2(d[i // 2])[i % 2]


def _store(position, element, count: int, doc: str):
    """``store(array, row0, col0, d)``: element ``i`` of D (``element(d, i)``) to its place in the tile."""
    def store(array, row0, col0, d):
        lane = cuda.laneid
        for i in range(count):
            row, col = position(lane, i)
            row += row0
            col += col0
            if row < array.shape[0] and col < array.shape[1]:
                array[row, col] = element(d, i)
    store.__doc__ = doc
    return register_jitable(store)


def _tile_name(shape) -> str:
    """C/D functions are per tile: one set for every m16n8 shape, one for m8n8k4."""
    return shape.name if shape.computations > 1 else f"m{shape.m}n{shape.n}"


def _operand_suffix(variant: MmaVariant, operand: str) -> str:
    layout = variant.layout.split(".")[0 if operand == "a" else 1]
    default = "row" if operand == "a" else "col"
    return f"{variant.shape.name}{'' if layout == default else '_' + layout}_{variant.ab}"


def _accumulator_suffix(variant: MmaVariant) -> str:
    return _tile_name(variant.shape) + ("_f16" if variant.d == "f16" else "")


def _operand_functions(variant: MmaVariant, operand: str) -> dict:
    """frag_ and load_ of A or B for ``variant``."""
    shape, per, width = variant.shape, 32 // variant.element_bits, variant.element_bits
    layout = variant.layout.split(".")[0 if operand == "a" else 1]
    position = _jitable(shape.a_position(layout) if operand == "a" else shape.b_position(layout))
    count = variant.a_registers if operand == "a" else variant.b_registers
    suffix = _operand_suffix(variant, operand)
    load = _tuple_loader(_register_loader(position, per, width), count,
                         f"This lane's {count} {operand.upper()} register(s) for mma.{shape.name} .{variant.ab} "
                         f"({layout}) from the tile at [row0, col0] of a 2-D array of {width}-bit elements; "
                         f"zero outside it.")
    return {f"frag_{operand}_{suffix}": position, f"load_{operand}_{suffix}": load}


def _accumulator_functions(variant: MmaVariant) -> dict:
    """frag_c_, load_c_ and store_d_ for ``variant``'s tile and accumulator type."""
    shape = variant.shape
    position = _jitable(shape.c_position(variant.d))
    suffix, tile, elements = _accumulator_suffix(variant), f"{shape.m}x{shape.n} tile", shape.c_elements
    if variant.d == "f16":
        registers = elements // 2
        load = _tuple_loader(_register_loader(position, 2, 16), registers,
                             f"This lane's C as {registers} .f16x2 registers from the {tile} at [row0, col0] of a "
                             f"float16 (or uint16) array; zero outside it.")
        store = _store(position, _f16x2_element, elements,
                             f"Store this lane's {registers} .f16x2 registers of D into the {tile} at [row0, col0] "
                             f"of a float16 array, inside it.")
    else:
        load = _tuple_loader(_float_loader(position), elements,
                             f"This lane's c0..c{elements - 1} (float32) of the {tile} at [row0, col0] of "
                             f"``array``; zero outside it.")
        store = _store(position, _float_element, elements,
                             f"Store this lane's d0..d{elements - 1} (float32) into the {tile} at [row0, col0] of "
                             f"``array``, inside it.")
    return {f"frag_c_{suffix}": position, f"load_c_{suffix}": load, f"store_d_{suffix}": store}


def _generate() -> dict:
    """Every variant's functions, each made once (variants share them by layout, type and tile)."""
    made = {}
    for variant in VARIANTS:
        for operand in ("a", "b"):
            if f"frag_{operand}_{_operand_suffix(variant, operand)}" not in made:
                made.update(_operand_functions(variant, operand))
        if f"frag_c_{_accumulator_suffix(variant)}" not in made:
            made.update(_accumulator_functions(variant))
    return made


@register_jitable
def computation_m8n8k4(lane):
    """Which of the four independent 8x8x4 products of ``mma.m8n8k4`` ``lane`` holds fragments of."""
    return (lane >> 2) & 3


@register_jitable
def _single_computation(lane):
    return 0

FUNCTIONS = {"computation_m8n8k4": computation_m8n8k4, **_generate()}


def variant_functions(variant: MmaVariant) -> dict:
    """The fragment functions of one mma variant, by role: frag_a, frag_b, frag_c, load_a, load_b, load_c,
    store_d, and computation (lane -> which of the warp's independent products, 0 for single-product shapes)."""
    a, b, c = _operand_suffix(variant, "a"), _operand_suffix(variant, "b"), _accumulator_suffix(variant)
    return {"frag_a": FUNCTIONS[f"frag_a_{a}"], "frag_b": FUNCTIONS[f"frag_b_{b}"], "frag_c": FUNCTIONS[f"frag_c_{c}"],
            "load_a": FUNCTIONS[f"load_a_{a}"], "load_b": FUNCTIONS[f"load_b_{b}"],
            "load_c": FUNCTIONS[f"load_c_{c}"], "store_d": FUNCTIONS[f"store_d_{c}"],
            "computation": computation_m8n8k4 if variant.shape.computations == 4 else _single_computation}
