"""Scalar PTX instructions as intrinsics: conversions, FP16/BF16 arithmetic, ``.f16x2``/``.bf16x2`` packing.

Names spell the PTX instruction with underscores for dots
(``cvt_rz_bf16_f32`` is ``cvt.rz.bf16.f32``). numba has no bfloat16
arrays, so BF16 values travel as their uint16 bit patterns; FP16 values are
numba ``float16``; TF32 results are the uint32 pattern the tensor cores read.

Packing follows the PTX register layout: the first (``lo``) value sits in the
low 16 bits, which is element 0 of an mma fragment register. ``cvt.rn.f16x2.f32
d, a, b`` puts ``a`` in the *upper* half, so ``pack_f16x2_f32(lo, hi)`` passes
them swapped.
"""
from __future__ import annotations

from ._asm import AsmOp, make_intrinsic

_ROUNDING = {"rn": "to nearest, ties to even", "rz": "toward zero", "rm": "toward -infinity",
             "rp": "toward +infinity"}


def _conversions() -> list[AsmOp]:
    ops = []
    for rnd, how in _ROUNDING.items():
        ops.append(AsmOp(f"cvt_{rnd}_f16_f32", f"cvt.{rnd}.f16.f32 $0, $1;", ("f16",), ("f32",), 20,
                         f"float32 -> float16, rounded {how}."))
        ops.append(AsmOp(f"cvt_{rnd}_bf16_f32", f"cvt.{rnd}.bf16.f32 $0, $1;", ("b16",), ("f32",), 80,
                         f"float32 -> bfloat16 bit pattern (uint16), rounded {how}."))
    ops += [
        AsmOp("cvt_rna_tf32_f32", "cvt.rna.tf32.f32 $0, $1;", ("b32",), ("f32",), 80,
              "float32 -> tf32 pattern (uint32, low 13 bits zero), rounded to nearest, ties away from zero."),
        AsmOp("cvt_f32_f16", "cvt.f32.f16 $0, $1;", ("f32",), ("f16",), 20, "float16 -> float32 (exact)."),
        AsmOp("cvt_f32_bf16", "cvt.f32.bf16 $0, $1;", ("f32",), ("b16",), 80,
              "bfloat16 bit pattern -> float32 (exact)."),
    ]
    return ops


def _arithmetic() -> list[AsmOp]:
    ops = []
    for name, operands in (("add", 2), ("sub", 2), ("mul", 2), ("fma", 3)):
        marks = ", ".join(f"${i}" for i in range(1, operands + 1))
        what = "a * b + c, rounded once" if name == "fma" else f"{name}, rounded"
        ops.append(AsmOp(f"{name}_rn_f16", f"{name}.rn.f16 $0, {marks};", ("f16",), ("f16",) * operands, 53,
                         f"float16 {what} to nearest even."))
        ops.append(AsmOp(f"{name}_rn_bf16", f"{name}.rn.bf16 $0, {marks};", ("b16",), ("b16",) * operands,
                         80 if name == "fma" else 90,
                         f"bfloat16 (uint16 patterns) {what} to nearest even."))
    return ops


def _packing() -> list[AsmOp]:
    return [
        AsmOp("pack_f16x2", "mov.b32 $0, {$1, $2};", ("b32",), ("f16", "f16"), 20,
              "Two float16 values -> one .f16x2 register (lo in the low half)."),
        AsmOp("unpack_f16x2", "mov.b32 {$0, $1}, $2;", ("f16", "f16"), ("b32",), 20,
              "One .f16x2 register -> (lo, hi) float16 values."),
        AsmOp("pack_bf16x2", "mov.b32 $0, {$1, $2};", ("b32",), ("b16", "b16"), 20,
              "Two bfloat16 patterns (uint16) -> one .bf16x2 register (lo in the low half)."),
        AsmOp("unpack_bf16x2", "mov.b32 {$0, $1}, $2;", ("b16", "b16"), ("b32",), 20,
              "One .bf16x2 register -> (lo, hi) bfloat16 patterns (uint16)."),
        AsmOp("pack_f16x2_f32", "cvt.rn.f16x2.f32 $0, $2, $1;", ("b32",), ("f32", "f32"), 80,
              "Two float32 values rounded to nearest-even float16 -> one .f16x2 register (lo in the low half)."),
        AsmOp("pack_bf16x2_f32", "cvt.rn.bf16x2.f32 $0, $2, $1;", ("b32",), ("f32", "f32"), 80,
              "Two float32 values rounded to nearest-even bfloat16 -> one .bf16x2 register (lo in the low half)."),
    ]


OPS: tuple[AsmOp, ...] = tuple(_conversions() + _arithmetic() + _packing())
INTRINSICS = {op.name: make_intrinsic(op) for op in OPS}
