"""The memory hierarchy of the cycle model: coalescer, shared-memory banks, L1, L2 and DRAM.

``access`` takes the per-lane buffer offsets the engine recorded for one warp
memory instruction (``scratch.addresses``) and returns the cycle its data is
ready, counting what happened on the way (``timing.counters``):

- Shared memory has 32 banks of 4-byte words. The words the active lanes touch
  are made distinct (lanes reading one word share it: a broadcast), and the
  access takes as many wavefronts as the busiest bank has distinct words, and
  at least one per 32 distinct words (a 64-bit access is two wavefronts). The
  shared-memory pipe of the SM serves one wavefront per cycle.
- Global and local accesses go through the coalescer: the distinct 32-byte
  sectors of the warp's addresses, and the distinct 128-byte lines they lie in
  (one L1 tag lookup, a wavefront, per line per cycle). Loads look each sector
  up in L1, then L2, then DRAM; stores write through L1 to L2, which allocates
  them and writes each newly dirtied sector back to DRAM. Atomics are resolved
  at L2.
- L1 (per SM) and L2 (shared by the SMs) are set-associative sectored caches
  (a tag per 128-byte line, valid and dirty bits per 32-byte sector) with LRU
  replacement. On GPUs whose L2 has two partitions, a line's partition
  (near or far, alternating by line) sets its hit and miss latency.
- L2 and DRAM are queues shared by all SMs: each sector occupies the GPU's L2
  or DRAM bandwidth for ``rates[TR_*_SECTOR_CYCLES]`` cycles, after the data
  before it; its data arrive a latency after it leaves the queue.
"""
import numpy as np
from numba import njit

from emu.engine import layout as L

Q_L1, Q_SHARED = 0, 1      # timing.sm_queues[sm]: cycle each data path of an SM is free again
Q_L2, Q_DRAM = 0, 1        # timing.gpu_queues: cycle the GPU's L2 and DRAM bandwidth is free again


@njit(cache=True, error_model="numpy", _nrt=False)
def distinct(values, n):
    """Sort values[:n] in place and move its distinct values to the front; returns how many."""
    for i in range(1, n):                    # insertion sort: n is small and mostly sorted already
        v = values[i]
        j = i - 1
        while j >= 0 and values[j] > v:
            values[j + 1] = values[j]
            j -= 1
        values[j + 1] = v
    m = 0
    for i in range(n):
        if m == 0 or values[i] != values[m - 1]:
            values[m] = values[i]
            m += 1
    return m


@njit(cache=True, error_model="numpy", _nrt=False, inline="always")
def contiguous(addresses, rows, size, mask):
    """(first, last byte) of a one-row access whose active lanes all access one address (a broadcast)
    or access side by side in lane order (the usual coalesced pattern); (-1, -1) for any other
    pattern, which goes the general way."""
    if rows != 1 or mask == 0:
        return np.int64(-1), np.int64(-1)
    first_lane = 0
    while not (mask >> first_lane) & 1:
        first_lane += 1
    last_lane = 31
    while not (mask >> last_lane) & 1:
        last_lane -= 1
    a0 = addresses[0, first_lane]
    same = True
    side_by_side = True
    for lane in range(first_lane, last_lane + 1):
        if (mask >> lane) & 1:
            a = addresses[0, lane]
            same = same and a == a0
            side_by_side = side_by_side and a == a0 + (lane - first_lane) * size
    if same:
        return a0, a0 + size - 1
    if side_by_side:
        return a0, a0 + (last_lane - first_lane + 1) * size - 1
    return np.int64(-1), np.int64(-1)


@njit(cache=True, error_model="numpy", _nrt=False)
def gather(addresses, rows, size, mask, unit, values):
    """The distinct ``unit``-byte blocks (words, sectors) that the active lanes' accesses of ``size``
    bytes at ``addresses[:rows]`` touch, into ``values``; returns how many."""
    first, last = contiguous(addresses, rows, size, mask)
    if first >= 0:
        n = 0
        for block in range(first // unit, last // unit + 1):
            values[n] = block
            n += 1
        return n
    n = 0
    for r in range(rows):
        for lane in range(32):
            if (mask >> lane) & 1:
                a = addresses[r, lane]
                for block in range(a // unit, (a + size - 1) // unit + 1):
                    values[n] = block
                    n += 1
    return distinct(values, n)


@njit(cache=True, error_model="numpy", _nrt=False)
def lookup(tags, stamps, sets, ways, key, stamp):
    """Look ``key`` up in a set-associative cache; on a miss, put it in place of the set's least
    recently used entry. Returns (hit, index of its entry)."""
    first = (key % sets) * ways
    oldest = first
    for e in range(first, first + ways):
        if tags[e] == key:
            stamps[e] = stamp
            return True, e
        if stamps[e] < stamps[oldest]:
            oldest = e
    tags[oldest] = key
    stamps[oldest] = stamp
    return False, oldest


@njit(cache=True, error_model="numpy", _nrt=False)
def queue(q, which, at, cost):
    """Something enters bandwidth queue ``q[which]`` at cycle ``at`` for ``cost`` cycles; returns
    the cycle it leaves it."""
    start = max(float(at), q[which])
    q[which] = start + cost
    return start + cost


@njit(cache=True, error_model="numpy", _nrt=False)
def bank_words(addresses, rows, size, mask, count, seen):
    """(distinct words, most distinct words in one bank) of a shared-memory access; ``count`` and
    ``seen`` are scratch: each bank's distinct words so far."""
    count[:] = 0
    n = 0
    busiest = 0
    for r in range(rows):
        for lane in range(32):
            if (mask >> lane) & 1:
                a = addresses[r, lane]
                for word in range(a >> 2, ((a + size - 1) >> 2) + 1):
                    bank = word & 31
                    k = count[bank]
                    new = True
                    for i in range(k):
                        if seen[bank, i] == word:
                            new = False
                            break
                    if new:
                        seen[bank, k] = word
                        count[bank] = k + 1
                        busiest = max(busiest, k + 1)
                        n += 1
    return n, busiest


@njit(cache=True, error_model="numpy", _nrt=False)
def shared_access(now, sm, timing, addresses, rows, size, mask):
    """A shared-memory access: its wavefronts through the banks; returns the cycle its data is ready."""
    t, c = timing.params, timing.counters
    first, last = contiguous(addresses, rows, size, mask)
    if first >= 0:                    # one run of words: each bank gets one per 32 words of the run
        n = (last >> 2) - (first >> 2) + 1
        busiest = (n + 31) // 32
    else:
        n, busiest = bank_words(addresses, rows, size, mask, timing.bank_words, timing.bank_seen)
    ideal = (n + 31) // 32
    wavefronts = max(busiest, ideal)
    c[L.TC_SHARED_REQUESTS] += 1
    c[L.TC_SHARED_WAVEFRONTS] += wavefronts
    c[L.TC_SHARED_IDEAL_WAVEFRONTS] += ideal
    done = queue(timing.sm_queues[sm], Q_SHARED, now, wavefronts)     # one wavefront per cycle
    return np.int64(done) - 1 + t[L.T_SHARED_CYCLES]


@njit(cache=True, error_model="numpy", _nrt=False)
def far(timing, sector):
    """Whether a sector's line lies in the far L2 partition (lines alternate between the two)."""
    return timing.params[L.T_L2_PARTITIONS] == 2 and (sector >> 2) & 1 == 1


@njit(cache=True, error_model="numpy", _nrt=False, inline="always")
def sector_of_line(tags, stamps, bits, sets, ways, sector, stamp):
    """Look up ``sector``'s line in a sectored cache (tags per 128-byte line, a valid bit per sector
    in bits 0-3 of ``bits``, a dirty bit in bits 4-7). A missing line replaces the set's least
    recently used one, with no sector valid. Returns (the line's entry, the sector's valid bit)."""
    hit, e = lookup(tags, stamps, sets, ways, sector >> 2, stamp)
    if not hit:
        bits[e] = 0
    return e, np.int64(1) << (sector & 3)


@njit(cache=True, error_model="numpy", _nrt=False)
def l2_access(at, timing, sector, write):
    """One sector at L2 from cycle ``at``: returns the cycle its data is back at the SM."""
    t, c, rates = timing.params, timing.counters, timing.rates
    timing.clock[1] += 1
    e, valid = sector_of_line(timing.l2_tag, timing.l2_stamp, timing.l2_bits, t[L.T_L2_SETS], t[L.T_L2_WAYS],
                              sector, timing.clock[1])
    dirty = valid << 4
    bits = timing.l2_bits
    left = queue(timing.gpu_queues, Q_L2, at, rates[L.TR_L2_SECTOR_CYCLES])
    if bits[e] & valid:
        c[L.TC_L2_HITS] += 1
    else:
        c[L.TC_L2_MISSES] += 1
    if write:
        if not bits[e] & dirty:            # a clean sector becomes dirty: it will be written back
            c[L.TC_DRAM_WRITE_BYTES] += 32
            queue(timing.gpu_queues, Q_DRAM, left, rates[L.TR_DRAM_SECTOR_CYCLES])
        bits[e] |= valid | dirty
        return np.int64(left)
    is_far = far(timing, sector)
    if bits[e] & valid:
        return np.int64(left) + (t[L.T_L2_FAR_CYCLES] if is_far else t[L.T_L2_NEAR_CYCLES])
    c[L.TC_DRAM_READ_BYTES] += 32
    bits[e] |= valid
    out = queue(timing.gpu_queues, Q_DRAM, left, rates[L.TR_DRAM_SECTOR_CYCLES])
    return np.int64(out) + (t[L.T_DRAM_FAR_CYCLES] if is_far else t[L.T_DRAM_NEAR_CYCLES])


@njit(cache=True, error_model="numpy", _nrt=False)
def global_access(now, sm, timing, addresses, rows, size, mask, kind):
    """A global or local access through the coalescer, L1 and L2; returns the cycle its data is ready
    (stores: the cycle they have left the SM)."""
    t, c = timing.params, timing.counters
    sectors = timing.blocks
    n = gather(addresses, rows, size, mask, 32, sectors)
    lines = 0
    for i in range(n):
        if i == 0 or sectors[i] >> 2 != sectors[i - 1] >> 2:
            lines += 1
    c[L.TC_GLOBAL_REQUESTS] += 1
    c[L.TC_SECTORS] += n
    ready = np.int64(queue(timing.sm_queues[sm], Q_L1, now, lines))    # one tag lookup per line per cycle
    at = ready - lines
    l1_bits = timing.l1_bits[sm]
    for i in range(n):
        sector = sectors[i]
        if kind == L.MEM_LOAD:
            timing.clock[1] += 1
            e, valid = sector_of_line(timing.l1_tag[sm], timing.l1_stamp[sm], l1_bits, t[L.T_L1_SETS],
                                      t[L.T_L1_WAYS], sector, timing.clock[1])
            if l1_bits[e] & valid:
                c[L.TC_L1_HITS] += 1
                done = at + t[L.T_L1_CYCLES]
            else:
                c[L.TC_L1_MISSES] += 1
                l1_bits[e] |= valid
                done = l2_access(at, timing, sector, False)
        elif kind == L.MEM_STORE:
            done = l2_access(at, timing, sector, True)
        else:
            done = l2_access(at, timing, sector, True) + t[L.T_ATOMIC_CYCLES]
        ready = max(ready, done)
    return ready


@njit(cache=True, error_model="numpy", _nrt=False)
def interleave_local(t, addresses, rows, mask):
    """Local memory as the hardware lays it out: word i of consecutive threads side by side (so a
    warp's accesses to one local variable coalesce), not each thread's area in one piece as the
    engine keeps it. Rewrites ``addresses`` (buffer offsets) in place."""
    base, size, threads = t[L.T_LOCAL_BASE], t[L.T_LOCAL_SIZE], t[L.T_THREADS]
    for r in range(rows):
        for lane in range(32):
            if (mask >> lane) & 1:
                thread, x = divmod(addresses[r, lane] - base, size)
                addresses[r, lane] = base + ((x >> 2) * threads + thread) * 4 + (x & 3)


@njit(cache=True, error_model="numpy", _nrt=False)
def access(now, sm, timing, issued, addresses, kind):
    """The cycle the data of the memory instruction just issued is ready (see the module's doc)."""
    rows, size, mask = issued[L.I_ADDRESS_ROWS], issued[L.I_ACCESS_BYTES], issued[L.I_MASK]
    space = issued[L.I_SPACE]
    if space == L.SP_SHARED:
        ready = shared_access(now, sm, timing, addresses, rows, size, mask)
        if kind == L.MEM_ATOMIC:             # read, modify, write: the banks are visited twice
            ready = shared_access(ready, sm, timing, addresses, rows, size, mask)
        return ready
    if space == L.SP_LOCAL:
        interleave_local(timing.params, addresses, rows, mask)
        return global_access(now, sm, timing, addresses, rows, size, mask, kind)
    if space == L.SP_GLOBAL:
        return global_access(now, sm, timing, addresses, rows, size, mask, kind)
    return now + timing.params[L.T_CONST_CYCLES]    # kernel parameters and constants: the constant cache
