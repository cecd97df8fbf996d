"""Arithmetic kernels of emu.numerics.scalar: FP16/BF16, and FP32/FP64 with directed rounding.

Two oracles:
- Large sweeps use exact FP64 arithmetic: an FP16 sum or product, a BF16
  product and an FP32 product are exact in FP64; sums and FMAs are exact when
  Knuth's TwoSum error term is zero (the few inexact cases are skipped there
  and covered by hypothesis). The exact FP64 value is then rounded once by the
  f64 -> f16/bf16/f32 conversion, which test_formats checks against Fraction.
- Hypothesis against ``formats.reference_op``, the Fraction definition, for
  every operation, rounding mode, .ftz and .sat, on random and adversarial
  operands (subnormals, cancellation, overflow, midpoints).
"""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from numba import njit

from emu.numerics import scalar as S
from emu.numerics.formats import (BF16, FP16, FP32, FP64, ROUND_RM, ROUND_RN, ROUND_RNA, ROUND_RP, ROUND_RZ,
                                  SAT_NONE, SAT_UNIT, is_nan, reference_op, to_float)

MODES = [ROUND_RN, ROUND_RZ, ROUND_RM, ROUND_RP, ROUND_RNA]


@njit
def _map2(fn, a, b, rmode, ftz, sat):
    out = np.empty(a.size, np.int64)
    for i in range(a.size):
        out[i] = fn(a[i], b[i], rmode, ftz, sat)
    return out


@njit
def _map3(fn, a, b, c, rmode, ftz, sat):
    out = np.empty(a.size, np.int64)
    for i in range(a.size):
        out[i] = fn(a[i], b[i], c[i], rmode, ftz, sat)
    return out


@njit
def _map_convert(fn, x, rmode, sat):
    out = np.empty(x.size, np.int64)
    for i in range(x.size):
        out[i] = fn(x[i], rmode, sat)
    return out


@njit
def _map_f64_to_f32(x, rmode, ftz, sat):
    out = np.empty(x.size, np.int64)
    for i in range(x.size):
        out[i] = S.f64_to_f32(x[i], rmode, ftz, sat)
    return out


def _two_sum_exact(x, y):
    """Elementwise: is the FP64 sum x + y exact? (Knuth's TwoSum error term is zero.)"""
    with np.errstate(invalid="ignore", over="ignore"):
        s = x + y
        yv = s - x
        err = (x - (s - yv)) + (y - yv)
    return (err == 0) | ~np.isfinite(s)


def _flush(x, min_normal):
    return np.where(np.abs(x) < min_normal, np.copysign(0.0, x), x)


# ============================================================ FP16 / BF16 sweeps
HALF = {"fp16": (FP16, S.f16_to_f64, S.f64_to_f16), "bf16": (BF16, S.bf16_to_f64, S.f64_to_bf16)}
OPS = {
    "fp16": {"add": S.f16_add, "sub": S.f16_sub, "mul": S.f16_mul, "fma": S.f16_fma},
    "bf16": {"add": S.bf16_add, "sub": S.bf16_sub, "mul": S.bf16_mul, "fma": S.bf16_fma},
}


def _sweep_operands(fmt, seed):
    """Every pattern against a few partners (specials, subnormals, extremes, random), and random triples."""
    rng = np.random.default_rng(seed)
    one = fmt.bias << fmt.fraction_bits
    partners = [0x8000, 1, one + 1, one | 0x8000, fmt.max_finite_bits, fmt.inf_bits | 0x8000, fmt.canonical_nan,
                (1 << fmt.fraction_bits) - 1, *rng.integers(0, 1 << 16, 2)]
    every = np.arange(1 << 16, dtype=np.int64)
    a = np.concatenate([np.tile(every, len(partners)), rng.integers(0, 1 << 16, 100_000)])
    b = np.concatenate([np.repeat(np.array(partners, dtype=np.int64), every.size), rng.integers(0, 1 << 16, 100_000)])
    c = rng.integers(0, 1 << 16, a.size)
    return a, b, c


def _expected_from_exact(exact, zero_negative, fmt, to_half, rmode, ftz, sat):
    bits = np.ascontiguousarray(exact).view(np.uint64)
    out = _map_convert(to_half, bits, rmode, sat)
    if ftz:            # an FP16/BF16 result that is subnormal becomes a zero of the same sign
        subnormal = (out & fmt.inf_bits) == 0
        out = np.where(subnormal, out & 0x8000, out)
    if zero_negative is not None and (sat & SAT_UNIT) == 0:
        out = np.where((exact == 0) & zero_negative, 0x8000, out)
    return out


@pytest.mark.parametrize("name", ["fp16", "bf16"])
@pytest.mark.parametrize("op", ["add", "sub", "mul", "fma"])
def test_half_sweep_against_exact_fp64(name, op):
    fmt, to_f64, to_half = HALF[name]
    a, b, c = _sweep_operands(fmt, seed=len(op) + len(name))
    widen = np.vectorize(lambda p: int(to_f64(int(p))), otypes=[np.uint64])
    lut = widen(np.arange(1 << 16)).view(np.float64)            # pattern -> exact FP64 value
    fast = OPS[name][op]
    for rmode in MODES:
        for ftz, sat in [(False, SAT_NONE), (True, SAT_NONE), (False, SAT_UNIT)]:
            x, y, z = lut[a], lut[b], lut[c]
            if ftz:
                x, y, z = (_flush(v, float(fmt.min_normal)) for v in (x, y, z))
            with np.errstate(invalid="ignore", over="ignore"):
                if op == "add":
                    exact, keep = x + y, _two_sum_exact(x, y)
                elif op == "sub":
                    exact, keep = x - y, _two_sum_exact(x, -y)
                elif op == "mul":
                    exact, keep = x * y, np.ones(x.size, bool)   # <= 16 (bf16) or 22 (fp16) bits
                else:
                    exact, keep = x * y + z, _two_sum_exact(x * y, z)
            if op == "mul":
                zero_negative = None                              # numpy's product zero sign is right
            else:
                # An exact zero sum is -0 under RM unless both terms are +0; numpy rounds to nearest.
                with np.errstate(invalid="ignore"):
                    p = x * y if op == "fma" else x
                q = z if op == "fma" else (-y if op == "sub" else y)
                both_zero_same = (p == 0) & (q == 0) & (np.signbit(p) == np.signbit(q))
                zero_negative = np.full(x.size, rmode == ROUND_RM) & ~both_zero_same
            want = _expected_from_exact(exact, zero_negative, fmt, to_half, rmode, ftz, sat)
            if op == "fma":
                got = _map3(fast, a, b, c, rmode, ftz, sat)
            else:
                got = _map2(fast, a, b, rmode, ftz, sat)
            assert keep.sum() > 300_000             # bf16 sums of far-apart operands are skipped
            bad = np.flatnonzero(keep & (got != want))
            assert bad.size == 0, (name, op, rmode, ftz, sat, hex(a[bad[0]]), hex(b[bad[0]]), hex(c[bad[0]]),
                                   hex(got[bad[0]]), hex(want[bad[0]]))


def test_f16_rn_agrees_with_numpy():
    rng = np.random.default_rng(2)
    a = rng.integers(0, 1 << 16, 300_000)
    b = rng.integers(0, 1 << 16, 300_000)
    x, y = a.astype(np.uint16).view(np.float16), b.astype(np.uint16).view(np.float16)
    with np.errstate(all="ignore"):
        for fast, theirs in [(S.f16_add, x + y), (S.f16_mul, x * y), (S.f16_sub, x - y)]:
            got = _map2(fast, a, b, ROUND_RN, False, SAT_NONE)
            nan = np.isnan(theirs)
            assert np.array_equal(got[~nan], theirs.view(np.uint16)[~nan])
            assert np.all(got[nan] == 0x7FFF)


def test_fma_rounds_once():
    """Products on a midpoint plus a tiny addend: the addend decides, though FP64 would lose it."""
    # bf16: 1.5 * (1 + 2^-7) = 387/256, the midpoint of 0x3FC1 and 0x3FC2.
    a, b = 0x3FC0, 0x3F81
    assert to_float(a, BF16) * to_float(b, BF16) == 387 / 256
    tiny = 0x0001                                                                # 2^-133
    assert S.bf16_fma(a, b, 0, ROUND_RN, False, SAT_NONE) == 0x3FC2             # tie: even
    assert S.bf16_fma(a, b, tiny, ROUND_RN, False, SAT_NONE) == 0x3FC2
    assert S.bf16_fma(a, b, tiny | 0x8000, ROUND_RN, False, SAT_NONE) == 0x3FC1  # just below: down
    assert S.bf16_fma(a, b, tiny | 0x8000, ROUND_RZ, False, SAT_NONE) == 0x3FC1
    assert S.bf16_fma(a, b, tiny, ROUND_RP, False, SAT_NONE) == 0x3FC2
    via_f64 = to_float(a, BF16) * to_float(b, BF16) - to_float(tiny, BF16)
    assert via_f64 == 387 / 256                                                  # FP64 lost the addend
    # (1 + 2^-7)(1 - 2^-8) = 1 + 2^-8 - 2^-15 is just below a midpoint; + 2^-8 lifts it above.
    assert S.bf16_fma(0x3F81, 0x3F7F, 0x0000, ROUND_RN, False, SAT_NONE) == 0x3F80
    assert S.bf16_fma(0x3FC0, 0x3F2B, 0x3B80, ROUND_RN, False, SAT_NONE) == 0x3F81   # 1 + 2^-9 + 2^-8
    # fp16: 3 * 0.6669921875 = 2 + 2^-10, the midpoint of 0x4000 and 0x4001.
    a, b = 0x4200, 0x3956
    assert to_float(a, FP16) * to_float(b, FP16) == 2 + 2 ** -10
    assert S.f16_fma(a, b, 0x0000, ROUND_RN, False, SAT_NONE) == 0x4000
    assert S.f16_fma(a, b, 0x0001, ROUND_RN, False, SAT_NONE) == 0x4001
    assert S.f16_fma(a, b, 0x0001, ROUND_RZ, False, SAT_NONE) == 0x4000
    assert S.f16_fma(a, b, 0x0001, ROUND_RP, False, SAT_NONE) == 0x4001
    assert S.f16_fma(a, b, 0x8001, ROUND_RNA, False, SAT_NONE) == 0x4000


def test_min_max_neg_abs():
    rng = np.random.default_rng(4)
    specials = [0x0000, 0x8000, 0x7C00, 0xFC00, 0x7E00, 0xFE01, 0x7FFF, 0x0001, 0x8001, 0x3C00, 0xBC00]
    for name, fmin, fmax, fneg, fabs, fmt in [("fp16", S.f16_min, S.f16_max, S.f16_neg, S.f16_abs, FP16),
                                              ("bf16", S.bf16_min, S.bf16_max, S.bf16_neg, S.bf16_abs, BF16)]:
        pairs = [(a, b) for a in specials for b in specials]
        pairs += [tuple(int(v) for v in rng.integers(0, 1 << 16, 2)) for _ in range(3000)]
        for a, b in pairs:
            na, nb = is_nan(a, fmt), is_nan(b, fmt)
            if na and nb:
                want_min = want_max = fmt.canonical_nan
            elif na or nb:
                want_min = want_max = a if nb else b
            else:
                # Total order on values with -0 < +0.
                ka = (to_float(a, fmt), -1 if a & 0x8000 else 1)
                kb = (to_float(b, fmt), -1 if b & 0x8000 else 1)
                want_min, want_max = (a, b) if ka <= kb else (b, a)
            assert fmin(a, b) == want_min, (name, hex(a), hex(b))
            assert fmax(a, b) == want_max, (name, hex(a), hex(b))
        assert fneg(0x3C00 if name == "fp16" else 0x3F80) == (0xBC00 if name == "fp16" else 0xBF80)
        assert fneg(0x8000) == 0 and fabs(0xFFFF) == 0x7FFF and fabs(0x8001) == 0x0001


# =========================================================== hypothesis vs Fraction
def _half_patterns(fmt):
    """Random patterns plus the interesting regions: zeros, subnormals, near 1, near max, inf/NaN."""
    fb = fmt.fraction_bits
    one = fmt.bias << fb
    region = st.sampled_from([(0, 1 << fb),                                 # zero and subnormals
                              (1 << fb, 3 << fb),                           # smallest normals
                              (one - 8, one + 8),                           # around 1
                              (fmt.max_finite_bits - 16, fmt.inf_bits + 2)])   # near max, inf, NaN
    regional = st.builds(lambda r, u, s: (r[0] + u % (r[1] - r[0])) | (s << 15), region,
                         st.integers(0, 1 << 20), st.integers(0, 1))
    return st.one_of(st.integers(0, 0xFFFF), regional)


HALF_FORMATS = {"fp16": FP16, "bf16": BF16}
HALF_CALL = {
    (name, op): fn for name, table in OPS.items() for op, fn in table.items()
}


@settings(max_examples=600, deadline=None)
@given(data=st.data(), name=st.sampled_from(["fp16", "bf16"]), op=st.sampled_from(["add", "sub", "mul", "fma"]),
       rmode=st.sampled_from(MODES), ftz=st.booleans(), sat=st.sampled_from([SAT_NONE, SAT_UNIT]))
def test_half_against_fraction(data, name, op, rmode, ftz, sat):
    fmt = HALF_FORMATS[name]
    patterns = _half_patterns(fmt)
    a = data.draw(patterns)
    b = data.draw(st.one_of(patterns, st.builds(lambda d: (a ^ 0x8000) + d, st.integers(-3, 3))
                            .filter(lambda v: 0 <= v <= 0xFFFF)))
    n = 3 if op == "fma" else 2
    operands = (a, b, data.draw(patterns))[:n]
    got = HALF_CALL[(name, op)](*operands, rmode, ftz, sat)
    assert got == reference_op(op, operands, fmt, rmode, ftz=ftz, sat=sat)


def _f32_patterns():
    interesting = st.sampled_from([0, 0x80000000, 1, 0x80000001, 0x007FFFFF, 0x00800000, 0x00800001, 0x3F800000,
                                   0x3F800001, 0x3F7FFFFF, 0x7F7FFFFF, 0xFF7FFFFF, 0x7F800000, 0xFF800000,
                                   0x7FC00000, 0x34000000, 0x33800000, 0x5F800000, 0x1F800000])
    regional = st.builds(lambda e, f, s: (s << 31) | (e << 23) | f,
                         st.sampled_from([0, 1, 2, 20, 100, 126, 127, 128, 200, 253, 254]),
                         st.integers(0, (1 << 23) - 1), st.integers(0, 1))
    return st.one_of(st.integers(0, (1 << 32) - 1), interesting, regional)


def _f64_patterns():
    interesting = st.sampled_from([0, 1 << 63, 1, 0x000FFFFFFFFFFFFF, 0x0010000000000000, 0x3FF0000000000000,
                                   0x3FF0000000000001, 0x3FEFFFFFFFFFFFFF, 0x7FEFFFFFFFFFFFFF, 0x7FF0000000000000,
                                   0xFFF0000000000000, 0x7FF8000000000000, 0x3CA0000000000000])
    regional = st.builds(lambda e, f, s: (s << 63) | (e << 52) | f,
                         st.sampled_from([0, 1, 2, 50, 500, 1022, 1023, 1024, 1500, 2045, 2046]),
                         st.integers(0, (1 << 52) - 1), st.integers(0, 1))
    return st.one_of(st.integers(0, (1 << 64) - 1), interesting, regional)


def _operands(data, patterns, n, width):
    """n patterns; the second is often close to -first (cancellation) or to first (exact results)."""
    a = data.draw(patterns)
    near = st.builds(lambda flip, d: (a ^ (flip << (width - 1))) + d, st.integers(0, 1), st.integers(-4, 4))
    b = data.draw(st.one_of(patterns, near.filter(lambda v: 0 <= v < (1 << width))))
    return (a, b, data.draw(patterns), data.draw(patterns))[:n]


F32_CALL = {"add": S.f32_add, "sub": S.f32_sub, "mul": S.f32_mul, "fma": S.f32_fma,
            "div": S.f32_div, "sqrt": S.f32_sqrt, "rcp": S.f32_rcp}
ARITY = {"add": 2, "sub": 2, "mul": 2, "fma": 3, "div": 2, "sqrt": 1, "rcp": 1}


@settings(max_examples=500, deadline=None)
@given(data=st.data(), op=st.sampled_from(sorted(F32_CALL)), rmode=st.sampled_from(MODES), ftz=st.booleans(),
       sat=st.sampled_from([SAT_NONE, SAT_UNIT]))
def test_f32_against_fraction(data, op, rmode, ftz, sat):
    operands = _operands(data, _f32_patterns(), ARITY[op], 32)
    if op in ("div", "sqrt", "rcp"):
        sat = SAT_NONE                              # PTX has no .sat on div/sqrt/rcp
        got = F32_CALL[op](*operands, rmode, ftz)
    else:
        got = F32_CALL[op](*operands, rmode, ftz, sat)
    assert got == reference_op(op, operands, FP32, rmode, ftz=ftz, sat=sat)


F64_CALL = {"add": S.f64_add, "sub": S.f64_sub, "mul": S.f64_mul, "fma": S.f64_fma,
            "div": S.f64_div, "sqrt": S.f64_sqrt, "rcp": S.f64_rcp}


@settings(max_examples=500, deadline=None)
@given(data=st.data(), op=st.sampled_from(sorted(F64_CALL)), rmode=st.sampled_from(MODES))
def test_f64_against_fraction(data, op, rmode):
    operands = _operands(data, _f64_patterns(), ARITY[op], 64)
    got = F64_CALL[op](*(np.uint64(v) for v in operands), rmode)
    assert int(got) == reference_op(op, operands, FP64, rmode)


# ============================================================ FP32 / FP64 sweeps
def _random_f32(rng, n):
    """Random patterns, half of them with exponents near each other so that sums cancel."""
    x = rng.integers(0, 1 << 32, n)
    near_one = (rng.integers(0, 2, n) << 31) | ((rng.integers(120, 135, n)) << 23) | rng.integers(0, 1 << 23, n)
    return np.where(rng.integers(0, 2, n) == 1, x, near_one)


def test_f32_rn_agrees_with_numpy():
    rng = np.random.default_rng(3)
    a, b, c = (_random_f32(rng, 200_000) for _ in range(3))
    x, y, z = (v.astype(np.uint32).view(np.float32) for v in (a, b, c))
    with np.errstate(all="ignore"):
        cases = [(S.f32_add, x + y), (S.f32_sub, x - y), (S.f32_mul, x * y)]
        for fast, theirs in cases:
            got = _map2(fast, a, b, ROUND_RN, False, SAT_NONE)
            nan = np.isnan(theirs)
            assert np.array_equal(got[~nan], theirs.view(np.uint32)[~nan])
            assert np.all(got[nan] == 0x7FFFFFFF)
        quotient, root = x / y, np.sqrt(x)
    got = np.array([S.f32_div(int(p), int(q), ROUND_RN, False) for p, q in zip(a[:30_000], b[:30_000])])
    nan = np.isnan(quotient[:30_000])
    assert np.array_equal(got[~nan], quotient[:30_000].view(np.uint32)[~nan])
    got = np.array([S.f32_sqrt(int(p), ROUND_RN, False) for p in a[:30_000]])
    nan = np.isnan(root[:30_000])
    assert np.array_equal(got[~nan], root[:30_000].view(np.uint32)[~nan])


def test_f32_fma_all_modes_against_exact_fp64():
    """The FP32 product is exact in FP64; where the sum is too (TwoSum), f64 -> f32 rounds once."""
    rng = np.random.default_rng(6)
    n = 200_000
    a, b = (_random_f32(rng, n) for _ in range(2))
    with np.errstate(invalid="ignore"):
        x, y = (v.astype(np.uint32).view(np.float32).astype(np.float64) for v in (a, b))
    with np.errstate(all="ignore"):
        p = x * y
        # Addends of the product's size (often cancelling): its FP32 pattern, moved a few binades
        # and ulps, either sign; the rest random.
        near = p.astype(np.float32).view(np.uint32).astype(np.int64) + (rng.integers(-12, 13, n) << 23)
        near = (near + rng.integers(-1000, 1000, n)) ^ (rng.integers(0, 2, n) << 31)
    c = np.where(rng.integers(0, 2, n) == 1, near & 0xFFFFFFFF, _random_f32(rng, n))
    with np.errstate(invalid="ignore"):
        z = c.astype(np.uint32).view(np.float32).astype(np.float64)
    with np.errstate(all="ignore"):
        exact = p + z
    keep = _two_sum_exact(p, z) & ~np.isnan(exact)
    assert keep.sum() > 60_000
    both_zero_same = (p == 0) & (z == 0) & (np.signbit(p) == np.signbit(z))
    for rmode in MODES:
        want = _map_f64_to_f32(np.ascontiguousarray(exact).view(np.uint64), rmode, False, SAT_NONE)
        if rmode == ROUND_RM:
            want = np.where((exact == 0) & ~both_zero_same, 0x80000000, want)
        got = _map3(S.f32_fma, a, b, c, rmode, False, SAT_NONE)
        assert np.array_equal(got[keep], want[keep]), rmode


def test_f64_rn_agrees_with_numpy():
    rng = np.random.default_rng(7)
    n = 20_000
    a = rng.integers(0, 1 << 63, n, dtype=np.uint64) | (rng.integers(0, 2, n).astype(np.uint64) << np.uint64(63))
    b = rng.integers(0, 1 << 63, n, dtype=np.uint64) | (rng.integers(0, 2, n).astype(np.uint64) << np.uint64(63))
    b[::2] = (a[::2] ^ np.uint64(1 << 63)) + np.uint64(3)          # cancellation
    x, y = a.view(np.float64), b.view(np.float64)
    with np.errstate(all="ignore"):
        cases = [(S.f64_add, x + y), (S.f64_sub, x - y), (S.f64_mul, x * y), (S.f64_div, x / y)]
    for fast, theirs in cases:
        got = np.array([fast(p, q, ROUND_RN) for p, q in zip(a, b)], dtype=np.uint64)
        nan = np.isnan(theirs)
        assert np.array_equal(got[~nan], theirs.view(np.uint64)[~nan])
        assert np.all(got[nan] == np.uint64(FP64.canonical_nan))
    with np.errstate(invalid="ignore"):
        root = np.sqrt(x)
    got = np.array([S.f64_sqrt(p, ROUND_RN) for p in a], dtype=np.uint64)
    nan = np.isnan(root)
    assert np.array_equal(got[~nan], root.view(np.uint64)[~nan])


def test_directed_rounding_examples():
    third = 0x3EAAAAAB
    one, three = 0x3F800000, 0x40400000
    assert [S.f32_div(one, three, r, False) for r in MODES] == [third, third - 1, third - 1, third, third]
    assert [S.f32_rcp(three | 0x80000000, r, False) for r in MODES] == [0xBEAAAAAB, 0xBEAAAAAA, 0xBEAAAAAB,
                                                                      0xBEAAAAAA, 0xBEAAAAAB]
    two = 0x40000000
    assert [S.f32_sqrt(two, r, False) for r in MODES] == [0x3FB504F3, 0x3FB504F3, 0x3FB504F3, 0x3FB504F4,
                                                          0x3FB504F3]
    assert S.f32_sqrt(0x80000000, ROUND_RN, False) == 0x80000000                # sqrt(-0) = -0
    assert S.f32_sqrt(0xBF800000, ROUND_RN, False) == 0x7FFFFFFF                # sqrt(-1) = NaN
    # x - x is +0, or -0 rounding toward -inf.
    assert S.f32_sub(one, one, ROUND_RN, False, SAT_NONE) == 0
    assert S.f32_sub(one, one, ROUND_RM, False, SAT_NONE) == 0x80000000
    # Overflow by mode.
    big = 0x7F7FFFFF
    assert [S.f32_add(big, big, r, False, SAT_NONE) for r in MODES] == [0x7F800000, big, big, 0x7F800000,
                                                                        0x7F800000]
    assert S.f32_mul(big, big, ROUND_RN, False, SAT_UNIT) == one                   # .sat clamps to 1
    assert S.f32_add(0x7FC00000, one, ROUND_RN, False, SAT_UNIT) == 0             # .sat: NaN -> +0
    # .ftz: a subnormal result becomes a signed zero; a subnormal input is zero.
    assert S.f32_mul(0x00800000, 0x3F000000, ROUND_RN, False, SAT_NONE) == 0x00400000
    assert S.f32_mul(0x00800000, 0xBF000000, ROUND_RN, True, SAT_NONE) == 0x80000000
    assert S.f32_add(0x00000001, one, ROUND_RP, True, SAT_NONE) == one
    assert S.f32_add(0x00000001, one, ROUND_RP, False, SAT_NONE) == one + 1
    # FP64 FMA rounds once: (1 + 2^-52)(1 - 2^-53) - 1 = 2^-53 - 2^-105 exactly (52 bits), where
    # rounding the product first gives 1.0 and a result of 0.
    a, b = np.uint64(0x3FF0000000000001), np.uint64(0x3FEFFFFFFFFFFFFF)
    assert S.f64_fma(a, b, np.uint64(0xBFF0000000000000), ROUND_RN) == np.uint64(0x3C9FFFFFFFFFFFFE)
    assert [int(S.f64_fma(a, b, np.uint64(0), r)) for r in MODES] == [
        0x3FF0000000000000, 0x3FF0000000000000, 0x3FF0000000000000, 0x3FF0000000000001, 0x3FF0000000000000]
    # FP64 directed division and square root.
    third64 = 0x3FD5555555555555
    assert [int(S.f64_div(np.uint64(0x3FF0000000000000), np.uint64(0x4008000000000000), r)) for r in MODES] == [
        third64, third64, third64, third64 + 1, third64]
    assert int(S.f64_sqrt(np.uint64(0x4000000000000000), ROUND_RP)) == 0x3FF6A09E667F3BCD
    assert int(S.f64_sqrt(np.uint64(0x4000000000000000), ROUND_RZ)) == 0x3FF6A09E667F3BCC
    assert int(S.f64_rcp(np.uint64(0), ROUND_RN)) == 0x7FF0000000000000


def test_f16_overflow_and_subnormal_results():
    big = FP16.max_finite_bits                           # 65504
    assert [S.f16_add(big, big, r, False, SAT_NONE) for r in MODES] == [0x7C00, big, big, 0x7C00, 0x7C00]
    assert S.f16_mul(0x0400, 0x3800, ROUND_RN, False, SAT_NONE) == 0x0200    # 2^-14 * 0.5 = subnormal 2^-15
    assert S.f16_mul(0x0400, 0x3800, ROUND_RN, True, SAT_NONE) == 0          # .ftz flushes it
    assert S.f16_mul(0x0001, 0x3800, ROUND_RN, False, SAT_NONE) == 0         # 2^-25: tie -> even 0
    assert S.f16_mul(0x0001, 0x3800, ROUND_RNA, False, SAT_NONE) == 0x0001   # ties away
    assert S.f16_mul(0x0001, 0xB800, ROUND_RM, False, SAT_NONE) == 0x8001
    assert S.bf16_add(0x7F7F, 0x7F7F, ROUND_RN, False, SAT_NONE) == 0x7F80
    assert S.bf16_add(0x7F7F, 0x7F7F, ROUND_RZ, False, SAT_NONE) == 0x7F7F
    assert S.bf16_fma(0x3F80, 0x3F80, 0xBF80, ROUND_RM, False, SAT_NONE) == 0x8000


PURE_PYTHON_CHECK = """
import numpy as np
from emu.numerics import scalar as S
print(S.f16_add(0x3C00, 0x3C01, 3, False, 0), S.bf16_fma(0x3F81, 0x3F81, 0x8001, 2, True, 1),
      S.f32_div(0x3F800000, 0x40400000, 1, False), int(S.f64_sqrt(np.uint64(0x4000000000000000), 3)),
      int(S.f64_fma(np.uint64(0x3FF0000000000001), np.uint64(0xBFEFFFFFFFFFFFFF), np.uint64(1 << 63), 0)),
      S.f32_to_f16(0x387FF000, 4, False, 2), S.f16_min(0x7E00, 0x8000))
"""


def test_pure_python_matches_jit():
    """The kernels run unchanged as plain Python under NUMBA_DISABLE_JIT=1."""
    import os
    import subprocess
    import sys
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    out = subprocess.run([sys.executable, "-c", PURE_PYTHON_CHECK], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    want = [S.f16_add(0x3C00, 0x3C01, 3, False, 0), S.bf16_fma(0x3F81, 0x3F81, 0x8001, 2, True, 1),
            S.f32_div(0x3F800000, 0x40400000, 1, False), int(S.f64_sqrt(np.uint64(0x4000000000000000), 3)),
            int(S.f64_fma(np.uint64(0x3FF0000000000001), np.uint64(0xBFEFFFFFFFFFFFFF), np.uint64(1 << 63), 0)),
            S.f32_to_f16(0x387FF000, 4, False, 2), S.f16_min(0x7E00, 0x8000)]
    assert [int(v) for v in out] == [int(v) for v in want]
