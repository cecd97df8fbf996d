"""Memory instructions: ld/st, atomics, ldmatrix, wmma.load/store.

Every one finds its addresses through ``emu.engine.address.lane_addresses``
into ``addresses`` (rows of 32 per-lane buffer offsets; ld/st, atomics and
ldmatrix use row 0, wmma one row per fragment element) and records them in
``issued``: what a timing model's coalescer and bank-conflict model read after
the instruction. Each returns False on a fault (``err`` says which).
"""
import numpy as np
from numba import njit

from emu.engine import layout as L
from emu.engine.address import lane_addresses, load, store
from emu.engine.alu_float import fmin_ptx, fmax_ptx
from emu.engine.alu_int import ult
from emu.engine.bits import f32_from_bits, f32_to_bits, f64_from_bits, f64_to_bits
from emu.engine.fast import commit, dst_row, extend, scratch_row, src_row
from emu.engine.mma_fragments import wmma_element
from emu.engine.operands import popc32, rd, sext, wr, zext
from emu.isa.wmma import SHAPES as WMMA_SHAPES
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
def exec_atomic(pc, op, ty, code, okind, oval, regs, T, base, mask, w, sreg, memory, stats, err, issued, addresses):
    s = code[pc, L.F_SRC]
    d = code[pc, L.F_DST]
    ns = code[pc, L.F_NSRC]
    nbytes = code[pc, L.F_WIDTH]
    sub = code[pc, L.F_SUB]
    signed = (ty >> 4) == L.TK_S
    a = src_row(okind, oval, regs, T, s, base, 0)
    if lane_addresses(pc, code[pc, L.F_SPACE], regs, a, code[pc, L.F_OFFSET], nbytes, base, mask, memory.mlay,
                      memory.valid, err, int(1), issued, addresses[0]) < 0:
        return False
    mem, m16, m32, m64 = memory.mem, memory.m16, memory.m32, memory.m64
    for lane in range(32):
        if not (mask >> lane) & 1:
            continue
        t = base + lane
        off = addresses[0, lane]
        b = rd(okind, oval, regs, T, s + 1, t, lane, w, sreg)
        c = rd(okind, oval, regs, T, s + 2, t, lane, w, sreg) if ns > 2 else np.int64(0)
        old = load(mem, m16, m32, m64, off, nbytes)
        store(mem, m16, m32, m64, off, nbytes, atomic_apply(sub, ty, old, b, c))
        if op == L.OP_ATOM:
            wr(okind, oval, regs, T, d, t, sext(old, nbytes) if signed else old)
    stats[L.ST_ATOMICS] += 1
    return True


@njit(cache=True, error_model="numpy", _nrt=False)
def count_access(stats, space, is_load, total, mask):
    """Report statistics of one ld/st by the space it went to."""
    if space == L.SP_GLOBAL or space == L.SP_CONST:
        if is_load:
            stats[L.ST_GLOBAL_LOAD_BYTES] += total * popc32(mask)
            stats[L.ST_GLOBAL_LOADS] += 1
        else:
            stats[L.ST_GLOBAL_STORE_BYTES] += total * popc32(mask)
            stats[L.ST_GLOBAL_STORES] += 1
    elif space == L.SP_SHARED:
        stats[L.ST_SHARED_LOADS if is_load else L.ST_SHARED_STORES] += 1
    elif space == L.SP_LOCAL:
        stats[L.ST_LOCAL_ACCESSES] += 1


@njit(cache=True, error_model="numpy", _nrt=False)
def exec_ldst(pc, op, code, okind, oval, regs, T, base, mask, w, sreg, memory, stats, err, issued, addresses,
              reference):
    """ld/st, scalar and vector, in any state space: whole register rows at a time, or, with
    ``reference``, lane by lane through ``load``/``store`` (the readable definition)."""
    s = code[pc, L.F_SRC]
    d = code[pc, L.F_DST]
    nbytes = code[pc, L.F_WIDTH]
    vec = code[pc, L.F_VEC]
    total = nbytes * vec
    sh = 64 - 8 * nbytes
    signed = (code[pc, L.F_TY] >> 4) == L.TK_S
    is_load = op == L.OP_LD
    a = src_row(okind, oval, regs, T, s, base, 0)
    # the addresses are taken before the loads, which may overwrite the address register
    used = lane_addresses(pc, code[pc, L.F_SPACE], regs, a, code[pc, L.F_OFFSET], total, base, mask, memory.mlay,
                          memory.valid, err, 0 if is_load else 1, issued, addresses[0])
    if used < 0:
        return False
    offs = addresses[0]
    mem, m16, m32, m64 = memory.mem, memory.m16, memory.m32, memory.m64
    for k in range(vec):
        e = k * nbytes
        if reference:
            for lane in range(32):
                if (mask >> lane) & 1:
                    t = base + lane
                    if is_load:
                        v = load(mem, m16, m32, m64, offs[lane] + e, nbytes)
                        wr(okind, oval, regs, T, d + k, t, sext(v, nbytes) if signed else v)
                    else:
                        store(mem, m16, m32, m64, offs[lane] + e, nbytes,
                              rd(okind, oval, regs, T, s + 1 + k, t, lane, w, sreg))
        elif is_load:
            o = dst_row(okind, oval, regs, T, d + k, base, mask)
            if nbytes == 4:
                for lane in range(32):
                    regs[o + np.uint64(lane)] = extend(np.int64(m32[(offs[lane] + e) >> 2]), sh, signed)
            elif nbytes == 8:
                for lane in range(32):
                    regs[o + np.uint64(lane)] = m64[(offs[lane] + e) >> 3]
            elif nbytes == 2:
                for lane in range(32):
                    regs[o + np.uint64(lane)] = extend(np.int64(m16[(offs[lane] + e) >> 1]), sh, signed)
            else:
                for lane in range(32):
                    regs[o + np.uint64(lane)] = extend(np.int64(mem[offs[lane] + e]), sh, signed)
            commit(okind, oval, regs, T, d + k, base, mask, o)
        else:
            b = src_row(okind, oval, regs, T, s + 1 + k, base, 1)
            for lane in range(32):
                if (mask >> lane) & 1:
                    store(mem, m16, m32, m64, offs[lane] + e, nbytes, regs[b + np.uint64(lane)])
    count_access(stats, used, is_load, total, mask)
    return True


@njit(cache=True, error_model="numpy", _nrt=False)
def exec_ldmatrix(pc, code, okind, oval, regs, T, base, memory, stats, err, issued, addresses):
    """ldmatrix: lanes 8i..8i+7 give the row addresses of matrix i (16 bytes per row); lane l
    receives row l/4, columns 2(l%4) and 2(l%4)+1 of each matrix (of the transpose with .trans)."""
    count = code[pc, L.F_VEC]
    trans = code[pc, L.F_SUB] == L.LDMATRIX_TRANS
    d = code[pc, L.F_DST]
    a = src_row(okind, oval, regs, T, code[pc, L.F_SRC], base, 0)
    providers = (np.int64(1) << (8 * count)) - 1 if count < 4 else L.FULL
    if lane_addresses(pc, code[pc, L.F_SPACE], regs, a, code[pc, L.F_OFFSET], 16, base, providers, memory.mlay,
                      memory.valid, err, int(0), issued, addresses[0]) < 0:
        return False
    row_offsets = addresses[0]         # lane 8i + r: row r of matrix i
    m16 = memory.m16
    for i in range(count):
        o = dst_row(okind, oval, regs, T, d + i, base, L.FULL)
        for lane in range(32):
            r = lane >> 2
            c = (lane & 3) * 2
            if trans:
                lo = m16[(row_offsets[8 * i + c] + 2 * r) >> 1]
                hi = m16[(row_offsets[8 * i + c + 1] + 2 * r) >> 1]
            else:
                lo = m16[(row_offsets[8 * i + r] + 2 * c) >> 1]
                hi = m16[(row_offsets[8 * i + r] + 2 * c + 2) >> 1]
            regs[o + np.uint64(lane)] = np.int64(lo) | (np.int64(hi) << 16)
    stats[L.ST_SHARED_LOADS] += 1
    return True


@njit(cache=True, error_model="numpy", _nrt=False)
def exec_wmma_ldst(pc, code, okind, oval, regs, T, base, w, sreg, memory, err, issued, addresses):
    """wmma.load / wmma.store: lane l holds elements chunk*E .. chunk*E+E-1 (row-major in the tile),
    chunk = l mod (tile elements / E): emu.engine.mma_fragments.wmma_element. Element j of every
    lane is one access, at ``addresses[j]``."""
    kind = code[pc, L.F_SUB]
    col_major = code[pc, L.F_AUX] == L.WMMA_COL_MAJOR
    esize = code[pc, L.F_WIDTH]
    m = WMMA_SHAPES[code[pc, L.F_VEC]][0]
    n = WMMA_SHAPES[code[pc, L.F_VEC]][1]
    k = WMMA_SHAPES[code[pc, L.F_VEC]][2]
    rows = m if kind != L.WMMA_B else k
    cols = k if kind == L.WMMA_A else n
    is_load = kind != L.WMMA_D
    s = code[pc, L.F_SRC]
    d = code[pc, L.F_DST]
    nregs = code[pc, L.F_NDST] if is_load else code[pc, L.F_NSRC] - 2
    per_reg = 4 // esize
    per_lane = nregs * per_reg
    groups = rows * cols // per_lane
    a = src_row(okind, oval, regs, T, s, base, 0)
    stride = src_row(okind, oval, regs, T, s + 1, base, 1)
    element = scratch_row(regs, 2)
    for j in range(per_lane):
        for lane in range(32):
            ul = np.uint64(lane)
            idx = wmma_element(lane, j, per_lane, groups)
            r = idx // cols
            c = idx % cols
            ld = regs[stride + ul] & 0xFFFFFFFF
            regs[element + ul] = regs[a + ul] + ((c * ld + r) if col_major else (r * ld + c)) * esize
        if lane_addresses(pc, code[pc, L.F_SPACE], regs, element, code[pc, L.F_OFFSET], esize, base, L.FULL,
                          memory.mlay, memory.valid, err, 0 if is_load else 1, issued, addresses[j]) < 0:
            return False
    mem, m16, m32, m64 = memory.mem, memory.m16, memory.m32, memory.m64
    for lane in range(32):
        t = base + lane
        for r_i in range(nregs):
            value = np.int64(0) if is_load else rd(okind, oval, regs, T, s + 2 + r_i, t, lane, w, sreg)
            for half in range(per_reg):
                off = addresses[r_i * per_reg + half, lane]
                if is_load:
                    value |= zext(load(mem, m16, m32, m64, off, esize), esize) << (16 * half)
                elif lane < groups:
                    store(mem, m16, m32, m64, off, esize, value >> (16 * half))
            if is_load:
                wr(okind, oval, regs, T, d + r_i, t, value)
    return True
