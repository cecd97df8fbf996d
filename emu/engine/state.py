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

from collections import namedtuple

import numpy as np

from emu.engine import layout as L

Code = namedtuple("Code", ["code", "okind", "oval", "of"])            # the decoded program (emu.program)
Memory = namedtuple("Memory", ["mem", "m16", "m32", "m64", "valid", "mlay"])   # the buffer, its views, layout
Warps = namedtuple("Warps", [
    "regs",          # int64[n_slots * T + 32 * N_SCRATCH]: register v of thread t at v * T + t
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
    slots = int(grid[L.G_SLOTS])
    n_warps = slots * int(grid[L.G_CTA_WARPS])
    columns = n_warps * 32
    warps = Warps(
        regs=np.zeros(program.n_slots * columns + L.N_SCRATCH * 32, dtype=np.int64),
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
        cta=np.full(slots, -1, dtype=np.int64),
        sreg=np.zeros((slots, L.N_SV), dtype=np.int64),
        bar_arrived=np.zeros((slots, 16), dtype=np.int64),
        bar_expected=np.zeros((slots, 16), dtype=np.int64),
        bar_acc=np.zeros((slots, 16), dtype=np.int64),
    )
    scratch = Scratch(
        lane_values=np.zeros(32, dtype=np.int64),
        addresses=np.zeros((L.N_ADDRESS_ROWS, 32), dtype=np.int64),
        issued=np.zeros(L.N_I, dtype=np.int64),
    )
    return warps, resident, scratch
