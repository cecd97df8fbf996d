"""Timing mode: run a launch's CTAs SM by SM under the cycle model, and what it measured.

The GPU's block scheduler hands CTAs to SMs in turn, so with S SMs busy, SM s
runs CTAs s, s + S, s + 2S, ... — up to the occupancy limit at once, the next
one as soon as one finishes. The SMs are simulated one after the other on one
machine (its CTA slots are one SM's), each from cycle 0; they share the L2
contents, and each gets 1/S of the L2 and DRAM bandwidth, as S SMs running
together would. The kernel takes as long as its slowest SM.

Every CTA runs exactly once, as in functional mode, so results are the same;
only the order in which CTAs of different SMs run differs (which changes
nothing unless the kernel races, e.g. float atomics whose order sets the
rounding — as on a GPU).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from emu.arch.presets import GPUPreset
from emu.engine import layout as L
from emu.engine.tensor import run_tensor_ops
from emu.engine.timing import Timing, run_timed
from emu.isa.table import PIPES
from emu.timing.tables import instruction_table


@dataclass
class Timed:
    """What timing mode measured for one launch."""
    cycles: int                       # the slowest SM's
    sm_cycles: list                   # per simulated SM
    counters: np.ndarray              # layout.TC_*, summed over SMs
    pc_stalls: np.ndarray             # [pc, STALL_*] warp cycles
    active_sms: int
    seconds: float                    # host seconds spent


def parameters(preset: GPUPreset, machine, active_sms: int, shared_per_cta: int) -> tuple:
    """The model's numbers for a launch (layout.T_*, TR_*) from the preset and the launch's shape."""
    m, lat, limits = preset.memory, preset.latency, preset.limits
    params = np.zeros(L.N_T, dtype=np.int64)
    params[L.T_SUB_PARTITIONS] = preset.pipes.sub_partitions
    params[L.T_SCHEDULER] = L.SCHED_GTO if preset.pipes.scheduler == "gto" else L.SCHED_LRR
    params[L.T_SHARED_CYCLES] = lat.mem_shared_cycles
    params[L.T_L1_CYCLES] = lat.mem_global_cycles
    params[L.T_L2_NEAR_CYCLES], params[L.T_L2_FAR_CYCLES] = m.l2_near_cycles, m.l2_far_cycles
    params[L.T_DRAM_NEAR_CYCLES], params[L.T_DRAM_FAR_CYCLES] = m.dram_near_cycles, m.dram_far_cycles
    params[L.T_L2_PARTITIONS] = 1 if m.l2_near_cycles == m.l2_far_cycles else 2
    params[L.T_ATOMIC_CYCLES] = lat.atomic_cycles
    params[L.T_CONST_CYCLES] = lat.mem_global_cycles
    params[L.T_SYNC_CYCLES] = lat.sync_cycles
    # L1 gets what shared memory leaves of the unified L1 + shared capacity
    slots = int(machine.grid[L.G_SLOTS])
    l1_bytes = max(limits.l1_shared_bytes - slots * shared_per_cta, m.sector_bytes * m.l1_ways)
    params[L.T_L1_WAYS] = m.l1_ways
    params[L.T_L1_SETS] = max(1, l1_bytes // (m.sector_bytes * m.l1_ways))
    params[L.T_L2_WAYS] = m.l2_ways
    params[L.T_L2_SETS] = max(1, m.l2_bytes // (m.sector_bytes * m.l2_ways))
    mlay = machine.memory.mlay
    params[L.T_LOCAL_BASE], params[L.T_LOCAL_SIZE] = mlay[L.ML_LOCAL_BASE], max(int(mlay[L.ML_LOCAL_SIZE]), 1)
    params[L.T_THREADS] = slots * int(machine.grid[L.G_CTA_WARPS]) * 32
    rates = np.zeros(L.N_TR, dtype=np.float64)
    rates[L.TR_L2_SECTOR_CYCLES] = m.sector_bytes / (m.l2_bytes_per_cycle / active_sms)
    rates[L.TR_DRAM_SECTOR_CYCLES] = m.sector_bytes / (preset.dram_bytes_per_cycle() * m.dram_efficiency
                                                        / active_sms)
    return params, rates


def allocate(machine, params, rates, pc_info, n_registers: int) -> Timing:
    n_warps = int(machine.grid[L.G_SLOTS] * machine.grid[L.G_CTA_WARPS])
    parts = int(params[L.T_SUB_PARTITIONS])
    l1 = int(params[L.T_L1_SETS] * params[L.T_L1_WAYS])
    l2 = int(params[L.T_L2_SETS] * params[L.T_L2_WAYS])
    return Timing(
        params=params, rates=rates, pc_info=pc_info,
        clock=np.zeros(2, dtype=np.int64), queues=np.zeros(4, dtype=np.float64),
        warp_pc=np.full(n_warps, -1, dtype=np.int64), warp_ready=np.zeros(n_warps, dtype=np.int64),
        warp_reason=np.zeros(n_warps, dtype=np.int64), warp_since=np.zeros(n_warps, dtype=np.int64),
        warp_age=np.zeros(n_warps, dtype=np.int64),
        reg_ready=np.zeros((n_warps, n_registers), dtype=np.int64),
        reg_kind=np.zeros((n_warps, n_registers), dtype=np.int64),
        pipe_free=np.zeros((parts, len(PIPES)), dtype=np.int64),
        last_issued=np.full(parts, -1, dtype=np.int64), wake=np.zeros(parts, dtype=np.int64),
        l1_tag=np.full(l1, -1, dtype=np.int64), l1_stamp=np.zeros(l1, dtype=np.int64),
        l2_tag=np.full(l2, -1, dtype=np.int64), l2_stamp=np.zeros(l2, dtype=np.int64),
        l2_dirty=np.zeros(l2, dtype=np.int64),
        blocks=np.zeros(L.MAX_BLOCKS, dtype=np.int64), bank_words=np.zeros(32, dtype=np.int64),
        counters=np.zeros(L.N_TC, dtype=np.int64),
        pc_stalls=np.zeros((len(pc_info), L.N_STALLS), dtype=np.int64),
    )


def _reset_sm(timing: Timing, sm: int) -> None:
    """A fresh SM: cycle 0, empty pipes, queues and L1 (L2 and the counters carry over)."""
    timing.clock[0] = 0
    timing.queues[:] = 0
    timing.warp_pc[:] = -1
    timing.pipe_free[:] = 0
    timing.last_issued[:] = -1
    timing.wake[:] = 0
    timing.l1_tag[:] = -1
    timing.l1_stamp[:] = 0
    timing.counters[L.TC_CYCLES] = 0
    timing.params[L.T_SM] = sm


def simulate(machine, preset: GPUPreset, program, shared_per_cta: int) -> Timed:
    """Run every CTA of ``machine``'s launch under the cycle model (see the module's doc)."""
    grid = machine.grid
    n_ctas = int(grid[L.G_END_CTA])
    active = max(1, min(preset.sm_count, n_ctas))
    params, rates = parameters(preset, machine, active, shared_per_cta)
    code = machine.code
    timing = allocate(machine, params, rates, instruction_table(code.code, code.okind, code.oval, preset),
                      program.n_slots)
    start = time.perf_counter()
    sm_cycles = []
    grid[L.G_CTA_STRIDE] = active
    for sm in range(active):
        _reset_sm(timing, sm)
        grid[L.G_NEXT_CTA] = sm
        while True:
            reason = run_timed(*machine.arguments, timing)
            if reason == L.R_TENSOR:
                run_tensor_ops(code, machine.warps, grid)
            elif reason != L.R_SLICE:
                break
        if reason == L.R_ERROR:
            break
        sm_cycles.append(int(timing.counters[L.TC_CYCLES]))
    counters = timing.counters.copy()
    counters[L.TC_CYCLES] = max(sm_cycles, default=0)
    return Timed(cycles=int(counters[L.TC_CYCLES]), sm_cycles=sm_cycles, counters=counters,
                 pc_stalls=timing.pc_stalls, active_sms=active, seconds=time.perf_counter() - start)
