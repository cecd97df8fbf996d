"""Memory instructions: ld/st, atomics, ldmatrix, wmma.load/store."""
import numpy as np
from numba import njit

from emu.engine import layout as L
from emu.engine.address import resolve, load, store, lane_offsets, space_of
from emu.engine.alu_float import fmin_ptx, fmax_ptx
from emu.engine.alu_int import ult
from emu.engine.bits import f32_from_bits, f32_to_bits, f64_from_bits, f64_to_bits
from emu.engine.mma_fragments import WMMA_SHAPES
from emu.engine.fast import src_row, dst_row, commit, extend
from emu.engine.operands import sext, zext, rd, wr, popc32, fault
from emu.numerics import scalar as S


@njit(cache=True, error_model="numpy", _nrt=False)
def atomic_apply(sub, ty, old, b, c):
    """New memory value of an atomic read-modify-write (raw bits in and out)."""
    nbytes = 1 << (ty & 15)
    if ty == L.TY_F32:
        x = f32_from_bits(old)
        y = f32_from_bits(b)
        if sub == L.ATOM_ADD:
            return f32_to_bits(x + y)
        if sub == L.ATOM_MIN:
            return f32_to_bits(np.float32(fmin_ptx(x, y, bool(False))))
        if sub == L.ATOM_MAX:
            return f32_to_bits(np.float32(fmax_ptx(x, y, bool(False))))
    elif ty == L.TY_F64:
        x = f64_from_bits(old)
        y = f64_from_bits(b)
        if sub == L.ATOM_ADD:
            return f64_to_bits(x + y)
        if sub == L.ATOM_MIN:
            return f64_to_bits(fmin_ptx(x, y, bool(False)))
        if sub == L.ATOM_MAX:
            return f64_to_bits(fmax_ptx(x, y, bool(False)))
    elif ty == L.TY_F16 and sub == L.ATOM_ADD:
        return np.int64(S.f16_add(old & 0xFFFF, b & 0xFFFF, L.RND_RN, bool(False), int(0)))
    elif ty == L.TY_BF16 and sub == L.ATOM_ADD:
        return np.int64(S.bf16_add(old & 0xFFFF, b & 0xFFFF, L.RND_RN, bool(False), int(0)))
    signed = (ty >> 4) == L.TK_S
    if sub == L.ATOM_ADD:
        return old + b
    if sub == L.ATOM_EXCH:
        return b
    if sub == L.ATOM_CAS:
        return c if zext(old, nbytes) == zext(b, nbytes) else old
    if sub == L.ATOM_AND:
        return old & b
    if sub == L.ATOM_OR:
        return old | b
    if sub == L.ATOM_XOR:
        return old ^ b
    if sub == L.ATOM_INC:
        uo = zext(old, nbytes)
        return np.int64(0) if not ult(uo, zext(b, nbytes)) else uo + 1
    if sub == L.ATOM_DEC:
        uo = zext(old, nbytes)
        return zext(b, nbytes) if uo == 0 or ult(zext(b, nbytes), uo) else uo - 1
    if signed:
        x = sext(old, nbytes)
        y = sext(b, nbytes)
        if sub == L.ATOM_MIN:
            return x if x < y else y
        return x if x > y else y
    x = zext(old, nbytes)
    y = zext(b, nbytes)
    if sub == L.ATOM_MIN:
        return x if ult(x, y) else y
    return y if ult(x, y) else x


@njit(cache=True, error_model="numpy", _nrt=False)
def exec_atomic(pc, op, ty, code, okind, oval, regs, T, base, mask, w, sreg,
                mem, m16, m32, m64, valid, mlay, stats, err):
    s = code[pc, L.F_SRC]
    d = code[pc, L.F_DST]
    ns = code[pc, L.F_NSRC]
    nbytes = code[pc, L.F_WIDTH]
    offset = code[pc, L.F_OFFSET]
    space = code[pc, L.F_SPACE]
    sub = code[pc, L.F_SUB]
    signed = (ty >> 4) == L.TK_S
    for lane in range(32):
        if not (mask >> lane) & 1:
            continue
        t = base + lane
        addr = rd(okind, oval, regs, T, s, t, lane, w, sreg) + offset
        off, used = resolve(space, addr, nbytes, t, mlay, valid)
        if off < 0:
            fault(err, L.ERR_OUT_OF_BOUNDS, pc, t, addr, used, nbytes, int(1))
            return False
        if off % nbytes != 0:
            fault(err, L.ERR_MISALIGNED, pc, t, addr, used, nbytes, int(1))
            return False
        b = rd(okind, oval, regs, T, s + 1, t, lane, w, sreg)
        c = rd(okind, oval, regs, T, s + 2, t, lane, w, sreg) if ns > 2 else np.int64(0)
        old = load(mem, m16, m32, m64, off, nbytes)
        store(mem, m16, m32, m64, off, nbytes, atomic_apply(sub, ty, old, b, c))
        if op == L.OP_ATOM:
            wr(okind, oval, regs, T, d, t, sext(old, nbytes) if signed else old)
    stats[L.ST_ATOMICS] += 1
    return True


@njit(cache=True, error_model="numpy", _nrt=False)
def exec_ldst(pc, op, code, okind, oval, regs, T, base, mask, mem, m16, m32, m64, valid, mlay,
                   stats, err, tmp):
    """ld/st, scalar and vector, in any state space."""
    s = code[pc, L.F_SRC]
    d = code[pc, L.F_DST]
    nbytes = code[pc, L.F_WIDTH]
    vec = code[pc, L.F_VEC]
    total = nbytes * vec
    space = code[pc, L.F_SPACE]
    sh = 64 - 8 * nbytes
    signed = (code[pc, L.F_TY] >> 4) == L.TK_S
    is_load = op == L.OP_LD
    a = src_row(okind, oval, regs, T, s, base, 0)
    if not lane_offsets(pc, space, regs, a, tmp, code[pc, L.F_OFFSET], total, base, mask, mlay, valid, err,
                        0 if is_load else 1):
        return False
    used = space
    if space == L.SP_GENERIC:      # before the loads, which may overwrite the address register
        lane0 = 0
        while not (mask >> lane0) & 1:
            lane0 += 1
        used = space_of(space, regs[a + np.uint64(lane0)] + code[pc, L.F_OFFSET])
    for k in range(vec):
        e = k * nbytes
        if is_load:
            o = dst_row(okind, oval, regs, T, d + k, base, mask)
            if nbytes == 4:
                for lane in range(32):
                    regs[o + np.uint64(lane)] = extend(np.int64(m32[(tmp[2, lane] + e) >> 2]), sh, signed)
            elif nbytes == 8:
                for lane in range(32):
                    regs[o + np.uint64(lane)] = m64[(tmp[2, lane] + e) >> 3]
            elif nbytes == 2:
                for lane in range(32):
                    regs[o + np.uint64(lane)] = extend(np.int64(m16[(tmp[2, lane] + e) >> 1]), sh, signed)
            else:
                for lane in range(32):
                    regs[o + np.uint64(lane)] = extend(np.int64(mem[tmp[2, lane] + e]), sh, signed)
            commit(okind, oval, regs, T, d + k, base, mask, o)
        else:
            b = src_row(okind, oval, regs, T, s + 1 + k, base, 1)
            for lane in range(32):
                if (mask >> lane) & 1:
                    store(mem, m16, m32, m64, tmp[2, lane] + e, nbytes, regs[b + np.uint64(lane)])
    if used == L.SP_GLOBAL or used == L.SP_CONST:
        if is_load:
            stats[L.ST_GLOBAL_LOAD_BYTES] += total * popc32(mask)
            stats[L.ST_GLOBAL_LOADS] += 1
        else:
            stats[L.ST_GLOBAL_STORE_BYTES] += total * popc32(mask)
            stats[L.ST_GLOBAL_STORES] += 1
    elif used == L.SP_SHARED:
        stats[L.ST_SHARED_LOADS if is_load else L.ST_SHARED_STORES] += 1
    elif used == L.SP_LOCAL:
        stats[L.ST_LOCAL_ACCESSES] += 1
    return True


@njit(cache=True, error_model="numpy", _nrt=False)
def exec_ldmatrix(pc, code, okind, oval, regs, T, base, mlay, valid, err, m16, tmp, stats):
    """ldmatrix: lanes 8i..8i+7 give the row addresses of matrix i (16 bytes per row); lane l
    receives row l/4, columns 2(l%4) and 2(l%4)+1 of each matrix (of the transpose with .trans)."""
    count = code[pc, L.F_VEC]
    trans = code[pc, L.F_SUB] == 1
    d = code[pc, L.F_DST]
    a = src_row(okind, oval, regs, T, code[pc, L.F_SRC], base, 0)
    providers = (np.int64(1) << (8 * count)) - 1 if count < 4 else L.FULL
    if not lane_offsets(pc, code[pc, L.F_SPACE], regs, a, tmp, code[pc, L.F_OFFSET], 16, base, providers, mlay,
                        valid, err, 0):
        return False
    for i in range(count):
        o = dst_row(okind, oval, regs, T, d + i, base, L.FULL)
        for lane in range(32):
            r = lane >> 2
            c = (lane & 3) * 2
            if trans:
                lo = m16[(tmp[2, 8 * i + c] + 2 * r) >> 1]
                hi = m16[(tmp[2, 8 * i + c + 1] + 2 * r) >> 1]
            else:
                lo = m16[(tmp[2, 8 * i + r] + 2 * c) >> 1]
                hi = m16[(tmp[2, 8 * i + r] + 2 * c + 2) >> 1]
            regs[o + np.uint64(lane)] = np.int64(lo) | (np.int64(hi) << 16)
    stats[L.ST_SHARED_LOADS] += 1
    return True


@njit(cache=True, error_model="numpy", _nrt=False)
def exec_wmma_ldst(pc, code, okind, oval, regs, T, base, sreg, mem, m16, m32, m64, valid, mlay, err):
    """wmma.load / wmma.store: lane l holds elements chunk*E .. chunk*E+E-1 (row-major in the tile),
    chunk = l mod (tile elements / E); see emu.engine.mma_fragments."""
    kind = code[pc, L.F_SUB]
    col_major = code[pc, L.F_AUX] == 1
    esize = code[pc, L.F_WIDTH]
    m = WMMA_SHAPES[code[pc, L.F_VEC]][0]
    n = WMMA_SHAPES[code[pc, L.F_VEC]][1]
    k = WMMA_SHAPES[code[pc, L.F_VEC]][2]
    rows = m if kind != 1 else k
    cols = k if kind == 0 else n
    is_load = kind != 3
    s = code[pc, L.F_SRC]
    nregs = code[pc, L.F_NDST] if is_load else code[pc, L.F_NSRC] - 2
    per_reg = 4 // esize
    per_lane = nregs * per_reg
    groups = rows * cols // per_lane
    space = code[pc, L.F_SPACE]
    for lane in range(32):
        t = base + lane
        addr = rd(okind, oval, regs, T, s, t, lane, int(0), sreg) + code[pc, L.F_OFFSET]
        stride = rd(okind, oval, regs, T, s + 1, t, lane, int(0), sreg) & 0xFFFFFFFF
        chunk = lane % groups
        for r_i in range(nregs):
            value = np.int64(0) if is_load else rd(okind, oval, regs, T, s + 2 + r_i, t, lane, int(0), sreg)
            for half in range(per_reg):
                idx = chunk * per_lane + r_i * per_reg + half
                r = idx // cols
                c = idx % cols
                a = addr + ((c * stride + r) if col_major else (r * stride + c)) * esize
                off, used = resolve(space, a, esize, t, mlay, valid)
                if off < 0 or off % esize != 0:
                    fault(err, L.ERR_OUT_OF_BOUNDS if off < 0 else L.ERR_MISALIGNED, pc, t, a, used, esize,
                          0 if is_load else 1)
                    return False
                if is_load:
                    value |= zext(load(mem, m16, m32, m64, off, esize), esize) << (16 * half)
                elif lane < groups:
                    store(mem, m16, m32, m64, off, esize, value >> (16 * half))
            if is_load:
                wr(okind, oval, regs, T, code[pc, L.F_DST] + r_i, t, value)
    return True
