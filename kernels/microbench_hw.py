"""Microbenchmarks of the machine itself, as plain numba.cuda kernels that run on a real GPU and on emu.

They measure what a cycle model is built from, in the spirit of Jia et al.'s
"Dissecting the NVIDIA Volta/Turing GPU architecture via microbenchmarking":

    pointer_chase          latency of dependent global loads over a footprint (L1, L2 or DRAM by its size)
    shared_pointer_chase   latency of dependent shared-memory loads
    ffma_dependent         one chain of dependent FFMAs per thread: FFMA latency
    ffma_independent       ILP independent chains per thread: FFMA throughput (peak FLOP/s with a full grid)
    stream_copy, stream_triad
                           b = a and a = b + s * c over a grid-stride loop: memory bandwidth
    mma_latency            one chain of dependent mma.sync.m16n8k16.f32.f16 per warp
    mma_throughput         MMA_CHAINS independent chains per warp: tensor-core throughput

Kernels that time themselves read the SM's cycle counter (``emu.intrinsics.clock64``)
around the measured loop and write the difference, in cycles, to an output
array: ``cycles[0]`` for the single-thread chases, ``cycles[warp]`` (one per
warp, from its lane 0) for the others. What the difference contains is stated
on each kernel; each includes the loop's own instructions (a compare and a
branch per iteration unless NVVM unrolls them) and one read of the clock. On
emu the counter counts cycles only once emu has a cycle model; before that a
difference is the number of warp instructions issued, not a time.

Each kernel's result is deterministic and has a CPU twin here
(``chase_twin``, ``ffma_twin``, ...), so the kernels double as functional
tests of emu; the bandwidth and throughput are computed by the caller from the
kernel's time (CUDA events on hardware) and the ``*_bytes`` / ``*_flops``
helpers.
"""
from __future__ import annotations

import numpy as np
from numba import cuda, uint32

from emu import intrinsics as ti

from .case import fma32

SHARED_CHASE_WORDS = 4096           # 16 KiB of uint32: the shared chain's largest footprint
FFMA_ILP = 8                        # independent FFMA chains per thread in ffma_independent
MMA_CHAINS = 4                      # independent accumulators per warp in mma_throughput
MMA_M, MMA_N, MMA_K = 16, 8, 16     # mma.m16n8k16
OFF_CHAIN = np.uint32(0xFFFFFFFF)   # a word no pointer chase visits


# ------------------------------------------------------------------ pointer chase
def make_chain(footprint_bytes: int, stride_bytes: int) -> np.ndarray:
    """A uint32 array of ``footprint_bytes`` in which ``chain[i]`` is the next index to load after ``i``.

    The chain visits every ``stride_bytes``-th word, in order, and wraps
    around: from index 0 it cycles through footprint / stride words, one per
    stride. Words off the chain are 0xFFFFFFFF (a chase that strays faults on
    emu). Unsigned, so that NVVM emits no negative-index wraparound between
    two loads: each step is a widening multiply, an add and the load.
    """
    if stride_bytes % 4 or footprint_bytes % stride_bytes or footprint_bytes < stride_bytes:
        raise ValueError(f"footprint {footprint_bytes} B must be a multiple of the stride {stride_bytes} B, "
                         "itself a multiple of 4")
    words, step = footprint_bytes // 4, stride_bytes // 4
    chain = np.full(words, OFF_CHAIN, np.uint32)
    on_chain = np.arange(0, words, step)
    chain[on_chain] = (on_chain + step) % words
    return chain


def chain_length(chain: np.ndarray) -> int:
    """Loads in one full cycle of the chain from index 0."""
    return int(np.count_nonzero(chain != OFF_CHAIN))


def chase_twin(chain: np.ndarray, start: int, loads: int) -> int:
    """The index a chase of ``loads`` dependent loads from ``start`` ends at."""
    j = start
    for _ in range(loads):
        j = int(chain[j])
    return j


@cuda.jit
def pointer_chase(chain, start, warm_loads, loads, cycles, last):
    """Thread 0 follows ``chain`` (``make_chain``) from ``start`` (a uint32): ``warm_loads`` loads untimed,
    then ``loads`` timed.

    The warm-up brings the footprint into the caches it fits in (a whole
    cycle of the chain for L1 and L2; none for DRAM, whose footprint exceeds
    L2). ``cycles[0]``: cycles of the ``loads`` dependent loads, each with its
    index arithmetic (a widening multiply and an add), and the store of the
    last index, which waits for the last load. ``last[0]``: where the chase
    ended (``chase_twin(chain, start, warm_loads + loads)``).
    """
    if cuda.grid(1) == 0:
        j = start
        for _ in range(warm_loads):
            j = chain[j]
        t0 = ti.clock64()
        for _ in range(loads):
            j = chain[j]
        last[0] = j
        t1 = ti.clock64()
        cycles[0] = t1 - t0


@cuda.jit
def shared_pointer_chase(chain, start, loads, cycles, last):
    """The block copies ``chain`` (at most SHARED_CHASE_WORDS words) into shared memory; thread 0 then
    chases it from ``start`` for ``loads`` dependent shared loads, timed as in ``pointer_chase``."""
    chain_s = cuda.shared.array(SHARED_CHASE_WORDS, uint32)
    for i in range(cuda.threadIdx.x, min(chain.size, SHARED_CHASE_WORDS), cuda.blockDim.x):
        chain_s[i] = chain[i]
    cuda.syncthreads()
    if cuda.threadIdx.x == 0:
        j = start
        t0 = ti.clock64()
        for _ in range(loads):
            j = chain_s[j]
        last[0] = j
        t1 = ti.clock64()
        cycles[0] = t1 - t0


# ------------------------------------------------------------------ FFMA
@cuda.jit
def ffma_dependent(x, b, c, iterations, out, cycles):
    """Each thread: ``a = x[i]``, then ``a = a * b + c`` ``iterations`` times (one fma.rn.f32 each, each
    waiting for the last); ``out[i] = a``. ``cycles[warp]``: the chain and the store of its result.
    Launch blocks of a multiple of 32 threads (so that ``i // 32`` is the warp)."""
    i = cuda.grid(1)
    if i < x.size:
        a = x[i]
        t0 = ti.clock64()
        for _ in range(iterations):
            a = a * b + c
        out[i] = a
        t1 = ti.clock64()
        if cuda.laneid == 0:
            cycles[i // 32] = t1 - t0


@cuda.jit
def ffma_independent(x, b, c, iterations, out, cycles):
    """Each thread runs FFMA_ILP independent chains ``a_k = a_k * b + c`` (``a_k`` starts at ``x[i] + k``),
    ``iterations`` steps each, and writes their sum: ``FFMA_ILP * iterations`` FFMAs per thread.
    ``cycles[warp]``: the chains, the sum and its store."""
    i = cuda.grid(1)
    if i < x.size:
        a0 = x[i]
        a1 = a0 + np.float32(1)
        a2 = a0 + np.float32(2)
        a3 = a0 + np.float32(3)
        a4 = a0 + np.float32(4)
        a5 = a0 + np.float32(5)
        a6 = a0 + np.float32(6)
        a7 = a0 + np.float32(7)
        t0 = ti.clock64()
        for _ in range(iterations):
            a0 = a0 * b + c
            a1 = a1 * b + c
            a2 = a2 * b + c
            a3 = a3 * b + c
            a4 = a4 * b + c
            a5 = a5 * b + c
            a6 = a6 * b + c
            a7 = a7 * b + c
        out[i] = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))
        t1 = ti.clock64()
        if cuda.laneid == 0:
            cycles[i // 32] = t1 - t0


def ffma_twin(x: np.ndarray, b, c, iterations: int, chains: int) -> np.ndarray:
    """``out`` of ``ffma_dependent`` (chains=1) or ``ffma_independent`` (chains=FFMA_ILP), bit for bit."""
    b, c = np.float32(b), np.float32(c)
    acc = [x + np.float32(k) for k in range(chains)]
    for _ in range(iterations):
        acc = [np.array([fma32(v, b, c) for v in a], np.float32) for a in acc]
    if chains == 1:
        return acc[0]
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]))


def ffma_flops(threads: int, iterations: int, chains: int) -> int:
    """Floating-point operations of an FFMA kernel launch (2 per FFMA, the sum not counted)."""
    return 2 * threads * iterations * chains


# ------------------------------------------------------------------ stream
@cuda.jit
def stream_copy(a, b):
    """``b[:] = a[:]``, grid-stride: each thread copies every (grid size)-th element."""
    for i in range(cuda.grid(1), a.size, cuda.gridsize(1)):
        b[i] = a[i]


@cuda.jit
def stream_triad(a, b, c, scalar):
    """``a[:] = b[:] + scalar * c[:]`` (one fma.rn.f32 each), grid-stride."""
    for i in range(cuda.grid(1), a.size, cuda.gridsize(1)):
        a[i] = b[i] + scalar * c[i]


def triad_twin(b: np.ndarray, c: np.ndarray, scalar) -> np.ndarray:
    """``a`` of ``stream_triad``: NVVM fuses ``b + scalar * c`` into fma(scalar, c, b), rounded once."""
    return np.array([fma32(scalar, c_i, b_i) for b_i, c_i in zip(b, c)], np.float32)


def stream_bytes(kernel, n: int, itemsize: int = 4) -> int:
    """DRAM bytes a stream kernel must move for n elements: 2 arrays for copy, 3 for triad."""
    return {stream_copy: 2, stream_triad: 3}[kernel] * n * itemsize


# ------------------------------------------------------------------ mma.sync
@cuda.jit
def mma_latency(A, B, C, iterations, D, cycles):
    """Each warp: ``acc = C``, then ``acc = A @ B + acc`` ``iterations`` times with mma.m16n8k16.f32.f16,
    each waiting for the last; warp w stores acc at rows 16w..16w+15 of D (shape (16 * warps, 8)).
    A (16 x 16, f16), B (16 x 8, f16) and C (16 x 8, f32) are the same for all warps.
    ``cycles[warp]``: the chain and the store of D."""
    warp = (cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x) // 32
    a = ti.load_a_m16n8k16_f16(A, 0, 0)
    b = ti.load_b_m16n8k16_f16(B, 0, 0)
    acc = ti.load_c_m16n8(C, 0, 0)
    t0 = ti.clock64()
    for _ in range(iterations):
        acc = ti.mma_m16n8k16_f32_f16(a, b, acc)
    ti.store_d_m16n8(D, MMA_M * warp, 0, acc)
    t1 = ti.clock64()
    if cuda.laneid == 0:
        cycles[warp] = t1 - t0


@cuda.jit
def mma_throughput(A, B, C, iterations, D, cycles):
    """As ``mma_latency`` with MMA_CHAINS independent accumulators per warp (``MMA_CHAINS * iterations``
    mma.sync per warp); chain k of warp w is stored at rows 16 (MMA_CHAINS w + k) of D."""
    warp = (cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x) // 32
    a = ti.load_a_m16n8k16_f16(A, 0, 0)
    b = ti.load_b_m16n8k16_f16(B, 0, 0)
    acc0 = ti.load_c_m16n8(C, 0, 0)
    acc1 = acc0
    acc2 = acc0
    acc3 = acc0
    t0 = ti.clock64()
    for _ in range(iterations):
        acc0 = ti.mma_m16n8k16_f32_f16(a, b, acc0)
        acc1 = ti.mma_m16n8k16_f32_f16(a, b, acc1)
        acc2 = ti.mma_m16n8k16_f32_f16(a, b, acc2)
        acc3 = ti.mma_m16n8k16_f32_f16(a, b, acc3)
    row = MMA_M * MMA_CHAINS * warp
    ti.store_d_m16n8(D, row, 0, acc0)
    ti.store_d_m16n8(D, row + MMA_M, 0, acc1)
    ti.store_d_m16n8(D, row + 2 * MMA_M, 0, acc2)
    ti.store_d_m16n8(D, row + 3 * MMA_M, 0, acc3)
    t1 = ti.clock64()
    if cuda.laneid == 0:
        cycles[warp] = t1 - t0


def mma_inputs(rng: np.random.Generator):
    """A, B, C of small integers: every product and sum of a short chain is exact in FP16 inputs and FP32
    accumulation, so ``mma_twin`` holds on any architecture's tensor cores."""
    A = rng.integers(-2, 3, (MMA_M, MMA_K)).astype(np.float16)
    B = rng.integers(-2, 3, (MMA_K, MMA_N)).astype(np.float16)
    C = rng.integers(-8, 9, (MMA_M, MMA_N)).astype(np.float32)
    return A, B, C


def mma_twin(A, B, C, iterations: int) -> np.ndarray:
    """One chain's D: C + iterations * A @ B (exact for ``mma_inputs`` and iterations below 2**14)."""
    product = A.astype(np.float64) @ B.astype(np.float64)
    return (C.astype(np.float64) + iterations * product).astype(np.float32)


def mma_flops(warps: int, iterations: int, chains: int) -> int:
    """Floating-point operations of an mma kernel launch: 2 m n k per mma.sync."""
    return 2 * MMA_M * MMA_N * MMA_K * warps * iterations * chains
