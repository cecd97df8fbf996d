"""cvt through the engine: every float <-> float, float <-> integer and integer -> float form,
against exact references (``fractions.Fraction`` values rounded by
``emu.numerics.formats.round_fraction``) and the PTX ISA rules:

- float -> float narrowing: .rn/.rz/.rm/.rp round once from the exact source value;
  .ftz flushes f32 subnormal inputs (f32 source) and results (f32 destination);
  .sat clamps to [0, 1] (NaN -> +0); .satfinite clamps to ±max finite; .relu clamps
  negatives to +0 (NaN -> canonical NaN).
- widening is exact; NaN results are checked by class (PTX: "For cvt.f32.bf16, NaN
  input yields unspecified NaN"; the engine returns canonical NaNs).
- float -> integer (.rni/.rzi/.rmi/.rpi): saturates to the destination range; NaN
  gives 0, except "1 << (BitWidth(dst) - 1)" when the source is .f64 or the
  destination .s64/.u64. The result is sign-/zero-extended into a wider register.
- integer -> float: one rounding from the exact integer (64-bit values included).
- cvt.rn.f16x2.f32 d, a, b puts a in the upper half.
- cvt.rni/.rzi/.rmi/.rpi with equal source and destination float types round to an
  integral value in that format (sign of zero kept).
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

from emu.numerics.formats import (BF16, FP16, FP32, FP64, SAT_FINITE, SAT_NONE, SAT_RELU, SAT_UNIT, TF32, Format,
                                  ROUNDING_MODES, decode, round_float, round_fraction)
from fp_isa_kit import (assert_bits_equal, bits_f32, exact, f32_bits, f64_bits, is_nan_bits, patterns, run,
                        special_patterns)

pytestmark = pytest.mark.both_paths   # each test runs [fast] and [reference]: see tests/conftest.py

# every example is a launch: no shrinking (the failure message lists the failing operands)
SETTINGS = dict(deadline=None, suppress_health_check=list(HealthCheck),
                phases=[Phase.explicit, Phase.reuse, Phase.generate])
FMT = {"f64": FP64, "f32": FP32, "f16": FP16, "bf16": BF16, "tf32": TF32}
REG = {"f64": "f64", "f32": "f32", "f16": "b16", "bf16": "b16", "tf32": "b32"}
N = 40
INTS = ["s8", "u8", "s16", "u16", "s32", "u32", "s64", "u64"]


# ------------------------------------------------------------------ references
def ref_float(bits: int, src: Format, dst: Format, mode: int, *, ftz_in=False, ftz_out=False, sat=SAT_NONE) -> int:
    """cvt of a float pattern to another float format: the exact value rounded once."""
    kind, sign, sig, exp = decode(bits, src)
    if kind == "nan":
        return 0 if sat & SAT_UNIT else dst.canonical_nan
    if kind == "inf":
        return round_float(-math.inf if sign else math.inf, dst, mode, sat=sat)
    if ftz_in and sig < (1 << src.fraction_bits):
        sig = 0
    v = Fraction(sig) * Fraction(2) ** exp
    return round_fraction(-v if sign else v, dst, mode, negative=bool(sign), ftz=ftz_out, sat=sat)


def round_integral(v: Fraction, irnd: str) -> int:
    fl = v.numerator // v.denominator
    if irnd == "rmi":
        return fl
    if irnd == "rpi":
        return fl if fl == v else fl + 1
    if irnd == "rzi":
        return fl if v >= 0 or fl == v else fl + 1
    rest = v - fl
    return fl + (1 if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and fl % 2) else 0)


def ref_int(bits: int, src: str, irnd: str, ity: str, ftz=False) -> int:
    """cvt.irnd.ity.src: round to an integer, saturate; NaN per the PTX rule; low bits of the result."""
    fmt = FMT[src]
    nbits = int(ity[1:])
    lo, hi = (-(1 << (nbits - 1)), (1 << (nbits - 1)) - 1) if ity[0] == "s" else (0, (1 << nbits) - 1)
    kind, sign, sig, exp = decode(bits, fmt)
    if kind == "nan":
        v = 1 << (nbits - 1) if (src == "f64" or nbits == 64) else 0
    elif kind == "inf":
        v = lo if sign else hi
    else:
        if ftz and sig < (1 << fmt.fraction_bits):
            sig = 0
        x = Fraction(sig) * Fraction(2) ** exp
        v = min(max(round_integral(-x if sign else x, irnd), lo), hi)
    return v & ((1 << nbits) - 1)


def int_value(bits: int, ity: str) -> int:
    n = int(ity[1:])
    bits &= (1 << n) - 1
    return bits - (1 << n) if ity[0] == "s" and bits >> (n - 1) else bits


# ------------------------------------------------------------------ adversarial values
@st.composite
def near_boundaries(draw, src: Format, dst: Format):
    """Source values exactly at a midpoint of ``dst`` (or a source ulp beside it), near dst's largest
    finite value and its subnormal range."""
    p = dst.precision
    kind = draw(st.integers(0, 2))
    if kind == 0:
        e = draw(st.integers(max(dst.emin, src.emin + p + 2) - 1, min(dst.emax, src.emax)))
    elif kind == 1:
        e = dst.emax
    else:
        lo = max(dst.emin - dst.fraction_bits - 2, src.emin)
        e = draw(st.integers(lo, max(lo, dst.emin)))
    e = max(min(e, src.emax), src.emin)
    m = draw(st.integers(1 << (p - 1), (1 << p) - 1))
    shift = src.precision - p - 1                     # room below the midpoint bit in the source
    mid = ((2 * m + 1) << shift) + draw(st.sampled_from([-1, 0, 0, 1]))
    if kind == 1 and draw(st.booleans()):
        mid = ((2 * ((1 << p) - 1) + 1) << shift) + draw(st.integers(-1, 1))    # max finite + half ulp
    return exact(src, draw(st.integers(0, 1)), mid, e - (p - 1) - 1 - shift)


def _values(src: Format, dst: Format | None, n=N):
    parts = [patterns(src)]
    if dst is not None and dst.precision < src.precision:
        parts.append(near_boundaries(src, dst))
    return st.lists(st.one_of(*parts), min_size=n, max_size=n)


# ------------------------------------------------------------------ float -> float
NARROWING = [("f64", "f32"), ("f64", "f16"), ("f64", "bf16"), ("f32", "f16"), ("f32", "bf16"), ("f16", "bf16"),
             ("bf16", "f16")]


def _narrowing_variants(src, dst):
    out = []
    for mode in ("rn", "rz", "rm", "rp"):
        for ftz in ((False, True) if "f32" in (src, dst) else (False,)):
            for sat in ("", "sat") + (("satfinite", "relu") if src == "f32" and dst in ("f16", "bf16")
                                      and mode in ("rn", "rz") else ()):
                if dst == "bf16" and sat == "sat":
                    continue                            # .sat applies to f16, f32, f64 destinations
                out.append((mode, ftz, sat))
    return out


@pytest.mark.parametrize("src, dst", NARROWING, ids=[f"{d}.{s}" for s, d in NARROWING])
@settings(max_examples=5, **SETTINGS)
@given(data=st.data())
def test_float_narrowing_every_mode(src, dst, data):
    values = data.draw(_values(FMT[src], FMT[dst]))
    variants = _narrowing_variants(src, dst)
    body, outs = [], {}
    for i, (mode, ftz, sat) in enumerate(variants):
        mods = f".{mode}" + (".ftz" if ftz else "") + (f".{sat}" if sat else "")
        body.append(f"cvt{mods}.{dst}.{src} %out{i}, %a;")
        outs[f"out{i}"] = REG[dst]
    got = run("\n".join(body), {"a": (REG[src], values)}, outs)
    for i, (mode, ftz, sat) in enumerate(variants):
        satv = {"": SAT_NONE, "sat": SAT_UNIT, "satfinite": SAT_FINITE, "relu": SAT_RELU}[sat]
        want = [ref_float(v, FMT[src], FMT[dst], ROUNDING_MODES[mode], ftz_in=ftz and src == "f32",
                          ftz_out=ftz and dst == "f32", sat=satv) for v in values]
        what = f"cvt.{mode}{'.ftz' if ftz else ''}{'.' + sat if sat else ''}.{dst}.{src}"
        # NaN by class, except .relu, whose NaN PTX defines as the canonical NaN
        assert_bits_equal(got[f"out{i}"], want, what, None if sat == "relu" else FMT[dst], (values,))


@settings(max_examples=5, **SETTINGS)
@given(values=_values(FP32, TF32))
def test_f32_to_tf32(values):
    """cvt.rna{.satfinite}.tf32.f32 and (sm_90) .rn/.rz: TF32 is the top 19 bits of an f32 word;
    the low 13 bits of the result are 0."""
    variants = [("rna", ""), ("rna", "satfinite"), ("rn", ""), ("rz", ""), ("rn", "relu")]
    body = "\n".join(f"cvt.{m}{'.' + s if s else ''}.tf32.f32 %out{i}, %a;" for i, (m, s) in enumerate(variants))
    got = run(body, {"a": ("f32", values)}, {f"out{i}": "b32" for i in range(len(variants))})
    for i, (mode, sat) in enumerate(variants):
        satv = {"": SAT_NONE, "satfinite": SAT_FINITE, "relu": SAT_RELU}[sat]
        want = [ref_float(v, FP32, TF32, ROUNDING_MODES[mode], sat=satv) for v in values]
        assert all(int(g) & 0x1FFF == 0 for g in got[f"out{i}"])
        assert_bits_equal(got[f"out{i}"], want, f"cvt.{mode}.{sat}.tf32.f32", None, (values,))


def test_widening_is_exact_exhaustive():
    """Every f16 and bf16 pattern to f32 and f64 (and with .ftz, which has nothing to flush);
    cvt.f32.f16 is exact. NaN by class."""
    h = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16)
    got = run("cvt.f32.f16 %a, %h;\ncvt.ftz.f32.f16 %b, %h;\ncvt.f64.f16 %c, %h;\n"
              "cvt.f32.bf16 %d, %h;\ncvt.f64.bf16 %e, %h;",
              {"h": ("b16", h)}, {"a": "f32", "b": "f32", "c": "f64", "d": "f32", "e": "f64"})
    f16 = h.view(np.float16)
    bf = (h.astype(np.uint32) << 16).view(np.float32)
    with np.errstate(invalid="ignore"):
        want = {"a": f16.astype(np.float32).view(np.uint32), "b": f16.astype(np.float32).view(np.uint32),
                "c": f16.astype(np.float64).view(np.uint64), "d": bf.view(np.uint32),
                "e": bf.astype(np.float64).view(np.uint64)}
    for k, w in want.items():
        fmt = FP64 if k in "ce" else FP32
        nan = np.isnan(w.view(np.float64 if fmt is FP64 else np.float32))
        assert np.array_equal(got[k][~nan], w[~nan]), k
        assert all(is_nan_bits(int(g), fmt) for g in got[k][nan]), k


def test_f32_to_f64_and_same_type_ftz_sat():
    """cvt.f64.f32 exact, .ftz flushes the f32 input; cvt.ftz.f32.f32 / cvt.sat.f32.f32 / cvt.sat.f64.f64."""
    rng = np.random.default_rng(11)
    a = np.concatenate([np.array(special_patterns(FP32), np.uint32),
                        rng.integers(0, 1 << 32, 1000, dtype=np.uint64).astype(np.uint32),
                        rng.integers(0, 1 << 23, 200).astype(np.uint32)])
    d = np.array([f64_bits(float(x)) if not np.isnan(x) else 0x7FF8000000000000 for x in a.view(np.float32)],
                 np.uint64)
    got = run("cvt.f64.f32 %w, %a;\ncvt.ftz.f64.f32 %wf, %a;\ncvt.ftz.f32.f32 %f, %a;\ncvt.sat.f32.f32 %s, %a;\n"
              "cvt.ftz.sat.f32.f32 %fs, %a;\ncvt.sat.f64.f64 %s64, %d;",
              {"a": ("f32", a), "d": ("f64", d)}, dict(w="f64", wf="f64", f="f32", s="f32", fs="f32", s64="f64"))
    for i, x in enumerate(int(v) for v in a):
        assert_bits_equal([got["w"][i]], [ref_float(x, FP32, FP64, 0)], "cvt.f64.f32", FP64, ([x],))
        assert_bits_equal([got["wf"][i]], [ref_float(x, FP32, FP64, 0, ftz_in=True)], "cvt.ftz.f64.f32", FP64,
                          ([x],))
        assert_bits_equal([got["f"][i]], [ref_float(x, FP32, FP32, 0, ftz_in=True)], "cvt.ftz.f32.f32", FP32, ([x],))
        assert int(got["s"][i]) == ref_float(x, FP32, FP32, 0, sat=SAT_UNIT), ("cvt.sat.f32.f32", hex(x))
        assert int(got["fs"][i]) == ref_float(x, FP32, FP32, 0, ftz_in=True, sat=SAT_UNIT), hex(x)
        assert int(got["s64"][i]) == ref_float(int(d[i]), FP64, FP64, 0, sat=SAT_UNIT), hex(int(d[i]))


def test_f32x2_to_f16x2_packs_a_high():
    """cvt.rn{.relu}{.satfinite}.f16x2.f32 d, a, b and .bf16x2: "the value converted from input a is
    stored in the upper half of d and the value converted from input b is stored in the lower half"."""
    rng = np.random.default_rng(12)
    vals = [f32_bits(v) for v in (1.0, -2.5, 65520.0, 1e6, -1e6, 2.0 ** -25, 0.1, -0.0)]
    vals += [int(x) for x in rng.integers(0, 1 << 32, 60, dtype=np.uint64)] + [0x7FC00000, 0xFF800000]
    a = vals
    b = vals[::-1]
    forms = [("rn", "", "f16"), ("rz", "", "f16"), ("rn", "relu", "f16"), ("rn", "satfinite", "f16"),
             ("rn", "", "bf16"), ("rz", "relu", "bf16"), ("rn", "satfinite", "bf16")]
    body = "\n".join(f"cvt.{m}{'.' + s if s else ''}.{t}x2.f32 %out{i}, %a, %b;" for i, (m, s, t) in enumerate(forms))
    got = run(body, {"a": ("f32", a), "b": ("f32", b)}, {f"out{i}": "b32" for i in range(len(forms))})
    for i, (mode, sat, t) in enumerate(forms):
        satv = {"": SAT_NONE, "satfinite": SAT_FINITE, "relu": SAT_RELU}[sat]
        for x, y, g in zip(a, b, got[f"out{i}"]):
            hi = ref_float(x, FP32, FMT[t], ROUNDING_MODES[mode], sat=satv)
            lo = ref_float(y, FP32, FMT[t], ROUNDING_MODES[mode], sat=satv)
            assert_bits_equal([int(g) >> 16, int(g) & 0xFFFF], [hi, lo], f"cvt.{mode}.{sat}.{t}x2.f32",
                              FMT[t] if sat != "relu" else None, ([x, y],))


# ------------------------------------------------------------------ round to an integral value (same type)
@st.composite
def integral_edges(draw, fmt: Format):
    """k + {0, ±1/4, ±1/2, ±3/4} and values at the last fractional exponents (2^(p-2) .. 2^(p+1))."""
    kind = draw(st.integers(0, 1))
    if kind == 0:
        k = draw(st.integers(-1000, 1000))
        v = Fraction(k) + Fraction(draw(st.sampled_from([0, 1, -1, 2, -2, 3, -3])), 4)
        return round_fraction(v, fmt, negative=v < 0 or (v == 0 and draw(st.booleans())))
    e = draw(st.integers(fmt.precision - 3, fmt.precision + 1))
    m = draw(st.integers(1 << (fmt.precision - 1), (1 << fmt.precision) - 1))
    return exact(fmt, draw(st.integers(0, 1)), m, e - (fmt.precision - 1))


@pytest.mark.parametrize("ty", ["f32", "f64", "f16"])
@settings(max_examples=5, **SETTINGS)
@given(data=st.data())
def test_round_to_integral(ty, data):
    """cvt.rni/rzi/rmi/rpi{.ftz}{.sat}.T.T: an integral value in the same format; -0.4 -> -0.0;
    huge values (beyond 2^63) stay; inf stays; NaN -> NaN (.sat: +0)."""
    fmt = FMT[ty]
    values = data.draw(st.lists(st.one_of(patterns(fmt), integral_edges(fmt)), min_size=N, max_size=N))
    variants = [(r, f, s) for r in ("rni", "rzi", "rmi", "rpi") for f in ((False, True) if ty == "f32" else (False,))
                for s in (False, True)]
    body = "\n".join(f"cvt.{r}{'.ftz' if f else ''}{'.sat' if s else ''}.{ty}.{ty} %out{i}, %a;"
                     for i, (r, f, s) in enumerate(variants))
    got = run(body, {"a": (REG[ty], values)}, {f"out{i}": REG[ty] for i in range(len(variants))})
    for i, (irnd, ftz, sat) in enumerate(variants):
        want = []
        for v in values:
            kind, sign, sig, exp = decode(v, fmt)
            if kind != "finite":
                want.append(ref_float(v, fmt, fmt, 0, sat=SAT_UNIT if sat else 0))
                continue
            if ftz and sig < (1 << fmt.fraction_bits):
                sig = 0
            x = Fraction(sig) * Fraction(2) ** exp
            r = round_integral(-x if sign else x, irnd)
            want.append(round_fraction(Fraction(r), fmt, negative=bool(sign), sat=SAT_UNIT if sat else 0))
        assert_bits_equal(got[f"out{i}"], want, f"cvt.{irnd}{'.ftz' if ftz else ''}{'.sat' if sat else ''}.{ty}.{ty}",
                          fmt, (values,))


# ------------------------------------------------------------------ float -> integer
@st.composite
def int_edges(draw, src: Format):
    """Halfway cases and values at the ends of every integer range, where they fit the source."""
    kind = draw(st.integers(0, 1))
    if kind == 0:
        v = Fraction(draw(st.integers(-300, 300)), 2) + Fraction(draw(st.sampled_from([0, 0, 1, -1])), 8)
    else:
        n = draw(st.sampled_from([8, 16, 32, 64]))
        v = Fraction(draw(st.sampled_from([1 << (n - 1), 1 << n, -(1 << (n - 1))])) + draw(st.integers(-2, 2)))
        v += Fraction(draw(st.sampled_from([0, 1, -1])), 2)
    return round_fraction(v, src, negative=v < 0)


@pytest.mark.parametrize("src", ["f32", "f64", "f16", "bf16"])
@settings(max_examples=5, **SETTINGS)
@given(data=st.data())
def test_float_to_int_every_mode_and_type(src, data):
    fmt = FMT[src]
    values = data.draw(st.lists(st.one_of(patterns(fmt), int_edges(fmt)), min_size=N, max_size=N))
    variants = [(r, t, f) for r in ("rni", "rzi", "rmi", "rpi") for t in INTS
                for f in ((False, True) if src == "f32" else (False,))]
    body = "\n".join(f"cvt.{r}{'.ftz' if f else ''}.{t}.{src} %out{i}, %a;" for i, (r, t, f) in enumerate(variants))
    got = run(body, {"a": (REG[src], values)}, {f"out{i}": t for i, (_, t, _) in enumerate(variants)})
    for i, (irnd, ity, ftz) in enumerate(variants):
        want = [ref_int(v, src, irnd, ity, ftz) for v in values]
        assert_bits_equal(got[f"out{i}"], want, f"cvt.{irnd}{'.ftz' if ftz else ''}.{ity}.{src}", None, (values,))


def test_float_to_int_edges_and_extension():
    """Saturation at both ends, NaN (0, or 1 << (width-1) from f64 / to 64-bit), -0.5 -> 0, .ftz on a
    subnormal with rpi/rmi, .sat (redundant), and the 8/16-bit result sign-/zero-extended into a
    32-bit register."""
    vals = [math.nan, math.inf, -math.inf, 3e9, -3e9, 2.0 ** 31, -(2.0 ** 31), 2.0 ** 31 - 128, 2.0 ** 63,
            2.0 ** 64, -(2.0 ** 63), 1e30, -0.5, 0.5, 1.5, 2.5, -1.5, 127.5, 128.0, -128.5, 255.5, 65535.5,
            2.0 ** -149, -(2.0 ** -149), -0.0]
    a = [f32_bits(v) for v in vals]
    d = [f64_bits(v) for v in vals]
    forms = [(r, t) for r in ("rni", "rzi", "rmi", "rpi") for t in INTS]
    body = [f"cvt.{r}.{t}.f32 %f{i}, %a;\ncvt.{r}.{t}.f64 %d{i}, %b;" for i, (r, t) in enumerate(forms)]
    wide = [("rni", "s8"), ("rzi", "u8"), ("rmi", "s16"), ("rpi", "u16")]
    body += [f"cvt.{r}.{t}.f32 %w{i}, %a;" for i, (r, t) in enumerate(wide)]
    body += ["cvt.rpi.ftz.s32.f32 %fz1, %a;", "cvt.rmi.ftz.s32.f32 %fz2, %a;", "cvt.rzi.sat.s32.f32 %st, %a;"]
    outs = {f"f{i}": t for i, (_, t) in enumerate(forms)}
    outs.update({f"d{i}": t for i, (_, t) in enumerate(forms)})
    outs.update({f"w{i}": "b32" for i in range(len(wide))})
    outs.update(fz1="s32", fz2="s32", st="s32")
    got = run("\n".join(body), {"a": ("f32", a), "b": ("f64", d)}, outs)
    for i, (irnd, ity) in enumerate(forms):
        assert_bits_equal(got[f"f{i}"], [ref_int(x, "f32", irnd, ity) for x in a], f"cvt.{irnd}.{ity}.f32", None, (a,))
        assert_bits_equal(got[f"d{i}"], [ref_int(x, "f64", irnd, ity) for x in d], f"cvt.{irnd}.{ity}.f64", None, (d,))
    assert int(got["d4"][0]) == 0x80000000 and int(got["f4"][0]) == 0          # NaN: s32 from f64 / f32
    assert int(got["f6"][0]) == 0x8000000000000000                               # NaN: s64 from f32
    for i, (irnd, ity) in enumerate(wide):
        n = int(ity[1:])
        for x, g in zip(a, got[f"w{i}"]):
            v = int_value(ref_int(x, "f32", irnd, ity), ity)
            assert int(g) == v & 0xFFFFFFFF, (irnd, ity, bits_f32(x), hex(int(g)))   # extended per signedness
    for x, g1, g2, g3 in zip(a, got["fz1"], got["fz2"], got["st"]):
        assert int(g1) == ref_int(x, "f32", "rpi", "s32", ftz=True), bits_f32(x)
        assert int(g2) == ref_int(x, "f32", "rmi", "s32", ftz=True), bits_f32(x)
        assert int(g3) == ref_int(x, "f32", "rzi", "s32"), bits_f32(x)
    tiny = vals.index(2.0 ** -149)
    assert int(got["fz1"][tiny]) == 0 and int(got[f"f{forms.index(('rpi', 's32'))}"][tiny]) == 1


# ------------------------------------------------------------------ integer -> float
@st.composite
def int_patterns(draw, ity: str):
    """Raw integer patterns: uniform, short, and values one off a rounding midpoint of f16/bf16/f32/f64."""
    n = int(ity[1:])
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(st.integers(0, (1 << n) - 1))
    if kind == 1:
        return draw(st.integers(0, (1 << draw(st.integers(1, n))) - 1))
    if kind == 2:
        p = draw(st.sampled_from([p for p in (8, 11, 24, 53) if p + 2 <= n] or [n - 2]))
        s = draw(st.integers(1, n - p - 1))
        m = draw(st.integers(1 << (p - 1), (1 << p) - 1))
        v = (m << s) + (1 << (s - 1)) + draw(st.sampled_from([-1, 0, 1]))
        return (-v if draw(st.booleans()) else v) & ((1 << n) - 1)
    return draw(st.sampled_from([0, 1, (1 << n) - 1, 1 << (n - 1), (1 << (n - 1)) - 1, (1 << (n - 1)) + 1]))


@pytest.mark.parametrize("ity", INTS)
@settings(max_examples=5, **SETTINGS)
@given(data=st.data())
def test_int_to_float_every_mode(ity, data):
    values = data.draw(st.lists(int_patterns(ity), min_size=N, max_size=N))
    variants = [(d, m) for d in ("f64", "f32", "f16", "bf16") for m in ("rn", "rz", "rm", "rp")]
    body = "\n".join(f"cvt.{m}.{d}.{ity} %out{i}, %a;" for i, (d, m) in enumerate(variants))
    got = run(body, {"a": (ity, values)}, {f"out{i}": REG[d] for i, (d, _) in enumerate(variants)})
    for i, (dst, mode) in enumerate(variants):
        want = [round_fraction(Fraction(int_value(v, ity)), FMT[dst], ROUNDING_MODES[mode]) for v in values]
        assert_bits_equal(got[f"out{i}"], want, f"cvt.{mode}.{dst}.{ity}", None, (values,))


def test_int64_to_half_is_one_rounding():
    """A 64-bit integer has more bits than f64: going through a truncated f64 would lose the sticky
    bits (double rounding); the result must be the single rounding of the exact integer."""
    cases = [("s64", 0x2A200000000001, "rn", "bf16"), ("u64", 0x8000000000000001, "rp", "bf16"),
             ("u64", 0x8000000000000001, "rp", "f16"), ("s64", -0x2A200000000001, "rm", "bf16"),
             ("u64", (1 << 63) + (1 << 55) + 1, "rn", "bf16"), ("s64", (1 << 62) + (1 << 54) + 1, "rn", "bf16")]
    for ity, v, mode, dst in cases:
        got = run(f"cvt.{mode}.{dst}.{ity} %d, %a;", {"a": (ity, [v])}, {"d": "b16"})["d"]
        want = round_fraction(Fraction(v), FMT[dst], ROUNDING_MODES[mode])
        assert int(got[0]) == want, (ity, hex(v), mode, dst, hex(int(got[0])), hex(want))
