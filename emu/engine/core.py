"""The SIMT core: runs the CTAs of a launch, one warp instruction at a time for 32 lanes.

This is the one hot module: ``@njit(cache=True)`` code over the flat arrays
described in ``emu.engine.layout``; with ``NUMBA_DISABLE_JIT=1`` it runs as
plain Python (slowly) for debugging. Everything below ``run_grid`` is compiled
without numba's runtime (``_nrt=False``): it allocates nothing, and passing
arrays between functions then costs no reference counting, which otherwise
took half the run time. The tensor-core calls into Python (object mode) need
the runtime, so run_grid makes them when run_warp returns R_TENSOR: the warps
that stopped at one tensor instruction run it together, in one call.

Execution model (functional): the CTAs of a launch run one after another.
Inside a CTA, a warp runs until it blocks at a barrier, exits, or has run a
time slice; then the next warp runs. Each warp keeps a SIMT reconvergence
stack of (pc, reconvergence pc, mask) entries: a branch that splits the active
lanes pushes both paths, which run one after the other and meet again at the
branch's immediate post-dominator. Memory is one byte buffer holding the
device heap and, after it, this launch's parameters, shared memory and the
threads' local memory (see ``LaunchMemory`` in emu.engine.memory).
"""
import math

import numpy as np
from numba import njit, objmode

from emu.engine import layout as L
from emu.engine.bits import f32_from_bits, f32_to_bits, f64_from_bits, f64_to_bits
from emu.engine.mma_fragments import WMMA_SHAPES
from emu.engine.mma_fragments import execute as mma_execute
from emu.engine.mma_fragments import execute_wmma
from emu.numerics import scalar as S
from emu.numerics.formats import SAT_FINITE, SAT_RELU, SAT_UNIT

# ----------------------------------------------------------------- opcode ids (from the ISA table)
from emu.isa.table import OPCODE_ID as _ID

OP_ADD, OP_SUB, OP_MUL, OP_MAD, OP_FMA = _ID["add"], _ID["sub"], _ID["mul"], _ID["mad"], _ID["fma"]
OP_DIV, OP_REM, OP_ABS, OP_NEG, OP_MIN, OP_MAX = _ID["div"], _ID["rem"], _ID["abs"], _ID["neg"], _ID["min"], _ID["max"]
OP_MUL24, OP_MAD24, OP_SAD = _ID["mul24"], _ID["mad24"], _ID["sad"]
OP_ADDC, OP_SUBC, OP_MADC = _ID["addc"], _ID["subc"], _ID["madc"]
OP_POPC, OP_CLZ, OP_BREV, OP_BFIND, OP_BFE, OP_BFI, OP_PRMT = (
    _ID["popc"], _ID["clz"], _ID["brev"], _ID["bfind"], _ID["bfe"], _ID["bfi"], _ID["prmt"])
OP_AND, OP_OR, OP_XOR, OP_NOT, OP_CNOT, OP_SHL, OP_SHR, OP_SHF = (
    _ID["and"], _ID["or"], _ID["xor"], _ID["not"], _ID["cnot"], _ID["shl"], _ID["shr"], _ID["shf"])
OP_RCP, OP_SQRT, OP_RSQRT, OP_EX2, OP_LG2, OP_SIN, OP_COS, OP_TANH = (
    _ID["rcp"], _ID["sqrt"], _ID["rsqrt"], _ID["ex2"], _ID["lg2"], _ID["sin"], _ID["cos"], _ID["tanh"])
OP_COPYSIGN, OP_TESTP = _ID["copysign"], _ID["testp"]
OP_SETP, OP_SET, OP_SELP, OP_SLCT = _ID["setp"], _ID["set"], _ID["selp"], _ID["slct"]
OP_MOV, OP_CVT, OP_CVTA = _ID["mov"], _ID["cvt"], _ID["cvta"]
OP_LD, OP_ST, OP_ATOM, OP_RED = _ID["ld"], _ID["st"], _ID["atom"], _ID["red"]
OP_BRA, OP_CALL, OP_RET, OP_EXIT, OP_TRAP = _ID["bra"], _ID["call"], _ID["ret"], _ID["exit"], _ID["trap"]
OP_BAR, OP_BARRIER, OP_MEMBAR, OP_FENCE = _ID["bar"], _ID["barrier"], _ID["membar"], _ID["fence"]
OP_SHFL, OP_VOTE, OP_ACTIVEMASK, OP_MATCH, OP_REDUX = (
    _ID["shfl"], _ID["vote"], _ID["activemask"], _ID["match"], _ID["redux"])
OP_MMA, OP_LDMATRIX, OP_WMMA = _ID["mma"], _ID["ldmatrix"], _ID["wmma"]

# ----------------------------------------------------------------- statistics (stats array)
ST_WARP_INSTRUCTIONS = 0
ST_THREAD_INSTRUCTIONS = 1
ST_GLOBAL_LOAD_BYTES = 2
ST_GLOBAL_STORE_BYTES = 3
ST_GLOBAL_LOADS = 4          # warp-level requests
ST_GLOBAL_STORES = 5
ST_SHARED_LOADS = 6
ST_SHARED_STORES = 7
ST_LOCAL_ACCESSES = 8
ST_ATOMICS = 9
ST_BRANCHES = 10
ST_DIVERGENT_BRANCHES = 11
ST_BARRIERS = 12
ST_CLASS_BASE = 16           # + class id (emu.isa.table.CLASSES)
N_STATS = 32

# warp states
W_READY, W_BARRIER, W_DONE, W_TENSOR = 0, 1, 2, 3     # W_TENSOR: waits for run_tensor_ops
# why run_warp returned
R_BLOCKED, R_DONE, R_SLICE, R_ERROR, R_TENSOR = 0, 1, 2, 3, 4   # R_TENSOR: stopped at an mma for run_grid

MAX_STACK = 64
MAX_CALLS = 32
SLICE = 100000               # instructions before a warp yields to the next (keeps progress fair)
FULL = 0xFFFFFFFF
N_SCRATCH = 4                # rows at the end of regs for the fast paths (see src_row)

# per-CTA special register values (sreg array)
SV_NTID_X, SV_NTID_Y, SV_NTID_Z = 0, 1, 2
SV_CTAID_X, SV_CTAID_Y, SV_CTAID_Z = 3, 4, 5
SV_NCTAID_X, SV_NCTAID_Y, SV_NCTAID_Z = 6, 7, 8
SV_NWARPS, SV_SMID, SV_NSM, SV_DYN_SMEM, SV_TOTAL_SMEM, SV_CLOCK, SV_CC = 9, 10, 11, 12, 13, 14, 15
N_SV = 16

# memory layout (mlay array)
ML_PARAM_BASE, ML_PARAM_SIZE, ML_SHARED_BASE, ML_SHARED_SIZE, ML_LOCAL_BASE, ML_LOCAL_SIZE, ML_HEAP_SIZE = range(7)
N_ML = 8


# ================================================================= small helpers
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
def special(sid, t, lane, w, sreg):
    nx = sreg[SV_NTID_X]
    ny = sreg[SV_NTID_Y]
    if sid == L.SR_TID_X:
        return t % nx
    if sid == L.SR_TID_Y:
        return (t // nx) % ny
    if sid == L.SR_TID_Z:
        return t // (nx * ny)
    if sid <= L.SR_NCTAID_Z:
        return sreg[sid - L.SR_NTID_X + SV_NTID_X]
    if sid == L.SR_LANEID:
        return lane
    if sid == L.SR_WARPID:
        return w
    if sid == L.SR_NWARPID:
        return sreg[SV_NWARPS]
    if sid == L.SR_SMID:
        return sreg[SV_SMID]
    if sid == L.SR_NSMID:
        return sreg[SV_NSM]
    if sid == L.SR_CLOCK or sid == L.SR_CLOCK64 or sid == L.SR_GLOBALTIMER:
        return sreg[SV_CLOCK]
    if sid == L.SR_LANEMASK_EQ:
        return np.int64(1) << lane
    if sid == L.SR_LANEMASK_LT:
        return (np.int64(1) << lane) - 1
    if sid == L.SR_LANEMASK_LE:
        return (np.int64(2) << lane) - 1
    if sid == L.SR_LANEMASK_GT:
        return (FULL << (lane + 1)) & FULL
    if sid == L.SR_LANEMASK_GE:
        return (FULL << lane) & FULL
    if sid == L.SR_DYNAMIC_SMEM_SIZE:
        return sreg[SV_DYN_SMEM]
    return sreg[SV_TOTAL_SMEM]


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
        return special(oval[i], t, lane, w, sreg)
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
    x = x & FULL
    c = 0
    while x:
        x &= x - 1
        c += 1
    return c


@njit(cache=True, error_model="numpy", _nrt=False)
def fma_f32_rn(a, b, c):
    """Correctly rounded float32 fused multiply-add.

    a*b is exact in float64 (24+24 bits). The float64 sum p + c is made
    round-to-odd with an exact TwoSum error term, and rounding a
    round-to-odd value with 53 >= 24 + 2 bits to float32 gives the correctly
    rounded result (Boldo & Melquiond, "Emulation of FMA and correctly
    rounded sums: proved algorithms using rounding to odd", 2008).
    """
    p = np.float64(a) * np.float64(b)
    cc = np.float64(c)
    s = p + cc
    if not math.isfinite(s):
        return np.float32(s)
    bb = s - p
    err = (p - (s - bb)) + (cc - bb)
    if err != 0.0:
        bits = f64_to_bits(s)
        if bits & 1 == 0:
            if (err > 0.0) == (s > 0.0):
                bits += 1
            else:
                bits -= 1
            s = f64_from_bits(bits)
    return np.float32(s)


@njit(cache=True, error_model="numpy", _nrt=False)
def f32_canonical(x):
    """The bits of an f32 result (zero-extended), every NaN as the canonical 0x7FFFFFFF."""
    return np.int64(0x7FFFFFFF) if x != x else f32_to_bits(x)


@njit(cache=True, error_model="numpy", _nrt=False)
def f64_canonical(x):
    """The bits of an f64 result, every NaN as the canonical 0x7FFFFFFFFFFFFFFF."""
    return np.int64(0x7FFFFFFFFFFFFFFF) if x != x else f64_to_bits(x)


@njit(cache=True, error_model="numpy", _nrt=False)
def flush_f32(x):
    """.ftz: a subnormal float32 becomes a zero of the same sign."""
    if x != 0.0 and abs(x) < np.float32(1.1754943508222875e-38):
        return np.float32(math.copysign(0.0, x))
    return x


@njit(cache=True, error_model="numpy", _nrt=False)
def sat_f32(x):
    """.sat: clamp to [0, 1]; NaN becomes +0."""
    if not (x > 0.0):
        return np.float32(0.0)
    if x > 1.0:
        return np.float32(1.0)
    return x


@njit(cache=True, error_model="numpy", _nrt=False)
def sat_f64(x):
    if not (x > 0.0):
        return 0.0
    if x > 1.0:
        return 1.0
    return x


@njit(cache=True, error_model="numpy", _nrt=False)
def fmin_ptx(a, b, nan_prop):
    """PTX min: a NaN operand is ignored unless both are NaN (or .NaN is given); -0 < +0."""
    if a != a or b != b:
        if nan_prop or (a != a and b != b):
            return a + b           # a NaN
        return b if a != a else a
    if a == b:
        return a if math.copysign(1.0, a) < 0 else b
    return a if a < b else b


@njit(cache=True, error_model="numpy", _nrt=False)
def fmax_ptx(a, b, nan_prop):
    if a != a or b != b:
        if nan_prop or (a != a and b != b):
            return a + b
        return b if a != a else a
    if a == b:
        return b if math.copysign(1.0, a) < 0 else a
    return a if a > b else b


@njit(cache=True, error_model="numpy", _nrt=False)
def mulhi_u64(a, b):
    """High 64 bits of the unsigned 128-bit product of two 64-bit patterns."""
    ua = np.uint64(a)
    ub = np.uint64(b)
    m32 = np.uint64(0xFFFFFFFF)
    s32 = np.uint64(32)
    a_lo = ua & m32
    a_hi = ua >> s32
    b_lo = ub & m32
    b_hi = ub >> s32
    lo_lo = a_lo * b_lo
    hi_lo = a_hi * b_lo
    lo_hi = a_lo * b_hi
    hi_hi = a_hi * b_hi
    cross = (lo_lo >> s32) + (hi_lo & m32) + lo_hi
    return np.int64(hi_hi + (hi_lo >> s32) + (cross >> s32))


@njit(cache=True, error_model="numpy", _nrt=False)
def mulhi_s64(a, b):
    hi = mulhi_u64(a, b)
    if a < 0:
        hi -= b
    if b < 0:
        hi -= a
    return hi


@njit(cache=True, error_model="numpy", _nrt=False)
def div_int(a, b, nbytes, signed, want_rem):
    """PTX div/rem: truncating; division by zero gives all ones (div) and a (rem), as hardware does."""
    if signed:
        a = sext(a, nbytes)
        b = sext(b, nbytes)
        if b == 0:
            return a if want_rem else np.int64(-1)
        if b == -1:
            return np.int64(0) if want_rem else -a
        # magnitudes as uint64: abs(INT64_MIN) does not fit an int64
        ma = np.uint64(-a) if a < 0 else np.uint64(a)
        mb = np.uint64(-b) if b < 0 else np.uint64(b)
        q = np.int64(ma // mb)
        if (a < 0) != (b < 0):
            q = -q
        return a - q * b if want_rem else q
    ua = np.uint64(zext(a, nbytes))
    ub = np.uint64(zext(b, nbytes))
    if ub == np.uint64(0):
        return np.int64(ua) if want_rem else np.int64(-1)
    return np.int64(ua % ub) if want_rem else np.int64(ua // ub)


@njit(cache=True, error_model="numpy", _nrt=False)
def ult(a, b):
    return np.uint64(a) < np.uint64(b)


@njit(cache=True, error_model="numpy", _nrt=False)
def int_to_float_bits(v, signed, nbytes, rnd, to_f64):
    """cvt from an integer to f32/f64 with a rounding mode; returns the float's bits."""
    neg = False
    if signed:
        v = sext(v, nbytes)
        neg = v < 0
        mag = np.uint64(-v) if neg else np.uint64(v)
    else:
        mag = np.uint64(zext(v, nbytes))
    p = 53 if to_f64 else 24
    # count bits of the magnitude
    nbits = 0
    m = mag
    while m != np.uint64(0):
        m >>= np.uint64(1)
        nbits += 1
    if nbits > p and rnd != L.RND_RN:
        drop = np.uint64(nbits - p)
        q = mag >> drop
        rem = mag - (q << drop)
        up = False
        if rem != np.uint64(0):
            if rnd == L.RND_RP:
                up = not neg
            elif rnd == L.RND_RM:
                up = neg
        if up:
            q += np.uint64(1)
        value = np.float64(q) * 2.0 ** float(drop)
    elif nbits > 53:
        # round to nearest even in integer arithmetic first (float64(uint64) could double-round for f32)
        drop = np.uint64(nbits - p)
        q = mag >> drop
        rem = mag - (q << drop)
        half = np.uint64(1) << (drop - np.uint64(1))
        if rem > half or (rem == half and (q & np.uint64(1)) == np.uint64(1)):
            q += np.uint64(1)
        value = np.float64(q) * 2.0 ** float(drop)
    else:
        value = np.float64(mag)
    if neg:
        value = -value
    if to_f64:
        return f64_to_bits(value)
    return f32_to_bits(np.float32(value))


@njit(cache=True, error_model="numpy", _nrt=False)
def float_to_int(x, nbytes, signed, rnd):
    """cvt from float to integer: round per mode, saturate to the range, NaN -> 0 (PTX semantics)."""
    if x != x:
        return np.int64(0)
    mode = rnd - L.RND_IS_INTEGER if rnd >= L.RND_IS_INTEGER else L.RND_RZ
    # np.floor/ceil/trunc stay float64 (numba's math.floor returns an int64, which overflows
    # for |x| >= 2^63 and infinities before the saturation below could see them)
    if mode == L.RND_RN:
        r = np.rint(x)
    elif mode == L.RND_RM:
        r = np.floor(x)
    elif mode == L.RND_RP:
        r = np.ceil(x)
    else:
        r = np.trunc(x)
    bits = 8 * nbytes
    if signed:
        hi = 2.0 ** (bits - 1)
        if r >= hi:
            return (np.int64(1) << (bits - 1)) - 1 if bits < 64 else np.int64(0x7FFFFFFFFFFFFFFF)
        if r < -hi:
            return -(np.int64(1) << (bits - 1)) if bits < 64 else np.int64(-0x7FFFFFFFFFFFFFFF - 1)
        return np.int64(r)
    hi = 2.0 ** bits
    if r <= 0.0:
        return np.int64(0)
    if r >= hi:
        return (np.int64(1) << bits) - 1 if bits < 64 else np.int64(-1)
    if r >= 2.0 ** 63:
        return np.int64(np.uint64(r))
    return np.int64(r)


@njit(cache=True, error_model="numpy", _nrt=False)
def round_float_to_integral(x, rnd):
    mode = rnd - L.RND_IS_INTEGER
    if not math.isfinite(x):
        return x
    if mode == L.RND_RN:
        r = np.rint(x)
    elif mode == L.RND_RM:
        r = np.floor(x)          # float64 results: numba's math.floor is an int64 (overflows)
    elif mode == L.RND_RP:
        r = np.ceil(x)
    else:
        r = np.trunc(x)
    return math.copysign(r, x) if r == 0.0 else r


@njit(cache=True, error_model="numpy", _nrt=False, inline="always")
def compare(a, b, cmp, is_float, unsigned):
    """setp/set comparison of two numbers already decoded to float64 or int64."""
    if is_float:
        unordered = a != a or b != b
        if cmp == L.CMP_NUM:
            return not unordered
        if cmp == L.CMP_NAN:
            return unordered
        if cmp >= L.CMP_EQU:
            if unordered:
                return True
            cmp -= L.CMP_EQU
        elif unordered:
            return False
        if cmp == L.CMP_EQ:
            return a == b
        if cmp == L.CMP_NE:
            return a != b
        if cmp == L.CMP_LT or cmp == L.CMP_LO:
            return a < b
        if cmp == L.CMP_LE or cmp == L.CMP_LS:
            return a <= b
        if cmp == L.CMP_GT or cmp == L.CMP_HI:
            return a > b
        return a >= b
    if unsigned or cmp >= L.CMP_LO:
        ua = np.uint64(a)
        ub = np.uint64(b)
        if cmp == L.CMP_EQ:
            return ua == ub
        if cmp == L.CMP_NE:
            return ua != ub
        if cmp == L.CMP_LT or cmp == L.CMP_LO:
            return ua < ub
        if cmp == L.CMP_LE or cmp == L.CMP_LS:
            return ua <= ub
        if cmp == L.CMP_GT or cmp == L.CMP_HI:
            return ua > ub
        return ua >= ub
    if cmp == L.CMP_EQ:
        return a == b
    if cmp == L.CMP_NE:
        return a != b
    if cmp == L.CMP_LT:
        return a < b
    if cmp == L.CMP_LE:
        return a <= b
    if cmp == L.CMP_GT:
        return a > b
    return a >= b


# The same comparison as an ordinary (out-of-line) call, for the per-lane fallback in
# exec_compare: inlining it there at numba IR level bought no speed and cost compile time.
@njit(cache=True, error_model="numpy", _nrt=False)
def compare_call(a, b, cmp, is_float, unsigned):
    return compare(a, b, cmp, is_float, unsigned)


# ================================================================= arithmetic
@njit(cache=True, error_model="numpy", _nrt=False)
def exec_float32(op, sub, rnd, flags, code, pc, okind, oval, of, regs, T, base, mask):
    """f32 arithmetic for the lanes in mask."""
    s = code[pc, L.F_SRC]
    d = code[pc, L.F_DST]
    ns = code[pc, L.F_NSRC]
    ftz = (flags & L.FL_FTZ) != 0
    sat = (flags & L.FL_SAT) != 0
    directed = rnd == L.RND_RZ or rnd == L.RND_RM or rnd == L.RND_RP
    for lane in range(32):
        if not (mask >> lane) & 1:
            continue
        t = base + lane
        a = rd_f32(okind, oval, of, regs, T, s, t)
        if ftz:
            a = flush_f32(a)
        b = np.float32(0.0)
        c = np.float32(0.0)
        if ns > 1:
            b = rd_f32(okind, oval, of, regs, T, s + 1, t)
            if ftz:
                b = flush_f32(b)
        if ns > 2:
            c = rd_f32(okind, oval, of, regs, T, s + 2, t)
            if ftz:
                c = flush_f32(c)
        if directed and (op == OP_ADD or op == OP_SUB or op == OP_MUL or op == OP_FMA or op == OP_MAD
                         or op == OP_DIV or op == OP_SQRT or op == OP_RCP):
            ab = f32_to_bits(a)
            bb = f32_to_bits(b)
            if op == OP_ADD:
                rbits = S.f32_add(ab, bb, rnd, ftz, 0)
            elif op == OP_SUB:
                rbits = S.f32_sub(ab, bb, rnd, ftz, 0)
            elif op == OP_MUL:
                rbits = S.f32_mul(ab, bb, rnd, ftz, 0)
            elif op == OP_DIV:
                rbits = S.f32_div(ab, bb, rnd, ftz)
            elif op == OP_SQRT:
                rbits = S.f32_sqrt(ab, rnd, ftz)
            elif op == OP_RCP:
                rbits = S.f32_rcp(ab, rnd, ftz)
            else:
                rbits = S.f32_fma(ab, bb, f32_to_bits(c), rnd, ftz, 0)
            r = f32_from_bits(rbits)
        elif op == OP_FMA or op == OP_MAD:
            r = fma_f32_rn(a, b, c)
        elif op == OP_ADD:
            r = a + b
        elif op == OP_SUB:
            r = a - b
        elif op == OP_MUL:
            r = a * b
        elif op == OP_DIV:
            r = a / b
            if (flags & L.FL_APPROX) != 0 and a == a and math.isfinite(b) and abs(b) > 8.507059173023462e+37:
                # div.approx.f32 is a * (1/b): for 2^126 < |b| < 2^128 PTX gives NaN if a is
                # infinite, otherwise a sign-preserving zero
                if math.isinf(a):
                    r = np.float32(math.nan)
                else:
                    r = np.float32(-0.0) if (math.copysign(1.0, a) < 0.0) != (b < 0.0) else np.float32(0.0)
        elif op == OP_ABS:
            r = np.float32(abs(a))
        elif op == OP_NEG:
            r = -a
        elif op == OP_MIN:
            r = np.float32(fmin_ptx(a, b, (flags & L.FL_NAN) != 0))
        elif op == OP_MAX:
            r = np.float32(fmax_ptx(a, b, (flags & L.FL_NAN) != 0))
        elif op == OP_RCP:
            r = np.float32(1.0) / a
        elif op == OP_SQRT:
            r = np.float32(math.sqrt(a)) if a >= 0.0 else (a if a == 0.0 else np.float32(math.nan))
        elif op == OP_RSQRT:
            r = np.float32(1.0 / math.sqrt(a)) if a > 0.0 else (np.float32(math.copysign(math.inf, a)) if a == 0.0 else np.float32(math.nan))
        elif op == OP_EX2:
            r = np.float32(2.0 ** np.float64(a)) if a == a else a
        elif op == OP_LG2:
            r = np.float32(math.log2(a)) if a > 0.0 else (np.float32(-math.inf) if a == 0.0 else np.float32(math.nan))
        elif op == OP_SIN:
            r = np.float32(math.sin(a)) if math.isfinite(a) else np.float32(math.nan)
        elif op == OP_COS:
            r = np.float32(math.cos(a)) if math.isfinite(a) else np.float32(math.nan)
        elif op == OP_TANH:
            r = np.float32(math.tanh(a))
        elif op == OP_COPYSIGN:
            r = np.float32(math.copysign(b, a))      # copysign d, a, b: |b| with the sign of a
        else:
            r = np.float32(math.nan)
        if r != r and op != OP_ABS and op != OP_NEG and op != OP_COPYSIGN:
            r = f32_from_bits(0x7FFFFFFF)            # canonical NaN
        if ftz:
            r = flush_f32(r)
        if sat:
            r = sat_f32(r)
        wr(okind, oval, regs, T, d, t, f32_to_bits(r))


@njit(cache=True, error_model="numpy", _nrt=False)
def exec_float64(op, sub, rnd, flags, code, pc, okind, oval, of, regs, T, base, mask):
    s = code[pc, L.F_SRC]
    d = code[pc, L.F_DST]
    ns = code[pc, L.F_NSRC]
    directed = rnd == L.RND_RZ or rnd == L.RND_RM or rnd == L.RND_RP
    approx_ftz = (flags & L.FL_APPROX) != 0 and (flags & L.FL_FTZ) != 0
    for lane in range(32):
        if not (mask >> lane) & 1:
            continue
        t = base + lane
        a = rd_f64(okind, oval, of, regs, T, s, t)
        b = rd_f64(okind, oval, of, regs, T, s + 1, t) if ns > 1 else 0.0
        c = rd_f64(okind, oval, of, regs, T, s + 2, t) if ns > 2 else 0.0
        if approx_ftz and (op == OP_RCP or op == OP_RSQRT):
            # rcp.approx.ftz.f64 / rsqrt.approx.ftz.f64 (PTX): only the upper 32 bits of a are used,
            # the lower 32 bits of the result are zero, subnormal inputs and results flush to
            # sign-preserving zeros, and a NaN becomes the canonical 0x7fffffff00000000
            hi_mask = np.int64(-4294967296)                      # 0xFFFFFFFF00000000
            x = f64_from_bits(f64_to_bits(a) & hi_mask)
            if x != 0.0 and abs(x) < 2.2250738585072014e-308:
                x = math.copysign(0.0, x)
            if op == OP_RCP:
                y = 1.0 / x if x != 0.0 else math.copysign(math.inf, x)
            else:
                y = 1.0 / math.sqrt(x) if x > 0.0 else (math.copysign(math.inf, x) if x == 0.0 else math.nan)
            if y != y:
                rb = np.int64(0x7FFFFFFF00000000)
            else:
                rb = f64_to_bits(y) & hi_mask
                if (rb & np.int64(0x7FF0000000000000)) == 0:
                    rb = rb & np.int64(-9223372036854775808)    # subnormal result: keep the sign
            r = f64_from_bits(rb)
        elif op == OP_FMA or op == OP_MAD:
            r = f64_from_bits(S.f64_fma(f64_to_bits(a), f64_to_bits(b), f64_to_bits(c), rnd if rnd >= 0 else L.RND_RN))
        elif directed and (op == OP_ADD or op == OP_SUB or op == OP_MUL or op == OP_DIV or op == OP_SQRT
                           or op == OP_RCP):
            ab = f64_to_bits(a)
            bb = f64_to_bits(b)
            if op == OP_ADD:
                r = f64_from_bits(S.f64_add(ab, bb, rnd))
            elif op == OP_SUB:
                r = f64_from_bits(S.f64_sub(ab, bb, rnd))
            elif op == OP_MUL:
                r = f64_from_bits(S.f64_mul(ab, bb, rnd))
            elif op == OP_DIV:
                r = f64_from_bits(S.f64_div(ab, bb, rnd))
            elif op == OP_SQRT:
                r = f64_from_bits(S.f64_sqrt(ab, rnd))
            else:
                r = f64_from_bits(S.f64_rcp(ab, rnd))
        elif op == OP_ADD:
            r = a + b
        elif op == OP_SUB:
            r = a - b
        elif op == OP_MUL:
            r = a * b
        elif op == OP_DIV:
            r = a / b
        elif op == OP_ABS:
            r = abs(a) if a == a else a         # PTX: "For abs.f64, NaN input is passed through unchanged"
        elif op == OP_NEG:
            r = -a
        elif op == OP_MIN:
            r = fmin_ptx(a, b, (flags & L.FL_NAN) != 0)
        elif op == OP_MAX:
            r = fmax_ptx(a, b, (flags & L.FL_NAN) != 0)
        elif op == OP_RCP:
            r = 1.0 / a
        elif op == OP_SQRT:
            r = math.sqrt(a) if a >= 0.0 else (a if a == 0.0 else math.nan)
        elif op == OP_RSQRT:
            r = 1.0 / math.sqrt(a) if a > 0.0 else (math.copysign(math.inf, a) if a == 0.0 else math.nan)
        elif op == OP_COPYSIGN:
            r = math.copysign(b, a)
        else:
            r = math.nan
        if r != r and op != OP_ABS and op != OP_NEG and op != OP_COPYSIGN and not approx_ftz:
            r = f64_from_bits(0x7FFFFFFFFFFFFFFF)   # canonical NaN
        if (flags & L.FL_SAT) != 0:
            r = sat_f64(r)
        wr(okind, oval, regs, T, d, t, f64_to_bits(r))


@njit(cache=True, error_model="numpy", _nrt=False)
def half_op(op, a, b, c, rnd, ftz, sat, is_bf16, nan_prop):
    """One f16/bf16 operation on 16-bit patterns, exactly rounded (emu.numerics.scalar)."""
    if op == OP_MIN or op == OP_MAX or op == OP_NEG or op == OP_ABS or op == OP_EX2 or op == OP_TANH:
        inf = 0x7F80 if is_bf16 else 0x7C00
        if ftz and (a & inf) == 0:
            a = a & 0x8000                # .ftz: a subnormal input is a zero of the same sign
        if ftz and (b & inf) == 0:
            b = b & 0x8000
        if nan_prop and (op == OP_MIN or op == OP_MAX) and ((a & 0x7FFF) > inf or (b & 0x7FFF) > inf):
            return 0x7FFF                 # min/max.NaN: canonical NaN if either input is NaN
        if op == OP_EX2 or op == OP_TANH:
            # .approx: computed in float64 and rounded once (PTX max rel. error f16 2^-9.9, bf16 2^-7)
            x = np.float64(f32_from_bits(S.bf16_to_f32(a) if is_bf16 else S.f16_to_f32(a)))
            y = 2.0 ** x if op == OP_EX2 else math.tanh(x)
            if is_bf16:
                rb = S.f64_to_bf16(f64_to_bits(y), L.RND_RN, int(0))
            else:
                rb = S.f64_to_f16(f64_to_bits(y), L.RND_RN, int(0))
            if ftz and (rb & inf) == 0:
                rb = rb & 0x8000
            return rb
    if is_bf16:
        if op == OP_ADD:
            return S.bf16_add(a, b, rnd, ftz, sat)
        if op == OP_SUB:
            return S.bf16_sub(a, b, rnd, ftz, sat)
        if op == OP_MUL:
            return S.bf16_mul(a, b, rnd, ftz, sat)
        if op == OP_FMA or op == OP_MAD:
            return S.bf16_fma(a, b, c, rnd, ftz, sat)
        if op == OP_MIN:
            return S.bf16_min(a, b)
        if op == OP_MAX:
            return S.bf16_max(a, b)
        if op == OP_NEG:
            return S.bf16_neg(a)
        return S.bf16_abs(a)
    if op == OP_ADD:
        return S.f16_add(a, b, rnd, ftz, sat)
    if op == OP_SUB:
        return S.f16_sub(a, b, rnd, ftz, sat)
    if op == OP_MUL:
        return S.f16_mul(a, b, rnd, ftz, sat)
    if op == OP_FMA or op == OP_MAD:
        return S.f16_fma(a, b, c, rnd, ftz, sat)
    if op == OP_MIN:
        return S.f16_min(a, b)
    if op == OP_MAX:
        return S.f16_max(a, b)
    if op == OP_NEG:
        return S.f16_neg(a)
    return S.f16_abs(a)


@njit(cache=True, error_model="numpy", _nrt=False)
def exec_half(op, ty, rnd, flags, code, pc, okind, oval, regs, T, base, mask, lane_w, sreg):
    """f16, bf16, f16x2 and bf16x2 arithmetic."""
    s = code[pc, L.F_SRC]
    d = code[pc, L.F_DST]
    ns = code[pc, L.F_NSRC]
    ftz = (flags & L.FL_FTZ) != 0
    sat = 1 if (flags & L.FL_SAT) != 0 else 0
    if (flags & L.FL_RELU) != 0:
        sat |= SAT_RELU                   # fma.relu clamps negative results to +0
    nan_prop = (flags & L.FL_NAN) != 0
    is_bf16 = ty == L.TY_BF16 or ty == L.TY_BF16X2
    packed = ty == L.TY_F16X2 or ty == L.TY_BF16X2
    r_mode = rnd if rnd >= 0 else L.RND_RN
    for lane in range(32):
        if not (mask >> lane) & 1:
            continue
        t = base + lane
        a = rd(okind, oval, regs, T, s, t, lane, lane_w, sreg)
        b = rd(okind, oval, regs, T, s + 1, t, lane, lane_w, sreg) if ns > 1 else np.int64(0)
        c = rd(okind, oval, regs, T, s + 2, t, lane, lane_w, sreg) if ns > 2 else np.int64(0)
        lo = half_op(op, a & 0xFFFF, b & 0xFFFF, c & 0xFFFF, r_mode, ftz, sat, is_bf16, nan_prop)
        if packed:
            hi = half_op(op, (a >> 16) & 0xFFFF, (b >> 16) & 0xFFFF, (c >> 16) & 0xFFFF,
                         r_mode, ftz, sat, is_bf16, nan_prop)
            wr(okind, oval, regs, T, d, t, (np.int64(hi) << 16) | np.int64(lo))
        else:
            wr(okind, oval, regs, T, d, t, np.int64(lo))


@njit(cache=True, error_model="numpy", _nrt=False)
def exec_int(op, sub, ty, flags, code, pc, okind, oval, regs, T, base, mask, w, sreg):
    """Integer and bitwise operations (types u/s/b 8..64 and pred for logic)."""
    s = code[pc, L.F_SRC]
    d = code[pc, L.F_DST]
    ns = code[pc, L.F_NSRC]
    nbytes = 1 << (ty & 15) if ty != L.TY_PRED else 1
    bits = 8 * nbytes
    signed = (ty >> 4) == L.TK_S
    is_pred = ty == L.TY_PRED
    for lane in range(32):
        if not (mask >> lane) & 1:
            continue
        t = base + lane
        a = rd(okind, oval, regs, T, s, t, lane, w, sreg)
        b = rd(okind, oval, regs, T, s + 1, t, lane, w, sreg) if ns > 1 else np.int64(0)
        c = rd(okind, oval, regs, T, s + 2, t, lane, w, sreg) if ns > 2 else np.int64(0)
        if signed:
            a = sext(a, nbytes)
            b = sext(b, nbytes)
            c = sext(c, nbytes)
        else:
            a = zext(a, nbytes)
            b = zext(b, nbytes)
            c = zext(c, nbytes)
        if op == OP_ADD:
            r = a + b
            if (flags & L.FL_SAT) != 0 and signed:
                r = max(min(r, np.int64(0x7FFFFFFF)), np.int64(-0x80000000))
        elif op == OP_SUB:
            r = a - b
            if (flags & L.FL_SAT) != 0 and signed:
                r = max(min(r, np.int64(0x7FFFFFFF)), np.int64(-0x80000000))
        elif op == OP_MUL or op == OP_MAD:
            if sub == L.MUL_WIDE:
                r = a * b                          # operands <= 32 bits: exact in int64
            elif sub == L.MUL_HI:
                if nbytes == 8:
                    r = mulhi_s64(a, b) if signed else mulhi_u64(a, b)
                else:
                    r = (a * b) >> bits
            else:
                r = a * b
            if op == OP_MAD:
                if sub == L.MUL_WIDE:                  # the addend of mad.wide is 64 bits wide
                    r = r + rd(okind, oval, regs, T, s + 2, t, lane, w, sreg)
                else:
                    r = r + c
                if (flags & L.FL_SAT) != 0 and signed:      # mad.hi.sat.s32
                    r = max(min(r, np.int64(0x7FFFFFFF)), np.int64(-0x80000000))
        elif op == OP_MUL24 or op == OP_MAD24:
            a24 = sext(a, 3) if signed else zext(a, 3)
            b24 = sext(b, 3) if signed else zext(b, 3)
            r = a24 * b24
            if sub == L.MUL_HI:
                r = r >> 16
            if op == OP_MAD24:
                r = r + c
                if (flags & L.FL_SAT) != 0 and signed:      # mad24.hi.sat.s32
                    r = max(min(r, np.int64(0x7FFFFFFF)), np.int64(-0x80000000))
        elif op == OP_SAD:
            r = c + (a - b if a > b else b - a) if signed else c + (a - b if ult(b, a) else b - a)
        elif op == OP_DIV:
            r = div_int(a, b, nbytes, signed, bool(False))
        elif op == OP_REM:
            r = div_int(a, b, nbytes, signed, bool(True))
        elif op == OP_ABS:
            r = abs(a)
        elif op == OP_NEG:
            r = -a
        elif op == OP_MIN:
            r = (a if a < b else b) if signed else (a if ult(a, b) else b)
        elif op == OP_MAX:
            r = (a if a > b else b) if signed else (b if ult(a, b) else a)
        elif op == OP_AND:
            r = a & b
        elif op == OP_OR:
            r = a | b
        elif op == OP_XOR:
            r = a ^ b
        elif op == OP_NOT:
            r = ~a
        elif op == OP_CNOT:
            r = np.int64(1) if zext(a, nbytes) == 0 else np.int64(0)
        elif op == OP_SHL:
            # the shift amount is a u32 whatever the type: read it unextended (b was cut to 16 bits for .b16)
            sh = zext(rd(okind, oval, regs, T, s + 1, t, lane, w, sreg), 4)
            r = a << sh if sh < bits else np.int64(0)
        elif op == OP_SHR:
            sh = zext(rd(okind, oval, regs, T, s + 1, t, lane, w, sreg), 4)
            if signed:
                r = a >> (sh if sh < bits else bits - 1)
            else:
                r = np.int64(np.uint64(a) >> np.uint64(sh)) if sh < bits else np.int64(0)
        elif op == OP_SHF:
            # shf.{l,r}.{clamp,wrap}.b32 d, a, b, c: funnel shift of b:a by c
            sh = zext(c, 4)
            if sub == L.SHF_L_WRAP or sub == L.SHF_R_WRAP:
                sh = sh & 31
            elif sh > 32:
                sh = 32
            pair = (zext(b, 4) << 32) | zext(a, 4)
            if sub == L.SHF_L_CLAMP or sub == L.SHF_L_WRAP:
                r = (pair << sh) >> 32
            else:
                r = np.int64(np.uint64(pair) >> np.uint64(sh))
        elif op == OP_POPC:
            r = np.int64(popc32(a) + (popc32(a >> 32) if nbytes == 8 else 0))
        elif op == OP_CLZ:
            x = zext(a, nbytes)
            n = 0
            while n < bits and not (x >> (bits - 1 - n)) & 1:
                n += 1
            r = np.int64(n)
        elif op == OP_BFIND:
            x = a
            if signed and x < 0:
                x = ~x
            x = zext(x, nbytes)
            r = np.int64(-1) & 0xFFFFFFFF
            for k in range(bits - 1, -1, -1):
                if (x >> k) & 1:
                    r = np.int64(k) if sub == 0 else np.int64(bits - 1 - k)    # sub 1: .shiftamt
                    break
        elif op == OP_BREV:
            x = zext(a, nbytes)
            r = np.int64(0)
            for k in range(bits):
                if (x >> k) & 1:
                    r |= np.int64(1) << (bits - 1 - k)
        elif op == OP_BFE:
            # bfe d, a, b(pos), c(len): pos and len are taken modulo 256 (bits 0..7)
            pos = rd(okind, oval, regs, T, s + 1, t, lane, w, sreg) & 0xFF
            ln = rd(okind, oval, regs, T, s + 2, t, lane, w, sreg) & 0xFF
            if ln == 0:
                r = np.int64(0)
            else:
                if pos >= bits:
                    field = (a >> (bits - 1)) if signed else np.int64(0)
                    r = np.int64(-1) if (signed and field != 0) else np.int64(0)
                else:
                    field = np.int64(np.uint64(zext(a, nbytes)) >> np.uint64(pos))
                    if ln < 64:
                        field = field & ((np.int64(1) << ln) - 1)
                    r = field
                    if signed:
                        sbit_pos = min(pos + ln - 1, bits - 1)
                        if (a >> sbit_pos) & 1:
                            width = min(ln, bits - pos)
                            r = field | (np.int64(-1) << width) if width < 64 else field
        elif op == OP_BFI:
            # bfi d, a(insert), b(base), c(pos), len (4th operand)
            pos = c & 0xFF
            ln = rd(okind, oval, regs, T, s + 3, t, lane, w, sreg) & 0xFF
            r = b
            for k in range(ln):
                if pos + k >= bits:
                    break
                bit = (a >> k) & 1
                r = (r & ~(np.int64(1) << (pos + k))) | (bit << (pos + k))
        elif op == OP_PRMT:
            # default mode: each selector nibble of c picks a byte of b:a; bit 3 replicates its sign
            src = (zext(b, 4) << 32) | zext(a, 4)
            r = np.int64(0)
            for k in range(4):
                sel = (c >> (4 * k)) & 0xF
                byte = (src >> (8 * (sel & 7))) & 0xFF
                if sel & 8:
                    byte = 0xFF if byte & 0x80 else 0
                r |= byte << (8 * k)
        else:
            r = np.int64(0)
        if is_pred:
            r = r & 1
        wr(okind, oval, regs, T, d, t, r)


@njit(cache=True, error_model="numpy", _nrt=False)
def exec_testp_copysign_f(op, sub, ty, code, pc, okind, oval, of, regs, T, base, mask):
    s = code[pc, L.F_SRC]
    d = code[pc, L.F_DST]
    for lane in range(32):
        if not (mask >> lane) & 1:
            continue
        t = base + lane
        if ty == L.TY_F32:
            x = np.float64(rd_f32(okind, oval, of, regs, T, s, t))
            tiny = 1.1754943508222875e-38
        else:
            x = rd_f64(okind, oval, of, regs, T, s, t)
            tiny = 2.2250738585072014e-308
        if sub == L.TESTP_FINITE:
            r = math.isfinite(x)
        elif sub == L.TESTP_INFINITE:
            r = math.isinf(x)
        elif sub == L.TESTP_NUMBER:
            r = x == x
        elif sub == L.TESTP_NOTANUMBER:
            r = x != x
        elif sub == L.TESTP_NORMAL:
            # PTX: "as a special case, positive and negative zero are considered normal numbers"
            r = math.isfinite(x) and (abs(x) >= tiny or x == 0.0)
        else:
            r = x != 0.0 and abs(x) < tiny
        wr(okind, oval, regs, T, d, t, np.int64(1) if r else np.int64(0))


# ================================================================= compare, select, convert, move
@njit(cache=True, error_model="numpy", _nrt=False)
def rd_number(okind, oval, of, regs, T, i, t, lane, w, sreg, ty):
    """Operand i decoded to (float64 value, int64 value) per its type."""
    kind = ty >> 4
    if ty == L.TY_F32:
        return np.float64(rd_f32(okind, oval, of, regs, T, i, t)), np.int64(0)
    if ty == L.TY_F64:
        return rd_f64(okind, oval, of, regs, T, i, t), np.int64(0)
    if ty == L.TY_F16:
        return np.float64(f32_from_bits(S.f16_to_f32(rd(okind, oval, regs, T, i, t, lane, w, sreg) & 0xFFFF))), np.int64(0)
    if ty == L.TY_BF16:
        return np.float64(f32_from_bits(S.bf16_to_f32(rd(okind, oval, regs, T, i, t, lane, w, sreg) & 0xFFFF))), np.int64(0)
    v = rd(okind, oval, regs, T, i, t, lane, w, sreg)
    nbytes = 1 << (ty & 15)
    if kind == L.TK_S:
        return 0.0, sext(v, nbytes)
    return 0.0, zext(v, nbytes)


@njit(cache=True, error_model="numpy", _nrt=False)
def exec_compare(op, ty, code, pc, okind, oval, of, regs, T, base, mask, w, sreg):
    s = code[pc, L.F_SRC]
    d = code[pc, L.F_DST]
    nd = code[pc, L.F_NDST]
    cmp = code[pc, L.F_SUB]
    boolop = code[pc, L.F_AUX]
    ty2 = code[pc, L.F_TY2]
    for lane in range(32):
        if not (mask >> lane) & 1:
            continue
        t = base + lane
        if op == OP_SELP:
            c = rd(okind, oval, regs, T, s + 2, t, lane, w, sreg) & 1
            wr(okind, oval, regs, T, d, t, rd(okind, oval, regs, T, s if c else s + 1, t, lane, w, sreg))
            continue
        if op == OP_SLCT:
            cf, ci = rd_number(okind, oval, of, regs, T, s + 2, t, lane, w, sreg, ty2)
            take_a = (cf >= 0.0) if ty2 == L.TY_F32 else (ci >= 0)
            wr(okind, oval, regs, T, d, t, rd(okind, oval, regs, T, s if take_a else s + 1, t, lane, w, sreg))
            continue
        cty = ty if op == OP_SETP else ty2
        is_float = cty == L.TY_F32 or cty == L.TY_F64 or cty == L.TY_F16 or cty == L.TY_BF16
        ftz = (code[pc, L.F_FLAGS] & L.FL_FTZ) != 0
        if cty == L.TY_F16X2 or cty == L.TY_BF16X2:
            # setp.f16x2 p|q, a, b: p compares the lower halves, q the upper halves (PTX ISA)
            av = rd(okind, oval, regs, T, s, t, lane, w, sreg)
            bv = rd(okind, oval, regs, T, s + 1, t, lane, w, sreg)
            r = False
            q = False
            for k in range(2):
                ah = (av >> (16 * k)) & 0xFFFF
                bh = (bv >> (16 * k)) & 0xFFFF
                if cty == L.TY_F16X2:
                    x = np.float64(f32_from_bits(S.f16_to_f32(ah)))
                    y = np.float64(f32_from_bits(S.f16_to_f32(bh)))
                    if ftz:
                        x = 0.0 if abs(x) < 6.103515625e-05 else x
                        y = 0.0 if abs(y) < 6.103515625e-05 else y
                else:
                    x = np.float64(f32_from_bits(S.bf16_to_f32(ah)))
                    y = np.float64(f32_from_bits(S.bf16_to_f32(bh)))
                if k == 0:
                    r = compare_call(x, y, cmp, True, False)
                else:
                    q = compare_call(x, y, cmp, True, False)
        else:
            af, ai = rd_number(okind, oval, of, regs, T, s, t, lane, w, sreg, cty)
            bf, bi = rd_number(okind, oval, of, regs, T, s + 1, t, lane, w, sreg, cty)
            if ftz and (cty == L.TY_F32 or cty == L.TY_F16):
                # .ftz: subnormal inputs compare as (sign-preserving) zeros
                tiny = 1.1754943508222875e-38 if cty == L.TY_F32 else 6.103515625e-05
                af = 0.0 if abs(af) < tiny else af
                bf = 0.0 if abs(bf) < tiny else bf
            if is_float:
                r = compare_call(af, bf, cmp, True, False)
            else:
                r = compare_call(ai, bi, cmp, False, (cty >> 4) != L.TK_S)
            q = not r
        if boolop != L.BOOL_NONE:
            c = (rd(okind, oval, regs, T, s + 2, t, lane, w, sreg) & 1) == 1
            if boolop == L.BOOL_AND:
                r, q = r and c, q and c
            elif boolop == L.BOOL_OR:
                r, q = r or c, q or c
            else:
                r, q = r != c, q != c
        if op == OP_SETP:
            wr(okind, oval, regs, T, d, t, np.int64(1) if r else np.int64(0))
            if nd > 1:
                wr(okind, oval, regs, T, d + 1, t, np.int64(1) if q else np.int64(0))
        else:  # set: 0xFFFFFFFF / 1.0f for true, 0 for false
            if ty == L.TY_F32:
                wr(okind, oval, regs, T, d, t, np.int64(0x3F800000) if r else np.int64(0))
            else:
                wr(okind, oval, regs, T, d, t, np.int64(0xFFFFFFFF) if r else np.int64(0))


@njit(cache=True, error_model="numpy", _nrt=False)
def convert_one(v, dty, sty, rnd, flags):
    """cvt of one value (raw bits in, raw bits out)."""
    ftz = (flags & L.FL_FTZ) != 0
    sat = (flags & L.FL_SAT) != 0
    relu = (flags & L.FL_RELU) != 0
    satfinite = (flags & L.FL_SATFINITE) != 0
    dkind = dty >> 4
    skind = sty >> 4
    dn = 1 << (dty & 15) if dty != L.TY_TF32 else 4
    sn = 1 << (sty & 15) if sty != L.TY_TF32 else 4
    s_float = sty == L.TY_F32 or sty == L.TY_F64 or sty == L.TY_F16 or sty == L.TY_BF16
    d_float = dty == L.TY_F32 or dty == L.TY_F64 or dty == L.TY_F16 or dty == L.TY_BF16 or dty == L.TY_TF32
    mode = rnd if rnd >= 0 else L.RND_RN
    if not s_float and not d_float:
        # integer -> integer: extend per source signedness, then truncate (or saturate)
        x = sext(v, sn) if skind == L.TK_S else zext(v, sn)
        if sat:
            dbits = 8 * dn
            if dkind == L.TK_S:
                hi = (np.int64(1) << (dbits - 1)) - 1 if dbits < 64 else np.int64(0x7FFFFFFFFFFFFFFF)
                lo = -hi - 1
                if skind != L.TK_S and (x < 0 or x > hi):
                    x = hi
                elif x > hi:
                    x = hi
                elif x < lo:
                    x = lo
            else:
                if skind == L.TK_S and x < 0:
                    x = np.int64(0)
                elif dbits < 64 and (x > (np.int64(1) << dbits) - 1 or (skind != L.TK_S and x < 0)):
                    x = (np.int64(1) << dbits) - 1
        return sext(x, dn) if dkind == L.TK_S else zext(x, dn)
    if not s_float:
        # integer -> float
        if dty == L.TY_F64:
            return int_to_float_bits(v, skind == L.TK_S, sn, mode, bool(True))
        fbits = int_to_float_bits(v, skind == L.TK_S, sn, mode, bool(False))
        if dty == L.TY_F32:
            return fbits
        x64 = int_to_float_bits(v, skind == L.TK_S, sn, L.RND_RZ, bool(True))
        if int_to_float_bits(v, skind == L.TK_S, sn, L.RND_RP, bool(True)) != \
                int_to_float_bits(v, skind == L.TK_S, sn, L.RND_RM, bool(True)):
            # inexact in f64 (64-bit integers): round to odd, so that the rounding to f16/bf16
            # below is the only one (truncation alone loses the sticky bits: double rounding)
            x64 |= 1
        if dty == L.TY_F16:
            return np.int64(S.f64_to_f16(x64, mode, int(0)))
        return np.int64(S.f64_to_bf16(x64, mode, int(0)))
    # decode the float source
    if sty == L.TY_F32:
        x = np.float64(f32_from_bits(v))
        if ftz:
            x = np.float64(flush_f32(np.float32(x)))
    elif sty == L.TY_F64:
        x = f64_from_bits(v)
    elif sty == L.TY_F16:
        x = np.float64(f32_from_bits(S.f16_to_f32(v & 0xFFFF)))
    else:
        x = np.float64(f32_from_bits(S.bf16_to_f32(v & 0xFFFF)))
    if not d_float:
        if x != x and (sty == L.TY_F64 or dn == 8):
            # PTX: NaN -> 0, except from .f64 or to .s64/.u64: 1 << (width - 1) (MININT / MAXINT/2 + 1)
            nan_int = np.int64(1) << (8 * dn - 1)
            return sext(nan_int, dn) if dkind == L.TK_S else nan_int
        return float_to_int(x, dn, dkind == L.TK_S, rnd if rnd >= 0 else L.RND_RZ + L.RND_IS_INTEGER)
    # float -> float
    if rnd >= L.RND_IS_INTEGER:
        x = round_float_to_integral(x, rnd)
        mode = L.RND_RN
    satmode = SAT_UNIT if sat else (SAT_FINITE if satfinite else 0)
    if relu:
        satmode |= SAT_RELU
    if dty == L.TY_F64:
        r = sat_f64(x) if sat else x
        if r != r:
            return np.int64(0x7FFFFFFFFFFFFFFF) if sty != L.TY_F64 else v
        return f64_to_bits(r)
    if dty == L.TY_F32:
        if sty == L.TY_F64:
            return np.int64(S.f64_to_f32(f64_to_bits(x), mode, ftz, 1 if sat else 0)) & 0xFFFFFFFF
        r32 = np.float32(x)
        if ftz:
            r32 = flush_f32(r32)
        if sat:
            r32 = sat_f32(r32)
        if r32 != r32:
            return np.int64(0x7FFFFFFF)
        return f32_to_bits(r32)
    if dty == L.TY_F16:
        if sty == L.TY_F64:
            return np.int64(S.f64_to_f16(f64_to_bits(x), mode, satmode))
        return np.int64(S.f32_to_f16(f32_to_bits(np.float32(x)), mode, ftz, satmode))
    if dty == L.TY_BF16:
        if sty == L.TY_F64:
            return np.int64(S.f64_to_bf16(f64_to_bits(x), mode, satmode))
        return np.int64(S.f32_to_bf16(f32_to_bits(np.float32(x)), mode, ftz, satmode))
    return np.int64(S.f32_to_tf32(f32_to_bits(np.float32(x)), mode, satmode)) & 0xFFFFFFFF


@njit(cache=True, error_model="numpy", _nrt=False)
def exec_convert(op, ty, rnd, flags, code, pc, okind, oval, regs, T, base, mask, w, sreg):
    s = code[pc, L.F_SRC]
    d = code[pc, L.F_DST]
    ns = code[pc, L.F_NSRC]
    nd = code[pc, L.F_NDST]
    sub = code[pc, L.F_SUB]
    width = code[pc, L.F_WIDTH]
    ty2 = code[pc, L.F_TY2]
    space = code[pc, L.F_SPACE]
    for lane in range(32):
        if not (mask >> lane) & 1:
            continue
        t = base + lane
        if op == OP_MOV:
            if sub == L.MOV_PLAIN:
                wr(okind, oval, regs, T, d, t, rd(okind, oval, regs, T, s, t, lane, w, sreg))
            elif sub == L.MOV_PACK:
                ebits = 8 * width // ns
                r = np.int64(0)
                for k in range(ns):
                    r |= zext(rd(okind, oval, regs, T, s + k, t, lane, w, sreg), ebits // 8) << (ebits * k)
                wr(okind, oval, regs, T, d, t, r)
            else:
                ebits = 8 * width // nd
                v = rd(okind, oval, regs, T, s, t, lane, w, sreg)
                for k in range(nd):
                    wr(okind, oval, regs, T, d + k, t, zext(v >> (ebits * k), ebits // 8))
        elif op == OP_CVTA:
            v = rd(okind, oval, regs, T, s, t, lane, w, sreg)
            if sub == L.CVTA_TO_GENERIC:
                if space == L.SP_SHARED:
                    v = v + L.SHARED_WINDOW
                elif space == L.SP_LOCAL:
                    v = v + L.LOCAL_WINDOW
            else:
                if space == L.SP_SHARED and v >= L.SHARED_WINDOW and v < L.SHARED_WINDOW + L.WINDOW_SIZE:
                    v = v - L.SHARED_WINDOW
                elif space == L.SP_LOCAL and v >= L.LOCAL_WINDOW and v < L.LOCAL_WINDOW + L.WINDOW_SIZE:
                    v = v - L.LOCAL_WINDOW
            if width == 4:
                v = zext(v, 4)
            wr(okind, oval, regs, T, d, t, v)
        else:  # cvt
            if (ty == L.TY_F16X2 or ty == L.TY_BF16X2) and ns == 2:
                # cvt.rn.f16x2.f32 d, a, b: a goes to the upper half, b to the lower
                half_ty = L.TY_F16 if ty == L.TY_F16X2 else L.TY_BF16
                hi = convert_one(rd(okind, oval, regs, T, s, t, lane, w, sreg), half_ty, ty2, rnd, flags)
                lo = convert_one(rd(okind, oval, regs, T, s + 1, t, lane, w, sreg), half_ty, ty2, rnd, flags)
                wr(okind, oval, regs, T, d, t, (zext(hi, 2) << 16) | zext(lo, 2))
            else:
                wr(okind, oval, regs, T, d, t,
                   convert_one(rd(okind, oval, regs, T, s, t, lane, w, sreg), ty, ty2, rnd, flags))


# ================================================================= memory
@njit(cache=True, error_model="numpy", _nrt=False)
def resolve(space, addr, size, t, mlay, valid):
    """Byte offset in the memory buffer of [addr, addr+size) in a state space, and the space
    it resolved to (generic addresses pick their window). Offset -1: out of bounds."""
    if space == L.SP_GENERIC:
        if addr >= L.SHARED_WINDOW and addr < L.SHARED_WINDOW + L.WINDOW_SIZE:
            space = L.SP_SHARED
            addr = addr - L.SHARED_WINDOW
        elif addr >= L.LOCAL_WINDOW and addr < L.LOCAL_WINDOW + L.WINDOW_SIZE:
            space = L.SP_LOCAL
            addr = addr - L.LOCAL_WINDOW
        else:
            space = L.SP_GLOBAL
    if space == L.SP_GLOBAL or space == L.SP_CONST:
        off = addr - L.GLOBAL_BASE
        if off < 0 or off + size > mlay[ML_HEAP_SIZE] or valid[off] == 0 or valid[off + size - 1] == 0:
            return np.int64(-1), space
        return off, space
    if space == L.SP_SHARED:
        if addr < 0 or addr + size > mlay[ML_SHARED_SIZE]:
            return np.int64(-1), space
        return mlay[ML_SHARED_BASE] + addr, space
    if space == L.SP_LOCAL:
        if addr < 0 or addr + size > mlay[ML_LOCAL_SIZE]:
            return np.int64(-1), space
        return mlay[ML_LOCAL_BASE] + t * mlay[ML_LOCAL_SIZE] + addr, space
    if addr < 0 or addr + size > mlay[ML_PARAM_SIZE]:
        return np.int64(-1), space
    return mlay[ML_PARAM_BASE] + addr, space


@njit(cache=True, error_model="numpy", _nrt=False)
def load(mem, m16, m32, m64, off, nbytes):
    if nbytes == 4:
        return np.int64(m32[off >> 2])
    if nbytes == 8:
        return m64[off >> 3]
    if nbytes == 2:
        return np.int64(m16[off >> 1])
    return np.int64(mem[off])


@njit(cache=True, error_model="numpy", _nrt=False)
def store(mem, m16, m32, m64, off, nbytes, value):
    if nbytes == 4:
        m32[off >> 2] = np.uint32(value & 0xFFFFFFFF)
    elif nbytes == 8:
        m64[off >> 3] = value
    elif nbytes == 2:
        m16[off >> 1] = np.uint16(value & 0xFFFF)
    else:
        mem[off] = np.uint8(value & 0xFF)


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
def atomic_apply(sub, ty, old, b, c):
    """New memory value of an atomic read-modify-write (raw bits in and out)."""
    nbytes = 1 << (ty & 15)
    if ty == L.TY_F32:
        x = f32_from_bits(old)
        y = f32_from_bits(b)
        if sub == L.ATOM_ADD:
            return f32_to_bits(x + y)
        if sub == L.ATOM_MIN:
            return f32_to_bits(np.float32(fmin_ptx(x, y, bool(False))))
        if sub == L.ATOM_MAX:
            return f32_to_bits(np.float32(fmax_ptx(x, y, bool(False))))
    elif ty == L.TY_F64:
        x = f64_from_bits(old)
        y = f64_from_bits(b)
        if sub == L.ATOM_ADD:
            return f64_to_bits(x + y)
        if sub == L.ATOM_MIN:
            return f64_to_bits(fmin_ptx(x, y, bool(False)))
        if sub == L.ATOM_MAX:
            return f64_to_bits(fmax_ptx(x, y, bool(False)))
    elif ty == L.TY_F16 and sub == L.ATOM_ADD:
        return np.int64(S.f16_add(old & 0xFFFF, b & 0xFFFF, L.RND_RN, bool(False), int(0)))
    elif ty == L.TY_BF16 and sub == L.ATOM_ADD:
        return np.int64(S.bf16_add(old & 0xFFFF, b & 0xFFFF, L.RND_RN, bool(False), int(0)))
    signed = (ty >> 4) == L.TK_S
    if sub == L.ATOM_ADD:
        return old + b
    if sub == L.ATOM_EXCH:
        return b
    if sub == L.ATOM_CAS:
        return c if zext(old, nbytes) == zext(b, nbytes) else old
    if sub == L.ATOM_AND:
        return old & b
    if sub == L.ATOM_OR:
        return old | b
    if sub == L.ATOM_XOR:
        return old ^ b
    if sub == L.ATOM_INC:
        uo = zext(old, nbytes)
        return np.int64(0) if not ult(uo, zext(b, nbytes)) else uo + 1
    if sub == L.ATOM_DEC:
        uo = zext(old, nbytes)
        return zext(b, nbytes) if uo == 0 or ult(zext(b, nbytes), uo) else uo - 1
    if signed:
        x = sext(old, nbytes)
        y = sext(b, nbytes)
        if sub == L.ATOM_MIN:
            return x if x < y else y
        return x if x > y else y
    x = zext(old, nbytes)
    y = zext(b, nbytes)
    if sub == L.ATOM_MIN:
        return x if ult(x, y) else y
    return y if ult(x, y) else x


@njit(cache=True, error_model="numpy", _nrt=False)
def exec_atomic(pc, op, ty, code, okind, oval, regs, T, base, mask, w, sreg,
                mem, m16, m32, m64, valid, mlay, stats, err):
    s = code[pc, L.F_SRC]
    d = code[pc, L.F_DST]
    ns = code[pc, L.F_NSRC]
    nbytes = code[pc, L.F_WIDTH]
    offset = code[pc, L.F_OFFSET]
    space = code[pc, L.F_SPACE]
    sub = code[pc, L.F_SUB]
    signed = (ty >> 4) == L.TK_S
    for lane in range(32):
        if not (mask >> lane) & 1:
            continue
        t = base + lane
        addr = rd(okind, oval, regs, T, s, t, lane, w, sreg) + offset
        off, used = resolve(space, addr, nbytes, t, mlay, valid)
        if off < 0:
            fault(err, L.ERR_OUT_OF_BOUNDS, pc, t, addr, used, nbytes, int(1))
            return False
        if off % nbytes != 0:
            fault(err, L.ERR_MISALIGNED, pc, t, addr, used, nbytes, int(1))
            return False
        b = rd(okind, oval, regs, T, s + 1, t, lane, w, sreg)
        c = rd(okind, oval, regs, T, s + 2, t, lane, w, sreg) if ns > 2 else np.int64(0)
        old = load(mem, m16, m32, m64, off, nbytes)
        store(mem, m16, m32, m64, off, nbytes, atomic_apply(sub, ty, old, b, c))
        if op == OP_ATOM:
            wr(okind, oval, regs, T, d, t, sext(old, nbytes) if signed else old)
    stats[ST_ATOMICS] += 1
    return True


# ================================================================= warp-level
@njit(cache=True, error_model="numpy", _nrt=False)
def exec_warp_op(op, code, pc, okind, oval, regs, T, base, mask, w, sreg, nthreads, tmp):
    s = code[pc, L.F_SRC]
    d = code[pc, L.F_DST]
    nd = code[pc, L.F_NDST]
    sub = code[pc, L.F_SUB]
    if op == OP_ACTIVEMASK:
        for lane in range(32):
            if (mask >> lane) & 1:
                wr(okind, oval, regs, T, d, base + lane, mask)
        return
    if op == OP_SHFL:
        # shfl.sync.mode.b32 d[|p], a, b, c, membermask (PTX ISA pseudo-code)
        for lane in range(32):
            t = base + lane
            tmp[lane] = regs[oval[s] * T + t] if (okind[s] == L.OK_REG and t < nthreads) else \
                (oval[s] if okind[s] == L.OK_IMM else np.int64(0))
        for lane in range(32):
            if not (mask >> lane) & 1:
                continue
            t = base + lane
            bval = rd(okind, oval, regs, T, s + 1, t, lane, w, sreg) & 0x1F     # PTX: bval = b[4:0]
            cval = rd(okind, oval, regs, T, s + 2, t, lane, w, sreg)
            clamp = cval & 0x1F
            segmask = (cval >> 8) & 0x1F
            max_lane = (lane & segmask) | (clamp & ~segmask)
            min_lane = lane & segmask
            if sub == L.SHFL_UP:
                j = lane - bval
                ok = j >= max_lane
            elif sub == L.SHFL_DOWN:
                j = lane + bval
                ok = j <= max_lane
            elif sub == L.SHFL_BFLY:
                j = lane ^ bval
                ok = j <= max_lane
            else:
                j = min_lane | (bval & 0x1F & ~segmask)
                ok = j <= max_lane
            if not ok:
                j = lane
            wr(okind, oval, regs, T, d, t, tmp[j & 31])
            if nd > 1:
                wr(okind, oval, regs, T, d + 1, t, np.int64(1) if ok else np.int64(0))
        return
    if op == OP_VOTE:
        ballot = np.int64(0)
        for lane in range(32):
            if (mask >> lane) & 1:
                if rd(okind, oval, regs, T, s, base + lane, lane, w, sreg) & 1:
                    ballot |= np.int64(1) << lane
        for lane in range(32):
            if not (mask >> lane) & 1:
                continue
            if sub == L.VOTE_BALLOT:
                r = ballot
            elif sub == L.VOTE_ALL:
                r = np.int64(1) if ballot == mask else np.int64(0)
            elif sub == L.VOTE_ANY:
                r = np.int64(1) if ballot != 0 else np.int64(0)
            else:
                r = np.int64(1) if (ballot == 0 or ballot == mask) else np.int64(0)
            wr(okind, oval, regs, T, d, base + lane, r)
        return
    if op == OP_REDUX:
        ty = code[pc, L.F_TY]
        signed = (ty >> 4) == L.TK_S
        acc = np.int64(0)
        first = True
        for lane in range(32):
            if not (mask >> lane) & 1:
                continue
            v = rd(okind, oval, regs, T, s, base + lane, lane, w, sreg)
            v = sext(v, 4) if signed else zext(v, 4)
            if first:
                acc = v
                first = False
            elif sub == L.REDUX_ADD:
                acc = acc + v
            elif sub == L.REDUX_MIN:
                acc = min(acc, v)
            elif sub == L.REDUX_MAX:
                acc = max(acc, v)
            elif sub == L.REDUX_AND:
                acc = acc & v
            elif sub == L.REDUX_OR:
                acc = acc | v
            else:
                acc = acc ^ v
        for lane in range(32):
            if (mask >> lane) & 1:
                wr(okind, oval, regs, T, d, base + lane, zext(acc, 4))
        return
    # match.any / match.all .b32/.b64
    nbytes = code[pc, L.F_WIDTH]
    for lane in range(32):
        if (mask >> lane) & 1:
            tmp[lane] = zext(rd(okind, oval, regs, T, s, base + lane, lane, w, sreg), nbytes)
    for lane in range(32):
        if not (mask >> lane) & 1:
            continue
        same = np.int64(0)
        for k in range(32):
            if (mask >> k) & 1 and tmp[k] == tmp[lane]:
                same |= np.int64(1) << k
        if sub == 1:
            allsame = same == mask
            wr(okind, oval, regs, T, d, base + lane, mask if allsame else np.int64(0))
            if nd > 1:
                wr(okind, oval, regs, T, d + 1, base + lane, np.int64(1) if allsame else np.int64(0))
        else:
            wr(okind, oval, regs, T, d, base + lane, same)



@njit(cache=True, error_model="numpy", _nrt=False)
def exec_carry(op, sub, ty, flags, code, pc, okind, oval, regs, T, base, mask, w, sreg):
    """Extended-precision integer arithmetic through the carry flag: add.cc, addc, sub.cc, subc,
    mad{.lo,.hi}.cc, madc (u32/s32/u64/s64). Subtraction is a + ~b + 1 (carry out = no borrow),
    as the PTX ISA defines it."""
    s = code[pc, L.F_SRC]
    d = code[pc, L.F_DST]
    cc = code[pc, L.F_AUX]
    nbytes = 1 << (ty & 15)
    bits = 8 * nbytes
    write_cc = (flags & L.FL_CC) != 0
    for lane in range(32):
        if not (mask >> lane) & 1:
            continue
        t = base + lane
        a = np.uint64(zext(rd(okind, oval, regs, T, s, t, lane, w, sreg), nbytes))
        b = np.uint64(zext(rd(okind, oval, regs, T, s + 1, t, lane, w, sreg), nbytes))
        carry_in = np.uint64(regs[cc * T + t] & 1) if (op == OP_ADDC or op == OP_SUBC or op == OP_MADC) \
            else np.uint64(0)
        if op == OP_SUB or op == OP_SUBC:
            b = np.uint64(zext(np.int64(~b), nbytes))
            if op == OP_SUB:
                carry_in = np.uint64(1)
        elif op == OP_MAD or op == OP_MADC:
            c = np.uint64(zext(rd(okind, oval, regs, T, s + 2, t, lane, w, sreg), nbytes))
            if sub == L.MUL_HI:
                if nbytes == 8:
                    prod = np.uint64(mulhi_u64(np.int64(a), np.int64(b)))
                else:
                    prod = (a * b) >> np.uint64(32)
            else:
                prod = np.uint64(zext(np.int64(a * b), nbytes))
            a = prod
            b = c
        lo = np.uint64(zext(np.int64(a + b), nbytes))
        total = np.uint64(zext(np.int64(lo + carry_in), nbytes))
        if bits == 32:
            carry_out = ((a + b + carry_in) >> np.uint64(32)) != np.uint64(0)
        else:
            carry_out = (lo < a) or (total < lo)
        wr(okind, oval, regs, T, d, t, np.int64(total))
        if write_cc:
            regs[cc * T + t] = 1 if carry_out else 0

# ================================================================= fast paths
# The semantic functions above read operands lane by lane; that is the readable
# definition but costs ~1-2 µs per warp instruction. The hottest instructions
# instead compute over whole 32-lane rows: a register's 32 lanes are contiguous
# in ``regs``, so operands are read where they live and, when all 32 lanes are
# active, the result is written straight into the destination register.
# Immediates, negated predicates and results under a partial mask go through
# N_SCRATCH rows at the end of ``regs`` (one array for everything, so every
# loop is a plain row-to-row loop that LLVM vectorises). Offsets are unsigned
# so that numba adds no negative-index wraparound. The small helpers are
# inline="always": an out-of-line numba call passes each array as several
# words and zeroes a return slot per call site on entry, which cost more than
# the row loops themselves (SGEMM 12.0 -> 13.0 M warp instructions/s for
# lane_offsets alone). Anything not handled here falls back to the
# definitions above; the semantic tests run through both.
@njit(cache=True, error_model="numpy", _nrt=False, inline="always")
def src_row(okind, oval, regs, T, i, base, row):
    """Offset in regs of operand i's 32 lanes for the warp starting at thread base: the register
    itself, or scratch row ``row`` filled with the immediate or the negated predicate."""
    k = okind[i]
    v = oval[i]
    if k == L.OK_REG and v >= 0:
        return np.uint64(v * T + base)
    o = np.uint64(regs.shape[0] - (N_SCRATCH - row) * 32)
    if k == L.OK_REG:
        p = np.uint64((-1 - v) * T + base)
        for lane in range(32):
            ul = np.uint64(lane)
            regs[o + ul] = 1 - (regs[p + ul] & 1)
    else:
        for lane in range(32):
            regs[o + np.uint64(lane)] = v
    return o


@njit(cache=True, error_model="numpy", _nrt=False)
def dst_row(okind, oval, regs, T, i, base, mask):
    """Offset in regs where a fast path writes destination i: the register itself when all 32
    lanes write it, else the last scratch row (``commit`` then copies the active lanes).
    A result is computed in one pass, lane by lane, so it may overwrite a source row."""
    if mask == FULL and okind[i] == L.OK_REG:
        return np.uint64(oval[i] * T + base)
    return np.uint64(regs.shape[0] - 32)


@njit(cache=True, error_model="numpy", _nrt=False, inline="always")
def commit(okind, oval, regs, T, i, base, mask, o):
    """Finish a result written at ``dst_row``: copy its active lanes from scratch into the register."""
    if mask == FULL or okind[i] != L.OK_REG:
        return
    r = np.uint64(oval[i] * T + base)
    for lane in range(32):
        if (mask >> lane) & 1:
            ul = np.uint64(lane)
            regs[r + ul] = regs[o + ul]


@njit(cache=True, error_model="numpy", _nrt=False)
def extend(x, sh, signed):
    """The low 64 - sh bits of x, sign- or zero-extended (sh = 64 - 8 * bytes)."""
    if signed:
        return (x << sh) >> sh
    return np.int64(np.uint64(x << sh) >> np.uint64(sh))


@njit(cache=True, error_model="numpy", _nrt=False)
def exec_fast(op, code, pc, okind, oval, regs, T, base, mask):
    """Execute the instruction if it is one of the hot, simple cases; return whether it did."""
    ty = code[pc, L.F_TY]
    flags = code[pc, L.F_FLAGS]
    if flags != 0 and flags != L.FL_UNI:
        return False
    s = code[pc, L.F_SRC]
    d = code[pc, L.F_DST]
    ns = code[pc, L.F_NSRC]
    kind = ty >> 4
    is_int = kind == L.TK_U or kind == L.TK_S or kind == L.TK_B
    if op == OP_MOV:
        if code[pc, L.F_SUB] != L.MOV_PLAIN or okind[s] == L.OK_SPECIAL:
            return False
        a = src_row(okind, oval, regs, T, s, base, 0)
        o = dst_row(okind, oval, regs, T, d, base, mask)
        for lane in range(32):
            ul = np.uint64(lane)
            regs[o + ul] = regs[a + ul]
        commit(okind, oval, regs, T, d, base, mask, o)
        return True
    if ns > 0:
        if okind[s] == L.OK_SPECIAL or (ns > 1 and okind[s + 1] == L.OK_SPECIAL) or \
                (ns > 2 and okind[s + 2] == L.OK_SPECIAL):
            return False
    if is_int and (op == OP_ADD or op == OP_SUB or op == OP_AND or op == OP_OR or op == OP_XOR
                   or op == OP_SHL or op == OP_SHR or op == OP_MUL or op == OP_MAD):
        sub = code[pc, L.F_SUB]
        if (op == OP_MUL or op == OP_MAD) and sub == L.MUL_HI:
            return False
        bits = 8 << (ty & 15)
        sh = 64 - bits
        signed = kind == L.TK_S
        a = src_row(okind, oval, regs, T, s, base, 0)
        b = src_row(okind, oval, regs, T, s + 1, base, 1)
        o = dst_row(okind, oval, regs, T, d, base, mask)
        if op == OP_ADD:
            for lane in range(32):
                ul = np.uint64(lane)
                regs[o + ul] = regs[a + ul] + regs[b + ul]
        elif op == OP_SUB:
            for lane in range(32):
                ul = np.uint64(lane)
                regs[o + ul] = regs[a + ul] - regs[b + ul]
        elif op == OP_AND:
            for lane in range(32):
                ul = np.uint64(lane)
                regs[o + ul] = regs[a + ul] & regs[b + ul]
        elif op == OP_OR:
            for lane in range(32):
                ul = np.uint64(lane)
                regs[o + ul] = regs[a + ul] | regs[b + ul]
        elif op == OP_XOR:
            for lane in range(32):
                ul = np.uint64(lane)
                regs[o + ul] = regs[a + ul] ^ regs[b + ul]
        elif op == OP_SHL:
            for lane in range(32):
                ul = np.uint64(lane)
                n = regs[b + ul] & 0xFFFFFFFF
                regs[o + ul] = regs[a + ul] << n if n < bits else 0
        elif op == OP_SHR:
            if signed:
                for lane in range(32):
                    ul = np.uint64(lane)
                    n = regs[b + ul] & 0xFFFFFFFF
                    regs[o + ul] = extend(regs[a + ul], sh, True) >> (n if n < bits else bits - 1)
            else:
                for lane in range(32):
                    ul = np.uint64(lane)
                    n = regs[b + ul] & 0xFFFFFFFF
                    x = np.uint64(extend(regs[a + ul], sh, False))
                    regs[o + ul] = np.int64(x >> np.uint64(n)) if n < bits else 0
        else:  # mul / mad, .lo or .wide
            if sub != L.MUL_WIDE:
                sh = 0
            if op == OP_MUL:
                for lane in range(32):
                    ul = np.uint64(lane)
                    regs[o + ul] = extend(regs[a + ul], sh, signed) * extend(regs[b + ul], sh, signed)
            else:
                c = src_row(okind, oval, regs, T, s + 2, base, 2)
                for lane in range(32):
                    ul = np.uint64(lane)
                    regs[o + ul] = extend(regs[a + ul], sh, signed) * extend(regs[b + ul], sh, signed) \
                        + regs[c + ul]
        commit(okind, oval, regs, T, d, base, mask, o)
        return True
    if ty == L.TY_F32 and (op == OP_ADD or op == OP_SUB or op == OP_MUL or op == OP_FMA or op == OP_MAD) \
            and code[pc, L.F_RND] <= L.RND_RN:
        a = src_row(okind, oval, regs, T, s, base, 0)
        b = src_row(okind, oval, regs, T, s + 1, base, 1)
        o = dst_row(okind, oval, regs, T, d, base, mask)
        if op == OP_ADD:
            for lane in range(32):
                ul = np.uint64(lane)
                regs[o + ul] = f32_canonical(f32_from_bits(regs[a + ul]) + f32_from_bits(regs[b + ul]))
        elif op == OP_SUB:
            for lane in range(32):
                ul = np.uint64(lane)
                regs[o + ul] = f32_canonical(f32_from_bits(regs[a + ul]) - f32_from_bits(regs[b + ul]))
        elif op == OP_MUL:
            for lane in range(32):
                ul = np.uint64(lane)
                regs[o + ul] = f32_canonical(f32_from_bits(regs[a + ul]) * f32_from_bits(regs[b + ul]))
        else:
            c = src_row(okind, oval, regs, T, s + 2, base, 2)
            for lane in range(32):
                ul = np.uint64(lane)
                regs[o + ul] = f32_canonical(fma_f32_rn(f32_from_bits(regs[a + ul]), f32_from_bits(regs[b + ul]),
                                                        f32_from_bits(regs[c + ul])))
        commit(okind, oval, regs, T, d, base, mask, o)
        return True
    if ty == L.TY_F64 and (op == OP_ADD or op == OP_SUB or op == OP_MUL) and code[pc, L.F_RND] <= L.RND_RN:
        a = src_row(okind, oval, regs, T, s, base, 0)
        b = src_row(okind, oval, regs, T, s + 1, base, 1)
        o = dst_row(okind, oval, regs, T, d, base, mask)
        if op == OP_ADD:
            for lane in range(32):
                ul = np.uint64(lane)
                regs[o + ul] = f64_canonical(f64_from_bits(regs[a + ul]) + f64_from_bits(regs[b + ul]))
        elif op == OP_SUB:
            for lane in range(32):
                ul = np.uint64(lane)
                regs[o + ul] = f64_canonical(f64_from_bits(regs[a + ul]) - f64_from_bits(regs[b + ul]))
        else:
            for lane in range(32):
                ul = np.uint64(lane)
                regs[o + ul] = f64_canonical(f64_from_bits(regs[a + ul]) * f64_from_bits(regs[b + ul]))
        commit(okind, oval, regs, T, d, base, mask, o)
        return True
    if op == OP_SELP:
        a = src_row(okind, oval, regs, T, s, base, 0)
        b = src_row(okind, oval, regs, T, s + 1, base, 1)
        c = src_row(okind, oval, regs, T, s + 2, base, 2)
        o = dst_row(okind, oval, regs, T, d, base, mask)
        for lane in range(32):
            ul = np.uint64(lane)
            regs[o + ul] = regs[a + ul] if regs[c + ul] & 1 else regs[b + ul]
        commit(okind, oval, regs, T, d, base, mask, o)
        return True
    if op == OP_SETP and code[pc, L.F_AUX] == L.BOOL_NONE and code[pc, L.F_NDST] == 1:
        cmp = code[pc, L.F_SUB]
        if is_int and cmp <= L.CMP_GE and not (kind != L.TK_S and cmp >= L.CMP_LT):
            sh = 64 - (8 << (ty & 15))
            signed = kind == L.TK_S
            a = src_row(okind, oval, regs, T, s, base, 0)
            b = src_row(okind, oval, regs, T, s + 1, base, 1)
            o = dst_row(okind, oval, regs, T, d, base, mask)
            for lane in range(32):
                ul = np.uint64(lane)
                q = compare(extend(regs[a + ul], sh, signed), extend(regs[b + ul], sh, signed), cmp, False, False)
                regs[o + ul] = 1 if q else 0
            commit(okind, oval, regs, T, d, base, mask, o)
            return True
        if ty == L.TY_F32:
            a = src_row(okind, oval, regs, T, s, base, 0)
            b = src_row(okind, oval, regs, T, s + 1, base, 1)
            o = dst_row(okind, oval, regs, T, d, base, mask)
            for lane in range(32):
                ul = np.uint64(lane)
                q = compare(np.float64(f32_from_bits(regs[a + ul])), np.float64(f32_from_bits(regs[b + ul])),
                            cmp, True, False)
                regs[o + ul] = 1 if q else 0
            commit(okind, oval, regs, T, d, base, mask, o)
            return True
        return False
    if op == OP_CVT and code[pc, L.F_RND] < 0 and is_int:
        sty = code[pc, L.F_TY2]
        skind = sty >> 4
        if skind == L.TK_U or skind == L.TK_S or skind == L.TK_B:
            ssh = 64 - (8 << (sty & 15))
            dsh = 64 - (8 << (ty & 15))
            a = src_row(okind, oval, regs, T, s, base, 0)
            o = dst_row(okind, oval, regs, T, d, base, mask)
            for lane in range(32):
                ul = np.uint64(lane)
                regs[o + ul] = extend(extend(regs[a + ul], ssh, skind == L.TK_S), dsh, kind == L.TK_S)
            commit(okind, oval, regs, T, d, base, mask, o)
            return True
    return False


@njit(cache=True, error_model="numpy", _nrt=False, inline="always")
def lane_offsets(pc, space, regs, a, tmp, offset, total, base, mask, mlay, valid, err, is_write):
    """Buffer offsets (tmp[2]) of one warp's accesses of ``total`` bytes at the addresses
    regs[a:a+32] + offset; False (and err set) on a fault.

    Explicit state spaces check one window for all lanes; generic addresses
    pick their window lane by lane. Alignment is checked on the address
    within the space (every window starts on a 256-byte boundary). Inactive
    lanes get offset 0, so loads need no mask test.
    """
    align = total - 1
    used = space
    if space == L.SP_SHARED or space == L.SP_PARAM:
        lo = mlay[ML_SHARED_BASE] if space == L.SP_SHARED else mlay[ML_PARAM_BASE]
        limit = (mlay[ML_SHARED_SIZE] if space == L.SP_SHARED else mlay[ML_PARAM_SIZE]) - total
        bad = np.int64(0)      # branch-free first pass over all lanes; the second finds the faulting lane
        for lane in range(32):
            x = regs[a + np.uint64(lane)] + offset
            active = (mask >> lane) & 1
            bad |= active & ((x < 0) | (x > limit) | ((x & align) != 0))
            tmp[2, lane] = lo + x if active else 0
        if bad:
            for lane in range(32):
                x = regs[a + np.uint64(lane)] + offset
                if (mask >> lane) & 1 and (x < 0 or x > limit or (x & align) != 0):
                    fault(err, L.ERR_OUT_OF_BOUNDS if (x < 0 or x > limit) else L.ERR_MISALIGNED, pc,
                          base + lane, x, space, total, is_write)
                    return False
        return True
    heap = mlay[ML_HEAP_SIZE] - total
    for lane in range(32):
        tmp[2, lane] = 0
        if not (mask >> lane) & 1:
            continue
        x = regs[a + np.uint64(lane)] + offset
        if space == L.SP_GLOBAL or space == L.SP_CONST:
            off = x - L.GLOBAL_BASE
            if off < 0 or off > heap or valid[off] == 0 or valid[off + total - 1] == 0:
                off = np.int64(-1)
        else:
            off, used = resolve(space, x, total, base + lane, mlay, valid)
        if off < 0 or (off & align) != 0:
            fault(err, L.ERR_OUT_OF_BOUNDS if off < 0 else L.ERR_MISALIGNED, pc, base + lane, x, used, total,
                  is_write)
            return False
        tmp[2, lane] = off
    return True


@njit(cache=True, error_model="numpy", _nrt=False)
def space_of(space, addr0):
    """The state space a (possibly generic) address falls in."""
    if space != L.SP_GENERIC:
        return space
    if addr0 >= L.SHARED_WINDOW and addr0 < L.SHARED_WINDOW + L.WINDOW_SIZE:
        return L.SP_SHARED
    if addr0 >= L.LOCAL_WINDOW and addr0 < L.LOCAL_WINDOW + L.WINDOW_SIZE:
        return L.SP_LOCAL
    return L.SP_GLOBAL


@njit(cache=True, error_model="numpy", _nrt=False)
def exec_ldst_fast(pc, op, code, okind, oval, regs, T, base, mask, mem, m16, m32, m64, valid, mlay,
                   stats, err, tmp):
    """ld/st, scalar and vector, in any state space."""
    s = code[pc, L.F_SRC]
    d = code[pc, L.F_DST]
    nbytes = code[pc, L.F_WIDTH]
    vec = code[pc, L.F_VEC]
    total = nbytes * vec
    space = code[pc, L.F_SPACE]
    sh = 64 - 8 * nbytes
    signed = (code[pc, L.F_TY] >> 4) == L.TK_S
    is_load = op == OP_LD
    a = src_row(okind, oval, regs, T, s, base, 0)
    if not lane_offsets(pc, space, regs, a, tmp, code[pc, L.F_OFFSET], total, base, mask, mlay, valid, err,
                        0 if is_load else 1):
        return False
    used = space
    if space == L.SP_GENERIC:      # before the loads, which may overwrite the address register
        lane0 = 0
        while not (mask >> lane0) & 1:
            lane0 += 1
        used = space_of(space, regs[a + np.uint64(lane0)] + code[pc, L.F_OFFSET])
    for k in range(vec):
        e = k * nbytes
        if is_load:
            o = dst_row(okind, oval, regs, T, d + k, base, mask)
            if nbytes == 4:
                for lane in range(32):
                    regs[o + np.uint64(lane)] = extend(np.int64(m32[(tmp[2, lane] + e) >> 2]), sh, signed)
            elif nbytes == 8:
                for lane in range(32):
                    regs[o + np.uint64(lane)] = m64[(tmp[2, lane] + e) >> 3]
            elif nbytes == 2:
                for lane in range(32):
                    regs[o + np.uint64(lane)] = extend(np.int64(m16[(tmp[2, lane] + e) >> 1]), sh, signed)
            else:
                for lane in range(32):
                    regs[o + np.uint64(lane)] = extend(np.int64(mem[tmp[2, lane] + e]), sh, signed)
            commit(okind, oval, regs, T, d + k, base, mask, o)
        else:
            b = src_row(okind, oval, regs, T, s + 1 + k, base, 1)
            for lane in range(32):
                if (mask >> lane) & 1:
                    store(mem, m16, m32, m64, tmp[2, lane] + e, nbytes, regs[b + np.uint64(lane)])
    if used == L.SP_GLOBAL or used == L.SP_CONST:
        if is_load:
            stats[ST_GLOBAL_LOAD_BYTES] += total * popc32(mask)
            stats[ST_GLOBAL_LOADS] += 1
        else:
            stats[ST_GLOBAL_STORE_BYTES] += total * popc32(mask)
            stats[ST_GLOBAL_STORES] += 1
    elif used == L.SP_SHARED:
        stats[ST_SHARED_LOADS if is_load else ST_SHARED_STORES] += 1
    elif used == L.SP_LOCAL:
        stats[ST_LOCAL_ACCESSES] += 1
    return True


@njit(cache=True, error_model="numpy")
def exec_mma(code, pc, okind, oval, regs, T, warps, cc):
    """mma.sync or wmma.mma of the ``warps`` waiting at ``pc``: gather the fragments of all their lanes, run
    the tensor-core model once for all of them (Python, through object mode), scatter D."""
    is_wmma = code[pc, L.F_OP] == OP_WMMA
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
    """Execute the tensor instructions that warps wait at (W_TENSOR), the warps at one pc together in one
    call of the model (a call costs about as much for one warp as for many). Returns the warps released."""
    together = np.zeros(nw, dtype=np.int64)
    released = 0
    for w in range(nw):
        if wstate[w] != W_TENSOR:
            continue
        pc = stk_pc[w, sps[w]]
        n = 0
        for v in range(w, nw):
            if wstate[v] == W_TENSOR and stk_pc[v, sps[v]] == pc:
                together[n] = v
                n += 1
        exec_mma(code, pc, okind, oval, regs, T, together[:n], cc)
        for j in range(n):
            v = together[j]
            stk_pc[v, sps[v]] = pc + 1
            wstate[v] = W_READY
        released += n
    return released


@njit(cache=True, error_model="numpy", _nrt=False)
def exec_ldmatrix(pc, code, okind, oval, regs, T, base, mlay, valid, err, m16, tmp, stats):
    """ldmatrix: lanes 8i..8i+7 give the row addresses of matrix i (16 bytes per row); lane l
    receives row l/4, columns 2(l%4) and 2(l%4)+1 of each matrix (of the transpose with .trans)."""
    count = code[pc, L.F_VEC]
    trans = code[pc, L.F_SUB] == 1
    d = code[pc, L.F_DST]
    a = src_row(okind, oval, regs, T, code[pc, L.F_SRC], base, 0)
    providers = (np.int64(1) << (8 * count)) - 1 if count < 4 else FULL
    if not lane_offsets(pc, code[pc, L.F_SPACE], regs, a, tmp, code[pc, L.F_OFFSET], 16, base, providers, mlay,
                        valid, err, 0):
        return False
    for i in range(count):
        o = dst_row(okind, oval, regs, T, d + i, base, FULL)
        for lane in range(32):
            r = lane >> 2
            c = (lane & 3) * 2
            if trans:
                lo = m16[(tmp[2, 8 * i + c] + 2 * r) >> 1]
                hi = m16[(tmp[2, 8 * i + c + 1] + 2 * r) >> 1]
            else:
                lo = m16[(tmp[2, 8 * i + r] + 2 * c) >> 1]
                hi = m16[(tmp[2, 8 * i + r] + 2 * c + 2) >> 1]
            regs[o + np.uint64(lane)] = np.int64(lo) | (np.int64(hi) << 16)
    stats[ST_SHARED_LOADS] += 1
    return True


@njit(cache=True, error_model="numpy", _nrt=False)
def exec_wmma_ldst(pc, code, okind, oval, regs, T, base, sreg, mem, m16, m32, m64, valid, mlay, err):
    """wmma.load / wmma.store: lane l holds elements chunk*E .. chunk*E+E-1 (row-major in the tile),
    chunk = l mod (tile elements / E); see emu.engine.mma_fragments."""
    kind = code[pc, L.F_SUB]
    col_major = code[pc, L.F_AUX] == 1
    esize = code[pc, L.F_WIDTH]
    m = WMMA_SHAPES[code[pc, L.F_VEC]][0]
    n = WMMA_SHAPES[code[pc, L.F_VEC]][1]
    k = WMMA_SHAPES[code[pc, L.F_VEC]][2]
    rows = m if kind != 1 else k
    cols = k if kind == 0 else n
    is_load = kind != 3
    s = code[pc, L.F_SRC]
    nregs = code[pc, L.F_NDST] if is_load else code[pc, L.F_NSRC] - 2
    per_reg = 4 // esize
    per_lane = nregs * per_reg
    groups = rows * cols // per_lane
    space = code[pc, L.F_SPACE]
    for lane in range(32):
        t = base + lane
        addr = rd(okind, oval, regs, T, s, t, lane, int(0), sreg) + code[pc, L.F_OFFSET]
        stride = rd(okind, oval, regs, T, s + 1, t, lane, int(0), sreg) & 0xFFFFFFFF
        chunk = lane % groups
        for r_i in range(nregs):
            value = np.int64(0) if is_load else rd(okind, oval, regs, T, s + 2 + r_i, t, lane, int(0), sreg)
            for half in range(per_reg):
                idx = chunk * per_lane + r_i * per_reg + half
                r = idx // cols
                c = idx % cols
                a = addr + ((c * stride + r) if col_major else (r * stride + c)) * esize
                off, used = resolve(space, a, esize, t, mlay, valid)
                if off < 0 or off % esize != 0:
                    fault(err, L.ERR_OUT_OF_BOUNDS if off < 0 else L.ERR_MISALIGNED, pc, t, a, used, esize,
                          0 if is_load else 1)
                    return False
                if is_load:
                    value |= zext(load(mem, m16, m32, m64, off, esize), esize) << (16 * half)
                elif lane < groups:
                    store(mem, m16, m32, m64, off, esize, value >> (16 * half))
            if is_load:
                wr(okind, oval, regs, T, code[pc, L.F_DST] + r_i, t, value)
    return True


@njit(cache=True, error_model="numpy", _nrt=False)
def record_printf(pc, code, oval, mem, m64, valid, mlay, t, cta, printmeta, printbuf, nprint, err):
    """vprintf(fmt, args): keep the format address and a copy of the argument buffer."""
    s = code[pc, L.F_SRC]
    local0 = mlay[ML_LOCAL_BASE] + t * mlay[ML_LOCAL_SIZE]
    fmt = m64[(local0 + oval[s]) >> 3]
    args = m64[(local0 + oval[s + 1]) >> 3] if code[pc, L.F_NSRC] > 1 else np.int64(0)
    k = nprint[0]
    if k >= printmeta.shape[0]:
        nprint[1] += 1                      # dropped records
        return
    nprint[0] = k + 1
    printmeta[k, 0] = fmt
    printmeta[k, 1] = cta
    printmeta[k, 2] = t
    n = 0
    if args != 0:
        off, space = resolve(L.SP_GENERIC, args, int(1), t, mlay, valid)
        if off >= 0:
            limit = mem.shape[0]
            if space == L.SP_LOCAL:
                limit = local0 + mlay[ML_LOCAL_SIZE]
            n = min(printbuf.shape[1], limit - off)
            for i in range(n):
                printbuf[k, i] = mem[off + i]
    printmeta[k, 3] = n


@njit(cache=True, error_model="numpy", _nrt=False)
def run_warp(w, code, okind, oval, of, regs, T, nthreads, sreg,
             stk_pc, stk_rpc, stk_mask, sps, call_ret, call_sp, exited, wstate, wbar, wbar_dst,
             bar_arrived, bar_expected, bar_acc,
             mem, m16, m32, m64, valid, mlay, stats, counts, err, tmp, rows, budget,
             printmeta, printbuf, nprint, cta):
    base = w * 32
    executed = 0
    while True:
        sp = sps[w]
        if sp < 0:
            wstate[w] = W_DONE
            return R_DONE
        pc = stk_pc[w, sp]
        mask = stk_mask[w, sp]
        if mask == 0 or pc == stk_rpc[w, sp]:
            sps[w] = sp - 1                 # reconverged (or all lanes gone): pop
            continue
        if executed >= SLICE:
            return R_SLICE
        if stats[ST_WARP_INSTRUCTIONS] >= budget:
            fault(err, L.ERR_BUDGET, pc, base, int(0), int(0), int(0), int(0))
            return R_ERROR
        executed += 1
        op = code[pc, L.F_OP]
        emask = mask
        g = code[pc, L.F_GUARD]
        if g >= 0:
            neg = code[pc, L.F_GUARD_NEG]
            emask = np.int64(0)
            for lane in range(32):
                if (mask >> lane) & 1:
                    if (regs[g * T + base + lane] & 1) != neg:
                        emask |= np.int64(1) << lane
        stats[ST_WARP_INSTRUCTIONS] += 1
        stats[ST_THREAD_INSTRUCTIONS] += popc32(emask)
        stats[ST_CLASS_BASE + code[pc, L.F_CLASS]] += 1
        counts[pc] += 1
        sreg[SV_CLOCK] += 1
        next_pc = pc + 1
        if op == OP_BRA:
            stats[ST_BRANCHES] += 1
            taken = emask
            not_taken = mask & ~taken
            if taken == 0:
                next_pc = pc + 1
            elif not_taken == 0:
                next_pc = code[pc, L.F_TARGET]
            else:
                stats[ST_DIVERGENT_BRANCHES] += 1
                join = code[pc, L.F_RECONV]
                if sp + 2 >= MAX_STACK:
                    fault(err, L.ERR_CALL_DEPTH, pc, base, int(0), int(0), int(0), int(0))
                    return R_ERROR
                if join == L.PC_NEVER or join == stk_rpc[w, sp]:
                    # both paths end where the current entry ends: replace it
                    outer = stk_rpc[w, sp]
                    stk_pc[w, sp] = pc + 1
                    stk_mask[w, sp] = not_taken
                    sps[w] = sp + 1
                    stk_pc[w, sp + 1] = code[pc, L.F_TARGET]
                    stk_rpc[w, sp + 1] = outer
                    stk_mask[w, sp + 1] = taken
                else:
                    stk_pc[w, sp] = join
                    stk_pc[w, sp + 1] = pc + 1
                    stk_rpc[w, sp + 1] = join
                    stk_mask[w, sp + 1] = not_taken
                    stk_pc[w, sp + 2] = code[pc, L.F_TARGET]
                    stk_rpc[w, sp + 2] = join
                    stk_mask[w, sp + 2] = taken
                    sps[w] = sp + 2
                continue
        elif op == OP_EXIT:
            if emask != 0:
                exited[w] |= emask
                for k in range(sp + 1):
                    stk_mask[w, k] &= ~emask
        elif op == OP_RET:
            csp = call_sp[w]
            if csp <= 0:
                wstate[w] = W_DONE
                return R_DONE
            call_sp[w] = csp - 1
            next_pc = call_ret[w, csp - 1]
        elif op == OP_CALL:
            if emask == 0:
                next_pc = pc + 1
            elif code[pc, L.F_SUB] == L.CALL_VPRINTF:
                for lane in range(32):
                    if (emask >> lane) & 1:
                        record_printf(pc, code, oval, mem, m64, valid, mlay, base + lane, cta,
                                      printmeta, printbuf, nprint, err)
            else:
                if emask != mask:
                    fault(err, L.ERR_UNSUPPORTED, pc, base, int(0), int(0), int(0), int(0))
                    return R_ERROR
                csp = call_sp[w]
                if csp >= MAX_CALLS:
                    fault(err, L.ERR_CALL_DEPTH, pc, base, int(0), int(0), int(0), int(0))
                    return R_ERROR
                call_ret[w, csp] = pc + 1
                call_sp[w] = csp + 1
                next_pc = code[pc, L.F_TARGET]
        elif op == OP_TRAP:
            if emask != 0:
                lane0 = 0
                while not (emask >> lane0) & 1:
                    lane0 += 1
                fault(err, L.ERR_TRAP, pc, base + lane0, int(0), int(0), int(0), int(0))
                return R_ERROR
        elif op == OP_BAR or op == OP_BARRIER:
            sub = code[pc, L.F_SUB]
            if sub != L.BAR_WARP_SYNC and emask != 0:
                stats[ST_BARRIERS] += 1
                s = code[pc, L.F_SRC]
                bid = rd(okind, oval, regs, T, s + 1, base, int(0), w, sreg) & 15
                if okind[s + 2] != L.OK_NONE:
                    bar_expected[bid] = rd(okind, oval, regs, T, s + 2, base, int(0), w, sreg)
                bar_arrived[bid] += popc32(emask)
                if sub == L.BAR_RED_POPC or sub == L.BAR_RED_AND or sub == L.BAR_RED_OR:
                    for lane in range(32):
                        if (emask >> lane) & 1:
                            if rd(okind, oval, regs, T, s, base + lane, lane, w, sreg) & 1:
                                bar_acc[bid] += 1
                    wbar_dst[w, 0] = oval[code[pc, L.F_DST]]
                    wbar_dst[w, 1] = emask
                    wbar_dst[w, 2] = sub
                else:
                    wbar_dst[w, 0] = -1
                if sub != L.BAR_ARRIVE:
                    wstate[w] = W_BARRIER
                    wbar[w] = bid
                    stk_pc[w, sp] = pc + 1
                    return R_BLOCKED
        elif op == OP_MEMBAR or op == OP_FENCE:
            pass
        elif op == OP_LDMATRIX:
            if emask != FULL:
                fault(err, L.ERR_UNSUPPORTED, pc, base, int(0), int(0), int(0), int(0))
                return R_ERROR
            if not exec_ldmatrix(pc, code, okind, oval, regs, T, base, mlay, valid, err, m16, rows, stats):
                return R_ERROR
        elif op == OP_WMMA:
            if emask != FULL:
                fault(err, L.ERR_UNSUPPORTED, pc, base, int(0), int(0), int(0), int(0))
                return R_ERROR
            if code[pc, L.F_SUB] == 4:
                return R_TENSOR
            if not exec_wmma_ldst(pc, code, okind, oval, regs, T, base, sreg, mem, m16, m32, m64, valid, mlay,
                                    err):
                return R_ERROR
        elif op == OP_MMA:
            if emask != FULL:
                fault(err, L.ERR_UNSUPPORTED, pc, base, int(0), int(0), int(0), int(0))    # .aligned: all 32 lanes, converged
                return R_ERROR
            return R_TENSOR
        elif emask != 0:
            ty = code[pc, L.F_TY]
            if op == OP_LD or op == OP_ST:
                if not exec_ldst_fast(pc, op, code, okind, oval, regs, T, base, emask, mem, m16, m32, m64,
                                      valid, mlay, stats, err, rows):
                    return R_ERROR
            elif exec_fast(op, code, pc, okind, oval, regs, T, base, emask):
                pass
            elif (code[pc, L.F_FLAGS] & L.FL_CC) != 0 or op == OP_ADDC or op == OP_SUBC or op == OP_MADC:
                exec_carry(op, code[pc, L.F_SUB], ty, code[pc, L.F_FLAGS], code, pc, okind, oval, regs, T, base, emask, w, sreg)
            elif op == OP_MOV or op == OP_CVT or op == OP_CVTA:
                exec_convert(op, ty, code[pc, L.F_RND], code[pc, L.F_FLAGS], code, pc, okind, oval, regs, T, base, emask, w, sreg)
            elif op == OP_SETP or op == OP_SET or op == OP_SELP or op == OP_SLCT:
                exec_compare(op, ty, code, pc, okind, oval, of, regs, T, base, emask, w, sreg)
            elif op == OP_ATOM or op == OP_RED:
                if not exec_atomic(pc, op, ty, code, okind, oval, regs, T, base, emask, w, sreg,
                                   mem, m16, m32, m64, valid, mlay, stats, err):
                    return R_ERROR
            elif op == OP_SHFL or op == OP_VOTE or op == OP_ACTIVEMASK or op == OP_MATCH or op == OP_REDUX:
                exec_warp_op(op, code, pc, okind, oval, regs, T, base, emask, w, sreg, nthreads, tmp)
            elif op == OP_TESTP:
                exec_testp_copysign_f(op, code[pc, L.F_SUB], ty, code, pc, okind, oval, of, regs, T, base, emask)
            elif ty == L.TY_F32:
                exec_float32(op, code[pc, L.F_SUB], code[pc, L.F_RND], code[pc, L.F_FLAGS], code, pc, okind, oval, of, regs, T, base, emask)
            elif ty == L.TY_F64:
                exec_float64(op, code[pc, L.F_SUB], code[pc, L.F_RND], code[pc, L.F_FLAGS], code, pc, okind, oval, of, regs, T, base, emask)
            elif ty == L.TY_F16 or ty == L.TY_BF16 or ty == L.TY_F16X2 or ty == L.TY_BF16X2:
                exec_half(op, ty, code[pc, L.F_RND], code[pc, L.F_FLAGS], code, pc, okind, oval, regs, T, base, emask, w, sreg)
            else:
                exec_int(op, code[pc, L.F_SUB], ty, code[pc, L.F_FLAGS], code, pc, okind, oval, regs, T, base, emask, w, sreg)
        stk_pc[w, sp] = next_pc


@njit(cache=True, error_model="numpy", _nrt=False)
def release_barriers(nw, exited, init_mask, wstate, wbar, wbar_dst, bar_arrived, bar_expected, bar_acc,
                     regs, T):
    """Let every barrier whose threads have all arrived go. Returns how many barriers completed."""
    live = 0
    for w in range(nw):
        live += popc32(init_mask[w] & ~exited[w])
    released = 0
    for bid in range(16):
        waiting = False
        for w in range(nw):
            if wstate[w] == W_BARRIER and wbar[w] == bid:
                waiting = True
                break
        if not waiting:
            continue
        expected = bar_expected[bid] if bar_expected[bid] > 0 else live
        if bar_arrived[bid] < expected:
            continue
        arrived = bar_arrived[bid]
        for w in range(nw):
            if wstate[w] == W_BARRIER and wbar[w] == bid:
                wstate[w] = W_READY
                if wbar_dst[w, 0] >= 0:
                    kind = wbar_dst[w, 2]
                    if kind == L.BAR_RED_POPC:
                        value = bar_acc[bid]
                    elif kind == L.BAR_RED_AND:
                        value = np.int64(1) if bar_acc[bid] == arrived else np.int64(0)
                    else:
                        value = np.int64(1) if bar_acc[bid] > 0 else np.int64(0)
                    for lane in range(32):
                        if (wbar_dst[w, 1] >> lane) & 1:
                            regs[wbar_dst[w, 0] * T + w * 32 + lane] = value
        bar_arrived[bid] = 0
        bar_expected[bid] = 0
        bar_acc[bid] = 0
        released += 1
    return released


@njit(cache=True, error_model="numpy")
def run_grid(code, okind, oval, of, n_slots, dims, cta_begin, cta_end, n_sms,
             mem, m16, m32, m64, valid, mlay, stats, counts, err, budget,
             printmeta, printbuf, nprint):
    """Run CTAs [cta_begin, cta_end) of a grid.

    dims = grid x,y,z, block x,y,z, dynamic and total shared memory, compute capability (e.g. 80).

    Returns the number of CTAs completed; on a fault ``err`` holds its details.
    """
    T = dims[3] * dims[4] * dims[5]
    nw = (T + 31) // 32
    # +32: a partial last warp reads whole rows; then the fast paths' scratch rows
    regs = np.zeros(n_slots * T + 32 + N_SCRATCH * 32, dtype=np.int64)
    stk_pc = np.zeros((nw, MAX_STACK), dtype=np.int64)
    stk_rpc = np.zeros((nw, MAX_STACK), dtype=np.int64)
    stk_mask = np.zeros((nw, MAX_STACK), dtype=np.int64)
    sps = np.zeros(nw, dtype=np.int64)
    call_ret = np.zeros((nw, MAX_CALLS), dtype=np.int64)
    call_sp = np.zeros(nw, dtype=np.int64)
    exited = np.zeros(nw, dtype=np.int64)
    init_mask = np.zeros(nw, dtype=np.int64)
    wstate = np.zeros(nw, dtype=np.int64)
    wbar = np.zeros(nw, dtype=np.int64)
    wbar_dst = np.zeros((nw, 3), dtype=np.int64)
    bar_arrived = np.zeros(16, dtype=np.int64)
    bar_expected = np.zeros(16, dtype=np.int64)
    bar_acc = np.zeros(16, dtype=np.int64)
    tmp = np.zeros(32, dtype=np.int64)
    rows = np.zeros((4, 32), dtype=np.int64)          # per-lane scratch (memory offsets, ldmatrix)
    sreg = np.zeros(N_SV, dtype=np.int64)
    sreg[SV_NTID_X] = dims[3]
    sreg[SV_NTID_Y] = dims[4]
    sreg[SV_NTID_Z] = dims[5]
    sreg[SV_NCTAID_X] = dims[0]
    sreg[SV_NCTAID_Y] = dims[1]
    sreg[SV_NCTAID_Z] = dims[2]
    sreg[SV_NWARPS] = nw
    sreg[SV_NSM] = n_sms
    sreg[SV_DYN_SMEM] = dims[6]
    sreg[SV_TOTAL_SMEM] = dims[7]
    sreg[SV_CC] = dims[8]
    shared0 = mlay[ML_SHARED_BASE]
    shared1 = shared0 + mlay[ML_SHARED_SIZE]
    local0 = mlay[ML_LOCAL_BASE]
    local1 = local0 + mlay[ML_LOCAL_SIZE] * T
    for cta in range(cta_begin, cta_end):
        sreg[SV_CTAID_X] = cta % dims[0]
        sreg[SV_CTAID_Y] = (cta // dims[0]) % dims[1]
        sreg[SV_CTAID_Z] = cta // (dims[0] * dims[1])
        sreg[SV_SMID] = cta % n_sms
        regs[:] = 0
        mem[shared0:shared1] = 0
        mem[local0:local1] = 0
        for w in range(nw):
            lanes = min(32, T - 32 * w)
            init_mask[w] = (np.int64(1) << lanes) - 1
            stk_pc[w, 0] = 0
            stk_rpc[w, 0] = L.PC_NEVER
            stk_mask[w, 0] = init_mask[w]
            sps[w] = 0
            call_sp[w] = 0
            exited[w] = 0
            wstate[w] = W_READY
        err[L.E_CTA] = cta
        while True:
            progressed = False
            all_done = True
            for w in range(nw):
                if wstate[w] == W_DONE:
                    continue
                all_done = False
                if wstate[w] != W_READY:
                    continue
                progressed = True
                r = run_warp(w, code, okind, oval, of, regs, T, T, sreg,
                             stk_pc, stk_rpc, stk_mask, sps, call_ret, call_sp, exited, wstate, wbar, wbar_dst,
                             bar_arrived, bar_expected, bar_acc,
                             mem, m16, m32, m64, valid, mlay, stats, counts, err, tmp, rows,
                             budget, printmeta, printbuf, nprint, cta)
                if r == R_TENSOR:
                    # the tensor-core model runs in Python (object mode), which needs the runtime
                    # that the allocation-free run_warp is compiled without: the warp waits, and
                    # run_tensor_ops executes its instruction with those of the other waiting warps
                    wstate[w] = W_TENSOR
                elif r == R_ERROR:
                    return cta - cta_begin
            if all_done:
                break
            if run_tensor_ops(code, okind, oval, regs, T, nw, wstate, stk_pc, sps, sreg[SV_CC]) > 0:
                continue
            released = release_barriers(nw, exited, init_mask, wstate, wbar, wbar_dst,
                                        bar_arrived, bar_expected, bar_acc, regs, T)
            if not progressed and released == 0:
                # every live warp waits at a barrier that can no longer complete
                for w in range(nw):
                    if wstate[w] == W_BARRIER:
                        fault(err, L.ERR_DEADLOCK, stk_pc[w, sps[w]] - 1, w * 32, int(0), int(0), int(0), int(0))
                        err[L.E_INFO] = wbar[w]
                        err[L.E_SIZE] = bar_arrived[wbar[w]]
                        break
                return cta - cta_begin
    return cta_end - cta_begin
