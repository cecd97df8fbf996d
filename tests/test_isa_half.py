"""f16 / bf16 instructions (scalar and packed .f16x2 / .bf16x2) through the engine.

References: ``emu.numerics.formats.reference_op`` (exact ``Fraction`` arithmetic
rounded once) for add/sub/mul/fma with .ftz/.sat/.relu; the PTX ISA text for
min/max (.NaN, .ftz, -0 < +0), neg/abs (.ftz; "NaN inputs yield an
unspecified NaN", checked by class), setp (p from the lower halves, q from the
upper halves for the packed types); the documented error bounds for
ex2.approx / tanh.approx, checked exhaustively over all 65536 inputs.

The packed forms run on the same operands as the scalar ones, with the two
halves of each word taken from different scalar cases, so a lane mix-up shows.
Arithmetic NaN results are the canonical 0x7FFF (f16 and bf16), compared exactly.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

from emu.numerics.formats import BF16, FP16, SAT_RELU, SAT_UNIT, reference_op, to_float
from fp_isa_kit import (add_operands, assert_bits_equal, fma_operands, flush, is_nan_bits, mul_operands,
                        operand_tuples, run, special_patterns)

pytestmark = pytest.mark.both_paths   # each test runs [fast] and [reference]: see tests/conftest.py

# every example is a launch: no shrinking (the failure message lists the failing operands)
SETTINGS = dict(deadline=None, suppress_health_check=list(HealthCheck),
                phases=[Phase.explicit, Phase.reuse, Phase.generate])
FMTS = {"f16": FP16, "bf16": BF16}
N = 48


def _columns(tuples, arity):
    return [[t[i] for t in tuples] for i in range(arity)]


def _pack(hi, lo):
    return [(h << 16) | l for h, l in zip(hi, lo)]


def _variants(ty, op):
    """(modifiers, ftz, sat-mode) of every valid form (PTX ISA 9.7.4): f16 has .ftz/.sat (and
    fma.relu), bf16 has no .ftz/.sat; the only rounding mode is .rn (also the default)."""
    if op == "fma":
        if ty == "f16":
            return [(".rn" + f + s, bool(f), mode) for f in ("", ".ftz")
                    for s, mode in (("", 0), (".sat", SAT_UNIT), (".relu", SAT_RELU))]
        return [(".rn", False, 0), (".rn.relu", False, SAT_RELU)]
    if ty == "f16":
        return [(r + f + s, bool(f), mode) for r in ("", ".rn") for f in ("", ".ftz")
                for s, mode in (("", 0), (".sat", SAT_UNIT))]
    return [("", False, 0), (".rn", False, 0)]


OPS = {"add": (2, add_operands), "sub": (2, add_operands), "mul": (2, mul_operands), "fma": (3, fma_operands)}


@pytest.mark.parametrize("ty", ["f16", "bf16"])
@pytest.mark.parametrize("op", list(OPS))
@settings(max_examples=5, **SETTINGS)
@given(data=st.data())
def test_half_arith_scalar_and_packed(ty, op, data):
    fmt = FMTS[ty]
    arity, adversarial = OPS[op]
    tuples = data.draw(st.lists(operand_tuples(fmt, arity, adversarial(fmt)), min_size=N, max_size=N))
    cols = _columns(tuples, arity)
    perm = [(7 * i + 3) % N for i in range(N)]        # the upper halves come from other cases
    packed = [_pack([c[j] for j in perm], c) for c in cols]
    regs = ", ".join(["%a", "%b", "%c"][:arity])
    pregs = ", ".join(["%x", "%y", "%z"][:arity])
    variants = _variants(ty, op)
    body = []
    for i, (mods, _, _) in enumerate(variants):
        body.append(f"{op}{mods}.{ty} %s{i}, {regs};")
        body.append(f"{op}{mods}.{ty}x2 %p{i}, {pregs};")
    ins = {n: ("b16", c) for n, c in zip("abc", cols)}
    ins.update({n: ("b32", c) for n, c in zip("xyz", packed)})
    outs = {f"s{i}": "b16" for i in range(len(variants))}
    outs.update({f"p{i}": "b32" for i in range(len(variants))})
    got = run("\n".join(body), ins, outs)
    for i, (mods, ftz, sat) in enumerate(variants):
        want = [reference_op(op, t, fmt, 0, ftz=ftz, sat=sat) for t in tuples]
        what = f"{op}{mods}.{ty}"
        assert_bits_equal(got[f"s{i}"], want, what, None, cols)
        assert_bits_equal([int(p) & 0xFFFF for p in got[f"p{i}"]], want, what + "x2 (lower)", None, cols)
        assert_bits_equal([int(p) >> 16 for p in got[f"p{i}"]], [want[j] for j in perm], what + "x2 (upper)", None,
                          [[c[j] for j in perm] for c in cols])


def test_half_fma_is_one_rounding():
    """a*b exactly halfway between two f16 (bf16) values plus a c far below: rounding a*b + c to
    f32 first would make it an exact tie again and round to even; fma rounds once and goes up."""
    f16 = lambda x: int(np.float16(x).view(np.uint16))                     # exact for these values
    bf16 = lambda x: int(np.float32(x).view(np.uint32)) >> 16
    cases = [("f16", f16(1 + 2 ** -5), f16(1 + 2 ** -6), f16(2.0 ** -24), f16(1 + 2 ** -5 + 2 ** -6 + 2 ** -10)),
             ("f16", f16(1 + 2 ** -5), f16(1 + 2 ** -6), f16(-(2.0 ** -24)), f16(1 + 2 ** -5 + 2 ** -6)),
             ("f16", f16(1 + 2 ** -5), f16(1 + 2 ** -6), 0, f16(1 + 2 ** -5 + 2 ** -6)),
             ("bf16", bf16(1 + 2 ** -3), bf16(1 + 2 ** -5), bf16(2.0 ** -40), bf16(1 + 2 ** -3 + 2 ** -5 + 2 ** -7)),
             ("bf16", bf16(1 + 2 ** -3), bf16(1 + 2 ** -5), 0, bf16(1 + 2 ** -3 + 2 ** -5))]
    for ty, a, b, c, want in cases:
        got = run(f"fma.rn.{ty} %d, %a, %b, %c;\nfma.rn.{ty}x2 %e, %x, %y, %z;",
                  {"a": ("b16", [a]), "b": ("b16", [b]), "c": ("b16", [c]),
                   "x": ("b32", [(a << 16) | a]), "y": ("b32", [(b << 16) | b]), "z": ("b32", [(c << 16) | c])},
                  {"d": "b16", "e": "b32"})
        assert int(got["d"][0]) == want == reference_op("fma", (a, b, c), FMTS[ty]), (ty, hex(a), hex(b), hex(c))
        assert int(got["e"][0]) == (want << 16) | want


# ------------------------------------------------------------------ min / max / neg / abs
@pytest.mark.parametrize("ty", ["f16", "bf16"])
def test_half_min_max_neg_abs(ty):
    """min/max: a NaN operand yields the other, two NaNs the canonical NaN, -0.0 < +0.0; .NaN: canonical
    NaN if either is NaN; .ftz (f16) flushes subnormal inputs (and so results). neg/abs: the sign bit,
    after .ftz; a NaN gives some NaN. Scalar and packed."""
    fmt = FMTS[ty]
    sp = special_patterns(fmt) + [0x0155, 0x8155, 0x3555, 0xB555]
    a = [x for x in sp for _ in sp]
    b = [y for _ in sp for y in sp]
    forms = ["min", "max", "min.NaN", "max.NaN"] + (["min.ftz", "max.ftz", "min.ftz.NaN", "max.ftz.NaN"]
                                                    if ty == "f16" else [])
    unary = ["neg", "abs"] + (["neg.ftz", "abs.ftz"] if ty == "f16" else [])
    body = [f"{f}.{ty} %m{i}, %a, %b;\n{f}.{ty}x2 %pm{i}, %x, %y;" for i, f in enumerate(forms)]
    body += [f"{f}.{ty} %u{i}, %a;\n{f}.{ty}x2 %pu{i}, %x;" for i, f in enumerate(unary)]
    outs = {f"m{i}": "b16" for i in range(len(forms))}
    outs.update({f"pm{i}": "b32" for i in range(len(forms))})
    outs.update({f"u{i}": "b16" for i in range(len(unary))})
    outs.update({f"pu{i}": "b32" for i in range(len(unary))})
    got = run("\n".join(body), {"a": ("b16", a), "b": ("b16", b), "x": ("b32", _pack(b, a)), "y": ("b32", _pack(a, b))},
              outs)

    def minmax(x, y, want_max, nan_prop):
        nx, ny = is_nan_bits(x, fmt), is_nan_bits(y, fmt)
        if (nx and ny) or (nan_prop and (nx or ny)):
            return fmt.canonical_nan
        if nx or ny:
            return y if nx else x
        fx, fy = to_float(x, fmt), to_float(y, fmt)
        if fx == fy:
            neg_x = bool(x & 0x8000)
            return (y if neg_x else x) if want_max else (x if neg_x else y)
        return (x if fx > fy else y) if want_max else (x if fx < fy else y)

    for i, f in enumerate(forms):
        ftz = ".ftz" in f
        want = [minmax(flush(x, fmt) if ftz else x, flush(y, fmt) if ftz else y, f.startswith("max"), ".NaN" in f)
                for x, y in zip(a, b)]
        # packed: lower halves (a, b), upper halves (b, a)
        want_hi = [minmax(flush(y, fmt) if ftz else y, flush(x, fmt) if ftz else x, f.startswith("max"),
                          ".NaN" in f) for x, y in zip(a, b)]
        assert_bits_equal(got[f"m{i}"], want, f"{f}.{ty}", None, (a, b))
        assert_bits_equal([int(p) & 0xFFFF for p in got[f"pm{i}"]], want, f"{f}.{ty}x2 lower", None, (a, b))
        assert_bits_equal([int(p) >> 16 for p in got[f"pm{i}"]], want_hi, f"{f}.{ty}x2 upper", None, (b, a))
    for i, f in enumerate(unary):
        ftz = ".ftz" in f

        def op(x):
            x = flush(x, fmt) if ftz else x
            return x ^ 0x8000 if f.startswith("neg") else x & 0x7FFF
        assert_bits_equal(got[f"u{i}"], [op(x) for x in a], f"{f}.{ty}", fmt, (a,))
        assert_bits_equal([int(p) & 0xFFFF for p in got[f"pu{i}"]], [op(x) for x in a], f"{f}.{ty}x2 lower", fmt,
                          (a,))
        assert_bits_equal([int(p) >> 16 for p in got[f"pu{i}"]], [op(y) for y in b], f"{f}.{ty}x2 upper", fmt, (b,))


# ------------------------------------------------------------------ ex2.approx / tanh.approx
def _decode(bits, ty):
    """Patterns (any integer array) as float64 values, exactly."""
    bits = np.asarray(bits).astype(np.uint32)
    with np.errstate(invalid="ignore"):
        if ty == "f16":
            return bits.astype(np.uint16).view(np.float16).astype(np.float64)
        return (bits << 16).view(np.float32).astype(np.float64)


def _all_halves(ty):
    h = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16)
    return h, _decode(h, ty)


@pytest.mark.parametrize("ty", ["f16", "bf16"])
def test_half_ex2_tanh_approx_exhaustive(ty):
    """Every input pattern. PTX bounds: ex2.approx.f16 max relative error 2^-9.9, .bf16 2^-7;
    tanh.approx.f16 max absolute error 2^-10.987, .bf16 2^-8. Corner cases: ex2(-inf) = +0,
    ex2(±0) = 1, ex2(+inf) = +inf; tanh(±inf) = ±1, tanh(±0) = ±0; NaN -> NaN. ex2 exists as
    ex2.approx.f16 and ex2.approx.ftz.bf16 (subnormal bf16 inputs act as 0: result 1.0)."""
    fmt = FMTS[ty]
    h, x = _all_halves(ty)
    ex2 = "ex2.approx" if ty == "f16" else "ex2.approx.ftz"
    packed = (h.astype(np.uint32) << 16) | (h ^ 0x8000).astype(np.uint32)           # upper: x, lower: -x
    got = run(f"{ex2}.{ty} %e, %a;\ntanh.approx.{ty} %t, %a;\n{ex2}.{ty}x2 %pe, %p;\ntanh.approx.{ty}x2 %pt, %p;",
              {"a": ("b16", h), "p": ("b32", packed)}, {"e": "b16", "t": "b16", "pe": "b32", "pt": "b32"})
    _, xn = _all_halves(ty)
    neg = xn[h ^ 0x8000]
    results = {"e": (got["e"], x), "t": (got["t"], x), "pe_hi": (got["pe"] >> 16, x),
               "pe_lo": (got["pe"] & 0xFFFF, neg), "pt_hi": (got["pt"] >> 16, x), "pt_lo": (got["pt"] & 0xFFFF, neg)}
    tiny = 2.0 ** (fmt.emin)
    max_finite = float(fmt.max_finite)
    for name, (bits, xs) in results.items():
        is_ex2 = name.startswith("e") or name.startswith("pe")
        r = _decode(bits, ty)
        with np.errstate(all="ignore"):
            xs_eff = np.where((ty == "bf16") & (np.abs(xs) < tiny), 0.0, xs) if is_ex2 else xs
            exact = np.exp2(xs_eff) if is_ex2 else np.tanh(xs)
        nan_in = np.isnan(xs)
        assert np.isnan(r[nan_in]).all(), name
        ok = ~nan_in
        if is_ex2:
            bound = 2.0 ** -9.9 if ty == "f16" else 2.0 ** -7
            in_range = ok & (exact >= tiny) & (exact <= max_finite)
            with np.errstate(invalid="ignore"):
                err = np.abs(r - exact)
            assert (err[in_range] <= bound * exact[in_range]).all(), (name, xs[in_range][err[in_range] > bound *
                                                                                        exact[in_range]][:5])
            big = ok & (exact > max_finite * (1 + 2.0 ** -(fmt.precision)))
            assert np.isinf(r[big]).all() or (r[big] >= max_finite).all(), name
            small = ok & (exact < tiny)
            assert (np.abs(r[small] - exact[small]) <= tiny).all(), name
        else:
            bound = 2.0 ** -10.987 if ty == "f16" else 2.0 ** -8
            with np.errstate(invalid="ignore"):
                err = np.abs(r - exact)
            assert (err[ok] <= bound).all(), (name, xs[ok][err[ok] > bound][:5])
            zeros = ok & (xs == 0)
            assert (np.signbit(r[zeros]) == np.signbit(xs[zeros])).all(), name
        for v, want in ([(math.inf, math.inf if is_ex2 else 1.0), (-math.inf, 0.0 if is_ex2 else -1.0)]
                        + ([(0.0, 1.0), (-0.0, 1.0)] if is_ex2 else [])):
            idx = np.nonzero((xs == v) & (np.signbit(xs) == (math.copysign(1, v) < 0)))[0]
            assert all(r[i] == want and np.signbit(r[i]) == (math.copysign(1, want) < 0) for i in idx), (name, v)


# ------------------------------------------------------------------ setp
CMPS = ["eq", "ne", "lt", "le", "gt", "ge", "equ", "neu", "ltu", "leu", "gtu", "geu", "num", "nan"]


def _cmp(cmp, x, y):
    un = math.isnan(x) or math.isnan(y)
    if cmp == "num":
        return not un
    if cmp == "nan":
        return un
    v = {"eq": x == y, "ne": x != y, "lt": x < y, "le": x <= y, "gt": x > y, "ge": x >= y}[cmp[:2]]
    return (un or v) if len(cmp) == 3 else (not un and v)


@pytest.mark.parametrize("ty", ["f16", "bf16"])
def test_half_setp(ty):
    """setp.CmpOp{.ftz}.f16 / .bf16 over specials x specials; .f16x2 / .bf16x2 p|q: "t[0] = fA[0] CmpOp fB[0]
    (lower halves) -> p, t[1] (upper halves) -> q", each combined with c by the BoolOp."""
    fmt = FMTS[ty]
    sp = special_patterns(fmt) + [0x0155, 0x8155]
    a = [x for x in sp for _ in sp]
    b = [y for _ in sp for y in sp]
    c = [(i // 3) & 1 for i in range(len(a))]
    x2, y2 = _pack(b, a), _pack(a, a)          # lower halves (a, a), upper halves (b, a)
    body = [f"setp.{cmp}.{ty} %s_{cmp}, %a, %b;\nsetp.{cmp}.{ty}x2 %p_{cmp}|%q_{cmp}, %x, %y;" for cmp in CMPS]
    outs = {f"{k}_{cmp}": "pred" for cmp in CMPS for k in "spq"}
    if ty == "f16":
        body += [f"setp.{cmp}.ftz.f16 %f_{cmp}, %a, %b;\nsetp.{cmp}.ftz.f16x2 %g_{cmp}|%h_{cmp}, %x, %y;"
                 for cmp in CMPS]
        outs.update({f"{k}_{cmp}": "pred" for cmp in CMPS for k in "fgh"})
    body += [f"setp.lt.and.{ty} %band, %a, %b, %c;", f"setp.gtu.or.{ty}x2 %bor|%bor2, %x, %y, !%c;"]
    outs.update(band="pred", bor="pred", bor2="pred")
    got = run("\n".join(body), {"a": ("b16", a), "b": ("b16", b), "c": ("pred", c), "x": ("b32", x2),
                                "y": ("b32", y2)}, outs)
    for i, (xa, xb) in enumerate(zip(a, b)):
        fa, fb = to_float(xa, fmt), to_float(xb, fmt)
        ffa, ffb = to_float(flush(xa, fmt), fmt), to_float(flush(xb, fmt), fmt)
        for cmp in CMPS:
            assert int(got[f"s_{cmp}"][i]) == _cmp(cmp, fa, fb), (cmp, hex(xa), hex(xb))
            assert int(got[f"p_{cmp}"][i]) == _cmp(cmp, fa, fa), (cmp, "lower", hex(xa))
            assert int(got[f"q_{cmp}"][i]) == _cmp(cmp, fb, fa), (cmp, "upper", hex(xb), hex(xa))
            if ty == "f16":
                assert int(got[f"f_{cmp}"][i]) == _cmp(cmp, ffa, ffb), ("ftz", cmp, hex(xa), hex(xb))
                assert int(got[f"g_{cmp}"][i]) == _cmp(cmp, ffa, ffa), ("ftz", cmp, hex(xa))
                assert int(got[f"h_{cmp}"][i]) == _cmp(cmp, ffb, ffa), ("ftz", cmp, hex(xb), hex(xa))
        ci = bool(c[i])
        assert int(got["band"][i]) == (_cmp("lt", fa, fb) and ci)
        assert (int(got["bor"][i]), int(got["bor2"][i])) == (_cmp("gtu", fa, fa) or not ci,
                                                             _cmp("gtu", fb, fa) or not ci)
