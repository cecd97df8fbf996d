"""f32 and f64 instructions through the engine, against exact references.

Every test launches a kernel (one thread per value, see ``fp_isa_kit.run``) and
compares the result patterns with
- ``emu.numerics.formats.reference_op`` (exact ``Fraction`` arithmetic, rounded
  once in the instruction's mode, with ``.ftz`` and ``.sat``) for everything
  that PTX defines as correctly rounded: add/sub/mul/fma/mad/div/sqrt/rcp with
  .rn/.rz/.rm/.rp, .ftz, .sat;
- numpy, where numpy is exact: float32 round-to-nearest add/sub/mul/div/sqrt;
- the error bounds the PTX ISA documents for the .approx instructions (plus
  their documented special-value tables), since the engine computes those in
  float64 and rounds, which hardware does not do bit for bit;
- the PTX ISA text for abs/neg/min/max/copysign/testp/setp/selp.

NaN results. PTX: "Single-precision instructions return an unspecified NaN";
NVIDIA GPUs return the canonical 0x7FFFFFFF, and so does the engine: every
f32 arithmetic NaN result is checked to be exactly 0x7FFFFFFF (the reference's
canonical NaN). For f64 PTX says NaN payloads are supported (an input NaN
propagates); which payload survives is unspecified, and the engine returns
the canonical 0x7FFFFFFFFFFFFFFF, so f64 NaN results are compared by class.
Exceptions with documented encodings are checked exactly
(rcp/rsqrt.approx.ftz.f64 -> 0x7fffffff00000000, .sat NaN -> +0.0).
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

from emu.numerics.formats import FP32, FP64, SAT_UNIT, decode, reference_op
from fp_isa_kit import (add_operands, assert_bits_equal, bits_f32, bits_f64, f32_bits, f64_bits, fma_operands,
                        flush, is_nan_bits, is_subnormal, mul_operands, operand_tuples, run, special_patterns)

pytestmark = pytest.mark.both_paths   # each test runs [fast] and [reference]: see tests/conftest.py

MODES = {"rn": 0, "rz": 1, "rm": 2, "rp": 3}
F32_NAN = 0x7FFFFFFF
# every example is a launch: no shrinking (the failure message lists the failing operands)
SETTINGS = dict(deadline=None, suppress_health_check=list(HealthCheck),
                phases=[Phase.explicit, Phase.reuse, Phase.generate])
N = 40          # values per launch in the hypothesis tests


def _lists(strategy, n=N):
    return st.lists(strategy, min_size=n, max_size=n)


def _columns(tuples, arity):
    return [[t[i] for t in tuples] for i in range(arity)]


def _reg(fmt):
    return "f32" if fmt is FP32 else "f64"


def _check_variants(ty, fmt, op, arity, tuples, variants):
    """Run ``op`` in every (mode, ftz, sat) of ``variants`` on the same operands; compare each
    with reference_op. mode "" is the instruction without a rounding modifier (PTX default .rn)."""
    cols = _columns(tuples, arity)
    regs = ", ".join(["%a", "%b", "%c"][:arity])
    body, outs = [], {}
    for i, (mode, ftz, sat) in enumerate(variants):
        mods = (f".{mode}" if mode else "") + (".ftz" if ftz else "") + (".sat" if sat else "")
        body.append(f"{op}{mods}.{ty} %out{i}, {regs};")
        outs[f"out{i}"] = _reg(fmt)
    ins = {name: (_reg(fmt), col) for name, col in zip("abc", cols)}
    got = run("\n".join(body), ins, outs)
    ref_op = "fma" if op == "mad" else op
    for i, (mode, ftz, sat) in enumerate(variants):
        want = [reference_op(ref_op, t, fmt, MODES[mode or "rn"], ftz=ftz, sat=SAT_UNIT if sat else 0)
                for t in tuples]
        what = f"{op}{'.' + mode if mode else ''}{'.ftz' if ftz else ''}{'.sat' if sat else ''}.{ty}"
        # f32: NaN must be exactly the canonical 0x7FFFFFFF (== the reference); f64: by class
        assert_bits_equal(got[f"out{i}"], want, what, fmt if fmt is FP64 else None, cols)


def _variants(modes, ftz=(False,), sat=(False,)):
    return [(m, f, s) for m in modes for f in ftz for s in sat]


# ================================================================== correctly rounded f32 arithmetic
F32_OPS = {
    # op: (arity, adversarial operands, rounding modifier optional?, has .sat)
    "add": (2, add_operands(FP32), True, True),
    "sub": (2, add_operands(FP32), True, True),
    "mul": (2, mul_operands(FP32), True, True),
    "fma": (3, fma_operands(FP32), False, True),
    "mad": (3, fma_operands(FP32), False, True),
    "div": (2, None, False, False),
}


@pytest.mark.parametrize("op", list(F32_OPS))
@settings(max_examples=6, **SETTINGS)
@given(data=st.data())
def test_f32_arith_every_mode_ftz_sat(op, data):
    arity, adversarial, default_mode, has_sat = F32_OPS[op]
    tuples = data.draw(_lists(operand_tuples(FP32, arity, adversarial)))
    modes = ([""] if default_mode else []) + list(MODES)
    _check_variants("f32", FP32, op, arity, tuples,
                    _variants(modes, (False, True), (False, True) if has_sat else (False,)))


@pytest.mark.parametrize("op", ["sqrt", "rcp"])
@settings(max_examples=6, **SETTINGS)
@given(data=st.data())
def test_f32_sqrt_rcp_every_mode(op, data):
    square = st.tuples(st.integers(1, 1 << 12), st.integers(-140, 100)).map(
        lambda mq: (f32_bits(float(mq[0] * mq[0]) * 2.0 ** (2 * mq[1])) if -149 <= 2 * mq[1] < 100 else 0x3F800000,))
    tuples = data.draw(_lists(operand_tuples(FP32, 1, square if op == "sqrt" else None)))
    _check_variants("f32", FP32, op, 1, tuples, _variants(list(MODES), (False, True)))


def _sweep_f32(n, seed):
    """Specials crossed with specials, plus uniformly random patterns and values near 1."""
    rng = np.random.default_rng(seed)
    sp = np.array(special_patterns(FP32), np.uint32)
    a = np.concatenate([np.repeat(sp, len(sp)), rng.integers(0, 1 << 32, n, dtype=np.uint64).astype(np.uint32),
                        (0x3F800000 + rng.integers(-5000, 5000, n)).astype(np.uint32)])
    b = np.concatenate([np.tile(sp, len(sp)), rng.integers(0, 1 << 32, n, dtype=np.uint64).astype(np.uint32),
                        (0x3F800000 + rng.integers(-5000, 5000, n)).astype(np.uint32)])
    return a, b


def test_f32_round_to_nearest_matches_numpy():
    """float32 RN add/sub/mul/div/sqrt are exact in numpy: a large sweep, with and without .rn
    (the plain forms take the engine's fast path), NaN results exactly 0x7FFFFFFF."""
    a, b = _sweep_f32(3000, 1)
    ops = [("add", np.add), ("sub", np.subtract), ("mul", np.multiply), ("div", np.divide)]
    body = [f"{op}.f32 %p_{op}, %a, %b;\n{op}.rn.f32 %r_{op}, %a, %b;" for op, _ in ops if op != "div"]
    body += ["div.rn.f32 %r_div, %a, %b;", "sqrt.rn.f32 %r_sqrt, %a;"]
    outs = {f"r_{op}": "f32" for op, _ in ops + [("sqrt", None)]}
    outs.update({f"p_{op}": "f32" for op, _ in ops if op != "div"})
    got = run("\n".join(body), {"a": ("f32", a), "b": ("f32", b)}, outs)
    fa, fb = a.view(np.float32), b.view(np.float32)
    with np.errstate(all="ignore"):
        refs = {op: fn(fa, fb) for op, fn in ops}
        refs["sqrt"] = np.sqrt(fa)
    for name, out in got.items():
        want = refs[name[2:]].view(np.uint32).copy()
        want[np.isnan(refs[name[2:]])] = F32_NAN
        assert_bits_equal(out, want, name, None, (a, b))


def test_f32_nan_results_are_canonical():
    """Invalid operations and NaN operands (any payload, either sign) give exactly 0x7FFFFFFF in every
    rounding mode and in the approximate forms; .sat turns them into +0.0 (PTX: "NaN results are
    flushed to +0.0f")."""
    nans = [0x7FC00000, 0xFFC00000, 0x7F800001, 0xFFBFFFFF, 0x7FFFFFFF]
    inf, ninf, zero, one = 0x7F800000, 0xFF800000, 0, 0x3F800000
    cases = [(inf, ninf, one), (zero, inf, one), (inf, zero, inf), (zero, zero, zero), (ninf, one, inf)]
    cases += [(n, one, one) for n in nans] + [(one, n, one) for n in nans] + [(one, one, n) for n in nans]
    a, b, c = _columns(cases, 3)
    forms = []      # (instruction, reference op, arity)
    for m in ["", ".rn", ".rz", ".rm", ".rp"]:
        forms += [(f"{op}{m}", op, 2) for op in ("add", "sub", "mul")]
        if m:
            forms += [(f"fma{m}", "fma", 3), (f"div{m}", "div", 2), (f"sqrt{m}", "sqrt", 1), (f"rcp{m}", "rcp", 1)]
    forms += [("div.approx", "div", 2), ("div.full", "div", 2), ("sqrt.approx", "sqrt", 1),
              ("rcp.approx", "rcp", 1), ("mad.rn.ftz", "fma", 3)]
    args = {1: "%a", 2: "%a, %b", 3: "%a, %b, %c"}
    body = [f"{ins}.f32 %out{i}, {args[n]};" for i, (ins, _, n) in enumerate(forms)]
    body += ["fma.rn.sat.f32 %fsat, %a, %b, %c;", "add.sat.f32 %asat, %a, %b;"]
    outs = {f"out{i}": "f32" for i in range(len(forms))}
    outs.update(fsat="f32", asat="f32")
    got = run("\n".join(body), {"a": ("f32", a), "b": ("f32", b), "c": ("f32", c)}, outs)
    for i, (ins, op, n) in enumerate(forms):
        for t, g in zip(cases, got[f"out{i}"]):
            if reference_op(op, t[:n], FP32) == F32_NAN:
                assert int(g) == F32_NAN, (ins, [hex(x) for x in t], hex(int(g)))
    assert all(int(g) == 0 for g in got["fsat"])            # every fma case above is NaN
    for t, g in zip(cases, got["asat"]):
        if reference_op("add", t[:2], FP32) == F32_NAN:
            assert int(g) == 0, [hex(x) for x in t]


def test_f32_fma_is_one_rounding():
    """a*b exactly halfway between two floats plus a c far below one ulp: a single rounding
    (PTX: "computes the product of a and b to infinite precision and then adds c ... then
    rounded") sees c, rounding through float64 first would not."""
    x = 1 + 2.0 ** -12                       # x*x = 1 + 2^-11 + 2^-24: a tie in f32
    tie = x * x
    cases = [(x, x, 2.0 ** -70), (x, x, -(2.0 ** -70)), (-x, x, 2.0 ** -70), (x, -x, -(2.0 ** -70)),
             (x, x, 0.0), (x * 2.0 ** 100, x * 2.0 ** -100, 2.0 ** -80), (x * 2.0 ** -60, x * 2.0 ** -60, 2.0 ** -149)]
    a, b, c = ([f32_bits(t[i]) for t in cases] for i in range(3))
    body = "\n".join(f"fma.{m}.f32 %{m}, %a, %b, %c;\nmad.{m}.f32 %m{m}, %a, %b, %c;" for m in MODES)
    outs = {m: "f32" for m in MODES}
    outs.update({f"m{m}": "f32" for m in MODES})
    got = run(body, {"a": ("f32", a), "b": ("f32", b), "c": ("f32", c)}, outs)
    for m, mode in MODES.items():
        want = [reference_op("fma", t, FP32, mode) for t in zip(a, b, c)]
        assert_bits_equal(got[m], want, f"fma.{m}.f32", None, (a, b, c))
        assert_bits_equal(got[f"m{m}"], want, f"mad.{m}.f32", None, (a, b, c))
    double_rounded = f32_bits(float(np.float32(tie + 2.0 ** -70)))
    assert int(got["rn"][0]) == f32_bits(1 + 2.0 ** -11 + 2.0 ** -23) != double_rounded


# ================================================================== f64
F64_OPS = {"add": (2, add_operands(FP64)), "sub": (2, add_operands(FP64)), "mul": (2, mul_operands(FP64)),
           "fma": (3, fma_operands(FP64)), "mad": (3, fma_operands(FP64)), "div": (2, None),
           "sqrt": (1, None), "rcp": (1, None)}


@pytest.mark.parametrize("op", list(F64_OPS))
@settings(max_examples=5, **SETTINGS)
@given(data=st.data())
def test_f64_arith_every_mode(op, data):
    arity, adversarial = F64_OPS[op]
    tuples = data.draw(_lists(operand_tuples(FP64, arity, adversarial)))
    modes = ([""] if op in ("add", "sub", "mul") else []) + list(MODES)
    _check_variants("f64", FP64, op, arity, tuples, _variants(modes))


def test_f64_fma_is_one_rounding():
    x, y = 1 + 2.0 ** -26, 1 + 2.0 ** -27    # x*y = 1 + 2^-26 + 2^-27 + 2^-53: a tie in f64
    a, b, c = [f64_bits(x)] * 4, [f64_bits(y), f64_bits(-y), f64_bits(y), f64_bits(y)], \
        [f64_bits(2.0 ** -300), f64_bits(-(2.0 ** -300)), f64_bits(-(2.0 ** -300)), 0]
    got = run("fma.rn.f64 %d, %a, %b, %c;", {"a": ("f64", a), "b": ("f64", b), "c": ("f64", c)}, {"d": "f64"})
    want = [reference_op("fma", t, FP64) for t in zip(a, b, c)]
    assert_bits_equal(got["d"], want, "fma.rn.f64", FP64, (a, b, c))
    assert int(got["d"][0]) == f64_bits(1 + 2.0 ** -26 + 2.0 ** -27 + 2.0 ** -52)   # up: c breaks the tie
    assert int(got["d"][1]) == f64_bits(-(1 + 2.0 ** -26 + 2.0 ** -27 + 2.0 ** -52))
    assert int(got["d"][2]) == f64_bits(1 + 2.0 ** -26 + 2.0 ** -27)                 # down: c below the tie
    assert int(got["d"][3]) == f64_bits(1 + 2.0 ** -26 + 2.0 ** -27)                 # the tie alone: to even


@pytest.mark.parametrize("ty", ["f32", "f64"])
def test_add_sub_zero_signs(ty):
    """IEEE 754 6.3 on every zero sign combination (hypothesis rarely draws -0 + -0): x + x and
    x - (-x) keep x's sign; an exact zero sum of opposite signs (zeros or not) is +0, -0 under .rm.
    Plain add/sub (the engine's fast path, or the reference definition under EMU_REFERENCE=1) and
    every rounding mode."""
    to_bits = f32_bits if ty == "f32" else f64_bits
    pairs = [(0.0, 0.0), (0.0, -0.0), (-0.0, 0.0), (-0.0, -0.0), (1.0, -1.0), (-1.0, 1.0), (-2.5, 2.5)]
    a = [to_bits(x) for x, _ in pairs]
    b = [to_bits(y) for _, y in pairs]
    modes = ["", ".rn", ".rz", ".rm", ".rp"]
    nb = [to_bits(-y) for _, y in pairs]
    # add a + b and sub a - (-b): the same exact sum
    body = "\n".join(f"{op}{m}.{ty} %{op}{m[1:]}, %a, %{'b' if op == 'add' else 'nb'};"
                     for op in ("add", "sub") for m in modes)
    outs = {f"{op}{m[1:]}": ty for op in ("add", "sub") for m in modes}
    got = run(body, {"a": (ty, a), "b": (ty, b), "nb": (ty, nb)}, outs)
    for op in ("add", "sub"):
        for m in modes:
            for i, (x, yy) in enumerate(pairs):
                sx, sy = math.copysign(1, x) < 0, math.copysign(1, yy) < 0
                neg = sx if x == 0 and yy == 0 and sx == sy else m == ".rm"
                want = to_bits(-0.0 if neg else 0.0)
                assert int(got[f"{op}{m[1:]}"][i]) == want, (f"{op}{m}.{ty}", x, yy)


# ================================================================== approximate instructions
def _f32_ulp(x: float) -> float:
    e = max(math.frexp(x)[1] - 1, -126) if x != 0 else -126
    return 2.0 ** (e - 23)


NAN = "nan"
APPROX_SPECIALS = {
    # the PTX ISA corner-case tables: (input, result); NAN = any NaN
    "rcp.approx": [(-math.inf, -0.0), (-0.0, -math.inf), (0.0, math.inf), (math.inf, 0.0), (math.nan, NAN)],
    "sqrt.approx": [(-math.inf, NAN), (-1.0, NAN), (-0.0, -0.0), (0.0, 0.0), (math.inf, math.inf), (math.nan, NAN)],
    "rsqrt.approx": [(-math.inf, NAN), (-1.0, NAN), (-0.0, -math.inf), (0.0, math.inf), (math.inf, 0.0),
                     (math.nan, NAN)],
    "ex2.approx": [(-math.inf, 0.0), (-0.0, 1.0), (0.0, 1.0), (math.inf, math.inf), (math.nan, NAN)],
    "lg2.approx": [(-math.inf, NAN), (-1.0, NAN), (-0.0, -math.inf), (0.0, -math.inf), (math.inf, math.inf),
                   (math.nan, NAN)],
    "sin.approx": [(-math.inf, NAN), (-0.0, -0.0), (0.0, 0.0), (math.inf, NAN), (math.nan, NAN)],
    "cos.approx": [(-math.inf, NAN), (-0.0, 1.0), (0.0, 1.0), (math.inf, NAN), (math.nan, NAN)],
    "tanh.approx": [(-math.inf, -1.0), (-0.0, -0.0), (0.0, 0.0), (math.inf, 1.0), (math.nan, NAN)],
}


def _same(got: float, want) -> bool:
    if want == NAN:
        return math.isnan(got)
    return got == want and math.copysign(1, got) == math.copysign(1, want)


@pytest.mark.parametrize("ftz", [False, True])
def test_f32_approx_special_values(ftz):
    """The corner-case tables of the PTX ISA for rcp/sqrt/rsqrt/ex2/lg2/sin/cos/tanh.approx; with .ftz
    subnormal inputs behave as zeros of their sign (tanh has no .ftz: subnormals pass through)."""
    tiny = [2.0 ** -149, -(2.0 ** -140)]
    for op, table in APPROX_SPECIALS.items():
        if ftz and op == "tanh.approx":
            continue
        inputs = [f32_bits(x) for x, _ in table] + [f32_bits(x) for x in tiny]
        name = op + (".ftz" if ftz else "")
        got = [bits_f32(g) for g in run(f"{name}.f32 %d, %a;", {"a": ("f32", inputs)}, {"d": "f32"})["d"]]
        for (x, want), g in zip(table, got):
            assert _same(g, want), (name, x, g)
        for x, g in zip(tiny, got[len(table):]):
            if ftz:
                zero = math.copysign(0.0, x)
                want = next(w for v, w in table if v == 0 and math.copysign(1, v) == math.copysign(1, zero))
                assert _same(g, want), (name, x, g)
            elif op == "tanh.approx":
                assert g == x           # "subnormal inputs gets passed through to the output"


def _approx_inputs(rng, n):
    edges = [128.0, 127.99999, 127.5, -126.0, -126.5, -149.0, -149.5, -150.0, 0.5, 2.0, 0.5000001, 1.9999999,
             2 * math.pi, -2 * math.pi, 100 * math.pi, 1e-30, 2.0 ** -140, 1e30, 2.0 ** 126, 2.0 ** 127]
    sp = [x for x in special_patterns(FP32)] + [f32_bits(v) for v in edges]
    return np.concatenate([np.array(sp, np.uint32), rng.integers(0, 1 << 32, n, dtype=np.uint64).astype(np.uint32),
                           np.array([f32_bits(v) for v in rng.uniform(-8, 8, n)], np.uint32),
                           np.array([f32_bits(v) for v in rng.uniform(-400, 400, n)], np.uint32)])


def test_f32_approx_error_bounds():
    """Documented PTX bounds, on finite inputs (results of NaN/inf are in the special-value test):
    rcp 1 ulp; sqrt rel 2^-23; rsqrt rel 2^-22.9; ex2 2 ulp; lg2 abs 2^-22 on (0.5, 2), else
    rel 2^-22; sin/cos abs 2^-20.5 on [-2pi, 2pi], 2^-14.7 on [-100pi, 100pi]; tanh rel 2^-11;
    div.approx (for 2^-126 <= |b| <= 2^126) and div.full 2 ulp."""
    rng = np.random.default_rng(3)
    a = _approx_inputs(rng, 1500)
    b = np.concatenate([_approx_inputs(rng, 1500)[::-1], np.array(special_patterns(FP32), np.uint32)])
    b = np.resize(b, len(a))
    ops = ["rcp", "sqrt", "rsqrt", "ex2", "lg2", "sin", "cos", "tanh"]
    body = "\n".join(f"{op}.approx.f32 %{op}, %a;" for op in ops)
    body += "\ndiv.approx.f32 %divapprox, %a, %b;\ndiv.full.f32 %divfull, %a, %b;"
    outs = {op: "f32" for op in ops + ["divapprox", "divfull"]}
    got = run(body, {"a": ("f32", a), "b": ("f32", b)}, outs)
    exact = {"rcp": lambda x: 1 / x, "sqrt": math.sqrt, "rsqrt": lambda x: 1 / math.sqrt(x),
             "ex2": lambda x: 2.0 ** x, "lg2": math.log2, "sin": math.sin, "cos": math.cos, "tanh": math.tanh}
    bad = []
    for i in range(len(a)):
        x = bits_f32(a[i])
        if not math.isfinite(x):
            continue
        for op in ops:
            r = bits_f32(got[op][i])
            if (op in ("sqrt", "rsqrt", "lg2") and x <= 0) or (op == "rcp" and x == 0):
                continue
            try:
                e = exact[op](x)
            except OverflowError:
                e = math.inf
            if op in ("rcp", "ex2"):
                ulps = 1 if op == "rcp" else 2
                if abs(e) >= 2.0 ** 128 * (1 - 2.0 ** -25):         # rounds to infinity
                    ok = (math.isinf(r) and (r > 0) == (e > 0)) or abs(r - e) <= ulps * 2.0 ** 104
                elif abs(e) < 2.0 ** -126:                          # subnormal: ulps of 2^-149
                    ok = abs(r - e) <= ulps * 2.0 ** -149
                else:
                    ok = abs(r - e) <= ulps * _f32_ulp(e)
            elif op in ("sqrt", "rsqrt", "tanh"):
                bound = {"sqrt": 2.0 ** -23, "rsqrt": 2.0 ** -22.9, "tanh": 2.0 ** -11}[op]
                ok = abs(r - e) <= bound * abs(e)
            elif op == "lg2":
                ok = abs(r - e) <= (2.0 ** -22 if 0.5 < x < 2 else 2.0 ** -22 * abs(e))
            else:
                if abs(x) <= 2 * math.pi:
                    ok = abs(r - e) <= 2.0 ** -20.5
                elif abs(x) <= 100 * math.pi:
                    ok = abs(r - e) <= 2.0 ** -14.7
                else:
                    ok = -1 <= r <= 1       # best effort only
            if not ok:
                bad.append((op, x, r, e))
        y = bits_f32(b[i])
        if math.isfinite(y) and y != 0 and 2.0 ** -126 <= abs(y) <= 2.0 ** 126:
            e = x / y
            for op in ("divapprox", "divfull"):
                r = bits_f32(got[op][i])
                if abs(e) < 3.4e38 and abs(e) >= 2.0 ** -126 and abs(r - e) > 2 * _f32_ulp(e):
                    bad.append((op, x, y, r, e))
    assert not bad, bad[:10]


def test_f32_div_approx_huge_divisor():
    """PTX: "For 2^126 < |b| < 2^128, if a is infinity, div.approx.f32 returns NaN, otherwise it returns
    a sign-preserving zero" (a * (1/b) with 1/b flushed); div.full covers the full range."""
    b = [f32_bits(3.0e38), f32_bits(-3.0e38), f32_bits(2.0 ** 126 * 1.5), f32_bits(2.0 ** 127)] * 2 + [0x7F7FFFFF]
    a = [f32_bits(1.0), f32_bits(1.0), f32_bits(-5.0), f32_bits(math.inf),
         f32_bits(-0.0), f32_bits(2.0 ** 120), f32_bits(math.inf), f32_bits(-math.inf), f32_bits(3.0e38)]
    got = run("div.approx.f32 %d, %a, %b;\ndiv.full.f32 %e, %a, %b;", {"a": ("f32", a), "b": ("f32", b)},
              {"d": "f32", "e": "f32"})
    for x, y, d, e in zip(a, b, got["d"], got["e"]):
        xf, yf = bits_f32(x), bits_f32(y)
        if math.isinf(xf):
            assert math.isnan(bits_f32(d))
        else:
            assert bits_f32(d) == 0.0 and math.copysign(1, bits_f32(d)) == math.copysign(1, xf) * math.copysign(1, yf)
        q = xf / yf
        r = bits_f32(e)
        assert (math.isnan(r) and math.isnan(q)) or r == q or abs(r - q) <= 2 * _f32_ulp(q) or abs(r - q) <= 2.0 ** -148


def test_f32_approx_ftz_flushes_results():
    """ex2.approx.ftz / rcp.approx.ftz: a subnormal result becomes a zero of its sign; without .ftz it stays."""
    a = [f32_bits(-130.0), f32_bits(-149.0), f32_bits(2.0 ** 127), f32_bits(-(2.0 ** 127))]
    got = run("ex2.approx.f32 %e, %a;\nex2.approx.ftz.f32 %ef, %a;\nrcp.approx.f32 %r, %a;\n"
              "rcp.approx.ftz.f32 %rf, %a;", {"a": ("f32", a)}, {"e": "f32", "ef": "f32", "r": "f32", "rf": "f32"})
    assert [bits_f32(x) for x in got["e"][:2]] == [2.0 ** -130, 2.0 ** -149]
    assert [int(x) for x in got["ef"][:2]] == [0, 0]
    assert [bits_f32(x) for x in got["r"][2:]] == [2.0 ** -127, -(2.0 ** -127)]
    assert [int(x) for x in got["rf"][2:]] == [0, 0x80000000]


def test_f64_rcp_rsqrt_approx_ftz():
    """rcp.approx.ftz.f64 / rsqrt.approx.ftz.f64 (PTX): computed from the upper 32 bits of a only,
    the lower 32 bits of d are zero, subnormal inputs are zeros (-> ±Inf), subnormal results flush,
    NaN -> 0x7fffffff00000000. The 20-bit approximation is checked to 2^-19 relative error."""
    rng = np.random.default_rng(5)
    vals = [0.0, -0.0, 5e-324, -5e-324, 2.2e-308, -2.2e-308, math.inf, -math.inf, 1.0, -1.0, 4.0, 1.7e308, -1.7e308,
            2.3e-308] + list(rng.uniform(-1e6, 1e6, 200)) + list(2.0 ** rng.uniform(-1000, 1000, 200))
    a = [f64_bits(v) for v in vals] + [0x7FF8000000000000, 0xFFF0000000000123, 0x3FF0000012345678]
    got = run("rcp.approx.ftz.f64 %r, %a;\nrsqrt.approx.ftz.f64 %s, %a;", {"a": ("f64", a)}, {"r": "f64", "s": "f64"})
    for x, r, s in zip(a, got["r"], got["s"]):
        r, s = int(r), int(s)
        assert r & 0xFFFFFFFF == 0 and s & 0xFFFFFFFF == 0, hex(x)
        hi = bits_f64(x & 0xFFFFFFFF00000000)
        if math.isnan(hi):
            assert r == s == 0x7FFFFFFF00000000
            continue
        if hi != 0 and abs(hi) < 2.2250738585072014e-308:
            hi = math.copysign(0.0, hi)
        for got_bits, fn in ((r, "rcp"), (s, "rsqrt")):
            g = bits_f64(got_bits)
            if fn == "rsqrt" and (hi < 0 or (hi == -math.inf)):
                assert got_bits == 0x7FFFFFFF00000000, (fn, hi)
                continue
            if hi == 0:
                assert g == math.copysign(math.inf, hi), (fn, hi, g)
                continue
            e = 1 / hi if fn == "rcp" else 1 / math.sqrt(hi)
            if abs(e) < 2.2250738585072014e-308:
                assert g == 0.0 and math.copysign(1, g) == math.copysign(1, e), (fn, hi, g)
            else:
                assert abs(g - e) <= 2.0 ** -19 * abs(e), (fn, hi, g, e)


def test_f64_rsqrt_approx():
    """rsqrt.approx.f64: the special-value table; PTX documents no bound for f64, the engine's
    (float64 1/sqrt) is checked against the f32 bound 2^-22.9."""
    vals = [-math.inf, -1.0, -0.0, 0.0, math.inf, 5e-324, 1.0, 2.0, 1e300, 1e-300, 3.7]
    got = run("rsqrt.approx.f64 %d, %a;", {"a": ("f64", [f64_bits(v) for v in vals] + [0x7FF8000000000000])},
              {"d": "f64"})["d"]
    want = [math.nan, math.nan, -math.inf, math.inf, 0.0]
    for v, w, g in zip(vals, want, got):
        g = bits_f64(g)
        assert (math.isnan(w) and math.isnan(g)) or (g == w and math.copysign(1, g) == math.copysign(1, w)), v
    for v, g in zip(vals[5:], got[5:]):
        assert abs(bits_f64(g) - 1 / math.sqrt(v)) <= 2.0 ** -22.9 / math.sqrt(v)
    assert math.isnan(bits_f64(got[-1]))


# ================================================================== abs / neg / min / max / copysign
@pytest.mark.parametrize("fmt", [FP32, FP64], ids=["f32", "f64"])
def test_abs_neg_min_max_copysign(fmt):
    """PTX: abs/neg change only the sign (NaN: unspecified NaN, checked by class, except "for abs.f64,
    NaN input is passed through unchanged"); .ftz flushes
    subnormal inputs first. min/max: a NaN operand yields the other operand, two NaNs a NaN,
    -0.0 < +0.0; .NaN: canonical NaN if either is NaN. copysign d, a, b: b with a's sign bit."""
    ty = _reg(fmt)
    sp = special_patterns(fmt)
    a = [x for x in sp for _ in sp]
    b = [y for _ in sp for y in sp]
    ftz_forms = fmt is FP32
    body = [f"abs.{ty} %abs, %a;", f"neg.{ty} %neg, %a;", f"min.{ty} %min, %a, %b;", f"max.{ty} %max, %a, %b;",
            f"min.NaN.{ty} %minn, %a, %b;", f"max.NaN.{ty} %maxn, %a, %b;", f"copysign.{ty} %cs, %a, %b;"]
    if ftz_forms:
        body += ["abs.ftz.f32 %absf, %a;", "neg.ftz.f32 %negf, %a;", "min.ftz.f32 %minf, %a, %b;",
                 "max.ftz.NaN.f32 %maxnf, %a, %b;"]
    outs = {line.split()[1].strip("%,"): ty for line in body}
    got = run("\n".join(body), {"a": (ty, a), "b": (ty, b)}, outs)
    sign = fmt.sign_bit
    canonical = fmt.canonical_nan

    def num(x):
        return bits_f32(x) if fmt is FP32 else bits_f64(x)

    def minmax(x, y, want_max, nan_prop):
        nx, ny = is_nan_bits(x, fmt), is_nan_bits(y, fmt)
        if (nx and ny) or (nan_prop and (nx or ny)):
            return canonical
        if nx or ny:
            return y if nx else x
        fx, fy = num(x), num(y)
        if fx == fy:                         # equal values: only ±0 differ, -0 < +0
            neg_x = bool(x & sign)
            return (y if neg_x else x) if want_max else (x if neg_x else y)
        return (x if fx > fy else y) if want_max else (x if fx < fy else y)

    for i, (x, y) in enumerate(zip(a, b)):
        want = {"abs": x & ~sign, "neg": x ^ sign, "min": minmax(x, y, False, False),
                "max": minmax(x, y, True, False), "minn": minmax(x, y, False, True),
                "maxn": minmax(x, y, True, True), "cs": (y & ~sign) | (x & sign)}
        if ftz_forms:
            fx, fy = flush(x, fmt), flush(y, fmt)
            want.update(absf=fx & ~sign, negf=fx ^ sign, minf=minmax(fx, fy, False, False),
                        maxnf=minmax(fx, fy, True, True))
        for name, w in want.items():
            g = int(got[name][i])
            if name == "abs" and fmt is FP64 and is_nan_bits(x, fmt):
                assert g == x, (name, hex(x), hex(g))    # "For abs.f64, NaN input is passed through unchanged"
                continue
            if name in ("abs", "neg", "absf", "negf", "cs") and is_nan_bits(w, fmt):
                assert is_nan_bits(g, fmt), (name, hex(x), hex(y), hex(g))        # "unspecified NaN"
                if name == "cs":
                    assert g & sign == x & sign, (name, hex(x), hex(y), hex(g))     # the sign is a's
                continue
            assert g == w, (name, hex(x), hex(y), hex(g), hex(w))


# ================================================================== testp, setp, set, selp, slct
@pytest.mark.parametrize("fmt", [FP32, FP64], ids=["f32", "f64"])
def test_testp(fmt):
    """PTX: finite (not inf/NaN), infinite, number (not NaN), notanumber, normal (not NaN/inf/subnormal;
    "as a special case, positive and negative zero are considered normal numbers"), subnormal."""
    ty = _reg(fmt)
    rng = np.random.default_rng(7)
    vals = special_patterns(fmt) + [int(x) for x in rng.integers(0, 1 << 62, 200, dtype=np.uint64)]
    if fmt is FP32:
        vals = [v & 0xFFFFFFFF for v in vals]
    classes = ["finite", "infinite", "number", "notanumber", "normal", "subnormal"]
    got = run("\n".join(f"testp.{c}.{ty} %{c}, %a;" for c in classes), {"a": (ty, vals)},
              {c: "pred" for c in classes})
    for i, v in enumerate(vals):
        kind = decode(v, fmt)[0]
        sub = is_subnormal(v, fmt)
        want = {"finite": kind == "finite", "infinite": kind == "inf", "number": kind != "nan",
                "notanumber": kind == "nan", "normal": kind == "finite" and not sub, "subnormal": sub}
        for c in classes:
            assert int(got[c][i]) == int(want[c]), (c, hex(v))


CMPS = ["eq", "ne", "lt", "le", "gt", "ge", "equ", "neu", "ltu", "leu", "gtu", "geu", "num", "nan"]


def compare_ref(cmp: str, x: float, y: float) -> bool:
    """PTX floating-point comparisons: ordered ones are false with a NaN operand, unordered (..u) true."""
    unordered = math.isnan(x) or math.isnan(y)
    if cmp == "num":
        return not unordered
    if cmp == "nan":
        return unordered
    base = cmp[:2]
    value = {"eq": x == y, "ne": x != y, "lt": x < y, "le": x <= y, "gt": x > y, "ge": x >= y}[base]
    if len(cmp) == 3:
        return unordered or value
    return not unordered and value


@pytest.mark.parametrize("fmt", [FP32, FP64], ids=["f32", "f64"])
def test_setp_every_comparison(fmt):
    """setp.CmpOp p|q, a, b (q is the complement) over specials x specials: NaN operands, ±0, ±inf,
    subnormals; .ftz (f32 only) compares subnormals as zeros; .and/.or/.xor combine with c."""
    ty = _reg(fmt)
    sp = special_patterns(fmt)
    a = [x for x in sp for _ in sp]
    b = [y for _ in sp for y in sp]
    c = [(i * 7 // 3) & 1 for i in range(len(a))]
    body = [f"setp.{cmp}.{ty} %p_{cmp}|%q_{cmp}, %a, %b;\nsetp.{cmp}.{ty} %s_{cmp}, %a, %b;" for cmp in CMPS]
    outs = {f"{k}_{cmp}": "pred" for cmp in CMPS for k in "pqs"}
    if fmt is FP32:
        body += [f"setp.{cmp}.ftz.f32 %f_{cmp}, %a, %b;" for cmp in CMPS]
        outs.update({f"f_{cmp}": "pred" for cmp in CMPS})
    body += [f"setp.ltu.and.{ty} %band, %a, %b, %c;", f"setp.ge.or.{ty} %bor|%bor2, %a, %b, !%c;",
             f"setp.ne.xor.{ty} %bxor, %a, %b, %c;",
             f"set.gtu.f32.{ty} %setf, %a, %b;", f"set.le.u32.{ty} %setu, %a, %b;"]
    outs.update(band="pred", bor="pred", bor2="pred", bxor="pred", setf="f32", setu="u32")
    if fmt is FP32:
        body.append("set.eq.ftz.u32.f32 %setz, %a, %b;")
        outs["setz"] = "u32"
    got = run("\n".join(body), {"a": (ty, a), "b": (ty, b), "c": ("pred", c)}, outs)
    num = bits_f32 if fmt is FP32 else bits_f64
    for i, (x, y) in enumerate(zip(a, b)):
        fx, fy = num(x), num(y)
        for cmp in CMPS:
            w = compare_ref(cmp, fx, fy)
            assert (int(got[f"p_{cmp}"][i]), int(got[f"q_{cmp}"][i])) == (w, not w), (cmp, hex(x), hex(y))
            assert int(got[f"s_{cmp}"][i]) == w, (cmp, hex(x), hex(y))          # one destination: fast path
            if fmt is FP32:
                wf = compare_ref(cmp, num(flush(x, fmt)), num(flush(y, fmt)))
                assert int(got[f"f_{cmp}"][i]) == wf, ("ftz", cmp, hex(x), hex(y))
        ci = bool(c[i])
        ltu, ge, ne = compare_ref("ltu", fx, fy), compare_ref("ge", fx, fy), compare_ref("ne", fx, fy)
        assert int(got["band"][i]) == (ltu and ci)
        assert (int(got["bor"][i]), int(got["bor2"][i])) == (ge or not ci, (not ge) or not ci)
        assert int(got["bxor"][i]) == (ne != ci)
        assert int(got["setf"][i]) == (0x3F800000 if compare_ref("gtu", fx, fy) else 0)
        assert int(got["setu"][i]) == (0xFFFFFFFF if compare_ref("le", fx, fy) else 0)
        if fmt is FP32:
            eq = compare_ref("eq", num(flush(x, fmt)), num(flush(y, fmt)))
            assert int(got["setz"][i]) == (0xFFFFFFFF if eq else 0), ("set.eq.ftz", hex(x), hex(y))


def test_selp_and_slct_with_float_immediates():
    """selp.f32/.f64 with float immediates (0f / 0d hex literals); slct.f32.f32 picks a when c >= 0
    (-0.0 included)."""
    c = [1, 0, 1, 0]
    cf = [f32_bits(v) for v in (1.0, -1.0, -0.0, -(2.0 ** -149))]
    body = """selp.f32 %s1, 0f3FC00000, 0fBF800000, %c;
              selp.f32 %s2, 0f7F800000, 0f7FC00000, %c;
              selp.f64 %s3, 0d3FF8000000000000, 0d7FF0000000000000, %c;
              selp.f32 %s4, 0f40200000, 0f3E800000, %c;
              slct.f32.f32 %s5, 0f40000000, 0f40400000, %cf;"""
    got = run(body, {"c": ("pred", c), "cf": ("f32", cf)}, dict(s1="f32", s2="f32", s3="f64", s4="f32", s5="f32"))
    assert [int(x) for x in got["s1"]] == [0x3FC00000, 0xBF800000] * 2
    assert [int(x) for x in got["s2"]] == [0x7F800000, 0x7FC00000] * 2
    assert [int(x) for x in got["s3"]] == [0x3FF8000000000000, 0x7FF0000000000000] * 2
    assert [bits_f32(x) for x in got["s4"]] == [2.5, 0.25] * 2
    assert [bits_f32(x) for x in got["s5"]] == [2.0, 3.0, 2.0, 3.0]


def test_selp_f64_negative_immediate():
    got = run("selp.f64 %d, 0dBFF0000000000000, 0dFFF0000000000000, %c;", {"c": ("pred", [1, 0])}, {"d": "f64"})
    assert [int(x) for x in got["d"]] == [0xBFF0000000000000, 0xFFF0000000000000]


def test_decimal_float_literals_in_f32_instructions():
    got = run("mov.f32 %d, 2.5;\nadd.f32 %e, %a, 2.5;\nselp.f32 %g, 2.5, 0.25, %p;",
              {"a": ("f32", [f32_bits(1.0)]), "p": ("pred", [1])}, {"d": "f32", "e": "f32", "g": "f32"})
    assert [bits_f32(got[k][0]) for k in "deg"] == [2.5, 3.5, 2.5]
