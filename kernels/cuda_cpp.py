"""The CUDA samples' vectorAdd kernel as CUDA C++ source, with its CPU twin."""

import numpy as np
from numba import njit

from .case import KernelCase, blocks, twin_runner, uniform

# Verbatim from NVIDIA/cuda-samples, Samples/0_Introduction/vectorAdd/vectorAdd.cu
# (Copyright (c) 2022, NVIDIA CORPORATION, BSD-3-Clause).
VECTOR_ADD_SRC = r"""/**
 * CUDA Kernel Device code
 *
 * Computes the vector addition of A and B into C. The 3 vectors have the same
 * number of elements numElements.
 */
__global__ void vectorAdd(const float *A, const float *B, float *C, int numElements)
{
    int i = blockDim.x * blockIdx.x + threadIdx.x;

    if (i < numElements) {
        C[i] = A[i] + B[i] + 0.0f;
    }
}
"""

THREADS_PER_BLOCK = 256   # as in the sample's host code


@njit(cache=True)
def vector_add_cpp_twin(A, B, C, numElements):
    for i in range(numElements):
        C[i] = A[i] + B[i] + np.float32(0.0)


CASES = [
    KernelCase(
        name="vectorAdd_cpp",
        kernel=VECTOR_ADD_SRC,
        entry="vectorAdd",
        make_inputs=lambda rng, n: (uniform(rng, n), uniform(rng, n), np.zeros(n, np.float32),
                                    np.int32(n)),
        launch_config=lambda args: ((blocks(int(args[3]), THREADS_PER_BLOCK),),
                                    (THREADS_PER_BLOCK,)),
        run_twin=twin_runner(vector_add_cpp_twin, (2,)),
        outputs=(2,),
        sizes=(1, 1000, 5003),
    ),
]
