"""Formats table, exact decode/round reference and the fast conversions in emu.numerics.scalar.

FP16 and BF16 are tested over all 65,536 patterns, FP8 over all 256; the
conversions from FP32 over every FP16/BF16 rounding boundary (each
representable value, one FP32 ulp either side of it and of each midpoint) in
every rounding mode, against an oracle that knows by construction which two
neighbours bracket each input. Random and adversarial inputs go through
hypothesis against the ``Fraction`` reference ``formats.round_float``.
"""
import math
import struct
from fractions import Fraction

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from numba import njit

from emu.numerics import scalar as S
from emu.numerics.formats import (BF16, E4M3, E5M2, FORMATS, FP16, FP32, FP64, NAN_ALL_ONES, NAN_IEEE, ROUND_RM,
                                  ROUND_RN, ROUND_RNA, ROUND_RP, ROUND_RZ, SAT_FINITE, SAT_NONE, SAT_RELU,
                                  SAT_UNIT, TF32, Format, decode, is_inf, is_nan, round_float, round_fraction,
                                  to_float, to_fraction)

MODES = [ROUND_RN, ROUND_RZ, ROUND_RM, ROUND_RP, ROUND_RNA]
SATS = [SAT_NONE, SAT_UNIT, SAT_FINITE, SAT_RELU, SAT_FINITE | SAT_RELU]
ALL16 = np.arange(1 << 16, dtype=np.int64)


def f32_bits(x: float) -> int:
    return struct.unpack("<I", struct.pack("<f", x))[0]


def bits_f32(b: int) -> float:
    return struct.unpack("<f", struct.pack("<I", b))[0]


def f64_bits(x: float) -> np.uint64:
    """FP64 patterns go to the kernels as np.uint64: numba's dispatcher types a Python int as int64."""
    return np.uint64(struct.unpack("<Q", struct.pack("<d", x))[0])


def bits_f64(b: int) -> float:
    return struct.unpack("<d", struct.pack("<Q", int(b)))[0]


@njit
def _map(fn, xs, rmode, ftz, sat):
    out = np.empty(xs.size, np.int64)
    for i in range(xs.size):
        out[i] = fn(xs[i], rmode, ftz, sat)
    return out


@njit
def _map_rounded(fn, xs, rmode, sat):
    out = np.empty(xs.size, np.int64)
    for i in range(xs.size):
        out[i] = fn(xs[i], rmode, sat)
    return out


@njit
def _map_unary(fn, xs):
    out = np.empty(xs.size, np.int64)
    for i in range(xs.size):
        out[i] = fn(xs[i])
    return out


# ======================================================================= the table
REFERENCE_LIMITS = {
    # name: (max finite, smallest normal, smallest subnormal, machine epsilon)
    "fp32": (float.fromhex("0x1.fffffep127"), float.fromhex("0x1p-126"), float.fromhex("0x1p-149"), 2.0 ** -23),
    "fp64": (float.fromhex("0x1.fffffffffffffp1023"), float.fromhex("0x1p-1022"), float.fromhex("0x1p-1074"),
             2.0 ** -52),
    "fp16": (65504.0, float.fromhex("0x1p-14"), float.fromhex("0x1p-24"), 2.0 ** -10),
    "bf16": (float.fromhex("0x1.fep127"), float.fromhex("0x1p-126"), float.fromhex("0x1p-133"), 2.0 ** -7),
    "tf32": (float.fromhex("0x1.ffcp127"), float.fromhex("0x1p-126"), float.fromhex("0x1p-136"), 2.0 ** -10),
    "e4m3": (448.0, float.fromhex("0x1p-6"), float.fromhex("0x1p-9"), 2.0 ** -3),
    "e5m2": (57344.0, float.fromhex("0x1p-14"), float.fromhex("0x1p-16"), 2.0 ** -2),
}
ML_DTYPES = {"fp16": np.float16, "bf16": ml_dtypes.bfloat16, "e4m3": ml_dtypes.float8_e4m3fn,
             "e5m2": ml_dtypes.float8_e5m2, "fp32": np.float32, "fp64": np.float64}


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_format_invariants(name):
    fmt = FORMATS[name]
    assert fmt.name == name
    assert fmt.total_bits == 1 + fmt.exponent_bits + fmt.fraction_bits
    assert fmt.container_bits == (32 if name == "tf32" else fmt.total_bits)
    assert fmt.bias == (1 << (fmt.exponent_bits - 1)) - 1
    assert fmt.emin == 1 - fmt.bias
    assert fmt.emax == (fmt.bias + 1 if fmt.nan_encoding == NAN_ALL_ONES else fmt.bias)
    max_finite, min_normal, min_subnormal, eps = REFERENCE_LIMITS[name]
    assert fmt.max_finite == Fraction(max_finite)
    assert fmt.min_normal == Fraction(min_normal)
    assert fmt.min_subnormal == Fraction(min_subnormal)
    assert Fraction(2) ** -fmt.fraction_bits == Fraction(eps)
    # The named patterns decode to what they claim.
    assert to_fraction(fmt.max_finite_bits, fmt) == fmt.max_finite
    assert to_fraction(fmt.max_finite_bits | fmt.sign_bit, fmt) == -fmt.max_finite
    assert is_nan(fmt.canonical_nan, fmt)
    assert is_nan(fmt.canonical_nan | fmt.sign_bit, fmt)
    assert not is_nan(fmt.max_finite_bits, fmt)
    one = round_fraction(Fraction(1), fmt)
    assert to_fraction(one, fmt) == 1 and one == (fmt.bias << fmt.fraction_bits) << fmt.container_shift
    step = 1 << fmt.container_shift
    assert to_fraction(step, fmt) == fmt.min_subnormal
    above_max = fmt.max_finite_bits + step
    if fmt.has_infinity:
        assert fmt.nan_encoding == NAN_IEEE and is_inf(fmt.inf_bits, fmt) and above_max == fmt.inf_bits
        assert to_float(fmt.inf_bits | fmt.sign_bit, fmt) == -math.inf
    else:
        assert fmt.inf_bits == -1 and is_nan(above_max, fmt)      # E4M3: S.1111.111 follows max
    if name in ML_DTYPES:
        info = ml_dtypes.finfo(ML_DTYPES[name])
        assert info.nmant == fmt.fraction_bits and info.nexp == fmt.exponent_bits
        assert float(info.max) == max_finite and float(info.smallest_subnormal) == min_subnormal
        assert float(info.smallest_normal) == min_normal and float(info.eps) == eps


def test_tf32_has_fp32_range():
    assert (TF32.exponent_bits, TF32.fraction_bits, TF32.bias) == (8, 10, 127)
    assert (TF32.emin, TF32.emax) == (FP32.emin, FP32.emax)
    assert TF32.container_shift == 13 and TF32.canonical_nan & 0x1FFF == 0
    assert TF32.max_finite_bits == 0x7F7FE000 and TF32.inf_bits == FP32.inf_bits


def test_canonical_nans():
    assert (FP32.canonical_nan, FP16.canonical_nan, BF16.canonical_nan) == (0x7FFFFFFF, 0x7FFF, 0x7FFF)
    assert FP64.canonical_nan == 0x7FFFFFFFFFFFFFFF
    assert (E4M3.canonical_nan, E5M2.canonical_nan) == (0x7F, 0x7F)


# ============================================================ exhaustive decode
@pytest.mark.parametrize("name", ["fp16", "bf16", "e4m3", "e5m2"])
def test_decode_all_patterns(name):
    fmt = FORMATS[name]
    patterns = np.arange(1 << fmt.total_bits, dtype=np.int64)
    utype = np.uint16 if fmt.total_bits == 16 else np.uint8
    with np.errstate(invalid="ignore"):
        theirs = patterns.astype(utype).view(ML_DTYPES[name]).astype(np.float64)
    ours = np.array([to_float(int(p), fmt) for p in patterns])
    nan = np.isnan(theirs)
    assert np.array_equal(np.isnan(ours), nan)
    assert np.array_equal(ours[~nan], theirs[~nan])
    assert np.array_equal(np.signbit(ours[~nan]), np.signbit(theirs[~nan]))
    for p in patterns[::97]:           # the integer decode agrees with the float one
        kind, sign, sig, exp = decode(int(p), fmt)
        if kind == "finite":
            assert sig < (1 << fmt.precision)
            assert math.copysign(sig * 2.0 ** exp, -1.0 if sign else 1.0) == ours[p]


@pytest.mark.parametrize("name", ["fp16", "bf16", "e4m3", "e5m2"])
def test_reference_round_trip(name):
    """round_fraction(decode(p)) == p for every finite pattern, in every mode."""
    fmt = FORMATS[name]
    for p in range(0, 1 << fmt.total_bits, 1 if fmt.total_bits == 8 else 7):
        kind, sign, _, _ = decode(p, fmt)
        if kind != "finite":
            continue
        for rmode in MODES:
            assert round_fraction(to_fraction(p, fmt), fmt, rmode, negative=bool(sign)) == p


def test_fast_widening_all_patterns():
    """f16/bf16/e4m3/e5m2 -> f32/f64 are exact (numpy / ml_dtypes agree); NaN -> canonical."""
    f16 = ALL16.astype(np.uint16).view(np.float16)
    want = f16.astype(np.float32).view(np.uint32).astype(np.int64)
    got = _map_unary(S.f16_to_f32, ALL16)
    nan = np.isnan(f16)
    assert np.array_equal(got[~nan], want[~nan]) and np.all(got[nan] == 0x7FFFFFFF)
    got64 = np.array([S.f16_to_f64(int(p)) for p in ALL16], dtype=np.uint64)
    want64 = f16.astype(np.float64).view(np.uint64)
    assert np.array_equal(got64[~nan], want64[~nan]) and np.all(got64[nan] == 0x7FFFFFFFFFFFFFFF)

    got = _map_unary(S.bf16_to_f32, ALL16)
    assert np.array_equal(got, ALL16 << 16)                # payloads kept: the bit shift
    bf16 = ALL16.astype(np.uint16).view(ml_dtypes.bfloat16)
    nan = np.isnan(bf16.astype(np.float32))
    got64 = np.array([S.bf16_to_f64(int(p)) for p in ALL16], dtype=np.uint64)
    with np.errstate(invalid="ignore"):
        want64 = bf16.astype(np.float64).view(np.uint64)
    assert np.array_equal(got64[~nan], want64[~nan]) and np.all(got64[nan] == 0x7FFFFFFFFFFFFFFF)

    all8 = np.arange(256, dtype=np.int64)
    for to_f32, to_f16, dtype in [(S.e4m3_to_f32, S.e4m3_to_f16, ml_dtypes.float8_e4m3fn),
                                  (S.e5m2_to_f32, S.e5m2_to_f16, ml_dtypes.float8_e5m2)]:
        f8 = all8.astype(np.uint8).view(dtype)
        nan = np.isnan(f8.astype(np.float32))
        got = _map_unary(to_f32, all8)
        assert np.array_equal(got[~nan], f8.astype(np.float32).view(np.uint32)[~nan])
        assert np.all(got[nan] == 0x7FFFFFFF)
        got = _map_unary(to_f16, all8)
        assert np.array_equal(got[~nan], f8.astype(np.float16).view(np.uint16)[~nan])
        assert np.all(got[nan] == 0x7FFF)
    # Packed: the high byte goes to the high half.
    assert S.e4m3x2_to_f16x2(0x3840) == (0x3C00 << 16) | 0x4000      # e4m3 1.0, 2.0
    assert S.e5m2x2_to_f16x2(0x3C40) == (0x3C00 << 16) | 0x4000      # e5m2 1.0, 2.0


def test_narrow_widen_identity():
    """x -> f32 -> x is the identity for every non-NaN pattern, in every mode and with .satfinite."""
    for name, widen, narrow in [("fp16", S.f16_to_f32, S.f32_to_f16), ("bf16", S.bf16_to_f32, S.f32_to_bf16)]:
        fmt = FORMATS[name]
        not_nan = np.array([not is_nan(int(p), fmt) for p in ALL16])
        finite = not_nan & ((ALL16 & 0x7FFF) != fmt.inf_bits)
        wide = _map_unary(widen, ALL16)
        for rmode in MODES:
            back = _map(narrow, wide, rmode, False, SAT_NONE)
            assert np.array_equal(back[not_nan], ALL16[not_nan]), (name, rmode)
            back = _map(narrow, wide, rmode, False, SAT_FINITE)
            assert np.array_equal(back[finite], ALL16[finite]), (name, rmode)
    for p in range(256):
        for fmt, widen, narrow in [(E4M3, S.e4m3_to_f32, S.f32_to_e4m3), (E5M2, S.e5m2_to_f32, S.f32_to_e5m2)]:
            if not is_nan(p, fmt):
                assert narrow(widen(p), ROUND_RN, SAT_NONE) == p


# ================================================== every rounding boundary from FP32
def _boundary_cases(fmt: Format):
    """FP32 inputs around each pair of neighbours (lo, hi) of the format, with the expected
    result of each rounding mode known by construction: the input lies in [lo, hi).

    Returns a list of (inputs, lo, hi, relation): relation None means the input is lo
    exactly, -1 below the midpoint of lo and hi, 0 on it, +1 above it.
    """
    lo = np.arange(0, fmt.inf_bits, dtype=np.int64)            # every finite non-negative pattern
    hi = lo + 1                                                 # its successor (max -> inf)
    lo_f = np.array([to_float(int(p), fmt) for p in lo])
    hi_f = np.append(lo_f[1:], float(Fraction(2) ** (fmt.emax + 1)))    # past max: 2^(emax+1)
    mid = (lo_f + hi_f) / 2                                    # exact: one bit more than the format

    def as32(v):
        with np.errstate(over="ignore"):                        # bf16: 2^128 -> inf, and inf - 1 ulp = FP32 max
            return v.astype(np.float32).view(np.uint32).astype(np.int64)

    lo32, mid32, hi32 = as32(lo_f), as32(mid), as32(hi_f)
    points = [(lo32, None), (lo32 + 1, -1), (mid32 - 1, -1), (mid32, 0), (mid32 + 1, 1), (hi32 - 1, 1)]
    rows = []
    for x, rel in points:
        keep = x < 0x7F800000
        rows.append((x[keep], lo[keep], hi[keep], rel))
    return rows


def _expected(lo, hi, rel, rmode, negative):
    if rel is None:
        return lo
    if rmode == ROUND_RZ:
        return lo
    if rmode in (ROUND_RM, ROUND_RP):
        return hi if (rmode == ROUND_RP) != negative else lo
    if rel == 0:
        if rmode == ROUND_RNA:
            return hi
        return np.where(lo & 1, hi, lo)
    return hi if rel > 0 else lo


@pytest.mark.parametrize("name", ["fp16", "bf16"])
def test_f32_to_half_every_boundary_every_mode(name):
    fmt = FORMATS[name]
    fast = S.f32_to_f16 if name == "fp16" else S.f32_to_bf16
    sign16 = fmt.sign_bit
    for x, lo, hi, rel in _boundary_cases(fmt):
        assert x.size > 30000
        for rmode in MODES:
            for negative in (False, True):
                xs = x | (0x80000000 if negative else 0)
                want = _expected(lo, hi, rel, rmode, negative) | (sign16 if negative else 0)
                got = _map(fast, xs, rmode, False, SAT_NONE)
                assert np.array_equal(got, want), (name, rmode, rel, negative)
                # .satfinite: the same, with infinity replaced by max finite.
                got = _map(fast, xs, rmode, False, SAT_FINITE)
                want = np.where((want & ~sign16) == fmt.inf_bits, want - 1, want)
                assert np.array_equal(got, want)
        # Round to nearest even agrees with numpy float16 / ml_dtypes bfloat16.
        with np.errstate(over="ignore"):
            theirs = x.astype(np.uint32).view(np.float32).astype(ML_DTYPES[name]).view(np.uint16)
        assert np.array_equal(_map(fast, x, ROUND_RN, False, SAT_NONE), theirs)
    # A Fraction cross-check on a sample of the same inputs.
    for x, _, _, _ in _boundary_cases(fmt):
        for b in x[::1999]:
            for rmode in MODES:
                assert fast(int(b), rmode, False, SAT_NONE) == round_float(bits_f32(int(b)), fmt, rmode)


def test_f32_to_tf32_is_round_half_away_on_bits():
    """cvt.rna.tf32.f32 on finite values is the bit trick (x + 0x1000) & ~0x1FFF (sign-magnitude):

        s eeeeeeee ffffffffff | 1 000000000000    <- adding 0x1000 carries into the kept bits
                             kept        dropped     exactly when the dropped part is >= half
    """
    rng = np.random.default_rng(5)
    xs = np.concatenate([rng.integers(0, 1 << 32, 200_000), np.arange(0x7F7FE000, 0x7F7FFFFF, 7),
                         rng.integers(0, 0x2000, 1000) + (rng.integers(0, 1 << 19, 1000) << 13)])
    finite = (xs & 0x7F800000) != 0x7F800000
    xs = xs[finite]
    got = _map_rounded(S.f32_to_tf32, xs, ROUND_RNA, SAT_NONE)
    assert np.all(got & 0x1FFF == 0)
    assert np.array_equal(got, (xs + 0x1000) & ~0x1FFF)
    assert S.f32_to_tf32(0x7F7FFFFF, ROUND_RNA) == 0x7F800000               # rounds up to inf
    assert S.f32_to_tf32(0x7F7FFFFF, ROUND_RNA, SAT_FINITE) == 0x7F7FE000
    assert S.f32_to_tf32(0x7F7FFFFF, ROUND_RZ) == 0x7F7FE000
    assert S.f32_to_tf32(0x7FC00001, ROUND_RNA) == TF32.canonical_nan


# ========================================================== hypothesis: FP32 / FP64
def _near(fmt: Format, width: int):
    """Patterns of a ``width``-bit float close to values of ``fmt``: each representable
    value or the midpoint above it, then up to 2 ulps (of the wide format) off, either sign."""
    def build(p, midpoint, delta, sign):
        kind, _, _, quantum_exp = decode(p, fmt)
        if kind != "finite":
            p = fmt.max_finite_bits
            quantum_exp = decode(p, fmt)[3]
        value = abs(to_float(p, fmt)) + (2.0 ** (quantum_exp - 1) if midpoint else 0.0)
        bits = f32_bits(value) if width == 32 else int(f64_bits(value))
        bits = min(max(bits + delta, 0), (1 << (width - 1)) - 1)
        return bits | (sign << (width - 1))
    patterns = st.integers(0, (1 << fmt.total_bits) - 1)
    return st.builds(build, patterns, st.booleans(), st.integers(-2, 2), st.integers(0, 1))


F32_SPECIALS = [0, 0x80000000, 1, 0x807FFFFF, 0x00800000, 0x7F7FFFFF, 0x7F800000, 0xFF800000, 0x7FC00000,
                0xFFFFFFFF, 0x7F800001, 0x3F800000, 0x477FF000, 0x477FEFFF, 0x477FF001, 0x33000000, 0x33000001,
                0x337FFFFF, 0x3F7FFFFF, 0x3F800001, 0x43E00000, 0x43E80000, 0x43F00000, 0x47600000, 0x47700000]
f32_inputs = st.one_of(st.integers(0, (1 << 32) - 1), st.sampled_from(F32_SPECIALS),
                       _near(FP16, 32), _near(BF16, 32), _near(E4M3, 32), _near(E5M2, 32))
F64_SPECIALS = [0, 1 << 63, 1, 0x7FEFFFFFFFFFFFFF, 0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000000,
                0x7FF0000000000001] + [int(f64_bits(x)) for x in (
                65520.0, 65519.999999, 2.0 ** -25, 2.0 ** -25 + 2.0 ** -80,
                float.fromhex("0x1.fffffefffffffp127"), float.fromhex("0x1.ffffffp127"), float.fromhex("0x1p-150"),
                float.fromhex("0x1.0000000000001p-150"), float.fromhex("0x1.000001p0"))]
f64_inputs = st.one_of(st.integers(0, (1 << 64) - 1), st.sampled_from(F64_SPECIALS),
                       _near(FP16, 64), _near(BF16, 64), _near(FP32, 64))

CONVERSIONS_FROM_F32 = [
    (FP16, lambda b, r, ftz, sat: S.f32_to_f16(b, r, ftz, sat)),
    (BF16, lambda b, r, ftz, sat: S.f32_to_bf16(b, r, ftz, sat)),
    (TF32, lambda b, r, ftz, sat: S.f32_to_tf32(b, r, sat)),
    (E4M3, lambda b, r, ftz, sat: S.f32_to_e4m3(b, r, sat)),
    (E5M2, lambda b, r, ftz, sat: S.f32_to_e5m2(b, r, sat)),
]


@settings(max_examples=800, deadline=None)
@given(bits=f32_inputs, rmode=st.sampled_from(MODES), sat=st.sampled_from(SATS), ftz=st.booleans(),
       which=st.integers(0, len(CONVERSIONS_FROM_F32) - 1))
def test_from_f32_against_fraction(bits, rmode, sat, ftz, which):
    fmt, fast = CONVERSIONS_FROM_F32[which]
    x = bits_f32(bits)
    ftz = ftz and fmt.name in ("fp16", "bf16")
    if ftz and 0 < abs(x) < float.fromhex("0x1p-126"):
        x = math.copysign(0.0, x)                     # .ftz acts on the FP32 input only
    assert fast(bits, rmode, ftz, sat) == round_float(x, fmt, rmode, sat=sat)


@settings(max_examples=800, deadline=None)
@given(bits=f64_inputs, rmode=st.sampled_from(MODES), sat=st.sampled_from(SATS), ftz=st.booleans(),
       which=st.sampled_from(["fp16", "bf16", "fp32"]))
def test_from_f64_against_fraction(bits, rmode, sat, ftz, which):
    bits = np.uint64(bits)
    x = bits_f64(bits)
    if which == "fp32":
        got = S.f64_to_f32(bits, rmode, ftz, sat)     # .ftz flushes the FP32 result
        assert got == round_float(x, FP32, rmode, ftz=ftz, sat=sat)
        if rmode == ROUND_RN and sat == SAT_NONE and not ftz and not math.isnan(x):
            with np.errstate(over="ignore"):                # numpy's cast overflows to inf as it should
                assert got == int(np.float64(x).astype(np.float32).view(np.uint32))
    else:
        fast = S.f64_to_f16 if which == "fp16" else S.f64_to_bf16
        assert fast(bits, rmode, sat) == round_float(x, FORMATS[which], rmode, sat=sat)


@settings(max_examples=200, deadline=None)
@given(bits=f32_inputs, ftz=st.booleans())
def test_f32_to_f64_exact(bits, ftz):
    x = bits_f32(bits)
    got = int(S.f32_to_f64(bits, ftz))
    if math.isnan(x):
        assert got == FP64.canonical_nan
        return
    if ftz and 0 < abs(x) < float.fromhex("0x1p-126"):
        x = math.copysign(0.0, x)
    assert got == int(f64_bits(x))


def test_double_rounding_cases():
    """f64 -> bf16 in one rounding, where going through f32 (as ml_dtypes does) rounds twice."""
    x = float.fromhex("0x1.0100000001p0")          # just above the bf16 midpoint 1 + 2^-8
    assert S.f64_to_bf16(f64_bits(x), ROUND_RN, SAT_NONE) == 0x3F81
    assert f32_bits(float(np.float32(x))) == 0x3F808000   # f32 lands on the midpoint -> ties to 0x3F80
    x = float.fromhex("0x1.0020000001p0")          # just above the f16 midpoint 1 + 2^-11
    assert S.f64_to_f16(f64_bits(x), ROUND_RN, SAT_NONE) == 0x3C01


def test_ml_dtypes_fp8_agreement():
    """f32 -> e4m3/e5m2 in RN agrees with ml_dtypes (no .satfinite: e4m3 overflows to NaN)."""
    rng = np.random.default_rng(8)
    xs = np.concatenate([rng.integers(0, 1 << 32, 100_000),
                         (rng.normal(0, 100, 50_000).astype(np.float32)).view(np.uint32).astype(np.int64)])
    x32 = xs.astype(np.uint32).view(np.float32)
    for fast, fmt in [(S.f32_to_e4m3, E4M3), (S.f32_to_e5m2, E5M2)]:
        got = np.array([fast(int(b), ROUND_RN, SAT_NONE) for b in xs[:20_000]])
        with np.errstate(invalid="ignore"):
            theirs = x32[:20_000].astype(ML_DTYPES[fmt.name]).view(np.uint8).astype(np.int64)
        nan = np.isnan(x32[:20_000])
        assert np.array_equal(got[~nan], theirs[~nan])
        assert np.all(got[nan] == fmt.canonical_nan)
    # PTX requires .satfinite on FP8: overflow clamps, NaN stays NaN.
    assert S.f32_to_e4m3(f32_bits(1000.0), ROUND_RN, SAT_FINITE) == 0x7E
    assert S.f32_to_e4m3(f32_bits(-1000.0), ROUND_RN, SAT_FINITE) == 0xFE
    assert S.f32_to_e4m3(f32_bits(464.0), ROUND_RN, SAT_NONE) == 0x7E      # tie 448|480 -> even 448
    assert S.f32_to_e4m3(f32_bits(480.0), ROUND_RN, SAT_NONE) == 0x7F      # beyond max -> NaN
    assert S.f32_to_e5m2(f32_bits(math.inf), ROUND_RN, SAT_FINITE) == 0x7B
    assert S.f32_to_e5m2(0x7FC00000, ROUND_RN, SAT_FINITE) == 0x7F
    assert S.f32x2_to_e4m3x2(f32_bits(1.0), f32_bits(2.0), ROUND_RN, SAT_FINITE) == 0x3840
    assert S.f16_to_e4m3(0x3C00, ROUND_RN, SAT_FINITE) == 0x38
    assert S.f16_to_e5m2(0x7C00, ROUND_RN, SAT_FINITE) == 0x7B


def test_saturation_and_relu_rules():
    one16 = 0x3C00
    assert S.f32_to_f16(f32_bits(2.5), ROUND_RN, False, SAT_UNIT) == one16
    assert S.f32_to_f16(f32_bits(-2.5), ROUND_RN, False, SAT_UNIT) == 0
    assert S.f32_to_f16(f32_bits(-0.0), ROUND_RN, False, SAT_UNIT) == 0            # -0 -> +0
    assert S.f32_to_f16(0x7FC00000, ROUND_RN, False, SAT_UNIT) == 0                # NaN -> +0
    assert S.f32_to_f16(0x7FC00000, ROUND_RN, False, SAT_FINITE) == 0x7FFF         # NaN stays NaN
    assert S.f32_to_f16(0xFF800000, ROUND_RN, False, SAT_FINITE) == 0xFBFF         # -inf -> -max
    assert S.f32_to_f16(f32_bits(-3.0), ROUND_RN, False, SAT_RELU) == 0
    assert S.f32_to_f16(0xFFC00000, ROUND_RN, False, SAT_RELU) == 0x7FFF
    assert S.f32_to_bf16(f32_bits(3e38), ROUND_RN, False, SAT_FINITE) == 0x7F62
    assert S.f32_to_bf16(0x7F7FFFFF, ROUND_RN, False, SAT_FINITE) == 0x7F7F
    assert S.f32_to_bf16(0x7F7FFFFF, ROUND_RN, False, SAT_NONE) == 0x7F80
    assert S.f32x2_to_f16x2(f32_bits(1.0), f32_bits(2.0), ROUND_RN, SAT_NONE) == (0x3C00 << 16) | 0x4000
    assert S.f32x2_to_bf16x2(f32_bits(1.0), f32_bits(-2.0), ROUND_RZ, SAT_RELU) == 0x3F800000
    # Overflow by mode: RZ and the mode rounding toward zero give max finite.
    big = f32_bits(1e6)
    assert [S.f32_to_f16(big, r, False, SAT_NONE) for r in MODES] == [0x7C00, 0x7BFF, 0x7BFF, 0x7C00, 0x7C00]
    assert [S.f32_to_f16(big | 0x80000000, r, False, SAT_NONE) for r in MODES] == [0xFC00, 0xFBFF, 0xFC00,
                                                                                   0xFBFF, 0xFC00]


def test_ftz_in_conversions():
    sub32 = 0x00400000                                  # 2^-127, an FP32 subnormal
    assert S.f32_to_bf16(sub32, ROUND_RN, False, SAT_NONE) == 0x0040
    assert S.f32_to_bf16(sub32, ROUND_RN, True, SAT_NONE) == 0
    assert S.f32_to_bf16(sub32 | 0x80000000, ROUND_RN, True, SAT_NONE) == 0x8000
    # f32 -> f16: FP16 subnormal results are not flushed (.ftz is about FP32 operands).
    assert S.f32_to_f16(f32_bits(2.0 ** -20), ROUND_RN, True, SAT_NONE) == 0x0010
    # f64 -> f32: the FP32 result is flushed; 2^-130 is subnormal in FP32.
    assert S.f64_to_f32(f64_bits(2.0 ** -130), ROUND_RN, False, SAT_NONE) == 0x00080000
    assert S.f64_to_f32(f64_bits(-2.0 ** -130), ROUND_RN, True, SAT_NONE) == 0x80000000
    # Directed rounding of f64 -> f32 (numpy only rounds to nearest).
    third = f64_bits(1 / 3)
    assert [S.f64_to_f32(third, r, False, SAT_NONE) for r in MODES] == [0x3EAAAAAB, 0x3EAAAAAA, 0x3EAAAAAA,
                                                                        0x3EAAAAAB, 0x3EAAAAAB]
