"""Warp-level ``mma.sync`` as intrinsics, one per row of ``VARIANTS``.

``mma_<shape>_<d type>_<a/b type>`` computes D = A·B + C for one warp:

    d0, d1, d2, d3 = mma_m16n8k16_f32_f16(a0, a1, a2, a3, b0, b1, c0, c1, c2, c3)
    acc = mma_m16n8k16_f32_f16(a, b, acc)          # the same, with tuples

A and B registers are uint32 bit patterns (two f16/bf16, one tf32 or four
fp8 values each, element 0 in the low bits); C and D are four float32 values
(``f32`` accumulator) or two ``.f16x2`` uint32 registers (``f16``). Which
matrix element each register holds is in ``emu.intrinsics.fragments``. All 32
lanes of the warp must execute the call together.
"""
from __future__ import annotations

from dataclasses import dataclass

from ._asm import AsmOp, make_intrinsic

ELEMENT_BITS = {"f16": 16, "bf16": 16, "tf32": 32, "e4m3": 8, "e5m2": 8}
MODEL_FORMAT = {"f16": "fp16", "bf16": "bf16", "tf32": "tf32", "e4m3": "e4m3", "e5m2": "e5m2", "f32": "fp32"}


@dataclass(frozen=True)
class MmaVariant:
    """``mma.sync.aligned.m16n8k<k>.row.col.<d>.<ab>.<ab>.<d>``."""
    k: int
    ab: str           # PTX type of A and B
    d: str            # PTX type of C and D: "f32" or "f16"
    min_sm: int       # PTX ISA, "Target ISA notes" of mma

    m = 16
    n = 8

    @property
    def shape(self) -> str:
        return f"m{self.m}n{self.n}k{self.k}"

    @property
    def name(self) -> str:
        return f"mma_{self.shape}_{self.d}_{self.ab}"

    @property
    def element_bits(self) -> int:
        return ELEMENT_BITS[self.ab]

    @property
    def a_registers(self) -> int:
        return self.m * self.k * self.element_bits // (32 * 32)

    @property
    def b_registers(self) -> int:
        return self.k * self.n * self.element_bits // (32 * 32)

    @property
    def c_registers(self) -> int:
        return self.m * self.n * (16 if self.d == "f16" else 32) // (32 * 32)

    @property
    def input_format(self) -> str:
        """The operand format's name in ``emu.numerics`` ("fp16", "tf32", ...)."""
        return MODEL_FORMAT[self.ab]

    @property
    def accumulate_format(self) -> str:
        return MODEL_FORMAT[self.d]

    def op(self) -> AsmOp:
        c_reg = "f32" if self.d == "f32" else "b32"
        counts = (self.c_registers, self.a_registers, self.b_registers, self.c_registers)
        marks, start = [], 0
        for count in counts:
            marks.append("{" + ", ".join(f"${start + i}" for i in range(count)) + "}")
            start += count
        ptx = (f"mma.sync.aligned.{self.shape}.row.col.{self.d}.{self.ab}.{self.ab}.{self.d} "
               f"{marks[0]}, {marks[1]}, {marks[2]}, {marks[3]};")
        doc = (f"D = A·B + C on the tensor cores, one warp: A {self.m}x{self.k} and B {self.k}x{self.n} {self.ab} "
               f"({self.a_registers} and {self.b_registers} uint32 registers per lane), C and D {self.m}x{self.n} "
               f"{self.d} ({self.c_registers} {'float32 values' if self.d == 'f32' else '.f16x2 registers'}).")
        return AsmOp(self.name, ptx, (c_reg,) * self.c_registers,
                     ("b32",) * (self.a_registers + self.b_registers) + (c_reg,) * self.c_registers,
                     self.min_sm, doc, warp_sync=True)


VARIANTS: tuple[MmaVariant, ...] = (
    MmaVariant(16, "f16", "f32", 80),
    MmaVariant(16, "f16", "f16", 80),
    MmaVariant(16, "bf16", "f32", 80),
    MmaVariant(8, "f16", "f32", 75),
    MmaVariant(8, "f16", "f16", 75),
    MmaVariant(8, "bf16", "f32", 80),
    MmaVariant(8, "tf32", "f32", 80),
    MmaVariant(4, "tf32", "f32", 80),
    MmaVariant(32, "e4m3", "f32", 89),
    MmaVariant(32, "e5m2", "f32", 89),
)
BY_NAME = {v.name: v for v in VARIANTS}
INTRINSICS = {v.name: make_intrinsic(v.op()) for v in VARIANTS}
