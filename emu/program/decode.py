"""Lower a parsed PTX module to the flat arrays the engine runs (see emu.engine.layout).

One kernel entry and every device function it calls are laid out one after
another. Each function body ends with a synthesized instruction: ``exit`` for
the kernel, ``ret`` for a device function, and every ``ret`` inside a device
function becomes a branch to it, so each function has a single end that
post-dominates its body.

Device-function calls pass their ``.param`` values through memory, as PTX
describes: every call-site and callee parameter gets a fixed slot in the
thread's local memory (calls are not recursive, which is checked), and a
``call`` is lowered to byte copies into the callee's parameter slots, the
jump, and copies of the return values back after it.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np

from emu.arch.presets import sm_number, target_cc
from emu.engine import layout as L
from emu.errors import UnsupportedPTXError
from emu.isa import wmma
from emu.isa.fragments import ACCUMULATORS, INPUT_TYPES, LAYOUTS, SHAPES, find_shape
from emu.isa.table import BY_NAME, CLASS_ID, LATENCY_ID, OPCODE_ID, OPCODES, PIPE_ID, ROUTINE_ID
from emu.program.cfg import immediate_post_dominators
from emu.ptx import ir

ROUNDING = {"rn": L.RND_RN, "rz": L.RND_RZ, "rm": L.RND_RM, "rp": L.RND_RP, "rna": L.RND_RNA,
            "rni": L.RND_RN + L.RND_IS_INTEGER, "rzi": L.RND_RZ + L.RND_IS_INTEGER,
            "rmi": L.RND_RM + L.RND_IS_INTEGER, "rpi": L.RND_RP + L.RND_IS_INTEGER}
FLAGS = {"ftz": L.FL_FTZ, "sat": L.FL_SAT, "approx": L.FL_APPROX, "full": L.FL_FULL, "nc": L.FL_NC,
         "uni": L.FL_UNI, "relu": L.FL_RELU, "satfinite": L.FL_SATFINITE, "cc": L.FL_CC,
         "NaN": L.FL_NAN}
MUL_MODES = {"lo": L.MUL_LO, "hi": L.MUL_HI, "wide": L.MUL_WIDE}
TESTP = {"finite": L.TESTP_FINITE, "infinite": L.TESTP_INFINITE, "number": L.TESTP_NUMBER,
         "notanumber": L.TESTP_NOTANUMBER, "normal": L.TESTP_NORMAL, "subnormal": L.TESTP_SUBNORMAL}
SHFL = {"up": L.SHFL_UP, "down": L.SHFL_DOWN, "bfly": L.SHFL_BFLY, "idx": L.SHFL_IDX}
VOTE = {"all": L.VOTE_ALL, "any": L.VOTE_ANY, "uni": L.VOTE_UNI, "ballot": L.VOTE_BALLOT}
BOOL = {"and": L.BOOL_AND, "or": L.BOOL_OR, "xor": L.BOOL_XOR}
REDUX = {"add": L.REDUX_ADD, "min": L.REDUX_MIN, "max": L.REDUX_MAX, "and": L.REDUX_AND,
         "or": L.REDUX_OR, "xor": L.REDUX_XOR}
WARP_MODES = {"shfl": SHFL, "vote": VOTE, "redux": REDUX, "match": {"any": L.MATCH_ANY, "all": L.MATCH_ALL},
              "activemask": {}}
# modifiers that change nothing in a sequentially consistent functional model
IGNORED = {"sync", "aligned", "volatile", "relaxed", "acquire", "release", "acq_rel", "sc", "weak", "mmio",
           "gpu", "sys", "cta", "cluster", "gl", "L1::evict_last", "L1::evict_first", "L1::no_allocate",
           "L2::64B", "L2::128B", "L2::256B", "L1::evict_normal", "L1::evict_unchanged", "ca", "cg", "cs",
           "lu", "cv", "wb", "wt", "noftz", "to", "shared::cta", "any", "all", "L2", "L1"}

VPRINTF = "vprintf"


@dataclass
class ParamSlot:
    """A kernel parameter: where it sits in the parameter buffer."""
    name: str
    type: str
    offset: int
    size: int


@dataclass
class Program:
    code: np.ndarray
    opnd_kind: np.ndarray
    opnd_val: np.ndarray
    opnd_f: np.ndarray
    n_slots: int
    slot_names: list
    sources: list                 # per pc: the ir.Instruction it came from (None for synthesized)
    function_of_pc: list          # per pc: function name
    entry: ir.Function
    kernel_params: list           # list[ParamSlot]
    param_bytes: int
    shared_static_bytes: int
    dynamic_shared_offset: int    # where extern .shared arrays start
    local_bytes: int              # per thread
    symbols: dict = field(default_factory=dict)   # variable name -> (space, address)
    mma_shapes: frozenset = frozenset()           # mma.sync shapes the kernel uses


class _Row:
    __slots__ = ("fields", "srcs", "dsts", "source", "label_target", "type_name", "form")

    def __init__(self, source):
        self.fields = {L.F_GUARD: -1, L.F_RECONV: L.PC_NEVER, L.F_TY: L.TY_NONE, L.F_TY2: L.TY_NONE,
                       L.F_RND: L.RND_NONE, L.F_TARGET: -1, L.F_VEC: 1}
        self.srcs: list = []
        self.dsts: list = []
        self.source = source
        self.label_target: str | None = None
        self.type_name: str | None = None     # the type the ISA table's rule follows
        self.form: str | None = None          # a form the ISA table's rule tells apart ("cc", "mma", "vprintf")


@dataclass
class _Modifiers:
    """An instruction's type modifiers, and which of its modifiers its lowering has understood."""
    ins: ir.Instruction
    types: list
    known: set
    is_float: str | bool      # the float type name (integer literals become its bits), or False

    def unknown(self):
        left = [m for m in self.ins.modifiers if m not in self.known]
        if left:
            raise UnsupportedPTXError(f"unsupported modifier(s) .{' .'.join(left)} in {self.ins.text.strip()} "
                                      f"({_where(self.ins)})")


def _float_bits_value(imm: ir.Imm) -> float:
    if imm.width == 32:
        return struct.unpack("<f", struct.pack("<I", imm.value & 0xFFFFFFFF))[0]
    return struct.unpack("<d", struct.pack("<Q", imm.value & 0xFFFFFFFFFFFFFFFF))[0]


def _float_bits(value: float, type_name: str) -> int:
    if type_name == "f32":
        return struct.unpack("<I", struct.pack("<f", value))[0]
    return _wrap64(struct.unpack("<Q", struct.pack("<d", value))[0])


def _align(n: int, a: int) -> int:
    return (n + a - 1) // a * a


class _Decoder:
    def __init__(self, module: ir.Module, entry_name: str, global_address):
        self.module = module
        self.global_address = global_address
        if entry_name not in module.functions or not module.functions[entry_name].is_entry:
            names = ", ".join(f.name for f in module.entries)
            raise UnsupportedPTXError(f"no kernel entry named {entry_name!r} in the PTX (entries: {names})")
        self.entry = module.functions[entry_name]
        self.slots: dict = {}
        self.slot_names: list = []
        self.slot_types: list = []
        self.rows: list[_Row] = []
        self.function_of_row: list[str] = []
        self.symbols: dict = {}          # (function or "", name) -> (space, address)
        self.local_bytes = 0
        self.shared_bytes = 0
        self.dynamic_shared_offset = 0
        self.function_start: dict[str, int] = {}
        self.pending_calls: list = []    # (row, callee name)
        self.cc_slot: int | None = None
        self.mma_shapes: set[str] = set()

    # ------------------------------------------------------------ layout
    def _reachable_functions(self) -> list[ir.Function]:
        order, state = [], {}

        def visit(fn: ir.Function, chain: list[str]):
            if state.get(fn.name) == "active":
                raise UnsupportedPTXError(
                    "recursive device function calls are not supported: " + " -> ".join(chain + [fn.name]))
            if state.get(fn.name) == "done":
                return
            state[fn.name] = "active"
            order.append(fn)
            for ins in fn.body:
                if ins.opcode == "call":
                    target = ins.operands[0]
                    if target.function == VPRINTF:
                        continue
                    callee = self.module.functions.get(target.function)
                    if callee is None or callee.is_extern:
                        raise UnsupportedPTXError(
                            f"call to external function {target.function!r} is not supported "
                            f"({_where(ins)})")
                    visit(callee, chain + [fn.name])
            state[fn.name] = "done"

        visit(self.entry, [])
        return order

    def _layout_variables(self, functions: list[ir.Function]) -> None:
        def place_local(owner: str, var: ir.Variable):
            align = max(var.align or var.elem_size, 1)
            self.local_bytes = _align(self.local_bytes, align)
            self.symbols[(owner, var.name)] = (L.SP_LOCAL, self.local_bytes)
            self.local_bytes += max(var.size_bytes, 1)

        def place_shared(owner: str, var: ir.Variable):
            if var.extern:
                return
            align = max(var.align or var.elem_size, 1)
            self.shared_bytes = _align(self.shared_bytes, align)
            self.symbols[(owner, var.name)] = (L.SP_SHARED, self.shared_bytes)
            self.shared_bytes += var.size_bytes

        extern_shared = []
        for var in self.module.variables:
            if var.space == "shared":
                (extern_shared.append(("", var)) if var.extern else place_shared("", var))
            elif var.space in ("global", "const"):
                self.symbols[("", var.name)] = (L.SP_GLOBAL, self.global_address(var))
            else:
                raise UnsupportedPTXError(f"module-scope .{var.space} variable {var.name} is not supported")
        for fn in functions:
            for var in fn.locals:
                if var.space == "shared":
                    (extern_shared.append((fn.name, var)) if var.extern else place_shared(fn.name, var))
                elif var.space == "local":
                    place_local(fn.name, var)
                else:
                    raise UnsupportedPTXError(f".{var.space} variable {var.name} in {fn.name} is not supported")
            if not fn.is_entry:
                for var in list(fn.params) + list(fn.returns):
                    place_local(fn.name, var)
            for ins in fn.body:
                for var in ins.call_params:
                    if (fn.name, var.name) not in self.symbols:
                        place_local(fn.name, var)
        self.dynamic_shared_offset = _align(self.shared_bytes, 16)
        for owner, var in extern_shared:
            self.symbols[(owner, var.name)] = (L.SP_SHARED, self.dynamic_shared_offset)

        self.kernel_params = []
        offset = 0
        for var in self.entry.params:
            align = max(var.align or var.elem_size, 1)
            offset = _align(offset, align)
            self.kernel_params.append(ParamSlot(var.name, var.type, offset, var.size_bytes))
            self.symbols[(self.entry.name, var.name)] = (L.SP_PARAM, offset)
            offset += var.size_bytes
        self.param_bytes = offset

    def _symbol(self, fn: ir.Function, name: str, ins: ir.Instruction):
        found = self.symbols.get((fn.name, name)) or self.symbols.get(("", name))
        if found is None:
            raise UnsupportedPTXError(f"unknown symbol {name!r} ({_where(ins)})")
        return found

    # ------------------------------------------------------------ operands
    def _carry_slot(self) -> int:
        """The register slot holding each thread's carry flag CC.CF (add.cc, addc, ...)."""
        if self.cc_slot is None:
            self.cc_slot = len(self.slot_names)
            self.slot_names.append("%CC.CF")
            self.slot_types.append("pred")
        return self.cc_slot

    def _slot(self, fn: ir.Function, reg: ir.Reg, ins: ir.Instruction) -> int:
        key = (fn.name, reg.name)
        slot = self.slots.get(key)
        if slot is None:
            if reg.name not in fn.registers:
                raise UnsupportedPTXError(f"undeclared register {reg.name} ({_where(ins)})")
            slot = len(self.slot_names)
            self.slots[key] = slot
            self.slot_names.append(f"{reg.name}")
            self.slot_types.append(fn.registers[reg.name])
        return slot

    def _source(self, fn, op, ins, float_type: bool):
        if isinstance(op, ir.Reg):
            return (L.OK_REG, self._slot(fn, op, ins), 0.0)
        if isinstance(op, ir.Negated):
            return (L.OK_REG, -1 - self._slot(fn, op.reg, ins), 0.0)
        if isinstance(op, ir.Imm):
            if op.is_float:
                value = _float_bits_value(op)
                if float_type is False:
                    raise UnsupportedPTXError(f"float immediate in an integer instruction ({_where(ins)})")
                if float_type in ("f32", "f64"):   # 0f/0d or decimal literal: the bits of the instruction's type
                    return (L.OK_IMM, _float_bits(value, float_type), value)
                return (L.OK_IMM, _wrap64(op.value), value)
            if float_type in ("f32", "f64"):   # an integer literal in a float instruction: its float bits
                return (L.OK_IMM, _float_bits(float(op.value), float_type), float(op.value))
            return (L.OK_IMM, _wrap64(op.value), float(op.value))
        if isinstance(op, ir.Special):
            sid = L.SPECIAL_IDS.get((op.name, op.component))
            if sid is None:
                raise UnsupportedPTXError(f"special register %{op.name} is not supported ({_where(ins)})")
            return (L.OK_SPECIAL, sid, 0.0)
        if isinstance(op, ir.Symbol):
            space, address = self._symbol(fn, op.name, ins)
            return (L.OK_IMM, address, float(address))
        if isinstance(op, ir.Sink):
            return (L.OK_SINK, 0, 0.0)
        raise UnsupportedPTXError(f"operand {op!r} not supported here ({_where(ins)})")

    def _dest(self, fn, op, ins):
        if isinstance(op, ir.Sink):
            return (L.OK_SINK, 0, 0.0)
        if isinstance(op, ir.Reg):
            return (L.OK_REG, self._slot(fn, op, ins), 0.0)
        raise UnsupportedPTXError(f"destination {op!r} not supported ({_where(ins)})")

    def _address(self, fn, op: ir.Address, ins, row: _Row, space: int) -> int:
        """Put the base of a memory operand in sources[0]; returns the resolved space."""
        if not isinstance(op, ir.Address):
            raise UnsupportedPTXError(f"expected a memory operand [..] ({_where(ins)})")
        row.fields[L.F_OFFSET] = op.offset
        if isinstance(op.base, ir.Reg):
            row.srcs.append((L.OK_REG, self._slot(fn, op.base, ins), 0.0))
            return space
        if op.base is None:
            row.srcs.append((L.OK_IMM, 0, 0.0))
            return space
        sym_space, address = self._symbol(fn, op.base.name, ins)
        row.srcs.append((L.OK_IMM, address, 0.0))
        if space == L.SP_GENERIC:
            # a variable named directly in a generic access: use its own window
            return sym_space
        if space == L.SP_PARAM and sym_space == L.SP_LOCAL:
            return L.SP_LOCAL          # device-function and call-site params live in local memory
        if space == L.SP_CONST and sym_space == L.SP_GLOBAL:
            return L.SP_GLOBAL         # module .const variables live in the device heap
        if space != sym_space:
            raise UnsupportedPTXError(f"symbol {op.base.name} is not in the instruction's state space "
                                      f"({_where(ins)})")
        return space

    # ------------------------------------------------------------ instructions
    def decode(self) -> Program:
        functions = self._reachable_functions()
        self._layout_variables(functions)
        for fn in functions:
            self._emit_function(fn)
        for row, callee in self.pending_calls:
            row.fields[L.F_TARGET] = self.function_start[callee]
        return self._finish(functions)

    def _emit_function(self, fn: ir.Function) -> None:
        start = len(self.rows)
        self.function_start[fn.name] = start
        body_pc: list[int] = []
        for ins in fn.body:
            body_pc.append(len(self.rows))
            for row in self._lower(fn, ins):
                self.rows.append(row)
                self.function_of_row.append(fn.name)
        end_pc = len(self.rows)
        end = _Row(None)
        end.fields[L.F_OP] = OPCODE_ID["exit" if fn.is_entry else "ret"]
        self.rows.append(end)
        self.function_of_row.append(fn.name)

        def label_pc(name: str, ins) -> int:
            if name not in fn.labels:
                raise UnsupportedPTXError(f"unknown label {name} ({_where(ins)})")
            index = fn.labels[name]
            return body_pc[index] if index < len(body_pc) else end_pc

        # resolve branch targets and compute reconvergence points
        successors: dict[int, list[int]] = {}
        exits: set[int] = set()
        branches: list[int] = []
        for pc in range(start, end_pc + 1):
            row = self.rows[pc]
            op = row.fields[L.F_OP]
            local = pc - start
            guarded = row.fields[L.F_GUARD] >= 0
            if row.label_target is not None:
                row.fields[L.F_TARGET] = label_pc(row.label_target, row.source)
                target = row.fields[L.F_TARGET] - start
                successors[local] = [target] + ([local + 1] if guarded else [])
                if guarded:
                    branches.append(local)
            elif op == OPCODE_ID["exit"] or (op == OPCODE_ID["ret"] and pc == end_pc):
                if guarded:
                    successors[local] = [local + 1]
                else:
                    exits.add(local)
            elif op == OPCODE_ID["trap"] and not guarded:
                exits.add(local)
            else:
                successors[local] = [local + 1]
        ipdom = immediate_post_dominators(end_pc + 1 - start, successors, exits, branches)
        for local, join in ipdom.items():
            # Paths that meet only at an exit need not wait for each other: lanes that get there
            # first leave at once (so a barrier after `if i >= n: return` is not a deadlock).
            meets_at_exit = join >= 0 and self.rows[start + join].fields[L.F_OP] == OPCODE_ID["exit"]
            self.rows[start + local].fields[L.F_RECONV] = \
                L.PC_NEVER if join < 0 or meets_at_exit else start + join

    def _new_row(self, fn, ins, opcode: str, type_name: str | None) -> _Row:
        row = _Row(ins)
        row.fields[L.F_OP] = OPCODE_ID[opcode]
        row.type_name = type_name
        if type_name is not None:
            row.fields[L.F_TY] = L.TYPE_IDS[type_name]
            row.fields[L.F_WIDTH] = ir.type_size(type_name)
        if ins.guard is not None:
            row.fields[L.F_GUARD] = self._slot(fn, ins.guard, ins)
            row.fields[L.F_GUARD_NEG] = int(ins.guard_negated)
        return row

    def _lower(self, fn: ir.Function, ins: ir.Instruction) -> list[_Row]:
        """The rows of one instruction, by the lowering the ISA table names for its opcode."""
        spec = BY_NAME.get(ins.opcode)
        if spec is None:
            raise UnsupportedPTXError(f"unsupported PTX instruction {ins.opcode!r}: {ins.text.strip()} "
                                      f"({_where(ins)})")
        mods = ins.modifiers
        types = [m for m in mods if m in L.TYPE_IDS]
        type_name = types[0] if types else None
        row = self._new_row(fn, ins, ins.opcode, type_name)
        flags = 0
        # float instructions get their type name (integer literals become float bits), others False
        is_float = type_name if type_name in ("f16", "f32", "f64", "bf16", "f16x2", "bf16x2", "tf32") else False
        ctx = _Modifiers(ins, types, set(IGNORED) | set(types), is_float)
        for m in mods:
            if m in FLAGS:
                flags |= FLAGS[m]
                ctx.known.add(m)
            elif m in ROUNDING:
                row.fields[L.F_RND] = ROUNDING[m]
                ctx.known.add(m)
            elif m.startswith("v") and m[1:] in ("2", "4", "8"):
                row.fields[L.F_VEC] = int(m[1:])
                ctx.known.add(m)
            elif m in L.SPACE_NAMES or m == "shared::cta":
                row.fields[L.F_SPACE] = L.SPACE_NAMES.get(m, L.SP_SHARED)
                ctx.known.add(m)
        row.fields[L.F_FLAGS] = flags
        if flags & L.FL_CC and not spec.uses_carry(mods):
            raise UnsupportedPTXError(f".cc on {ins.opcode}, which has no carry form ({_where(ins)})")
        rows = getattr(self, "_lower_" + spec.lowering)(fn, ins, row, ctx)
        return [row] if rows is None else rows

    def _lower_arith(self, fn, ins, row, ctx):
        mods, ops = ins.modifiers, ins.operands
        sub = 0
        for m in mods:
            if m in MUL_MODES:
                sub = MUL_MODES[m]
                ctx.known.add(m)
            elif ins.opcode == "testp" and m in TESTP:
                sub = TESTP[m]
                ctx.known.add(m)
            elif ins.opcode == "shf" and m in ("l", "r", "clamp", "wrap"):
                ctx.known.add(m)
            elif ins.opcode == "bfind" and m == "shiftamt":
                sub = L.BFIND_SHIFTAMT
                ctx.known.add(m)
        if ins.opcode == "shf":
            left = "l" in mods
            sub = (L.SHF_L_CLAMP if "clamp" in mods else L.SHF_L_WRAP) if left else \
                  (L.SHF_R_CLAMP if "clamp" in mods else L.SHF_R_WRAP)
        if ins.opcode == "prmt" and any(m in ("f4e", "b4e", "rc8", "ecl", "ecr", "rc16") for m in mods):
            raise UnsupportedPTXError(f"prmt modes other than the default are not supported ({_where(ins)})")
        ctx.unknown()
        row.fields[L.F_SUB] = sub
        if BY_NAME[ins.opcode].uses_carry(mods):
            row.fields[L.F_AUX] = self._carry_slot()
            row.form = "cc"
        row.dsts.append(self._dest(fn, ops[0], ins))
        row.srcs.extend(self._source(fn, o, ins, ctx.is_float) for o in ops[1:])

    def _lower_cvt(self, fn, ins, row, ctx):
        types, ops = ctx.types, ins.operands
        if len(types) != 2:
            raise UnsupportedPTXError(f"cvt needs two types: {ins.text.strip()} ({_where(ins)})")
        ctx.unknown()
        row.fields[L.F_TY2] = L.TYPE_IDS[types[1]]
        row.type_name = types[1] if types[1] in ("f64", "f16", "bf16") else types[0]   # what the class follows
        row.dsts.append(self._dest(fn, ops[0], ins))
        row.srcs.extend(self._source(fn, o, ins, types[1] in ("f16", "f32", "f64", "bf16")) for o in ops[1:])

    def _lower_cvta(self, fn, ins, row, ctx):
        ctx.unknown()
        row.fields[L.F_SUB] = L.CVTA_TO_SPACE if "to" in ins.modifiers else L.CVTA_TO_GENERIC
        row.dsts.append(self._dest(fn, ins.operands[0], ins))
        row.srcs.append(self._source(fn, ins.operands[1], ins, False))

    def _lower_prefetch(self, fn, ins, row, ctx):
        ctx.unknown()
        return []

    def _lower_load(self, fn, ins, row, ctx):
        """ld and ldu (the same for a model without a separate uniform cache)."""
        ctx.unknown()
        ops = ins.operands
        row.fields[L.F_OP] = OPCODE_ID["ld"]
        row.fields[L.F_SPACE] = self._address(fn, ops[1], ins, row, row.fields.get(L.F_SPACE, L.SP_GENERIC))
        targets = ops[0].elements if isinstance(ops[0], ir.Vector) else (ops[0],)
        row.dsts.extend(self._dest(fn, o, ins) for o in targets)

    def _lower_store(self, fn, ins, row, ctx):
        ctx.unknown()
        ops = ins.operands
        row.fields[L.F_SPACE] = self._address(fn, ops[0], ins, row, row.fields.get(L.F_SPACE, L.SP_GENERIC))
        values = ops[1].elements if isinstance(ops[1], ir.Vector) else (ops[1],)
        row.srcs.extend(self._source(fn, o, ins, ctx.is_float) for o in values)

    def _lower_atomic(self, fn, ins, row, ctx):
        """atom d, [a], b{, c} and red [a], b (red returns nothing)."""
        sub = None
        for m in ins.modifiers:
            if m in L.ATOM_NAMES:
                sub = L.ATOM_NAMES[m]
                ctx.known.add(m)
        ctx.unknown()
        if sub is None:
            raise UnsupportedPTXError(f"atomic without operation: {ins.text.strip()} ({_where(ins)})")
        row.fields[L.F_SUB] = sub
        space = row.fields.get(L.F_SPACE, L.SP_GENERIC)
        ops = ins.operands
        if ins.opcode == "atom":
            row.dsts.append(self._dest(fn, ops[0], ins))
            ops = ops[1:]
        row.fields[L.F_SPACE] = self._address(fn, ops[0], ins, row, space)
        row.srcs.extend(self._source(fn, o, ins, ctx.is_float) for o in ops[1:])

    def _lower_bra(self, fn, ins, row, ctx):
        ctx.unknown()
        row.label_target = ins.operands[0].name

    def _lower_ret(self, fn, ins, row, ctx):
        """A kernel's ret is its exit; a device function's a branch to the function's single end."""
        ctx.unknown()
        if fn.is_entry:
            row.fields[L.F_OP] = OPCODE_ID["exit"]
            return None
        row = self._new_row(fn, ins, "bra", None)
        row.label_target = _END_LABEL
        fn.labels.setdefault(_END_LABEL, len(fn.body))
        return [row]

    def _lower_bare(self, fn, ins, row, ctx):
        """exit, trap: no operands."""
        ctx.unknown()

    def _dests(self, fn, ins, row, dst):
        """A destination that may be a predicate pair d|p (setp, shfl, match)."""
        if isinstance(dst, ir.PredPair):
            row.dsts.extend([self._dest(fn, dst.first, ins), self._dest(fn, dst.second, ins)])
        else:
            row.dsts.append(self._dest(fn, dst, ins))

    def _lower_compare(self, fn, ins, row, ctx):
        mods, ops, types = ins.modifiers, ins.operands, ctx.types
        cmp = None
        boolop = L.BOOL_NONE
        for m in mods:
            if m in L.CMP_NAMES and cmp is None:
                cmp = L.CMP_NAMES[m]
                ctx.known.add(m)
            elif m in BOOL:
                boolop = BOOL[m]
                ctx.known.add(m)
        ctx.unknown()
        row.fields[L.F_AUX] = boolop
        if ins.opcode == "setp":
            row.fields[L.F_SUB] = cmp
            self._dests(fn, ins, row, ops[0])
            is_float = types[0] if types[0] in ("f32", "f64", "f16", "bf16") else False
            row.srcs.extend(self._source(fn, o, ins, is_float) for o in ops[1:3])
            if boolop != L.BOOL_NONE:
                row.srcs.append(self._source(fn, ops[3], ins, False))
        elif ins.opcode == "set":
            row.fields[L.F_SUB] = cmp
            row.fields[L.F_TY2] = L.TYPE_IDS[types[1]]
            row.dsts.append(self._dest(fn, ops[0], ins))
            is_float = types[1] if types[1] in ("f32", "f64", "f16", "bf16") else False
            row.srcs.extend(self._source(fn, o, ins, is_float) for o in ops[1:3])
            if boolop != L.BOOL_NONE:
                row.srcs.append(self._source(fn, ops[3], ins, False))
        elif ins.opcode == "selp":
            row.dsts.append(self._dest(fn, ops[0], ins))
            is_float = types[0] if types[0] in ("f32", "f64") else False
            row.srcs.extend(self._source(fn, o, ins, is_float) for o in ops[1:3])
            row.srcs.append(self._source(fn, ops[3], ins, False))
        else:  # slct.dtype.ctype d, a, b, c: d = c >= 0 ? a : b
            row.fields[L.F_TY2] = L.TYPE_IDS[types[1]]
            row.dsts.append(self._dest(fn, ops[0], ins))
            is_float = types[0] if types[0] in ("f32", "f64") else False
            row.srcs.extend(self._source(fn, o, ins, is_float) for o in ops[1:3])
            row.srcs.append(self._source(fn, ops[3], ins, types[1] == "f32"))

    def _lower_mov(self, fn, ins, row, ctx):
        ctx.unknown()
        dst, src = ins.operands
        if isinstance(dst, ir.Vector):
            row.fields[L.F_SUB] = L.MOV_UNPACK
            row.dsts.extend(self._dest(fn, o, ins) for o in dst.elements)
            row.srcs.append(self._source(fn, src, ins, ctx.is_float))
        elif isinstance(src, ir.Vector):
            row.fields[L.F_SUB] = L.MOV_PACK
            row.dsts.append(self._dest(fn, dst, ins))
            row.srcs.extend(self._source(fn, o, ins, ctx.is_float) for o in src.elements)
        else:
            if isinstance(src, ir.Symbol) and src.name in self.module.functions:
                raise UnsupportedPTXError(f"function pointers are not supported ({_where(ins)})")
            row.fields[L.F_SUB] = L.MOV_PLAIN
            row.dsts.append(self._dest(fn, dst, ins))
            row.srcs.append(self._source(fn, src, ins, ctx.is_float))

    def _lower_fence(self, fn, ins, row, ctx):
        """membar, fence: every modifier accepted, nothing to do in a sequentially consistent model."""

    def _lower_bar(self, fn, ins, row, ctx):
        mods, ops = ins.modifiers, ins.operands
        sub = L.BAR_SYNC
        if "warp" in mods:
            sub = L.BAR_WARP_SYNC
            ctx.known.add("warp")
        elif "arrive" in mods:
            sub = L.BAR_ARRIVE
            ctx.known.add("arrive")
        elif "red" in mods:
            ctx.known.add("red")
            for name, code in (("popc", L.BAR_RED_POPC), ("and", L.BAR_RED_AND), ("or", L.BAR_RED_OR)):
                if name in mods:
                    sub = code
                    ctx.known.add(name)
        ctx.unknown()
        row.fields[L.F_SUB] = sub
        if sub == L.BAR_WARP_SYNC:
            row.srcs.append(self._source(fn, ops[0], ins, False))
            return
        if sub in (L.BAR_RED_POPC, L.BAR_RED_AND, L.BAR_RED_OR):
            row.dsts.append(self._dest(fn, ops[0], ins))
            ops = ops[1:]
            row.srcs.append(self._source(fn, ops[-1], ins, False))      # predicate last
            ops = ops[:-1]
        else:
            row.srcs.append((L.OK_NONE, 0, 0.0))
        row.srcs.append(self._source(fn, ops[0], ins, False))           # barrier id
        row.srcs.append(self._source(fn, ops[1], ins, False) if len(ops) > 1 else (L.OK_NONE, 0, 0.0))

    def _lower_warp(self, fn, ins, row, ctx):
        """shfl, vote, activemask, redux, match: a mode modifier, then d[|p], sources."""
        modes = WARP_MODES[ins.opcode]
        for m in ins.modifiers:
            if m in modes:
                row.fields[L.F_SUB] = modes[m]
                ctx.known.add(m)
        ctx.unknown()
        self._dests(fn, ins, row, ins.operands[0])
        row.srcs.extend(self._source(fn, o, ins, False) for o in ins.operands[1:])

    def _lower_mma(self, fn, ins, row, ctx):
        """mma.sync.aligned.<shape>.<alayout>.<blayout>.<dtype>.<atype>.<btype>.<ctype> {D}, {A}, {B}, {C}."""
        mods = ins.modifiers
        types = [m for m in mods if m in ("f16", "f32", "bf16", "tf32", "e4m3", "e5m2", "f64", "s8", "u8")]
        shape_name = next((m for m in mods if m.startswith("m") and "n" in m and "k" in m), None)
        layout = ".".join(m for m in mods if m not in types and m not in ("sync", "aligned", shape_name))
        if len(types) != 4 or shape_name is None or types[1] != types[2] \
                or types[0] != types[3] or types[0] not in ACCUMULATORS or types[1] not in INPUT_TYPES:
            raise UnsupportedPTXError(f"unsupported mma form {ins.text.strip()} ({_where(ins)}); supported: "
                                      f"D and C of one type (f32 or f16), A and B of one floating-point type")
        try:
            shape_id = find_shape(shape_name, types[1])
        except KeyError:
            raise UnsupportedPTXError(f"unsupported mma shape {shape_name} for .{types[1]} ({_where(ins)})") from None
        shape = SHAPES[shape_id]
        if layout not in shape.layouts:
            raise UnsupportedPTXError(f"mma.{shape_name} takes the layouts {', '.join(shape.layouts)}, not "
                                      f"{layout or 'none'} ({_where(ins)})")
        target = sm_number(target_cc(self.module.target))
        if target < shape.min_sm:
            raise UnsupportedPTXError(f"mma.{shape_name} with .{types[1]} needs sm_{shape.min_sm} or later; the PTX "
                                      f"targets {self.module.target} ({_where(ins)}); ptxas would refuse it too")
        d, a, b, c = ins.operands
        counts = (len(d.elements), len(a.elements), len(b.elements), len(c.elements))
        if counts != (shape.c_regs(types[0]), shape.a_regs, shape.b_regs, shape.c_regs(types[3])):
            raise UnsupportedPTXError(f"mma operand register counts {counts} do not fit {shape_name} ({_where(ins)})")
        row.fields[L.F_SUB] = shape_id
        row.fields[L.F_VEC] = LAYOUTS.index(layout)
        row.fields[L.F_TY] = ACCUMULATORS.index(types[0])
        row.fields[L.F_TY2] = INPUT_TYPES.index(types[1])
        row.dsts.extend(self._dest(fn, o, ins) for o in d.elements)
        row.srcs.extend(self._source(fn, o, ins, False) for o in a.elements + b.elements + c.elements)
        row.fields[L.F_AUX] = len(a.elements)
        row.fields[L.F_WIDTH] = len(b.elements)
        self.mma_shapes.add(shape_name)

    def _lower_ldmatrix(self, fn, ins, row, ctx):
        """ldmatrix.sync.aligned.m8n8.x{1,2,4}{.trans}.shared.b16 {d...}, [addr]."""
        ctx.known.update(("m8n8", "x1", "x2", "x4", "trans"))
        ctx.unknown()
        count = next((int(m[1]) for m in ins.modifiers if m in ("x1", "x2", "x4")), 0)
        if "m8n8" not in ins.modifiers or count == 0:
            raise UnsupportedPTXError(f"unsupported ldmatrix form {ins.text.strip()} ({_where(ins)})")
        targets = ins.operands[0].elements if isinstance(ins.operands[0], ir.Vector) else (ins.operands[0],)
        if len(targets) != count:
            raise UnsupportedPTXError(f"ldmatrix .x{count} needs {count} destination registers ({_where(ins)})")
        row.fields[L.F_VEC] = count
        row.fields[L.F_SUB] = L.LDMATRIX_TRANS if "trans" in ins.modifiers else L.LDMATRIX_PLAIN
        row.fields[L.F_SPACE] = self._address(fn, ins.operands[1], ins, row, row.fields.get(L.F_SPACE, L.SP_GENERIC))
        row.dsts.extend(self._dest(fn, o, ins) for o in targets)

    def _lower_wmma(self, fn, ins, row, ctx):
        """wmma.load.{a,b,c} / wmma.store.d / wmma.mma (.sync.aligned), shapes m16n16k16, m32n8k16,
        m8n32k16 (f16, bf16) and m16n16k8 (tf32), f32 or f16 accumulators."""
        mods = ins.modifiers
        shape_name = next((m for m in mods if m in wmma.SHAPE_NAMES), None)
        types = [m for m in mods if m in ("f16", "f32", "bf16", "tf32")]
        if shape_name is None or not types:
            raise UnsupportedPTXError(f"unsupported wmma form {ins.text.strip()} ({_where(ins)})")
        shape_id = wmma.SHAPE_NAMES.index(shape_name)
        row.fields[L.F_VEC] = shape_id
        ops = ins.operands
        if "mma" in mods:
            # wmma.mma...<shape>.<dtype>.<ctype> (f16 inputs) or .<dtype>.<atype>.<btype>.<ctype>
            dtype, ctype = types[0], types[-1]
            in_type = types[1] if len(types) == 4 else "f16"
            if dtype != ctype or dtype not in ACCUMULATORS or in_type not in INPUT_TYPES or "satfinite" in mods:
                raise UnsupportedPTXError(f"unsupported wmma.mma types in {ins.text.strip()} ({_where(ins)}); "
                                          f"supported: D and C of one type (f32 or f16)")
            row.fields[L.F_SUB] = L.WMMA_MMA
            row.form = "mma"
            row.fields[L.F_TY] = ACCUMULATORS.index(dtype)
            row.fields[L.F_TY2] = INPUT_TYPES.index(in_type)
            d, a, b, c = ops
            row.dsts.extend(self._dest(fn, o, ins) for o in d.elements)
            row.srcs.extend(self._source(fn, o, ins, False) for o in a.elements + b.elements + c.elements)
            row.fields[L.F_AUX] = len(a.elements)
            row.fields[L.F_WIDTH] = len(b.elements)
            return
        kind = next(k for k, name in enumerate(wmma.FRAGMENTS) if name in mods)
        layout = L.WMMA_COL_MAJOR if "col" in mods else L.WMMA_ROW_MAJOR
        rows, cols = wmma.tile(shape_id, kind)
        row.fields[L.F_SUB] = kind
        row.fields[L.F_AUX] = layout
        row.fields[L.F_WIDTH] = 4 if types[0] in ("f32", "tf32") else 2
        is_load = "load" in mods
        address, regs = (ops[1], ops[0]) if is_load else (ops[0], ops[1])
        stride = ops[2] if len(ops) > 2 else ir.Imm(cols if layout == L.WMMA_ROW_MAJOR else rows)
        row.fields[L.F_SPACE] = self._address(fn, address, ins, row, row.fields.get(L.F_SPACE, L.SP_GENERIC))
        row.srcs.append(self._source(fn, stride, ins, False))
        if is_load:
            row.dsts.extend(self._dest(fn, o, ins) for o in regs.elements)
        else:
            row.srcs.extend(self._source(fn, o, ins, False) for o in regs.elements)

    def _lower_call(self, fn, ins, row, ctx) -> list[_Row]:
        ctx.unknown()
        target: ir.CallTarget = ins.operands[0]
        if target.function == VPRINTF:
            row.fields[L.F_SUB] = L.CALL_VPRINTF
            row.form = "vprintf"
            for arg in target.args:
                space, offset = self._symbol(fn, arg.name, ins)
                row.srcs.append((L.OK_IMM, offset, 0.0))
            for ret in target.returns:
                space, offset = self._symbol(fn, ret.name, ins)
                row.dsts.append((L.OK_IMM, offset, 0.0))
            return [row]
        callee = self.module.functions[target.function]
        if len(target.args) != len(callee.params) or len(target.returns) > len(callee.returns):
            raise UnsupportedPTXError(f"call to {callee.name} with a wrong number of parameters ({_where(ins)})")
        row.fields[L.F_SUB] = L.CALL_FUNC
        self.pending_calls.append((row, callee.name))
        copies_in = [self._copy_rows(fn, ins, self._symbol(fn, a.name, ins)[1],
                                     self.symbols[(callee.name, p.name)][1], p.size_bytes)
                     for a, p in zip(target.args, callee.params)]
        copies_out = [self._copy_rows(fn, ins, self.symbols[(callee.name, p.name)][1],
                                      self._symbol(fn, r.name, ins)[1], p.size_bytes)
                      for r, p in zip(target.returns, callee.returns)]
        return [r for rows in copies_in for r in rows] + [row] + [r for rows in copies_out for r in rows]

    def _copy_rows(self, fn, ins, src_offset: int, dst_offset: int, size: int) -> list[_Row]:
        """ld.local/st.local pairs through a scratch register copying a parameter value."""
        fn.registers.setdefault(_SCRATCH, "b64")
        scratch = self._slot(fn, ir.Reg(_SCRATCH), ins)
        rows = []
        done = 0
        while done < size:
            chunk = next(c for c in (8, 4, 2, 1) if size - done >= c and (src_offset + done) % c == 0
                         and (dst_offset + done) % c == 0)
            type_name = {8: "b64", 4: "b32", 2: "b16", 1: "b8"}[chunk]
            load = self._new_row(fn, ins, "ld", type_name)
            load.fields[L.F_SPACE] = L.SP_LOCAL
            load.srcs.append((L.OK_IMM, src_offset + done, 0.0))
            load.dsts.append((L.OK_REG, scratch, 0.0))
            store = self._new_row(fn, ins, "st", type_name)
            store.fields[L.F_SPACE] = L.SP_LOCAL
            store.srcs.extend([(L.OK_IMM, dst_offset + done, 0.0), (L.OK_REG, scratch, 0.0)])
            rows += [load, store]
            done += chunk
        return rows

    # ------------------------------------------------------------ output
    def _finish(self, functions) -> Program:
        n = len(self.rows)
        code = np.zeros((n, L.N_FIELDS), dtype=np.int64)
        kinds, vals, fvals = [], [], []
        for pc, row in enumerate(self.rows):
            for f, v in row.fields.items():
                code[pc, f] = v
            ex = OPCODES[row.fields[L.F_OP]].rule.resolve(row.type_name, _SPACE_NAME.get(row.fields.get(L.F_SPACE)),
                                                          row.form)
            code[pc, L.F_CLASS] = CLASS_ID[ex.cls]
            code[pc, L.F_EXEC] = ROUTINE_ID[ex.routine]
            code[pc, L.F_PIPE] = PIPE_ID[ex.pipe]
            code[pc, L.F_LATENCY] = LATENCY_ID[ex.latency]
            code[pc, L.F_FAST] = _fast_path(code[pc], row.srcs, len(row.dsts))
            code[pc, L.F_SRC] = len(kinds)
            code[pc, L.F_NSRC] = len(row.srcs)
            for k, v, fv in row.srcs:
                kinds.append(k), vals.append(v), fvals.append(fv)
            code[pc, L.F_DST] = len(kinds)
            code[pc, L.F_NDST] = len(row.dsts)
            for k, v, fv in row.dsts:
                kinds.append(k), vals.append(v), fvals.append(fv)
        symbols = {name: where for (owner, name), where in self.symbols.items()
                   if owner in ("", self.entry.name)}
        return Program(
            code=code,
            opnd_kind=np.array(kinds or [0], dtype=np.int64),
            opnd_val=np.array(vals or [0], dtype=np.int64),
            opnd_f=np.array(fvals or [0.0], dtype=np.float64),
            n_slots=max(len(self.slot_names), 1),
            slot_names=self.slot_names,
            sources=[r.source for r in self.rows],
            function_of_pc=self.function_of_row,
            entry=self.entry,
            kernel_params=self.kernel_params,
            param_bytes=self.param_bytes,
            shared_static_bytes=self.shared_bytes,
            dynamic_shared_offset=self.dynamic_shared_offset,
            local_bytes=_align(self.local_bytes, 16),
            symbols=symbols,
            mma_shapes=frozenset(self.mma_shapes),
        )


_FAST_INT_OPS = frozenset(OPCODE_ID[n] for n in ("add", "sub", "and", "or", "xor", "shl", "shr", "mul", "mad"))
_FAST_F32_OPS = frozenset(OPCODE_ID[n] for n in ("add", "sub", "mul", "fma", "mad"))
_FAST_F64_OPS = frozenset(OPCODE_ID[n] for n in ("add", "sub", "mul"))


def _fast_path(fields, srcs, n_dsts: int) -> int:
    """The whole-row fast path (L.FAST_*) of a decoded instruction, for the forms emu.engine.fast
    implements: no modifier flags, no special-register operand, round-to-nearest, no .hi products."""
    op = int(fields[L.F_OP])
    if not OPCODES[op].fast or fields[L.F_FLAGS] not in (0, L.FL_UNI) or any(k == L.OK_SPECIAL for k, _, _ in srcs):
        return L.FAST_NONE
    ty, sub, rnd = int(fields[L.F_TY]), int(fields[L.F_SUB]), int(fields[L.F_RND])
    kind = ty >> 4
    is_int = ty != L.TY_NONE and kind in (L.TK_U, L.TK_S, L.TK_B)
    name = OPCODES[op].name
    if name == "mov":
        return L.FAST_MOV if sub == L.MOV_PLAIN else L.FAST_NONE
    if name == "selp":
        return L.FAST_SELP
    if name == "setp":
        if fields[L.F_AUX] != L.BOOL_NONE or n_dsts != 1:
            return L.FAST_NONE
        # unsigned orderings other than eq/ne need unsigned compares: left to the reference
        if is_int and sub <= L.CMP_GE and not (kind != L.TK_S and sub >= L.CMP_LT):
            return L.FAST_SETP_INT
        return L.FAST_SETP_F32 if ty == L.TY_F32 else L.FAST_NONE
    if name == "cvt":
        sty = int(fields[L.F_TY2])
        return L.FAST_CVT_INT if rnd < 0 and is_int and (sty >> 4) in (L.TK_U, L.TK_S, L.TK_B) else L.FAST_NONE
    if is_int and op in _FAST_INT_OPS:
        return L.FAST_NONE if name in ("mul", "mad") and sub == L.MUL_HI else L.FAST_INT
    if ty == L.TY_F32 and op in _FAST_F32_OPS and rnd <= L.RND_RN:
        return L.FAST_F32
    if ty == L.TY_F64 and op in _FAST_F64_OPS and rnd <= L.RND_RN:
        return L.FAST_F64
    return L.FAST_NONE


_END_LABEL = "$__emu_function_end"
_SCRATCH = "%__emu_param_copy"
_SPACE_NAME = {code: name for name, code in L.SPACE_NAMES.items()}


def _wrap64(value: int) -> int:
    value &= 0xFFFFFFFFFFFFFFFF
    return value - (1 << 64) if value >= (1 << 63) else value


def _where(ins: ir.Instruction | None) -> str:
    if ins is None:
        return "synthesized"
    if ins.loc is not None and ins.loc.line:
        return f"{ins.loc.file}:{ins.loc.line}"
    return "no source line"


def decode(module: ir.Module, entry: str, global_address) -> Program:
    """Lower ``entry`` of ``module`` and the device functions it calls.

    ``global_address(variable) -> int`` places a module-scope .global/.const
    variable in the device heap and returns its address.
    """
    return _Decoder(module, entry, global_address).decode()
