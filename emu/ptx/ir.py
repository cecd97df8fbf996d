"""PTX intermediate representation: what the parser produces and the decoder reads.

The IR is deliberately close to the text: an instruction keeps its opcode and
its dot-modifiers as strings (``ld.global.nc.v4.f32`` becomes opcode ``"ld"``,
modifiers ``("global", "nc", "v4", "f32")``). Deciding what the modifiers mean
is the job of the ISA table (``emu.isa``), not of the parser.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union


# ---------------------------------------------------------------- operands
@dataclass(frozen=True)
class Reg:
    """A virtual register such as ``%r1``, ``%fd3`` or ``%p2`` (pred)."""
    name: str


@dataclass(frozen=True)
class Special:
    """A special register: ``%tid.x`` -> Special("tid", "x"); ``%laneid`` -> Special("laneid", None)."""
    name: str
    component: str | None = None


@dataclass(frozen=True)
class Imm:
    """An immediate. Integers are Python ints (may be negative).

    Float immediates keep their exact bit pattern: ``0f3F800000`` is
    ``Imm(0x3F800000, is_float=True, width=32)``; ``0d3FF0000000000000`` is
    ``Imm(..., is_float=True, width=64)``. Decimal float literals such as ``1.5``
    are stored as the bits of the float64 value with width 64.
    """
    value: int
    is_float: bool = False
    width: int = 0


@dataclass(frozen=True)
class Symbol:
    """A name used as a value: a variable (its address), a label or a function."""
    name: str


@dataclass(frozen=True)
class Address:
    """A memory operand ``[base+offset]``; base is a Reg, a Symbol or None (absolute)."""
    base: Union[Reg, Symbol, None]
    offset: int = 0


@dataclass(frozen=True)
class Vector:
    """A brace-enclosed vector operand ``{%f1, %f2, _, %f4}``; ``_`` is Sink."""
    elements: tuple


@dataclass(frozen=True)
class Sink:
    """The ``_`` placeholder operand."""


@dataclass(frozen=True)
class Negated:
    """A negated predicate source operand, ``!%p1``."""
    reg: Reg


@dataclass(frozen=True)
class PredPair:
    """``%p|%q``: the two destinations of setp/set (also ``%r|%p`` of shfl.sync)."""
    first: Union[Reg, Sink]
    second: Union[Reg, Sink]


@dataclass(frozen=True)
class CallTarget:
    """The operands of ``call``: ``call.uni (retval0), func, (param0, param1);``.

    ``returns`` and ``args`` are tuples of Symbol (the call-site ``.param`` names).
    """
    returns: tuple
    function: str
    args: tuple


Operand = Union[Reg, Special, Imm, Symbol, Address, Vector, Sink, Negated, PredPair, CallTarget]


# ------------------------------------------------------------ declarations
@dataclass(frozen=True)
class SourceLoc:
    """Where an instruction came from: the last ``.loc file line col`` before it."""
    file: str          # resolved path from the ``.file`` directive ("" if unknown)
    line: int          # 0: no source line (compiler-generated code)
    column: int = 0
    # For code inlined from another function (``.loc ..., function_name L, inlined_at f l c``):
    # the inlined function's (mangled) name from .debug_str, and the call site.
    function: str = ""
    inlined_at: SourceLoc | None = None


@dataclass
class Variable:
    """A state-space variable: ``.shared .align 4 .b8 smem[1024];``.

    ``type`` is the element type name without the dot (``"b8"``, ``"f32"``,
    ``"u64"``); ``count`` the number of elements (1 for a scalar; for
    ``[]`` with an initializer, the initializer's length; 0 for an unsized
    ``extern .shared`` array). ``init`` is a tuple of ints/Imm or None.
    """
    name: str
    space: str         # "shared", "global", "const", "local", "param"
    type: str
    count: int = 1
    align: int = 0     # 0: natural alignment of the type
    init: tuple | None = None
    extern: bool = False
    linkage: str = ""  # "visible", "extern", "weak", "common" or ""

    @property
    def elem_size(self) -> int:
        return type_size(self.type)

    @property
    def size_bytes(self) -> int:
        return self.elem_size * self.count


@dataclass
class Instruction:
    opcode: str                          # "add", "ld", "mma", ...
    modifiers: tuple                     # ("global", "f32"); order as written
    operands: tuple                      # tuple[Operand, ...]
    guard: Reg | None = None             # @%p / @!%p
    guard_negated: bool = False
    loc: SourceLoc | None = None
    text: str = ""                       # the instruction as written (for error messages)
    # call-site .param declarations that were in scope for this call (only for "call")
    call_params: tuple = ()              # tuple[Variable, ...]


@dataclass
class Function:
    name: str
    is_entry: bool                       # .entry (kernel) or .func (device function)
    params: list                         # list[Variable] with space "param", in order
    returns: list                        # list[Variable]: .func return params
    registers: dict                      # "%r1" -> "b32"  (every %r<14> expanded to %r0..%r13)
    locals: list                         # list[Variable]: .local and function-scope .shared
    body: list                           # list[Instruction]
    labels: dict                         # label name -> index into body of the next instruction
    directives: dict = field(default_factory=dict)  # "maxntid": (256,1,1), "reqntid": ..., "minnctapersm": n
    is_extern: bool = False              # a declaration without body (e.g. vprintf)


@dataclass
class Module:
    version: str                         # "8.8"
    target: str                          # "sm_80"
    address_size: int                    # 64
    variables: list                      # module-scope list[Variable]
    functions: dict                      # name -> Function (entries and device functions, incl. extern decls)
    files: dict                          # file id -> path

    @property
    def entries(self) -> list:
        return [f for f in self.functions.values() if f.is_entry]


_TYPE_SIZES = {
    "b8": 1, "u8": 1, "s8": 1,
    "b16": 2, "u16": 2, "s16": 2, "f16": 2, "bf16": 2,
    "b32": 4, "u32": 4, "s32": 4, "f32": 4, "f16x2": 4, "bf16x2": 4, "tf32": 4,
    "b64": 8, "u64": 8, "s64": 8, "f64": 8,
    "b128": 16,
    "pred": 1,
    "e4m3": 1, "e5m2": 1, "e4m3x2": 2, "e5m2x2": 2,
}


def type_size(type_name: str) -> int:
    """Size in bytes of a PTX fundamental type name (without the dot)."""
    try:
        return _TYPE_SIZES[type_name]
    except KeyError:
        raise ValueError(f"unknown PTX type .{type_name}") from None
