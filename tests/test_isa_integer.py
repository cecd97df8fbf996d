"""Integer PTX instructions against exact references (Python ints).

Every case is a PTX snippet run once per thread on hypothesis-drawn operands
(a mix of random values and adversarial ones: 0, 1, -1, INT_MIN, INT_MAX,
UINT_MAX, powers of two and their neighbours; shift amounts 0..70 and a few
huge ones), and every lane is compared with the reference. Values travel as
raw bit patterns (see tests/ptxkit.py).

Where PTX leaves a result undefined, the tests pin emu's choice and say so:
integer division by zero gives all ones (div, signed or not) and the dividend
(rem); INT_MIN / -1 gives INT_MIN (the wrapped quotient) and INT_MIN % -1 gives 0.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ptxkit as K
from ptxkit import bits_of, mask, signed, value

pytestmark = pytest.mark.both_paths   # each test runs [fast] and [reference]: see tests/conftest.py

LANES = 48          # operands per example: a full warp and a partial one
EXAMPLES = 20
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))

INT_TYPES = ("u16", "s16", "u32", "s32", "u64", "s64")
WIDE = {"u16": "u32", "s16": "s32", "u32": "u64", "s32": "s64"}


# ------------------------------------------------------------------ operand strategies
def operand(ty: str):
    bits = bits_of(ty)
    return st.one_of(st.sampled_from(K.special_values(bits)), st.integers(0, (1 << bits) - 1))


SHIFT = st.one_of(st.integers(0, 70), st.sampled_from([255, 256, 257, 1 << 16, (1 << 16) + 3, 1 << 31,
                                                       0xFFFFFFFF]))
FIELD = st.one_of(st.integers(0, 70), st.integers(0, 0xFFFFFFFF), st.sampled_from([255, 256, 0x1FF, 0x120]))
BOOL = st.integers(0, 1)


@dataclass
class Case:
    id: str
    body: str
    ins: dict                    # name -> type
    outs: dict                   # name -> type
    ref: object                  # ref(*raw inputs) -> raw output (or a tuple, one per output)
    strategies: dict = field(default_factory=dict)   # name -> strategy overriding operand(type)

    def strategy(self, name):
        if name in self.strategies:
            return self.strategies[name]
        return BOOL if self.ins[name] == "pred" else operand(self.ins[name])


def check(case: Case, rows: list) -> None:
    cols = list(zip(*rows))
    got = K.run(case.body, {n: (t, c) for (n, t), c in zip(case.ins.items(), cols)}, case.outs)
    for i, row in enumerate(rows):
        want = case.ref(*row)
        want = want if isinstance(want, tuple) else (want,)
        for (name, ty), w in zip(case.outs.items(), want):
            w = mask(w, bits_of(ty))
            if got[name][i] != w:
                args = ", ".join(f"{n}={v:#x}" for n, v in zip(case.ins, row))
                pytest.fail(f"{case.id}: lane {i} ({args}): %{name} = {got[name][i]:#x}, expected {w:#x}\n"
                            f"{case.body}")


def run_case(case: Case, data) -> None:
    row = st.tuples(*[case.strategy(n) for n in case.ins])
    check(case, data.draw(st.lists(row, min_size=1, max_size=LANES), label="operands"))


# ------------------------------------------------------------------ references
def tdiv(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def div_ref(ty):
    def ref(a, b):
        x, y = value(a, ty), value(b, ty)
        if y == 0:
            return -1                      # undefined in PTX; emu's choice: all ones
        return tdiv(x, y)
    return ref


def rem_ref(ty):
    def ref(a, b):
        x, y = value(a, ty), value(b, ty)
        if y == 0:
            return x                       # undefined in PTX; emu's choice: the dividend
        return x - y * tdiv(x, y)
    return ref


def sat(x: int, bits: int = 32) -> int:
    return max(min(x, (1 << (bits - 1)) - 1), -(1 << (bits - 1)))


def clz(x, bits):
    return bits - x.bit_length()


def brev(x, bits):
    return int(format(x, f"0{bits}b")[::-1], 2)


def bfind(x, ty, shiftamt=False):
    bits = bits_of(ty)
    if ty[0] == "s" and x >> (bits - 1):
        x = ~x & mask(-1, bits)
    if x == 0:
        return 0xFFFFFFFF
    msb = x.bit_length() - 1
    return bits - 1 - msb if shiftamt else msb


def bfe(a, pos, ln, ty):
    """PTX pseudo-code of bfe, bit by bit."""
    msb = bits_of(ty) - 1
    pos, ln = pos & 0xFF, ln & 0xFF
    sbit = 0 if (ty[0] == "u" or ln == 0) else (a >> min(pos + ln - 1, msb)) & 1
    d = 0
    for i in range(msb + 1):
        bit = (a >> (pos + i)) & 1 if (i < ln and pos + i <= msb) else sbit
        d |= bit << i
    return d


def bfi(a, b, pos, ln, bits):
    pos, ln = pos & 0xFF, ln & 0xFF
    d = b
    i = 0
    while i < ln and pos + i <= bits - 1:
        d = (d & ~(1 << (pos + i))) | (((a >> i) & 1) << (pos + i))
        i += 1
    return d


def prmt(a, b, c):
    src = (b << 32) | a
    d = 0
    for k in range(4):
        sel = (c >> (4 * k)) & 0xF
        byte = (src >> (8 * (sel & 7))) & 0xFF
        if sel & 8:
            byte = 0xFF if byte & 0x80 else 0
        d |= byte << (8 * k)
    return d


def shf(a, b, c, left, clamp):
    n = min(c, 32) if clamp else c & 31
    pair = (b << 32) | a
    return (pair << n) >> 32 if left else pair >> n


def shr(a, sh, ty):
    bits = bits_of(ty)
    sh = min(sh, bits)
    return value(a, ty) >> sh


def i24(x, ty):
    return signed(x, 24) if ty[0] == "s" else mask(x, 24)


# ------------------------------------------------------------------ cases
def arithmetic_cases():
    out = []
    for t in INT_TYPES:
        n = bits_of(t)
        ab = {"a": t, "b": t}
        abc = {"a": t, "b": t, "c": t}
        d = {"d": t}
        v = lambda x, t=t: value(x, t)  # noqa: E731
        out += [
            Case(f"add.{t}", f"add.{t} %d, %a, %b;", ab, d, lambda a, b: a + b),
            Case(f"sub.{t}", f"sub.{t} %d, %a, %b;", ab, d, lambda a, b: a - b),
            Case(f"mul.lo.{t}", f"mul.lo.{t} %d, %a, %b;", ab, d, lambda a, b: a * b),
            Case(f"mul.hi.{t}", f"mul.hi.{t} %d, %a, %b;", ab, d, lambda a, b, v=v, n=n: (v(a) * v(b)) >> n),
            Case(f"mad.lo.{t}", f"mad.lo.{t} %d, %a, %b, %c;", abc, d, lambda a, b, c: a * b + c),
            Case(f"mad.hi.{t}", f"mad.hi.{t} %d, %a, %b, %c;", abc, d,
                 lambda a, b, c, v=v, n=n: ((v(a) * v(b)) >> n) + c),
            Case(f"sad.{t}", f"sad.{t} %d, %a, %b, %c;", abc, d, lambda a, b, c, v=v: c + abs(v(a) - v(b))),
            Case(f"div.{t}", f"div.{t} %d, %a, %b;", ab, d, div_ref(t)),
            Case(f"rem.{t}", f"rem.{t} %d, %a, %b;", ab, d, rem_ref(t)),
            Case(f"min.{t}", f"min.{t} %d, %a, %b;", ab, d, lambda a, b, v=v: min(v(a), v(b))),
            Case(f"max.{t}", f"max.{t} %d, %a, %b;", ab, d, lambda a, b, v=v: max(v(a), v(b))),
            Case(f"shr.{t}", f"shr.{t} %d, %a, %b;", {"a": t, "b": "u32"}, d,
                 lambda a, b, t=t: shr(a, b, t), {"b": SHIFT}),
        ]
        if t[0] == "s":
            out += [Case(f"abs.{t}", f"abs.{t} %d, %a;", {"a": t}, d, lambda a, v=v: abs(v(a))),
                    Case(f"neg.{t}", f"neg.{t} %d, %a;", {"a": t}, d, lambda a: -a)]
        if t in WIDE:
            w = WIDE[t]
            out += [
                Case(f"mul.wide.{t}", f"mul.wide.{t} %d, %a, %b;", ab, {"d": w}, lambda a, b, v=v: v(a) * v(b)),
                Case(f"mad.wide.{t}", f"mad.wide.{t} %d, %a, %b, %c;", {"a": t, "b": t, "c": w}, {"d": w},
                     lambda a, b, c, v=v: v(a) * v(b) + c),
            ]
    s32 = lambda x: signed(x, 32)  # noqa: E731
    out += [
        Case("add.sat.s32", "add.sat.s32 %d, %a, %b;", {"a": "s32", "b": "s32"}, {"d": "s32"},
             lambda a, b: sat(s32(a) + s32(b))),
        Case("sub.sat.s32", "sub.sat.s32 %d, %a, %b;", {"a": "s32", "b": "s32"}, {"d": "s32"},
             lambda a, b: sat(s32(a) - s32(b))),
        Case("mad.hi.sat.s32", "mad.hi.sat.s32 %d, %a, %b, %c;", {"a": "s32", "b": "s32", "c": "s32"},
             {"d": "s32"}, lambda a, b, c: sat(((s32(a) * s32(b)) >> 32) + s32(c))),
    ]
    for t in ("u32", "s32"):
        abc = {"a": t, "b": t, "c": t}
        out += [
            Case(f"mul24.lo.{t}", f"mul24.lo.{t} %d, %a, %b;", {"a": t, "b": t}, {"d": t},
                 lambda a, b, t=t: i24(a, t) * i24(b, t)),
            Case(f"mul24.hi.{t}", f"mul24.hi.{t} %d, %a, %b;", {"a": t, "b": t}, {"d": t},
                 lambda a, b, t=t: (i24(a, t) * i24(b, t)) >> 16),
            Case(f"mad24.lo.{t}", f"mad24.lo.{t} %d, %a, %b, %c;", abc, {"d": t},
                 lambda a, b, c, t=t: i24(a, t) * i24(b, t) + c),
            Case(f"mad24.hi.{t}", f"mad24.hi.{t} %d, %a, %b, %c;", abc, {"d": t},
                 lambda a, b, c, t=t: ((i24(a, t) * i24(b, t)) >> 16) + c),
        ]
    out.append(Case("mad24.hi.sat.s32", "mad24.hi.sat.s32 %d, %a, %b, %c;", {"a": "s32", "b": "s32", "c": "s32"},
                    {"d": "s32"}, lambda a, b, c: sat(((i24(a, "s32") * i24(b, "s32")) >> 16) + s32(c))))
    return out


def bit_cases():
    out = []
    for t in ("b32", "b64"):
        n = bits_of(t)
        out += [
            Case(f"popc.{t}", f"popc.{t} %d, %a;", {"a": t}, {"d": "u32"}, lambda a: bin(a).count("1")),
            Case(f"clz.{t}", f"clz.{t} %d, %a;", {"a": t}, {"d": "u32"}, lambda a, n=n: clz(a, n)),
            Case(f"brev.{t}", f"brev.{t} %d, %a;", {"a": t}, {"d": t}, lambda a, n=n: brev(a, n)),
            Case(f"bfi.{t}", f"bfi.{t} %d, %a, %b, %c, %e;", {"a": t, "b": t, "c": "u32", "e": "u32"}, {"d": t},
                 lambda a, b, c, e, n=n: bfi(a, b, c, e, n), {"c": FIELD, "e": FIELD}),
        ]
    for t in ("u32", "s32", "u64", "s64"):
        out += [
            Case(f"bfind.{t}", f"bfind.{t} %d, %a;", {"a": t}, {"d": "u32"}, lambda a, t=t: bfind(a, t)),
            Case(f"bfind.shiftamt.{t}", f"bfind.shiftamt.{t} %d, %a;", {"a": t}, {"d": "u32"},
                 lambda a, t=t: bfind(a, t, True)),
            Case(f"bfe.{t}", f"bfe.{t} %d, %a, %b, %c;", {"a": t, "b": "u32", "c": "u32"}, {"d": t},
                 lambda a, b, c, t=t: bfe(a, b, c, t), {"b": FIELD, "c": FIELD}),
        ]
    out.append(Case("prmt.b32", "prmt.b32 %d, %a, %b, %c;", {"a": "b32", "b": "b32", "c": "b32"}, {"d": "b32"},
                    prmt))
    for t in ("b16", "b32", "b64"):
        n = bits_of(t)
        ab = {"a": t, "b": t}
        d = {"d": t}
        out += [
            Case(f"and.{t}", f"and.{t} %d, %a, %b;", ab, d, lambda a, b: a & b),
            Case(f"or.{t}", f"or.{t} %d, %a, %b;", ab, d, lambda a, b: a | b),
            Case(f"xor.{t}", f"xor.{t} %d, %a, %b;", ab, d, lambda a, b: a ^ b),
            Case(f"not.{t}", f"not.{t} %d, %a;", {"a": t}, d, lambda a: ~a),
            Case(f"cnot.{t}", f"cnot.{t} %d, %a;", {"a": t}, d, lambda a: int(a == 0)),
            Case(f"shl.{t}", f"shl.{t} %d, %a, %b;", {"a": t, "b": "u32"}, d,
                 lambda a, b, n=n: a << min(b, n), {"b": SHIFT}),
            Case(f"shr.{t}", f"shr.{t} %d, %a, %b;", {"a": t, "b": "u32"}, d,
                 lambda a, b, n=n: a >> min(b, n), {"b": SHIFT}),
        ]
    for left in (True, False):
        for clamp in (True, False):
            name = f"shf.{'l' if left else 'r'}.{'clamp' if clamp else 'wrap'}.b32"
            out.append(Case(name, f"{name} %d, %a, %b, %c;", {"a": "b32", "b": "b32", "c": "u32"}, {"d": "b32"},
                            lambda a, b, c, left=left, clamp=clamp: shf(a, b, c, left, clamp), {"c": SHIFT}))
    pp = {"a": "pred", "b": "pred"}
    out += [
        Case("and.pred", "and.pred %d, %a, %b;", pp, {"d": "pred"}, lambda a, b: a & b),
        Case("or.pred", "or.pred %d, %a, %b;", pp, {"d": "pred"}, lambda a, b: a | b),
        Case("xor.pred", "xor.pred %d, %a, %b;", pp, {"d": "pred"}, lambda a, b: a ^ b),
        Case("not.pred", "not.pred %d, %a;", {"a": "pred"}, {"d": "pred"}, lambda a: 1 - a),
        Case("and.pred-negated", "and.pred %d, %a, !%b;", pp, {"d": "pred"}, lambda a, b: a & (1 - b)),
    ]
    return out


def immediate_cases():
    """Immediate operands: sign-extended to the instruction width, large ones truncated."""
    return [
        Case("add.s32-imm", "add.s32 %d, %a, -7;", {"a": "s32"}, {"d": "s32"}, lambda a: a - 7),
        Case("add.u16-imm", "add.u16 %d, %a, 0xFFFF;", {"a": "u16"}, {"d": "u16"}, lambda a: a + 0xFFFF),
        Case("and.b32-imm", "and.b32 %d, %a, 0xF0F0F0F0;", {"a": "b32"}, {"d": "b32"}, lambda a: a & 0xF0F0F0F0),
        Case("mul.wide.s32-imm", "mul.wide.s32 %d, %a, -3;", {"a": "s32"}, {"d": "s64"},
             lambda a: signed(a, 32) * -3),
        Case("mad.lo.s64-imm", "mad.lo.s64 %d, %a, 10, -1;", {"a": "s64"}, {"d": "s64"}, lambda a: a * 10 - 1),
        Case("shl.b64-imm", "shl.b64 %d, %a, 63;", {"a": "b64"}, {"d": "b64"}, lambda a: a << 63),
        Case("shr.s32-imm", "shr.s32 %d, %a, 40;", {"a": "s32"}, {"d": "s32"}, lambda a: signed(a, 32) >> 31),
        Case("bfe.u32-imm", "bfe.u32 %d, %a, 4, 8;", {"a": "u32"}, {"d": "u32"}, lambda a: (a >> 4) & 0xFF),
        Case("bfi.b32-imm", "bfi.b32 %d, %a, %b, 8, 4;", {"a": "b32", "b": "b32"}, {"d": "b32"},
             lambda a, b: bfi(a, b, 8, 4, 32)),
        Case("prmt.b32-imm", "prmt.b32 %d, %a, %b, 0x3210;", {"a": "b32", "b": "b32"}, {"d": "b32"},
             lambda a, b: a),
        Case("prmt.b32-imm-sign", "prmt.b32 %d, %a, %b, 0x8765;", {"a": "b32", "b": "b32"}, {"d": "b32"},
             lambda a, b: prmt(a, b, 0x8765)),
        Case("min.s64-imm", "min.s64 %d, %a, -1;", {"a": "s64"}, {"d": "s64"}, lambda a: min(signed(a, 64), -1)),
        Case("max.u32-imm", "max.u32 %d, %a, 0x80000000;", {"a": "u32"}, {"d": "u32"},
             lambda a: max(a, 0x80000000)),
        Case("div.s32-imm", "div.s32 %d, %a, -2;", {"a": "s32"}, {"d": "s32"}, lambda a: tdiv(signed(a, 32), -2)),
        Case("rem.u64-imm", "rem.u64 %d, %a, 1000000007;", {"a": "u64"}, {"d": "u64"}, lambda a: a % 1000000007),
    ]


ARITH = arithmetic_cases()
BITS = bit_cases()
IMMEDIATE = immediate_cases()


@pytest.mark.parametrize("case", ARITH, ids=lambda c: c.id)
@SETTINGS
@given(data=st.data())
def test_arithmetic(case, data):
    run_case(case, data)


@pytest.mark.parametrize("case", BITS, ids=lambda c: c.id)
@SETTINGS
@given(data=st.data())
def test_bits_and_logic(case, data):
    run_case(case, data)


@pytest.mark.parametrize("case", IMMEDIATE, ids=lambda c: c.id)
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_immediate_operands(case, data):
    run_case(case, data)


# ------------------------------------------------------------------ edge values, all at once
def edge_values(ty):
    """A few adversarial values per type: 0, 1, 2, -1, INT_MIN, INT_MIN + 1, INT_MAX, and a shift of 40."""
    if ty == "pred":
        return [0, 1]
    bits = bits_of(ty)
    return sorted({0, 1, 2, mask(-1, bits), 1 << (bits - 1), (1 << (bits - 1)) + 1, (1 << (bits - 1)) - 1,
                   40 % (1 << bits)})


@pytest.mark.parametrize("case", ARITH + BITS, ids=lambda c: c.id)
def test_edge_grid(case):
    """Every combination of the edge values of every operand."""
    import itertools
    rows = list(itertools.product(*[edge_values(case.ins[n]) for n in case.ins]))
    check(case, rows)


@pytest.mark.parametrize("t", INT_TYPES)
def test_division_edges(t):
    """Every pair of adversarial values through div and rem, including x/0 and INT_MIN/-1."""
    vals = K.special_values(bits_of(t))[::3] + [0, 1, mask(-1, bits_of(t)), 1 << (bits_of(t) - 1)]
    rows = [(a, b) for a in vals for b in vals]
    for start in range(0, len(rows), 512):
        chunk = rows[start:start + 512]
        check(Case(f"div.{t}", f"div.{t} %d, %a, %b;", {"a": t, "b": t}, {"d": t}, div_ref(t)), chunk)
        check(Case(f"rem.{t}", f"rem.{t} %d, %a, %b;", {"a": t, "b": t}, {"d": t}, rem_ref(t)), chunk)


def test_division_emu_choices():
    """What PTX leaves undefined, pinned to emu's choice: x/0 = all ones, x%0 = x, INT_MIN/-1 = INT_MIN,
    INT_MIN%-1 = 0."""
    got = K.run("div.s32 %q, %a, %b;\nrem.s32 %r, %a, %b;\ndiv.u32 %uq, %a, %b;\nrem.u32 %ur, %a, %b;",
                {"a": ("s32", [7, -7, -2**31, -2**31]), "b": ("s32", [0, 0, -1, 0])},
                {"q": "s32", "r": "s32", "uq": "u32", "ur": "u32"})
    assert got["q"] == [0xFFFFFFFF, 0xFFFFFFFF, 0x80000000, 0xFFFFFFFF]
    assert got["r"] == [7, mask(-7, 32), 0, 0x80000000]
    assert got["uq"][:2] == [0xFFFFFFFF, 0xFFFFFFFF]
    assert got["ur"][:2] == [7, mask(-7, 32)]


def test_bfe_bfi_fields():
    """bfe/bfi over a grid of positions and lengths, including pos >= width and len 0 / > width."""
    grid = [(p, ln) for p in (0, 1, 7, 16, 31, 32, 33, 63, 64, 200, 255, 256, 300)
            for ln in (0, 1, 5, 31, 32, 33, 64, 65, 255, 256)]
    for t in ("u32", "s32", "u64", "s64"):
        for a in (0, 0x8000_0000, 0xDEAD_BEEF, mask(-1, bits_of(t)), 1 << (bits_of(t) - 1),
                  0x0123_4567_89AB_CDEF & mask(-1, bits_of(t))):
            check(Case(f"bfe.{t}", f"bfe.{t} %d, %a, %b, %c;", {"a": t, "b": "u32", "c": "u32"}, {"d": t},
                       lambda a, b, c, t=t: bfe(a, b, c, t)), [(a, p, ln) for p, ln in grid])
    for t in ("b32", "b64"):
        n = bits_of(t)
        check(Case(f"bfi.{t}", f"bfi.{t} %d, %a, %b, %c, %e;", {"a": t, "b": t, "c": "u32", "e": "u32"},
                   {"d": t}, lambda a, b, c, e, n=n: bfi(a, b, c, e, n)),
              [(mask(-1, n), 0x1234_5678, p, ln) for p, ln in grid])


def test_shifts_clamp():
    """Shift amounts at and past the width: shl/shr clamp to the width; shr.s fills with the sign."""
    amounts = list(range(0, 71)) + [255, 256, 1 << 16, (1 << 16) + 1, 1 << 31, 0xFFFFFFFF]
    for t in ("b16", "u16", "s16", "b32", "u32", "s32", "b64", "u64", "s64"):
        n = bits_of(t)
        rows = [(a, sh) for a in (1, mask(-1, n), 1 << (n - 1), 0x5A5A_5A5A_5A5A_5A5A & mask(-1, n))
                for sh in amounts]
        check(Case(f"shr.{t}", f"shr.{t} %d, %a, %b;", {"a": t, "b": "u32"}, {"d": t},
                   lambda a, b, t=t: shr(a, b, t)), rows)
        if t[0] == "b":
            check(Case(f"shl.{t}", f"shl.{t} %d, %a, %b;", {"a": t, "b": "u32"}, {"d": t},
                       lambda a, b, n=n: a << min(b, n)), rows)


# ------------------------------------------------------------------ setp, selp, slct
CMPS = {
    "eq": lambda x, y: x == y, "ne": lambda x, y: x != y, "lt": lambda x, y: x < y, "le": lambda x, y: x <= y,
    "gt": lambda x, y: x > y, "ge": lambda x, y: x >= y, "lo": lambda x, y: x < y, "ls": lambda x, y: x <= y,
    "hi": lambda x, y: x > y, "hs": lambda x, y: x >= y,
}


def comparisons(t):
    if t[0] == "b":
        return ["eq", "ne"]
    if t[0] == "s":
        return ["eq", "ne", "lt", "le", "gt", "ge"]
    return list(CMPS)           # on unsigned types lt..ge are the unsigned comparisons too


def compare_pairs(t):
    op = operand(t)
    return st.one_of(st.tuples(op, op), op.map(lambda x: (x, x)))     # equal operands often


@pytest.mark.parametrize("t", ("b16", "u16", "s16", "b32", "u32", "s32", "b64", "u64", "s64"))
@SETTINGS
@given(data=st.data())
def test_setp_all_comparisons(t, data):
    cmps = comparisons(t)
    body = "\n".join(f"setp.{c}.{t} %{c}, %a, %b;" for c in cmps)
    case = Case(f"setp.*.{t}", body, {"a": t, "b": t}, {c: "pred" for c in cmps},
                lambda a, b: tuple(int(CMPS[c](value(a, t), value(b, t))) for c in cmps))
    check(case, data.draw(st.lists(compare_pairs(t), min_size=1, max_size=LANES)))


@pytest.mark.parametrize("t", ("u32", "s32", "s64", "u16"))
@SETTINGS
@given(data=st.data())
def test_setp_pair_and_combiners(t, data):
    """setp.cmp.bool p|q, a, b, {!}c: p = bool(a cmp b, c), q = bool(!(a cmp b), c)."""
    lines, outs, refs = [], {}, []
    bools = {"and": lambda x, y: x & y, "or": lambda x, y: x | y, "xor": lambda x, y: x ^ y}
    lines.append(f"setp.lt.{t} %plain|%plainq, %a, %b;")
    outs.update(plain="pred", plainq="pred")
    refs.append(lambda x, y, c: (int(x < y), int(not x < y)))
    for cmp in ("lt", "eq", "ge"):
        for name, fn in bools.items():
            for neg in (False, True):
                tag = f"{cmp}{name}{'n' if neg else ''}"
                lines.append(f"setp.{cmp}.{name}.{t} %{tag}p|%{tag}q, %a, %b, {'!' if neg else ''}%c;")
                outs.update({f"{tag}p": "pred", f"{tag}q": "pred"})
                refs.append(lambda x, y, c, cmp=cmp, fn=fn, neg=neg:
                            (fn(int(CMPS[cmp](x, y)), c ^ neg), fn(int(not CMPS[cmp](x, y)), c ^ neg)))
    case = Case(f"setp.combine.{t}", "\n".join(lines), {"a": t, "b": t, "c": "pred"}, outs,
                lambda a, b, c: tuple(v for r in refs for v in r(value(a, t), value(b, t), c)))
    rows = data.draw(st.lists(st.builds(lambda ab, c: (*ab, c), compare_pairs(t), BOOL), min_size=1,
                              max_size=LANES))
    check(case, rows)


def test_setp_sink_destination():
    got = K.run("setp.lt.s32 _|%q, %a, %b;", {"a": ("s32", [1, 5, -3]), "b": ("s32", [2, 5, -4])}, {"q": "pred"})
    assert got["q"] == [0, 1, 1]


@pytest.mark.parametrize("t", ("b16", "u16", "s16", "b32", "u32", "s32", "b64", "u64", "s64", "f32", "f64"))
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_selp(t, data):
    bits = bits_of(t)
    op = st.integers(0, (1 << bits) - 1)
    case = Case(f"selp.{t}", f"selp.{t} %d, %a, %b, %c;", {"a": t, "b": t, "c": "pred"}, {"d": t},
                lambda a, b, c: a if c else b, {"a": op, "b": op})
    run_case(case, data)


@pytest.mark.parametrize("t", ("b16", "u16", "s16", "b32", "u32", "s32", "b64", "u64", "s64", "f32", "f64"))
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_slct(t, data):
    bits = bits_of(t)
    op = st.integers(0, (1 << bits) - 1)
    case = Case(f"slct.{t}.s32", f"slct.{t}.s32 %d, %a, %b, %c;", {"a": t, "b": t, "c": "s32"}, {"d": t},
                lambda a, b, c: a if signed(c, 32) >= 0 else b, {"a": op, "b": op})
    run_case(case, data)


def test_slct_f32_selector():
    """slct.*.f32: c >= 0 picks a; -0.0 counts as zero."""
    import struct
    cs = [0.0, -0.0, 1.5, -1.5, float("inf"), float("-inf"), 1e-45, -1e-45]
    bits = [struct.unpack("<I", struct.pack("<f", c))[0] for c in cs]
    got = K.run("slct.u32.f32 %d, %a, %b, %c;",
                {"a": ("u32", [1] * len(cs)), "b": ("u32", [2] * len(cs)), "c": ("f32", bits)}, {"d": "u32"})
    assert got["d"] == [1 if c >= 0 else 2 for c in cs]


# ------------------------------------------------------------------ mov
MOV_CASES = [
    Case("mov.b64-pack-b32", "mov.b64 %d, {%a, %b};", {"a": "b32", "b": "b32"}, {"d": "b64"},
         lambda a, b: a | b << 32),
    Case("mov.b64-unpack-b32", "mov.b64 {%d, %e}, %a;", {"a": "b64"}, {"d": "b32", "e": "b32"},
         lambda a: (a & 0xFFFFFFFF, a >> 32)),
    Case("mov.b32-pack-b16", "mov.b32 %d, {%a, %b};", {"a": "b16", "b": "b16"}, {"d": "b32"},
         lambda a, b: a | b << 16),
    Case("mov.b32-unpack-b16", "mov.b32 {%d, %e}, %a;", {"a": "b32"}, {"d": "b16", "e": "b16"},
         lambda a: (a & 0xFFFF, a >> 16)),
    Case("mov.b64-pack-4xb16", "mov.b64 %d, {%a, %b, %c, %e};", {"a": "b16", "b": "b16", "c": "b16", "e": "b16"},
         {"d": "b64"}, lambda a, b, c, e: a | b << 16 | c << 32 | e << 48),
    Case("mov.b64-unpack-4xb16", "mov.b64 {%d, %e, %f, %g}, %a;", {"a": "b64"},
         {"d": "b16", "e": "b16", "f": "b16", "g": "b16"},
         lambda a: tuple((a >> s) & 0xFFFF for s in (0, 16, 32, 48))),
    Case("mov.b64-unpack-sink", "mov.b64 {_, %d}, %a;", {"a": "b64"}, {"d": "b32"}, lambda a: a >> 32),
    Case("mov.u16", "mov.u16 %d, %a;", {"a": "u16"}, {"d": "u16"}, lambda a: a),
    Case("mov.s32", "mov.s32 %d, %a;", {"a": "s32"}, {"d": "s32"}, lambda a: a),
    Case("mov.u64", "mov.u64 %d, %a;", {"a": "u64"}, {"d": "u64"}, lambda a: a),
    Case("mov.pred", "mov.pred %d, %a;", {"a": "pred"}, {"d": "pred"}, lambda a: a),
    Case("mov.s32-imm", "mov.s32 %d, -5;\nmov.u64 %e, 0xFEDCBA9876543210;", {"a": "u32"}, {"d": "s32", "e": "u64"},
         lambda a: (-5, 0xFEDCBA9876543210)),
]


@pytest.mark.parametrize("case", MOV_CASES, ids=lambda c: c.id)
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_mov(case, data):
    run_case(case, data)


# ------------------------------------------------------------------ cvt between integer types
CVT_TYPES = ("u8", "s8", "u16", "s16", "u32", "s32", "u64", "s64")


def cvt_ref(x, dst, src, saturate):
    v = value(x, src)
    if saturate:
        bits = bits_of(dst)
        lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if dst[0] == "s" else (0, (1 << bits) - 1)
        v = min(max(v, lo), hi)
    return v


@pytest.mark.parametrize("src", CVT_TYPES)
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_cvt_integer(src, data):
    """cvt{.sat}.dst.src for every destination type in one kernel: extend by the source's signedness,
    then truncate (or, with .sat, clamp to the destination's range)."""
    lines, outs = [], {}
    for dst in CVT_TYPES:
        lines.append(f"cvt.{dst}.{src} %{dst}, %a;")
        lines.append(f"cvt.sat.{dst}.{src} %sat{dst}, %a;")
        outs.update({dst: dst, f"sat{dst}": dst})
    case = Case(f"cvt.*.{src}", "\n".join(lines), {"a": src}, outs,
                lambda a: tuple(cvt_ref(a, dst, src, s) for dst in CVT_TYPES for s in (False, True)))
    run_case(case, data)


def test_cvt_into_wider_register():
    """A value narrower than its register is extended per the instruction type (PTX: sign-extended for signed
    types, zero-extended otherwise) — checked by storing the whole 64-bit register."""
    got = K.run("cvt.s8.s32 %x, %a;\ncvt.u8.s32 %y, %a;\ncvt.s32.s8 %z, %a;\ncvt.u32.s16 %w, %a;\n"
                "cvt.s64.s16 %v, %a;\ncvt.u64.u16 %u, %a;",
                {"a": ("s32", [0x80, 0x7F, -1, 0x12345678, 0x8000])},
                {"x": "b64", "y": "b64", "z": "b64", "w": "b64", "v": "b64", "u": "b64"})
    m64 = mask(-1, 64)
    assert got["x"] == [mask(-128, 64), 0x7F, m64, 0x78, 0]
    assert got["y"] == [0x80, 0x7F, 0xFF, 0x78, 0]
    assert got["z"] == [mask(-128, 64), 0x7F, m64, 0x78, 0]
    assert got["w"] == [0x80, 0x7F, 0xFFFFFFFF, 0x5678, 0xFFFF8000]
    assert got["v"] == [0x80, 0x7F, m64, 0x5678, mask(-0x8000, 64)]
    assert got["u"] == [0x80, 0x7F, 0xFFFF, 0x5678, 0x8000]
