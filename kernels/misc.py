"""Kernels that each exercise one feature: fp16, local memory, float64, device functions."""

import numpy as np
from numba import cuda, float32, njit

from .case import KernelCase, blocks, fma_odd, twin_runner, uniform

TPB = 128
SORT_WIDTH = 8


@cuda.jit
def haxpy_fp16(alpha, x, y, out):
    """Half-precision axpy with cuda.fp16.hfma: out = alpha * x + y, rounded once."""
    i = cuda.grid(1)
    if i < out.size:
        out[i] = cuda.fp16.hfma(alpha, x[i], y[i])


@njit(cache=True)
def _fma_odd_array(alpha, x, y):
    out = np.empty(x.size, np.float64)
    for i in range(x.size):
        out[i] = fma_odd(alpha, x[i], y[i])
    return out


def haxpy_fp16_twin(alpha, x, y, out):
    """numba has no float16 arithmetic on the CPU: compute each fma in float64 rounded
    to odd, then let numpy round to float16 (correctly rounded)."""
    xs, ys = x.astype(np.float64), y.astype(np.float64)
    out[:] = _fma_odd_array(np.float64(alpha), xs, ys).astype(np.float16)


@cuda.jit
def sort_rows_local(a, out):
    """Sort each SORT_WIDTH-wide row (one thread per row) in a per-thread local array."""
    row = cuda.grid(1)
    if row < a.shape[0]:
        buf = cuda.local.array(SORT_WIDTH, float32)
        for j in range(SORT_WIDTH):
            buf[j] = a[row, j]
        for j in range(1, SORT_WIDTH):      # insertion sort
            v = buf[j]
            k = j - 1
            while k >= 0 and buf[k] > v:
                buf[k + 1] = buf[k]
                k -= 1
            buf[k + 1] = v
        for j in range(SORT_WIDTH):
            out[row, j] = buf[j]


@njit(cache=True)
def sort_rows_twin(a, out):
    for row in range(a.shape[0]):
        out[row] = np.sort(a[row])


@cuda.jit
def horner_f64(coeffs, x, y):
    """y = polynomial with coefficients `coeffs` (highest degree first) at x, in float64."""
    i = cuda.grid(1)
    if i < x.size:
        v = x[i]
        acc = coeffs[0]
        for k in range(1, coeffs.size):
            acc = acc * v + coeffs[k]
        y[i] = acc


@njit(cache=True)
def horner_f64_twin(coeffs, x, y):
    for i in range(x.size):
        acc = coeffs[0]
        for k in range(1, coeffs.size):
            acc = acc * x[i] + coeffs[k]
        y[i] = acc


@cuda.jit(device=True)
def clamp(v, lo, hi):
    """Device function: v limited to [lo, hi]."""
    return min(max(v, lo), hi)


@cuda.jit
def smoothstep(edge0, edge1, x, out):
    """GLSL smoothstep through a device function: 0 below edge0, 1 above edge1,
    3t^2 - 2t^3 in between."""
    i = cuda.grid(1)
    if i < out.size:
        t = clamp((x[i] - edge0) / (edge1 - edge0), float32(0.0), float32(1.0))
        out[i] = t * t * (float32(3.0) - float32(2.0) * t)


@njit(cache=True)
def smoothstep_twin(edge0, edge1, x, out):
    for i in range(out.size):
        t = min(max((x[i] - edge0) / (edge1 - edge0), np.float32(0.0)), np.float32(1.0))
        out[i] = t * t * (np.float32(3.0) - np.float32(2.0) * t)


def _grid_1d(args):
    n = args[-1].shape[0]
    return (blocks(n, TPB),), (TPB,)


CASES = [
    KernelCase(
        name="haxpy_fp16",
        kernel=haxpy_fp16,
        make_inputs=lambda rng, n: (uniform(rng, (), np.float16), uniform(rng, n, np.float16),
                                    uniform(rng, n, np.float16), np.zeros(n, np.float16)),
        launch_config=_grid_1d,
        run_twin=twin_runner(haxpy_fp16_twin, (3,)),
        outputs=(3,),
        sizes=(1, 500, 1500),
        fuses_fma=True,
        reason="exact: hfma rounds once and the twin reproduces that rounding",
    ),
    KernelCase(
        name="sort_rows_local",
        kernel=sort_rows_local,
        make_inputs=lambda rng, n: (uniform(rng, (n, SORT_WIDTH)),
                                    np.zeros((n, SORT_WIDTH), np.float32)),
        launch_config=_grid_1d,
        run_twin=twin_runner(sort_rows_twin, (1,)),
        outputs=(1,),
        sizes=(1, 100, 333),
        reason="exact: sorting only moves values",
    ),
    KernelCase(
        name="horner_f64",
        kernel=horner_f64,
        make_inputs=lambda rng, n: (uniform(rng, 8, np.float64), uniform(rng, n, np.float64),
                                    np.zeros(n, np.float64)),
        launch_config=_grid_1d,
        run_twin=twin_runner(horner_f64_twin, (2,)),
        outputs=(2,),
        sizes=(1, 500, 1500),
        tolerance=(1e-13, 1e-13),
        reason="NVVM fuses acc * v + c into fma.rn.f64 and the float64 twin rounds twice: "
               "7 steps of |acc| < 8 differ by < 1e-13 absolute",
    ),
    KernelCase(
        name="smoothstep",
        kernel=smoothstep,
        make_inputs=lambda rng, n: (np.float32(-0.5), np.float32(0.75), uniform(rng, n),
                                    np.zeros(n, np.float32)),
        launch_config=_grid_1d,
        run_twin=twin_runner(smoothstep_twin, (3,)),
        outputs=(3,),
        sizes=(1, 500, 1500),
        reason="exact: same float32 operations; 3 - 2t may be fused but 2t is exact",
    ),
]
