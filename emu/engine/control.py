"""Control: one warp's instruction stream, barriers, and the CTAs of a launch."""
import numpy as np
from numba import njit

from emu.engine import layout as L
from emu.engine.alu_float import exec_float32, exec_float64, exec_testp
from emu.engine.alu_half import exec_half
from emu.engine.alu_int import exec_int, exec_carry
from emu.engine.compare import exec_compare
from emu.engine.convert import exec_convert
from emu.engine.fast import exec_fast
from emu.engine.memory_ops import exec_atomic, exec_ldst, exec_ldmatrix, exec_wmma_ldst
from emu.engine.operands import rd, popc32, fault
from emu.engine.printf import record_printf
from emu.engine.tensor import run_tensor_ops
from emu.engine.warp_ops import exec_warp_op


@njit(cache=True, error_model="numpy", _nrt=False)
def run_warp(w, code, okind, oval, of, regs, T, nthreads, sreg,
             stk_pc, stk_rpc, stk_mask, sps, call_ret, call_sp, exited, wstate, wbar, wbar_dst,
             bar_arrived, bar_expected, bar_acc,
             mem, m16, m32, m64, valid, mlay, stats, counts, err, tmp, rows, budget,
             printmeta, printbuf, nprint, cta):
    base = w * 32
    executed = 0
    while True:
        sp = sps[w]
        if sp < 0:
            wstate[w] = L.W_DONE
            return L.R_DONE
        pc = stk_pc[w, sp]
        mask = stk_mask[w, sp]
        if mask == 0 or pc == stk_rpc[w, sp]:
            sps[w] = sp - 1                 # reconverged (or all lanes gone): pop
            continue
        if executed >= L.SLICE:
            return L.R_SLICE
        if stats[L.ST_WARP_INSTRUCTIONS] >= budget:
            fault(err, L.ERR_BUDGET, pc, base, int(0), int(0), int(0), int(0))
            return L.R_ERROR
        executed += 1
        op = code[pc, L.F_OP]
        emask = mask
        g = code[pc, L.F_GUARD]
        if g >= 0:
            neg = code[pc, L.F_GUARD_NEG]
            emask = np.int64(0)
            for lane in range(32):
                if (mask >> lane) & 1:
                    if (regs[g * T + base + lane] & 1) != neg:
                        emask |= np.int64(1) << lane
        stats[L.ST_WARP_INSTRUCTIONS] += 1
        stats[L.ST_THREAD_INSTRUCTIONS] += popc32(emask)
        stats[L.ST_CLASS_BASE + code[pc, L.F_CLASS]] += 1
        counts[pc] += 1
        sreg[L.SV_CLOCK] += 1
        next_pc = pc + 1
        if op == L.OP_BRA:
            stats[L.ST_BRANCHES] += 1
            taken = emask
            not_taken = mask & ~taken
            if taken == 0:
                next_pc = pc + 1
            elif not_taken == 0:
                next_pc = code[pc, L.F_TARGET]
            else:
                stats[L.ST_DIVERGENT_BRANCHES] += 1
                join = code[pc, L.F_RECONV]
                if sp + 2 >= L.MAX_STACK:
                    fault(err, L.ERR_CALL_DEPTH, pc, base, int(0), int(0), int(0), int(0))
                    return L.R_ERROR
                if join == L.PC_NEVER or join == stk_rpc[w, sp]:
                    # both paths end where the current entry ends: replace it
                    outer = stk_rpc[w, sp]
                    stk_pc[w, sp] = pc + 1
                    stk_mask[w, sp] = not_taken
                    sps[w] = sp + 1
                    stk_pc[w, sp + 1] = code[pc, L.F_TARGET]
                    stk_rpc[w, sp + 1] = outer
                    stk_mask[w, sp + 1] = taken
                else:
                    stk_pc[w, sp] = join
                    stk_pc[w, sp + 1] = pc + 1
                    stk_rpc[w, sp + 1] = join
                    stk_mask[w, sp + 1] = not_taken
                    stk_pc[w, sp + 2] = code[pc, L.F_TARGET]
                    stk_rpc[w, sp + 2] = join
                    stk_mask[w, sp + 2] = taken
                    sps[w] = sp + 2
                continue
        elif op == L.OP_EXIT:
            if emask != 0:
                exited[w] |= emask
                for k in range(sp + 1):
                    stk_mask[w, k] &= ~emask
        elif op == L.OP_RET:
            csp = call_sp[w]
            if csp <= 0:
                wstate[w] = L.W_DONE
                return L.R_DONE
            call_sp[w] = csp - 1
            next_pc = call_ret[w, csp - 1]
        elif op == L.OP_CALL:
            if emask == 0:
                next_pc = pc + 1
            elif code[pc, L.F_SUB] == L.CALL_VPRINTF:
                for lane in range(32):
                    if (emask >> lane) & 1:
                        record_printf(pc, code, oval, mem, m64, valid, mlay, base + lane, cta,
                                      printmeta, printbuf, nprint, err)
            else:
                if emask != mask:
                    fault(err, L.ERR_UNSUPPORTED, pc, base, int(0), int(0), int(0), int(0))
                    return L.R_ERROR
                csp = call_sp[w]
                if csp >= L.MAX_CALLS:
                    fault(err, L.ERR_CALL_DEPTH, pc, base, int(0), int(0), int(0), int(0))
                    return L.R_ERROR
                call_ret[w, csp] = pc + 1
                call_sp[w] = csp + 1
                next_pc = code[pc, L.F_TARGET]
        elif op == L.OP_TRAP:
            if emask != 0:
                lane0 = 0
                while not (emask >> lane0) & 1:
                    lane0 += 1
                fault(err, L.ERR_TRAP, pc, base + lane0, int(0), int(0), int(0), int(0))
                return L.R_ERROR
        elif op == L.OP_BAR or op == L.OP_BARRIER:
            sub = code[pc, L.F_SUB]
            if sub != L.BAR_WARP_SYNC and emask != 0:
                stats[L.ST_BARRIERS] += 1
                s = code[pc, L.F_SRC]
                bid = rd(okind, oval, regs, T, s + 1, base, int(0), w, sreg) & 15
                if okind[s + 2] != L.OK_NONE:
                    bar_expected[bid] = rd(okind, oval, regs, T, s + 2, base, int(0), w, sreg)
                bar_arrived[bid] += popc32(emask)
                if sub == L.BAR_RED_POPC or sub == L.BAR_RED_AND or sub == L.BAR_RED_OR:
                    for lane in range(32):
                        if (emask >> lane) & 1:
                            if rd(okind, oval, regs, T, s, base + lane, lane, w, sreg) & 1:
                                bar_acc[bid] += 1
                    wbar_dst[w, 0] = oval[code[pc, L.F_DST]]
                    wbar_dst[w, 1] = emask
                    wbar_dst[w, 2] = sub
                else:
                    wbar_dst[w, 0] = -1
                if sub != L.BAR_ARRIVE:
                    wstate[w] = L.W_BARRIER
                    wbar[w] = bid
                    stk_pc[w, sp] = pc + 1
                    return L.R_BLOCKED
        elif op == L.OP_MEMBAR or op == L.OP_FENCE:
            pass
        elif op == L.OP_LDMATRIX:
            if emask != L.FULL:
                fault(err, L.ERR_UNSUPPORTED, pc, base, int(0), int(0), int(0), int(0))
                return L.R_ERROR
            if not exec_ldmatrix(pc, code, okind, oval, regs, T, base, mlay, valid, err, m16, rows, stats):
                return L.R_ERROR
        elif op == L.OP_WMMA:
            if emask != L.FULL:
                fault(err, L.ERR_UNSUPPORTED, pc, base, int(0), int(0), int(0), int(0))
                return L.R_ERROR
            if code[pc, L.F_SUB] == 4:
                return L.R_TENSOR
            if not exec_wmma_ldst(pc, code, okind, oval, regs, T, base, sreg, mem, m16, m32, m64, valid, mlay,
                                    err):
                return L.R_ERROR
        elif op == L.OP_MMA:
            if emask != L.FULL:
                fault(err, L.ERR_UNSUPPORTED, pc, base, int(0), int(0), int(0), int(0))    # .aligned: all 32 lanes, converged
                return L.R_ERROR
            return L.R_TENSOR
        elif emask != 0:
            ty = code[pc, L.F_TY]
            if op == L.OP_LD or op == L.OP_ST:
                if not exec_ldst(pc, op, code, okind, oval, regs, T, base, emask, mem, m16, m32, m64,
                                      valid, mlay, stats, err, rows):
                    return L.R_ERROR
            elif exec_fast(op, code, pc, okind, oval, regs, T, base, emask):
                pass
            elif (code[pc, L.F_FLAGS] & L.FL_CC) != 0 or op == L.OP_ADDC or op == L.OP_SUBC or op == L.OP_MADC:
                exec_carry(op, code[pc, L.F_SUB], ty, code[pc, L.F_FLAGS], code, pc, okind, oval, regs, T, base, emask, w, sreg)
            elif op == L.OP_MOV or op == L.OP_CVT or op == L.OP_CVTA:
                exec_convert(op, ty, code[pc, L.F_RND], code[pc, L.F_FLAGS], code, pc, okind, oval, regs, T, base, emask, w, sreg)
            elif op == L.OP_SETP or op == L.OP_SET or op == L.OP_SELP or op == L.OP_SLCT:
                exec_compare(op, ty, code, pc, okind, oval, of, regs, T, base, emask, w, sreg)
            elif op == L.OP_ATOM or op == L.OP_RED:
                if not exec_atomic(pc, op, ty, code, okind, oval, regs, T, base, emask, w, sreg,
                                   mem, m16, m32, m64, valid, mlay, stats, err):
                    return L.R_ERROR
            elif op == L.OP_SHFL or op == L.OP_VOTE or op == L.OP_ACTIVEMASK or op == L.OP_MATCH or op == L.OP_REDUX:
                exec_warp_op(op, code, pc, okind, oval, regs, T, base, emask, w, sreg, nthreads, tmp)
            elif op == L.OP_TESTP:
                exec_testp(op, code[pc, L.F_SUB], ty, code, pc, okind, oval, of, regs, T, base, emask)
            elif ty == L.TY_F32:
                exec_float32(op, code[pc, L.F_SUB], code[pc, L.F_RND], code[pc, L.F_FLAGS], code, pc, okind, oval, of, regs, T, base, emask)
            elif ty == L.TY_F64:
                exec_float64(op, code[pc, L.F_SUB], code[pc, L.F_RND], code[pc, L.F_FLAGS], code, pc, okind, oval, of, regs, T, base, emask)
            elif ty == L.TY_F16 or ty == L.TY_BF16 or ty == L.TY_F16X2 or ty == L.TY_BF16X2:
                exec_half(op, ty, code[pc, L.F_RND], code[pc, L.F_FLAGS], code, pc, okind, oval, regs, T, base, emask, w, sreg)
            else:
                exec_int(op, code[pc, L.F_SUB], ty, code[pc, L.F_FLAGS], code, pc, okind, oval, regs, T, base, emask, w, sreg)
        stk_pc[w, sp] = next_pc


@njit(cache=True, error_model="numpy", _nrt=False)
def release_barriers(nw, exited, init_mask, wstate, wbar, wbar_dst, bar_arrived, bar_expected, bar_acc,
                     regs, T):
    """Let every barrier whose threads have all arrived go. Returns how many barriers completed."""
    live = 0
    for w in range(nw):
        live += popc32(init_mask[w] & ~exited[w])
    released = 0
    for bid in range(16):
        waiting = False
        for w in range(nw):
            if wstate[w] == L.W_BARRIER and wbar[w] == bid:
                waiting = True
                break
        if not waiting:
            continue
        expected = bar_expected[bid] if bar_expected[bid] > 0 else live
        if bar_arrived[bid] < expected:
            continue
        arrived = bar_arrived[bid]
        for w in range(nw):
            if wstate[w] == L.W_BARRIER and wbar[w] == bid:
                wstate[w] = L.W_READY
                if wbar_dst[w, 0] >= 0:
                    kind = wbar_dst[w, 2]
                    if kind == L.BAR_RED_POPC:
                        value = bar_acc[bid]
                    elif kind == L.BAR_RED_AND:
                        value = np.int64(1) if bar_acc[bid] == arrived else np.int64(0)
                    else:
                        value = np.int64(1) if bar_acc[bid] > 0 else np.int64(0)
                    for lane in range(32):
                        if (wbar_dst[w, 1] >> lane) & 1:
                            regs[wbar_dst[w, 0] * T + w * 32 + lane] = value
        bar_arrived[bid] = 0
        bar_expected[bid] = 0
        bar_acc[bid] = 0
        released += 1
    return released


@njit(cache=True, error_model="numpy")
def run_grid(code, okind, oval, of, n_slots, dims, cta_begin, cta_end, n_sms,
             mem, m16, m32, m64, valid, mlay, stats, counts, err, budget,
             printmeta, printbuf, nprint):
    """Run CTAs [cta_begin, cta_end) of a grid.

    dims = grid x,y,z, block x,y,z, dynamic and total shared memory, compute capability (e.g. 80).

    Returns the number of CTAs completed; on a fault ``err`` holds its details.
    """
    T = dims[3] * dims[4] * dims[5]
    nw = (T + 31) // 32
    # +32: a partial last warp reads whole rows; then the fast paths' scratch rows
    regs = np.zeros(n_slots * T + 32 + L.N_SCRATCH * 32, dtype=np.int64)
    stk_pc = np.zeros((nw, L.MAX_STACK), dtype=np.int64)
    stk_rpc = np.zeros((nw, L.MAX_STACK), dtype=np.int64)
    stk_mask = np.zeros((nw, L.MAX_STACK), dtype=np.int64)
    sps = np.zeros(nw, dtype=np.int64)
    call_ret = np.zeros((nw, L.MAX_CALLS), dtype=np.int64)
    call_sp = np.zeros(nw, dtype=np.int64)
    exited = np.zeros(nw, dtype=np.int64)
    init_mask = np.zeros(nw, dtype=np.int64)
    wstate = np.zeros(nw, dtype=np.int64)
    wbar = np.zeros(nw, dtype=np.int64)
    wbar_dst = np.zeros((nw, 3), dtype=np.int64)
    bar_arrived = np.zeros(16, dtype=np.int64)
    bar_expected = np.zeros(16, dtype=np.int64)
    bar_acc = np.zeros(16, dtype=np.int64)
    tmp = np.zeros(32, dtype=np.int64)
    rows = np.zeros((4, 32), dtype=np.int64)          # per-lane scratch (memory offsets, ldmatrix)
    sreg = np.zeros(L.N_SV, dtype=np.int64)
    sreg[L.SV_NTID_X] = dims[3]
    sreg[L.SV_NTID_Y] = dims[4]
    sreg[L.SV_NTID_Z] = dims[5]
    sreg[L.SV_NCTAID_X] = dims[0]
    sreg[L.SV_NCTAID_Y] = dims[1]
    sreg[L.SV_NCTAID_Z] = dims[2]
    sreg[L.SV_NWARPS] = nw
    sreg[L.SV_NSM] = n_sms
    sreg[L.SV_DYN_SMEM] = dims[6]
    sreg[L.SV_TOTAL_SMEM] = dims[7]
    sreg[L.SV_CC] = dims[8]
    shared0 = mlay[L.ML_SHARED_BASE]
    shared1 = shared0 + mlay[L.ML_SHARED_SIZE]
    local0 = mlay[L.ML_LOCAL_BASE]
    local1 = local0 + mlay[L.ML_LOCAL_SIZE] * T
    for cta in range(cta_begin, cta_end):
        sreg[L.SV_CTAID_X] = cta % dims[0]
        sreg[L.SV_CTAID_Y] = (cta // dims[0]) % dims[1]
        sreg[L.SV_CTAID_Z] = cta // (dims[0] * dims[1])
        sreg[L.SV_SMID] = cta % n_sms
        regs[:] = 0
        mem[shared0:shared1] = 0
        mem[local0:local1] = 0
        for w in range(nw):
            lanes = min(32, T - 32 * w)
            init_mask[w] = (np.int64(1) << lanes) - 1
            stk_pc[w, 0] = 0
            stk_rpc[w, 0] = L.PC_NEVER
            stk_mask[w, 0] = init_mask[w]
            sps[w] = 0
            call_sp[w] = 0
            exited[w] = 0
            wstate[w] = L.W_READY
        err[L.E_CTA] = cta
        while True:
            progressed = False
            all_done = True
            for w in range(nw):
                if wstate[w] == L.W_DONE:
                    continue
                all_done = False
                if wstate[w] != L.W_READY:
                    continue
                progressed = True
                r = run_warp(w, code, okind, oval, of, regs, T, T, sreg,
                             stk_pc, stk_rpc, stk_mask, sps, call_ret, call_sp, exited, wstate, wbar, wbar_dst,
                             bar_arrived, bar_expected, bar_acc,
                             mem, m16, m32, m64, valid, mlay, stats, counts, err, tmp, rows,
                             budget, printmeta, printbuf, nprint, cta)
                if r == L.R_TENSOR:
                    # the tensor-core model runs in Python (object mode), which needs the runtime
                    # that the allocation-free run_warp is compiled without: the warp waits, and
                    # run_tensor_ops executes its instruction with those of the other waiting warps
                    wstate[w] = L.W_TENSOR
                elif r == L.R_ERROR:
                    return cta - cta_begin
            if all_done:
                break
            if run_tensor_ops(code, okind, oval, regs, T, nw, wstate, stk_pc, sps, sreg[L.SV_CC]) > 0:
                continue
            released = release_barriers(nw, exited, init_mask, wstate, wbar, wbar_dst,
                                        bar_arrived, bar_expected, bar_acc, regs, T)
            if not progressed and released == 0:
                # every live warp waits at a barrier that can no longer complete
                for w in range(nw):
                    if wstate[w] == L.W_BARRIER:
                        fault(err, L.ERR_DEADLOCK, stk_pc[w, sps[w]] - 1, w * 32, int(0), int(0), int(0), int(0))
                        err[L.E_INFO] = wbar[w]
                        err[L.E_SIZE] = bar_arrived[wbar[w]]
                        break
                return cta - cta_begin
    return cta_end - cta_begin
