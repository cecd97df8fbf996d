"""Lecture example: the classic 16x16 shared-memory tiled SGEMM, run on the emulator.

No GPU needed: emu executes the kernel's PTX on the CPU and reports what it did
(printed, and plotted to out/01_tiled_gemm_report.png).
"""

from pathlib import Path

import numpy as np
from numba import cuda, float32

import emu

TPB = 16  # tile width: each block of TPB x TPB threads computes one TPB x TPB tile of C


@cuda.jit
def sgemm_tiled(A, B, C):
    sA = cuda.shared.array((TPB, TPB), float32)  # tiles staged in fast on-chip memory,
    sB = cuda.shared.array((TPB, TPB), float32)  # shared by all threads of the block
    col, row = cuda.grid(2)                      # the element of C this thread computes
    tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
    acc = float32(0.0)
    for t in range((A.shape[1] + TPB - 1) // TPB):  # walk along K one tile at a time
        k = t * TPB
        # Each thread loads one element of each tile, zero past the matrix edges.
        inside_a = row < A.shape[0] and k + tx < A.shape[1]
        inside_b = k + ty < B.shape[0] and col < B.shape[1]
        sA[ty, tx] = A[row, k + tx] if inside_a else float32(0.0)
        sB[ty, tx] = B[k + ty, col] if inside_b else float32(0.0)
        cuda.syncthreads()                       # wait until both tiles are loaded
        for j in range(TPB):
            acc += sA[ty, j] * sB[j, tx]         # 16 multiply-adds from shared memory
        cuda.syncthreads()                       # wait before the tiles are overwritten
    if row < C.shape[0] and col < C.shape[1]:
        C[row, col] = acc


N = 100  # not a multiple of 16, so the edge tiles exercise the bounds checks
rng = np.random.default_rng(0)
A = rng.standard_normal((N, N), dtype=np.float32)
B = rng.standard_normal((N, N), dtype=np.float32)
C = np.zeros((N, N), dtype=np.float32)

gpu = emu.GPU("sm_80")                           # an emulated A100
blocks = (N + TPB - 1) // TPB
run = gpu.launch(sgemm_tiled, grid=(blocks, blocks), block=(TPB, TPB), args=(A, B, C))

print(run.report)                                # instructions, memory traffic, syncs...
Path("out").mkdir(exist_ok=True)
print("report plot:", run.report.plot(Path("out") / "01_tiled_gemm_report.png"))
error = np.abs(C - A.astype(np.float64) @ B).max()
print(f"max |C - A @ B| = {error:.2e}")
assert error < 1e-3, "the kernel disagrees with numpy"
