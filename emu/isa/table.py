"""The one table of supported PTX opcodes.

Every PTX opcode emu executes is declared here once: its family, the
decoder's lowering, its operands (implicit ones included), and a rule that
gives, from the instruction's type, state space and form, where it executes
(an ``Exec``: the class reported to users, the issue pipe, the latency class
and the engine routine). The decoder validates against this table, numbers
the opcodes from it and writes each instruction's ``Exec`` into the program;
the engine dispatches on those numbers, and a timing model reads the pipe and
latency class per pc (cycles per latency class: ``emu.arch.presets``).
An opcode missing here is refused at load time with its name and source line.

Pipes follow the functional units of Volta and later SMs (Jia et al.,
"Dissecting the NVIDIA Volta GPU Architecture via Microbenchmarking", 2018,
and the Turing/Ampere follow-ups): FP32 FMA, FP64, integer, MUFU (``sfu``),
load/store (``lsu``; shuffles are modelled there too, as they cross lanes
through the shared-memory crossbar), tensor cores, branch unit and barriers.
Half-precision arithmetic (HADD2/HFMA2) is modelled on the FP32 pipe, with
its own latency class. ``vote``/``redux``/``activemask`` on the integer pipe
is this table's assumption, not a measurement.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

# Instruction classes reported by the engine (Report.counts_by_class).
CLASSES = ("int", "fp32", "fp64", "fp16", "sfu", "memory", "control", "sync", "warp", "tensor", "move")
CLASS_ID = {name: i for i, name in enumerate(CLASSES)}
# Issue pipes (code column F_PIPE) and latency classes (F_LATENCY; cycles per preset in emu.arch.presets).
PIPES = ("int", "fp32", "fp64", "sfu", "lsu", "tensor", "branch", "sync")
PIPE_ID = {name: i for i, name in enumerate(PIPES)}
LATENCY_CLASSES = ("alu", "fma", "half", "fp64", "sfu", "mem_shared", "mem_global", "atomic", "tensor",
                   "branch", "sync")
LATENCY_ID = {name: i for i, name in enumerate(LATENCY_CLASSES)}
# Engine families (how the engine groups its dispatch) and engine routines (layout.EX_*, in this order).
FAMILIES = ("alu", "memory", "control", "sync", "warp", "tensor")
ROUTINES = ("int", "carry", "float32", "float64", "half", "testp", "compare", "convert", "ldst", "atomic",
            "warp", "branch", "call", "printf", "ret", "exit", "trap", "barrier", "nop", "ldmatrix",
            "wmma_ldst", "tensor")
ROUTINE_ID = {name: i for i, name in enumerate(ROUTINES)}
TYPE_GROUPS = {"f32": "f32", "tf32": "f32", "f64": "f64",
               "f16": "half", "f16x2": "half", "bf16": "half", "bf16x2": "half"}   # anything else: "int"


@dataclass(frozen=True)
class Exec:
    """Where one instruction form executes."""
    cls: str          # CLASSES: what the report counts it as
    pipe: str         # PIPES
    latency: str      # LATENCY_CLASSES
    routine: str      # ROUTINES

    def resolve(self, type_name, space, form) -> Exec:
        return self

    def run_by(self, routine: str) -> Exec:
        return replace(self, routine=routine)


@dataclass(frozen=True)
class ByType:
    """An ``Exec`` per operand type group (TYPE_GROUPS): ``add.f32`` is FP32 work, ``add.s32`` integer work."""
    f32: Exec
    f64: Exec
    half: Exec
    int: Exec

    def resolve(self, type_name, space, form) -> Exec:
        return getattr(self, TYPE_GROUPS.get(type_name, "int"))

    def run_by(self, routine: str) -> ByType:
        return ByType(*(e.run_by(routine) for e in (self.f32, self.f64, self.half, self.int)))


@dataclass(frozen=True)
class BySpace:
    """An ``Exec`` per state space of the memory operand (after the decoder resolves symbols)."""
    shared: Exec
    other: Exec
    param: Exec | None = None     # kernel parameters, if they differ from ``other``

    def resolve(self, type_name, space, form) -> Exec:
        if space == "shared":
            return self.shared
        return self.param if space == "param" and self.param is not None else self.other


@dataclass(frozen=True)
class ByForm:
    """A rule per form the decoder's lowering reports (``wmma.mma`` vs its loads and stores; printf calls)."""
    forms: tuple        # ((form, rule), ...)
    other: Exec | ByType | BySpace

    def resolve(self, type_name, space, form):
        rule = dict(self.forms).get(form, self.other)
        return rule.resolve(type_name, space, form)


@dataclass(frozen=True)
class Implicit:
    """An operand access the instruction's operand list does not show."""
    operand: str      # "CC.CF" (the thread's carry flag) or an explicit operand accessed out of order
    access: str       # "read", "write", or "write_at_release" (written when the barrier completes)
    when: str = ""    # the modifier that brings it in ("cc": the .cc form); "" for always


@dataclass(frozen=True)
class OpSpec:
    name: str            # PTX opcode without modifiers
    family: str          # FAMILIES
    lowering: str        # the decoder method that lowers it: _Decoder._lower_<lowering>
    operands: str        # PTX operand syntax ("|" separates alternative forms)
    rule: Exec | ByType | BySpace | ByForm
    implicit: tuple[Implicit, ...] = ()
    doc: str = ""
    fast: bool = False   # the engine has a whole-row fast path for its common forms (emu.engine.fast)

    def implicit_operands(self, modifiers) -> tuple[Implicit, ...]:
        """The implicit operands of one instruction with these modifiers."""
        return tuple(i for i in self.implicit if not i.when or i.when in modifiers)

    def uses_carry(self, modifiers) -> bool:
        return any(i.operand == "CC.CF" for i in self.implicit_operands(modifiers))


# ------------------------------------------------------------ execution rules
INT = Exec("int", "int", "alu", "int")
MOVE = Exec("move", "int", "alu", "convert")
FP32 = Exec("fp32", "fp32", "fma", "float32")
FP64 = Exec("fp64", "fp64", "fp64", "float64")
HALF = Exec("fp16", "fp32", "half", "half")
SFU = Exec("sfu", "sfu", "sfu", "float32")
ARITH = ByType(f32=FP32, f64=FP64, half=HALF, int=INT)
CARRY = INT.run_by("carry")                      # reads or writes the thread's CC.CF
WITH_CARRY = ByForm(forms=(("cc", CARRY),), other=ARITH)
# f32 rcp/sqrt/div run on the MUFU (div.approx is MUFU.RCP and a multiply; the IEEE forms refine its result)
ARITH_SFU = ByType(f32=SFU, f64=FP64, half=HALF, int=INT)
# transcendental approximations: MUFU for every type (f64 rsqrt: MUFU.RSQ64H)
MUFU = ByType(f32=SFU, f64=SFU.run_by("float64"), half=SFU.run_by("half"), int=SFU.run_by("int"))
COMPARE = ARITH.run_by("compare")
SELECT = INT.run_by("compare")
CONVERT = ARITH.run_by("convert")
LOAD_STORE = BySpace(
    shared=Exec("memory", "lsu", "mem_shared", "ldst"),
    other=Exec("memory", "lsu", "mem_global", "ldst"),
    # ptxas folds kernel-parameter loads into constant-bank operands: they cost like a move
    param=Exec("memory", "lsu", "alu", "ldst"))
ATOMIC = BySpace(shared=Exec("memory", "lsu", "mem_shared", "atomic"), other=Exec("memory", "lsu", "atomic", "atomic"))
CONTROL = Exec("control", "branch", "branch", "branch")
SYNC = Exec("sync", "sync", "sync", "barrier")
SHUFFLE = Exec("warp", "lsu", "mem_shared", "warp")     # through the shared-memory crossbar
VOTE = Exec("warp", "int", "alu", "warp")
TENSOR = Exec("tensor", "tensor", "tensor", "tensor")
WMMA = ByForm(forms=(("mma", TENSOR),), other=BySpace(shared=Exec("tensor", "lsu", "mem_shared", "wmma_ldst"),
                                                      other=Exec("tensor", "lsu", "mem_global", "wmma_ldst")))

_CC_OUT = (Implicit("CC.CF", "write", "cc"),)
_CC_IN_OUT = (Implicit("CC.CF", "read"), Implicit("CC.CF", "write", "cc"))
_BAR_RED = (Implicit("d", "write_at_release", "red"),)
_BAR_FORMS = "a[, b] | red: d, a[, b], {!}c | arrive: a, b | warp.sync: membermask"
_APPROX = "approx: computed in float64 and rounded; "
_NO_EFFECT = "no effect: the functional engine is sequentially consistent"

OPCODES: tuple[OpSpec, ...] = (
    # integer and type-generic arithmetic
    OpSpec("add", "alu", "arith", "d, a, b", WITH_CARRY, _CC_OUT, fast=True),
    OpSpec("sub", "alu", "arith", "d, a, b", WITH_CARRY, _CC_OUT, fast=True),
    OpSpec("mul", "alu", "arith", "d, a, b", ARITH, fast=True),
    OpSpec("mad", "alu", "arith", "d, a, b, c", WITH_CARRY, _CC_OUT, fast=True),
    OpSpec("fma", "alu", "arith", "d, a, b, c", ARITH, fast=True),
    OpSpec("div", "alu", "arith", "d, a, b", ARITH_SFU),
    OpSpec("rem", "alu", "arith", "d, a, b", INT),
    OpSpec("abs", "alu", "arith", "d, a", ARITH),
    OpSpec("neg", "alu", "arith", "d, a", ARITH),
    OpSpec("min", "alu", "arith", "d, a, b", ARITH),
    OpSpec("max", "alu", "arith", "d, a, b", ARITH),
    OpSpec("addc", "alu", "arith", "d, a, b", CARRY, _CC_IN_OUT, "add with carry-in from the thread's CC.CF"),
    OpSpec("subc", "alu", "arith", "d, a, b", CARRY, _CC_IN_OUT, "subtract with borrow-in from CC.CF"),
    OpSpec("madc", "alu", "arith", "d, a, b, c", CARRY, _CC_IN_OUT, "multiply-add with carry-in from CC.CF"),
    OpSpec("mul24", "alu", "arith", "d, a, b", INT),
    OpSpec("mad24", "alu", "arith", "d, a, b, c", INT),
    OpSpec("sad", "alu", "arith", "d, a, b, c", INT),
    OpSpec("popc", "alu", "arith", "d, a", INT),
    OpSpec("clz", "alu", "arith", "d, a", INT),
    OpSpec("brev", "alu", "arith", "d, a", INT),
    OpSpec("bfind", "alu", "arith", "d, a", INT),
    OpSpec("bfe", "alu", "arith", "d, a, b, c", INT),
    OpSpec("bfi", "alu", "arith", "f, a, b, c, d", INT),
    OpSpec("prmt", "alu", "arith", "d, a, b, c", INT),
    OpSpec("and", "alu", "arith", "d, a, b", INT, fast=True),
    OpSpec("or", "alu", "arith", "d, a, b", INT, fast=True),
    OpSpec("xor", "alu", "arith", "d, a, b", INT, fast=True),
    OpSpec("not", "alu", "arith", "d, a", INT),
    OpSpec("cnot", "alu", "arith", "d, a", INT),
    OpSpec("shl", "alu", "arith", "d, a, b", INT, fast=True),
    OpSpec("shr", "alu", "arith", "d, a, b", INT, fast=True),
    OpSpec("shf", "alu", "arith", "d, a, b, c", INT),
    # floating point only
    OpSpec("rcp", "alu", "arith", "d, a", ARITH_SFU,
           doc="approx on f32 is the correctly rounded value (hardware: max 1 ulp)"),
    OpSpec("sqrt", "alu", "arith", "d, a", ARITH_SFU),
    OpSpec("rsqrt", "alu", "arith", "d, a", MUFU, doc=_APPROX + "hardware error ≤ 2^-22.9 rel"),
    OpSpec("ex2", "alu", "arith", "d, a", MUFU, doc=_APPROX + "hardware max error 2 ulp"),
    OpSpec("lg2", "alu", "arith", "d, a", MUFU, doc=_APPROX + "hardware abs error ≤ 2^-22.6"),
    OpSpec("sin", "alu", "arith", "d, a", MUFU, doc=_APPROX + "hardware abs error ≤ 2^-20.9 in [-pi, pi]"),
    OpSpec("cos", "alu", "arith", "d, a", MUFU, doc=_APPROX + "hardware abs error ≤ 2^-20.9 in [-pi, pi]"),
    OpSpec("tanh", "alu", "arith", "d, a", MUFU, doc=_APPROX + "hardware max rel error 2^-10.987"),
    OpSpec("copysign", "alu", "arith", "d, a, b", ARITH),
    OpSpec("testp", "alu", "arith", "p, a", ARITH.run_by("testp")),
    # comparison and selection
    OpSpec("setp", "alu", "compare", "p[|q], a, b[, {!}c]", COMPARE, fast=True),
    OpSpec("set", "alu", "compare", "d, a, b[, {!}c]", COMPARE),
    OpSpec("selp", "alu", "compare", "d, a, b, c", SELECT, fast=True),
    OpSpec("slct", "alu", "compare", "d, a, b, c", SELECT),
    # data movement and conversion
    OpSpec("mov", "alu", "mov", "d, a | d, {a, b...} | {d, e...}, a", MOVE, fast=True),
    OpSpec("cvt", "alu", "cvt", "d, a", CONVERT, fast=True),
    OpSpec("cvta", "alu", "cvta", "p, a", INT.run_by("convert")),
    # memory
    OpSpec("ld", "memory", "load", "d, [a] | {d...}, [a]", LOAD_STORE),
    OpSpec("ldu", "memory", "load", "d, [a] | {d...}, [a]", LOAD_STORE),
    OpSpec("st", "memory", "store", "[a], b | [a], {b...}", LOAD_STORE),
    OpSpec("prefetch", "memory", "prefetch", "[a]", LOAD_STORE.other.run_by("nop"), doc="no effect on results"),
    OpSpec("atom", "memory", "atomic", "d, [a], b[, c]", ATOMIC),
    OpSpec("red", "memory", "atomic", "[a], b", ATOMIC),
    # control
    OpSpec("bra", "control", "bra", "target", CONTROL),
    OpSpec("call", "control", "call", "[(r...), ]func[, (p...)]",
           ByForm(forms=(("vprintf", CONTROL.run_by("printf")),), other=CONTROL.run_by("call"))),
    OpSpec("ret", "control", "ret", "", CONTROL.run_by("ret")),
    OpSpec("exit", "control", "bare", "", CONTROL.run_by("exit")),
    OpSpec("trap", "control", "bare", "", CONTROL.run_by("trap")),
    # synchronisation
    OpSpec("bar", "sync", "bar", _BAR_FORMS, SYNC, _BAR_RED),
    OpSpec("barrier", "sync", "bar", _BAR_FORMS, SYNC, _BAR_RED),
    OpSpec("membar", "sync", "fence", "", SYNC.run_by("nop"), doc=_NO_EFFECT),
    OpSpec("fence", "sync", "fence", "", SYNC.run_by("nop"), doc=_NO_EFFECT),
    # warp-level
    OpSpec("shfl", "warp", "warp", "d[|p], a, b, c, membermask", SHUFFLE),
    OpSpec("vote", "warp", "warp", "d, {!}a, membermask", VOTE),
    OpSpec("activemask", "warp", "warp", "d", VOTE),
    OpSpec("match", "warp", "warp", "d[|p], a, membermask", SHUFFLE),
    OpSpec("redux", "warp", "warp", "d, a, membermask", VOTE),
    # tensor cores
    OpSpec("mma", "tensor", "mma", "{d...}, {a...}, {b...}, {c...}", TENSOR,
           doc="warp-level mma.sync; bits from emu.numerics.mma for the preset's arch"),
    OpSpec("ldmatrix", "tensor", "ldmatrix", "{d...}, [a]", Exec("memory", "lsu", "mem_shared", "ldmatrix"),
           doc="loads 8x8 b16 matrices from shared memory into mma fragments"),
    OpSpec("wmma", "tensor", "wmma", "load: {d...}, [a][, stride] | store: [a], {b...}[, stride] | "
           "mma: {d...}, {a...}, {b...}, {c...}", WMMA,
           doc="wmma.load/mma/store.sync (CUDA C++ nvcuda::wmma); fragment layout is emu's"),
)

BY_NAME: dict[str, OpSpec] = {spec.name: spec for spec in OPCODES}
OPCODE_ID: dict[str, int] = {spec.name: i for i, spec in enumerate(OPCODES)}


def execution(opcode: str, type_name: str | None, space: str | None = None, form: str | None = None) -> Exec:
    """Where an instruction executes, from its opcode, PTX type, memory state space and lowered form."""
    return BY_NAME[opcode].rule.resolve(type_name, space, form)


def instruction_class(opcode: str, type_name: str | None) -> str:
    """Class of an instruction for the report (Report.counts_by_class)."""
    return execution(opcode, type_name).cls
