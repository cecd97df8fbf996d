"""Tensor instructions (mma.sync, wmma.mma): the warps waiting at one pc run in one call of the model."""
import numpy as np
from numba import njit, objmode

from emu.engine import layout as L
from emu.engine.mma_fragments import execute_wmma
from emu.engine.operands import wr
from emu.engine.mma_fragments import execute as mma_execute


@njit(cache=True, error_model="numpy")
def exec_mma(code, pc, okind, oval, regs, T, warps, cc):
    """mma.sync or wmma.mma of the ``warps`` waiting at ``pc``: gather the fragments of all their lanes, run
    the tensor-core model once for all of them (Python, through object mode), scatter D."""
    is_wmma = code[pc, L.F_OP] == L.OP_WMMA
    s = code[pc, L.F_SRC]
    d = code[pc, L.F_DST]
    na = code[pc, L.F_AUX]
    nb = code[pc, L.F_WIDTH]
    nc = code[pc, L.F_NSRC] - na - nb
    nd = code[pc, L.F_NDST]
    lanes = 32 * len(warps)
    a = np.zeros((lanes, na), dtype=np.int64)
    b = np.zeros((lanes, nb), dtype=np.int64)
    c = np.zeros((lanes, nc), dtype=np.int64)
    out = np.zeros((lanes, nd), dtype=np.int64)
    for row in range(lanes):
        t = warps[row // 32] * 32 + row % 32
        for i in range(na):
            a[row, i] = regs[oval[s + i] * T + t]
        for i in range(nb):
            b[row, i] = regs[oval[s + na + i] * T + t]
        for i in range(nc):
            k = s + na + nb + i
            c[row, i] = regs[oval[k] * T + t] if okind[k] == L.OK_REG else oval[k]
    in_code = code[pc, L.F_TY2]
    acc_code = code[pc, L.F_TY]
    shape_id = code[pc, L.F_VEC] if is_wmma else code[pc, L.F_SUB]
    layout_code = code[pc, L.F_VEC]            # mma only
    with objmode():
        if is_wmma:
            execute_wmma(shape_id, in_code, acc_code, cc, a, b, c, out)
        else:
            mma_execute(shape_id, layout_code, in_code, acc_code, cc, a, b, c, out)
    for row in range(lanes):
        t = warps[row // 32] * 32 + row % 32
        for i in range(nd):
            wr(okind, oval, regs, T, d + i, t, out[row, i])


@njit(cache=True, error_model="numpy")
def run_tensor_ops(code, okind, oval, regs, T, nw, wstate, stk_pc, sps, cc):
    """Execute the tensor instructions that warps wait at (L.W_TENSOR), the warps at one pc together in one
    call of the model (a call costs about as much for one warp as for many). Returns the warps released."""
    together = np.zeros(nw, dtype=np.int64)
    released = 0
    for w in range(nw):
        if wstate[w] != L.W_TENSOR:
            continue
        pc = stk_pc[w, sps[w]]
        n = 0
        for v in range(w, nw):
            if wstate[v] == L.W_TENSOR and stk_pc[v, sps[v]] == pc:
                together[n] = v
                n += 1
        exec_mma(code, pc, okind, oval, regs, T, together[:n], cc)
        for j in range(n):
            v = together[j]
            stk_pc[v, sps[v]] = pc + 1
            wstate[v] = L.W_READY
        released += n
    return released
