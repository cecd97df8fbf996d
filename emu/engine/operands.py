"""Reading and writing operands: registers, immediates, special registers; integer extension."""
import numpy as np
from numba import njit

from emu.engine import layout as L
from emu.engine.bits import f32_from_bits, f64_from_bits


@njit(cache=True, error_model="numpy", _nrt=False)
def sext(v, nbytes):
    if nbytes >= 8:
        return v
    sh = 64 - 8 * nbytes
    return (v << sh) >> sh


@njit(cache=True, error_model="numpy", _nrt=False)
def zext(v, nbytes):
    if nbytes >= 8:
        return v
    return v & ((np.int64(1) << (8 * nbytes)) - 1)


@njit(cache=True, error_model="numpy", _nrt=False)
def special(sid, lane, w, sreg):
    """Value of a special register for lane ``lane`` of warp ``w`` of a CTA (``sreg``: its slot's values)."""
    t = w * 32 + lane
    nx = sreg[L.SV_NTID_X]
    ny = sreg[L.SV_NTID_Y]
    if sid == L.SR_TID_X:
        return t % nx
    if sid == L.SR_TID_Y:
        return (t // nx) % ny
    if sid == L.SR_TID_Z:
        return t // (nx * ny)
    if sid <= L.SR_NCTAID_Z:
        return sreg[sid - L.SR_NTID_X + L.SV_NTID_X]
    if sid == L.SR_LANEID:
        return lane
    if sid == L.SR_WARPID:
        return w
    if sid == L.SR_NWARPID:
        return sreg[L.SV_NWARPS]
    if sid == L.SR_SMID:
        return sreg[L.SV_SMID]
    if sid == L.SR_NSMID:
        return sreg[L.SV_NSM]
    if sid == L.SR_CLOCK or sid == L.SR_CLOCK64:
        return sreg[L.SV_CLOCK]
    if sid == L.SR_GLOBALTIMER:
        return sreg[L.SV_CLOCK] * 1000 // max(sreg[L.SV_CLOCK_MHZ], 1)
    if sid == L.SR_LANEMASK_EQ:
        return np.int64(1) << lane
    if sid == L.SR_LANEMASK_LT:
        return (np.int64(1) << lane) - 1
    if sid == L.SR_LANEMASK_LE:
        return (np.int64(2) << lane) - 1
    if sid == L.SR_LANEMASK_GT:
        return (L.FULL << (lane + 1)) & L.FULL
    if sid == L.SR_LANEMASK_GE:
        return (L.FULL << lane) & L.FULL
    if sid == L.SR_DYNAMIC_SMEM_SIZE:
        return sreg[L.SV_DYN_SMEM]
    return sreg[L.SV_TOTAL_SMEM]


@njit(cache=True, error_model="numpy", _nrt=False)
def rd(okind, oval, regs, T, i, t, lane, w, sreg):
    """Raw 64-bit value of operand i for thread t."""
    k = okind[i]
    if k == L.OK_REG:
        v = oval[i]
        if v >= 0:
            return regs[v * T + t]
        return 1 - (regs[(-1 - v) * T + t] & 1)      # !%p
    if k == L.OK_IMM:
        return oval[i]
    if k == L.OK_SPECIAL:
        return special(oval[i], lane, w, sreg)
    return np.int64(0)


@njit(cache=True, error_model="numpy", _nrt=False)
def rd_f32(okind, oval, of, regs, T, i, t):
    if okind[i] == L.OK_IMM:
        return np.float32(of[i])
    return f32_from_bits(regs[oval[i] * T + t])


@njit(cache=True, error_model="numpy", _nrt=False)
def rd_f64(okind, oval, of, regs, T, i, t):
    if okind[i] == L.OK_IMM:
        return of[i]
    return f64_from_bits(regs[oval[i] * T + t])


@njit(cache=True, error_model="numpy", _nrt=False)
def wr(okind, oval, regs, T, i, t, value):
    if okind[i] == L.OK_REG:
        regs[oval[i] * T + t] = value


@njit(cache=True, error_model="numpy", _nrt=False)
def popc32(x):
    x = x & L.FULL
    c = 0
    while x:
        x &= x - 1
        c += 1
    return c


@njit(cache=True, error_model="numpy", _nrt=False)
def fault(err, code, pc, t, addr, space, size, is_write):
    # Callers write int(0), bool(False) ... for constant arguments here and elsewhere: numba
    # compiles a callee once per argument-type signature, and a bare literal is a type of its own.
    err[L.E_CODE] = code
    err[L.E_PC] = pc
    err[L.E_THREAD] = t
    err[L.E_ADDR] = addr
    err[L.E_SPACE] = space
    err[L.E_SIZE] = size
    err[L.E_WRITE] = is_write


@njit(cache=True, error_model="numpy", _nrt=False)
def instruction_registers(code, okind, oval, pc, reads, writes):
    """The register slots instruction ``pc`` reads and writes, implicit ones included, for a
    timing model's scoreboard: fills ``reads[:n]`` and ``writes[:m]`` and returns (n, m).

    Reads: the guard predicate, every register source (a negated predicate's slot too), the carry
    flag CC.CF of addc/subc/madc. Writes: every register destination (bar.red's is written when
    the barrier completes), the carry flag of the .cc forms. The ISA table says which opcodes have
    implicit operands (layout.READS_CARRY, WRITES_CARRY).
    """
    op = code[pc, L.F_OP]
    n = 0
    if code[pc, L.F_GUARD] >= 0:
        reads[n] = code[pc, L.F_GUARD]
        n += 1
    s = code[pc, L.F_SRC]
    for i in range(s, s + code[pc, L.F_NSRC]):
        if okind[i] == L.OK_REG:
            reads[n] = oval[i] if oval[i] >= 0 else -1 - oval[i]
            n += 1
    if L.READS_CARRY[op]:
        reads[n] = code[pc, L.F_AUX]
        n += 1
    m = 0
    d = code[pc, L.F_DST]
    for i in range(d, d + code[pc, L.F_NDST]):
        if okind[i] == L.OK_REG:
            writes[m] = oval[i]
            m += 1
    if L.WRITES_CARRY[op] and (code[pc, L.F_FLAGS] & L.FL_CC) != 0:
        writes[m] = code[pc, L.F_AUX]
        m += 1
    return n, m
