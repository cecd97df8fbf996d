"""Warp-level instructions: shfl, vote, activemask, match, redux."""
import numpy as np
from numba import njit

from emu.engine import layout as L
from emu.engine.operands import sext, zext, rd, wr


@njit(cache=True, error_model="numpy", _nrt=False)
def exec_warp_op(op, code, pc, okind, oval, regs, T, base, mask, w, sreg, nthreads, lane_values):
    """``nthreads``: threads of the CTA (lanes past it in its last warp do not exist)."""
    s = code[pc, L.F_SRC]
    d = code[pc, L.F_DST]
    nd = code[pc, L.F_NDST]
    sub = code[pc, L.F_SUB]
    if op == L.OP_ACTIVEMASK:
        for lane in range(32):
            if (mask >> lane) & 1:
                wr(okind, oval, regs, T, d, base + lane, mask)
        return
    if op == L.OP_SHFL:
        # shfl.sync.mode.b32 d[|p], a, b, c, membermask (PTX ISA pseudo-code)
        for lane in range(32):
            t = base + lane
            lane_values[lane] = regs[oval[s] * T + t] if (okind[s] == L.OK_REG and w * 32 + lane < nthreads) else \
                (oval[s] if okind[s] == L.OK_IMM else np.int64(0))
        for lane in range(32):
            if not (mask >> lane) & 1:
                continue
            t = base + lane
            bval = rd(okind, oval, regs, T, s + 1, t, lane, w, sreg) & 0x1F     # PTX: bval = b[4:0]
            cval = rd(okind, oval, regs, T, s + 2, t, lane, w, sreg)
            clamp = cval & 0x1F
            segmask = (cval >> 8) & 0x1F
            max_lane = (lane & segmask) | (clamp & ~segmask)
            min_lane = lane & segmask
            if sub == L.SHFL_UP:
                j = lane - bval
                ok = j >= max_lane
            elif sub == L.SHFL_DOWN:
                j = lane + bval
                ok = j <= max_lane
            elif sub == L.SHFL_BFLY:
                j = lane ^ bval
                ok = j <= max_lane
            else:
                j = min_lane | (bval & 0x1F & ~segmask)
                ok = j <= max_lane
            if not ok:
                j = lane
            wr(okind, oval, regs, T, d, t, lane_values[j & 31])
            if nd > 1:
                wr(okind, oval, regs, T, d + 1, t, np.int64(1) if ok else np.int64(0))
        return
    if op == L.OP_VOTE:
        ballot = np.int64(0)
        for lane in range(32):
            if (mask >> lane) & 1:
                if rd(okind, oval, regs, T, s, base + lane, lane, w, sreg) & 1:
                    ballot |= np.int64(1) << lane
        for lane in range(32):
            if not (mask >> lane) & 1:
                continue
            if sub == L.VOTE_BALLOT:
                r = ballot
            elif sub == L.VOTE_ALL:
                r = np.int64(1) if ballot == mask else np.int64(0)
            elif sub == L.VOTE_ANY:
                r = np.int64(1) if ballot != 0 else np.int64(0)
            else:
                r = np.int64(1) if (ballot == 0 or ballot == mask) else np.int64(0)
            wr(okind, oval, regs, T, d, base + lane, r)
        return
    if op == L.OP_REDUX:
        ty = code[pc, L.F_TY]
        signed = (ty >> 4) == L.TK_S
        acc = np.int64(0)
        first = True
        for lane in range(32):
            if not (mask >> lane) & 1:
                continue
            v = rd(okind, oval, regs, T, s, base + lane, lane, w, sreg)
            v = sext(v, 4) if signed else zext(v, 4)
            if first:
                acc = v
                first = False
            elif sub == L.REDUX_ADD:
                acc = acc + v
            elif sub == L.REDUX_MIN:
                acc = min(acc, v)
            elif sub == L.REDUX_MAX:
                acc = max(acc, v)
            elif sub == L.REDUX_AND:
                acc = acc & v
            elif sub == L.REDUX_OR:
                acc = acc | v
            else:
                acc = acc ^ v
        for lane in range(32):
            if (mask >> lane) & 1:
                wr(okind, oval, regs, T, d, base + lane, zext(acc, 4))
        return
    # match.any / match.all .b32/.b64
    nbytes = code[pc, L.F_WIDTH]
    for lane in range(32):
        if (mask >> lane) & 1:
            lane_values[lane] = zext(rd(okind, oval, regs, T, s, base + lane, lane, w, sreg), nbytes)
    for lane in range(32):
        if not (mask >> lane) & 1:
            continue
        same = np.int64(0)
        for k in range(32):
            if (mask >> k) & 1 and lane_values[k] == lane_values[lane]:
                same |= np.int64(1) << k
        if sub == L.MATCH_ALL:
            allsame = same == mask
            wr(okind, oval, regs, T, d, base + lane, mask if allsame else np.int64(0))
            if nd > 1:
                wr(okind, oval, regs, T, d + 1, base + lane, np.int64(1) if allsame else np.int64(0))
        else:
            wr(okind, oval, regs, T, d, base + lane, same)
