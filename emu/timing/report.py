"""The timing fields of a launch's Report, from what the cycle model counted (``simulate.Timed``)."""
from __future__ import annotations

import dataclasses

import numpy as np

from emu.arch.occupancy import Occupancy
from emu.arch.presets import GPUPreset
from emu.engine import layout as L
from emu.report.report import Report

LINES_KEPT = 20        # source lines listed in line_cycles


def _ratio(a, b) -> float | None:
    return float(a) / float(b) if b else None


def roofline(preset: GPUPreset) -> dict:
    """The preset's ceilings: FLOP/s per kind of arithmetic and bytes/s per level of memory."""
    ceilings = {"fp32": preset.fp32_flops_per_s(), "fp64": preset.fp64_flops_per_s(),
                "dram": preset.memory.dram_bytes_per_s, "l2": preset.l2_bytes_per_s()}
    for input_type, _ in preset.tensor.fma_per_cycle:
        ceilings["tensor_" + input_type] = preset.tensor_flops_per_s(input_type)
    return ceilings


def _lines(timed, program, source_of) -> list:
    """Warp cycles (and their stall reasons) per source line, most first."""
    per_line: dict = {}
    for pc in np.flatnonzero(timed.pc_stalls.sum(axis=1)):
        where, _, ptx = source_of(program, int(pc))
        where = where or f"(no source line) {ptx}"      # e.g. a store the compiler merged from two branches
        total, reasons = per_line.get(where, (0, np.zeros(L.N_STALLS, dtype=np.int64)))
        per_line[where] = (total + int(timed.pc_stalls[pc].sum()), reasons + timed.pc_stalls[pc])
    ranked = sorted(per_line.items(), key=lambda kv: -kv[1][0])[:LINES_KEPT]
    return [(where, total, {name: int(r[i]) for i, name in enumerate(L.STALL_NAMES) if r[i]})
            for where, (total, r) in ranked]


def timing_report(report: Report, timed, preset: GPUPreset, occupancy: Occupancy, registers_per_thread: int,
                  shared_bytes_per_block: int, program, source_of) -> Report:
    """``report`` with its timing fields filled in."""
    c = timed.counters
    cycles = timed.cycles
    time_s = cycles / preset.clock_hz
    sm_cycles = int(timed.sm_cycles.sum())     # cycles the SMs were busy, summed
    stalls = {name: int(c[L.TC_STALL_BASE + i]) for i, name in enumerate(L.STALL_NAMES)}
    flops = {name: int(c[L.TC_FLOP_BASE + i]) for i, name in enumerate(L.FLOP_KINDS)}
    dram = int(c[L.TC_DRAM_READ_BYTES] + c[L.TC_DRAM_WRITE_BYTES])
    shared_requests = int(c[L.TC_SHARED_REQUESTS])
    return dataclasses.replace(
        report, mode="timing", cycles=cycles, time_s=time_s,
        ipc=_ratio(c[L.TC_ISSUED], sm_cycles),
        occupancy_theoretical=occupancy.theoretical, occupancy_limiter=occupancy.limiter,
        occupancy_achieved=_ratio(sum(stalls.values()), sm_cycles * preset.limits.max_warps_per_sm),
        registers_per_thread=registers_per_thread, shared_bytes_per_block=shared_bytes_per_block,
        flops=flops, gflops_per_s=sum(flops.values()) / time_s / 1e9 if time_s else None,
        dram_bytes=dram, dram_gb_per_s=dram / time_s / 1e9 if time_s else None,
        l1_hit_rate=_ratio(c[L.TC_L1_HITS], c[L.TC_L1_HITS] + c[L.TC_L1_MISSES]),
        l2_hit_rate=_ratio(c[L.TC_L2_HITS], c[L.TC_L2_HITS] + c[L.TC_L2_MISSES]),
        sectors_per_request=_ratio(c[L.TC_SECTORS], c[L.TC_GLOBAL_REQUESTS]),
        shared_bank_conflicts=int(c[L.TC_SHARED_WAVEFRONTS] - c[L.TC_SHARED_IDEAL_WAVEFRONTS]) if shared_requests
        else 0,
        shared_wavefronts_per_request=_ratio(c[L.TC_SHARED_WAVEFRONTS], shared_requests),
        tensor_utilisation=_ratio(c[L.TC_TENSOR_BUSY], sm_cycles * preset.pipes.sub_partitions),
        stalls=stalls, line_cycles=_lines(timed, program, source_of), roofline=roofline(preset),
        sampled=dataclasses.asdict(timed.sample) if timed.sample else None,
    )
