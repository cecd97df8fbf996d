"""256-bin histograms of uint8 data with int32 atomics: global, and shared-memory privatised."""

import numpy as np
from numba import cuda, int32, njit

from .case import KernelCase, blocks, twin_runner

NBINS = 256
TPB = 256
SHARED_MAX_BLOCKS = 4


@cuda.jit
def histogram_global(data, bins):
    """Every thread increments its value's bin in global memory."""
    i = cuda.grid(1)
    if i < data.size:
        cuda.atomic.add(bins, data[i], 1)


@cuda.jit
def histogram_shared(data, bins):
    """Each block counts into its own shared-memory bins, then merges them into the
    global bins: far fewer contended global atomics."""
    local = cuda.shared.array(NBINS, int32)
    tid = cuda.threadIdx.x
    for b in range(tid, NBINS, cuda.blockDim.x):
        local[b] = 0
    cuda.syncthreads()
    for i in range(cuda.grid(1), data.size, cuda.gridsize(1)):
        cuda.atomic.add(local, data[i], 1)
    cuda.syncthreads()
    for b in range(tid, NBINS, cuda.blockDim.x):
        if local[b] != 0:
            cuda.atomic.add(bins, b, local[b])


@njit(cache=True)
def histogram_twin(data, bins):
    for i in range(data.size):
        bins[data[i]] += 1


def make_histogram_inputs(rng, n):
    """Binomially distributed bytes: the middle bins are hot, so atomics contend."""
    return rng.binomial(NBINS - 1, 0.5, n).astype(np.uint8), np.zeros(NBINS, np.int32)


CASES = [
    KernelCase(
        name="histogram_global",
        kernel=histogram_global,
        make_inputs=make_histogram_inputs,
        launch_config=lambda args: ((blocks(args[0].size, TPB),), (TPB,)),
        run_twin=twin_runner(histogram_twin, (1,)),
        outputs=(1,),
        sizes=(1, 1000, 4321),
        reason="exact: integer atomics commute",
    ),
    KernelCase(
        name="histogram_shared",
        kernel=histogram_shared,
        make_inputs=make_histogram_inputs,
        launch_config=lambda args: ((min(SHARED_MAX_BLOCKS, blocks(args[0].size, TPB)),),
                                    (TPB,)),
        run_twin=twin_runner(histogram_twin, (1,)),
        outputs=(1,),
        sizes=(1, 1000, 4321),
        reason="exact: integer atomics commute",
    ),
]
