"""Fragment layouts of warp-level ``mma.sync``: which matrix element each lane's registers hold.

The PTX ISA ("Matrix Fragments for mma.m*n*k*", section 9.7.15.5) gives, for
each shape, the row and column of element ``i`` of A, B and C/D held by a
lane. Element ``j`` of a register sits in its bits ``j * width`` and up, so
element ``i`` is in register ``i // per`` (``per = 32 / width``). This module
is the one statement of those tables: the engine builds its gather maps from
it and ``emu.intrinsics`` its in-kernel loaders.

m16n8 shapes, with ``group = lane >> 2``, ``tig = lane % 4``, ``r = i // per``,
``j = i % per`` (one formula for every input type):

    A (16 x k):  row = group + 8 * (r % 2)           col = tig * per + j + (k / 2) * (r // 2)
    B (k x 8):   row = tig * per + j + (k / 2) * r   col = group
    C, D (c0..c3, as four .f32 or two .f16x2 registers):
                 row = group + 8 * (i // 2)          col = tig * 2 + i % 2

m8n8k4 (.f16, sm_70) is four independent 8x8x4 products per warp, computation
``(lane >> 2) % 4``: lanes 0-3 and 16-19 hold the first, 4-7 and 20-23 the
second, and so on. With ``q = lane % 4`` and ``high = 4 if lane >= 16 else 0``:

    A .row: (q + high, i)        A .col: (i + high, q)         a0..a3
    B .row: (q, i + high)        B .col: (i, q + high)         b0..b3
    C/D .f16: (q + high, i)                                     c0..c7
    C/D .f32: ((lane & 1) + (i & 2) + high, (i & 4) + (lane & 2) + (i & 1))

The position functions are plain integer code, so numba compiles them for
kernels unchanged.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

ELEMENT_BITS = {"f16": 16, "bf16": 16, "tf32": 32, "e4m3": 8, "e5m2": 8, "f32": 32}
MODEL_FORMAT = {"f16": "fp16", "bf16": "bf16", "tf32": "tf32", "e4m3": "e4m3", "e5m2": "e5m2", "f32": "fp32"}
"""PTX type of an mma operand -> its format's name in ``emu.numerics``."""
INPUT_TYPES = ("f16", "bf16", "tf32", "e4m3", "e5m2")   # types of A and B; a decoded mma's F_TY2 indexes it
ACCUMULATORS = ("f32", "f16")                           # types of C and D; a decoded mma's F_TY indexes it
LAYOUTS = ("row.col", "row.row", "col.row", "col.col")     # .alayout.blayout
ROW_COL = ("row.col",)

Position = Callable[[int, int], tuple]


@dataclass(frozen=True)
class MmaShape:
    """One ``mma.sync.aligned.<name>`` shape for a family of input types."""
    name: str
    m: int
    n: int
    k: int
    inputs: tuple[str, ...]      # PTX types of A and B (one bit width)
    min_sm: int                  # oldest target (PTX ISA, "Target ISA notes" of mma)
    layouts: tuple[str, ...] = ROW_COL
    computations: int = 1        # independent MMAs per warp: 4 for m8n8k4, one per quad pair
    last_sm: int = 1000          # newest target whose tensor cores run it (m8n8k4: Volta; later GPUs emulate it)

    def runs_on_tensor_cores(self, sm: int) -> bool:
        """Whether sm_<sm> has the instruction in its tensor cores (else ptxas refuses it or emulates it)."""
        return self.min_sm <= sm <= self.last_sm

    @property
    def element_bits(self) -> int:
        return ELEMENT_BITS[self.inputs[0]]

    @property
    def per_register(self) -> int:
        return 32 // self.element_bits

    @property
    def a_elements(self) -> int:
        """A elements each lane holds."""
        return self.m * self.k * self.computations // 32

    @property
    def b_elements(self) -> int:
        return self.k * self.n * self.computations // 32

    @property
    def c_elements(self) -> int:
        return self.m * self.n * self.computations // 32

    @property
    def a_regs(self) -> int:
        return self.a_elements // self.per_register

    @property
    def b_regs(self) -> int:
        return self.b_elements // self.per_register

    def c_regs(self, accumulator: str) -> int:
        return self.c_elements * ELEMENT_BITS[accumulator] // 32

    def computation(self, lane: int) -> int:
        """Which of the warp's independent MMAs a lane's fragments belong to."""
        return (lane >> 2) & 3 if self.computations == 4 else 0

    def a_position(self, layout: str = "row") -> Position:
        """``(lane, i) -> (row, col)`` of a_i, for A in ``layout`` (.row or .col; m16n8 shapes: .row)."""
        if self.computations == 4:
            return _m8n8k4_row_lane if layout == "row" else _m8n8k4_a_col
        return _m16n8_a(self.k, self.per_register)

    def b_position(self, layout: str = "col") -> Position:
        """``(lane, i) -> (row, col)`` of b_i, for B in ``layout`` (.col or .row; m16n8 shapes: .col)."""
        if self.computations == 4:
            return _m8n8k4_b_col if layout == "col" else _m8n8k4_b_row
        return _m16n8_b(self.k, self.per_register)

    def c_position(self, accumulator: str = "f32") -> Position:
        """``(lane, i) -> (row, col)`` of c_i / d_i for a C or D of type ``accumulator`` (f32 or f16)."""
        if self.computations == 4:
            return _m8n8k4_row_lane if accumulator == "f16" else _m8n8k4_c_f32
        return m16n8_c


SHAPES = (
    # PTX ISA: "mma.sync.m8n8k4 is optimized for target architecture sm_70 and may have substantially
    # reduced performance on other target architectures"; modelled on Volta (sm_70, sm_72) only.
    MmaShape("m8n8k4", 8, 8, 4, ("f16",), 70, LAYOUTS, computations=4, last_sm=72),
    MmaShape("m16n8k16", 16, 8, 16, ("f16", "bf16"), 80),
    MmaShape("m16n8k8", 16, 8, 8, ("f16",), 75),
    MmaShape("m16n8k8", 16, 8, 8, ("bf16",), 80),
    MmaShape("m16n8k8", 16, 8, 8, ("tf32",), 80),
    MmaShape("m16n8k4", 16, 8, 4, ("tf32",), 80),
    MmaShape("m16n8k32", 16, 8, 32, ("e4m3", "e5m2"), 89),
)


def find_shape(name: str, input_type: str) -> int:
    """Index in SHAPES of ``mma.<name>`` with ``.<input_type>`` A and B."""
    for i, shape in enumerate(SHAPES):
        if shape.name == name and input_type in shape.inputs:
            return i
    raise KeyError(f"mma.{name} with .{input_type} inputs")


def shape_of(name: str, input_type: str) -> MmaShape:
    return SHAPES[find_shape(name, input_type)]


# ------------------------------------------------------------------ the position functions
@functools.cache
def _m16n8_a(k: int, per: int) -> Position:
    def position(lane, i):
        """(row, col) of a_i held by ``lane`` (m16n8 shapes, A row-major)."""
        r, j = i // per, i % per
        return (lane >> 2) + 8 * (r % 2), (lane & 3) * per + j + (k // 2) * (r // 2)
    return position


@functools.cache
def _m16n8_b(k: int, per: int) -> Position:
    def position(lane, i):
        """(row, col) of b_i held by ``lane`` (m16n8 shapes, B column-major)."""
        return (lane & 3) * per + i % per + (k // 2) * (i // per), lane >> 2
    return position


def m16n8_c(lane, i):
    """(row, col) of c_i / d_i (i = 0..3) held by ``lane``, for every m16n8 shape and both accumulators."""
    return (lane >> 2) + 8 * (i // 2), (lane & 3) * 2 + i % 2


def _m8n8k4_row_lane(lane, i):
    """m8n8k4 A .row and C/D .f16: row from the lane, column i."""
    return lane % 4 + (4 if lane >= 16 else 0), i


def _m8n8k4_a_col(lane, i):
    """m8n8k4 A .col: row i, column from the lane."""
    return i + (4 if lane >= 16 else 0), lane % 4


def _m8n8k4_b_row(lane, i):
    """m8n8k4 B .row: row from the lane, column i."""
    return lane % 4, i + (4 if lane >= 16 else 0)


def _m8n8k4_b_col(lane, i):
    """m8n8k4 B .col: row i, column from the lane."""
    return i, lane % 4 + (4 if lane >= 16 else 0)


def _m8n8k4_c_f32(lane, i):
    """m8n8k4 C/D .f32: c0..c7 over two rows and four columns."""
    return (lane & 1) + (i & 2) + (4 if lane >= 16 else 0), (i & 4) + (lane & 2) + (i & 1)
