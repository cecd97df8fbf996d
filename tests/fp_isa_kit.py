"""Shared helpers of the floating-point ISA tests (test_isa_float, test_isa_convert, test_isa_half).

``run(body, ins, outs)`` wraps a few PTX instructions into a kernel that runs one
thread per value (``ptxkit.run_arrays`` on sm_90): every input array is loaded
into a register named after it, ``body`` runs, and every output register is
stored to its own array. Values go in and come out as raw bit patterns
(unsigned integer arrays), so results are compared bit for bit.

    out = run("add.rz.f32 %d, %a, %b;", {"a": ("f32", A), "b": ("f32", B)}, {"d": "f32"})

Register types: ``f32``/``f64`` registers, ``b16`` for f16/bf16, ``b32`` for
the packed f16x2/bf16x2/tf32 words, integer types (8-bit values live in 16-bit
registers, loaded and stored with 8-bit accesses) and ``pred`` (stored as a
0/1 u32). Also: bit-pattern helpers and the adversarial value generators the
three test files share.
"""
from __future__ import annotations

import math
import struct
from fractions import Fraction

import numpy as np
from hypothesis import strategies as st
from ptxkit import run_arrays

from emu.numerics.formats import TF32, Format, decode

TARGET = "sm_90"          # every instruction variant tested here exists there
BLOCK = 128


def run(body: str, ins: dict, outs: dict) -> dict:
    """Run ``body`` once per element of the input arrays on sm_90; returns {output name: bit array}."""
    return run_arrays(body, ins, outs, block=BLOCK, target=TARGET, scratch=False)


# ------------------------------------------------------------------ bit patterns
def f32_bits(x) -> int:
    return struct.unpack("<I", struct.pack("<f", x))[0]


def f64_bits(x) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def bits_f32(b) -> float:
    return struct.unpack("<f", struct.pack("<I", int(b) & 0xFFFFFFFF))[0]


def bits_f64(b) -> float:
    return struct.unpack("<d", struct.pack("<Q", int(b) & 0xFFFFFFFFFFFFFFFF))[0]


def is_nan_bits(bits: int, fmt: Format) -> bool:
    return decode(int(bits), fmt)[0] == "nan" if fmt is not TF32 else decode(int(bits) & ~0x1FFF, fmt)[0] == "nan"


def value(bits: int, fmt: Format) -> Fraction:
    """Exact value of a finite pattern."""
    kind, sign, sig, exp = decode(int(bits), fmt)
    assert kind == "finite", (hex(bits), kind)
    v = Fraction(sig) * Fraction(2) ** exp
    return -v if sign else v


def is_subnormal(bits: int, fmt: Format) -> bool:
    kind, _, sig, _ = decode(int(bits), fmt)
    return kind == "finite" and 0 < sig < (1 << fmt.fraction_bits)


def flush(bits: int, fmt: Format) -> int:
    """.ftz on an input: a subnormal becomes a zero of the same sign."""
    return int(bits) & fmt.sign_bit if is_subnormal(bits, fmt) else int(bits)


def fmt_bits(x: float, fmt: Format) -> int:
    """The pattern of a Python float that ``fmt`` holds exactly."""
    from emu.numerics.formats import round_float
    bits = round_float(x, fmt)
    assert math.isnan(x) or float(value(bits, fmt)) == x or math.isinf(x), (x, fmt.name)
    return bits


def assert_bits_equal(got, want, what, fmt: Format | None = None, inputs=()):
    """Element-wise equality of patterns; with ``fmt``, NaNs compare equal by class."""
    got = [int(g) for g in got]
    want = [int(w) for w in want]
    bad = []
    for i, (g, w) in enumerate(zip(got, want)):
        if g == w:
            continue
        if fmt is not None and is_nan_bits(w, fmt) and is_nan_bits(g, fmt):
            continue
        bad.append(i)
    if bad:
        lines = []
        for i in bad[:8]:
            ops = ", ".join(hex(int(x[i])) for x in inputs)
            lines.append(f"  [{i}] inputs ({ops}): got {got[i]:#x}, want {want[i]:#x}")
        raise AssertionError(f"{what}: {len(bad)} of {len(got)} wrong\n" + "\n".join(lines))


# ------------------------------------------------------------------ adversarial values
def special_patterns(fmt: Format) -> list[int]:
    """±0, the smallest and largest subnormals, ±min normal, ±1, ±max finite, ±inf, NaNs."""
    shift = fmt.container_shift
    one = (fmt.bias << fmt.fraction_bits) << shift
    frac_all = ((1 << fmt.fraction_bits) - 1) << shift
    min_normal = (1 << fmt.fraction_bits) << shift
    quiet = (1 << (fmt.fraction_bits - 1)) << shift
    pos = [0, 1 << shift, frac_all, min_normal, min_normal + (1 << shift), one, one + (1 << shift),
           one - (1 << shift), fmt.max_finite_bits, fmt.max_finite_bits - (1 << shift), fmt.inf_bits,
           fmt.inf_bits | quiet, fmt.inf_bits | (1 << shift), fmt.inf_bits | frac_all,
           (fmt.bias + 1) << (fmt.fraction_bits + shift),           # 2.0
           ((fmt.bias - 1) << (fmt.fraction_bits + shift)) | (quiet >> 0)]   # 0.75
    return pos + [p | fmt.sign_bit for p in pos]


def patterns(fmt: Format, extra=()):
    """A strategy over bit patterns of ``fmt``: specials, uniform bits, and values near 1."""
    shift = fmt.container_shift
    width = fmt.container_bits
    uniform = st.integers(0, (1 << (width - shift)) - 1).map(lambda b: b << shift)
    near_one = st.integers(-(1 << 12), 1 << 12).map(
        lambda d: (((fmt.bias << fmt.fraction_bits) + d) << shift) & ((1 << width) - 1))
    sub = st.integers(0, (1 << fmt.fraction_bits) - 1).flatmap(
        lambda f: st.sampled_from([f << shift, (f << shift) | fmt.sign_bit]))
    choices = [st.sampled_from(special_patterns(fmt)), uniform, uniform, near_one, sub]
    choices += list(extra)
    return st.one_of(*choices)


def finite_f32(min_value=None, max_value=None):
    return st.floats(min_value=min_value, max_value=max_value, width=32, allow_nan=False,
                     allow_infinity=False).map(f32_bits)


# ------------------------------------------------------------------ operand constructions that stress rounding
def exact(fmt: Format, sign: int, m: int, q: int) -> int:
    """The pattern of (-1)^sign * m * 2^q (rounded to nearest if it does not fit)."""
    from emu.numerics.formats import round_fraction
    v = Fraction(m) * Fraction(2) ** q
    return round_fraction(-v if sign else v, fmt, negative=bool(sign))


def _exponent(draw, fmt: Format, lo_margin=0, hi_margin=0):
    return draw(st.integers(fmt.emin + lo_margin, fmt.emax - hi_margin))


@st.composite
def add_operands(draw, fmt: Format):
    """(a, b) whose sum lies on, next to, or a few bits below a rounding boundary of ``fmt``;
    or cancels almost completely."""
    p = fmt.precision
    e = _exponent(draw, fmt, 0, 1)
    sa, sb = draw(st.integers(0, 1)), draw(st.integers(0, 1))
    ma = draw(st.integers(1 << (p - 1), (1 << p) - 1))
    qa = e - (p - 1)
    kind = draw(st.integers(0, 2))
    if kind == 0:       # b = odd multiple of 2^(qa - s): exact ties (s = 1) and near ties
        s = draw(st.integers(1, p + 3))
        mb = draw(st.sampled_from([1, 3, (1 << (p - 1)) + 1, (1 << p) - 1, (1 << (p - 1)) - 1]))
        b = exact(fmt, sb, mb, qa - s)
    elif kind == 1:     # b = 2^(qa-1) +- 2^(qa-1-k): one ulp beside a midpoint, in units far below
        k = draw(st.integers(1, p + 2))
        mb = (1 << k) + draw(st.sampled_from([-1, 1]))
        b = exact(fmt, sb, mb, qa - 1 - k)
    else:               # cancellation: b = -(a + d ulps)
        d = draw(st.integers(-3, 3))
        b = exact(fmt, 1 - sa, ma + d, qa)
    return exact(fmt, sa, ma, qa), b


@st.composite
def mul_operands(draw, fmt: Format):
    """(a, b) = ((1 + 2^-j) 2^x, (1 + 2^-(p-j) + d ulp) 2^y): products at or next to a midpoint."""
    p = fmt.precision
    j = draw(st.integers(1, p - 1))
    d = draw(st.integers(-1, 1))
    x = draw(st.integers(fmt.emin - 2, fmt.emax))
    y = draw(st.integers(max(fmt.emin - 2, fmt.emin - x - fmt.fraction_bits - 2), min(fmt.emax, fmt.emax - x + 1)))
    a = exact(fmt, draw(st.integers(0, 1)), (1 << j) + 1, x - j)
    b = exact(fmt, draw(st.integers(0, 1)), (1 << (p - 1)) + (1 << j) + d, y - (p - 1))
    return a, b


@st.composite
def fma_operands(draw, fmt: Format):
    """(a, b, c): a*b at a midpoint (see mul_operands) plus a c far below it, which one rounding
    of the exact sum must see and a double rounding loses; or c cancelling the product."""
    a, b = draw(mul_operands(fmt))
    kind = draw(st.integers(0, 2))
    prod = value(a, fmt) * value(b, fmt) if not (is_nan_bits(a, fmt) or decode(a, fmt)[0] == "inf" or
                                               is_nan_bits(b, fmt) or decode(b, fmt)[0] == "inf") else Fraction(1)
    if prod == 0:
        prod = Fraction(1)
    e = abs(prod).numerator.bit_length() - abs(prod).denominator.bit_length()   # floor(log2) within 1
    if kind == 0:
        k = draw(st.integers(fmt.precision + 1, 3 * fmt.precision))
        c = exact(fmt, draw(st.integers(0, 1)), 1, max(e - k, fmt.emin - fmt.fraction_bits))
    elif kind == 1:
        from emu.numerics.formats import round_fraction
        r = round_fraction(-prod, fmt)
        c = (r + draw(st.integers(-2, 2))) % (1 << fmt.container_bits)
    else:
        c = draw(patterns(fmt))
    return a, b, c


def operand_tuples(fmt: Format, arity: int, adversarial=None):
    """Tuples of ``arity`` patterns: independent draws or a rounding-boundary construction."""
    independent = st.tuples(*[patterns(fmt)] * arity)
    return independent if adversarial is None else st.one_of(independent, adversarial)
