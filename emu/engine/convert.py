"""mov, cvt and cvta: per-lane reference semantics."""
import math

import numpy as np
from numba import njit

from emu.engine import layout as L
from emu.engine.alu_float import flush_f32, sat_f32, sat_f64
from emu.engine.bits import f32_from_bits, f32_to_bits, f64_from_bits, f64_to_bits
from emu.numerics.formats import SAT_FINITE, SAT_RELU, SAT_UNIT
from emu.engine.operands import sext, zext, rd, wr
from emu.numerics import scalar as S


@njit(cache=True, error_model="numpy", _nrt=False)
def int_to_float_bits(v, signed, nbytes, rnd, to_f64):
    """cvt from an integer to f32/f64 with a rounding mode; returns the float's bits."""
    neg = False
    if signed:
        v = sext(v, nbytes)
        neg = v < 0
        mag = np.uint64(-v) if neg else np.uint64(v)
    else:
        mag = np.uint64(zext(v, nbytes))
    p = 53 if to_f64 else 24
    # count bits of the magnitude
    nbits = 0
    m = mag
    while m != np.uint64(0):
        m >>= np.uint64(1)
        nbits += 1
    if nbits > p and rnd != L.RND_RN:
        drop = np.uint64(nbits - p)
        q = mag >> drop
        rem = mag - (q << drop)
        up = False
        if rem != np.uint64(0):
            if rnd == L.RND_RP:
                up = not neg
            elif rnd == L.RND_RM:
                up = neg
        if up:
            q += np.uint64(1)
        value = np.float64(q) * 2.0 ** float(drop)
    elif nbits > 53:
        # round to nearest even in integer arithmetic first (float64(uint64) could double-round for f32)
        drop = np.uint64(nbits - p)
        q = mag >> drop
        rem = mag - (q << drop)
        half = np.uint64(1) << (drop - np.uint64(1))
        if rem > half or (rem == half and (q & np.uint64(1)) == np.uint64(1)):
            q += np.uint64(1)
        value = np.float64(q) * 2.0 ** float(drop)
    else:
        value = np.float64(mag)
    if neg:
        value = -value
    if to_f64:
        return f64_to_bits(value)
    return f32_to_bits(np.float32(value))


@njit(cache=True, error_model="numpy", _nrt=False)
def float_to_int(x, nbytes, signed, rnd):
    """cvt from float to integer: round per mode, saturate to the range, NaN -> 0 (PTX semantics)."""
    if x != x:
        return np.int64(0)
    mode = rnd - L.RND_IS_INTEGER if rnd >= L.RND_IS_INTEGER else L.RND_RZ
    # np.floor/ceil/trunc stay float64 (numba's math.floor returns an int64, which overflows
    # for |x| >= 2^63 and infinities before the saturation below could see them)
    if mode == L.RND_RN:
        r = np.rint(x)
    elif mode == L.RND_RM:
        r = np.floor(x)
    elif mode == L.RND_RP:
        r = np.ceil(x)
    else:
        r = np.trunc(x)
    bits = 8 * nbytes
    if signed:
        hi = 2.0 ** (bits - 1)
        if r >= hi:
            return (np.int64(1) << (bits - 1)) - 1 if bits < 64 else np.int64(0x7FFFFFFFFFFFFFFF)
        if r < -hi:
            return -(np.int64(1) << (bits - 1)) if bits < 64 else np.int64(-0x7FFFFFFFFFFFFFFF - 1)
        return np.int64(r)
    hi = 2.0 ** bits
    if r <= 0.0:
        return np.int64(0)
    if r >= hi:
        return (np.int64(1) << bits) - 1 if bits < 64 else np.int64(-1)
    if r >= 2.0 ** 63:
        return np.int64(np.uint64(r))
    return np.int64(r)


@njit(cache=True, error_model="numpy", _nrt=False)
def round_float_to_integral(x, rnd):
    mode = rnd - L.RND_IS_INTEGER
    if not math.isfinite(x):
        return x
    if mode == L.RND_RN:
        r = np.rint(x)
    elif mode == L.RND_RM:
        r = np.floor(x)          # float64 results: numba's math.floor is an int64 (overflows)
    elif mode == L.RND_RP:
        r = np.ceil(x)
    else:
        r = np.trunc(x)
    return math.copysign(r, x) if r == 0.0 else r


@njit(cache=True, error_model="numpy", _nrt=False)
def convert_one(v, dty, sty, rnd, flags):
    """cvt of one value (raw bits in, raw bits out)."""
    ftz = (flags & L.FL_FTZ) != 0
    sat = (flags & L.FL_SAT) != 0
    relu = (flags & L.FL_RELU) != 0
    satfinite = (flags & L.FL_SATFINITE) != 0
    dkind = dty >> 4
    skind = sty >> 4
    dn = 1 << (dty & 15) if dty != L.TY_TF32 else 4
    sn = 1 << (sty & 15) if sty != L.TY_TF32 else 4
    s_float = sty == L.TY_F32 or sty == L.TY_F64 or sty == L.TY_F16 or sty == L.TY_BF16
    d_float = dty == L.TY_F32 or dty == L.TY_F64 or dty == L.TY_F16 or dty == L.TY_BF16 or dty == L.TY_TF32
    mode = rnd if rnd >= 0 else L.RND_RN
    if not s_float and not d_float:
        # integer -> integer: extend per source signedness, then truncate (or saturate)
        x = sext(v, sn) if skind == L.TK_S else zext(v, sn)
        if sat:
            dbits = 8 * dn
            if dkind == L.TK_S:
                hi = (np.int64(1) << (dbits - 1)) - 1 if dbits < 64 else np.int64(0x7FFFFFFFFFFFFFFF)
                lo = -hi - 1
                if skind != L.TK_S and (x < 0 or x > hi):
                    x = hi
                elif x > hi:
                    x = hi
                elif x < lo:
                    x = lo
            else:
                if skind == L.TK_S and x < 0:
                    x = np.int64(0)
                elif dbits < 64 and (x > (np.int64(1) << dbits) - 1 or (skind != L.TK_S and x < 0)):
                    x = (np.int64(1) << dbits) - 1
        return sext(x, dn) if dkind == L.TK_S else zext(x, dn)
    if not s_float:
        # integer -> float
        if dty == L.TY_F64:
            return int_to_float_bits(v, skind == L.TK_S, sn, mode, bool(True))
        fbits = int_to_float_bits(v, skind == L.TK_S, sn, mode, bool(False))
        if dty == L.TY_F32:
            return fbits
        x64 = int_to_float_bits(v, skind == L.TK_S, sn, L.RND_RZ, bool(True))
        if int_to_float_bits(v, skind == L.TK_S, sn, L.RND_RP, bool(True)) != \
                int_to_float_bits(v, skind == L.TK_S, sn, L.RND_RM, bool(True)):
            # inexact in f64 (64-bit integers): round to odd, so that the rounding to f16/bf16
            # below is the only one (truncation alone loses the sticky bits: double rounding)
            x64 |= 1
        if dty == L.TY_F16:
            return np.int64(S.f64_to_f16(x64, mode, int(0)))
        return np.int64(S.f64_to_bf16(x64, mode, int(0)))
    # decode the float source
    if sty == L.TY_F32:
        x = np.float64(f32_from_bits(v))
        if ftz:
            x = np.float64(flush_f32(np.float32(x)))
    elif sty == L.TY_F64:
        x = f64_from_bits(v)
    elif sty == L.TY_F16:
        x = np.float64(f32_from_bits(S.f16_to_f32(v & 0xFFFF)))
    else:
        x = np.float64(f32_from_bits(S.bf16_to_f32(v & 0xFFFF)))
    if not d_float:
        if x != x and (sty == L.TY_F64 or dn == 8):
            # PTX: NaN -> 0, except from .f64 or to .s64/.u64: 1 << (width - 1) (MININT / MAXINT/2 + 1)
            nan_int = np.int64(1) << (8 * dn - 1)
            return sext(nan_int, dn) if dkind == L.TK_S else nan_int
        return float_to_int(x, dn, dkind == L.TK_S, rnd if rnd >= 0 else L.RND_RZ + L.RND_IS_INTEGER)
    # float -> float
    if rnd >= L.RND_IS_INTEGER:
        x = round_float_to_integral(x, rnd)
        mode = L.RND_RN
    satmode = SAT_UNIT if sat else (SAT_FINITE if satfinite else 0)
    if relu:
        satmode |= SAT_RELU
    if dty == L.TY_F64:
        r = sat_f64(x) if sat else x
        if r != r:
            return np.int64(0x7FFFFFFFFFFFFFFF) if sty != L.TY_F64 else v
        return f64_to_bits(r)
    if dty == L.TY_F32:
        if sty == L.TY_F64:
            return np.int64(S.f64_to_f32(f64_to_bits(x), mode, ftz, 1 if sat else 0)) & 0xFFFFFFFF
        r32 = np.float32(x)
        if ftz:
            r32 = flush_f32(r32)
        if sat:
            r32 = sat_f32(r32)
        if r32 != r32:
            return np.int64(0x7FFFFFFF)
        return f32_to_bits(r32)
    if dty == L.TY_F16:
        if sty == L.TY_F64:
            return np.int64(S.f64_to_f16(f64_to_bits(x), mode, satmode))
        return np.int64(S.f32_to_f16(f32_to_bits(np.float32(x)), mode, ftz, satmode))
    if dty == L.TY_BF16:
        if sty == L.TY_F64:
            return np.int64(S.f64_to_bf16(f64_to_bits(x), mode, satmode))
        return np.int64(S.f32_to_bf16(f32_to_bits(np.float32(x)), mode, ftz, satmode))
    return np.int64(S.f32_to_tf32(f32_to_bits(np.float32(x)), mode, satmode)) & 0xFFFFFFFF


@njit(cache=True, error_model="numpy", _nrt=False)
def exec_convert(op, ty, rnd, flags, code, pc, okind, oval, regs, T, base, mask, w, sreg):
    s = code[pc, L.F_SRC]
    d = code[pc, L.F_DST]
    ns = code[pc, L.F_NSRC]
    nd = code[pc, L.F_NDST]
    sub = code[pc, L.F_SUB]
    width = code[pc, L.F_WIDTH]
    ty2 = code[pc, L.F_TY2]
    space = code[pc, L.F_SPACE]
    for lane in range(32):
        if not (mask >> lane) & 1:
            continue
        t = base + lane
        if op == L.OP_MOV:
            if sub == L.MOV_PLAIN:
                wr(okind, oval, regs, T, d, t, rd(okind, oval, regs, T, s, t, lane, w, sreg))
            elif sub == L.MOV_PACK:
                ebits = 8 * width // ns
                r = np.int64(0)
                for k in range(ns):
                    r |= zext(rd(okind, oval, regs, T, s + k, t, lane, w, sreg), ebits // 8) << (ebits * k)
                wr(okind, oval, regs, T, d, t, r)
            else:
                ebits = 8 * width // nd
                v = rd(okind, oval, regs, T, s, t, lane, w, sreg)
                for k in range(nd):
                    wr(okind, oval, regs, T, d + k, t, zext(v >> (ebits * k), ebits // 8))
        elif op == L.OP_CVTA:
            v = rd(okind, oval, regs, T, s, t, lane, w, sreg)
            if sub == L.CVTA_TO_GENERIC:
                if space == L.SP_SHARED:
                    v = v + L.SHARED_WINDOW
                elif space == L.SP_LOCAL:
                    v = v + L.LOCAL_WINDOW
            else:
                if space == L.SP_SHARED and v >= L.SHARED_WINDOW and v < L.SHARED_WINDOW + L.WINDOW_SIZE:
                    v = v - L.SHARED_WINDOW
                elif space == L.SP_LOCAL and v >= L.LOCAL_WINDOW and v < L.LOCAL_WINDOW + L.WINDOW_SIZE:
                    v = v - L.LOCAL_WINDOW
            if width == 4:
                v = zext(v, 4)
            wr(okind, oval, regs, T, d, t, v)
        else:  # cvt
            if (ty == L.TY_F16X2 or ty == L.TY_BF16X2) and ns == 2:
                # cvt.rn.f16x2.f32 d, a, b: a goes to the upper half, b to the lower
                half_ty = L.TY_F16 if ty == L.TY_F16X2 else L.TY_BF16
                hi = convert_one(rd(okind, oval, regs, T, s, t, lane, w, sreg), half_ty, ty2, rnd, flags)
                lo = convert_one(rd(okind, oval, regs, T, s + 1, t, lane, w, sreg), half_ty, ty2, rnd, flags)
                wr(okind, oval, regs, T, d, t, (zext(hi, 2) << 16) | zext(lo, 2))
            else:
                wr(okind, oval, regs, T, d, t,
                   convert_one(rd(okind, oval, regs, T, s, t, lane, w, sreg), ty, ty2, rnd, flags))
