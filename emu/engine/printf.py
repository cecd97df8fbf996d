"""vprintf: the engine's side (records; emu.report.printf formats them)."""
import numpy as np
from numba import njit

from emu.engine import layout as L
from emu.engine.address import resolve


@njit(cache=True, error_model="numpy", _nrt=False)
def record_printf(pc, code, oval, memory, out, t, cta, thread):
    """vprintf(fmt, args) of register-file thread ``t`` (thread ``thread`` of CTA ``cta``): keep the
    format address and a copy of the argument buffer."""
    mem, m64, valid, mlay = memory.mem, memory.m64, memory.valid, memory.mlay
    printmeta, printbuf, nprint = out.printmeta, out.printbuf, out.nprint
    s = code[pc, L.F_SRC]
    local0 = mlay[L.ML_LOCAL_BASE] + t * mlay[L.ML_LOCAL_SIZE]
    fmt = m64[(local0 + oval[s]) >> 3]
    args = m64[(local0 + oval[s + 1]) >> 3] if code[pc, L.F_NSRC] > 1 else np.int64(0)
    k = nprint[0]
    if k >= printmeta.shape[0]:
        nprint[1] += 1                      # dropped records
        return
    nprint[0] = k + 1
    printmeta[k, 0] = fmt
    printmeta[k, 1] = cta
    printmeta[k, 2] = thread
    n = 0
    if args != 0:
        off, space = resolve(L.SP_GENERIC, args, int(1), t, mlay, valid)
        if off >= 0:
            limit = mem.shape[0]
            if space == L.SP_LOCAL:
                limit = local0 + mlay[L.ML_LOCAL_SIZE]
            n = min(printbuf.shape[1], limit - off)
            for i in range(n):
                printbuf[k, i] = mem[off + i]
    printmeta[k, 3] = n
