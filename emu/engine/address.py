"""Where memory instructions go: state spaces, generic windows, bounds and alignment; loads and stores."""
import numpy as np
from numba import njit

from emu.engine import layout as L
from emu.engine.operands import fault


@njit(cache=True, error_model="numpy", _nrt=False)
def resolve(space, addr, size, t, mlay, valid):
    """Byte offset in the memory buffer of [addr, addr+size) in a state space for thread ``t`` (its
    index in the register file, across resident CTAs), and the space it resolved to (generic
    addresses pick their window). Offset -1: out of bounds."""
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
        if off < 0 or off + size > mlay[L.ML_HEAP_SIZE] or valid[off] == 0 or valid[off + size - 1] == 0:
            return np.int64(-1), space
        return off, space
    if space == L.SP_SHARED:
        if addr < 0 or addr + size > mlay[L.ML_SHARED_SIZE]:
            return np.int64(-1), space
        return mlay[L.ML_SHARED_BASE] + (t // mlay[L.ML_SLOT_THREADS]) * mlay[L.ML_SHARED_STRIDE] + addr, space
    if space == L.SP_LOCAL:
        if addr < 0 or addr + size > mlay[L.ML_LOCAL_SIZE]:
            return np.int64(-1), space
        return mlay[L.ML_LOCAL_BASE] + t * mlay[L.ML_LOCAL_SIZE] + addr, space
    if addr < 0 or addr + size > mlay[L.ML_PARAM_SIZE]:
        return np.int64(-1), space
    return mlay[L.ML_PARAM_BASE] + addr, space


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


@njit(cache=True, error_model="numpy", _nrt=False, inline="always")
def record_access(issued, space, size):
    """Note one more row of per-lane addresses of the issued instruction; returns ``space``."""
    issued[L.I_SPACE] = space
    issued[L.I_ACCESS_BYTES] = size
    issued[L.I_ADDRESS_ROWS] += 1
    return space


@njit(cache=True, error_model="numpy", _nrt=False, inline="always")
def lane_addresses(pc, space, regs, a, offset, size, base, mask, mlay, valid, err, is_write, issued, out):
    """The one address path of every memory instruction: the buffer offsets ``out[lane]`` of a warp's
    accesses of ``size`` bytes at the addresses regs[a:a+32] + offset, for the lanes in ``mask``.

    Returns the state space the accesses go to (for generic addresses, that of the first active
    lane), or -1 with ``err`` set on an out-of-bounds or misaligned access. Explicit state spaces
    check one window for all lanes; generic addresses pick their window lane by lane. Alignment
    is checked on the address within the space (every window starts on a 256-byte boundary).
    Inactive lanes get offset 0, so loads need no mask test. Shared memory is the window of the
    warp's resident-CTA slot; local memory that of the lane's thread. The access is recorded in
    ``issued`` (space, bytes per lane, one more row of addresses) for a timing model.
    """
    align = size - 1
    if space == L.SP_SHARED or space == L.SP_PARAM:
        if space == L.SP_SHARED:
            lo = mlay[L.ML_SHARED_BASE] + (base // mlay[L.ML_SLOT_THREADS]) * mlay[L.ML_SHARED_STRIDE]
            limit = mlay[L.ML_SHARED_SIZE] - size
        else:
            lo = mlay[L.ML_PARAM_BASE]
            limit = mlay[L.ML_PARAM_SIZE] - size
        bad = np.int64(0)      # branch-free first pass over all lanes; the second finds the faulting lane
        for lane in range(32):
            x = regs[a + np.uint64(lane)] + offset
            active = (mask >> lane) & 1
            bad |= active & ((x < 0) | (x > limit) | ((x & align) != 0))
            out[lane] = lo + x if active else 0
        if bad:
            for lane in range(32):
                x = regs[a + np.uint64(lane)] + offset
                if (mask >> lane) & 1 and (x < 0 or x > limit or (x & align) != 0):
                    fault(err, L.ERR_OUT_OF_BOUNDS if (x < 0 or x > limit) else L.ERR_MISALIGNED, pc,
                          base + lane, x, space, size, is_write)
                    return np.int64(-1)
        return record_access(issued, space, size)
    heap = mlay[L.ML_HEAP_SIZE] - size
    first = np.int64(-1)
    for lane in range(32):
        out[lane] = 0
        if not (mask >> lane) & 1:
            continue
        x = regs[a + np.uint64(lane)] + offset
        used = space
        if space == L.SP_GLOBAL or space == L.SP_CONST:
            off = x - L.GLOBAL_BASE
            if off < 0 or off > heap or valid[off] == 0 or valid[off + size - 1] == 0:
                off = np.int64(-1)
        else:
            off, used = resolve(space, x, size, base + lane, mlay, valid)
        if off < 0 or (off & align) != 0:
            fault(err, L.ERR_OUT_OF_BOUNDS if off < 0 else L.ERR_MISALIGNED, pc, base + lane, x, used, size,
                  is_write)
            return np.int64(-1)
        if first < 0:
            first = used
        out[lane] = off
    return record_access(issued, first if first >= 0 else space, size)
