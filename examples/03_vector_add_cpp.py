"""Lecture example: the CUDA samples' vectorAdd kernel in CUDA C++, on the emulator.

The kernel source is NVIDIA's (kernels/cuda_cpp.py); NVRTC compiles it to PTX
and emu runs it. The host side is what the sample's main() does: allocate,
copy in, launch ceil(N / 256) blocks of 256 threads, copy back, verify.
examples/04_vector_add_numba.py is the same program written with numba.cuda.

    python examples/03_vector_add_cpp.py [N]
"""
import sys

import numpy as np

import emu
from kernels.cuda_cpp import THREADS_PER_BLOCK, VECTOR_ADD_SRC

n = int(sys.argv[1]) if len(sys.argv) > 1 else 50000
rng = np.random.default_rng(0)
A = rng.random(n, dtype=np.float32)
B = rng.random(n, dtype=np.float32)
C = np.zeros(n, np.float32)

blocks = (n + THREADS_PER_BLOCK - 1) // THREADS_PER_BLOCK
print(f"[Vector addition of {n} elements]")
print(f"CUDA kernel launch with {blocks} blocks of {THREADS_PER_BLOCK} threads")
run = emu.GPU("sm_80").launch(emu.compile_cuda(VECTOR_ADD_SRC, "vectorAdd"), blocks, THREADS_PER_BLOCK,
                              (A, B, C, np.int32(n)))
assert np.abs(A + B - C).max() <= 1e-5, "Result verification failed"
print("Test PASSED")
print(run.report)
