"""The cycle model: warp schedulers, scoreboards and pipes of the GPU's SMs around the functional engine.

The SMs run together, cycle by cycle. The machine's CTA slots are spread over
them (slot ``s`` is on SM ``s % SMs``, so CTAs are handed out breadth first, as
the GPU's block scheduler does), and a CTA that finishes makes room for the
next one on its SM. Each SM has sub-partitions, each with its own warps.

Execute at issue: every cycle, each sub-partition picks at most one ready
warp of its own and ``control.issue`` executes its next instruction there and
then. The timing is bookkeeping around that step:

- A warp is ready when its next instruction's registers are (a scoreboard
  holds each result register until the cycle its producer's latency has
  passed; memory results until ``hierarchy.access`` says the data is back) and
  that instruction's pipe in the sub-partition is free again (a pipe of
  ``lanes`` lanes takes a warp instruction every ``32 / lanes`` cycles;
  tensor instructions hold the tensor unit for m·n·k / rate cycles).
- The scheduler is greedy then oldest (the last warp issued goes on while it
  is ready, else the oldest ready warp) or loose round robin.
- Each warp cycle goes to one stall reason (Nsight Compute's names): the
  cycles a warp waits for a result count under the kind of its producer
  (fixed latency: wait; shared memory and MUFU: short scoreboard; global and
  local memory: long scoreboard), then for a busy pipe under its throttle,
  then, ready, under not selected; its issue cycle is selected; a barrier's
  wait is barrier. They are counted per instruction (``pc_stalls``).
- When no sub-partition can issue, the clock jumps to the next cycle one can.
- Memory instructions go to ``hierarchy``: each SM has its L1 and shared
  memory; L2 and DRAM, and their bandwidth, are the GPU's.

Tensor instructions are issued here but computed in Python
(``emu.engine.tensor``): ``run_timed`` returns R_TENSOR after a cycle in which
one issued, with the clock saved, and resumes where it stopped.
"""
from collections import namedtuple

import numpy as np
from numba import njit

from emu.engine import layout as L
from emu.engine.control import deadlock, release_barriers, run_warp, settle, start_cta
from emu.engine.hierarchy import access
from emu.engine.operands import popc32
from emu.isa.table import PIPE_ID

Timing = namedtuple("Timing", [
    "params",        # int64[N_T]: the preset's numbers (T_*)
    "rates",         # float64[N_TR]: bandwidth shares (TR_*)
    "pc_info",       # int64[instructions, N_P]: per-instruction timing (P_*)
    "clock",         # int64[2]: the GPU's cycle; the caches' use counter (their LRU stamps)
    "sm_queues",     # float64[SMs, 2]: the cycle each data path of an SM is free (hierarchy.Q_L1, Q_SHARED)
    "gpu_queues",    # float64[2]: the cycle L2 and DRAM bandwidth is free (hierarchy.Q_L2, Q_DRAM)
    "sm_cycles",     # int64[SMs]: the last cycle each SM had work
    "cta_done",      # int64[CTAs]: the cycle each CTA finished
    "warp_pc",       # int64[warps]: next instruction; AT_TENSOR, AT_BARRIER, or -1 when finished
    "warp_ready",    # int64[warps]: cycle its next instruction's registers are ready
    "warp_at",       # int64[warps]: it cannot issue before this cycle (NEVER: not ready, or finished)
    "warp_reason",   # int64[warps]: stall reason until then (STALL_*)
    "warp_since",    # int64[warps]: first cycle not yet counted under a stall reason
    "warp_age",      # int64[warps]: order of arrival on the SM (greedy-then-oldest)
    "reg_ready",     # int64[warps, registers]: the scoreboard
    "reg_kind",      # int64[warps, registers]: stall reason of a wait for that register
    "warp_part",     # int64[warps]: its sub-partition (of all the GPU's: SM * sub_partitions + p)
    "members",       # int64[sub-partitions, most]: the warps of each sub-partition (-1 past the last)
    "pipe_free",     # int64[sub-partitions, pipes]: cycle each pipe takes an instruction again
    "pipe_owed",     # int64[sub-partitions, pipes]: fraction of a cycle (in INTERVAL_UNITs) owed to the next
    "last_issued",   # int64[sub-partitions]: the warp each scheduler issued last
    "wake",          # int64[sub-partitions]: no warp of it can issue before this cycle
    "l1_tag", "l1_stamp", "l1_bits",        # [SMs, lines] L1 of each SM: line address, last use, sector bits
    "l2_tag", "l2_stamp", "l2_bits",        # [lines] L2 of the GPU
    "blocks",        # int64[MAX_BLOCKS]: scratch for the distinct sectors or words of one access
    "bank_words",    # int64[32]: scratch: distinct words per shared-memory bank
    "bank_seen",     # int64[32, MAX_BLOCKS]: scratch: those words
    "counters",      # int64[N_TC]
    "pc_stalls",     # int64[instructions, N_STALLS]: warp cycles spent waiting to issue each instruction
])

AT_TENSOR = -2       # warp_pc: its tensor instruction waits to be computed; the next pc is not known yet
AT_BARRIER = -3      # warp_pc: it waits at a barrier (warp_ready: the barrier's pc)
TENSOR_PIPE = PIPE_ID["tensor"]
NEVER = np.int64(1) << 62


@njit(cache=True, error_model="numpy", _nrt=False, inline="always")
def peek(gw, warps, timing, now):
    """Find warp ``gw``'s next instruction and the cycle its registers are ready (or mark it done)."""
    sp = settle(gw, warps)
    if sp < 0:
        warps.state[gw] = L.W_DONE
        timing.warp_pc[gw] = -1
        timing.warp_at[gw] = NEVER
        return
    pc = warps.pc_stack[gw, sp]
    info = timing.pc_info[pc]
    ready = now
    reason = L.STALL_WAIT
    for i in range(L.P_REGS, L.P_REGS + info[L.P_NREADS] + info[L.P_NWRITES]):
        r = info[i]
        if timing.reg_ready[gw, r] > ready:
            ready = timing.reg_ready[gw, r]
            reason = timing.reg_kind[gw, r]
    timing.warp_pc[gw] = pc
    timing.warp_ready[gw] = ready
    timing.warp_at[gw] = ready
    timing.warp_reason[gw] = reason
    timing.warp_since[gw] = now
    q = timing.warp_part[gw]
    timing.wake[q] = min(timing.wake[q], ready)       # its scheduler has a warp to look at then


@njit(cache=True, error_model="numpy", _nrt=False, inline="always")
def stall(timing, reason, pc, cycles):
    if cycles > 0:
        timing.counters[L.TC_STALL_BASE + reason] += cycles
        timing.pc_stalls[pc, reason] += cycles


@njit(cache=True, error_model="numpy", _nrt=False, inline="always")
def count_wait(timing, gw, pc, now, pipe_free):
    """Put the cycles warp ``gw`` waited before issuing ``pc`` at ``now`` under their stall reasons."""
    since = timing.warp_since[gw]
    operands = min(max(timing.warp_ready[gw], since), now)
    stall(timing, timing.warp_reason[gw], pc, operands - since)
    throttled = min(max(pipe_free, operands), now)
    stall(timing, timing.pc_info[pc, L.P_THROTTLE], pc, throttled - operands)
    stall(timing, L.STALL_NOT_SELECTED, pc, now - throttled)
    stall(timing, L.STALL_SELECTED, pc, 1)


@njit(cache=True, error_model="numpy", _nrt=False)
def place_cta(slot, warps, slots, memory, out, timing, grid, now):
    """Start the next CTA in free slot ``slot``, if one is left; returns whether one started."""
    if grid[L.G_NEXT_CTA] >= grid[L.G_END_CTA]:
        return False
    nw = grid[L.G_CTA_WARPS]
    cta = grid[L.G_NEXT_CTA]
    start_cta(slot, cta, warps, slots, memory, out, grid)
    slots.sreg[slot, L.SV_SMID] = slot % timing.params[L.T_SMS]
    grid[L.G_NEXT_CTA] += 1
    for gw in range(slot * nw, slot * nw + nw):
        timing.reg_ready[gw, :] = 0
        timing.warp_age[gw] = cta * nw + gw - slot * nw
        peek(gw, warps, timing, now)
    return True


@njit(cache=True, error_model="numpy", _nrt=False)
def place_ctas(warps, slots, memory, out, timing, grid, now):
    """Start the next CTAs in all free slots, breadth first over the SMs (slot s is on SM s % SMs)."""
    for slot in range(grid[L.G_SLOTS]):
        if slots.cta[slot] < 0 and not place_cta(slot, warps, slots, memory, out, timing, grid, now):
            return


@njit(cache=True, error_model="numpy", _nrt=False)
def finish_warp(gw, warps, slots, memory, out, timing, grid, now):
    """Warp ``gw`` has finished: if its CTA has too, note when, free its slot and start the next CTA there."""
    nw = grid[L.G_CTA_WARPS]
    slot = gw // nw
    for other in range(slot * nw, slot * nw + nw):
        if warps.state[other] != L.W_DONE:
            return
    sm = slot % timing.params[L.T_SMS]
    timing.cta_done[slots.cta[slot]] = now
    timing.sm_cycles[sm] = max(timing.sm_cycles[sm], now)
    slots.cta[slot] = -1
    grid[L.G_CTAS_DONE] += 1
    place_cta(slot, warps, slots, memory, out, timing, grid, now)


@njit(cache=True, error_model="numpy", _nrt=False, inline="always")
def eligible(gw, q, timing, now):
    """The cycle warp ``gw`` of sub-partition ``q`` can issue its next instruction (NEVER: not now).
    ``warp_at`` is a lower bound kept per warp, so most warps that cannot issue cost one look."""
    at = timing.warp_at[gw]
    if at > now:
        return at
    at = max(at, timing.pipe_free[q, timing.pc_info[timing.warp_pc[gw], L.P_PIPE]])
    timing.warp_at[gw] = at
    return at


@njit(cache=True, error_model="numpy", _nrt=False, inline="always")
def choose(q, timing, now):
    """The warp sub-partition ``q`` issues at ``now``, or -1 (then ``timing.wake[q]`` says until when):
    greedy then oldest, or loose round robin from the warp after the last one issued."""
    members = timing.members[q]
    last = timing.last_issued[q]
    lrr = timing.params[L.T_SCHEDULER] == L.SCHED_LRR
    if not lrr and last >= 0 and eligible(last, q, timing, now) <= now:
        return last
    m = members.shape[0]
    first = 0
    if lrr:
        m = 0
        while m < members.shape[0] and members[m] >= 0:
            if members[m] == last:
                first = m + 1
            m += 1
    best = -1
    wake = NEVER
    for j in range(m):
        gw = members[(first + j) % m] if lrr else members[j]
        if gw < 0:
            break
        at = eligible(gw, q, timing, now)
        if at <= now:
            if lrr:
                return gw
            if best < 0 or timing.warp_age[gw] < timing.warp_age[best]:
                best = gw
        elif at < wake:
            wake = at
    if best < 0:
        timing.wake[q] = wake
    return best


@njit(cache=True, error_model="numpy", _nrt=False, inline="always")
def complete(gw, q, pc, now, timing, scratch):
    """The timing of the instruction warp ``gw`` (of sub-partition ``q``) just issued at ``now``: its
    pipe, its results' readiness on the scoreboard, its FLOPs."""
    info = timing.pc_info[pc]
    issued = scratch.issued
    pipe = info[L.P_PIPE]
    owed = timing.pipe_owed[q, pipe] + info[L.P_INTERVAL]        # whole cycles now, the fraction later
    timing.pipe_free[q, pipe] = now + owed // L.INTERVAL_UNIT
    timing.pipe_owed[q, pipe] = owed % L.INTERVAL_UNIT
    if info[L.P_MEMORY] != L.MEM_NONE and issued[L.I_ADDRESS_ROWS] > 0:
        sm = q // timing.params[L.T_SUB_PARTITIONS]
        ready = access(now, sm, timing, issued, scratch.addresses, info[L.P_MEMORY])
        space = issued[L.I_SPACE]
        kind = L.STALL_LONG_SCOREBOARD if space == L.SP_GLOBAL or space == L.SP_LOCAL else \
            L.STALL_SHORT_SCOREBOARD
    else:
        ready = now + info[L.P_LATENCY]
        kind = info[L.P_DEPENDENCY]
    first = L.P_REGS + info[L.P_NREADS]
    for i in range(first, first + info[L.P_NWRITES]):
        timing.reg_ready[gw, info[i]] = ready
        timing.reg_kind[gw, info[i]] = kind
    if info[L.P_FLOP_KIND] >= 0:
        lanes = 1 if pipe == TENSOR_PIPE else popc32(issued[L.I_MASK])
        timing.counters[L.TC_FLOP_BASE + info[L.P_FLOP_KIND]] += info[L.P_FLOPS] * lanes
    if pipe == TENSOR_PIPE:
        timing.counters[L.TC_TENSOR_BUSY] += owed // L.INTERVAL_UNIT


@njit(cache=True, error_model="numpy", _nrt=False)
def release(slot, warps, slots, timing, grid, now):
    """Let the barriers of ``slot`` whose threads have all arrived go, at ``now``."""
    if release_barriers(slot, warps, slots, grid) == 0:
        return
    nw = grid[L.G_CTA_WARPS]
    go = now + timing.params[L.T_SYNC_CYCLES]
    for gw in range(slot * nw, slot * nw + nw):
        if warps.state[gw] == L.W_READY and timing.warp_pc[gw] == AT_BARRIER:
            stall(timing, L.STALL_BARRIER, timing.warp_ready[gw], go - timing.warp_since[gw])
            peek(gw, warps, timing, go)


@njit(cache=True, error_model="numpy", _nrt=False)
def run_timed(program, warps, slots, memory, out, scratch, grid, timing):
    """Run the launch's CTAs on the GPU's SMs, cycle by cycle.

    Returns R_DONE (``timing.clock[0]`` is the kernel's cycle count), R_ERROR, R_TENSOR (warps
    issued tensor instructions: compute them, then call again) or R_SLICE (call again).
    """
    nw = grid[L.G_CTA_WARPS]
    parts = timing.params[L.T_SMS] * timing.params[L.T_SUB_PARTITIONS]
    now = timing.clock[0]
    for gw in range(grid[L.G_SLOTS] * nw):     # back from computing tensor instructions
        if warps.state[gw] == L.W_READY and timing.warp_pc[gw] == AT_TENSOR:
            since = timing.warp_since[gw]
            peek(gw, warps, timing, now)
            timing.warp_since[gw] = since
    place_ctas(warps, slots, memory, out, timing, grid, now)
    stats = out.stats
    started = stats[L.ST_WARP_INSTRUCTIONS]
    while True:
        issued_any = False
        tensor = False
        for q in range(parts):
            if timing.wake[q] > now:
                continue
            gw = choose(q, timing, now)
            if gw < 0:
                continue
            pc = timing.warp_pc[gw]
            slot = gw // nw
            count_wait(timing, gw, pc, now, timing.pipe_free[q, timing.pc_info[pc, L.P_PIPE]])
            slots.sreg[slot, L.SV_CLOCK] = now - 1          # issue counts one: %clock reads ``now``
            r = run_warp(gw, program, warps, slots, memory, out, scratch, grid, 1)
            if r == L.R_ERROR:
                timing.clock[0] = now
                return L.R_ERROR
            issued_any = True
            timing.last_issued[q] = gw
            complete(gw, q, pc, now, timing, scratch)
            if r == L.R_ISSUED:
                peek(gw, warps, timing, now + 1)
                if program.code[pc, L.F_EXEC] == L.EX_BARRIER:     # bar.arrive may complete a barrier
                    release(slot, warps, slots, timing, grid, now)
            elif r == L.R_BLOCKED:
                timing.warp_pc[gw] = AT_BARRIER
                timing.warp_at[gw] = NEVER
                timing.warp_since[gw] = now + 1
                timing.warp_ready[gw] = pc
                release(slot, warps, slots, timing, grid, now)
            elif r == L.R_TENSOR:
                timing.warp_pc[gw] = AT_TENSOR
                timing.warp_at[gw] = NEVER
                timing.warp_since[gw] = now + 1
                tensor = True
            else:
                timing.warp_pc[gw] = -1
                timing.warp_at[gw] = NEVER
            if warps.state[gw] == L.W_DONE:
                finish_warp(gw, warps, slots, memory, out, timing, grid, now + 1)
        timing.counters[L.TC_ISSUED] = stats[L.ST_WARP_INSTRUCTIONS]
        if tensor:
            timing.clock[0] = now + 1
            return L.R_TENSOR
        if issued_any:
            now += 1
        else:
            wake = NEVER
            for q in range(parts):
                wake = min(wake, timing.wake[q])
            if wake == NEVER:
                timing.clock[0] = now
                busy = False
                for slot in range(grid[L.G_SLOTS]):
                    busy = busy or slots.cta[slot] >= 0
                if not busy and grid[L.G_NEXT_CTA] >= grid[L.G_END_CTA]:
                    return L.R_DONE
                return deadlock(warps, slots, out, grid)
            now = max(now + 1, wake)
        if stats[L.ST_WARP_INSTRUCTIONS] - started >= L.RUN_SLICE:
            timing.clock[0] = now
            return L.R_SLICE
