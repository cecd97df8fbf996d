"""f16, bf16, f16x2 and bf16x2 arithmetic, exactly rounded through emu.numerics.scalar."""
import math

import numpy as np
from numba import njit

from emu.engine import layout as L
from emu.engine.bits import f32_from_bits, f64_to_bits
from emu.numerics.formats import SAT_RELU
from emu.engine.operands import rd, wr
from emu.numerics import scalar as S


@njit(cache=True, error_model="numpy", _nrt=False)
def half_op(op, a, b, c, rnd, ftz, sat, is_bf16, nan_prop):
    """One f16/bf16 operation on 16-bit patterns, exactly rounded (emu.numerics.scalar)."""
    if op == L.OP_MIN or op == L.OP_MAX or op == L.OP_NEG or op == L.OP_ABS or op == L.OP_EX2 or op == L.OP_TANH:
        inf = 0x7F80 if is_bf16 else 0x7C00
        if ftz and (a & inf) == 0:
            a = a & 0x8000                # .ftz: a subnormal input is a zero of the same sign
        if ftz and (b & inf) == 0:
            b = b & 0x8000
        if nan_prop and (op == L.OP_MIN or op == L.OP_MAX) and ((a & 0x7FFF) > inf or (b & 0x7FFF) > inf):
            return 0x7FFF                 # min/max.NaN: canonical NaN if either input is NaN
        if op == L.OP_EX2 or op == L.OP_TANH:
            # .approx: computed in float64 and rounded once (PTX max rel. error f16 2^-9.9, bf16 2^-7)
            x = np.float64(f32_from_bits(S.bf16_to_f32(a) if is_bf16 else S.f16_to_f32(a)))
            y = 2.0 ** x if op == L.OP_EX2 else math.tanh(x)
            if is_bf16:
                rb = S.f64_to_bf16(f64_to_bits(y), L.RND_RN, int(0))
            else:
                rb = S.f64_to_f16(f64_to_bits(y), L.RND_RN, int(0))
            if ftz and (rb & inf) == 0:
                rb = rb & 0x8000
            return rb
    if is_bf16:
        if op == L.OP_ADD:
            return S.bf16_add(a, b, rnd, ftz, sat)
        if op == L.OP_SUB:
            return S.bf16_sub(a, b, rnd, ftz, sat)
        if op == L.OP_MUL:
            return S.bf16_mul(a, b, rnd, ftz, sat)
        if op == L.OP_FMA or op == L.OP_MAD:
            return S.bf16_fma(a, b, c, rnd, ftz, sat)
        if op == L.OP_MIN:
            return S.bf16_min(a, b)
        if op == L.OP_MAX:
            return S.bf16_max(a, b)
        if op == L.OP_NEG:
            return S.bf16_neg(a)
        return S.bf16_abs(a)
    if op == L.OP_ADD:
        return S.f16_add(a, b, rnd, ftz, sat)
    if op == L.OP_SUB:
        return S.f16_sub(a, b, rnd, ftz, sat)
    if op == L.OP_MUL:
        return S.f16_mul(a, b, rnd, ftz, sat)
    if op == L.OP_FMA or op == L.OP_MAD:
        return S.f16_fma(a, b, c, rnd, ftz, sat)
    if op == L.OP_MIN:
        return S.f16_min(a, b)
    if op == L.OP_MAX:
        return S.f16_max(a, b)
    if op == L.OP_NEG:
        return S.f16_neg(a)
    return S.f16_abs(a)


@njit(cache=True, error_model="numpy", _nrt=False)
def exec_half(op, ty, rnd, flags, code, pc, okind, oval, regs, T, base, mask, w, sreg):
    """f16, bf16, f16x2 and bf16x2 arithmetic."""
    s = code[pc, L.F_SRC]
    d = code[pc, L.F_DST]
    ns = code[pc, L.F_NSRC]
    ftz = (flags & L.FL_FTZ) != 0
    sat = 1 if (flags & L.FL_SAT) != 0 else 0
    if (flags & L.FL_RELU) != 0:
        sat |= SAT_RELU                   # fma.relu clamps negative results to +0
    nan_prop = (flags & L.FL_NAN) != 0
    is_bf16 = ty == L.TY_BF16 or ty == L.TY_BF16X2
    packed = ty == L.TY_F16X2 or ty == L.TY_BF16X2
    r_mode = rnd if rnd >= 0 else L.RND_RN
    for lane in range(32):
        if not (mask >> lane) & 1:
            continue
        t = base + lane
        a = rd(okind, oval, regs, T, s, t, lane, w, sreg)
        b = rd(okind, oval, regs, T, s + 1, t, lane, w, sreg) if ns > 1 else np.int64(0)
        c = rd(okind, oval, regs, T, s + 2, t, lane, w, sreg) if ns > 2 else np.int64(0)
        lo = half_op(op, a & 0xFFFF, b & 0xFFFF, c & 0xFFFF, r_mode, ftz, sat, is_bf16, nan_prop)
        if packed:
            hi = half_op(op, (a >> 16) & 0xFFFF, (b >> 16) & 0xFFFF, (c >> 16) & 0xFFFF,
                         r_mode, ftz, sat, is_bf16, nan_prop)
            wr(okind, oval, regs, T, d, t, (np.int64(hi) << 16) | np.int64(lo))
        else:
            wr(okind, oval, regs, T, d, t, np.int64(lo))
