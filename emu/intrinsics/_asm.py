"""Inline PTX as numba.cuda intrinsics: one description per instruction, the intrinsic generated from it.

An ``AsmOp`` holds the PTX text of one instruction with LLVM's operand
markers (``$0``, ``$1``, ...: outputs first, then inputs, as in CUDA's
``asm()``), the register class of every output and input, and the oldest
``sm`` that runs it. ``make_intrinsic(op)`` turns it into a function callable
inside ``@cuda.jit`` kernels that emits exactly that text through an llvmlite
``ir.InlineAsm``. NVVM passes inline assembly through unchanged, so
``numba.cuda.compile_ptx`` keeps it: the same kernel runs on a real GPU (ptxas
assembles the text) and on emu (which parses it).

Arguments: a tuple argument is spliced into the operand list, so
``mma(a, b, c)`` with a 4-tuple, a 2-tuple and a 4-tuple is the same call as
``mma(a0, a1, a2, a3, b0, b1, c0, c1, c2, c3)``. Bit-pattern registers
(``b16``, ``b32``) take any integer (truncated to the register's width) and
refuse floats; ``f32`` takes any float (converted by value) and refuses
integers, which are more likely misplaced bit patterns; ``f16`` takes only a
``float16``, so that no rounding happens behind the caller's back. One result
comes back as a scalar, several as a tuple.

Warp-wide instructions (``.sync.aligned``: mma, ldmatrix) are emitted as
volatile and convergent, as CUDA's headers emit them: LLVM may then neither
drop nor duplicate them, move them across barriers, nor sink them into
divergent code. Timing fences (reads of ``%clock64``) are emitted as volatile
with a memory clobber, as CUDA's ``clock64()`` is: LLVM keeps two reads apart
and keeps every memory access on its side of them.
"""
from __future__ import annotations

from dataclasses import dataclass

from llvmlite import ir
from numba.cuda import cgutils, types
from numba.cuda.core.errors import TypingError
from numba.cuda.extending import intrinsic


@dataclass(frozen=True)
class Register:
    """A PTX register class as numba and LLVM see it."""
    numba_type: types.Type
    constraint: str            # LLVM inline-asm constraint letter (NVPTX)
    llvm_type: ir.Type         # the type of the asm operand
    is_float: bool             # takes floats (converted by value), not bit patterns


_I16, _I32, _I64 = ir.IntType(16), ir.IntType(32), ir.IntType(64)

REGISTERS = {
    "b16": Register(types.uint16, "h", _I16, False),    # a 16-bit pattern: bf16, or two fp8
    "f16": Register(types.float16, "h", _I16, True),    # a float16 (numba-cuda keeps its value in an i16)
    "b32": Register(types.uint32, "r", _I32, False),    # a 32-bit pattern: .f16x2, .bf16x2, tf32, 4 x fp8
    "f32": Register(types.float32, "f", ir.FloatType(), True),
    "b64": Register(types.uint64, "l", _I64, False),    # an address
}


@dataclass(frozen=True)
class AsmOp:
    """One PTX instruction as an intrinsic: ``name(inputs...) -> outputs``."""
    name: str
    ptx: str                    # e.g. "cvt.rna.tf32.f32 $0, $1;"
    outputs: tuple[str, ...]    # register classes (keys of REGISTERS)
    inputs: tuple[str, ...]
    min_sm: int                 # the oldest target that has it (PTX ISA; checked with ptxas in the tests)
    doc: str
    warp_sync: bool = False     # a .sync.aligned warp instruction
    timing_fence: bool = False  # reads a clock: never merged, moved, or crossed by memory accesses

    def __post_init__(self):
        assert self.outputs and all(r in REGISTERS for r in self.outputs + self.inputs), self.name
        for i in range(len(self.outputs) + len(self.inputs)):
            assert f"${i}" in self.ptx, f"{self.name}: operand ${i} unused"

    @property
    def result_type(self) -> types.Type:
        kinds = [REGISTERS[r].numba_type for r in self.outputs]
        if len(kinds) == 1:
            return kinds[0]
        return types.UniTuple(kinds[0], len(kinds)) if len(set(kinds)) == 1 else types.Tuple(kinds)

    def signature_text(self) -> str:
        return f"{self.name}({', '.join(self.inputs)}) -> {', '.join(self.outputs)}"


def _spliced(args) -> list:
    """The argument types with tuple arguments spliced in."""
    flat = []
    for ty in args:
        flat.extend(ty.types if isinstance(ty, types.BaseTuple) else (ty,))
    return flat


def _check_argument(op: AsmOp, position: int, ty: types.Type, register: str) -> None:
    reg = REGISTERS[register]
    if register == "f16":
        ok = ty == types.float16
        want = "a float16 (convert explicitly: no silent rounding)"
    elif reg.is_float:
        ok = isinstance(ty, types.Float)
        want = "a float (converted by value)"
    else:
        ok = isinstance(ty, types.Integer)
        want = f"an integer bit pattern ({register})"
    if not ok:
        raise TypingError(f"{op.name}: operand {position} must be {want}, not {ty}; {op.signature_text()}")


def make_intrinsic(op: AsmOp):
    """The numba.cuda intrinsic that emits ``op.ptx``."""

    def typer(typingctx, *args):
        flat = _spliced(args)
        if len(flat) != len(op.inputs):
            raise TypingError(f"{op.name} takes {len(op.inputs)} operands (tuples count by their elements), "
                              f"got {len(flat)}; {op.signature_text()}")
        for position, (ty, register) in enumerate(zip(flat, op.inputs)):
            _check_argument(op, position, ty, register)
        return op.result_type(types.StarArgTuple.from_types(args)), codegen

    def codegen(context, builder, signature, llargs):
        (star,) = signature.args
        operands = []
        for ty, value in zip(star.types, cgutils.unpack_tuple(builder, llargs[0], len(star.types))):
            if isinstance(ty, types.BaseTuple):
                operands.extend(zip(ty.types, cgutils.unpack_tuple(builder, value, len(ty.types))))
            else:
                operands.append((ty, value))
        values = []
        for (ty, value), register in zip(operands, op.inputs):
            reg = REGISTERS[register]
            value = context.cast(builder, value, ty, reg.numba_type)
            values.append(value if value.type == reg.llvm_type else builder.bitcast(value, reg.llvm_type))
        outs = [REGISTERS[r] for r in op.outputs]
        returned = outs[0].llvm_type if len(outs) == 1 else ir.LiteralStructType([r.llvm_type for r in outs])
        constraints = ",".join([f"={r.constraint}" for r in outs] + [REGISTERS[r].constraint for r in op.inputs]
                               + (["~{memory}"] if op.timing_fence else []))
        asm = ir.InlineAsm(ir.FunctionType(returned, [v.type for v in values]), op.ptx, constraints,
                           side_effect=op.warp_sync or op.timing_fence)
        result = builder.call(asm, values, attrs=("convergent",) if op.warp_sync else ())
        parts = [result] if len(outs) == 1 else [builder.extract_value(result, i) for i in range(len(outs))]
        wanted = [context.get_value_type(REGISTERS[r].numba_type) for r in op.outputs]
        parts = [p if p.type == t else builder.bitcast(p, t) for p, t in zip(parts, wanted)]
        if len(parts) == 1:
            return parts[0]
        return context.make_tuple(builder, signature.return_type, parts)

    typer.__name__ = typer.__qualname__ = op.name
    function = intrinsic(typer)
    function.__doc__ = f"{op.doc}\n\nPTX: ``{op.ptx}`` (sm_{op.min_sm}+). {op.signature_text()}"
    return function
