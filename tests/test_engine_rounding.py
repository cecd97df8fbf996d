"""Rounding the engine does by itself, bit for bit, outside emu.numerics.

Most engine arithmetic calls emu.numerics.scalar, which has its own Fraction-checked tests. A few
routines round on their own and are tested here directly (they are njit functions, callable from
Python) on adversarial values and hypothesis draws:

- ``alu_float.fma_f32_rn``: fma.rn.f32 through a round-to-odd float64 sum, against
  ``scalar.f32_fma`` and exact ``Fraction`` arithmetic (ties with a sticky addend far below:
  the double-rounding cases);
- ``convert.int_to_float_bits``: cvt from 8..64-bit integers to f32/f64 in every mode, against
  ``formats.round_fraction`` (2^24 +- 1, 2^53 +- 1, ties with sticky bits beyond 53, INT64_MIN,
  UINT64_MAX, ...);
- ``convert.float_to_int``: cvt from float to every integer type in every integer rounding mode,
  against exact Fraction rounding and saturation (ties, +-0, subnormals, values just inside and
  outside 2^31 / 2^32 / 2^63 / 2^64, infinities, NaN);
- ``alu_float.flush_f32`` (.ftz) at the subnormal / normal boundary;
- the FTZ / threshold constants (``formats.F16/F32/F64_MIN_NORMAL``, ``alu_float.DIV_APPROX_F32_HUGE``)
  against the formats' exact values, and where they act in a kernel (setp.ftz.f32, testp,
  rcp.approx.ftz.f64, div.approx.f32) on the two patterns either side of each threshold.
"""
from __future__ import annotations

import math
import struct
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from emu.engine import layout as L
from emu.engine import alu_float
from emu.engine.alu_float import flush_f32, fma_f32_rn
from emu.engine.convert import float_to_int, int_to_float_bits
from emu.numerics import formats as FM
from emu.numerics import scalar as S
from emu.numerics.formats import FP16, FP32, FP64, ROUND_RM, ROUND_RN, ROUND_RP, ROUND_RZ, round_fraction
from fp_isa_kit import bits_f32, bits_f64, f32_bits, f64_bits, run

MANY = settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
MODES = {"rn": ROUND_RN, "rz": ROUND_RZ, "rm": ROUND_RM, "rp": ROUND_RP}


def f32(bits: int) -> np.float32:
    return np.float32(bits_f32(bits))


def out_bits32(x) -> int:
    return struct.unpack("<I", struct.pack("<f", float(np.float32(x))))[0] if x == x else None


def nan32(bits: int) -> bool:
    return (bits & 0x7F800000) == 0x7F800000 and (bits & 0x7FFFFF) != 0


# ====================================================================== fma_f32_rn
F32_SPECIAL = [0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x007FFFFF, 0x807FFFFF, 0x00800000, 0x80800000,
               0x00800001, 0x3F800000, 0xBF800000, 0x3F800001, 0x3F7FFFFF, 0x7F7FFFFF, 0xFF7FFFFF, 0x7F7FFFFE,
               0x7F800000, 0xFF800000, 0x7FC00000, 0xFFFFFFFF, 0x7F800001, 0x4B800000, 0x4B800001, 0x4B7FFFFF,
               0x33800000, 0x33000000, 0x1F800000, 0x5F800000, 0x0C000000]
F32_BITS = st.one_of(st.sampled_from(F32_SPECIAL), st.integers(0, 0xFFFFFFFF),
                     st.integers(0x3F000000, 0x40000000).flatmap(lambda b: st.sampled_from([b, b | 0x80000000])))


def check_fma(ab: int, bb: int, cb: int) -> None:
    got = fma_f32_rn(f32(ab), f32(bb), f32(cb))
    want = int(S.f32_fma(ab, bb, cb, ROUND_RN, False, 0))
    if nan32(want):
        assert got != got, (hex(ab), hex(bb), hex(cb), float(got))
        return
    gb = out_bits32(got)
    assert gb == want, f"fma({ab:#x}, {bb:#x}, {cb:#x}) = {gb:#x}, scalar.f32_fma says {want:#x}"
    a, b, c = (bits_f32(x) for x in (ab, bb, cb))
    if all(math.isfinite(v) for v in (a, b, c)):
        exact = Fraction(a) * Fraction(b) + Fraction(c)
        if exact != 0:            # zero signs: scalar.f32_fma above (IEEE 6.3)
            assert gb == round_fraction(exact, FP32, ROUND_RN), (hex(ab), hex(bb), hex(cb))


def tie_cases():
    """a*b lands exactly on an f32 rounding tie (24 bits, then a one, then zeros); c is a tiny addend
    that decides the rounding, far below the float64 ulp of a*b, so a plain float64 sum loses it."""
    out = []
    for i, j in [(1, 1), (3, 5), (4095, 4095), (1, 4095), (2047, 3)]:
        a = 1.0 + i * 2.0 ** -12
        b = 1.0 + j * 2.0 ** -12
        for scale in (1.0, 2.0 ** 100, 2.0 ** -60, -1.0):
            for c in (2.0 ** -70, -(2.0 ** -70), 2.0 ** -149, -(2.0 ** -149), 0.0, -0.0):
                out.append((f32_bits(a * scale), f32_bits(b), f32_bits(float(np.float32(c * abs(scale))))))
    # overflow / underflow boundaries, exact cancellation, subnormal results
    out += [(0x7F7FFFFF, 0x3F800000, 0x73800000), (0x7F7FFFFF, 0x3F800001, 0xF3800000),
            (0x3F800001, 0x3F800001, 0xBF800002), (0x00800000, 0x3F000000, 0x00000001),
            (0x00800001, 0x3F000000, 0x80000000), (0x1F800000, 0x1F800000, 0x00000000),
            (0x7F800000, 0x00000000, 0x3F800000), (0x7F800000, 0x3F800000, 0xFF800000),
            (0x80000000, 0x3F800000, 0x80000000), (0x80000000, 0x3F800000, 0x00000000),
            (0x4B800001, 0x4B7FFFFF, 0xD77FFFFF)]
    return out


@pytest.mark.parametrize("ab,bb,cb", tie_cases())
def test_fma_f32_rn_ties_and_edges(ab, bb, cb):
    check_fma(ab, bb, cb)


def test_fma_f32_rn_is_not_a_float64_sum():
    """The first tie case differs from the naive float64 evaluation: the test above can see double rounding."""
    a, b, c = np.float32(1 + 2.0 ** -12), np.float32(1 + 2.0 ** -12), np.float32(2.0 ** -70)
    naive = np.float32(np.float64(a) * np.float64(b) + np.float64(c))
    assert fma_f32_rn(a, b, c) != naive
    exact = Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c))
    assert out_bits32(fma_f32_rn(a, b, c)) == round_fraction(exact, FP32)


@MANY
@given(F32_BITS, F32_BITS, F32_BITS)
def test_fma_f32_rn_random(ab, bb, cb):
    check_fma(ab, bb, cb)


@MANY
@given(st.integers(1, (1 << 24) - 1), st.integers(1, (1 << 24) - 1), st.integers(-60, 60),
       st.integers(-200, 20), st.booleans(), st.booleans())
def test_fma_f32_rn_near_ties(ma, mb, ea, ec, neg_c, neg_b):
    """Products with up to 48 significant bits plus an addend anywhere from comparable to far below."""
    a = math.ldexp(ma, ea - 24)
    b = math.ldexp(mb, -24) * (-1 if neg_b else 1)
    c = math.ldexp(1.0, ec) * (-1 if neg_c else 1)
    check_fma(f32_bits(a), f32_bits(b), f32_bits(max(min(c, 3e38), -3e38)))


# ====================================================================== int_to_float_bits
def int_cases(bits: int):
    out = {0, 1, 2, 3, (1 << bits) - 1, 1 << (bits - 1), (1 << (bits - 1)) - 1, (1 << (bits - 1)) + 1}
    for k in (11, 23, 24, 25, 26, 52, 53, 54, 62, 63):
        if k < bits:
            out |= {1 << k, (1 << k) - 1, (1 << k) + 1, (1 << k) + 2, (1 << k) + 3, (1 << bits) - (1 << k)}
    if bits == 64:
        # ties with and without sticky bits below the float64 precision (double-rounding traps)
        out |= {(1 << 63) + (1 << 39), (1 << 63) + (1 << 39) + 1, (1 << 63) + (3 << 39), (1 << 63) + (3 << 39) - 1,
                (1 << 62) + (1 << 9), (1 << 62) + (1 << 9) + 1, (1 << 62) + (1 << 38) + 1, (1 << 64) - (1 << 39),
                (1 << 64) - (1 << 39) - 1, (1 << 64) - (1 << 10), (1 << 63) - (1 << 9), (1 << 63) - (1 << 9) - 1}
    return sorted(x & ((1 << bits) - 1) for x in out)


def int_value(raw: int, bits: int, signed: bool) -> int:
    raw &= (1 << bits) - 1
    return raw - (1 << bits) if signed and raw >> (bits - 1) else raw


def check_int_to_float(raw: int, bits: int, signed: bool, mode: int, to_f64: bool) -> None:
    v = np.int64(int_value(raw, 64, True))      # the register's 64 bits; only the low ``bits`` count
    got = int(int_to_float_bits(v, signed, bits // 8, mode, to_f64)) & ((1 << (64 if to_f64 else 32)) - 1)
    want = round_fraction(Fraction(int_value(raw, bits, signed)), FP64 if to_f64 else FP32, mode)
    assert got == want, f"cvt.{'f64' if to_f64 else 'f32'}.{'s' if signed else 'u'}{bits} " \
                        f"mode {mode} of {raw:#x}: {got:#x}, want {want:#x}"


@pytest.mark.parametrize("bits", [8, 16, 32, 64])
@pytest.mark.parametrize("signed", [False, True])
@pytest.mark.parametrize("to_f64", [False, True])
def test_int_to_float_adversarial(bits, signed, to_f64):
    for raw in int_cases(bits):
        for mode in MODES.values():
            check_int_to_float(raw, bits, signed, mode, to_f64)


def test_int_to_float_high_register_bits_are_ignored():
    """A 32-bit source with garbage above bit 31 converts like its low 32 bits."""
    for raw in (0xDEADBEEF_80000001, 0xFFFFFFFF_00000001, 0x00000001_7FFFFFFF):
        for signed in (False, True):
            for mode in MODES.values():
                check_int_to_float(raw, 32, signed, mode, False)


@MANY
@given(st.one_of(st.integers(0, (1 << 64) - 1),
                 st.integers(0, 63).flatmap(lambda k: st.integers(0, (1 << 64) - 1).map(lambda r: r >> k))),
       st.sampled_from([8, 16, 32, 64]), st.booleans(), st.sampled_from(list(MODES.values())), st.booleans())
def test_int_to_float_random(raw, bits, signed, mode, to_f64):
    check_int_to_float(raw, bits, signed, mode, to_f64)


# ====================================================================== float_to_int
def exact_round(q: Fraction, mode: int) -> int:
    fl = q.numerator // q.denominator
    rest = q - fl
    if mode == ROUND_RN:
        return fl + (1 if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and fl & 1) else 0)
    if mode == ROUND_RM:
        return fl
    if mode == ROUND_RP:
        return fl + (1 if rest else 0)
    return fl + (1 if rest and q < 0 else 0)          # RZ: toward zero


def expected_float_to_int(x: float, bits: int, signed: bool, mode: int) -> int:
    """The value float_to_int returns: rounded, saturated, NaN -> 0; u64 as the int64 of its bits."""
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    if x != x:
        return 0
    if math.isinf(x):
        r = hi if x > 0 else lo
    else:
        r = min(max(exact_round(Fraction(x), mode), lo), hi)
    return r - (1 << 64) if r >= 1 << 63 else r


def near(x: float) -> list:
    return [math.nextafter(x, -math.inf), x, math.nextafter(x, math.inf)]


FLOAT_CASES = sorted({v for x in [0.0, 0.5, 1.5, 2.5, 3.5, 127.5, 128.0, 255.5, 256.0, 32767.5, 65535.5, 65536.0,
                                  2.0 ** 31 - 0.5, 2.0 ** 31, 2.0 ** 32 - 0.5, 2.0 ** 32, 2.0 ** 52 - 0.5, 2.0 ** 52,
                                  2.0 ** 53, 2.0 ** 63, 2.0 ** 64, 5e-324, float.fromhex("0x1p-1022"), 1.0,
                                  1.7976931348623157e308]
                      for y in near(x) + near(-x) for v in (y,) if math.isfinite(v)}
                     | {math.inf, -math.inf, -0.0, 2.0 ** 31 - 1, -(2.0 ** 31) - 1, -(2.0 ** 31) - 0.5,
                        -(2.0 ** 63) - 1024.0, float(np.float32(2.0 ** 63)), float(np.float32(2.0 ** 31))},
                     key=lambda v: (v != v, v)) + [math.nan]


@pytest.mark.parametrize("bits", [8, 16, 32, 64])
@pytest.mark.parametrize("signed", [False, True])
@pytest.mark.parametrize("mode", list(MODES))
def test_float_to_int_adversarial(bits, signed, mode):
    rnd = L.RND_IS_INTEGER + MODES[mode]
    for x in FLOAT_CASES:
        got = int(float_to_int(np.float64(x), bits // 8, signed, rnd))
        want = expected_float_to_int(x, bits, signed, MODES[mode])
        assert got == want, f"cvt.r{mode[1]}i.{'s' if signed else 'u'}{bits} of {x!r}: {got}, want {want}"


def test_float_to_int_default_mode_truncates():
    """Without an integer rounding mode (rnd < RND_IS_INTEGER) the conversion truncates (.rzi)."""
    for x in (2.5, -2.5, 2.0 ** 63 - 1024.0, -0.75):
        assert int(float_to_int(np.float64(x), 8, True, L.RND_NONE)) == int(x)


@MANY
@given(st.one_of(st.floats(allow_nan=True), st.integers(-(1 << 65), 1 << 65).map(lambda i: i / 2),
                 st.integers(0, (1 << 64) - 1).map(lambda b: bits_f64(b))),
       st.sampled_from([8, 16, 32, 64]), st.booleans(), st.sampled_from(list(MODES.values())))
def test_float_to_int_random(x, bits, signed, mode):
    got = int(float_to_int(np.float64(x), bits // 8, signed, L.RND_IS_INTEGER + mode))
    assert got == expected_float_to_int(x, bits, signed, mode), (x, bits, signed, mode)


# ====================================================================== flush_f32 (.ftz)
@settings(max_examples=600, deadline=None)
@given(st.one_of(st.sampled_from(F32_SPECIAL), st.integers(0, 0xFFFFFFFF),
                 st.integers(0x007FFFF0, 0x00800010).flatmap(lambda b: st.sampled_from([b, b | 0x80000000]))))
@example(0x007FFFFF)
@example(0x807FFFFF)
@example(0x00800000)
@example(0x80800000)
def test_flush_f32(bits):
    got = flush_f32(f32(bits))
    if nan32(bits):
        assert got != got
        return
    subnormal = (bits & 0x7F800000) == 0 and (bits & 0x7FFFFF) != 0
    assert out_bits32(got) == ((bits & 0x80000000) if subnormal else bits), hex(bits)


# ====================================================================== threshold constants
def test_threshold_constants_are_exact():
    assert FM.F16_MIN_NORMAL == FP16.min_normal == Fraction(1, 2 ** 14)
    assert FM.F32_MIN_NORMAL == FP32.min_normal == Fraction(1, 2 ** 126)
    assert FM.F64_MIN_NORMAL == FP64.min_normal == Fraction(1, 2 ** 1022)
    assert alu_float.DIV_APPROX_F32_HUGE == 2 ** 126
    assert float(np.float32(FM.F32_MIN_NORMAL)) == FM.F32_MIN_NORMAL
    assert float(np.float16(FM.F16_MIN_NORMAL)) == FM.F16_MIN_NORMAL


F32_EDGE = [0x00800000, 0x007FFFFF, 0x80800000, 0x807FFFFF, 0x00800001, 0x00000001, 0x80000000, 0x00000000]


def test_setp_ftz_f32_threshold():
    """setp.eq.ftz.f32 x, 0 holds exactly for the zeros and subnormals: the largest subnormal flushes,
    the smallest normal does not."""
    zero = [0] * len(F32_EDGE)
    got = run("setp.eq.ftz.f32 %p, %a, %b;\nsetp.eq.f32 %q, %a, %b;", {"a": ("f32", F32_EDGE), "b": ("f32", zero)},
              {"p": "pred", "q": "pred"})
    for i, x in enumerate(F32_EDGE):
        tiny = (x & 0x7F800000) == 0
        assert int(got["p"][i]) == int(tiny), hex(x)
        assert int(got["q"][i]) == int((x & 0x7FFFFFFF) == 0), hex(x)


def test_testp_thresholds():
    f64_edge = [0x0010000000000000, 0x000FFFFFFFFFFFFF, 0x8010000000000000, 0x800FFFFFFFFFFFFF, 0x0000000000000001,
                0x0000000000000000, 0x7FEFFFFFFFFFFFFF, 0x7FF0000000000000]
    got = run("testp.normal.f32 %p, %a;\ntestp.subnormal.f32 %q, %a;\n"
              "testp.normal.f64 %r, %d;\ntestp.subnormal.f64 %s, %d;",
              {"a": ("f32", F32_EDGE), "d": ("f64", f64_edge)}, {"p": "pred", "q": "pred", "r": "pred", "s": "pred"})
    for i, (x, y) in enumerate(zip(F32_EDGE, f64_edge)):
        sub32 = (x & 0x7F800000) == 0 and (x & 0x7FFFFF) != 0
        sub64 = (y & 0x7FF0000000000000) == 0 and (y & 0xFFFFFFFFFFFFF) != 0
        assert int(got["q"][i]) == int(sub32) and int(got["p"][i]) == int(not sub32), hex(x)
        normal64 = not sub64 and (y & 0x7FF0000000000000) != 0x7FF0000000000000
        assert int(got["s"][i]) == int(sub64) and int(got["r"][i]) == int(normal64), hex(y)


def test_rcp_approx_ftz_f64_flush_threshold():
    """rcp.approx.ftz.f64 uses the upper 32 bits of its input; a subnormal one flushes to a signed zero
    (result: infinity), the smallest normal gives 2^1022."""
    xs = [0x0010000000000000, 0x000FFFFF00000000, 0x800FFFFF00000000, 0x8010000000000000, 0x0010000000000001]
    got = run("rcp.approx.ftz.f64 %d, %a;", {"a": ("f64", xs)}, {"d": "f64"})
    want = [f64_bits(2.0 ** 1022), f64_bits(math.inf), f64_bits(-math.inf), f64_bits(-(2.0 ** 1022)),
            f64_bits(2.0 ** 1022)]
    assert [int(g) for g in got["d"]] == want


def test_div_approx_f32_huge_divisor_threshold():
    """div.approx.f32 is a * (1/b): |b| = 2^126 still divides, the next float above gives a signed zero."""
    big = f32_bits(2.0 ** 126)
    bs = [big, big + 1, big | 0x80000000, (big + 1) | 0x80000000, 0x7F7FFFFF]
    a = [f32_bits(2.0 ** 100)] * len(bs)
    got = run("div.approx.f32 %d, %a, %b;", {"a": ("f32", a), "b": ("f32", bs)}, {"d": "f32"})
    want = [f32_bits(2.0 ** -26), 0, f32_bits(-(2.0 ** -26)), 0x80000000, 0]
    assert [int(g) for g in got["d"]] == want
