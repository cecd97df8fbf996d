"""Where memory instructions go: state spaces, generic windows, bounds and alignment; loads and stores."""
import numpy as np
from numba import njit

from emu.engine import layout as L
from emu.engine.operands import fault


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
        if off < 0 or off + size > mlay[L.ML_HEAP_SIZE] or valid[off] == 0 or valid[off + size - 1] == 0:
            return np.int64(-1), space
        return off, space
    if space == L.SP_SHARED:
        if addr < 0 or addr + size > mlay[L.ML_SHARED_SIZE]:
            return np.int64(-1), space
        return mlay[L.ML_SHARED_BASE] + addr, space
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
        lo = mlay[L.ML_SHARED_BASE] if space == L.SP_SHARED else mlay[L.ML_PARAM_BASE]
        limit = (mlay[L.ML_SHARED_SIZE] if space == L.SP_SHARED else mlay[L.ML_PARAM_SIZE]) - total
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
    heap = mlay[L.ML_HEAP_SIZE] - total
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
