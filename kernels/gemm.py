"""Single-precision matrix multiply C = A @ B: naive, shared-memory tiled, padded tiles, register-blocked.

All four accumulate k = 0, 1, ..., K-1 in order with one fused multiply-add per term
(zero-padded tile entries add fma(x, 0, acc) == acc), so they all match the same twin.
"""

import numpy as np
from numba import cuda, float32, njit

from .case import EXACT_FMA, KernelCase, blocks, fma32, twin_runner, uniform

TPB = 16  # tile width: blocks are TPB x TPB threads
TPB_PADDED = TPB + 1

RB_TILE = 64                         # register-blocked: a block computes an RB_TILE x RB_TILE tile of C
RB_K = 16                            # ... stepping K by RB_K-deep tiles of A and B in shared memory
RB_PER_THREAD = 4                    # ... each thread RB_PER_THREAD x RB_PER_THREAD elements of C
RB_THREADS = RB_TILE // RB_PER_THREAD            # blocks are RB_THREADS x RB_THREADS threads
RB_LOADS = RB_TILE * RB_K // (RB_THREADS * RB_THREADS)   # elements of each tile one thread loads


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


@cuda.jit
def gemm_register_blocked(A, B, C):
    """Each thread computes a 4 x 4 block of C in registers from 64 x 16 and 16 x 64 shared tiles.

    Per k step a thread reads 4 values of A and 4 of B from shared memory and does 16 FMAs
    with them: 2 FMAs per shared load instead of the tiled kernel's 1/2, and 4x fewer
    global loads per FMA than 16 x 16 tiles. Thread (tx, ty) owns rows ty + 16 i and
    columns tx + 16 j of the block's tile, so a warp's shared reads are broadcasts or hit
    distinct banks, and its global loads and stores of B and C are coalesced.
    """
    sA = cuda.shared.array((RB_TILE, RB_K), float32)      # sA[i, k] = A[row0 + i, k0 + k]
    sB = cuda.shared.array((RB_K, RB_TILE), float32)      # sB[k, j] = B[k0 + k, col0 + j]
    acc = cuda.local.array((RB_PER_THREAD, RB_PER_THREAD), float32)    # unrolled: registers
    a = cuda.local.array(RB_PER_THREAD, float32)
    b = cuda.local.array(RB_PER_THREAD, float32)
    tx = cuda.threadIdx.x
    ty = cuda.threadIdx.y
    thread = ty * RB_THREADS + tx
    row0 = cuda.blockIdx.y * RB_TILE
    col0 = cuda.blockIdx.x * RB_TILE
    M, K = A.shape
    N = B.shape[1]

    for i in range(RB_PER_THREAD):
        for j in range(RB_PER_THREAD):
            acc[i, j] = 0
    for k0 in range(0, K, RB_K):
        for load in range(RB_LOADS):           # each tile: RB_LOADS elements per thread, zero outside
            e = thread + load * RB_THREADS * RB_THREADS
            i, k = e // RB_K, e % RB_K
            sA[i, k] = A[row0 + i, k0 + k] if row0 + i < M and k0 + k < K else float32(0.0)
            k, j = e // RB_TILE, e % RB_TILE
            sB[k, j] = B[k0 + k, col0 + j] if k0 + k < K and col0 + j < N else float32(0.0)
        cuda.syncthreads()
        for k in range(RB_K):
            for i in range(RB_PER_THREAD):
                a[i] = sA[ty + RB_THREADS * i, k]
            for j in range(RB_PER_THREAD):
                b[j] = sB[k, tx + RB_THREADS * j]
            for i in range(RB_PER_THREAD):
                for j in range(RB_PER_THREAD):
                    acc[i, j] += a[i] * b[j]
        cuda.syncthreads()
    for i in range(RB_PER_THREAD):
        for j in range(RB_PER_THREAD):
            row, col = row0 + ty + RB_THREADS * i, col0 + tx + RB_THREADS * j
            if row < M and col < N:
                C[row, col] = acc[i, j]


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


def gemm_register_blocked_launch(args):
    M, N = args[2].shape
    return (blocks(N, RB_TILE), blocks(M, RB_TILE)), (RB_THREADS, RB_THREADS)


CASES = [
    KernelCase(
        name=name,
        kernel=kernel,
        make_inputs=make_gemm_inputs,
        launch_config=launch_config,
        run_twin=twin_runner(gemm_twin, (2,)),
        outputs=(2,),
        sizes=(5, 37),
        fuses_fma=True,
        reason=EXACT_FMA,
    )
    for name, kernel, launch_config in [("gemm_naive", gemm_naive, gemm_launch), ("gemm_tiled", gemm_tiled, gemm_launch),
                                        ("gemm_tiled_padded", gemm_tiled_padded, gemm_launch),
                                        ("gemm_register_blocked", gemm_register_blocked, gemm_register_blocked_launch)]
]
