"""Hypothesis strategies for the floating-point formats emu models, for property tests.

    from hypothesis import given
    from emu import testing

    @given(testing.values("bf16"), testing.values("bf16"))
    def test_bf16_add_commutes(x, y): ...

Formats: "fp32", "tf32", "fp16", "bf16", "e4m3", "e5m2" (``emu.numerics.formats``).

- ``bits(fmt)``: bit patterns as Python ints, in the format's container (a
  TF32 pattern is the FP32 word with its low 13 bits zero);
- ``values(fmt)``: numpy scalars (float32, float16, ml_dtypes bfloat16 /
  float8_e4m3fn / float8_e5m2; TF32 as float32);
- ``arrays(fmt, shape)``: numpy arrays of such values.

Uniformly random patterns rarely hit the values where rounding code goes
wrong, so each draw comes, about equally often, from: the format's special
values (``special_bits``: signed zeros, infinities, NaNs with several
payloads, the extremes of the normal and subnormal ranges, ±1), subnormals,
normal numbers with a uniformly drawn exponent (every binade equally likely),
and any pattern at all. Shrinking goes toward the special values, +0 first.
``allow_nan``, ``allow_infinity`` and ``allow_subnormal`` remove categories
(a subnormal is a nonzero value below the smallest normal; zeros stay).
"""
from __future__ import annotations

import ml_dtypes
import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from emu.numerics.formats import FORMATS, NAN_IEEE, Format, is_inf, is_nan

NAMES = ("fp32", "tf32", "fp16", "bf16", "e4m3", "e5m2")
DTYPES = {"fp32": np.float32, "tf32": np.float32, "fp16": np.float16, "bf16": ml_dtypes.bfloat16,
          "e4m3": ml_dtypes.float8_e4m3fn, "e5m2": ml_dtypes.float8_e5m2}
_UINT = {8: np.uint8, 16: np.uint16, 32: np.uint32}


def _format(name: str) -> Format:
    if name not in NAMES:
        raise ValueError(f"unknown format {name!r}; known: {', '.join(NAMES)}")
    return FORMATS[name]


def _pattern(fmt: Format, sign: int, field: int, fraction: int) -> int:
    bits = (sign << (fmt.total_bits - 1)) | (field << fmt.fraction_bits) | fraction
    return bits << fmt.container_shift


def is_subnormal(bits: int, fmt: Format) -> bool:
    """Nonzero with a zero exponent field."""
    raw = bits >> fmt.container_shift
    field = (raw >> fmt.fraction_bits) & fmt.exponent_field_max
    return field == 0 and (raw & ((1 << fmt.fraction_bits) - 1)) != 0


def _allowed(fmt: Format, allow_nan: bool, allow_infinity: bool, allow_subnormal: bool):
    def allowed(bits: int) -> bool:
        return ((allow_nan or not is_nan(bits, fmt)) and (allow_infinity or not is_inf(bits, fmt))
                and (allow_subnormal or not is_subnormal(bits, fmt)))
    return allowed


def special_bits(name: str, *, allow_nan: bool = True, allow_infinity: bool = True,
                 allow_subnormal: bool = True) -> tuple[int, ...]:
    """The format's values where conversion and arithmetic code tends to go wrong, both signs, +0 first."""
    fmt = _format(name)
    fraction_max = (1 << fmt.fraction_bits) - 1
    top = fmt.exponent_field_max
    magnitudes = [
        0,                                           # zero
        _pattern(fmt, 0, fmt.bias, 0),               # 1.0
        _pattern(fmt, 0, 1, 0),                      # smallest normal
        _pattern(fmt, 0, 0, 1),                      # smallest subnormal
        _pattern(fmt, 0, 0, fraction_max),           # largest subnormal
        fmt.max_finite_bits,                         # largest finite
    ]
    if fmt.has_infinity:
        magnitudes.append(fmt.inf_bits)
    if fmt.nan_encoding == NAN_IEEE:                 # quiet, signalling-style and all-ones payloads
        magnitudes += sorted({_pattern(fmt, 0, top, f) for f in (1 << (fmt.fraction_bits - 1), 1, fraction_max)})
    else:
        magnitudes.append(fmt.canonical_nan)
    patterns = [m | s for m in magnitudes for s in (0, fmt.sign_bit)]
    allowed = _allowed(fmt, allow_nan, allow_infinity, allow_subnormal)
    return tuple(p for p in dict.fromkeys(patterns) if allowed(p))


@st.composite
def _normal(draw, fmt: Format):
    field_max = fmt.exponent_field_max - (1 if fmt.nan_encoding == NAN_IEEE else 0)
    field = draw(st.integers(1, field_max))
    fraction_max = (1 << fmt.fraction_bits) - 1
    if fmt.nan_encoding != NAN_IEEE and field == fmt.exponent_field_max:
        fraction_max -= 1                            # E4M3: S.1111.111 is NaN
    return _pattern(fmt, draw(st.integers(0, 1)), field, draw(st.integers(0, fraction_max)))


def bits(name: str, *, allow_nan: bool = True, allow_infinity: bool = True,
         allow_subnormal: bool = True) -> st.SearchStrategy[int]:
    """Bit patterns of format ``name`` (Python ints in the format's container)."""
    fmt = _format(name)
    allowed = _allowed(fmt, allow_nan, allow_infinity, allow_subnormal)
    parts = [st.sampled_from(special_bits(name, allow_nan=allow_nan, allow_infinity=allow_infinity,
                                          allow_subnormal=allow_subnormal)),
             _normal(fmt)]
    if allow_subnormal:
        parts.append(st.builds(lambda sign, fraction: _pattern(fmt, sign, 0, fraction),
                               st.integers(0, 1), st.integers(1, (1 << fmt.fraction_bits) - 1)))
    parts.append(st.integers(0, (1 << fmt.total_bits) - 1).map(lambda raw: raw << fmt.container_shift)
                 .filter(allowed))
    return st.one_of(parts)


def _to_value(name: str):
    container = _UINT[FORMATS[name].container_bits]
    dtype = DTYPES[name]
    return lambda pattern: np.array(pattern, dtype=container).view(dtype)[()]


def values(name: str, **options) -> st.SearchStrategy:
    """numpy scalars of format ``name``; ``options`` as for ``bits``."""
    return bits(name, **options).map(_to_value(name))


def arrays(name: str, shape, **options) -> st.SearchStrategy[np.ndarray]:
    """numpy arrays of ``shape`` (an int, a tuple, or a strategy for either) holding format ``name``."""
    container = _UINT[FORMATS[name].container_bits]
    return hnp.arrays(container, shape, elements=bits(name, **options)).map(lambda a: a.view(DTYPES[name]))
