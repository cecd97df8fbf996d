"""setp, set, selp and slct: per-lane reference semantics."""
import numpy as np
from numba import njit

from emu.engine import layout as L
from emu.engine.bits import f32_from_bits
from emu.engine.operands import sext, zext, rd, rd_f32, rd_f64, wr
from emu.numerics import scalar as S
from emu.numerics.formats import F16_MIN_NORMAL, F32_MIN_NORMAL


@njit(cache=True, error_model="numpy", _nrt=False, inline="always")
def compare(a, b, cmp, is_float, unsigned):
    """setp/set comparison of two numbers already decoded to float64 or int64."""
    if is_float:
        unordered = a != a or b != b
        if cmp == L.CMP_NUM:
            return not unordered
        if cmp == L.CMP_NAN:
            return unordered
        if cmp >= L.CMP_EQU:
            if unordered:
                return True
            cmp -= L.CMP_EQU
        elif unordered:
            return False
        if cmp == L.CMP_EQ:
            return a == b
        if cmp == L.CMP_NE:
            return a != b
        if cmp == L.CMP_LT or cmp == L.CMP_LO:
            return a < b
        if cmp == L.CMP_LE or cmp == L.CMP_LS:
            return a <= b
        if cmp == L.CMP_GT or cmp == L.CMP_HI:
            return a > b
        return a >= b
    if unsigned or cmp >= L.CMP_LO:
        ua = np.uint64(a)
        ub = np.uint64(b)
        if cmp == L.CMP_EQ:
            return ua == ub
        if cmp == L.CMP_NE:
            return ua != ub
        if cmp == L.CMP_LT or cmp == L.CMP_LO:
            return ua < ub
        if cmp == L.CMP_LE or cmp == L.CMP_LS:
            return ua <= ub
        if cmp == L.CMP_GT or cmp == L.CMP_HI:
            return ua > ub
        return ua >= ub
    if cmp == L.CMP_EQ:
        return a == b
    if cmp == L.CMP_NE:
        return a != b
    if cmp == L.CMP_LT:
        return a < b
    if cmp == L.CMP_LE:
        return a <= b
    if cmp == L.CMP_GT:
        return a > b
    return a >= b


# The same comparison as an ordinary (out-of-line) call, for the per-lane fallback in
# exec_compare: inlining it there at numba IR level bought no speed and cost compile time.
@njit(cache=True, error_model="numpy", _nrt=False)
def compare_call(a, b, cmp, is_float, unsigned):
    return compare(a, b, cmp, is_float, unsigned)


@njit(cache=True, error_model="numpy", _nrt=False)
def rd_number(okind, oval, of, regs, T, i, t, lane, w, sreg, ty):
    """Operand i decoded to (float64 value, int64 value) per its type."""
    kind = ty >> 4
    if ty == L.TY_F32:
        return np.float64(rd_f32(okind, oval, of, regs, T, i, t)), np.int64(0)
    if ty == L.TY_F64:
        return rd_f64(okind, oval, of, regs, T, i, t), np.int64(0)
    if ty == L.TY_F16:
        half = rd(okind, oval, regs, T, i, t, lane, w, sreg) & 0xFFFF
        return np.float64(f32_from_bits(S.f16_to_f32(half))), np.int64(0)
    if ty == L.TY_BF16:
        half = rd(okind, oval, regs, T, i, t, lane, w, sreg) & 0xFFFF
        return np.float64(f32_from_bits(S.bf16_to_f32(half))), np.int64(0)
    v = rd(okind, oval, regs, T, i, t, lane, w, sreg)
    nbytes = 1 << (ty & 15)
    if kind == L.TK_S:
        return 0.0, sext(v, nbytes)
    return 0.0, zext(v, nbytes)


@njit(cache=True, error_model="numpy", _nrt=False)
def exec_compare(op, ty, code, pc, okind, oval, of, regs, T, base, mask, w, sreg):
    s = code[pc, L.F_SRC]
    d = code[pc, L.F_DST]
    nd = code[pc, L.F_NDST]
    cmp = code[pc, L.F_SUB]
    boolop = code[pc, L.F_AUX]
    ty2 = code[pc, L.F_TY2]
    for lane in range(32):
        if not (mask >> lane) & 1:
            continue
        t = base + lane
        if op == L.OP_SELP:
            c = rd(okind, oval, regs, T, s + 2, t, lane, w, sreg) & 1
            wr(okind, oval, regs, T, d, t, rd(okind, oval, regs, T, s if c else s + 1, t, lane, w, sreg))
            continue
        if op == L.OP_SLCT:
            cf, ci = rd_number(okind, oval, of, regs, T, s + 2, t, lane, w, sreg, ty2)
            take_a = (cf >= 0.0) if ty2 == L.TY_F32 else (ci >= 0)
            wr(okind, oval, regs, T, d, t, rd(okind, oval, regs, T, s if take_a else s + 1, t, lane, w, sreg))
            continue
        cty = ty if op == L.OP_SETP else ty2
        is_float = cty == L.TY_F32 or cty == L.TY_F64 or cty == L.TY_F16 or cty == L.TY_BF16
        ftz = (code[pc, L.F_FLAGS] & L.FL_FTZ) != 0
        if cty == L.TY_F16X2 or cty == L.TY_BF16X2:
            # setp.f16x2 p|q, a, b: p compares the lower halves, q the upper halves (PTX ISA)
            av = rd(okind, oval, regs, T, s, t, lane, w, sreg)
            bv = rd(okind, oval, regs, T, s + 1, t, lane, w, sreg)
            r = False
            q = False
            for k in range(2):
                ah = (av >> (16 * k)) & 0xFFFF
                bh = (bv >> (16 * k)) & 0xFFFF
                if cty == L.TY_F16X2:
                    x = np.float64(f32_from_bits(S.f16_to_f32(ah)))
                    y = np.float64(f32_from_bits(S.f16_to_f32(bh)))
                    if ftz:
                        x = 0.0 if abs(x) < F16_MIN_NORMAL else x
                        y = 0.0 if abs(y) < F16_MIN_NORMAL else y
                else:
                    x = np.float64(f32_from_bits(S.bf16_to_f32(ah)))
                    y = np.float64(f32_from_bits(S.bf16_to_f32(bh)))
                if k == 0:
                    r = compare_call(x, y, cmp, True, False)
                else:
                    q = compare_call(x, y, cmp, True, False)
        else:
            af, ai = rd_number(okind, oval, of, regs, T, s, t, lane, w, sreg, cty)
            bf, bi = rd_number(okind, oval, of, regs, T, s + 1, t, lane, w, sreg, cty)
            if ftz and (cty == L.TY_F32 or cty == L.TY_F16):
                # .ftz: subnormal inputs compare as (sign-preserving) zeros
                tiny = F32_MIN_NORMAL if cty == L.TY_F32 else F16_MIN_NORMAL
                af = 0.0 if abs(af) < tiny else af
                bf = 0.0 if abs(bf) < tiny else bf
            if is_float:
                r = compare_call(af, bf, cmp, True, False)
            else:
                r = compare_call(ai, bi, cmp, False, (cty >> 4) != L.TK_S)
            q = not r
        if boolop != L.BOOL_NONE:
            c = (rd(okind, oval, regs, T, s + 2, t, lane, w, sreg) & 1) == 1
            if boolop == L.BOOL_AND:
                r, q = r and c, q and c
            elif boolop == L.BOOL_OR:
                r, q = r or c, q or c
            else:
                r, q = r != c, q != c
        if op == L.OP_SETP:
            wr(okind, oval, regs, T, d, t, np.int64(1) if r else np.int64(0))
            if nd > 1:
                wr(okind, oval, regs, T, d + 1, t, np.int64(1) if q else np.int64(0))
        else:  # set: 0xFFFFFFFF / 1.0f for true, 0 for false
            if ty == L.TY_F32:
                wr(okind, oval, regs, T, d, t, np.int64(0x3F800000) if r else np.int64(0))
            else:
                wr(okind, oval, regs, T, d, t, np.int64(0xFFFFFFFF) if r else np.int64(0))
