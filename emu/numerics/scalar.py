"""Fast scalar floating-point kernels on bit patterns, for the engine's hot loop.

Every function takes and returns unsigned bit patterns as integers (a 16-bit
half, the 32-bit word of an FP32 or TF32 value, the 64-bit word of an FP64
value, one byte of FP8) and is ``@njit(cache=True)``; with
``NUMBA_DISABLE_JIT=1`` the same code runs as plain Python. FP64 results come
back as ``np.uint64``; all others as non-negative ints. From Python, pass FP64
patterns as ``np.uint64``: numba's dispatcher types a Python int as int64 and
refuses one of 2^63 or more.

One rounding path serves every format: an operation computes its exact result
as ``(-1)^sign * (m + δ) * 2^e``, an integer ``m`` below 2^62 plus a sticky
flag for a non-zero ``δ`` in (0, 1), and ``_round_pack`` rounds that once to
the destination format, whose parameters come from ``formats.FORMATS``.
Nothing goes through a wider float first, so there is no double rounding
(FP16 FMA, BF16 add and FP64 FMA included). ``emu.numerics.formats`` holds the
slow ``Fraction`` reference these functions are tested against.

PTX rules implemented (PTX ISA 8.x, ``add``/``mul``/``fma``/``div``/``sqrt``/
``rcp``/``min``/``max``/``cvt``):

- NaN results are the destination's canonical NaN: FP32 ``0x7FFFFFFF``,
  FP16/BF16 ``0x7FFF``, FP64 ``0x7FFFFFFFFFFFFFFF``, TF32 ``0x7FFFE000``, FP8
  ``0x7F``. Input payloads are not propagated. NVIDIA documents the canonical
  NaN for FP32 arithmetic; for FP16/BF16 arithmetic, FP64 and conversions it
  is our choice, unverified on hardware. Exception: ``bf16_to_f32`` is a plain
  bit shift (what ptxas is believed to emit for it), so a BF16 NaN keeps its payload.
- ``.sat`` (``SAT_UNIT``): clamp to [+0.0, 1.0]; NaN -> +0.0; -0.0 -> +0.0.
- ``.satfinite`` (``SAT_FINITE``, conversions): magnitudes beyond max finite,
  infinities included, become ±max finite; NaN stays (canonical) NaN.
- ``.relu`` (``SAT_RELU``, conversions): negative results and -0.0 -> +0.0;
  NaN -> canonical NaN.
- ``.ftz``: subnormal inputs become zeros of the same sign; a result that is
  subnormal after rounding (at the subnormal quantum) becomes a zero of the
  same sign. On ``cvt`` the flag acts only on FP32 operands, as PTX says: on
  the FP32 input of f32->f16/bf16/tf32 and on the FP32 result of f64->f32.
  Whether hardware detects tininess before or after rounding is unverified.
- Overflow: RN/RNA -> ±inf; RZ -> ±max finite; RM -> +max / -inf; RP -> +inf /
  -max. A format without infinities (E4M3) gives NaN of the value's sign where
  IEEE would give infinity (OCP / ml_dtypes convention; PTX always asks for
  ``.satfinite`` on FP8).
- An exact zero sum has sign + except under RM (IEEE 754 6.3); x + x keeps x's sign.
- ``min``/``max``: a NaN operand yields the other; two NaNs the canonical NaN;
  -0.0 < +0.0.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .formats import (BF16, E4M3, E5M2, FP16, FP32, FP64, TF32, ROUND_RM, ROUND_RN, ROUND_RNA, ROUND_RP,
                      ROUND_RZ, SAT_FINITE, SAT_NONE, SAT_RELU, SAT_UNIT, Format)

__all__ = [
    "ROUND_RN", "ROUND_RZ", "ROUND_RM", "ROUND_RP", "ROUND_RNA", "SAT_NONE", "SAT_UNIT", "SAT_FINITE", "SAT_RELU",
    "f32_to_f16", "f64_to_f16", "f16_to_f32", "f16_to_f64",
    "f32_to_bf16", "f64_to_bf16", "bf16_to_f32", "bf16_to_f64",
    "f32_to_tf32", "f32_to_e4m3", "f32_to_e5m2", "f16_to_e4m3", "f16_to_e5m2",
    "e4m3_to_f32", "e5m2_to_f32", "e4m3_to_f16", "e5m2_to_f16",
    "f32x2_to_f16x2", "f32x2_to_bf16x2", "f32x2_to_e4m3x2", "f32x2_to_e5m2x2", "e4m3x2_to_f16x2", "e5m2x2_to_f16x2",
    "f64_to_f32", "f32_to_f64",
    "f16_add", "f16_sub", "f16_mul", "f16_fma", "f16_min", "f16_max", "f16_neg", "f16_abs",
    "bf16_add", "bf16_sub", "bf16_mul", "bf16_fma", "bf16_min", "bf16_max", "bf16_neg", "bf16_abs",
    "f32_add", "f32_sub", "f32_mul", "f32_fma", "f32_div", "f32_sqrt", "f32_rcp",
    "f64_add", "f64_sub", "f64_mul", "f64_fma", "f64_div", "f64_sqrt", "f64_rcp",
]


def _params(fmt: Format) -> tuple:
    """A format as a tuple of ints that numba freezes into the compiled code.

    (fraction_bits, emin, emax, max_significand, has_infinity, canonical_nan,
     container_shift, total_bits, bias, exponent_bits, max_finite_bits, inf_bits, one_bits)
    """
    one_bits = (fmt.bias << fmt.fraction_bits) << fmt.container_shift
    return (fmt.fraction_bits, fmt.emin, fmt.emax, fmt.max_significand, int(fmt.has_infinity), fmt.canonical_nan,
            fmt.container_shift, fmt.total_bits, fmt.bias, fmt.exponent_bits, fmt.max_finite_bits,
            fmt.inf_bits, one_bits)


_P_FP16 = _params(FP16)
_P_BF16 = _params(BF16)
_P_TF32 = _params(TF32)
_P_FP32 = _params(FP32)
_P_FP64 = _params(FP64)
_P_E4M3 = _params(E4M3)
_P_E5M2 = _params(E5M2)

# Kinds returned by _unpack.
_FINITE = 0
_INF = 1
_NAN = 2

_LIMB = 60                      # two-limb integers: value = hi * 2^60 + lo, 0 <= lo < 2^60
_LIMB_MASK = (1 << _LIMB) - 1
_NORM = 53                      # significands are normalised to [2^52, 2^53) before arithmetic


# ================================================================ integer helpers
@njit(cache=True)
def _bitlen(x):
    """Number of bits of 0 <= x < 2^63 (int.bit_length, which numba lacks)."""
    n = 0
    if x >= 1 << 32:
        x >>= 32
        n += 32
    if x >= 1 << 16:
        x >>= 16
        n += 16
    if x >= 1 << 8:
        x >>= 8
        n += 8
    if x >= 1 << 4:
        x >>= 4
        n += 4
    if x >= 1 << 2:
        x >>= 2
        n += 2
    if x >= 1 << 1:
        x >>= 1
        n += 1
    return n + x


@njit(cache=True)
def _normalise(m, e):
    """Scale a non-zero significand to [2^52, 2^53), keeping m * 2^e."""
    s = _NORM - _bitlen(m)
    return m << s, e - s


@njit(cache=True)
def _bitlen2(hi, lo):
    if hi:
        return _LIMB + _bitlen(hi)
    return _bitlen(lo)


@njit(cache=True)
def _shift2(hi, lo, s):
    """(hi, lo) * 2^s for s >= 0 (no overflow past 2^120), or a right shift for s < 0.

    Returns (hi, lo, sticky): sticky is set when a right shift drops non-zero bits.
    """
    if s >= 0:
        if s >= _LIMB:
            return lo << (s - _LIMB), 0, False
        if s == 0:
            return hi, lo, False
        # Bits of lo that cross into hi:  lo = [ top s bits | rest ],  hi' = hi << s | top.
        return (hi << s) | (lo >> (_LIMB - s)), (lo << s) & _LIMB_MASK, False
    s = -s
    if s >= 2 * _LIMB:
        return 0, 0, (hi | lo) != 0
    if s >= _LIMB:
        t = s - _LIMB
        return 0, hi >> t, lo != 0 or (hi & ((1 << t) - 1)) != 0
    sticky = (lo & ((1 << s) - 1)) != 0
    return hi >> s, (lo >> s) | ((hi & ((1 << s) - 1)) << (_LIMB - s)), sticky


@njit(cache=True)
def _add2(ahi, alo, bhi, blo):
    lo = alo + blo
    return ahi + bhi + (lo >> _LIMB), lo & _LIMB_MASK


@njit(cache=True)
def _sub2(ahi, alo, bhi, blo):
    """a - b for a >= b."""
    lo = alo - blo
    if lo < 0:
        return ahi - bhi - 1, lo + (1 << _LIMB)
    return ahi - bhi, lo


@njit(cache=True)
def _mul53(a, b):
    """Exact product of two significands below 2^53, as two limbs (hi, lo).

    Split a = a1 * 2^26 + a0 (a1 has 27 bits, a0 26), likewise b:
        a * b = a1b1 * 2^52 + (a1b0 + a0b1) * 2^26 + a0b0
    and carve each partial product at the 2^60 limb boundary.
    """
    a1 = a >> 26
    a0 = a & ((1 << 26) - 1)
    b1 = b >> 26
    b0 = b & ((1 << 26) - 1)
    high = a1 * b1                    # < 2^54, weight 2^52
    mid = a1 * b0 + a0 * b1           # < 2^54, weight 2^26
    t = a0 * b0 + ((mid & ((1 << 34) - 1)) << 26) + ((high & 0xFF) << 52)   # < 2^62
    return (high >> 8) + (mid >> 34) + (t >> _LIMB), t & _LIMB_MASK


@njit(cache=True)
def _to62(hi, lo, e):
    """A two-limb value (hi * 2^60 + lo) * 2^e as (m < 2^62, e', sticky)."""
    s = _bitlen2(hi, lo) - 62
    if s > 0:
        hi, lo, sticky = _shift2(hi, lo, -s)
        return (hi << _LIMB) | lo, e + s, sticky
    return (hi << _LIMB) | lo, e, False


# ================================================================ decode / encode
@njit(cache=True)
def _unpack(bits, P):
    """(kind, sign, significand, exponent): a finite value is (-1)^sign * significand * 2^exponent.

    Bits below the container shift (TF32's low 13) are ignored.
    """
    fb, emin, _, _, has_inf, _, shift, total, bias, ebits, _, _, _ = P
    b = bits >> shift
    sign = int((b >> (total - 1)) & 1)
    field = int((b >> fb) & ((1 << ebits) - 1))
    frac = int(b & ((1 << fb) - 1))
    if field == (1 << ebits) - 1:
        if has_inf:
            return (_INF if frac == 0 else _NAN), sign, 0, 0
        if frac == (1 << fb) - 1:         # E4M3: only S.1111.111 is NaN
            return _NAN, sign, 0, 0
    if field == 0:
        return _FINITE, sign, frac, emin - fb
    return _FINITE, sign, frac | (1 << fb), field - bias - fb


@njit(cache=True)
def _sign_bit(sign, P):
    return sign << (P[7] - 1 + P[6])


@njit(cache=True)
def _nan_out(P, sat):
    if sat & SAT_UNIT:
        return 0
    return P[5]


@njit(cache=True)
def _inf_out(sign, P, sat):
    """The result for an infinite exact value (an infinite operand, x/0)."""
    if sign and sat & (SAT_UNIT | SAT_RELU):
        return 0
    if sat & SAT_UNIT:
        return P[12]
    if sat & SAT_FINITE:
        return P[10] | _sign_bit(sign, P)
    if P[4]:
        return P[11] | _sign_bit(sign, P)
    return P[5] | _sign_bit(sign, P)


@njit(cache=True)
def _round_pack(sign, m, e, sticky, P, rmode, ftz, sat):
    """Round (-1)^sign * (m + δ) * 2^e to the format P and encode it: the one rounding path.

    m: integer, 0 <= m < 2^62; δ in (0, 1) when sticky, else 0 (then m > 0).
    Steps: (1) .relu/.sat on the exact value, (2) pick the quantum 2^q of the
    result (subnormal quantum below 2^emin), (3) round the bits below it by
    mode, (4) .ftz, (5) overflow, (6) encode.
    """
    fb, emin, emax, max_sig, _, _, shift, total, bias, _, _, _, one_bits = P
    # 1. Clamps that act on the exact value; 0 and 1 are representable and rounding is monotone.
    if sign and sat & (SAT_UNIT | SAT_RELU):
        return 0
    if m == 0:
        return _sign_bit(sign, P)
    if sticky:                          # make room so the sticky bits lie below the round bit
        s = 62 - _bitlen(m)
        m <<= s
        e -= s
    top = e + _bitlen(m) - 1            # 2^top <= |value| < 2^(top+1)
    if sat & SAT_UNIT and top >= 0:
        return one_bits
    # 2. Quantum of the result.
    q = max(top, emin) - fb
    drop = q - e
    # 3. Round away `drop` low bits of m.
    if drop <= 0:
        sig = m << -drop                # exact (sticky implies drop > 0)
    else:
        if drop >= 63:                  # everything is below half a quantum
            sig = 0
            above = False
            tie = False
            inexact = True
        else:
            sig = m >> drop
            rest = m & ((1 << drop) - 1)
            half = 1 << (drop - 1)
            above = rest > half or (rest == half and sticky)
            tie = rest == half and not sticky
            inexact = rest != 0 or sticky
        if rmode == ROUND_RN:
            up = above or (tie and (sig & 1) == 1)
        elif rmode == ROUND_RNA:
            up = above or tie
        elif rmode == ROUND_RP:
            up = inexact and sign == 0
        elif rmode == ROUND_RM:
            up = inexact and sign == 1
        else:
            up = False
        if up:
            sig += 1
            if sig >> (fb + 1):         # carry out: 1.111..1 + ulp = 10.000..0
                sig >>= 1
                q += 1
    if sig < (1 << fb):
        # 4. Subnormal (or zero) result.
        if ftz:
            return _sign_bit(sign, P)
    elif q + fb > emax or (q + fb == emax and sig > max_sig):
        # 5. Overflow.
        to_max = (sat & SAT_FINITE or rmode == ROUND_RZ or (rmode == ROUND_RM and sign == 0)
                  or (rmode == ROUND_RP and sign == 1))
        if to_max:
            return P[10] | _sign_bit(sign, P)
        return _inf_out(sign, P, int(SAT_NONE))
    # 6. Encode. The biased exponent field is q + fb + bias for a normal number; writing
    #    ((q + fb + bias - 1) << fb) + sig lets the implicit bit of sig add the 1, and gives
    #    field 0 for a subnormal (q = emin - fb, no implicit bit):
    #        sign | eeeee | ffffffffff   =   sign<<15 | ((field - 1) << 10) + 1ffffffffff
    return _sign_bit(sign, P) | ((((q + fb + bias - 1) << fb) + sig) << shift)


# ================================================================ conversions
@njit(cache=True)
def _convert(bits, S, D, rmode, ftz_in, ftz_out, sat):
    rmode, ftz_out, sat = int(rmode), bool(ftz_out), int(sat)   # not literals (see _add)
    kind, sign, m, e = _unpack(bits, S)
    if kind == _NAN:
        return _nan_out(D, sat)
    if kind == _INF:
        return _inf_out(sign, D, sat)
    if ftz_in and m < (1 << S[0]):
        m = 0
    return _round_pack(sign, m, e, bool(False), D, rmode, ftz_out, sat)


@njit(cache=True)
def f32_to_f16(bits, rmode, ftz, sat):
    """cvt{.rnd}{.ftz}{.sat|.satfinite}{.relu}.f16.f32; ``ftz`` flushes a subnormal FP32 input."""
    return _convert(bits, _P_FP32, _P_FP16, rmode, ftz, False, sat)


@njit(cache=True)
def f64_to_f16(bits, rmode, sat):
    """cvt{.rnd}{.sat}.f16.f64, rounded once from the exact FP64 value."""
    return _convert(bits, _P_FP64, _P_FP16, rmode, False, False, sat)


@njit(cache=True)
def f16_to_f32(bits):
    """cvt.f32.f16: exact; NaN -> 0x7FFFFFFF."""
    return _convert(bits, _P_FP16, _P_FP32, ROUND_RN, False, False, SAT_NONE)


@njit(cache=True)
def f16_to_f64(bits):
    return np.uint64(_convert(bits, _P_FP16, _P_FP64, ROUND_RN, False, False, SAT_NONE))


@njit(cache=True)
def f32_to_bf16(bits, rmode, ftz, sat):
    """cvt{.rnd}{.ftz}{.sat|.satfinite}{.relu}.bf16.f32; ``ftz`` flushes a subnormal FP32 input."""
    return _convert(bits, _P_FP32, _P_BF16, rmode, ftz, False, sat)


@njit(cache=True)
def f64_to_bf16(bits, rmode, sat):
    """cvt{.rnd}.bf16.f64, rounded once (no double rounding through FP32)."""
    return _convert(bits, _P_FP64, _P_BF16, rmode, False, False, sat)


@njit(cache=True)
def bf16_to_f32(bits):
    """cvt.f32.bf16: the top half of the FP32 word, exactly; NaN payloads are kept."""
    return int(bits & 0xFFFF) << 16


@njit(cache=True)
def bf16_to_f64(bits):
    return np.uint64(_convert(bits, _P_BF16, _P_FP64, ROUND_RN, False, False, SAT_NONE))


@njit(cache=True)
def f32_to_tf32(bits, rmode, sat=SAT_NONE):
    """cvt.rna{.satfinite}.tf32.f32 (RN/RZ from sm_90): an FP32 word whose low 13 bits are 0."""
    return _convert(bits, _P_FP32, _P_TF32, rmode, False, False, sat)


@njit(cache=True)
def f32_to_e4m3(bits, rmode, sat):
    """cvt.rn.satfinite{.relu}.e4m3.f32 (one lane of e4m3x2); PTX requires SAT_FINITE."""
    return _convert(bits, _P_FP32, _P_E4M3, rmode, False, False, sat)


@njit(cache=True)
def f32_to_e5m2(bits, rmode, sat):
    """cvt.rn.satfinite{.relu}.e5m2.f32 (one lane of e5m2x2); PTX requires SAT_FINITE."""
    return _convert(bits, _P_FP32, _P_E5M2, rmode, False, False, sat)


@njit(cache=True)
def f16_to_e4m3(bits, rmode, sat):
    """cvt.rn.satfinite{.relu}.e4m3x2.f16x2, one lane."""
    return _convert(bits, _P_FP16, _P_E4M3, rmode, False, False, sat)


@njit(cache=True)
def f16_to_e5m2(bits, rmode, sat):
    """cvt.rn.satfinite{.relu}.e5m2x2.f16x2, one lane."""
    return _convert(bits, _P_FP16, _P_E5M2, rmode, False, False, sat)


@njit(cache=True)
def e4m3_to_f32(bits):
    return _convert(bits, _P_E4M3, _P_FP32, ROUND_RN, False, False, SAT_NONE)


@njit(cache=True)
def e5m2_to_f32(bits):
    return _convert(bits, _P_E5M2, _P_FP32, ROUND_RN, False, False, SAT_NONE)


@njit(cache=True)
def e4m3_to_f16(bits):
    """cvt.rn.f16x2.e4m3x2, one lane: exact."""
    return _convert(bits, _P_E4M3, _P_FP16, ROUND_RN, False, False, SAT_NONE)


@njit(cache=True)
def e5m2_to_f16(bits):
    """cvt.rn.f16x2.e5m2x2, one lane: exact."""
    return _convert(bits, _P_E5M2, _P_FP16, ROUND_RN, False, False, SAT_NONE)


# Packed forms: PTX puts the first source operand in the upper half ("d = {a, b}").
@njit(cache=True)
def f32x2_to_f16x2(a, b, rmode, sat):
    """cvt.rnd{.relu}{.satfinite}.f16x2.f32 d, a, b: a -> bits 31..16, b -> bits 15..0."""
    return (f32_to_f16(a, rmode, False, sat) << 16) | f32_to_f16(b, rmode, False, sat)


@njit(cache=True)
def f32x2_to_bf16x2(a, b, rmode, sat):
    return (f32_to_bf16(a, rmode, False, sat) << 16) | f32_to_bf16(b, rmode, False, sat)


@njit(cache=True)
def f32x2_to_e4m3x2(a, b, rmode, sat):
    """cvt.rn.satfinite{.relu}.e4m3x2.f32 d, a, b: a -> bits 15..8, b -> bits 7..0."""
    return (f32_to_e4m3(a, rmode, sat) << 8) | f32_to_e4m3(b, rmode, sat)


@njit(cache=True)
def f32x2_to_e5m2x2(a, b, rmode, sat):
    return (f32_to_e5m2(a, rmode, sat) << 8) | f32_to_e5m2(b, rmode, sat)


@njit(cache=True)
def e4m3x2_to_f16x2(bits):
    """cvt.rn.f16x2.e4m3x2 d, a: byte 1 -> bits 31..16, byte 0 -> bits 15..0."""
    return (e4m3_to_f16((bits >> 8) & 0xFF) << 16) | e4m3_to_f16(bits & 0xFF)


@njit(cache=True)
def e5m2x2_to_f16x2(bits):
    return (e5m2_to_f16((bits >> 8) & 0xFF) << 16) | e5m2_to_f16(bits & 0xFF)


@njit(cache=True)
def f64_to_f32(bits, rmode, ftz, sat):
    """cvt.rnd{.ftz}{.sat}.f32.f64 with exact directed rounding; ``ftz`` flushes a subnormal result."""
    return _convert(bits, _P_FP64, _P_FP32, rmode, False, ftz, sat)


@njit(cache=True)
def f32_to_f64(bits, ftz):
    """cvt{.ftz}.f64.f32: exact; ``ftz`` flushes a subnormal FP32 input."""
    return np.uint64(_convert(bits, _P_FP32, _P_FP64, ROUND_RN, ftz, False, SAT_NONE))


# ================================================================ arithmetic (generic)
@njit(cache=True)
def _zero_sum_sign(sa, sb, rmode):
    """Sign of an exact zero sum: x + x keeps x's sign; otherwise +0, or -0 under RM."""
    if sa == sb:
        return sa
    return 1 if rmode == ROUND_RM else 0


@njit(cache=True)
def _add(a, b, negate_b, P, rmode, ftz, sat):
    rmode, ftz, sat = int(rmode), bool(ftz), int(sat)   # not literals: one compiled callee per format
    ka, sa, ma, ea = _unpack(a, P)
    kb, sb, mb, eb = _unpack(b, P)
    sb ^= negate_b
    if ka == _NAN or kb == _NAN:
        return _nan_out(P, sat)
    if ka == _INF:
        if kb == _INF and sa != sb:
            return _nan_out(P, sat)
        return _inf_out(sa, P, sat)
    if kb == _INF:
        return _inf_out(sb, P, sat)
    if ftz:
        if ma < (1 << P[0]):
            ma = 0
        if mb < (1 << P[0]):
            mb = 0
    if ma == 0 or mb == 0:
        if ma == 0 and mb == 0:
            return _round_pack(_zero_sum_sign(sa, sb, rmode), int(0), int(0), bool(False), P, rmode, ftz, sat)
        if ma == 0:
            return _round_pack(sb, mb, eb, bool(False), P, rmode, ftz, sat)
        return _round_pack(sa, ma, ea, bool(False), P, rmode, ftz, sat)
    ma, ea = _normalise(ma, ea)
    mb, eb = _normalise(mb, eb)
    if eb > ea or (eb == ea and mb > ma):           # make |a| >= |b|
        sa, ma, ea, sb, mb, eb = sb, mb, eb, sa, ma, ea
    # Eight guard bits below each 53-bit significand; b is aligned to a and what falls
    # off its end becomes the sticky flag. A sticky b lies more than 8 bits below a.
    big = ma << 8
    small = mb << 8
    d = ea - eb
    if d >= 62:
        small, sticky = 0, True
    else:
        sticky = (small & ((1 << d) - 1)) != 0
        small >>= d
    if sa == sb:
        m = big + small
    else:
        # a - (small + δ) = (a - small - 1) + (1 - δ), and 1 - δ is again in (0, 1).
        m = big - small - (1 if sticky else 0)
        if m == 0:
            return _round_pack(_zero_sum_sign(0, 1, rmode), int(0), int(0), bool(False), P, rmode, ftz, sat)
    return _round_pack(sa, m, ea - 8, sticky, P, rmode, ftz, sat)


@njit(cache=True)
def _mul(a, b, P, rmode, ftz, sat):
    rmode, ftz, sat = int(rmode), bool(ftz), int(sat)   # not literals: one compiled callee per format
    ka, sa, ma, ea = _unpack(a, P)
    kb, sb, mb, eb = _unpack(b, P)
    sign = sa ^ sb
    if ka == _NAN or kb == _NAN:
        return _nan_out(P, sat)
    if ftz:
        if ma < (1 << P[0]):
            ma = 0
        if mb < (1 << P[0]):
            mb = 0
    if ka == _INF or kb == _INF:
        if (ka == _FINITE and ma == 0) or (kb == _FINITE and mb == 0):
            return _nan_out(P, sat)                   # inf * 0
        return _inf_out(sign, P, sat)
    if ma == 0 or mb == 0:
        return _round_pack(sign, int(0), int(0), bool(False), P, rmode, ftz, sat)
    ma, ea = _normalise(ma, ea)
    mb, eb = _normalise(mb, eb)
    hi, lo = _mul53(ma, mb)
    m, e, sticky = _to62(hi, lo, ea + eb)
    return _round_pack(sign, m, e, sticky, P, rmode, ftz, sat)


@njit(cache=True)
def _fma(a, b, c, P, rmode, ftz, sat):
    """a * b + c with one rounding: the exact product (two limbs) and c are aligned in a
    120-bit window whose top is the larger operand; the smaller one may leave a sticky
    bit, which only happens when it lies at least 12 bits below the larger."""
    rmode, ftz, sat = int(rmode), bool(ftz), int(sat)   # not literals: one compiled callee per format
    ka, sa, ma, ea = _unpack(a, P)
    kb, sb, mb, eb = _unpack(b, P)
    kc, sc, mc, ec = _unpack(c, P)
    sp = sa ^ sb
    if ka == _NAN or kb == _NAN or kc == _NAN:
        return _nan_out(P, sat)
    if ftz:
        if ma < (1 << P[0]):
            ma = 0
        if mb < (1 << P[0]):
            mb = 0
        if mc < (1 << P[0]):
            mc = 0
    if ka == _INF or kb == _INF:
        if (ka == _FINITE and ma == 0) or (kb == _FINITE and mb == 0):
            return _nan_out(P, sat)                   # inf * 0
        if kc == _INF and sc != sp:
            return _nan_out(P, sat)                   # inf - inf
        return _inf_out(sp, P, sat)
    if kc == _INF:
        return _inf_out(sc, P, sat)
    if ma == 0 or mb == 0:
        if mc == 0:
            return _round_pack(_zero_sum_sign(sp, sc, rmode), int(0), int(0), bool(False), P, rmode, ftz, sat)
        return _round_pack(sc, mc, ec, bool(False), P, rmode, ftz, sat)
    ma, ea = _normalise(ma, ea)
    mb, eb = _normalise(mb, eb)
    phi, plo = _mul53(ma, mb)
    ep = ea + eb
    if mc == 0:
        m, e, sticky = _to62(phi, plo, ep)
        return _round_pack(sp, m, e, sticky, P, rmode, ftz, sat)
    mc, ec = _normalise(mc, ec)
    # Window: value = W * 2^base with the larger operand's top bit at bit 117 of W.
    base = max(ep + _bitlen2(phi, plo), ec + _NORM) - 118
    phi, plo, p_sticky = _shift2(phi, plo, ep - base)
    chi, clo, c_sticky = _shift2(0, mc, ec - base)
    sticky = p_sticky or c_sticky
    if phi > chi or (phi == chi and plo >= clo):
        sign, bhi, blo, shi, slo = sp, phi, plo, chi, clo
    else:
        sign, bhi, blo, shi, slo = sc, chi, clo, phi, plo
    if sp == sc:
        whi, wlo = _add2(bhi, blo, shi, slo)
    else:
        whi, wlo = _sub2(bhi, blo, shi, slo)
        if sticky:                                    # borrow for the fraction δ (see _add)
            whi, wlo = _sub2(whi, wlo, 0, 1)
        if whi == 0 and wlo == 0:
            return _round_pack(_zero_sum_sign(0, 1, rmode), int(0), int(0), bool(False), P, rmode, ftz, sat)
    m, e, low_sticky = _to62(whi, wlo, base)
    return _round_pack(sign, m, e, sticky or low_sticky, P, rmode, ftz, sat)


@njit(cache=True)
def _div(a, b, P, rmode, ftz, sat):
    rmode, ftz, sat = int(rmode), bool(ftz), int(sat)   # not literals: one compiled callee per format
    ka, sa, ma, ea = _unpack(a, P)
    kb, sb, mb, eb = _unpack(b, P)
    sign = sa ^ sb
    if ka == _NAN or kb == _NAN:
        return _nan_out(P, sat)
    if ftz:
        if ma < (1 << P[0]):
            ma = 0
        if mb < (1 << P[0]):
            mb = 0
    if ka == _INF:
        if kb == _INF:
            return _nan_out(P, sat)
        return _inf_out(sign, P, sat)
    if kb == _INF:
        return _round_pack(sign, int(0), int(0), bool(False), P, rmode, ftz, sat)
    if mb == 0:
        if ma == 0:
            return _nan_out(P, sat)                   # 0 / 0
        return _inf_out(sign, P, sat)
    if ma == 0:
        return _round_pack(sign, int(0), int(0), bool(False), P, rmode, ftz, sat)
    ma, ea = _normalise(ma, ea)
    mb, eb = _normalise(mb, eb)
    # Restoring long division: q = floor(ma * 2^61 / mb), 61 or 62 bits; the remainder is sticky.
    q = 1 if ma >= mb else 0
    r = ma - mb * q
    for _ in range(61):
        r <<= 1
        q <<= 1
        if r >= mb:
            r -= mb
            q |= 1
    return _round_pack(sign, q, ea - eb - 61, r != 0, P, rmode, ftz, sat)


@njit(cache=True)
def _sqrt(a, P, rmode, ftz, sat):
    rmode, ftz, sat = int(rmode), bool(ftz), int(sat)   # not literals: one compiled callee per format
    ka, sa, ma, ea = _unpack(a, P)
    if ka == _NAN:
        return _nan_out(P, sat)
    if ftz and ma < (1 << P[0]):
        ma = 0
    if ka == _FINITE and ma == 0:
        return _round_pack(sa, int(0), int(0), bool(False), P, rmode, ftz, sat)   # sqrt(-0) = -0
    if sa:
        return _nan_out(P, sat)
    if ka == _INF:
        return _inf_out(int(0), P, sat)
    ma, ea = _normalise(ma, ea)
    if ea & 1:                                        # make the exponent even
        ma <<= 1
        ea -= 1
    # Digit-by-digit square root of R = ma * 2^66 (at most 120 bits), two bits per step:
    # root = floor(sqrt(R)) has 59 or 60 bits; the remainder R - root^2 is sticky.
    root = 0
    rem = 0
    for i in range(59, -1, -1):
        pos = 2 * i - 66
        pair = (ma >> pos) & 3 if pos >= 0 else 0
        rem = (rem << 2) | pair
        trial = (root << 2) | 1
        root <<= 1
        if rem >= trial:
            rem -= trial
            root |= 1
    return _round_pack(int(0), root, ea // 2 - 33, rem != 0, P, rmode, ftz, sat)


@njit(cache=True)
def _minmax(a, b, P, want_max):
    ka = _unpack(a, P)[0]
    kb = _unpack(b, P)[0]
    if ka == _NAN:
        return P[5] if kb == _NAN else b
    if kb == _NAN:
        return a
    # Order on sign-magnitude patterns: negative patterns map below all positive ones,
    # and -0 (key -1) sits just below +0 (key 0).
    sign_bit = _sign_bit(int(1), P)
    ia = np.int64(a)
    ib = np.int64(b)
    key_a = -(ia & (sign_bit - 1)) - 1 if ia & sign_bit else ia
    key_b = -(ib & (sign_bit - 1)) - 1 if ib & sign_bit else ib
    if want_max:
        return a if key_a >= key_b else b
    return a if key_a <= key_b else b


# ================================================================ FP16
@njit(cache=True)
def f16_add(a, b, rmode, ftz, sat):
    return _add(a, b, int(0), _P_FP16, rmode, ftz, sat)


@njit(cache=True)
def f16_sub(a, b, rmode, ftz, sat):
    return _add(a, b, int(1), _P_FP16, rmode, ftz, sat)


@njit(cache=True)
def f16_mul(a, b, rmode, ftz, sat):
    return _mul(a, b, _P_FP16, rmode, ftz, sat)


@njit(cache=True)
def f16_fma(a, b, c, rmode, ftz, sat):
    return _fma(a, b, c, _P_FP16, rmode, ftz, sat)


@njit(cache=True)
def f16_min(a, b):
    return _minmax(a, b, _P_FP16, False)


@njit(cache=True)
def f16_max(a, b):
    return _minmax(a, b, _P_FP16, True)


@njit(cache=True)
def f16_neg(a):
    """neg.f16: flips the sign bit (NaNs included)."""
    return a ^ 0x8000


@njit(cache=True)
def f16_abs(a):
    """abs.f16: clears the sign bit (NaNs included)."""
    return a & 0x7FFF


# ================================================================ BF16
@njit(cache=True)
def bf16_add(a, b, rmode, ftz, sat):
    return _add(a, b, int(0), _P_BF16, rmode, ftz, sat)


@njit(cache=True)
def bf16_sub(a, b, rmode, ftz, sat):
    return _add(a, b, int(1), _P_BF16, rmode, ftz, sat)


@njit(cache=True)
def bf16_mul(a, b, rmode, ftz, sat):
    return _mul(a, b, _P_BF16, rmode, ftz, sat)


@njit(cache=True)
def bf16_fma(a, b, c, rmode, ftz, sat):
    return _fma(a, b, c, _P_BF16, rmode, ftz, sat)


@njit(cache=True)
def bf16_min(a, b):
    return _minmax(a, b, _P_BF16, False)


@njit(cache=True)
def bf16_max(a, b):
    return _minmax(a, b, _P_BF16, True)


@njit(cache=True)
def bf16_neg(a):
    return a ^ 0x8000


@njit(cache=True)
def bf16_abs(a):
    return a & 0x7FFF


# ================================================================ FP32 (directed rounding; RN too)
@njit(cache=True)
def f32_add(a, b, rmode, ftz, sat):
    return _add(a, b, int(0), _P_FP32, rmode, ftz, sat)


@njit(cache=True)
def f32_sub(a, b, rmode, ftz, sat):
    return _add(a, b, int(1), _P_FP32, rmode, ftz, sat)


@njit(cache=True)
def f32_mul(a, b, rmode, ftz, sat):
    return _mul(a, b, _P_FP32, rmode, ftz, sat)


@njit(cache=True)
def f32_fma(a, b, c, rmode, ftz, sat):
    return _fma(a, b, c, _P_FP32, rmode, ftz, sat)


@njit(cache=True)
def f32_div(a, b, rmode, ftz):
    """div.rnd{.ftz}.f32: correctly rounded (not div.approx / div.full)."""
    return _div(a, b, _P_FP32, rmode, ftz, SAT_NONE)


@njit(cache=True)
def f32_sqrt(a, rmode, ftz):
    """sqrt.rnd{.ftz}.f32: correctly rounded."""
    return _sqrt(a, _P_FP32, rmode, ftz, SAT_NONE)


@njit(cache=True)
def f32_rcp(a, rmode, ftz):
    """rcp.rnd{.ftz}.f32: correctly rounded 1/a."""
    return _div(int(0x3F800000), a, _P_FP32, rmode, ftz, SAT_NONE)


# ================================================================ FP64
@njit(cache=True)
def f64_add(a, b, rmode):
    return np.uint64(_add(a, b, int(0), _P_FP64, rmode, False, SAT_NONE))


@njit(cache=True)
def f64_sub(a, b, rmode):
    return np.uint64(_add(a, b, int(1), _P_FP64, rmode, False, SAT_NONE))


@njit(cache=True)
def f64_mul(a, b, rmode):
    return np.uint64(_mul(a, b, _P_FP64, rmode, False, SAT_NONE))


@njit(cache=True)
def f64_fma(a, b, c, rmode):
    return np.uint64(_fma(a, b, c, _P_FP64, rmode, False, SAT_NONE))


@njit(cache=True)
def f64_div(a, b, rmode):
    return np.uint64(_div(a, b, _P_FP64, rmode, False, SAT_NONE))


@njit(cache=True)
def f64_sqrt(a, rmode):
    return np.uint64(_sqrt(a, _P_FP64, rmode, False, SAT_NONE))


@njit(cache=True)
def f64_rcp(a, rmode):
    return np.uint64(_div(int(0x3FF0000000000000), a, _P_FP64, rmode, False, SAT_NONE))
