"""Integer and bitwise arithmetic, and the carry-flag chain: per-lane reference semantics."""
import numpy as np
from numba import njit

from emu.engine import layout as L
from emu.engine.operands import sext, zext, rd, wr, popc32


@njit(cache=True, error_model="numpy", _nrt=False)
def mulhi_u64(a, b):
    """High 64 bits of the unsigned 128-bit product of two 64-bit patterns."""
    ua = np.uint64(a)
    ub = np.uint64(b)
    m32 = np.uint64(0xFFFFFFFF)
    s32 = np.uint64(32)
    a_lo = ua & m32
    a_hi = ua >> s32
    b_lo = ub & m32
    b_hi = ub >> s32
    lo_lo = a_lo * b_lo
    hi_lo = a_hi * b_lo
    lo_hi = a_lo * b_hi
    hi_hi = a_hi * b_hi
    cross = (lo_lo >> s32) + (hi_lo & m32) + lo_hi
    return np.int64(hi_hi + (hi_lo >> s32) + (cross >> s32))


@njit(cache=True, error_model="numpy", _nrt=False)
def mulhi_s64(a, b):
    hi = mulhi_u64(a, b)
    if a < 0:
        hi -= b
    if b < 0:
        hi -= a
    return hi


@njit(cache=True, error_model="numpy", _nrt=False)
def div_int(a, b, nbytes, signed, want_rem):
    """PTX div/rem: truncating; division by zero gives all ones (div) and a (rem), as hardware does."""
    if signed:
        a = sext(a, nbytes)
        b = sext(b, nbytes)
        if b == 0:
            return a if want_rem else np.int64(-1)
        if b == -1:
            return np.int64(0) if want_rem else -a
        # magnitudes as uint64: abs(INT64_MIN) does not fit an int64
        ma = np.uint64(-a) if a < 0 else np.uint64(a)
        mb = np.uint64(-b) if b < 0 else np.uint64(b)
        q = np.int64(ma // mb)
        if (a < 0) != (b < 0):
            q = -q
        return a - q * b if want_rem else q
    ua = np.uint64(zext(a, nbytes))
    ub = np.uint64(zext(b, nbytes))
    if ub == np.uint64(0):
        return np.int64(ua) if want_rem else np.int64(-1)
    return np.int64(ua % ub) if want_rem else np.int64(ua // ub)


@njit(cache=True, error_model="numpy", _nrt=False)
def ult(a, b):
    return np.uint64(a) < np.uint64(b)


@njit(cache=True, error_model="numpy", _nrt=False)
def exec_int(op, sub, ty, flags, code, pc, okind, oval, regs, T, base, mask, w, sreg):
    """Integer and bitwise operations (types u/s/b 8..64 and pred for logic)."""
    s = code[pc, L.F_SRC]
    d = code[pc, L.F_DST]
    ns = code[pc, L.F_NSRC]
    nbytes = 1 << (ty & 15) if ty != L.TY_PRED else 1
    bits = 8 * nbytes
    signed = (ty >> 4) == L.TK_S
    is_pred = ty == L.TY_PRED
    for lane in range(32):
        if not (mask >> lane) & 1:
            continue
        t = base + lane
        a = rd(okind, oval, regs, T, s, t, lane, w, sreg)
        b = rd(okind, oval, regs, T, s + 1, t, lane, w, sreg) if ns > 1 else np.int64(0)
        c = rd(okind, oval, regs, T, s + 2, t, lane, w, sreg) if ns > 2 else np.int64(0)
        if signed:
            a = sext(a, nbytes)
            b = sext(b, nbytes)
            c = sext(c, nbytes)
        else:
            a = zext(a, nbytes)
            b = zext(b, nbytes)
            c = zext(c, nbytes)
        if op == L.OP_ADD:
            r = a + b
            if (flags & L.FL_SAT) != 0 and signed:
                r = max(min(r, np.int64(0x7FFFFFFF)), np.int64(-0x80000000))
        elif op == L.OP_SUB:
            r = a - b
            if (flags & L.FL_SAT) != 0 and signed:
                r = max(min(r, np.int64(0x7FFFFFFF)), np.int64(-0x80000000))
        elif op == L.OP_MUL or op == L.OP_MAD:
            if sub == L.MUL_WIDE:
                r = a * b                          # operands <= 32 bits: exact in int64
            elif sub == L.MUL_HI:
                if nbytes == 8:
                    r = mulhi_s64(a, b) if signed else mulhi_u64(a, b)
                else:
                    r = (a * b) >> bits
            else:
                r = a * b
            if op == L.OP_MAD:
                if sub == L.MUL_WIDE:                  # the addend of mad.wide is 64 bits wide
                    r = r + rd(okind, oval, regs, T, s + 2, t, lane, w, sreg)
                else:
                    r = r + c
                if (flags & L.FL_SAT) != 0 and signed:      # mad.hi.sat.s32
                    r = max(min(r, np.int64(0x7FFFFFFF)), np.int64(-0x80000000))
        elif op == L.OP_MUL24 or op == L.OP_MAD24:
            a24 = sext(a, 3) if signed else zext(a, 3)
            b24 = sext(b, 3) if signed else zext(b, 3)
            r = a24 * b24
            if sub == L.MUL_HI:
                r = r >> 16
            if op == L.OP_MAD24:
                r = r + c
                if (flags & L.FL_SAT) != 0 and signed:      # mad24.hi.sat.s32
                    r = max(min(r, np.int64(0x7FFFFFFF)), np.int64(-0x80000000))
        elif op == L.OP_SAD:
            r = c + (a - b if a > b else b - a) if signed else c + (a - b if ult(b, a) else b - a)
        elif op == L.OP_DIV:
            r = div_int(a, b, nbytes, signed, bool(False))
        elif op == L.OP_REM:
            r = div_int(a, b, nbytes, signed, bool(True))
        elif op == L.OP_ABS:
            r = abs(a)
        elif op == L.OP_NEG:
            r = -a
        elif op == L.OP_MIN:
            r = (a if a < b else b) if signed else (a if ult(a, b) else b)
        elif op == L.OP_MAX:
            r = (a if a > b else b) if signed else (b if ult(a, b) else a)
        elif op == L.OP_AND:
            r = a & b
        elif op == L.OP_OR:
            r = a | b
        elif op == L.OP_XOR:
            r = a ^ b
        elif op == L.OP_NOT:
            r = ~a
        elif op == L.OP_CNOT:
            r = np.int64(1) if zext(a, nbytes) == 0 else np.int64(0)
        elif op == L.OP_SHL:
            # the shift amount is a u32 whatever the type: read it unextended (b was cut to 16 bits for .b16)
            sh = zext(rd(okind, oval, regs, T, s + 1, t, lane, w, sreg), 4)
            r = a << sh if sh < bits else np.int64(0)
        elif op == L.OP_SHR:
            sh = zext(rd(okind, oval, regs, T, s + 1, t, lane, w, sreg), 4)
            if signed:
                r = a >> (sh if sh < bits else bits - 1)
            else:
                r = np.int64(np.uint64(a) >> np.uint64(sh)) if sh < bits else np.int64(0)
        elif op == L.OP_SHF:
            # shf.{l,r}.{clamp,wrap}.b32 d, a, b, c: funnel shift of b:a by c
            sh = zext(c, 4)
            if sub == L.SHF_L_WRAP or sub == L.SHF_R_WRAP:
                sh = sh & 31
            elif sh > 32:
                sh = 32
            pair = (zext(b, 4) << 32) | zext(a, 4)
            if sub == L.SHF_L_CLAMP or sub == L.SHF_L_WRAP:
                r = (pair << sh) >> 32
            else:
                r = np.int64(np.uint64(pair) >> np.uint64(sh))
        elif op == L.OP_POPC:
            r = np.int64(popc32(a) + (popc32(a >> 32) if nbytes == 8 else 0))
        elif op == L.OP_CLZ:
            x = zext(a, nbytes)
            n = 0
            while n < bits and not (x >> (bits - 1 - n)) & 1:
                n += 1
            r = np.int64(n)
        elif op == L.OP_BFIND:
            x = a
            if signed and x < 0:
                x = ~x
            x = zext(x, nbytes)
            r = np.int64(-1) & 0xFFFFFFFF
            for k in range(bits - 1, -1, -1):
                if (x >> k) & 1:
                    r = np.int64(k) if sub == L.BFIND_POSITION else np.int64(bits - 1 - k)
                    break
        elif op == L.OP_BREV:
            x = zext(a, nbytes)
            r = np.int64(0)
            for k in range(bits):
                if (x >> k) & 1:
                    r |= np.int64(1) << (bits - 1 - k)
        elif op == L.OP_BFE:
            # bfe d, a, b(pos), c(len): pos and len are taken modulo 256 (bits 0..7)
            pos = rd(okind, oval, regs, T, s + 1, t, lane, w, sreg) & 0xFF
            ln = rd(okind, oval, regs, T, s + 2, t, lane, w, sreg) & 0xFF
            if ln == 0:
                r = np.int64(0)
            else:
                if pos >= bits:
                    field = (a >> (bits - 1)) if signed else np.int64(0)
                    r = np.int64(-1) if (signed and field != 0) else np.int64(0)
                else:
                    field = np.int64(np.uint64(zext(a, nbytes)) >> np.uint64(pos))
                    if ln < 64:
                        field = field & ((np.int64(1) << ln) - 1)
                    r = field
                    if signed:
                        sbit_pos = min(pos + ln - 1, bits - 1)
                        if (a >> sbit_pos) & 1:
                            width = min(ln, bits - pos)
                            r = field | (np.int64(-1) << width) if width < 64 else field
        elif op == L.OP_BFI:
            # bfi d, a(insert), b(base), c(pos), len (4th operand)
            pos = c & 0xFF
            ln = rd(okind, oval, regs, T, s + 3, t, lane, w, sreg) & 0xFF
            r = b
            for k in range(ln):
                if pos + k >= bits:
                    break
                bit = (a >> k) & 1
                r = (r & ~(np.int64(1) << (pos + k))) | (bit << (pos + k))
        elif op == L.OP_PRMT:
            # default mode: each selector nibble of c picks a byte of b:a; bit 3 replicates its sign
            src = (zext(b, 4) << 32) | zext(a, 4)
            r = np.int64(0)
            for k in range(4):
                sel = (c >> (4 * k)) & 0xF
                byte = (src >> (8 * (sel & 7))) & 0xFF
                if sel & 8:
                    byte = 0xFF if byte & 0x80 else 0
                r |= byte << (8 * k)
        else:
            r = np.int64(0)
        if is_pred:
            r = r & 1
        wr(okind, oval, regs, T, d, t, r)


@njit(cache=True, error_model="numpy", _nrt=False)
def exec_carry(op, sub, ty, flags, code, pc, okind, oval, regs, T, base, mask, w, sreg):
    """Extended-precision integer arithmetic through the carry flag: add.cc, addc, sub.cc, subc,
    mad{.lo,.hi}.cc, madc (u32/s32/u64/s64). Subtraction is a + ~b + 1 (carry out = no borrow),
    as the PTX ISA defines it."""
    s = code[pc, L.F_SRC]
    d = code[pc, L.F_DST]
    cc = code[pc, L.F_AUX]
    nbytes = 1 << (ty & 15)
    bits = 8 * nbytes
    write_cc = (flags & L.FL_CC) != 0
    for lane in range(32):
        if not (mask >> lane) & 1:
            continue
        t = base + lane
        a = np.uint64(zext(rd(okind, oval, regs, T, s, t, lane, w, sreg), nbytes))
        b = np.uint64(zext(rd(okind, oval, regs, T, s + 1, t, lane, w, sreg), nbytes))
        carry_in = np.uint64(regs[cc * T + t] & 1) if (op == L.OP_ADDC or op == L.OP_SUBC or op == L.OP_MADC) \
            else np.uint64(0)
        if op == L.OP_SUB or op == L.OP_SUBC:
            b = np.uint64(zext(np.int64(~b), nbytes))
            if op == L.OP_SUB:
                carry_in = np.uint64(1)
        elif op == L.OP_MAD or op == L.OP_MADC:
            c = np.uint64(zext(rd(okind, oval, regs, T, s + 2, t, lane, w, sreg), nbytes))
            if sub == L.MUL_HI:
                if nbytes == 8:
                    prod = np.uint64(mulhi_u64(np.int64(a), np.int64(b)))
                else:
                    prod = (a * b) >> np.uint64(32)
            else:
                prod = np.uint64(zext(np.int64(a * b), nbytes))
            a = prod
            b = c
        lo = np.uint64(zext(np.int64(a + b), nbytes))
        total = np.uint64(zext(np.int64(lo + carry_in), nbytes))
        if bits == 32:
            carry_out = ((a + b + carry_in) >> np.uint64(32)) != np.uint64(0)
        else:
            carry_out = (lo < a) or (total < lo)
        wr(okind, oval, regs, T, d, t, np.int64(total))
        if write_cc:
            regs[cc * T + t] = 1 if carry_out else 0
