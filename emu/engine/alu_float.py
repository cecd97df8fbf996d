"""f32 and f64 arithmetic: the per-lane reference semantics of the PTX ISA."""
import math

import numpy as np
from numba import njit

from emu.engine import layout as L
from emu.engine.bits import f32_from_bits, f32_to_bits, f64_from_bits, f64_to_bits
from emu.engine.operands import rd_f32, rd_f64, wr
from emu.numerics import scalar as S
from emu.numerics.formats import F32_MIN_NORMAL, F64_MIN_NORMAL

# div.approx.f32 computes a * (1/b): for |b| above 2^126, 1/b is below the smallest normal f32 and flushes
DIV_APPROX_F32_HUGE = float.fromhex("0x1p126")


@njit(cache=True, error_model="numpy", _nrt=False)
def fma_f32_rn(a, b, c):
    """Correctly rounded float32 fused multiply-add.

    a*b is exact in float64 (24+24 bits). The float64 sum p + c is made
    round-to-odd with an exact TwoSum error term, and rounding a
    round-to-odd value with 53 >= 24 + 2 bits to float32 gives the correctly
    rounded result (Boldo & Melquiond, "Emulation of FMA and correctly
    rounded sums: proved algorithms using rounding to odd", 2008).
    """
    p = np.float64(a) * np.float64(b)
    cc = np.float64(c)
    s = p + cc
    if not math.isfinite(s):
        return np.float32(s)
    bb = s - p
    err = (p - (s - bb)) + (cc - bb)
    if err != 0.0:
        bits = f64_to_bits(s)
        if bits & 1 == 0:
            if (err > 0.0) == (s > 0.0):
                bits += 1
            else:
                bits -= 1
            s = f64_from_bits(bits)
    return np.float32(s)


@njit(cache=True, error_model="numpy", _nrt=False)
def f32_canonical(x):
    """The bits of an f32 result (zero-extended), every NaN as the canonical 0x7FFFFFFF."""
    return np.int64(0x7FFFFFFF) if x != x else f32_to_bits(x)


@njit(cache=True, error_model="numpy", _nrt=False)
def f64_canonical(x):
    """The bits of an f64 result, every NaN as the canonical 0x7FFFFFFFFFFFFFFF."""
    return np.int64(0x7FFFFFFFFFFFFFFF) if x != x else f64_to_bits(x)


@njit(cache=True, error_model="numpy", _nrt=False)
def flush_f32(x):
    """.ftz: a subnormal float32 becomes a zero of the same sign."""
    if x != 0.0 and abs(x) < np.float32(F32_MIN_NORMAL):
        return np.float32(math.copysign(0.0, x))
    return x


@njit(cache=True, error_model="numpy", _nrt=False)
def sat_f32(x):
    """.sat: clamp to [0, 1]; NaN becomes +0."""
    if not (x > 0.0):
        return np.float32(0.0)
    if x > 1.0:
        return np.float32(1.0)
    return x


@njit(cache=True, error_model="numpy", _nrt=False)
def sat_f64(x):
    if not (x > 0.0):
        return 0.0
    if x > 1.0:
        return 1.0
    return x


@njit(cache=True, error_model="numpy", _nrt=False)
def fmin_ptx(a, b, nan_prop):
    """PTX min: a NaN operand is ignored unless both are NaN (or .NaN is given); -0 < +0."""
    if a != a or b != b:
        if nan_prop or (a != a and b != b):
            return a + b           # a NaN
        return b if a != a else a
    if a == b:
        return a if math.copysign(1.0, a) < 0 else b
    return a if a < b else b


@njit(cache=True, error_model="numpy", _nrt=False)
def fmax_ptx(a, b, nan_prop):
    if a != a or b != b:
        if nan_prop or (a != a and b != b):
            return a + b
        return b if a != a else a
    if a == b:
        return b if math.copysign(1.0, a) < 0 else a
    return a if a > b else b


@njit(cache=True, error_model="numpy", _nrt=False)
def exec_float32(op, sub, rnd, flags, code, pc, okind, oval, of, regs, T, base, mask):
    """f32 arithmetic for the lanes in mask."""
    s = code[pc, L.F_SRC]
    d = code[pc, L.F_DST]
    ns = code[pc, L.F_NSRC]
    ftz = (flags & L.FL_FTZ) != 0
    sat = (flags & L.FL_SAT) != 0
    directed = rnd == L.RND_RZ or rnd == L.RND_RM or rnd == L.RND_RP
    for lane in range(32):
        if not (mask >> lane) & 1:
            continue
        t = base + lane
        a = rd_f32(okind, oval, of, regs, T, s, t)
        if ftz:
            a = flush_f32(a)
        b = np.float32(0.0)
        c = np.float32(0.0)
        if ns > 1:
            b = rd_f32(okind, oval, of, regs, T, s + 1, t)
            if ftz:
                b = flush_f32(b)
        if ns > 2:
            c = rd_f32(okind, oval, of, regs, T, s + 2, t)
            if ftz:
                c = flush_f32(c)
        if directed and (op == L.OP_ADD or op == L.OP_SUB or op == L.OP_MUL or op == L.OP_FMA or op == L.OP_MAD
                         or op == L.OP_DIV or op == L.OP_SQRT or op == L.OP_RCP):
            ab = f32_to_bits(a)
            bb = f32_to_bits(b)
            if op == L.OP_ADD:
                rbits = S.f32_add(ab, bb, rnd, ftz, 0)
            elif op == L.OP_SUB:
                rbits = S.f32_sub(ab, bb, rnd, ftz, 0)
            elif op == L.OP_MUL:
                rbits = S.f32_mul(ab, bb, rnd, ftz, 0)
            elif op == L.OP_DIV:
                rbits = S.f32_div(ab, bb, rnd, ftz)
            elif op == L.OP_SQRT:
                rbits = S.f32_sqrt(ab, rnd, ftz)
            elif op == L.OP_RCP:
                rbits = S.f32_rcp(ab, rnd, ftz)
            else:
                rbits = S.f32_fma(ab, bb, f32_to_bits(c), rnd, ftz, 0)
            r = f32_from_bits(rbits)
        elif op == L.OP_FMA or op == L.OP_MAD:
            r = fma_f32_rn(a, b, c)
        elif op == L.OP_ADD:
            r = a + b
        elif op == L.OP_SUB:
            r = a - b
        elif op == L.OP_MUL:
            r = a * b
        elif op == L.OP_DIV:
            r = a / b
            if (flags & L.FL_APPROX) != 0 and a == a and math.isfinite(b) and abs(b) > DIV_APPROX_F32_HUGE:
                # div.approx.f32 is a * (1/b): for 2^126 < |b| < 2^128 PTX gives NaN if a is
                # infinite, otherwise a sign-preserving zero
                if math.isinf(a):
                    r = np.float32(math.nan)
                else:
                    r = np.float32(-0.0) if (math.copysign(1.0, a) < 0.0) != (b < 0.0) else np.float32(0.0)
        elif op == L.OP_ABS:
            r = np.float32(abs(a))
        elif op == L.OP_NEG:
            r = -a
        elif op == L.OP_MIN:
            r = np.float32(fmin_ptx(a, b, (flags & L.FL_NAN) != 0))
        elif op == L.OP_MAX:
            r = np.float32(fmax_ptx(a, b, (flags & L.FL_NAN) != 0))
        elif op == L.OP_RCP:
            r = np.float32(1.0) / a
        elif op == L.OP_SQRT:
            r = np.float32(math.sqrt(a)) if a >= 0.0 else (a if a == 0.0 else np.float32(math.nan))
        elif op == L.OP_RSQRT:
            if a > 0.0:
                r = np.float32(1.0 / math.sqrt(a))
            else:
                r = np.float32(math.copysign(math.inf, a)) if a == 0.0 else np.float32(math.nan)
        elif op == L.OP_EX2:
            r = np.float32(2.0 ** np.float64(a)) if a == a else a
        elif op == L.OP_LG2:
            r = np.float32(math.log2(a)) if a > 0.0 else (np.float32(-math.inf) if a == 0.0 else np.float32(math.nan))
        elif op == L.OP_SIN:
            r = np.float32(math.sin(a)) if math.isfinite(a) else np.float32(math.nan)
        elif op == L.OP_COS:
            r = np.float32(math.cos(a)) if math.isfinite(a) else np.float32(math.nan)
        elif op == L.OP_TANH:
            r = np.float32(math.tanh(a))
        elif op == L.OP_COPYSIGN:
            r = np.float32(math.copysign(b, a))      # copysign d, a, b: |b| with the sign of a
        else:
            r = np.float32(math.nan)
        if r != r and op != L.OP_ABS and op != L.OP_NEG and op != L.OP_COPYSIGN:
            r = f32_from_bits(0x7FFFFFFF)            # canonical NaN
        if ftz:
            r = flush_f32(r)
        if sat:
            r = sat_f32(r)
        wr(okind, oval, regs, T, d, t, f32_to_bits(r))


@njit(cache=True, error_model="numpy", _nrt=False)
def exec_float64(op, sub, rnd, flags, code, pc, okind, oval, of, regs, T, base, mask):
    s = code[pc, L.F_SRC]
    d = code[pc, L.F_DST]
    ns = code[pc, L.F_NSRC]
    directed = rnd == L.RND_RZ or rnd == L.RND_RM or rnd == L.RND_RP
    approx_ftz = (flags & L.FL_APPROX) != 0 and (flags & L.FL_FTZ) != 0
    for lane in range(32):
        if not (mask >> lane) & 1:
            continue
        t = base + lane
        a = rd_f64(okind, oval, of, regs, T, s, t)
        b = rd_f64(okind, oval, of, regs, T, s + 1, t) if ns > 1 else 0.0
        c = rd_f64(okind, oval, of, regs, T, s + 2, t) if ns > 2 else 0.0
        if approx_ftz and (op == L.OP_RCP or op == L.OP_RSQRT):
            # rcp.approx.ftz.f64 / rsqrt.approx.ftz.f64 (PTX): only the upper 32 bits of a are used,
            # the lower 32 bits of the result are zero, subnormal inputs and results flush to
            # sign-preserving zeros, and a NaN becomes the canonical 0x7fffffff00000000
            hi_mask = np.int64(-4294967296)                      # 0xFFFFFFFF00000000
            x = f64_from_bits(f64_to_bits(a) & hi_mask)
            if x != 0.0 and abs(x) < F64_MIN_NORMAL:
                x = math.copysign(0.0, x)
            if op == L.OP_RCP:
                y = 1.0 / x if x != 0.0 else math.copysign(math.inf, x)
            else:
                y = 1.0 / math.sqrt(x) if x > 0.0 else (math.copysign(math.inf, x) if x == 0.0 else math.nan)
            if y != y:
                rb = np.int64(0x7FFFFFFF00000000)
            else:
                rb = f64_to_bits(y) & hi_mask
                if (rb & np.int64(0x7FF0000000000000)) == 0:
                    rb = rb & np.int64(-9223372036854775808)    # subnormal result: keep the sign
            r = f64_from_bits(rb)
        elif op == L.OP_FMA or op == L.OP_MAD:
            r = f64_from_bits(S.f64_fma(f64_to_bits(a), f64_to_bits(b), f64_to_bits(c), rnd if rnd >= 0 else L.RND_RN))
        elif directed and (op == L.OP_ADD or op == L.OP_SUB or op == L.OP_MUL or op == L.OP_DIV or op == L.OP_SQRT
                           or op == L.OP_RCP):
            ab = f64_to_bits(a)
            bb = f64_to_bits(b)
            if op == L.OP_ADD:
                r = f64_from_bits(S.f64_add(ab, bb, rnd))
            elif op == L.OP_SUB:
                r = f64_from_bits(S.f64_sub(ab, bb, rnd))
            elif op == L.OP_MUL:
                r = f64_from_bits(S.f64_mul(ab, bb, rnd))
            elif op == L.OP_DIV:
                r = f64_from_bits(S.f64_div(ab, bb, rnd))
            elif op == L.OP_SQRT:
                r = f64_from_bits(S.f64_sqrt(ab, rnd))
            else:
                r = f64_from_bits(S.f64_rcp(ab, rnd))
        elif op == L.OP_ADD:
            r = a + b
        elif op == L.OP_SUB:
            r = a - b
        elif op == L.OP_MUL:
            r = a * b
        elif op == L.OP_DIV:
            r = a / b
        elif op == L.OP_ABS:
            r = abs(a) if a == a else a         # PTX: "For abs.f64, NaN input is passed through unchanged"
        elif op == L.OP_NEG:
            r = -a
        elif op == L.OP_MIN:
            r = fmin_ptx(a, b, (flags & L.FL_NAN) != 0)
        elif op == L.OP_MAX:
            r = fmax_ptx(a, b, (flags & L.FL_NAN) != 0)
        elif op == L.OP_RCP:
            r = 1.0 / a
        elif op == L.OP_SQRT:
            r = math.sqrt(a) if a >= 0.0 else (a if a == 0.0 else math.nan)
        elif op == L.OP_RSQRT:
            r = 1.0 / math.sqrt(a) if a > 0.0 else (math.copysign(math.inf, a) if a == 0.0 else math.nan)
        elif op == L.OP_COPYSIGN:
            r = math.copysign(b, a)
        else:
            r = math.nan
        if r != r and op != L.OP_ABS and op != L.OP_NEG and op != L.OP_COPYSIGN and not approx_ftz:
            r = f64_from_bits(0x7FFFFFFFFFFFFFFF)   # canonical NaN
        if (flags & L.FL_SAT) != 0:
            r = sat_f64(r)
        wr(okind, oval, regs, T, d, t, f64_to_bits(r))


@njit(cache=True, error_model="numpy", _nrt=False)
def exec_testp(op, sub, ty, code, pc, okind, oval, of, regs, T, base, mask):
    s = code[pc, L.F_SRC]
    d = code[pc, L.F_DST]
    for lane in range(32):
        if not (mask >> lane) & 1:
            continue
        t = base + lane
        if ty == L.TY_F32:
            x = np.float64(rd_f32(okind, oval, of, regs, T, s, t))
            tiny = F32_MIN_NORMAL
        else:
            x = rd_f64(okind, oval, of, regs, T, s, t)
            tiny = F64_MIN_NORMAL
        if sub == L.TESTP_FINITE:
            r = math.isfinite(x)
        elif sub == L.TESTP_INFINITE:
            r = math.isinf(x)
        elif sub == L.TESTP_NUMBER:
            r = x == x
        elif sub == L.TESTP_NOTANUMBER:
            r = x != x
        elif sub == L.TESTP_NORMAL:
            # PTX: "as a special case, positive and negative zero are considered normal numbers"
            r = math.isfinite(x) and (abs(x) >= tiny or x == 0.0)
        else:
            r = x != 0.0 and abs(x) < tiny
        wr(okind, oval, regs, T, d, t, np.int64(1) if r else np.int64(0))
