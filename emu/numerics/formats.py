"""Floating-point formats as parameters, and the exact ("living definition") rounding.

Every reduced-precision format the emulator knows is one row of ``FORMATS``,
described by its exponent width, fraction width, bias, whether it has
infinities and how it encodes NaN. Everything else (emin, emax, the largest
finite value, the smallest subnormal) is derived from those parameters.

This module also holds the slow, exact reference: decoding a bit pattern to a
``fractions.Fraction`` and rounding an exact value to any format in any
rounding mode. The fast ``@njit`` functions in ``emu.numerics.scalar`` are
tested against it.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
import math

import numpy as np

# Rounding modes, as PTX names them (``cvt.rn``, ``.rz``, ``.rm``, ``.rp``, ``.rna``).
ROUND_RN = 0   # to nearest, ties to even
ROUND_RZ = 1   # toward zero
ROUND_RM = 2   # toward -infinity
ROUND_RP = 3   # toward +infinity
ROUND_RNA = 4  # to nearest, ties away from zero

ROUNDING_MODES = {"rn": ROUND_RN, "rz": ROUND_RZ, "rm": ROUND_RM, "rp": ROUND_RP, "rna": ROUND_RNA}

# Saturation modifiers, a bit mask (they combine: ``cvt.rn.satfinite.relu``).
SAT_NONE = 0
SAT_UNIT = 1    # PTX ``.sat``: clamp to [+0.0, 1.0]; NaN -> +0.0
SAT_FINITE = 2  # PTX ``.satfinite``: clamp to [-max finite, +max finite]; NaN stays NaN
SAT_RELU = 4    # PTX ``.relu``: negative results (and -0.0) -> +0.0; NaN -> canonical NaN

# NaN encodings.
NAN_IEEE = "ieee"      # exponent all ones, fraction non-zero (fraction 0 is infinity)
NAN_ALL_ONES = "fn"    # only S.1111.111 is NaN; other all-ones exponents are finite (OCP E4M3)


@dataclass(frozen=True)
class Format:
    """A binary floating-point format.

    A finite value is ``(-1)^sign * significand * 2^exponent`` with an integer
    significand of ``fraction_bits + 1`` bits (the implicit bit is 1 for normal
    numbers, 0 for subnormals, whose biased exponent field is 0).

    ``container_bits`` is the width of the register or memory word the format
    lives in: TF32 is a 19-bit format kept in the top 19 bits of a 32-bit word,
    whose low 13 bits are zero (``container_shift`` = 13).
    """
    name: str
    exponent_bits: int
    fraction_bits: int
    bias: int
    has_infinity: bool
    nan_encoding: str
    canonical_nan: int           # the NaN pattern arithmetic produces, in the container
    container_bits: int = 0      # 0: the format's own width

    def __post_init__(self):
        if self.container_bits == 0:
            object.__setattr__(self, "container_bits", self.total_bits)
        assert self.container_bits >= self.total_bits
        assert self.nan_encoding in (NAN_IEEE, NAN_ALL_ONES)
        assert self.has_infinity == (self.nan_encoding == NAN_IEEE)
        assert is_nan(self.canonical_nan, self)

    # ---------------------------------------------------------- derived values
    @property
    def total_bits(self) -> int:
        return 1 + self.exponent_bits + self.fraction_bits

    @property
    def precision(self) -> int:
        """Significand bits, implicit bit included (24 for FP32)."""
        return self.fraction_bits + 1

    @property
    def container_shift(self) -> int:
        return self.container_bits - self.total_bits

    @property
    def exponent_field_max(self) -> int:
        return (1 << self.exponent_bits) - 1

    @property
    def emin(self) -> int:
        """Unbiased exponent of the smallest normal number."""
        return 1 - self.bias

    @property
    def emax(self) -> int:
        """Unbiased exponent of the largest finite number.

        IEEE formats reserve the all-ones exponent for infinities and NaNs;
        OCP E4M3 uses it for finite numbers except S.1111.111.
        """
        top = self.exponent_field_max - (1 if self.nan_encoding == NAN_IEEE else 0)
        return top - self.bias

    @property
    def max_significand(self) -> int:
        """Integer significand of the largest finite number.

        The fraction is all ones, except in E4M3, where S.1111.111 is NaN and max is S.1111.110.
        """
        full = (1 << self.precision) - 1
        return full if self.nan_encoding == NAN_IEEE else full - 1

    @property
    def max_finite(self) -> Fraction:
        return Fraction(self.max_significand) * Fraction(2) ** (self.emax - self.fraction_bits)

    @property
    def min_normal(self) -> Fraction:
        return Fraction(2) ** self.emin

    @property
    def min_subnormal(self) -> Fraction:
        return Fraction(2) ** (self.emin - self.fraction_bits)

    @property
    def max_finite_bits(self) -> int:
        """Bit pattern (in the container) of +max finite."""
        field = self.emax + self.bias
        frac = self.max_significand - (1 << self.fraction_bits)
        return ((field << self.fraction_bits) | frac) << self.container_shift

    @property
    def inf_bits(self) -> int:
        """Bit pattern of +infinity; -1 for formats without infinities."""
        if not self.has_infinity:
            return -1
        return (self.exponent_field_max << self.fraction_bits) << self.container_shift

    @property
    def sign_bit(self) -> int:
        return 1 << (self.container_bits - 1)


# ------------------------------------------------------------ classification
def _fields(bits: int, fmt: Format) -> tuple[int, int, int]:
    """(sign, biased exponent field, fraction field) of a container pattern."""
    assert 0 <= bits < (1 << fmt.container_bits), f"{bits:#x} does not fit {fmt.name}"
    assert bits & ((1 << fmt.container_shift) - 1) == 0, f"{bits:#x}: low bits of {fmt.name} must be 0"
    bits >>= fmt.container_shift
    frac = bits & ((1 << fmt.fraction_bits) - 1)
    field = (bits >> fmt.fraction_bits) & fmt.exponent_field_max
    sign = bits >> (fmt.total_bits - 1)
    return sign, field, frac


def is_nan(bits: int, fmt: Format) -> bool:
    _, field, frac = _fields(bits, fmt)
    if field != fmt.exponent_field_max:
        return False
    if fmt.nan_encoding == NAN_IEEE:
        return frac != 0
    return frac == (1 << fmt.fraction_bits) - 1


def is_inf(bits: int, fmt: Format) -> bool:
    _, field, frac = _fields(bits, fmt)
    return fmt.has_infinity and field == fmt.exponent_field_max and frac == 0


# ------------------------------------------------------------------ the table
FP32 = Format("fp32", 8, 23, 127, True, NAN_IEEE, 0x7FFFFFFF)
FP64 = Format("fp64", 11, 52, 1023, True, NAN_IEEE, 0x7FFFFFFFFFFFFFFF)
FP16 = Format("fp16", 5, 10, 15, True, NAN_IEEE, 0x7FFF)
BF16 = Format("bf16", 8, 7, 127, True, NAN_IEEE, 0x7FFF)
TF32 = Format("tf32", 8, 10, 127, True, NAN_IEEE, 0x7FFFE000, container_bits=32)
E4M3 = Format("e4m3", 4, 3, 7, False, NAN_ALL_ONES, 0x7F)
E5M2 = Format("e5m2", 5, 2, 15, True, NAN_IEEE, 0x7F)

FORMATS: dict[str, Format] = {f.name: f for f in (FP32, FP64, FP16, BF16, TF32, E4M3, E5M2)}

# The smallest normal magnitudes as exact floats, for the .ftz / testp thresholds of the jitted
# engine (numba reads module globals as compile-time constants); tests check them against
# ``FORMAT.min_normal``.
F16_MIN_NORMAL = float.fromhex("0x1p-14")
F32_MIN_NORMAL = float.fromhex("0x1p-126")
F64_MIN_NORMAL = float.fromhex("0x1p-1022")


# ------------------------------------------------------------------- decode
def decode(bits: int, fmt: Format) -> tuple[str, int, int, int]:
    """Exact decode: ``(kind, sign, significand, exponent)``.

    ``kind`` is ``"finite"``, ``"inf"`` or ``"nan"``. For finite values the
    value is ``(-1)^sign * significand * 2^exponent`` exactly, with the
    significand an integer of at most ``precision`` bits (0 for zeros).
    """
    sign, field, frac = _fields(bits, fmt)
    if is_nan(bits, fmt):
        return "nan", sign, 0, 0
    if is_inf(bits, fmt):
        return "inf", sign, 0, 0
    if field == 0:
        return "finite", sign, frac, fmt.emin - fmt.fraction_bits
    return "finite", sign, frac | (1 << fmt.fraction_bits), field - fmt.bias - fmt.fraction_bits


def to_fraction(bits: int, fmt: Format) -> Fraction:
    """The exact value of a finite pattern (the sign of zero is lost)."""
    kind, sign, sig, exp = decode(bits, fmt)
    if kind != "finite":
        raise ValueError(f"{bits:#x} is {kind} in {fmt.name}")
    value = Fraction(sig) * Fraction(2) ** exp
    return -value if sign else value


def to_float(bits: int, fmt: Format) -> float:
    """The value as a Python float: exact for every format here (all fit in FP64)."""
    kind, sign, _, _ = decode(bits, fmt)
    if kind == "nan":
        return math.nan
    if kind == "inf":
        return -math.inf if sign else math.inf
    return math.copysign(float(to_fraction(bits, fmt)), -1.0 if sign else 1.0)


# ---------------------------------------------------------- exact rounding
def _encode_finite(sign: int, sig: int, exp: int, fmt: Format) -> int:
    """Pack a value that is exactly representable: sig * 2^exp with sig < 2^precision after normalising."""
    if sig == 0:
        return sign << (fmt.container_bits - 1)
    # Normalise to a significand of exactly `precision` bits, or a subnormal.
    shift = fmt.precision - sig.bit_length()
    if exp - shift < fmt.emin - fmt.fraction_bits:
        shift = exp - (fmt.emin - fmt.fraction_bits)
    sig, exp = (sig << shift, exp - shift) if shift >= 0 else (sig >> -shift, exp - shift)
    if sig >> fmt.fraction_bits:
        field = exp + fmt.fraction_bits + fmt.bias
        frac = sig - (1 << fmt.fraction_bits)
    else:
        field, frac = 0, sig
    pattern = (sign << (fmt.total_bits - 1)) | (field << fmt.fraction_bits) | frac
    return pattern << fmt.container_shift


def round_fraction(value: Fraction, fmt: Format, rmode: int = ROUND_RN, *, negative: bool | None = None,
                   ftz: bool = False, sat: int = SAT_NONE) -> int:
    """Round an exact value to ``fmt``; return the bit pattern (in the container).

    This is the reference every fast path is tested against. It follows, in order:

    1. ``.relu`` (``SAT_RELU``): a negative value becomes +0.0.
    2. ``.sat`` (``SAT_UNIT``): clamp to [0, 1] before rounding (both ends are exact).
    3. Round to ``precision`` bits with an unbounded exponent range, except that
       results below 2^emin are rounded at the subnormal quantum 2^(emin - fraction_bits).
    4. ``ftz``: a result with magnitude below 2^emin (subnormal, tininess detected
       after rounding) becomes a zero of the same sign.
    5. Overflow: a rounded result above max finite becomes infinity or max finite as
       IEEE 754 prescribes for the rounding mode (RN/RNA -> inf, RZ -> max,
       RM -> max for positive / -inf for negative, RP the mirror). ``.satfinite``
       always gives max finite. A format without infinities (E4M3) gives NaN
       where infinity would be due (OCP convention; PTX only has ``.satfinite`` for it).

    ``negative`` gives the sign of a zero value (a Fraction has no -0); it is
    ignored for non-zero values.
    """
    sign = int(value < 0) if value != 0 or negative is None else int(negative)
    if sat & SAT_RELU and sign:
        value, sign = Fraction(0), 0
    if sat & SAT_UNIT:
        if value <= 0:
            value, sign = Fraction(0), 0
        elif value > 1:
            value = Fraction(1)
    mag = abs(value)
    if mag == 0:
        return _encode_finite(sign, 0, 0, fmt)
    # Exponent of the leading bit: 2^e <= mag < 2^(e+1).
    e = mag.numerator.bit_length() - mag.denominator.bit_length()
    if Fraction(2) ** e > mag:
        e -= 1
    quantum_exp = max(e, fmt.emin) - fmt.fraction_bits
    scaled = mag / Fraction(2) ** quantum_exp      # the value in units of the last place
    floor = scaled.numerator // scaled.denominator
    rest = scaled - floor
    if rmode == ROUND_RN:
        up = rest > Fraction(1, 2) or (rest == Fraction(1, 2) and floor & 1)
    elif rmode == ROUND_RNA:
        up = rest >= Fraction(1, 2)
    elif rmode == ROUND_RZ:
        up = False
    elif rmode == ROUND_RP:
        up = rest != 0 and not sign
    elif rmode == ROUND_RM:
        up = rest != 0 and bool(sign)
    else:
        raise ValueError(f"unknown rounding mode {rmode}")
    sig = floor + int(up)
    rounded = Fraction(sig) * Fraction(2) ** quantum_exp
    if ftz and rounded < fmt.min_normal:
        return _encode_finite(sign, 0, 0, fmt)
    if rounded > fmt.max_finite:
        to_max = (sat & SAT_FINITE or rmode == ROUND_RZ
                  or (rmode == ROUND_RM and not sign) or (rmode == ROUND_RP and sign))
        if to_max:
            return fmt.max_finite_bits | (fmt.sign_bit if sign else 0)
        if not fmt.has_infinity:
            return fmt.canonical_nan | (fmt.sign_bit if sign else 0)
        return fmt.inf_bits | (fmt.sign_bit if sign else 0)
    return _encode_finite(sign, sig, quantum_exp, fmt)


def round_float(x: float, fmt: Format, rmode: int = ROUND_RN, *, ftz: bool = False, sat: int = SAT_NONE) -> int:
    """Round a Python float (FP64 value, including inf and NaN) to ``fmt``.

    NaN gives the format's canonical NaN (+0.0 under ``SAT_UNIT``). Infinities
    follow ``.sat`` (-> 0 or 1), ``.satfinite`` (-> max finite) and ``.relu``
    (-inf -> +0), else stay infinite (NaN for E4M3).
    """
    if math.isnan(x):
        if sat & SAT_UNIT:
            return 0
        return fmt.canonical_nan
    negative = math.copysign(1.0, x) < 0
    if math.isinf(x):
        if sat & (SAT_RELU | SAT_UNIT) and negative:
            return 0
        if sat & SAT_UNIT:
            return round_fraction(Fraction(1), fmt, rmode)
        if sat & SAT_FINITE:
            return fmt.max_finite_bits | (fmt.sign_bit if negative else 0)
        if not fmt.has_infinity:
            return fmt.canonical_nan | (fmt.sign_bit if negative else 0)
        return fmt.inf_bits | (fmt.sign_bit if negative else 0)
    return round_fraction(Fraction(x), fmt, rmode, negative=negative, ftz=ftz, sat=sat)


# --------------------------------------------------- exact reference arithmetic
def _nan_result(fmt: Format, sat: int) -> int:
    return 0 if sat & SAT_UNIT else fmt.canonical_nan


def _sqrt_fraction(value: Fraction, fmt: Format) -> Fraction:
    """A stand-in for sqrt(value) that rounds like it in ``fmt``, in every mode.

    With r = floor(sqrt(value) * 2^k), sqrt(value) is r / 2^k exactly or lies strictly
    inside (r, r + 1) / 2^k. For k far beyond the format's finest quantum no rounding
    boundary lies strictly inside that interval, so its midpoint rounds the same way.
    """
    k = 2 * (fmt.fraction_bits - fmt.emin) + 64
    scaled = value * Fraction(4) ** k
    r = math.isqrt(scaled.numerator // scaled.denominator)
    if Fraction(r * r) == scaled:
        return Fraction(r, 2 ** k)
    return Fraction(2 * r + 1, 2 ** (k + 1))


def reference_op(op: str, operands: tuple[int, ...], fmt: Format, rmode: int = ROUND_RN, *,
                 ftz: bool = False, sat: int = SAT_NONE) -> int:
    """A PTX arithmetic instruction on bit patterns, computed exactly and rounded once.

    ``op`` is one of add, sub, mul, fma (a * b + c), div, sqrt, rcp. This is the
    living definition the fast kernels in ``emu.numerics.scalar`` are tested
    against. Special values follow IEEE 754 (found by running the operation on
    stand-ins: each finite non-zero operand as ±1.0); NaN results are canonical.
    """
    kinds, signs, values = [], [], []
    for bits in operands:
        kind, sign, sig, _ = decode(bits, fmt)
        if kind == "finite" and ftz and sig < (1 << fmt.fraction_bits):
            sig = 0
        kinds.append(kind)
        signs.append(sign)
        values.append(Fraction(0) if kind != "finite" or sig == 0 else to_fraction(bits, fmt))
    if "nan" in kinds:
        return _nan_result(fmt, sat)
    one = Fraction(1)
    if "inf" in kinds or (op in ("div", "rcp") and values[-1] == 0):
        stand_ins = [math.copysign(math.inf if k == "inf" else (0.0 if v == 0 else 1.0), -1.0 if s else 1.0)
                     for k, s, v in zip(kinds, signs, values)]
        with np.errstate(all="ignore"):
            x = [np.float64(v) for v in stand_ins]
            special = {"add": lambda: x[0] + x[1], "sub": lambda: x[0] - x[1], "mul": lambda: x[0] * x[1],
                       "fma": lambda: x[0] * x[1] + x[2], "div": lambda: x[0] / x[1],
                       "sqrt": lambda: np.sqrt(x[0]), "rcp": lambda: np.float64(1.0) / x[0]}[op]()
        return round_float(float(special), fmt, rmode, ftz=ftz, sat=sat)
    if op in ("add", "sub", "fma"):
        # Two signed terms, each with the sign its zero would carry.
        if op == "fma":
            terms = [(values[0] * values[1], signs[0] ^ signs[1]), (values[2], signs[2])]
        elif op == "add":
            terms = [(values[0], signs[0]), (values[1], signs[1])]
        else:
            terms = [(values[0], signs[0]), (-values[1], 1 - signs[1])]
        value = terms[0][0] + terms[1][0]
        if terms[0][0] == 0 and terms[1][0] == 0 and terms[0][1] == terms[1][1]:
            zero_negative = bool(terms[0][1])
        else:
            zero_negative = rmode == ROUND_RM
    elif op == "mul":
        value, zero_negative = values[0] * values[1], bool(signs[0] ^ signs[1])
    elif op == "div":
        value, zero_negative = values[0] / values[1], bool(signs[0] ^ signs[1])
    elif op == "rcp":
        value, zero_negative = one / values[0], bool(signs[0])
    elif op == "sqrt":
        if values[0] < 0:
            return _nan_result(fmt, sat)
        value, zero_negative = _sqrt_fraction(values[0], fmt), bool(signs[0])
    else:
        raise ValueError(f"unknown operation {op}")
    return round_fraction(value, fmt, rmode, negative=zero_negative, ftz=ftz, sat=sat)
