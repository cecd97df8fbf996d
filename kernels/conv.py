"""2D convolution ("same" size, zero padding) computed directly, and im2col."""

import numpy as np
from numba import cuda, float32, njit

from .case import EXACT_FMA, KernelCase, blocks, fma32, twin_runner, uniform

TPB = 16
KSIZE = 3   # im2col window
PAD = 1     # im2col zero padding: output positions == input positions


@cuda.jit
def conv2d(img, w, out):
    """out[r, c] = sum_ij img[r + i - KH//2, c + j - KW//2] * w[i, j], zero outside img
    (cross-correlation, as in deep-learning frameworks)."""
    c, r = cuda.grid(2)
    H, W = img.shape
    KH, KW = w.shape
    if r < H and c < W:
        acc = float32(0.0)
        for i in range(KH):
            y = r + i - KH // 2
            if 0 <= y < H:
                for j in range(KW):
                    x = c + j - KW // 2
                    if 0 <= x < W:
                        acc += img[y, x] * w[i, j]
        out[r, c] = acc


@njit(cache=True)
def conv2d_twin(img, w, out):
    H, W = img.shape
    KH, KW = w.shape
    for r in range(H):
        for c in range(W):
            acc = np.float32(0.0)
            for i in range(KH):
                y = r + i - KH // 2
                if 0 <= y < H:
                    for j in range(KW):
                        x = c + j - KW // 2
                        if 0 <= x < W:
                            acc = fma32(img[y, x], w[i, j], acc)
            out[r, c] = acc


@cuda.jit
def im2col(img, cols):
    """Unfold KSIZE x KSIZE windows of a (C, H, W) image into the columns of a
    (C*KSIZE*KSIZE, H*W) matrix, so that convolution becomes a GEMM."""
    p, q = cuda.grid(2)             # p: output column (pixel), q: output row
    C, H, W = img.shape
    if q < cols.shape[0] and p < cols.shape[1]:
        ch = q // (KSIZE * KSIZE)
        ki = q // KSIZE % KSIZE
        kj = q % KSIZE
        y = p // W + ki - PAD
        x = p % W + kj - PAD
        if 0 <= y < H and 0 <= x < W:
            cols[q, p] = img[ch, y, x]
        else:
            cols[q, p] = 0


@njit(cache=True)
def im2col_twin(img, cols):
    C, H, W = img.shape
    for ch in range(C):
        for ki in range(KSIZE):
            for kj in range(KSIZE):
                q = (ch * KSIZE + ki) * KSIZE + kj
                for r in range(H):
                    for c in range(W):
                        y = r + ki - PAD
                        x = c + kj - PAD
                        inside = 0 <= y < H and 0 <= x < W
                        cols[q, r * W + c] = img[ch, y, x] if inside else 0


def make_conv_inputs(rng, n):
    """An n x (n+9) image and a 5 x 3 filter."""
    return uniform(rng, (n, n + 9)), uniform(rng, (5, 3)), np.zeros((n, n + 9), np.float32)


def make_im2col_inputs(rng, n):
    """A 3 x n x (n+2) image; cols is filled with NaN so unwritten entries show up."""
    img = uniform(rng, (3, n, n + 2))
    return img, np.full((3 * KSIZE * KSIZE, n * (n + 2)), np.nan, np.float32)


CASES = [
    KernelCase(
        name="conv2d",
        kernel=conv2d,
        make_inputs=make_conv_inputs,
        launch_config=lambda args: ((blocks(args[0].shape[1], TPB),
                                     blocks(args[0].shape[0], TPB)), (TPB, TPB)),
        run_twin=twin_runner(conv2d_twin, (2,)),
        outputs=(2,),
        sizes=(3, 20, 37),
        fuses_fma=True,
        reason=EXACT_FMA,
    ),
    KernelCase(
        name="im2col",
        kernel=im2col,
        make_inputs=make_im2col_inputs,
        launch_config=lambda args: ((blocks(args[1].shape[1], TPB),
                                     blocks(args[1].shape[0], TPB)), (TPB, TPB)),
        run_twin=twin_runner(im2col_twin, (1,)),
        outputs=(1,),
        sizes=(2, 11, 19),
    ),
]
