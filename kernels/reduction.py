"""Sum reductions: shared-memory tree per block, and warp shuffles plus an atomic."""

import numpy as np
from numba import cuda, float32, njit

from .case import KernelCase, blocks, twin_runner, uniform

TREE_TPB = 256      # must be a power of two
WARP = 32
SHFL_TPB = 128
SHFL_MAX_BLOCKS = 8


@cuda.jit
def sum_tree(x, partial):
    """partial[b] = sum of block b's TREE_TPB elements (a second pass adds the partials)."""
    buf = cuda.shared.array(TREE_TPB, float32)
    tid = cuda.threadIdx.x
    i = cuda.grid(1)
    buf[tid] = x[i] if i < x.size else float32(0.0)
    cuda.syncthreads()
    stride = TREE_TPB // 2
    while stride > 0:
        if tid < stride:
            buf[tid] += buf[tid + stride]
        cuda.syncthreads()
        stride //= 2
    if tid == 0:
        partial[cuda.blockIdx.x] = buf[0]


@njit(cache=True)
def sum_tree_twin(x, partial):
    buf = np.zeros(TREE_TPB, np.float32)
    for b in range(partial.size):
        buf[:] = 0
        n = min(TREE_TPB, x.size - b * TREE_TPB)
        buf[:n] = x[b * TREE_TPB: b * TREE_TPB + n]
        stride = TREE_TPB // 2
        while stride > 0:
            for t in range(stride):
                buf[t] += buf[t + stride]
            stride //= 2
        partial[b] = buf[0]


@cuda.jit
def sum_shuffle(x, out):
    """out[0] += sum(x): grid-stride partial sums, a shfl_down tree per warp, then
    lane 0 of every warp adds its warp's total atomically."""
    start = cuda.grid(1)
    acc = float32(0.0)
    for i in range(start, x.size, cuda.gridsize(1)):
        acc += x[i]
    offset = WARP // 2
    while offset > 0:
        acc += cuda.shfl_down_sync(0xFFFFFFFF, acc, offset)
        offset //= 2
    if cuda.threadIdx.x % WARP == 0:
        cuda.atomic.add(out, 0, acc)


@njit(cache=True)
def sum_shuffle_twin(x, out):
    nthreads = min(SHFL_MAX_BLOCKS, (x.size + SHFL_TPB - 1) // SHFL_TPB) * SHFL_TPB
    acc = np.zeros(nthreads, np.float32)
    for t in range(nthreads):
        for i in range(t, x.size, nthreads):
            acc[t] += x[i]
    for w in range(0, nthreads, WARP):
        lanes = acc[w: w + WARP].copy()
        offset = WARP // 2
        while offset > 0:
            # Lanes whose source lane is past the warp get their own value back,
            # but only lane 0's final value is used.
            lanes[: WARP - offset] = lanes[: WARP - offset] + lanes[offset:]
            offset //= 2
        out[0] += lanes[0]


CASES = [
    KernelCase(
        name="sum_tree",
        kernel=sum_tree,
        make_inputs=lambda rng, n: (uniform(rng, n, low=0.0),
                                    np.zeros(blocks(n, TREE_TPB), np.float32)),
        launch_config=lambda args: ((args[1].size,), (TREE_TPB,)),
        run_twin=twin_runner(sum_tree_twin, (1,)),
        outputs=(1,),
        sizes=(1, 300, 5000),
    ),
    KernelCase(
        name="sum_shuffle",
        kernel=sum_shuffle,
        make_inputs=lambda rng, n: (uniform(rng, n, low=0.0), np.zeros(1, np.float32)),
        launch_config=lambda args: ((min(SHFL_MAX_BLOCKS, blocks(args[0].size, SHFL_TPB)),),
                                    (SHFL_TPB,)),
        run_twin=twin_runner(sum_shuffle_twin, (1,)),
        outputs=(1,),
        sizes=(1, 300, 5000),
        tolerance=(1e-5, 0.0),
        reason="up to 32 warp totals are added atomically in an unspecified order; "
               "inputs are >= 0, so any order is within 32 ulp of the twin's",
    ),
]
