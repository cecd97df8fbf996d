"""Lecture example: AlexNet's convolutions lowered to GEMM with im2col, checked against a direct convolution.

A convolution of an H×H×C input with M filters of R×R×C (stride S, padding P)
gives an E×E×M output, E = (H + 2P - R) / S + 1. im2col copies every R×R×C input
patch into one column of a (R·R·C) × (E·E) matrix; the convolution is then one
GEMM, (M × R·R·C) times (R·R·C × E·E), with M·R·R·C weights and M·R·R·C·E·E
multiplications. Both kernels are ordinary numba.cuda; run on the emulator with

    python -m emu --arch a100 examples/05_alexnet_im2col.py
"""
import math

import numpy as np
from numba import cuda

from kernels.gemm import TPB, gemm_tiled

LAYERS = [  # (name, H, C, M, R, stride, padding): the lecture's two layers
    ("conv1", 227, 3, 48, 11, 4, 0),
    ("conv2", 13, 198, 128, 3, 1, 1),
]


@cuda.jit
def im2col(x, stride, padding, R, E, cols):
    """cols[(c*R + i)*R + j, oy*E + ox] = x[c, oy*stride + i - padding, ox*stride + j - padding] (0 outside)."""
    col, row = cuda.grid(2)                  # x runs along the columns
    if row < cols.shape[0] and col < cols.shape[1]:
        c, rest = row // (R * R), row % (R * R)
        i, j = rest // R, rest % R
        y = (col // E) * stride + i - padding
        xx = (col % E) * stride + j - padding
        inside = 0 <= y < x.shape[1] and 0 <= xx < x.shape[2]
        cols[row, col] = x[c, y, xx] if inside else 0.0


def direct_convolution(x, w, stride, padding):
    """The definition, in float64: out[m, oy, ox] = sum over c, i, j of w[m, c, i, j] * x[c, oy*S+i-P, ox*S+j-P]."""
    padded = np.pad(x.astype(np.float64), ((0, 0), (padding, padding), (padding, padding)))
    R = w.shape[2]
    windows = np.lib.stride_tricks.sliding_window_view(padded, (R, R), axis=(1, 2))[:, ::stride, ::stride]
    return np.einsum("cyxij,mcij->myx", windows, w.astype(np.float64))


def convolution_layer(name, H, C, M, R, stride, padding, rng):
    E = (H + 2 * padding - R) // stride + 1
    K = R * R * C
    x = rng.standard_normal((C, H, H)).astype(np.float32)
    w = (rng.standard_normal((M, C, R, R)) / math.sqrt(K)).astype(np.float32)

    d_x = cuda.to_device(x)
    d_cols = cuda.device_array((K, E * E), dtype=np.float32)
    threads = (16, 16)
    im2col[(math.ceil(E * E / 16), math.ceil(K / 16)), threads](d_x, stride, padding, R, E, d_cols)
    d_w = cuda.to_device(w.reshape(M, K))                   # each filter is one row of the weight matrix
    d_out = cuda.device_array((M, E * E), dtype=np.float32)
    gemm_tiled[(math.ceil(E * E / TPB), math.ceil(M / TPB)), (TPB, TPB)](d_w, d_cols, d_out)
    out = d_out.copy_to_host().reshape(M, E, E)

    error = np.abs(out - direct_convolution(x, w, stride, padding)).max()
    print(f"{name}: {H}×{H}×{C} -> {E}×{E}×{M}, {R}×{R} filters, stride {stride}, padding {padding}")
    print(f"  parameters       M·R·R·C     = {M}·{R}·{R}·{C} = {M * K:,}")
    print(f"  multiplications  M·R·R·C·E·E = {M * K:,}·{E * E:,} = {M * K * E * E:,}")
    print(f"  GEMM             (M × R·R·C) times (R·R·C × E·E) = ({M} × {K:,}) times ({K:,} × {E * E:,})")
    print(f"  max |GEMM - direct convolution| = {error:.2e}")
    assert error < 1e-3, f"im2col + GEMM differs from the direct convolution by {error}"


rng = np.random.default_rng(0)
for layer in LAYERS:
    convolution_layer(*layer, rng)
