"""Microbenchmarks of the machine itself: one module for the physics validation of the cycle model
(tests/test_timing_physics.py, bench/timing_validation.py) and for the real-GPU timing files
(emu/hw/timing.py, tests/test_hw_timing.py).

Every kernel runs on a real GPU and on emu. CUDA C++ (compiled with NVRTC, so
the same source runs on a real GPU; emu.hw.timing launches it there with the
driver API) with inline PTX where the exact instruction sequence matters,
timed with ``clock64()`` inside the kernel the way the published
microbenchmarks are (Jia et al. 2018; Abdelkhalik et al. 2022; Luo et al.
2024/2025):

- ``chase_shared``: one thread, ``ld.shared.u32 p, [p]`` N times (a pointer chase
  through a ring of shared-memory addresses), no address arithmetic between loads.
- ``chase_global``: one thread, ``ld.global.ca.u64 p, [p]`` N times through a ring
  of absolute pointers. ``mode == 0`` builds the ring (one thread per element;
  run it in functional mode), ``mode == 1`` walks it: ``warm_steps`` untimed
  loads (fill L1 / L2), then ``steps`` timed ones. Building in another launch
  leaves the chasing launch's caches cold, so the first walk is a DRAM walk
  (the model starts every launch with empty caches; on a GPU, flush L2 first).
  The same arguments in both launches give the array the same address (on a GPU:
  keep the array on the device).
- ``ffma_chain_64``, ``ffma_chain_128``: one thread, N dependent ``fma.rn.f32`` between
  two clock64 reads.
- ``ffma_throughput``: every thread runs ``iters`` x 16 x 8 FFMAs on 8 independent
  accumulators; ``cycles[warp]``: the loop and the sum of the accumulators.
- ``mma_latency_*``: every warp issues ``iters`` dependent ``mma.sync`` on one accumulator;
  ``mma_throughput_*``: ``iters`` x 4 independent ones on 4 accumulators (sm_80+/sm_90:
  m16n8k16 f16; sm_75: m16n8k8 f16; sm_70: m8n8k4 f16). ``cycles[warp]``: the loop.
- ``stream_copy``, ``stream_triad`` (numba): grid-stride STREAM copy and triad.
- ``load_strided`` (numba): each warp loads ``a[(i * stride) % n]`` ``reps`` times; the
  sum is stored only when it equals a sentinel that never occurs, so only loads count.

Timed regions end with a read of ``%clock64`` placed after an instruction that uses
the last result (``and.b64 t, p, 0``), so the last load's (or FMA's, or mma's) latency
is inside the measurement: cycles = N x latency + 2 (issue of the first clock read and
of the ``and``). Loop counters and branches do not depend on the chased value, so they
issue in the shadow of the latency and add nothing.

Each kernel's result is deterministic and has a CPU twin here (``chase_end``,
``ffma_chain_twin``, ``ffma_throughput_twin``, ``triad_twin``, ``mma_twin``), so the
kernels double as functional tests of emu.
"""
from __future__ import annotations

import numpy as np
from numba import cuda, float32

from .case import fma32

# --------------------------------------------------------------- the clock
CLOCK_SRC = r"""
__device__ __forceinline__ long long clock_now()
{
    long long t;
    asm volatile("mov.u64 %0, %%clock64;" : "=l"(t) :: "memory");
    return t;
}

__device__ __forceinline__ long long clock_after(unsigned long long p)
{   // %clock64 read once p is available (the and waits for it on the scoreboard)
    long long t;
    asm volatile("{\n\t.reg .b64 z;\n\tand.b64 z, %1, 0;\n\tmov.u64 %0, %%clock64;\n\tadd.s64 %0, %0, z;\n\t}"
                 : "=l"(t) : "l"(p) : "memory");
    return t;
}

__device__ __forceinline__ long long clock_after(unsigned int p)
{
    long long t;
    asm volatile("{\n\t.reg .b32 z;\n\tand.b32 z, %1, 0;\n\tmov.u64 %0, %%clock64;\n\t}"
                 : "=l"(t) : "r"(p) : "memory");
    return t;
}

__device__ __forceinline__ long long clock_after_f(float x)
{
    long long t;
    asm volatile("{\n\t.reg .b32 z;\n\tand.b32 z, %1, 0;\n\tmov.u64 %0, %%clock64;\n\t}"
                 : "=l"(t) : "r"(__float_as_uint(x)) : "memory");
    return t;
}
"""

# --------------------------------------------------------------- pointer chase
CHASE_SRC = CLOCK_SRC + r"""
extern "C" __global__ void chase_shared(int n, int stride_words, int steps, long long* out)
{
    __shared__ unsigned int ring[4096];
    if (threadIdx.x != 0) return;
    unsigned int base = (unsigned int)__cvta_generic_to_shared(ring);
    for (int i = 0; i < n; i++)
        ring[i * stride_words] = base + (unsigned int)(((i + 1) % n) * stride_words * 4);
    __syncwarp();
    unsigned int p = base;
    long long t0 = clock_after(p);
    for (int i = 0; i < steps; i++)
        asm volatile("ld.shared.u32 %0, [%0];" : "+r"(p) :: "memory");
    long long t1 = clock_after(p);
    out[0] = t1 - t0;
    out[1] = p;
}

extern "C" __global__ void chase_global(unsigned long long* chain, int n, int stride_words, int mode,
                                        int warm_steps, int steps, long long* out)
{
    if (mode == 0) {                 // build the ring: element i points at element i + 1
        int i = blockIdx.x * blockDim.x + threadIdx.x;
        if (i < n)
            chain[(long long)i * stride_words] =
                (unsigned long long)(chain + (long long)((i + 1) % n) * stride_words);
        if (i == 0)
            out[2] = (long long)chain;
        return;
    }
    if (threadIdx.x != 0 || blockIdx.x != 0) return;
    unsigned long long p = (unsigned long long)chain;
    for (int i = 0; i < warm_steps; i++)
        asm volatile("ld.global.ca.u64 %0, [%0];" : "+l"(p) :: "memory");
    long long t0 = clock_after(p);     // after the last warming load is back
    for (int i = 0; i < steps; i++)
        asm volatile("ld.global.ca.u64 %0, [%0];" : "+l"(p) :: "memory");
    long long t1 = clock_after(p);
    out[0] = t1 - t0;
    out[1] = (long long)p;
    out[2] = (long long)chain;
}
"""

# --------------------------------------------------------------- FP32 arithmetic
FFMA_SRC = CLOCK_SRC + r"""
#define FFMA(x) asm volatile("fma.rn.f32 %0, %0, %1, %2;" : "+f"(x) : "f"(a), "f"(b))

template <int N>
__device__ void ffma_chain_n(float a, float b, float* out, long long* cycles)
{
    float x = out[0];
    long long t0 = clock_after_f(x);   // once x has arrived
#pragma unroll
    for (int i = 0; i < N; i++) FFMA(x);
    long long t1 = clock_after_f(x);
    out[0] = x;
    cycles[0] = t1 - t0;
}

extern "C" __global__ void ffma_chain_64(float a, float b, float* out, long long* cycles)
{ if (threadIdx.x == 0) ffma_chain_n<64>(a, b, out, cycles); }

extern "C" __global__ void ffma_chain_128(float a, float b, float* out, long long* cycles)
{ if (threadIdx.x == 0) ffma_chain_n<128>(a, b, out, cycles); }

extern "C" __global__ void ffma_throughput(float a, float b, int iters, float* out, long long* cycles)
{
    float x0 = threadIdx.x, x1 = x0 + 1, x2 = x0 + 2, x3 = x0 + 3, x4 = x0 + 4, x5 = x0 + 5, x6 = x0 + 6,
          x7 = x0 + 7;
    long long t0 = clock_now();
    for (int i = 0; i < iters; i++) {
#pragma unroll
        for (int j = 0; j < 16; j++) {
            FFMA(x0); FFMA(x1); FFMA(x2); FFMA(x3); FFMA(x4); FFMA(x5); FFMA(x6); FFMA(x7);
        }
    }
    float s = x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7;
    long long t1 = clock_after_f(s);
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    out[i] = s;
    if ((threadIdx.x & 31) == 0)
        cycles[i / 32] = t1 - t0;
}
"""
FFMA_PER_ITER = 16 * 8          # FFMAs per thread per iteration of ffma_throughput

# --------------------------------------------------------------- tensor cores
MMA_SRC = CLOCK_SRC + r"""
#define ACC4(d) "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
#define ACC8(d) "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7])

// m16n8k16 f16 -> f32 (sm_80, sm_90): A four .b32, B two .b32, C/D four f32
#define MMA_16816(d) asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 " \
    "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};" \
    : ACC4(d) : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1))

// m16n8k8 f16 -> f32 (sm_75): A two .b32, B one .b32
#define MMA_1688(d) asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.f16.f16.f32 " \
    "{%0,%1,%2,%3}, {%4,%5}, {%6}, {%0,%1,%2,%3};" \
    : ACC4(d) : "r"(a0), "r"(a1), "r"(b0))

// m8n8k4 f16 -> f32 (sm_70): A two .b32, B two .b32, C/D eight f32
#define MMA_884(d) asm volatile("mma.sync.aligned.m8n8k4.row.col.f32.f16.f16.f32 " \
    "{%0,%1,%2,%3,%4,%5,%6,%7}, {%8,%9}, {%10,%11}, {%0,%1,%2,%3,%4,%5,%6,%7};" \
    : ACC8(d) : "r"(a0), "r"(a1), "r"(b0), "r"(b1))

#define MMA_OPERANDS                                                                         \
    unsigned int a0 = ab[0], a1 = ab[1], a2 = ab[2], a3 = ab[3], b0 = ab[4], b1 = ab[5];    \
    (void)a2; (void)a3; (void)b1;                                                            \
    long long t0 = clock_after(a0 ^ a1 ^ a2 ^ a3 ^ b0 ^ b1);   /* once the operands are in */

#define MMA_STORE(S, T1)                                                                     \
    int tid = blockIdx.x * blockDim.x + threadIdx.x;                                         \
    out[tid] = S;                                                                            \
    if ((threadIdx.x & 31) == 0)                                                             \
        cycles[tid / 32] = T1 - t0;

// iters x 4 independent mma.sync per warp; the clock stops once the last-issued chain's is back
#define MMA_THROUGHPUT_KERNEL(NAME, MMA, NACC)                                               \
extern "C" __global__ void NAME(const unsigned int* ab, int iters, float* out, long long* cycles) \
{                                                                                            \
    MMA_OPERANDS                                                                             \
    float c0[NACC] = {0}, c1[NACC] = {0}, c2[NACC] = {0}, c3[NACC] = {0};                   \
    for (int i = 0; i < iters; i++) {                                                        \
        MMA(c0); MMA(c1); MMA(c2); MMA(c3);                                                  \
    }                                                                                        \
    long long t1 = clock_after_f(c3[0]);                                                     \
    float s = 0;                                                                             \
    for (int j = 0; j < NACC; j++) s += c0[j] + c1[j] + c2[j] + c3[j];                       \
    MMA_STORE(s, t1)                                                                         \
}

// iters dependent mma.sync per warp (each waits for the last's accumulator)
#define MMA_LATENCY_KERNEL(NAME, MMA, NACC)                                                  \
extern "C" __global__ void NAME(const unsigned int* ab, int iters, float* out, long long* cycles) \
{                                                                                            \
    MMA_OPERANDS                                                                             \
    float c0[NACC] = {0};                                                                    \
    for (int i = 0; i < iters; i++)                                                          \
        MMA(c0);                                                                             \
    long long t1 = clock_after_f(c0[0]);                                                     \
    float s = 0;                                                                             \
    for (int j = 0; j < NACC; j++) s += c0[j];                                               \
    MMA_STORE(s, t1)                                                                         \
}

"""
# One source per shape: ptxas refuses a shape the target lacks anywhere in the module.
_MMA_SHAPES = {"m16n8k16": ("MMA_16816", 4), "m16n8k8": ("MMA_1688", 4), "m8n8k4": ("MMA_884", 8)}
MMA_SOURCES = {f"mma_{kind}_{shape}": MMA_SRC + f"MMA_{kind.upper()}_KERNEL(mma_{kind}_{shape}, {mma}, {nacc})\n"
               for shape, (mma, nacc) in _MMA_SHAPES.items() for kind in ("throughput", "latency")}
MMA_PER_ITER = 4                 # mma.sync per warp per iteration
# (entry, m, n, k x independent products per instruction) by SM version
MMA_ENTRY = {70: ("mma_throughput_m8n8k4", 8, 8, 4 * 4), 75: ("mma_throughput_m16n8k8", 16, 8, 8),
             80: ("mma_throughput_m16n8k16", 16, 8, 16), 90: ("mma_throughput_m16n8k16", 16, 8, 16)}
MMA_AB_ONES = np.full(6, 0x3C003C00, np.uint32)    # the kernels' A and B registers: f16 pairs of 1.0


def mma_entry(sm: int) -> tuple[str, int, int, int]:
    """MMA_ENTRY for SM version ``sm`` (e.g. 86): the newest shape at or below it."""
    return MMA_ENTRY[min(MMA_ENTRY, key=lambda v: (v > sm, -v))]


def mma_kernel(sm: int, kind: str = "throughput"):
    """The ``mma_throughput_*`` (or, ``kind="latency"``, ``mma_latency_*``) kernel for SM version ``sm``."""
    import emu
    name = mma_entry(sm)[0].replace("throughput", kind)
    return emu.compile_cuda(MMA_SOURCES[name], name)


def mma_twin(sm: int, iters: int, chains: int) -> float:
    """``out`` of every thread of an mma kernel with MMA_AB_ONES: each accumulator element sums
    iters x k products of 1.0 (k x products per instruction), and a thread sums its
    chains x (4 or 8) accumulator registers."""
    entry, _, _, k = mma_entry(sm)
    if entry.endswith("m8n8k4"):                      # four 8x8x4 products per warp, 8 registers a thread
        registers, k = 8, 4
    else:
        registers = 4
    return float(chains * registers * k * iters)


# --------------------------------------------------------------- streams (numba)
STREAM_ILP = 4     # independent loads in flight per thread: enough bytes in flight to cover the DRAM latency


@cuda.jit
def stream_copy(a, b):
    """b[i] = a[i]: each thread copies STREAM_ILP elements a grid apart per step, loading all before
    storing (a one-load-per-thread loop is latency-bound on a GPU: too few bytes in flight)."""
    start = cuda.grid(1)
    step = cuda.gridsize(1)
    n = a.size
    for i in range(start, n, STREAM_ILP * step):
        x0 = a[i]
        x1 = a[i + step] if i + step < n else float32(0.0)
        x2 = a[i + 2 * step] if i + 2 * step < n else float32(0.0)
        x3 = a[i + 3 * step] if i + 3 * step < n else float32(0.0)
        b[i] = x0
        if i + step < n:
            b[i + step] = x1
        if i + 2 * step < n:
            b[i + 2 * step] = x2
        if i + 3 * step < n:
            b[i + 3 * step] = x3


@cuda.jit
def stream_triad(a, b, c, s):
    """a[i] = b[i] + s * c[i], STREAM_ILP elements per thread per step as in stream_copy: every load
    of a step is issued before the first multiply-add waits for one (PTX runs in order, so a
    multiply-add between conditional loads would leave one load in flight at a time)."""
    start = cuda.grid(1)
    step = cuda.gridsize(1)
    n = a.size
    for i in range(start, n, STREAM_ILP * step):
        b0, c0 = b[i], c[i]
        b1 = b[i + step] if i + step < n else float32(0.0)
        c1 = c[i + step] if i + step < n else float32(0.0)
        b2 = b[i + 2 * step] if i + 2 * step < n else float32(0.0)
        c2 = c[i + 2 * step] if i + 2 * step < n else float32(0.0)
        b3 = b[i + 3 * step] if i + 3 * step < n else float32(0.0)
        c3 = c[i + 3 * step] if i + 3 * step < n else float32(0.0)
        a[i] = b0 + s * c0
        if i + step < n:
            a[i + step] = b1 + s * c1
        if i + 2 * step < n:
            a[i + 2 * step] = b2 + s * c2
        if i + 3 * step < n:
            a[i + 3 * step] = b3 + s * c3


def triad_twin(b: np.ndarray, c: np.ndarray, scalar) -> np.ndarray:
    """``a`` of ``stream_triad``: NVVM fuses ``b + scalar * c`` into fma(scalar, c, b), rounded once."""
    return np.array([fma32(scalar, c_i, b_i) for b_i, c_i in zip(b, c)], np.float32)


def stream_bytes(kernel, n: int, itemsize: int = 4) -> int:
    """DRAM bytes a stream kernel must move for n elements: 2 arrays for copy, 3 for triad."""
    return {stream_copy: 2, stream_triad: 3}[kernel] * n * itemsize


# --------------------------------------------------------------- coalescing (numba)
@cuda.jit
def load_strided(a, stride, reps, out):
    """Thread i loads a[(i * stride + r * 32 * stride) % n] for r < reps; stores nothing unless the sum
    is the sentinel -1 (the inputs are non-negative), so every global request is a load."""
    i = cuda.grid(1)
    n = a.size
    acc = float32(0.0)
    for r in range(reps):
        acc += a[(i * stride + r * 32 * stride) % n]
    if acc == float32(-1.0):
        out[i] = acc


# =============================================================== CPU twins of the C++ kernels
def chase_end(base: int, n: int, stride_bytes: int, loads: int) -> int:
    """The address a chase of ``loads`` dependent loads from ``base`` through a ring of ``n`` pointers
    ``stride_bytes`` apart ends at (``out[1]`` of chase_shared and chase_global)."""
    return base + (loads % n) * stride_bytes


def ffma_chain_twin(x, a, b, n: int) -> np.float32:
    """``out[0]`` of ``ffma_chain_<n>``: ``x = fma(x, a, b)`` n times, each rounded once."""
    x, a, b = np.float32(x), np.float32(a), np.float32(b)
    for _ in range(n):
        x = fma32(x, a, b)
    return x


def ffma_throughput_twin(threads: int, block: int, a, b, iters: int) -> np.ndarray:
    """``out`` of ``ffma_throughput`` for ``threads`` threads in blocks of ``block`` (a thread's accumulators
    start at its threadIdx.x + 0 .. 7; the sum is taken left to right)."""
    a, b = np.float32(a), np.float32(b)
    out = np.zeros(threads, np.float32)
    for i in range(threads):
        acc = [ffma_chain_twin(np.float32(i % block) + np.float32(k), a, b, iters * 16) for k in range(8)]
        s = acc[0]
        for v in acc[1:]:
            s = np.float32(s + v)
        out[i] = s
    return out


# =============================================================== measurements on an emu.GPU
# Each returns what the microbenchmark measured; tests/test_timing_physics.py and
# bench/timing_validation.py compare it with the published figures in PUBLISHED.

def chase_shared_latency(gpu, steps: int = 256) -> float:
    """Cycles per dependent shared-memory load (a ring of 256 words 16 bytes apart)."""
    import emu
    out = np.zeros(4, np.int64)
    gpu.launch(emu.compile_cuda(CHASE_SRC, "chase_shared"), 1, 32,
               (np.int32(256), np.int32(4), np.int32(steps), out))
    return out[0] / steps


def chase_global_latency(gpu, n: int, stride_bytes: int, warm_steps: int, steps: int):
    """Cycles per dependent global load through a ring of ``n`` pointers ``stride_bytes`` apart, after
    ``warm_steps`` untimed loads; returns (cycles per load, the launch's Report)."""
    import emu
    kernel = emu.compile_cuda(CHASE_SRC, "chase_global")
    words = stride_bytes // 8
    chain = np.zeros(n * words, np.uint64)
    out = np.zeros(4, np.int64)

    def args(mode):
        return chain, np.int32(n), np.int32(words), np.int32(mode), np.int32(warm_steps), np.int32(steps), out
    gpu.launch(kernel, (n + 255) // 256, 256, args(0), mode="functional")     # build the ring
    base = int(out[2])
    run = gpu.launch(kernel, 1, 32, args(1))                                    # walk it, timed
    if int(out[2]) != base:
        raise RuntimeError("the ring moved between the launches: its pointers are stale")
    return out[0] / steps, run.report


def level_latencies(gpu) -> dict:
    """Pointer-chase latency (cycles) of shared memory, L1, L2 and DRAM on ``gpu``.

    L1: 64 pointers 32 B apart (2 KB), walked once to warm L1, then 256 timed loads.
    L2: 1 MB (larger than any preset's L1 + shared, 256 KB at most, smaller than any L2, 4 MB at
        least) 32 B apart, so every load is a new sector, walked once (L2 warm, L1 thrashed), then 512.
        Consecutive lines alternate between the near and far L2 partitions where there are two.
    DRAM: 512 pointers 33 lines apart (an odd number of lines: near and far alternate), first touch.
    """
    l1, _ = chase_global_latency(gpu, 64, 32, 64, 256)
    n_l2 = (1 << 20) // 32
    l2, _ = chase_global_latency(gpu, n_l2, 32, n_l2, 512)
    dram, _ = chase_global_latency(gpu, 512, 33 * 128, 0, 512)
    return {"shared": chase_shared_latency(gpu), "L1": l1, "L2": l2, "DRAM": dram}


def ffma_chain_cycles(gpu, n: int) -> int:
    """clock64 cycles around ``n`` dependent FFMAs (n = 64 or 128)."""
    import emu
    x, cycles = np.ones(1, np.float32), np.zeros(1, np.int64)
    gpu.launch(emu.compile_cuda(FFMA_SRC, f"ffma_chain_{n}"), 1, 32, (np.float32(1.0), np.float32(0.5), x, cycles))
    return int(cycles[0])


def _slope(run, small: int, large: int, flops_of):
    """(FLOP per cycle per SM) from two launches on one SM that differ only in iterations: the
    difference cancels the start (parameter and operand loads) and the end."""
    a, b = run(small).report, run(large).report
    return (flops_of(b) - flops_of(a)) / (b.cycles - a.cycles)


def ffma_flops_per_cycle(gpu, threads: int = 256) -> float:
    """FP32 FLOP per cycle of one SM running ffma_throughput (8 warps, 8 accumulators each)."""
    import emu
    kernel = emu.compile_cuda(FFMA_SRC, "ffma_throughput")
    out, cycles = np.zeros(threads, np.float32), np.zeros(threads // 32, np.int64)
    return _slope(lambda iters: gpu.launch(kernel, 1, threads, (np.float32(1.0), np.float32(0.5), np.int32(iters),
                                                                 out, cycles)),
                  8, 24, lambda r: r.flops["fp32"])


def mma_fma_per_cycle(gpu, threads: int = 256) -> float:
    """Tensor-core FMA per cycle of one SM running mma_throughput (8 warps, 4 independent mma.sync each)."""
    from emu.arch.presets import sm_number
    kernel = mma_kernel(sm_number(gpu.preset.cc))
    out, cycles = np.zeros(threads, np.float32), np.zeros(threads // 32, np.int64)
    return _slope(lambda iters: gpu.launch(kernel, 1, threads, (MMA_AB_ONES, np.int32(iters), out, cycles)),
                  16, 48, lambda r: r.flops["fp16"] / 2)


def stream_fraction(gpu, which: str, n: int = 1 << 22) -> float:
    """DRAM bandwidth of STREAM copy or triad on ``n`` floats per array, as a fraction of the datasheet
    peak; 1024-thread CTAs filling every SM (all resident at once), as STREAM runs on a GPU: full
    occupancy keeps the most bytes in flight."""
    a, b, c = np.ones(n, np.float32), np.zeros(n, np.float32), np.ones(n, np.float32)
    grid = gpu.preset.sm_count * (gpu.preset.max_threads_per_sm // 1024)
    if which == "copy":
        report = gpu.launch(stream_copy, grid, 1024, (a, b)).report
    else:
        report = gpu.launch(stream_triad, grid, 1024, (b, a, c, np.float32(3.0))).report
    return report.dram_gb_per_s * 1e9 / report.roofline["dram"]


def sectors_per_request(gpu, stride: int) -> float:
    """Sectors per global load request of load_strided at ``stride`` floats (one CTA of 4 warps)."""
    a = np.arange(32 * 32 * 4 * 8, dtype=np.float32)
    out = np.zeros(128, np.float32)
    return gpu.launch(load_strided, 1, 128, (a, np.int64(stride), np.int64(8), out)).report.sectors_per_request


# =============================================================== published figures
# Load-to-use latencies in SM cycles from shared/REFERENCE.md, "Latencies from microbenchmarks
# (pointer chase)": the value of each published spread that the preset cites (emu/arch/presets.py
# says which and why). Two-partition L2s (A100, H100): a chase over lines that alternate between the
# partitions sees the mean of near and far (REFERENCE.md: "a model with one L2 latency should use a
# footprint-weighted mix"). T4: Accel-Sim's tuned Turing model [ACCEL-TU]. H200: H100's GH100 chip.
_H100_LATENCY = {"shared": 29,                    # ~29 [LUO]
                 "L1": 32,                        # 32-40 [LUO]
                 "L2": (258 + 414) / 2,           # near ~258, far ~414 [LUO]
                 "DRAM": (555 + 660) / 2}         # ~555-660 [LUO]
PUBLISHED_LATENCY = {
    "sm_70": {"shared": 19,                       # 19-27 [JIA-V]; Accel-Sim 20
              "L1": 28,                           # 28-36 [JIA-V]; Accel-Sim 28
              "L2": 214,                          # 210-220 [JIA-V]
              "DRAM": 300},                       # ~300 with a small footprint (TLB hits) [JIA-V]
    "sm_75": {"shared": 30, "L1": 32, "L2": 194,  # [ACCEL-TU] smem 30, L1 32, L2 194
              "DRAM": 194 + 96},                  # [ACCEL-TU] L2 + 96 DRAM
    "sm_80": {"shared": 23,                       # 23-31 [ABD-A]
              "L1": 32,                           # 32-39 [ABD-A]
              "L2": (208 + 357) / 2,              # near ~208, far ~357 [LUO]
              "DRAM": (475 + 623) / 2},           # near miss 475, far 623 (~470-570) [LUO]
    "sm_90": _H100_LATENCY,
    "h200": _H100_LATENCY,
}
# Tensor-core dense FP16 FMA per cycle per SM (REFERENCE.md "Tensor-core peaks per SM per clock";
# T4: [DS-T4] 65 TFLOPS / (40 SMs x 1.59 GHz x 2)), and the fraction of it a stream of mma.sync
# reaches on the real GPU: A100 "> 95%" (test: >= 85%), H800 "~63%" (test: 55-70%), V100 wmma
# 478/512 = 93% (test: >= 85%); T4: not published (printed, not tested).
TENSOR_FMA_PER_SM = {"sm_70": 512, "sm_75": 512, "sm_80": 1024, "sm_90": 2048, "h200": 2048}
MMA_SYNC_BOUNDS = {"sm_70": (0.85, 1.0), "sm_75": None, "sm_80": (0.85, 1.0), "sm_90": (0.55, 0.70),
                   "h200": (0.55, 0.70)}
# Per tensor core, FMA per cycle (REFERENCE.md datasheet table): V100 64 (4x4x4), A100 256 (8x4x8);
# tensor cores per SM: V100 8, A100 4.
TC_FMA_PER_UNIT = {"sm_70": (64, 8), "sm_80": (256, 4)}
STREAM_BOUNDS = (0.80, 0.95)         # of the datasheet DRAM peak (issue 8; REFERENCE.md: GPUs reach 85-97%)
FFMA_MIN = 0.90                      # of the FP32 peak
LATENCY_TOLERANCE = 0.10
ARCHS = ("sm_70", "sm_75", "sm_80", "sm_90", "h200")
