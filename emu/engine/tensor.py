"""Tensor instructions (mma.sync, wmma.mma): run in Python, in batches, by the driver.

A warp that issues a tensor instruction waits (W_TENSOR) until the driver
calls ``run_tensor_ops``, which runs every waiting warp's instruction: the
warps waiting at one pc (of any resident CTA, arrived at any time) in one call
of the tensor-core model, since a call costs about as much for one warp as
for many. The model (``emu.engine.mma_fragments``, ``emu.numerics.mma``) is
numpy code; the engine itself stays free of Python objects.
"""
import numpy as np

from emu.engine import layout as L
from emu.engine.mma_fragments import execute as mma_execute
from emu.engine.mma_fragments import execute_wmma


def _operands(program, regs, T, first, count, threads):
    """[threads, count] values of operands first .. first+count-1 (registers or immediates)."""
    kinds = program.okind[first:first + count]
    values = program.oval[first:first + count]
    from_regs = regs[values[None, :] * T + threads[:, None]]
    return np.where(kinds[None, :] == L.OK_REG, from_regs, values[None, :])


def execute_at(pc, gws, program, regs, T, cc):
    """The tensor instruction at ``pc`` for the warps ``gws``, in one call of the model."""
    code = program.code
    threads = (gws[:, None] * 32 + np.arange(32)[None, :]).ravel()
    s, d = code[pc, L.F_SRC], code[pc, L.F_DST]
    na, nb = code[pc, L.F_AUX], code[pc, L.F_WIDTH]
    nc, nd = code[pc, L.F_NSRC] - na - nb, code[pc, L.F_NDST]
    a = _operands(program, regs, T, s, na, threads)
    b = _operands(program, regs, T, s + na, nb, threads)
    c = _operands(program, regs, T, s + na + nb, nc, threads)
    out = np.zeros((len(threads), nd), dtype=np.int64)
    in_code, acc_code = code[pc, L.F_TY2], code[pc, L.F_TY]
    if code[pc, L.F_OP] == L.OP_WMMA:
        execute_wmma(code[pc, L.F_VEC], in_code, acc_code, cc, a, b, c, out)
    else:
        mma_execute(code[pc, L.F_SUB], code[pc, L.F_VEC], in_code, acc_code, cc, a, b, c, out)
    for i in range(nd):
        if program.okind[d + i] == L.OK_REG:
            regs[program.oval[d + i] * T + threads] = out[:, i]


def run_tensor_ops(program, warps, grid) -> int:
    """Run the tensor instructions all waiting warps stopped at; returns how many warps were released."""
    T = int(grid[L.G_SLOTS] * grid[L.G_CTA_WARPS] * 32)
    waiting = np.flatnonzero(warps.state == L.W_TENSOR)
    pcs = warps.pc_stack[waiting, warps.sp[waiting]]
    for pc in np.unique(pcs):
        gws = waiting[pcs == pc]
        execute_at(int(pc), gws, program, warps.regs, T, int(grid[L.G_CC]))
        warps.pc_stack[gws, warps.sp[gws]] = pc + 1
    warps.state[waiting] = L.W_READY
    return len(waiting)
