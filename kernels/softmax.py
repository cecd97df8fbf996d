"""Row-wise softmax: one block per row, max and sum reduced in shared memory."""

import math

import numpy as np
from numba import cuda, float32, njit

from .case import KernelCase, twin_runner, uniform

TPB = 128   # must be a power of two
ROWS = 5


@cuda.jit
def softmax_rows(x, out):
    """out[r] = exp(x[r] - max(x[r])) / sum(exp(x[r] - max(x[r])))."""
    red = cuda.shared.array(TPB, float32)
    row = cuda.blockIdx.x
    tid = cuda.threadIdx.x
    n = x.shape[1]

    # 1. Row maximum: strided per-thread maxima, then a tree in shared memory.
    m = float32(-math.inf)
    for j in range(tid, n, TPB):
        m = max(m, x[row, j])
    red[tid] = m
    cuda.syncthreads()
    stride = TPB // 2
    while stride > 0:
        if tid < stride:
            red[tid] = max(red[tid], red[tid + stride])
        cuda.syncthreads()
        stride //= 2
    row_max = red[0]
    cuda.syncthreads()      # all threads have read red[0] before it is reused

    # 2. Exponentials (kept in out) and their sum, reduced the same way.
    total = float32(0.0)
    for j in range(tid, n, TPB):
        e = math.exp(x[row, j] - row_max)
        out[row, j] = e
        total += e
    red[tid] = total
    cuda.syncthreads()
    stride = TPB // 2
    while stride > 0:
        if tid < stride:
            red[tid] += red[tid + stride]
        cuda.syncthreads()
        stride //= 2

    # 3. Normalise.
    total = red[0]
    for j in range(tid, n, TPB):
        out[row, j] = out[row, j] / total


@njit(cache=True)
def softmax_rows_twin(x, out):
    n = x.shape[1]
    for row in range(x.shape[0]):
        row_max = x[row].max()
        partial = np.zeros(TPB, np.float32)
        for j in range(n):
            e = np.float32(math.exp(x[row, j] - row_max))
            out[row, j] = e
            partial[j % TPB] += e
        stride = TPB // 2
        while stride > 0:
            for t in range(stride):
                partial[t] += partial[t + stride]
            stride //= 2
        for j in range(n):
            out[row, j] = out[row, j] / partial[0]


CASES = [
    KernelCase(
        name="softmax_rows",
        kernel=softmax_rows,
        make_inputs=lambda rng, n: (uniform(rng, (ROWS, n), low=-8.0, high=8.0),
                                    np.zeros((ROWS, n), np.float32)),
        launch_config=lambda args: ((args[0].shape[0],), (TPB,)),
        run_twin=twin_runner(softmax_rows_twin, (1,)),
        outputs=(1,),
        sizes=(1, 100, 300),
        tolerance=(1e-5, 1e-9),
        reason="CUDA's expf (libdevice) is within 2 ulp, not correctly rounded like the "
               "CPU's; the summation order is the same",
    ),
]
