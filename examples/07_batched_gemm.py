"""Lecture example: batched GEMM (many small matrices, one launch) against a loop of single GEMMs.

Transformers and convolutions multiply many small matrices. Launching one GEMM
per pair costs a launch each and leaves most of a GPU idle; a batched GEMM puts
the batch index in blockIdx.z and does them all in one launch. Both give the
same results; the launch table at exit (python -m emu) shows one launch against
BATCH, with the same instruction count.

    python -m emu --arch a100 examples/07_batched_gemm.py [BATCH] [N]
"""
import math
import sys
import time

import numpy as np
from numba import cuda, float32

TPB = 16
BATCH = int(sys.argv[1]) if len(sys.argv) > 1 else 64
N = int(sys.argv[2]) if len(sys.argv) > 2 else 32


@cuda.jit
def batched_gemm(A, B, C):
    """C[b] = A[b] @ B[b] for every b = blockIdx.z: the lecture's tiled GEMM, one matrix pair per z."""
    sA = cuda.shared.array((TPB, TPB), float32)
    sB = cuda.shared.array((TPB, TPB), float32)
    b = cuda.blockIdx.z
    col, row = cuda.grid(2)
    tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
    M, K = A.shape[1], A.shape[2]
    acc = float32(0.0)
    for tile in range((K + TPB - 1) // TPB):
        k0 = tile * TPB
        sA[ty, tx] = A[b, row, k0 + tx] if row < M and k0 + tx < K else float32(0.0)
        sB[ty, tx] = B[b, k0 + ty, col] if col < C.shape[2] and k0 + ty < K else float32(0.0)
        cuda.syncthreads()
        for j in range(TPB):
            acc += sA[ty, j] * sB[j, tx]
        cuda.syncthreads()
    if row < M and col < C.shape[2]:
        C[b, row, col] = acc


rng = np.random.default_rng(0)
A = rng.standard_normal((BATCH, N, N)).astype(np.float32)
B = rng.standard_normal((BATCH, N, N)).astype(np.float32)
d_A, d_B = cuda.to_device(A), cuda.to_device(B)
tiles = math.ceil(N / TPB)

batched_gemm[(tiles, tiles, 1), (TPB, TPB)](d_A[:1], d_B[:1], cuda.device_array((1, N, N), np.float32))  # compiles

start = time.perf_counter()
d_C = cuda.device_array((BATCH, N, N), dtype=np.float32)
batched_gemm[(tiles, tiles, BATCH), (TPB, TPB)](d_A, d_B, d_C)
batched = d_C.copy_to_host()
batched_s = time.perf_counter() - start

start = time.perf_counter()
looped = np.empty_like(batched)
for b in range(BATCH):                      # the same kernel, one matrix pair per launch
    d_one = cuda.device_array((1, N, N), dtype=np.float32)
    batched_gemm[(tiles, tiles, 1), (TPB, TPB)](d_A[b:b + 1], d_B[b:b + 1], d_one)
    looped[b] = d_one.copy_to_host()[0]
looped_s = time.perf_counter() - start

error = np.abs(batched - np.einsum("bij,bjk->bik", A.astype(np.float64), B.astype(np.float64))).max()
print(f"{BATCH} products of {N}×{N} matrices ({BATCH * N ** 3:,} multiply-adds)")
print(f"  batched: 1 launch of {tiles}×{tiles}×{BATCH} blocks   {batched_s:.3f} s on this host")
print(f"  looped:  {BATCH} launches of {tiles}×{tiles}×1 blocks  {looped_s:.3f} s on this host")
print(f"  identical results: {np.array_equal(batched, looped)}; max error vs float64 {error:.2e}")
assert np.array_equal(batched, looped) and error < 1e-3
