"""Element-wise kernels: vector add, saxpy, and a strided copy (for coalescing)."""

import numpy as np
from numba import cuda, njit

from .case import EXACT_FMA, KernelCase, blocks, fma32, twin_runner, uniform

TPB = 256


@cuda.jit
def vector_add(a, b, out):
    """out = a + b."""
    i = cuda.grid(1)
    if i < out.size:
        out[i] = a[i] + b[i]


@njit(cache=True)
def vector_add_twin(a, b, out):
    for i in range(out.size):
        out[i] = a[i] + b[i]


@cuda.jit
def saxpy(alpha, x, y, out):
    """out = alpha * x + y (NVVM fuses this into one fma.rn.f32)."""
    i = cuda.grid(1)
    if i < out.size:
        out[i] = alpha * x[i] + y[i]


@njit(cache=True)
def saxpy_twin(alpha, x, y, out):
    for i in range(out.size):
        out[i] = fma32(alpha, x[i], y[i])


@cuda.jit
def copy_strided(src, dst, stride):
    """dst[i] = src[i * stride]: a warp's loads span 32 * stride words, its stores 32."""
    i = cuda.grid(1)
    if i < dst.size:
        dst[i] = src[i * stride]


@njit(cache=True)
def copy_strided_twin(src, dst, stride):
    for i in range(dst.size):
        dst[i] = src[i * stride]


def make_copy_strided_inputs(rng, n, stride=3):
    return uniform(rng, n * stride), np.zeros(n, np.float32), np.int64(stride)


def _grid_1d(args):
    n = next(a for a in reversed(args) if isinstance(a, np.ndarray) and a.ndim).size    # the output
    return (blocks(n, TPB),), (TPB,)


CASES = [
    KernelCase(
        name="vector_add",
        kernel=vector_add,
        make_inputs=lambda rng, n: (uniform(rng, n), uniform(rng, n), np.zeros(n, np.float32)),
        launch_config=_grid_1d,
        run_twin=twin_runner(vector_add_twin, (2,)),
        outputs=(2,),
        sizes=(1, 1000, 4099),
    ),
    KernelCase(
        name="saxpy",
        kernel=saxpy,
        make_inputs=lambda rng, n: (uniform(rng, ()), uniform(rng, n), uniform(rng, n),
                                    np.zeros(n, np.float32)),
        launch_config=_grid_1d,
        run_twin=twin_runner(saxpy_twin, (3,)),
        outputs=(3,),
        sizes=(77, 3001),
        fuses_fma=True,
        reason=EXACT_FMA,
    ),
    KernelCase(
        name="copy_strided",
        kernel=copy_strided,
        make_inputs=make_copy_strided_inputs,
        launch_config=_grid_1d,
        run_twin=twin_runner(copy_strided_twin, (1,)),
        outputs=(1,),
        sizes=(1, 1000),
    ),
]
