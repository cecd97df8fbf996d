"""What the cycle model knows about a launch, as arrays: the preset's numbers and each instruction's timing.

``instruction_table`` gives every instruction of a decoded program its pipe,
initiation interval, latency, stall reasons, memory-access kind, FLOPs and
the registers it reads and writes (``layout.P_*``); ``parameters`` turns a
preset into ``layout.T_*`` / ``TR_*`` values. Both are computed once per
launch in Python; the jitted model (``emu.engine.timing``) only reads them.
"""
from __future__ import annotations

import math

import numpy as np

from emu.arch.presets import GPUPreset, sm_number
from emu.engine import layout as L
from emu.engine.operands import instruction_registers
from emu.isa import wmma
from emu.isa.fragments import INPUT_TYPES, SHAPES
from emu.isa.table import LATENCY_CLASSES, PIPES

TENSOR = PIPES.index("tensor")
LSU = PIPES.index("lsu")
SFU = PIPES.index("sfu")
LATENCY = {name: i for i, name in enumerate(LATENCY_CLASSES)}
SHORT_LATENCY = (LATENCY["sfu"], LATENCY["mem_shared"])       # variable latency, tracked by the short scoreboard
LONG_LATENCY = (LATENCY["mem_global"], LATENCY["atomic"])
WMMA_INPUT = ("f16", "bf16", "tf32")    # wmma.mma's F_TY2, as far as the cycle model needs it
FLOP_KIND = {L.TY_F16: L.FLOP_FP16, L.TY_F16X2: L.FLOP_FP16, L.TY_BF16: L.FLOP_BF16, L.TY_BF16X2: L.FLOP_BF16,
             L.TY_F32: L.FLOP_FP32, L.TY_F64: L.FLOP_FP64}
TENSOR_FLOP_KIND = {"f16": L.FLOP_FP16, "bf16": L.FLOP_BF16, "tf32": L.FLOP_TF32, "e4m3": L.FLOP_FP8,
                    "e5m2": L.FLOP_FP8}
FMA_OPS = (L.OP_FMA, L.OP_MAD)
ADD_MUL_OPS = (L.OP_ADD, L.OP_SUB, L.OP_MUL)
REFERENCE_TENSOR_SHAPE = {70: ((16, 16, 16), "f16")}   # the shape each preset's tensor latency was measured on
DEFAULT_REFERENCE_SHAPE = ((16, 8, 16), "f16")


def tensor_interval(preset: GPUPreset, m: int, n: int, k: int, input_type: str) -> float:
    """Cycles one warp's m×n×k MMA holds its sub-partition's tensor unit: m·n·k FMAs at the unit's
    rate for the input type, slowed to the preset's measured mma.sync efficiency. Input types
    the preset gives no rate for run at its f16 rate."""
    rate = preset.tensor.rate(input_type) or preset.tensor.rate("f16")
    per_unit = rate / preset.pipes.sub_partitions * preset.tensor.mma_sync_efficiency
    return m * n * k / per_unit


def tensor_latency(preset: GPUPreset, interval: float) -> int:
    """The preset's measured latency is for one shape; a larger MMA adds the cycles its extra work
    holds the unit."""
    (m, n, k), input_type = REFERENCE_TENSOR_SHAPE.get(sm_number(preset.cc), DEFAULT_REFERENCE_SHAPE)
    reference = tensor_interval(preset, m, n, k, input_type)
    return max(math.ceil(interval) + 1, round(preset.latency.tensor_cycles + interval - reference))


def _tensor_shape(row) -> tuple[int, int, int, str, int]:
    """(m, n, k, input type, independent MMAs) of a tensor instruction's decoded row."""
    if row[L.F_OP] == L.OP_WMMA:
        m, n, k = wmma.SHAPES[row[L.F_VEC]]
        return m, n, k, WMMA_INPUT[row[L.F_TY2]] if row[L.F_TY2] < len(WMMA_INPUT) else "f16", 1
    shape = SHAPES[row[L.F_SUB]]
    return shape.m, shape.n, shape.k, INPUT_TYPES[row[L.F_TY2]], shape.computations


def _memory_kind(row) -> int:
    ex, op = row[L.F_EXEC], row[L.F_OP]
    if ex == L.EX_LDST:
        return L.MEM_STORE if op == L.OP_ST else L.MEM_LOAD
    if ex == L.EX_ATOMIC:
        return L.MEM_ATOMIC
    if ex == L.EX_LDMATRIX:
        return L.MEM_LOAD
    if ex == L.EX_WMMA_LDST:
        return L.MEM_STORE if row[L.F_SUB] == L.WMMA_D else L.MEM_LOAD
    return L.MEM_NONE


def _flops(row) -> tuple[int, int]:
    """(FLOP kind, FLOPs per active thread) of a non-tensor instruction: FMA two, add/sub/mul one,
    packed x2 types twice that (Nsight Compute's counting); (-1, 0) for the rest."""
    kind = FLOP_KIND.get(int(row[L.F_TY]), -1)
    op = row[L.F_OP]
    per = 2 if op in FMA_OPS else 1 if op in ADD_MUL_OPS else 0
    if kind < 0 or per == 0 or row[L.F_EXEC] not in (L.EX_FLOAT32, L.EX_FLOAT64, L.EX_HALF):
        return -1, 0
    lanes = 2 if row[L.F_TY] in (L.TY_F16X2, L.TY_BF16X2) else 1
    return kind, per * lanes


def instruction_table(code, okind, oval, preset: GPUPreset) -> np.ndarray:
    """int64[instructions, N_P]: the timing of every instruction of a decoded program."""
    latency = preset.latency.by_id()
    table = np.zeros((len(code), L.N_P), dtype=np.int64)
    reads = np.zeros(4 * L.PC_REGS, dtype=np.int64)      # room beyond PC_REGS: too many is an error, not a
    writes = np.zeros(4 * L.PC_REGS, dtype=np.int64)     # write past the end
    for pc, row in enumerate(code):
        info = table[pc]
        pipe, klass = int(row[L.F_PIPE]), int(row[L.F_LATENCY])
        info[L.P_PIPE] = pipe
        info[L.P_INTERVAL] = preset.pipes.interval(PIPES[pipe]) * L.INTERVAL_UNIT
        info[L.P_LATENCY] = latency[klass]
        info[L.P_DEPENDENCY] = (L.STALL_SHORT_SCOREBOARD if klass in SHORT_LATENCY else
                                L.STALL_LONG_SCOREBOARD if klass in LONG_LATENCY else L.STALL_WAIT)
        info[L.P_THROTTLE] = (L.STALL_MIO_THROTTLE if pipe == SFU or (pipe == LSU and row[L.F_SPACE] == L.SP_SHARED)
                              else L.STALL_LG_THROTTLE if pipe == LSU else L.STALL_MATH_THROTTLE)
        info[L.P_MEMORY] = _memory_kind(row)
        info[L.P_FLOP_KIND], info[L.P_FLOPS] = _flops(row)
        if pipe == TENSOR and row[L.F_EXEC] == L.EX_TENSOR:
            m, n, k, input_type, computations = _tensor_shape(row)
            interval = tensor_interval(preset, m, n, k * computations, input_type)
            info[L.P_INTERVAL] = round(interval * L.INTERVAL_UNIT)
            info[L.P_LATENCY] = tensor_latency(preset, interval)
            info[L.P_FLOP_KIND] = TENSOR_FLOP_KIND.get(input_type, L.FLOP_FP16)
            info[L.P_FLOPS] = 2 * m * n * k * computations
        n_reads, n_writes = instruction_registers(code, okind, oval, pc, reads, writes)
        if n_reads + n_writes > L.PC_REGS:
            raise ValueError(f"instruction {pc} uses {n_reads + n_writes} registers; layout.PC_REGS is {L.PC_REGS}")
        info[L.P_NREADS], info[L.P_NWRITES] = n_reads, n_writes
        info[L.P_REGS:L.P_REGS + n_reads] = reads[:n_reads]
        info[L.P_REGS + n_reads:L.P_REGS + n_reads + n_writes] = writes[:n_writes]
    return table
