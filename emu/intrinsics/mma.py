"""Warp-level ``mma.sync`` as intrinsics, one per row of ``VARIANTS``.

``mma_<shape>_<d type>_<a/b type>`` computes D = A·B + C for one warp:

    d0, d1, d2, d3 = mma_m16n8k16_f32_f16(a0, a1, a2, a3, b0, b1, c0, c1, c2, c3)
    acc = mma_m16n8k16_f32_f16(a, b, acc)          # the same, with tuples

A and B registers are uint32 bit patterns (two f16/bf16, one tf32 or four
fp8 values each, element 0 in the low bits); C and D are float32 values
(``f32`` accumulator) or ``.f16x2`` uint32 registers (``f16``). The m16n8
shapes take A row-major and B column-major (``.row.col``, the only layout the
PTX ISA has for them). ``mma.m8n8k4`` (sm_70, Volta's tensor cores) takes
every layout: ``mma_m8n8k4_f32_f16`` is ``.row.col``, ``mma_m8n8k4_col_row_f32_f16``
and so on the others; a warp computes four independent 8x8x4 products with
it, one per quad pair. Which matrix element each register holds is in
``emu.isa.fragments`` (and ``emu.intrinsics.fragments`` for kernels). All 32
lanes of the warp must execute the call together.
"""
from __future__ import annotations

from dataclasses import dataclass

from emu.isa.fragments import LAYOUTS, MODEL_FORMAT, MmaShape, shape_of

from ._asm import AsmOp, make_intrinsic


@dataclass(frozen=True)
class MmaVariant:
    """``mma.sync.aligned.<shape>.<layout>.<d>.<ab>.<ab>.<d>``."""
    shape: MmaShape
    ab: str                      # PTX type of A and B
    d: str                       # PTX type of C and D: "f32" or "f16"
    layout: str = "row.col"      # .alayout.blayout

    @property
    def m(self) -> int:
        return self.shape.m

    @property
    def n(self) -> int:
        return self.shape.n

    @property
    def k(self) -> int:
        return self.shape.k

    @property
    def min_sm(self) -> int:
        return self.shape.min_sm

    @property
    def name(self) -> str:
        layout = "" if self.layout == "row.col" else "_" + self.layout.replace(".", "_")
        return f"mma_{self.shape.name}{layout}_{self.d}_{self.ab}"

    @property
    def element_bits(self) -> int:
        return self.shape.element_bits

    @property
    def a_registers(self) -> int:
        return self.shape.a_regs

    @property
    def b_registers(self) -> int:
        return self.shape.b_regs

    @property
    def c_registers(self) -> int:
        return self.shape.c_regs(self.d)

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
        ptx = (f"mma.sync.aligned.{self.shape.name}.{self.layout}.{self.d}.{self.ab}.{self.ab}.{self.d} "
               f"{marks[0]}, {marks[1]}, {marks[2]}, {marks[3]};")
        products = "four independent products (one per quad pair) of " if self.shape.computations == 4 else ""
        doc = (f"D = A·B + C on the tensor cores, one warp, {products}A {self.m}x{self.k} and B {self.k}x{self.n} "
               f"{self.ab} ({self.a_registers} and {self.b_registers} uint32 registers per lane), C and D "
               f"{self.m}x{self.n} {self.d} ({self.c_registers} "
               f"{'float32 values' if self.d == 'f32' else '.f16x2 registers'}).")
        return AsmOp(self.name, ptx, (c_reg,) * self.c_registers,
                     ("b32",) * (self.a_registers + self.b_registers) + (c_reg,) * self.c_registers,
                     self.min_sm, doc, warp_sync=True)


VARIANTS: tuple[MmaVariant, ...] = (
    MmaVariant(shape_of("m16n8k16", "f16"), "f16", "f32"),
    MmaVariant(shape_of("m16n8k16", "f16"), "f16", "f16"),
    MmaVariant(shape_of("m16n8k16", "bf16"), "bf16", "f32"),
    MmaVariant(shape_of("m16n8k8", "f16"), "f16", "f32"),
    MmaVariant(shape_of("m16n8k8", "f16"), "f16", "f16"),
    MmaVariant(shape_of("m16n8k8", "bf16"), "bf16", "f32"),
    MmaVariant(shape_of("m16n8k8", "tf32"), "tf32", "f32"),
    MmaVariant(shape_of("m16n8k4", "tf32"), "tf32", "f32"),
    MmaVariant(shape_of("m16n8k32", "e4m3"), "e4m3", "f32"),
    MmaVariant(shape_of("m16n8k32", "e5m2"), "e5m2", "f32"),
    *(MmaVariant(shape_of("m8n8k4", "f16"), "f16", d, layout) for layout in LAYOUTS for d in ("f32", "f16")),
)
BY_NAME = {v.name: v for v in VARIANTS}
INTRINSICS = {v.name: make_intrinsic(v.op()) for v in VARIANTS}
