"""Matrix transpose: naive, and through a 32 x 32 shared-memory tile, unpadded (bank conflicts) or padded to 32 x 33."""

import numpy as np
from numba import cuda, float32, njit

from .case import KernelCase, blocks, twin_runner, uniform

NAIVE_TPB = 16
TILE = 32
ROWS = 8    # a TILE x ROWS block copies the TILE x TILE tile in TILE / ROWS steps
TILE_PADDED = TILE + 1


@cuda.jit
def transpose_naive(a, out):
    """out[c, r] = a[r, c]: reads are coalesced, writes are strided."""
    c, r = cuda.grid(2)
    if r < a.shape[0] and c < a.shape[1]:
        out[c, r] = a[r, c]


def _transpose_through_shared(row_words: int, name: str):
    """A kernel that reads a TILE x TILE tile row-wise, writes it back column-wise from shared memory,
    so both global reads and writes are coalesced; the tile's rows are ``row_words`` words long."""
    def transpose(a, out):
        tile = cuda.shared.array((TILE, row_words), float32)
        tx = cuda.threadIdx.x
        ty = cuda.threadIdx.y
        row0 = cuda.blockIdx.y * TILE
        col0 = cuda.blockIdx.x * TILE
        rows, cols = a.shape
        for k in range(0, TILE, ROWS):
            r = row0 + ty + k
            if r < rows and col0 + tx < cols:
                tile[ty + k, tx] = a[r, col0 + tx]
        cuda.syncthreads()
        for k in range(0, TILE, ROWS):
            r = col0 + ty + k          # row of out == column of a
            if r < cols and row0 + tx < rows:
                out[r, row0 + tx] = tile[tx, ty + k]
    transpose.__name__ = transpose.__qualname__ = name
    return cuda.jit(transpose)


# Reading tile[tx, ty + k] walks down a column. With TILE-word rows the 32 lanes' words
# are TILE apart, all in one bank: a 32-way conflict. One word of padding per row puts
# consecutive rows in consecutive banks: conflict-free.
transpose_tiled = _transpose_through_shared(TILE_PADDED, "transpose_tiled")
transpose_tiled_unpadded = _transpose_through_shared(TILE, "transpose_tiled_unpadded")


@njit(cache=True)
def transpose_twin(a, out):
    for r in range(a.shape[0]):
        for c in range(a.shape[1]):
            out[c, r] = a[r, c]


def make_transpose_inputs(rng, n):
    """An n x (2n+5) matrix and its (2n+5) x n output."""
    return uniform(rng, (n, 2 * n + 5)), np.zeros((2 * n + 5, n), np.float32)


CASES = [
    KernelCase(
        name="transpose_naive",
        kernel=transpose_naive,
        make_inputs=make_transpose_inputs,
        launch_config=lambda args: ((blocks(args[0].shape[1], NAIVE_TPB),
                                     blocks(args[0].shape[0], NAIVE_TPB)),
                                    (NAIVE_TPB, NAIVE_TPB)),
        run_twin=twin_runner(transpose_twin, (1,)),
        outputs=(1,),
        sizes=(1, 21, 45),
    ),
    *(KernelCase(
        name=name,
        kernel=kernel,
        make_inputs=make_transpose_inputs,
        launch_config=lambda args: ((blocks(args[0].shape[1], TILE),
                                     blocks(args[0].shape[0], TILE)),
                                    (TILE, ROWS)),
        run_twin=twin_runner(transpose_twin, (1,)),
        outputs=(1,),
        sizes=(1, 21, 45),
    ) for name, kernel in [("transpose_tiled", transpose_tiled),
                           ("transpose_tiled_unpadded", transpose_tiled_unpadded)]),
]
