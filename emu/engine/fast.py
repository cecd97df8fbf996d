"""Fast paths: the hottest instructions over whole 32-lane register rows.

The per-lane semantic functions (alu_*, compare, convert) are the readable
definition but cost ~1-2 µs per warp instruction. The hottest instruction
forms instead compute over whole 32-lane rows: a register's 32 lanes are
contiguous in ``regs``, so operands are read where they live and, when all 32
lanes are active, the result is written straight into the destination
register. Which form runs here is decided once, at decode time
(``emu.program.decode._fast_path`` -> column F_FAST, for the opcodes the ISA
table marks ``fast``); everything else runs the per-lane definitions, and
``EMU_REFERENCE=1`` makes every instruction run them (the semantic tests run
both ways).

Immediates, negated predicates and results under a partial mask go through
N_SCRATCH rows at the end of ``regs`` (one array for everything, so every loop
is a plain row-to-row loop that LLVM vectorises). Offsets are unsigned so that
numba adds no negative-index wraparound. The small helpers are
inline="always": an out-of-line numba call passes each array as several words
and zeroes a return slot per call site on entry, which cost more than the row
loops themselves.
"""
import numpy as np
from numba import njit

from emu.engine import layout as L
from emu.engine.alu_float import fma_f32_rn, f32_canonical, f64_canonical
from emu.engine.compare import compare
from emu.engine.bits import f32_from_bits, f64_from_bits


@njit(cache=True, error_model="numpy", _nrt=False, inline="always")
def scratch_row(regs, row):
    """Offset in regs of scratch row ``row`` (0 .. N_SCRATCH - 1; the last one is dst_row's)."""
    return np.uint64(regs.shape[0] - (L.N_SCRATCH - row) * 32)


@njit(cache=True, error_model="numpy", _nrt=False, inline="always")
def src_row(okind, oval, regs, T, i, base, row):
    """Offset in regs of operand i's 32 lanes for the warp starting at thread base: the register
    itself, or scratch row ``row`` filled with the immediate or the negated predicate."""
    k = okind[i]
    v = oval[i]
    if k == L.OK_REG and v >= 0:
        return np.uint64(v * T + base)
    o = scratch_row(regs, row)
    if k == L.OK_REG:
        p = np.uint64((-1 - v) * T + base)
        for lane in range(32):
            ul = np.uint64(lane)
            regs[o + ul] = 1 - (regs[p + ul] & 1)
    else:
        for lane in range(32):
            regs[o + np.uint64(lane)] = v
    return o


@njit(cache=True, error_model="numpy", _nrt=False)
def dst_row(okind, oval, regs, T, i, base, mask):
    """Offset in regs where a fast path writes destination i: the register itself when all 32
    lanes write it, else the last scratch row (``commit`` then copies the active lanes).
    A result is computed in one pass, lane by lane, so it may overwrite a source row."""
    if mask == L.FULL and okind[i] == L.OK_REG:
        return np.uint64(oval[i] * T + base)
    return scratch_row(regs, L.N_SCRATCH - 1)


@njit(cache=True, error_model="numpy", _nrt=False, inline="always")
def commit(okind, oval, regs, T, i, base, mask, o):
    """Finish a result written at ``dst_row``: copy its active lanes from scratch into the register."""
    if mask == L.FULL or okind[i] != L.OK_REG:
        return
    r = np.uint64(oval[i] * T + base)
    for lane in range(32):
        if (mask >> lane) & 1:
            ul = np.uint64(lane)
            regs[r + ul] = regs[o + ul]


@njit(cache=True, error_model="numpy", _nrt=False)
def extend(x, sh, signed):
    """The low 64 - sh bits of x, sign- or zero-extended (sh = 64 - 8 * bytes)."""
    if signed:
        return (x << sh) >> sh
    return np.int64(np.uint64(x << sh) >> np.uint64(sh))


@njit(cache=True, error_model="numpy", _nrt=False)
def exec_fast(fast, op, code, pc, okind, oval, regs, T, base, mask):
    """Execute the instruction by its fast path ``fast`` (F_FAST, chosen by the decoder)."""
    ty = code[pc, L.F_TY]
    s = code[pc, L.F_SRC]
    d = code[pc, L.F_DST]
    kind = ty >> 4
    if fast == L.FAST_MOV:
        a = src_row(okind, oval, regs, T, s, base, 0)
        o = dst_row(okind, oval, regs, T, d, base, mask)
        for lane in range(32):
            ul = np.uint64(lane)
            regs[o + ul] = regs[a + ul]
        commit(okind, oval, regs, T, d, base, mask, o)
    elif fast == L.FAST_INT:
        sub = code[pc, L.F_SUB]
        bits = 8 << (ty & 15)
        sh = 64 - bits
        signed = kind == L.TK_S
        a = src_row(okind, oval, regs, T, s, base, 0)
        b = src_row(okind, oval, regs, T, s + 1, base, 1)
        o = dst_row(okind, oval, regs, T, d, base, mask)
        if op == L.OP_ADD:
            for lane in range(32):
                ul = np.uint64(lane)
                regs[o + ul] = regs[a + ul] + regs[b + ul]
        elif op == L.OP_SUB:
            for lane in range(32):
                ul = np.uint64(lane)
                regs[o + ul] = regs[a + ul] - regs[b + ul]
        elif op == L.OP_AND:
            for lane in range(32):
                ul = np.uint64(lane)
                regs[o + ul] = regs[a + ul] & regs[b + ul]
        elif op == L.OP_OR:
            for lane in range(32):
                ul = np.uint64(lane)
                regs[o + ul] = regs[a + ul] | regs[b + ul]
        elif op == L.OP_XOR:
            for lane in range(32):
                ul = np.uint64(lane)
                regs[o + ul] = regs[a + ul] ^ regs[b + ul]
        elif op == L.OP_SHL:
            for lane in range(32):
                ul = np.uint64(lane)
                n = regs[b + ul] & 0xFFFFFFFF
                regs[o + ul] = regs[a + ul] << n if n < bits else 0
        elif op == L.OP_SHR:
            if signed:
                for lane in range(32):
                    ul = np.uint64(lane)
                    n = regs[b + ul] & 0xFFFFFFFF
                    regs[o + ul] = extend(regs[a + ul], sh, True) >> (n if n < bits else bits - 1)
            else:
                for lane in range(32):
                    ul = np.uint64(lane)
                    n = regs[b + ul] & 0xFFFFFFFF
                    x = np.uint64(extend(regs[a + ul], sh, False))
                    regs[o + ul] = np.int64(x >> np.uint64(n)) if n < bits else 0
        else:  # mul / mad, .lo or .wide
            if sub != L.MUL_WIDE:
                sh = 0
            if op == L.OP_MUL:
                for lane in range(32):
                    ul = np.uint64(lane)
                    regs[o + ul] = extend(regs[a + ul], sh, signed) * extend(regs[b + ul], sh, signed)
            else:
                c = src_row(okind, oval, regs, T, s + 2, base, 2)
                for lane in range(32):
                    ul = np.uint64(lane)
                    regs[o + ul] = extend(regs[a + ul], sh, signed) * extend(regs[b + ul], sh, signed) \
                        + regs[c + ul]
        commit(okind, oval, regs, T, d, base, mask, o)
    elif fast == L.FAST_F32:
        a = src_row(okind, oval, regs, T, s, base, 0)
        b = src_row(okind, oval, regs, T, s + 1, base, 1)
        o = dst_row(okind, oval, regs, T, d, base, mask)
        if op == L.OP_ADD:
            for lane in range(32):
                ul = np.uint64(lane)
                regs[o + ul] = f32_canonical(f32_from_bits(regs[a + ul]) + f32_from_bits(regs[b + ul]))
        elif op == L.OP_SUB:
            for lane in range(32):
                ul = np.uint64(lane)
                regs[o + ul] = f32_canonical(f32_from_bits(regs[a + ul]) - f32_from_bits(regs[b + ul]))
        elif op == L.OP_MUL:
            for lane in range(32):
                ul = np.uint64(lane)
                regs[o + ul] = f32_canonical(f32_from_bits(regs[a + ul]) * f32_from_bits(regs[b + ul]))
        else:
            c = src_row(okind, oval, regs, T, s + 2, base, 2)
            for lane in range(32):
                ul = np.uint64(lane)
                regs[o + ul] = f32_canonical(fma_f32_rn(f32_from_bits(regs[a + ul]), f32_from_bits(regs[b + ul]),
                                                        f32_from_bits(regs[c + ul])))
        commit(okind, oval, regs, T, d, base, mask, o)
    elif fast == L.FAST_F64:
        a = src_row(okind, oval, regs, T, s, base, 0)
        b = src_row(okind, oval, regs, T, s + 1, base, 1)
        o = dst_row(okind, oval, regs, T, d, base, mask)
        if op == L.OP_ADD:
            for lane in range(32):
                ul = np.uint64(lane)
                regs[o + ul] = f64_canonical(f64_from_bits(regs[a + ul]) + f64_from_bits(regs[b + ul]))
        elif op == L.OP_SUB:
            for lane in range(32):
                ul = np.uint64(lane)
                regs[o + ul] = f64_canonical(f64_from_bits(regs[a + ul]) - f64_from_bits(regs[b + ul]))
        else:
            for lane in range(32):
                ul = np.uint64(lane)
                regs[o + ul] = f64_canonical(f64_from_bits(regs[a + ul]) * f64_from_bits(regs[b + ul]))
        commit(okind, oval, regs, T, d, base, mask, o)
    elif fast == L.FAST_SELP:
        a = src_row(okind, oval, regs, T, s, base, 0)
        b = src_row(okind, oval, regs, T, s + 1, base, 1)
        c = src_row(okind, oval, regs, T, s + 2, base, 2)
        o = dst_row(okind, oval, regs, T, d, base, mask)
        for lane in range(32):
            ul = np.uint64(lane)
            regs[o + ul] = regs[a + ul] if regs[c + ul] & 1 else regs[b + ul]
        commit(okind, oval, regs, T, d, base, mask, o)
    elif fast == L.FAST_SETP_INT:
        cmp = code[pc, L.F_SUB]
        sh = 64 - (8 << (ty & 15))
        signed = kind == L.TK_S
        a = src_row(okind, oval, regs, T, s, base, 0)
        b = src_row(okind, oval, regs, T, s + 1, base, 1)
        o = dst_row(okind, oval, regs, T, d, base, mask)
        for lane in range(32):
            ul = np.uint64(lane)
            q = compare(extend(regs[a + ul], sh, signed), extend(regs[b + ul], sh, signed), cmp, False, False)
            regs[o + ul] = 1 if q else 0
        commit(okind, oval, regs, T, d, base, mask, o)
    elif fast == L.FAST_SETP_F32:
        cmp = code[pc, L.F_SUB]
        a = src_row(okind, oval, regs, T, s, base, 0)
        b = src_row(okind, oval, regs, T, s + 1, base, 1)
        o = dst_row(okind, oval, regs, T, d, base, mask)
        for lane in range(32):
            ul = np.uint64(lane)
            q = compare(np.float64(f32_from_bits(regs[a + ul])), np.float64(f32_from_bits(regs[b + ul])),
                        cmp, True, False)
            regs[o + ul] = 1 if q else 0
        commit(okind, oval, regs, T, d, base, mask, o)
    else:  # FAST_CVT_INT: integer to integer, extended per the source and destination types
        sty = code[pc, L.F_TY2]
        ssh = 64 - (8 << (sty & 15))
        dsh = 64 - (8 << (ty & 15))
        a = src_row(okind, oval, regs, T, s, base, 0)
        o = dst_row(okind, oval, regs, T, d, base, mask)
        for lane in range(32):
            ul = np.uint64(lane)
            regs[o + ul] = extend(extend(regs[a + ul], ssh, (sty >> 4) == L.TK_S), dsh, kind == L.TK_S)
        commit(okind, oval, regs, T, d, base, mask, o)
