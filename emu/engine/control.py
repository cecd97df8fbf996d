"""Control: issuing one warp instruction, barriers, and the functional driver of an SM's resident CTAs.

``issue`` executes exactly one instruction of one warp and records in
``scratch.issued`` (and ``scratch.addresses``) what a timing model needs: its
pc, active mask and, for memory instructions, the per-lane addresses. Its pipe
and latency class are columns of the decoded program at that pc, and
``operands.instruction_registers`` lists the registers it reads and writes.
``run`` is the functional driver: it places CTAs in free resident slots, lets
each ready warp run a slice of instructions (``run_warp``), releases
barriers, and returns to Python when the launch is done, when it faulted,
when warps wait at tensor instructions (``emu.engine.tensor`` runs them in
Python, all waiting warps of one pc in one call of the model), or after
RUN_SLICE instructions, so that Ctrl-C is seen promptly.

Each warp keeps a SIMT reconvergence stack of (pc, reconvergence pc, mask)
entries: a branch that splits the active lanes pushes both paths, which run
one after the other and meet again at the branch's immediate post-dominator.
"""
import numpy as np
from numba import njit

from emu.engine import layout as L
from emu.engine.alu_float import exec_float32, exec_float64, exec_testp
from emu.engine.alu_half import exec_half
from emu.engine.alu_int import exec_carry, exec_int
from emu.engine.compare import exec_compare
from emu.engine.convert import exec_convert
from emu.engine.fast import exec_fast
from emu.engine.memory_ops import exec_atomic, exec_ldmatrix, exec_ldst, exec_wmma_ldst
from emu.engine.operands import fault, popc32, rd
from emu.engine.printf import record_printf
from emu.engine.warp_ops import exec_warp_op


@njit(cache=True, error_model="numpy", _nrt=False, inline="always")
def branch(gw, pc, sp, mask, taken, code, warps, stats, err):
    """bra: jump, fall through, or split the warp (push both paths); False on stack overflow."""
    stats[L.ST_BRANCHES] += 1
    not_taken = mask & ~taken
    pcs, rpcs, masks = warps.pc_stack, warps.rpc_stack, warps.mask_stack
    if taken == 0:
        pcs[gw, sp] = pc + 1
        return True
    if not_taken == 0:
        pcs[gw, sp] = code[pc, L.F_TARGET]
        return True
    stats[L.ST_DIVERGENT_BRANCHES] += 1
    join = code[pc, L.F_RECONV]
    if sp + 2 >= L.MAX_STACK:
        fault(err, L.ERR_CALL_DEPTH, pc, gw * 32, int(0), int(0), int(0), int(0))
        return False
    if join == L.PC_NEVER or join == rpcs[gw, sp]:
        # both paths end where the current entry ends: replace it
        outer = rpcs[gw, sp]
        pcs[gw, sp] = pc + 1
        masks[gw, sp] = not_taken
        warps.sp[gw] = sp + 1
        pcs[gw, sp + 1] = code[pc, L.F_TARGET]
        rpcs[gw, sp + 1] = outer
        masks[gw, sp + 1] = taken
    else:
        pcs[gw, sp] = join
        pcs[gw, sp + 1] = pc + 1
        rpcs[gw, sp + 1] = join
        masks[gw, sp + 1] = not_taken
        pcs[gw, sp + 2] = code[pc, L.F_TARGET]
        rpcs[gw, sp + 2] = join
        masks[gw, sp + 2] = taken
        warps.sp[gw] = sp + 2
    return True


@njit(cache=True, error_model="numpy", _nrt=False)
def arrive(gw, w, pc, sp, emask, code, okind, oval, regs, T, sreg, slot, warps, slots, stats):
    """bar / barrier: count the arriving lanes; True if the warp now waits (not bar.arrive)."""
    sub = code[pc, L.F_SUB]
    base = gw * 32
    stats[L.ST_BARRIERS] += 1
    s = code[pc, L.F_SRC]
    bid = rd(okind, oval, regs, T, s + 1, base, int(0), w, sreg) & 15
    if okind[s + 2] != L.OK_NONE:
        slots.bar_expected[slot, bid] = rd(okind, oval, regs, T, s + 2, base, int(0), w, sreg)
    slots.bar_arrived[slot, bid] += popc32(emask)
    if sub == L.BAR_RED_POPC or sub == L.BAR_RED_AND or sub == L.BAR_RED_OR:
        for lane in range(32):
            if (emask >> lane) & 1:
                if rd(okind, oval, regs, T, s, base + lane, lane, w, sreg) & 1:
                    slots.bar_acc[slot, bid] += 1
        warps.barrier_dst[gw, 0] = oval[code[pc, L.F_DST]]
        warps.barrier_dst[gw, 1] = emask
        warps.barrier_dst[gw, 2] = sub
    else:
        warps.barrier_dst[gw, 0] = -1
    if sub == L.BAR_ARRIVE:
        return False
    warps.state[gw] = L.W_BARRIER
    warps.barrier[gw] = bid
    warps.pc_stack[gw, sp] = pc + 1
    return True


@njit(cache=True, error_model="numpy", _nrt=False, inline="always")
def settle(gw, warps):
    """Pop the SIMT-stack entries of warp ``gw`` that have reconverged (or lost all lanes); returns
    the top index, whose pc is the warp's next instruction, or -1 when the warp has finished."""
    while True:
        sp = warps.sp[gw]
        if sp < 0:
            return sp
        if warps.mask_stack[gw, sp] != 0 and warps.pc_stack[gw, sp] != warps.rpc_stack[gw, sp]:
            return sp
        warps.sp[gw] = sp - 1


@njit(cache=True, error_model="numpy", _nrt=False, inline="always")
def run_warp(gw, program, warps, slots, memory, out, scratch, grid, limit):
    """Issue up to ``limit`` instructions of warp ``gw``, one at a time, until it blocks or stops.

    Returns R_ISSUED (it issued ``limit`` instructions and goes on), R_BLOCKED (it issued a barrier
    and waits), R_TENSOR (it issued a tensor instruction, whose result the driver writes: the warp
    waits until then), R_DONE (it has finished) or R_ERROR (``out.err`` says why). After each
    issued instruction ``scratch.issued`` holds its pc, active mask and, for memory instructions,
    the state space, access size and number of rows of per-lane offsets in ``scratch.addresses``.
    One function, not a loop around calls of ``issue``: a call per instruction, with the machine
    state as arguments, would cost more than most instructions.
    """
    code, okind, oval, of = program.code, program.okind, program.oval, program.of
    regs = warps.regs
    stats, err = out.stats, out.err
    nw = grid[L.G_CTA_WARPS]
    slot = gw // nw
    w = gw - slot * nw
    base = gw * 32
    T = grid[L.G_SLOTS] * nw * 32
    sreg = slots.sreg[slot]
    issued = scratch.issued
    for _ in range(limit):
        sp = settle(gw, warps)
        if sp < 0:
            warps.state[gw] = L.W_DONE
            return L.R_DONE
        pc = warps.pc_stack[gw, sp]
        mask = warps.mask_stack[gw, sp]
        if stats[L.ST_WARP_INSTRUCTIONS] >= grid[L.G_BUDGET]:
            fault(err, L.ERR_BUDGET, pc, base, int(0), int(0), int(0), int(0))
            return L.R_ERROR
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
        out.counts[pc] += 1
        sreg[L.SV_CLOCK] += 1
        issued[L.I_PC] = pc
        issued[L.I_MASK] = emask
        issued[L.I_SPACE] = -1
        issued[L.I_ACCESS_BYTES] = 0
        issued[L.I_ADDRESS_ROWS] = 0
        op = code[pc, L.F_OP]
        ex = code[pc, L.F_EXEC]
        next_pc = pc + 1
        if ex == L.EX_BRANCH:
            if not branch(gw, pc, sp, mask, emask, code, warps, stats, err):
                return L.R_ERROR
            continue
        if ex == L.EX_EXIT:
            if emask != 0:
                warps.exited[gw] |= emask
                for k in range(sp + 1):
                    warps.mask_stack[gw, k] &= ~emask
        elif ex == L.EX_RET:
            csp = warps.call_sp[gw]
            if csp <= 0:
                warps.state[gw] = L.W_DONE
                return L.R_DONE
            warps.call_sp[gw] = csp - 1
            next_pc = warps.call_ret[gw, csp - 1]
        elif ex == L.EX_CALL:
            if emask != 0:
                if emask != mask:
                    fault(err, L.ERR_UNSUPPORTED, pc, base, int(0), int(0), int(0), int(0))
                    return L.R_ERROR
                csp = warps.call_sp[gw]
                if csp >= L.MAX_CALLS:
                    fault(err, L.ERR_CALL_DEPTH, pc, base, int(0), int(0), int(0), int(0))
                    return L.R_ERROR
                warps.call_ret[gw, csp] = pc + 1
                warps.call_sp[gw] = csp + 1
                next_pc = code[pc, L.F_TARGET]
        elif ex == L.EX_PRINTF:
            for lane in range(32):
                if (emask >> lane) & 1:
                    record_printf(pc, code, oval, memory, out, base + lane, slots.cta[slot], w * 32 + lane)
        elif ex == L.EX_TRAP:
            if emask != 0:
                lane0 = 0
                while not (emask >> lane0) & 1:
                    lane0 += 1
                fault(err, L.ERR_TRAP, pc, base + lane0, int(0), int(0), int(0), int(0))
                return L.R_ERROR
        elif ex == L.EX_BARRIER:
            if code[pc, L.F_SUB] != L.BAR_WARP_SYNC and emask != 0:
                if arrive(gw, w, pc, sp, emask, code, okind, oval, regs, T, sreg, slot, warps, slots, stats):
                    return L.R_BLOCKED
        elif ex == L.EX_NOP:
            pass
        elif ex == L.EX_TENSOR or ex == L.EX_LDMATRIX or ex == L.EX_WMMA_LDST:
            if emask != L.FULL:          # .aligned: all 32 lanes, converged
                fault(err, L.ERR_UNSUPPORTED, pc, base, int(0), int(0), int(0), int(0))
                return L.R_ERROR
            if ex == L.EX_TENSOR:
                warps.state[gw] = L.W_TENSOR
                return L.R_TENSOR
            if ex == L.EX_LDMATRIX:
                if not exec_ldmatrix(pc, code, okind, oval, regs, T, base, memory, stats, err, issued,
                                     scratch.addresses):
                    return L.R_ERROR
            elif not exec_wmma_ldst(pc, code, okind, oval, regs, T, base, w, sreg, memory, err, issued,
                                    scratch.addresses):
                return L.R_ERROR
        elif emask != 0:
            ty = code[pc, L.F_TY]
            reference = grid[L.G_REFERENCE] != 0
            if ex == L.EX_LDST:
                if not exec_ldst(pc, op, code, okind, oval, regs, T, base, emask, w, sreg, memory, stats, err,
                                 issued, scratch.addresses, reference):
                    return L.R_ERROR
            elif ex == L.EX_ATOMIC:
                if not exec_atomic(pc, op, ty, code, okind, oval, regs, T, base, emask, w, sreg, memory, stats, err,
                                   issued, scratch.addresses):
                    return L.R_ERROR
            elif not reference and code[pc, L.F_FAST] != L.FAST_NONE:
                exec_fast(code[pc, L.F_FAST], op, code, pc, okind, oval, regs, T, base, emask)
            elif ex == L.EX_INT:
                exec_int(op, code[pc, L.F_SUB], ty, code[pc, L.F_FLAGS], code, pc, okind, oval, regs, T, base, emask, w,
                         sreg)
            elif ex == L.EX_FLOAT32:
                exec_float32(op, code[pc, L.F_SUB], code[pc, L.F_RND], code[pc, L.F_FLAGS], code, pc, okind, oval, of,
                             regs, T, base, emask)
            elif ex == L.EX_FLOAT64:
                exec_float64(op, code[pc, L.F_SUB], code[pc, L.F_RND], code[pc, L.F_FLAGS], code, pc, okind, oval, of,
                             regs, T, base, emask)
            elif ex == L.EX_HALF:
                exec_half(op, ty, code[pc, L.F_RND], code[pc, L.F_FLAGS], code, pc, okind, oval, regs, T, base,
                          emask, w, sreg)
            elif ex == L.EX_CARRY:
                exec_carry(op, code[pc, L.F_SUB], ty, code[pc, L.F_FLAGS], code, pc, okind, oval, regs, T, base, emask,
                           w, sreg)
            elif ex == L.EX_COMPARE:
                exec_compare(op, ty, code, pc, okind, oval, of, regs, T, base, emask, w, sreg)
            elif ex == L.EX_CONVERT:
                exec_convert(op, ty, code[pc, L.F_RND], code[pc, L.F_FLAGS], code, pc, okind, oval, regs, T, base,
                             emask, w, sreg)
            elif ex == L.EX_WARP:
                exec_warp_op(op, code, pc, okind, oval, regs, T, base, emask, w, sreg, grid[L.G_CTA_THREADS],
                             scratch.lane_values)
            elif ex == L.EX_TESTP:
                exec_testp(op, code[pc, L.F_SUB], ty, code, pc, okind, oval, of, regs, T, base, emask)
            else:
                fault(err, L.ERR_UNSUPPORTED, pc, base, int(0), int(0), int(0), int(0))
                return L.R_ERROR
        warps.pc_stack[gw, sp] = next_pc
    return L.R_ISSUED


@njit(cache=True, error_model="numpy", _nrt=False)
def issue(gw, program, warps, slots, memory, out, scratch, grid):
    """Execute exactly one instruction of warp ``gw`` (the step a timing model drives); see run_warp."""
    return run_warp(gw, program, warps, slots, memory, out, scratch, grid, 1)


@njit(cache=True, error_model="numpy", _nrt=False)
def start_cta(slot, cta, warps, slots, memory, out, grid):
    """Place CTA ``cta`` (linear index) in a free slot: zeroed registers, shared and local memory."""
    nw = grid[L.G_CTA_WARPS]
    columns = nw * 32
    T = grid[L.G_SLOTS] * columns
    threads = grid[L.G_CTA_THREADS]
    slots.cta[slot] = cta
    sreg = slots.sreg[slot]
    for axis in range(3):
        sreg[L.SV_NTID_X + axis] = grid[L.G_BLOCK_X + axis]
        sreg[L.SV_NCTAID_X + axis] = grid[L.G_GRID_X + axis]
    sreg[L.SV_CTAID_X] = cta % grid[L.G_GRID_X]
    sreg[L.SV_CTAID_Y] = (cta // grid[L.G_GRID_X]) % grid[L.G_GRID_Y]
    sreg[L.SV_CTAID_Z] = cta // (grid[L.G_GRID_X] * grid[L.G_GRID_Y])
    sreg[L.SV_NWARPS] = nw
    sreg[L.SV_SMID] = cta % grid[L.G_N_SMS]
    sreg[L.SV_NSM] = grid[L.G_N_SMS]
    sreg[L.SV_DYN_SMEM] = grid[L.G_DYN_SMEM]
    sreg[L.SV_TOTAL_SMEM] = grid[L.G_TOTAL_SMEM]
    sreg[L.SV_CLOCK] = out.stats[L.ST_WARP_INSTRUCTIONS]
    sreg[L.SV_CLOCK_MHZ] = grid[L.G_CLOCK_MHZ]
    sreg[L.SV_CC] = grid[L.G_CC]
    first = slot * columns
    regs = warps.regs
    for v in range((regs.shape[0] - L.N_SCRATCH * 32) // T):
        regs[v * T + first: v * T + first + columns] = 0
    mlay = memory.mlay
    shared0 = mlay[L.ML_SHARED_BASE] + slot * mlay[L.ML_SHARED_STRIDE]
    memory.mem[shared0: shared0 + mlay[L.ML_SHARED_SIZE]] = 0
    local0 = mlay[L.ML_LOCAL_BASE] + first * mlay[L.ML_LOCAL_SIZE]
    memory.mem[local0: local0 + columns * mlay[L.ML_LOCAL_SIZE]] = 0
    slots.bar_arrived[slot, :] = 0
    slots.bar_expected[slot, :] = 0
    slots.bar_acc[slot, :] = 0
    for w in range(nw):
        gw = slot * nw + w
        lanes = min(32, threads - 32 * w)
        warps.init_mask[gw] = (np.int64(1) << lanes) - 1
        warps.pc_stack[gw, 0] = 0
        warps.rpc_stack[gw, 0] = L.PC_NEVER
        warps.mask_stack[gw, 0] = warps.init_mask[gw]
        warps.sp[gw] = 0
        warps.call_sp[gw] = 0
        warps.exited[gw] = 0
        warps.state[gw] = L.W_READY


@njit(cache=True, error_model="numpy", _nrt=False)
def release_barriers(slot, warps, slots, grid):
    """Let every barrier of a slot's CTA whose threads have all arrived go; returns how many did."""
    nw = grid[L.G_CTA_WARPS]
    T = grid[L.G_SLOTS] * nw * 32
    first = slot * nw
    live = 0
    for gw in range(first, first + nw):
        live += popc32(warps.init_mask[gw] & ~warps.exited[gw])
    released = 0
    for bid in range(16):
        waiting = False
        for gw in range(first, first + nw):
            if warps.state[gw] == L.W_BARRIER and warps.barrier[gw] == bid:
                waiting = True
                break
        if not waiting:
            continue
        expected = slots.bar_expected[slot, bid] if slots.bar_expected[slot, bid] > 0 else live
        arrived = slots.bar_arrived[slot, bid]
        if arrived < expected:
            continue
        acc = slots.bar_acc[slot, bid]
        for gw in range(first, first + nw):
            if warps.state[gw] == L.W_BARRIER and warps.barrier[gw] == bid:
                warps.state[gw] = L.W_READY
                dst = warps.barrier_dst[gw, 0]
                if dst >= 0:
                    kind = warps.barrier_dst[gw, 2]
                    if kind == L.BAR_RED_POPC:
                        value = acc
                    elif kind == L.BAR_RED_AND:
                        value = np.int64(1) if acc == arrived else np.int64(0)
                    else:
                        value = np.int64(1) if acc > 0 else np.int64(0)
                    for lane in range(32):
                        if (warps.barrier_dst[gw, 1] >> lane) & 1:
                            warps.regs[dst * T + gw * 32 + lane] = value
        slots.bar_arrived[slot, bid] = 0
        slots.bar_expected[slot, bid] = 0
        slots.bar_acc[slot, bid] = 0
        released += 1
    return released


@njit(cache=True, error_model="numpy", _nrt=False)
def retire_ctas(warps, slots, grid):
    """Free the slots whose CTA has finished; returns how many."""
    nw = grid[L.G_CTA_WARPS]
    freed = 0
    for slot in range(grid[L.G_SLOTS]):
        if slots.cta[slot] < 0:
            continue
        done = True
        for gw in range(slot * nw, slot * nw + nw):
            if warps.state[gw] != L.W_DONE:
                done = False
                break
        if done:
            slots.cta[slot] = -1
            grid[L.G_CTAS_DONE] += 1
            freed += 1
    return freed


@njit(cache=True, error_model="numpy", _nrt=False)
def deadlock(warps, slots, out, grid):
    """Every live warp waits at a barrier that can no longer complete: the fault; returns R_ERROR."""
    nw = grid[L.G_CTA_WARPS]
    for gw in range(grid[L.G_SLOTS] * nw):
        if warps.state[gw] == L.W_BARRIER:
            bid = warps.barrier[gw]
            fault(out.err, L.ERR_DEADLOCK, warps.pc_stack[gw, warps.sp[gw]] - 1, gw * 32, int(0), int(0),
                  int(0), int(0))
            out.err[L.E_INFO] = bid
            out.err[L.E_SIZE] = slots.bar_arrived[gw // nw, bid]
            break
    return L.R_ERROR


@njit(cache=True, error_model="numpy", _nrt=False)
def run(program, warps, slots, memory, out, scratch, grid):
    """The functional driver: run CTAs grid[G_NEXT_CTA] .. grid[G_END_CTA] on one SM's resident slots.

    Returns R_DONE (all CTAs finished), R_ERROR (``out.err`` says why), R_TENSOR (warps wait at
    tensor instructions: run them, then call again) or R_SLICE (RUN_SLICE instructions ran: call
    again). The state lives in the arguments, so a call continues where the last one stopped.
    """
    stats = out.stats
    nw = grid[L.G_CTA_WARPS]
    n_warps = grid[L.G_SLOTS] * nw
    started = stats[L.ST_WARP_INSTRUCTIONS]
    while True:
        for slot in range(grid[L.G_SLOTS]):
            if slots.cta[slot] < 0 and grid[L.G_NEXT_CTA] < grid[L.G_END_CTA]:
                start_cta(slot, grid[L.G_NEXT_CTA], warps, slots, memory, out, grid)
                grid[L.G_NEXT_CTA] += grid[L.G_CTA_STRIDE]
        progressed = False
        tensor = False
        for gw in range(n_warps):
            state = warps.state[gw]
            if state == L.W_TENSOR:
                tensor = True
            if state != L.W_READY:
                continue
            progressed = True
            r = run_warp(gw, program, warps, slots, memory, out, scratch, grid, L.SLICE)
            if r == L.R_ERROR:
                return L.R_ERROR
            if r == L.R_TENSOR:
                tensor = True
        freed = retire_ctas(warps, slots, grid)
        busy = False
        for slot in range(grid[L.G_SLOTS]):
            busy = busy or slots.cta[slot] >= 0
        if not busy and grid[L.G_NEXT_CTA] >= grid[L.G_END_CTA]:
            return L.R_DONE
        if tensor:
            return L.R_TENSOR
        released = 0
        for slot in range(grid[L.G_SLOTS]):
            if slots.cta[slot] >= 0:
                released += release_barriers(slot, warps, slots, grid)
        if not progressed and released == 0 and freed == 0:
            return deadlock(warps, slots, out, grid)
        if stats[L.ST_WARP_INSTRUCTIONS] - started >= L.RUN_SLICE:
            return L.R_SLICE
