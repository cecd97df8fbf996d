"""The machine state of a launch: the arrays the engine runs on, grouped by what they describe.

An SM holds several CTAs at once, as hardware does: each resident CTA has a
slot, and every per-thread and per-warp array has a slot dimension. Warp
``gw`` of the SM is warp ``gw % warps_per_cta`` of the CTA in slot
``gw // warps_per_cta``; its 32 lanes are register-file threads
``32 * gw .. 32 * gw + 31`` (a CTA's thread count is padded to whole warps).

The groups are named tuples, which numba passes to jitted code as structs,
so a function's signature says which group it touches.
"""
from __future__ import annotations

import time
from collections import namedtuple
from dataclasses import dataclass

import numpy as np

from emu.engine import control
from emu.engine import layout as L
from emu.engine.memory import ALIGN, LaunchMemory
from emu.engine.tensor import run_tensor_ops

Code = namedtuple("Code", ["code", "okind", "oval", "of"])            # the decoded program (emu.program)
Memory = namedtuple("Memory", ["mem", "m16", "m32", "m64", "valid", "mlay"])   # the buffer, its views, layout
Warps = namedtuple("Warps", [
    "regs",          # int64[registers * T + 32 * N_SCRATCH]: register v of thread t at v * T + t
    "pc_stack", "rpc_stack", "mask_stack", "sp",     # SIMT stack: (pc, reconvergence pc, mask), top index
    "call_ret", "call_sp",                           # device-function return pcs
    "exited", "init_mask",                           # lanes that exited; lanes that exist
    "state",                                         # W_*
    "barrier", "barrier_dst",                        # barrier waited at; bar.red destination (slot, mask, kind)
])
Slots = namedtuple("Slots", [
    "cta",           # linear CTA index in each slot, -1 when free
    "sreg",          # [slot, SV_*] special-register values
    "bar_arrived", "bar_expected", "bar_acc",        # [slot, 16] per named barrier
])
Output = namedtuple("Output", ["stats", "counts", "err", "printmeta", "printbuf", "nprint"])
Scratch = namedtuple("Scratch", [
    "lane_values",   # int64[32]: a warp's operand values (shfl, match)
    "addresses",     # int64[N_ADDRESS_ROWS, 32]: per-lane buffer offsets of the last memory instruction
    "issued",        # int64[N_I]: what the last issued instruction did (I_*)
])


def allocate(program, grid: np.ndarray) -> tuple:
    """Warps, Slots and Scratch for ``grid[G_SLOTS]`` resident CTAs of ``grid``'s block shape."""
    cta_slots = int(grid[L.G_SLOTS])
    n_warps = cta_slots * int(grid[L.G_CTA_WARPS])
    columns = n_warps * 32
    warps = Warps(
        regs=np.zeros(program.n_slots * columns + L.N_SCRATCH * 32, dtype=np.int64),   # n_slots: registers
        pc_stack=np.zeros((n_warps, L.MAX_STACK), dtype=np.int64),
        rpc_stack=np.zeros((n_warps, L.MAX_STACK), dtype=np.int64),
        mask_stack=np.zeros((n_warps, L.MAX_STACK), dtype=np.int64),
        sp=np.zeros(n_warps, dtype=np.int64),
        call_ret=np.zeros((n_warps, L.MAX_CALLS), dtype=np.int64),
        call_sp=np.zeros(n_warps, dtype=np.int64),
        exited=np.zeros(n_warps, dtype=np.int64),
        init_mask=np.zeros(n_warps, dtype=np.int64),
        state=np.full(n_warps, L.W_DONE, dtype=np.int64),
        barrier=np.zeros(n_warps, dtype=np.int64),
        barrier_dst=np.zeros((n_warps, 3), dtype=np.int64),
    )
    resident = Slots(
        cta=np.full(cta_slots, -1, dtype=np.int64),
        sreg=np.zeros((cta_slots, L.N_SV), dtype=np.int64),
        bar_arrived=np.zeros((cta_slots, 16), dtype=np.int64),
        bar_expected=np.zeros((cta_slots, 16), dtype=np.int64),
        bar_acc=np.zeros((cta_slots, 16), dtype=np.int64),
    )
    scratch = Scratch(
        lane_values=np.zeros(32, dtype=np.int64),
        addresses=np.zeros((L.N_ADDRESS_ROWS, 32), dtype=np.int64),
        issued=np.zeros(L.N_I, dtype=np.int64),
    )
    return warps, resident, scratch


PRINT_RECORDS = 4096          # printf records kept per launch
PRINT_BYTES = 256             # argument bytes kept per record


@dataclass
class Machine:
    """One SM running a launch: the engine's arguments, built once, and the functional driver."""
    code: Code
    warps: Warps
    slots: Slots
    memory: Memory
    out: Output
    scratch: Scratch
    grid: np.ndarray          # G_*

    @property
    def arguments(self) -> tuple:
        """The arguments of control.run / control.issue after the warp index."""
        return self.code, self.warps, self.slots, self.memory, self.out, self.scratch, self.grid

    def run(self, progress=None) -> float:
        """Run every CTA (functional mode); returns the seconds spent in the engine.

        Returns to Python between calls of control.run: tensor instructions run here, Ctrl-C
        raises KeyboardInterrupt within RUN_SLICE instructions, and ``progress(self)``, if given,
        is called (to show ``self.progress()``)."""
        if not getattr(control.run, "signatures", True):   # a plain function under NUMBA_DISABLE_JIT=1
            idle = self.grid.copy()
            idle[L.G_END_CTA] = 0   # runs nothing: loads (or, the first time ever, compiles) the engine untimed
            control.run(self.code, self.warps, self.slots, self.memory, self.out, self.scratch, idle)
        start = time.perf_counter()
        while True:
            reason = control.run(*self.arguments)
            if progress is not None:
                progress(self)
            if reason == L.R_TENSOR:
                run_tensor_ops(self.code, self.warps, self.grid)
            elif reason != L.R_SLICE:
                break
        return time.perf_counter() - start

    def progress(self) -> tuple[int, int, int]:
        """(CTAs finished, CTAs in the launch, warp instructions executed) so far."""
        running = int(np.count_nonzero(self.slots.cta >= 0))
        done = int(self.grid[L.G_NEXT_CTA]) - running
        return done, int(self.grid[L.G_END_CTA]), int(self.out.stats[L.ST_WARP_INSTRUCTIONS])

    def fault(self) -> np.ndarray:
        """The fault record (E_*) with the CTA and its thread index in place of the register-file thread."""
        err = self.out.err.copy()
        if err[L.E_CODE] != L.ERR_NONE:
            slot_threads = int(self.grid[L.G_CTA_WARPS]) * 32
            err[L.E_CTA] = self.slots.cta[err[L.E_THREAD] // slot_threads]
            err[L.E_THREAD] %= slot_threads
        return err


def build(program, memory: LaunchMemory, grid, block, shared_mem: int, shared_total: int, cc: int, n_sms: int,
          slots: int, budget: int, reference: bool, clock_mhz: int) -> Machine:
    """The machine for a launch of ``program``; ``memory`` holds its allocations and gets its buffer here."""
    threads = block[0] * block[1] * block[2]
    cta_warps = (threads + 31) // 32
    shared_stride = -(-max(shared_total, 16) // ALIGN) * ALIGN
    mem = memory.build(program.param_bytes, slots * shared_stride, program.local_bytes, slots * cta_warps * 32)
    lay = memory.layout
    mlay = np.zeros(L.N_ML, dtype=np.int64)
    mlay[L.ML_PARAM_BASE], mlay[L.ML_PARAM_SIZE] = lay["param_base"], lay["param_size"]
    mlay[L.ML_SHARED_BASE], mlay[L.ML_SHARED_SIZE] = lay["shared_base"], shared_total
    mlay[L.ML_SHARED_STRIDE] = shared_stride
    mlay[L.ML_LOCAL_BASE], mlay[L.ML_LOCAL_SIZE] = lay["local_base"], lay["local_size"]
    mlay[L.ML_HEAP_SIZE] = lay["heap_size"]
    mlay[L.ML_SLOT_THREADS] = cta_warps * 32
    geometry = np.zeros(L.N_G, dtype=np.int64)
    geometry[L.G_GRID_X:L.G_GRID_Z + 1] = grid
    geometry[L.G_BLOCK_X:L.G_BLOCK_Z + 1] = block
    geometry[L.G_DYN_SMEM], geometry[L.G_TOTAL_SMEM] = shared_mem, shared_total
    geometry[L.G_CC], geometry[L.G_N_SMS] = cc, n_sms
    geometry[L.G_SLOTS], geometry[L.G_CTA_WARPS], geometry[L.G_CTA_THREADS] = slots, cta_warps, threads
    geometry[L.G_NEXT_CTA], geometry[L.G_END_CTA] = 0, grid[0] * grid[1] * grid[2]
    geometry[L.G_BUDGET] = budget
    geometry[L.G_REFERENCE] = int(reference)
    geometry[L.G_CTA_STRIDE] = 1
    geometry[L.G_CLOCK_MHZ] = clock_mhz
    out = Output(stats=np.zeros(L.N_STATS, dtype=np.int64),
                 counts=np.zeros(len(program.code), dtype=np.int64),
                 err=np.zeros(L.N_ERR, dtype=np.int64),
                 printmeta=np.zeros((PRINT_RECORDS, 4), dtype=np.int64),
                 printbuf=np.zeros((PRINT_RECORDS, PRINT_BYTES), dtype=np.uint8),
                 nprint=np.zeros(2, dtype=np.int64))
    code = Code(program.code, program.opnd_kind, program.opnd_val, program.opnd_f)
    device = Memory(mem, mem.view(np.uint16), mem.view(np.uint32), mem.view(np.int64), memory.valid, mlay)
    warps, resident, scratch = allocate(program, geometry)
    return Machine(code, warps, resident, device, out, scratch, geometry)
