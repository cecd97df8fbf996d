"""The one table of supported PTX opcodes.

Every PTX opcode emu executes is declared here once, with its semantic family
(how the engine dispatches it) and the instruction class reported to users.
The decoder validates against this table and numbers the opcodes from it; the
engine dispatches on those numbers. An opcode missing here is refused at load
time with its name and source line.

The instruction class of arithmetic opcodes depends on the operand type
(``add.f32`` is FP32 work, ``add.s32`` integer work): ``class_by_type`` says
so, and ``instruction_class`` resolves it.
"""
from __future__ import annotations

from dataclasses import dataclass

# Instruction classes reported by the engine (Report.counts_by_class).
CLASSES = ("int", "fp32", "fp64", "fp16", "sfu", "memory", "control", "sync", "warp", "tensor", "move")
CLASS_ID = {name: i for i, name in enumerate(CLASSES)}


@dataclass(frozen=True)
class OpSpec:
    name: str            # PTX opcode without modifiers
    family: str          # engine family: int, float, compare, convert, memory, atomic, control, sync, warp, mma, special
    cls: str             # instruction class; "by_type" means derived from the operand type
    doc: str = ""


OPCODES: tuple[OpSpec, ...] = (
    # integer and type-generic arithmetic (family by operand type at decode)
    OpSpec("add", "arith", "by_type"),
    OpSpec("sub", "arith", "by_type"),
    OpSpec("mul", "arith", "by_type"),
    OpSpec("mad", "arith", "by_type"),
    OpSpec("fma", "arith", "by_type"),
    OpSpec("div", "arith", "by_type"),
    OpSpec("rem", "arith", "int"),
    OpSpec("abs", "arith", "by_type"),
    OpSpec("neg", "arith", "by_type"),
    OpSpec("min", "arith", "by_type"),
    OpSpec("max", "arith", "by_type"),
    OpSpec("addc", "arith", "int", "add with carry-in from the thread's condition code CC.CF"),
    OpSpec("subc", "arith", "int", "subtract with borrow-in from CC.CF"),
    OpSpec("madc", "arith", "int", "multiply-add with carry-in from CC.CF"),
    OpSpec("mul24", "arith", "int"),
    OpSpec("mad24", "arith", "int"),
    OpSpec("sad", "arith", "int"),
    OpSpec("popc", "arith", "int"),
    OpSpec("clz", "arith", "int"),
    OpSpec("brev", "arith", "int"),
    OpSpec("bfind", "arith", "int"),
    OpSpec("bfe", "arith", "int"),
    OpSpec("bfi", "arith", "int"),
    OpSpec("prmt", "arith", "int"),
    OpSpec("and", "arith", "int"),
    OpSpec("or", "arith", "int"),
    OpSpec("xor", "arith", "int"),
    OpSpec("not", "arith", "int"),
    OpSpec("cnot", "arith", "int"),
    OpSpec("shl", "arith", "int"),
    OpSpec("shr", "arith", "int"),
    OpSpec("shf", "arith", "int"),
    # floating point only
    OpSpec("rcp", "arith", "by_type", "approx on f32 is the correctly rounded value (hardware: max 1 ulp)"),
    OpSpec("sqrt", "arith", "by_type"),
    OpSpec("rsqrt", "arith", "sfu", "approx: computed in float64 and rounded; hardware error ≤ 2^-22.9 rel"),
    OpSpec("ex2", "arith", "sfu", "approx: computed in float64 and rounded; hardware max error 2 ulp"),
    OpSpec("lg2", "arith", "sfu", "approx: computed in float64 and rounded; hardware abs error ≤ 2^-22.6"),
    OpSpec("sin", "arith", "sfu", "approx: computed in float64 and rounded; hardware abs error ≤ 2^-20.9 in [-pi, pi]"),
    OpSpec("cos", "arith", "sfu", "approx: computed in float64 and rounded; hardware abs error ≤ 2^-20.9 in [-pi, pi]"),
    OpSpec("tanh", "arith", "sfu", "approx: computed in float64 and rounded; hardware max rel error 2^-10.987"),
    OpSpec("copysign", "arith", "by_type"),
    OpSpec("testp", "arith", "by_type"),
    # comparison and selection
    OpSpec("setp", "compare", "by_type"),
    OpSpec("set", "compare", "by_type"),
    OpSpec("selp", "compare", "int"),
    OpSpec("slct", "compare", "int"),
    # data movement and conversion
    OpSpec("mov", "convert", "move"),
    OpSpec("cvt", "convert", "by_type"),
    OpSpec("cvta", "convert", "int"),
    # memory
    OpSpec("ld", "memory", "memory"),
    OpSpec("ldu", "memory", "memory"),
    OpSpec("st", "memory", "memory"),
    OpSpec("prefetch", "memory", "memory", "no effect on results"),
    OpSpec("atom", "atomic", "memory"),
    OpSpec("red", "atomic", "memory"),
    # control
    OpSpec("bra", "control", "control"),
    OpSpec("call", "control", "control"),
    OpSpec("ret", "control", "control"),
    OpSpec("exit", "control", "control"),
    OpSpec("trap", "control", "control"),
    # synchronisation
    OpSpec("bar", "sync", "sync"),
    OpSpec("barrier", "sync", "sync"),
    OpSpec("membar", "sync", "sync", "no effect: the functional engine is sequentially consistent"),
    OpSpec("fence", "sync", "sync", "no effect: the functional engine is sequentially consistent"),
    # warp-level
    OpSpec("shfl", "warp", "warp"),
    OpSpec("vote", "warp", "warp"),
    OpSpec("activemask", "warp", "warp"),
    OpSpec("match", "warp", "warp"),
    OpSpec("redux", "warp", "warp"),
    # tensor cores
    OpSpec("mma", "mma", "tensor", "warp-level mma.sync; bits from emu.numerics.mma for the preset's arch"),
    OpSpec("ldmatrix", "ldmatrix", "memory", "loads 8x8 b16 matrices from shared memory into mma fragments"),
    OpSpec("wmma", "wmma", "tensor", "wmma.load/mma/store.sync (CUDA C++ nvcuda::wmma); fragment layout is emu's"),
)

BY_NAME: dict[str, OpSpec] = {spec.name: spec for spec in OPCODES}
OPCODE_ID: dict[str, int] = {spec.name: i for i, spec in enumerate(OPCODES)}


def instruction_class(opcode: str, type_name: str | None) -> str:
    """Class of an instruction for the report: resolves "by_type" from its PTX type."""
    spec = BY_NAME[opcode]
    if spec.cls != "by_type":
        return spec.cls
    if type_name in ("f32", "tf32"):
        return "sfu" if opcode in ("rcp", "sqrt", "div") else "fp32"
    if type_name == "f64":
        return "fp64"
    if type_name in ("f16", "f16x2", "bf16", "bf16x2"):
        return "fp16"
    return "int"
