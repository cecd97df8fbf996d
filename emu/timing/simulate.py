"""Timing mode: run a launch's CTAs on the GPU's SMs under the cycle model, and what it measured.

Sampled mode, for grids of many waves: a few SMs (SAMPLE_SMS), each with its
share of the GPU's L2 and DRAM bandwidth, run SAMPLE_WAVES waves of CTAs — a
first wave that fills the SMs, steady waves, and a last one that drains them.
The kernel's cycles are the sample's plus the waves it did not run, each
taking as long as a steady wave; the error bound is the spread of the steady
waves times the waves extrapolated. Only the sampled CTAs run, so the
kernel's results are not computed (``emu.launch`` leaves the arrays alone).

All SMs that get CTAs are simulated together, cycle by cycle (``emu.engine.timing``),
so CTAs on different SMs run at the same time as on a GPU: they share L2 and
DRAM bandwidth and contents, and a CTA may wait for another one's flag. Every
CTA runs exactly once, as in functional mode, so results are the same; only the
order in which instructions of different CTAs run differs, which changes nothing
unless the kernel races (e.g. float atomics, whose order sets the rounding — as
on a GPU).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from emu.arch.presets import GPUPreset
from emu.engine import layout as L
from emu.engine.tensor import run_tensor_ops
from emu.engine.timing import NEVER, Timing, run_timed
from emu.isa.table import PIPES
from emu.timing.tables import instruction_table


SAMPLE_SMS = 4        # SMs sampled mode simulates
SAMPLE_WAVES = 4      # waves of CTAs they run (grids of no more waves are simulated in full)


@dataclass
class Sample:
    """Which part of a launch sampled mode simulated, and how sure its estimate is."""
    sms: int                          # SMs simulated
    ctas: int                         # CTAs run
    ctas_total: int
    wave_cycles: list                 # cycles each simulated wave took (the first from 0)
    waves_total: float                # waves the busiest SM of the whole launch runs
    error_cycles: int                 # bound on the estimate's error


def plan_sample(preset: GPUPreset, n_ctas: int, per_sm: int) -> tuple | None:
    """(SMs, CTAs) sampled mode simulates for ``n_ctas`` CTAs with ``per_sm`` resident per SM, or None
    when the grid is too small to need sampling."""
    active = active_sms(preset, n_ctas)
    if -(-n_ctas // (active * per_sm)) <= SAMPLE_WAVES:
        return None
    sms = min(active, SAMPLE_SMS)
    return sms, sms * per_sm * SAMPLE_WAVES


@dataclass
class Timed:
    """What timing mode measured for one launch."""
    cycles: int                       # the kernel's
    sm_cycles: np.ndarray             # per simulated SM: the last cycle it had work
    counters: np.ndarray              # layout.TC_*
    pc_stalls: np.ndarray             # [pc, STALL_*] warp cycles
    active_sms: int
    seconds: float                    # host seconds spent
    sample: Sample | None = None      # sampled mode: what was simulated


def active_sms(preset: GPUPreset, n_ctas: int) -> int:
    """The SMs a launch of ``n_ctas`` CTAs keeps busy (and the model simulates)."""
    return max(1, min(preset.sm_count, n_ctas))


def parameters(preset: GPUPreset, machine, sms: int, shared_per_cta: int, bandwidth_share: float = 1.0) -> tuple:
    """The model's numbers for a launch (layout.T_*, TR_*) from the preset and the launch's shape;
    the SMs simulated get ``bandwidth_share`` of the GPU's L2 and DRAM bandwidth."""
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
    params[L.T_SMS] = sms
    slots = int(machine.grid[L.G_SLOTS])
    per_sm = -(-slots // sms)
    l1_bytes = max(limits.l1_shared_bytes - per_sm * shared_per_cta, m.line_bytes * m.l1_ways)
    params[L.T_L1_WAYS] = m.l1_ways
    params[L.T_L1_SETS] = max(1, l1_bytes // (m.line_bytes * m.l1_ways))
    params[L.T_L2_WAYS] = m.l2_ways
    params[L.T_L2_SETS] = max(1, m.l2_bytes // (m.line_bytes * m.l2_ways))
    mlay = machine.memory.mlay
    params[L.T_LOCAL_BASE], params[L.T_LOCAL_SIZE] = mlay[L.ML_LOCAL_BASE], max(int(mlay[L.ML_LOCAL_SIZE]), 1)
    params[L.T_THREADS] = slots * int(machine.grid[L.G_CTA_WARPS]) * 32
    rates = np.zeros(L.N_TR, dtype=np.float64)
    rates[L.TR_L2_SECTOR_CYCLES] = m.sector_bytes / (m.l2_bytes_per_cycle * bandwidth_share)
    rates[L.TR_DRAM_SECTOR_CYCLES] = m.sector_bytes / (preset.dram_bytes_per_cycle() * m.dram_efficiency
                                                        * bandwidth_share)
    return params, rates


def sub_partitions(grid, sms: int, parts: int) -> tuple:
    """Each warp's sub-partition and each sub-partition's warps: slot s is on SM s % sms, and the
    warps of an SM are dealt to its sub-partitions in turn."""
    nw = int(grid[L.G_CTA_WARPS])
    n_warps = int(grid[L.G_SLOTS]) * nw
    gw = np.arange(n_warps)
    slot, w = gw // nw, gw % nw
    on_sm = (slot // sms) * nw + w
    part = (slot % sms) * parts + on_sm % parts
    most = max(1, int(np.bincount(part, minlength=sms * parts).max()))
    members = np.full((sms * parts, most), -1, dtype=np.int64)
    for q in range(sms * parts):
        mine = gw[part == q]
        members[q, :len(mine)] = mine
    return part.astype(np.int64), members


def allocate(machine, params, rates, pc_info, n_registers: int) -> Timing:
    n_warps = int(machine.grid[L.G_SLOTS] * machine.grid[L.G_CTA_WARPS])
    sms = int(params[L.T_SMS])
    parts = int(params[L.T_SUB_PARTITIONS])
    warp_part, members = sub_partitions(machine.grid, sms, parts)
    l1 = int(params[L.T_L1_SETS] * params[L.T_L1_WAYS])
    l2 = int(params[L.T_L2_SETS] * params[L.T_L2_WAYS])
    return Timing(
        params=params, rates=rates, pc_info=pc_info,
        clock=np.zeros(2, dtype=np.int64), sm_queues=np.zeros((sms, 2), dtype=np.float64),
        gpu_queues=np.zeros(2, dtype=np.float64), sm_cycles=np.zeros(sms, dtype=np.int64),
        warp_pc=np.full(n_warps, -1, dtype=np.int64), warp_ready=np.zeros(n_warps, dtype=np.int64),
        warp_at=np.full(n_warps, NEVER, dtype=np.int64),
        warp_reason=np.zeros(n_warps, dtype=np.int64), warp_since=np.zeros(n_warps, dtype=np.int64),
        warp_age=np.zeros(n_warps, dtype=np.int64),
        reg_ready=np.zeros((n_warps, n_registers), dtype=np.int64),
        reg_kind=np.zeros((n_warps, n_registers), dtype=np.int64),
        warp_part=warp_part, members=members,
        pipe_free=np.zeros((sms * parts, len(PIPES)), dtype=np.int64),
        pipe_owed=np.zeros((sms * parts, len(PIPES)), dtype=np.int64),
        last_issued=np.full(sms * parts, -1, dtype=np.int64), wake=np.zeros(sms * parts, dtype=np.int64),
        l1_tag=np.full((sms, l1), -1, dtype=np.int64), l1_stamp=np.zeros((sms, l1), dtype=np.int64),
        l1_bits=np.zeros((sms, l1), dtype=np.int64),
        l2_tag=np.full(l2, -1, dtype=np.int64), l2_stamp=np.zeros(l2, dtype=np.int64),
        l2_bits=np.zeros(l2, dtype=np.int64),
        blocks=np.zeros(L.MAX_BLOCKS, dtype=np.int64), bank_words=np.zeros(32, dtype=np.int64),
        bank_seen=np.zeros((32, L.MAX_BLOCKS), dtype=np.int64),
        counters=np.zeros(L.N_TC, dtype=np.int64),
        pc_stalls=np.zeros((len(pc_info), L.N_STALLS), dtype=np.int64),
        cta_done=np.zeros(int(machine.grid[L.G_END_CTA]), dtype=np.int64),
    )


def simulate(machine, preset: GPUPreset, program, shared_per_cta: int, sample: tuple | None = None,
             progress=None) -> Timed:
    """Run the CTAs of ``machine``'s launch under the cycle model: all of them, or with ``sample``
    = (SMs, CTAs) from ``plan_sample``, that many on that many SMs (see the module's doc);
    ``progress(machine)`` is called each time the model returns to Python."""
    grid = machine.grid
    n_ctas = int(grid[L.G_END_CTA])
    active = active_sms(preset, n_ctas)
    sms = active
    if sample is not None:
        sms, grid[L.G_END_CTA] = sample
    params, rates = parameters(preset, machine, sms, shared_per_cta, sms / active)
    code = machine.code
    timing = allocate(machine, params, rates, instruction_table(code.code, code.okind, code.oval, preset),
                      program.n_slots)
    start = time.perf_counter()
    while True:
        reason = run_timed(*machine.arguments, timing)
        if progress is not None:
            progress(machine)
        if reason == L.R_TENSOR:
            run_tensor_ops(code, machine.warps, grid)
        elif reason != L.R_SLICE:
            break
    seconds = time.perf_counter() - start
    if sample is None or reason != L.R_DONE:
        return Timed(cycles=int(timing.clock[0]), sm_cycles=timing.sm_cycles.copy(), counters=timing.counters,
                     pc_stalls=timing.pc_stalls, active_sms=active, seconds=seconds)
    return _extrapolate(timing, preset, n_ctas, active, sms, int(grid[L.G_SLOTS]) // sms, seconds)


def _extrapolate(timing: Timing, preset: GPUPreset, n_ctas: int, active: int, sms: int, per_sm: int,
                 seconds: float) -> Timed:
    """The whole launch's cycles and counters from a sample's (see the module's doc)."""
    ran = len(timing.cta_done)
    wave = sms * per_sm
    finished = timing.cta_done[:ran - ran % wave].reshape(-1, wave).max(axis=1)
    wave_cycles = np.diff(finished, prepend=0)
    steady = wave_cycles[1:-1]
    waves_total = -(-n_ctas // active) / per_sm
    remaining = max(waves_total - len(finished), 0.0)
    cycles = int(round(finished[-1] + remaining * steady.mean()))
    error = int(round(remaining * (steady.max() - steady.min())))
    scale = n_ctas / ran
    counters = np.rint(timing.counters * scale).astype(np.int64)
    pc_stalls = np.rint(timing.pc_stalls * scale).astype(np.int64)
    return Timed(cycles=cycles, sm_cycles=np.full(active, cycles, dtype=np.int64), counters=counters,
                 pc_stalls=pc_stalls, active_sms=active, seconds=seconds,
                 sample=Sample(sms=sms, ctas=ran, ctas_total=n_ctas, wave_cycles=[int(c) for c in wave_cycles],
                               waves_total=waves_total, error_cycles=error))
