"""Single-precision matrix multiply C = A @ B: naive, shared-memory tiled, padded tiles.

All three accumulate k = 0, 1, ..., K-1 in order with one fused multiply-add per term
(zero-padded tile entries add fma(x, 0, acc) == acc), so they all match the same twin.
"""

import numpy as np
from numba import cuda, float32, njit

from .case import EXACT_FMA, KernelCase, blocks, fma32, twin_runner, uniform

TPB = 16  # tile width: blocks are TPB x TPB threads
TPB_PADDED = TPB + 1


@cuda.jit
def gemm_naive(A, B, C):
    """One thread per C element, reading A and B straight from global memory."""
    col, row = cuda.grid(2)
    if row < C.shape[0] and col < C.shape[1]:
        acc = float32(0.0)
        for k in range(A.shape[1]):
            acc += A[row, k] * B[k, col]
        C[row, col] = acc


@cuda.jit
def gemm_tiled(A, B, C):
    """The lecture's tiled SGEMM: stage TPB x TPB tiles of A and B in shared memory."""
    sA = cuda.shared.array((TPB, TPB), float32)
    sB = cuda.shared.array((TPB, TPB), float32)
    col, row = cuda.grid(2)
    tx = cuda.threadIdx.x
    ty = cuda.threadIdx.y
    M, K = A.shape
    N = B.shape[1]

    acc = float32(0.0)
    for tile in range((K + TPB - 1) // TPB):
        k0 = tile * TPB
        # Each thread loads one element of each tile (zero outside the matrices).
        if row < M and k0 + tx < K:
            sA[ty, tx] = A[row, k0 + tx]
        else:
            sA[ty, tx] = 0
        if col < N and k0 + ty < K:
            sB[ty, tx] = B[k0 + ty, col]
        else:
            sB[ty, tx] = 0
        cuda.syncthreads()          # tiles fully loaded
        for j in range(TPB):
            acc += sA[ty, j] * sB[j, tx]
        cuda.syncthreads()          # everyone done before the tiles are overwritten
    if row < M and col < N:
        C[row, col] = acc


@cuda.jit
def gemm_tiled_padded(A, B, C):
    """Tiled SGEMM with the A tile stored transposed in TPB x (TPB+1) shared arrays.

    Writing sAT[tx, ty] walks down a column: with a row stride of TPB words a warp's
    32 stores fall into only 4 of the 32 banks (8-way conflict). Padding each row by
    one word shifts it by one bank, spreading the stores over all banks (at most 2-way).
    """
    sAT = cuda.shared.array((TPB, TPB_PADDED), float32)   # sAT[k, i] = A[row0 + i, k0 + k]
    sB = cuda.shared.array((TPB, TPB_PADDED), float32)
    col, row = cuda.grid(2)
    tx = cuda.threadIdx.x
    ty = cuda.threadIdx.y
    M, K = A.shape
    N = B.shape[1]

    acc = float32(0.0)
    for tile in range((K + TPB - 1) // TPB):
        k0 = tile * TPB
        if row < M and k0 + tx < K:
            sAT[tx, ty] = A[row, k0 + tx]
        else:
            sAT[tx, ty] = 0
        if col < N and k0 + ty < K:
            sB[ty, tx] = B[k0 + ty, col]
        else:
            sB[ty, tx] = 0
        cuda.syncthreads()
        for j in range(TPB):
            acc += sAT[j, ty] * sB[j, tx]
        cuda.syncthreads()
    if row < M and col < N:
        C[row, col] = acc


@njit(cache=True)
def gemm_twin(A, B, C):
    for i in range(C.shape[0]):
        for j in range(C.shape[1]):
            acc = np.float32(0.0)
            for k in range(A.shape[1]):
                acc = fma32(A[i, k], B[k, j], acc)
            C[i, j] = acc


def make_gemm_inputs(rng, n):
    """A is n x (n+3), B is (n+3) x (n+7): no dimension a multiple of the tile."""
    m, k, p = n, n + 3, n + 7
    return uniform(rng, (m, k)), uniform(rng, (k, p)), np.zeros((m, p), np.float32)


def gemm_launch(args):
    M, N = args[2].shape
    return (blocks(N, TPB), blocks(M, TPB)), (TPB, TPB)


CASES = [
    KernelCase(
        name=name,
        kernel=kernel,
        make_inputs=make_gemm_inputs,
        launch_config=gemm_launch,
        run_twin=twin_runner(gemm_twin, (2,)),
        outputs=(2,),
        sizes=(5, 37),
        fuses_fma=True,
        reason=EXACT_FMA,
    )
    for name, kernel in [("gemm_naive", gemm_naive), ("gemm_tiled", gemm_tiled),
                         ("gemm_tiled_padded", gemm_tiled_padded)]
]
