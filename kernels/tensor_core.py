"""Tensor-core GEMMs, C = A @ B + C, on emu.intrinsics' mma.sync: one tile of C per warp.

    mma_gemm_f16        A, B float16                   C float32   mma.m16n8k16 .f32.f16
    mma_gemm_bf16       A, B bfloat16 (uint16 bits)    C float32   mma.m16n8k16 .f32.bf16
    mma_gemm_tf32       A, B float32, rounded to tf32  C float32   mma.m16n8k8  .f32.tf32
                        in the kernel (cvt.rna)
    mma_gemm_f16_f16    A, B, C float16                            mma.m16n8k16 .f16.f16
    mma_gemm_f16_volta  A, B float16                   C float32   mma.m8n8k4 .row.col .f32.f16 (sm_70)

The m16n8 kernels give a warp a 16 x 8 tile and run on sm_80 and later; the
Volta kernel gives each quad pair an 8 x 8 quarter of a 16 x 16 tile, as
m8n8k4 computes four independent products, and runs on sm_70.

Each warp walks K in steps of the instruction's k, each mma's D the next
one's C. Fragment elements past the matrix edges are zero: a zero product
never sets the alignment exponent and a block of them leaves C as it is
(``emu.numerics.mma``), so padding changes no bit.

The twin is that chain of instructions computed by ``emu.numerics.mma``, so
the kernel matches it bit for bit on the architecture it runs on (its
``Gemm.gpu`` in the kernel-library tests; ``twin_d(..., arch)`` for others). ``fp64_bound``
is how far the result may lie from the exact product, from the same model's
parameters.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import ml_dtypes
import numpy as np
from numba import cuda, njit

from emu import intrinsics as ti
from emu.intrinsics.mma import BY_NAME as MMA_VARIANTS
from emu.numerics.mma import mma as model_mma, tensor_core
from emu.numerics.formats import ROUND_RNA
from emu.numerics.scalar import f32_to_tf32

from .case import KernelCase, blocks, uniform

WARPS_PER_BLOCK = 4
TILE_M, TILE_N = 16, 8            # a warp's tile of C (m16n8 kernels)
VOLTA_TILE = 16                   # a warp's 16 x 16 tile of C on Volta: four 8 x 8 m8n8k4 products


def _warp_tiler(tile_m: int, tile_n: int):
    @cuda.jit(device=True)
    def tile_origin(C):
        """(row0, col0) of this warp's tile of C, and whether the warp has one (the same for all its lanes)."""
        warp = (cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x) // 32
        tiles_n = (C.shape[1] + tile_n - 1) // tile_n
        tiles = tiles_n * ((C.shape[0] + tile_m - 1) // tile_m)
        return (warp // tiles_n) * tile_m, (warp % tiles_n) * tile_n, warp < tiles
    return tile_origin


_tile_origin = _warp_tiler(TILE_M, TILE_N)
_volta_tile_origin = _warp_tiler(VOLTA_TILE, VOLTA_TILE)


@cuda.jit
def mma_gemm_f16(A, B, C):
    row0, col0, active = _tile_origin(C)
    if active:
        acc = ti.load_c_m16n8(C, row0, col0)
        for k0 in range(0, A.shape[1], 16):
            a = ti.load_a_m16n8k16_f16(A, row0, k0)
            b = ti.load_b_m16n8k16_f16(B, k0, col0)
            acc = ti.mma_m16n8k16_f32_f16(a, b, acc)
        ti.store_d_m16n8(C, row0, col0, acc)


@cuda.jit
def mma_gemm_bf16(A, B, C):
    row0, col0, active = _tile_origin(C)
    if active:
        acc = ti.load_c_m16n8(C, row0, col0)
        for k0 in range(0, A.shape[1], 16):
            a = ti.load_a_m16n8k16_bf16(A, row0, k0)
            b = ti.load_b_m16n8k16_bf16(B, k0, col0)
            acc = ti.mma_m16n8k16_f32_bf16(a, b, acc)
        ti.store_d_m16n8(C, row0, col0, acc)


@cuda.jit(device=True)
def _tf32(M, row, col):
    """M[row, col] rounded to tf32 (cvt.rna), zero outside M."""
    if row < M.shape[0] and col < M.shape[1]:
        return ti.cvt_rna_tf32_f32(M[row, col])
    return np.uint32(0)


@cuda.jit
def mma_gemm_tf32(A, B, C):
    """The fragment elements placed one by one with the layout helpers, each rounded with cvt.rna."""
    row0, col0, active = _tile_origin(C)
    if active:
        lane = cuda.laneid
        r0, c0 = ti.frag_a_m16n8k8_tf32(lane, 0)
        r1, c1 = ti.frag_a_m16n8k8_tf32(lane, 1)
        r2, c2 = ti.frag_a_m16n8k8_tf32(lane, 2)
        r3, c3 = ti.frag_a_m16n8k8_tf32(lane, 3)
        s0, t0 = ti.frag_b_m16n8k8_tf32(lane, 0)
        s1, t1 = ti.frag_b_m16n8k8_tf32(lane, 1)
        acc = ti.load_c_m16n8(C, row0, col0)
        for k0 in range(0, A.shape[1], 8):
            a = (_tf32(A, row0 + r0, k0 + c0), _tf32(A, row0 + r1, k0 + c1),
                 _tf32(A, row0 + r2, k0 + c2), _tf32(A, row0 + r3, k0 + c3))
            b = (_tf32(B, k0 + s0, col0 + t0), _tf32(B, k0 + s1, col0 + t1))
            acc = ti.mma_m16n8k8_f32_tf32(a, b, acc)
        ti.store_d_m16n8(C, row0, col0, acc)


@cuda.jit
def mma_gemm_f16_f16(A, B, C):
    row0, col0, active = _tile_origin(C)
    if active:
        acc = ti.load_c_m16n8_f16(C, row0, col0)
        for k0 in range(0, A.shape[1], 16):
            a = ti.load_a_m16n8k16_f16(A, row0, k0)
            b = ti.load_b_m16n8k16_f16(B, k0, col0)
            acc = ti.mma_m16n8k16_f16_f16(a, b, acc)
        ti.store_d_m16n8_f16(C, row0, col0, acc)


@cuda.jit
def mma_gemm_f16_volta(A, B, C):
    """Quad pair p of the warp works on the quarter (p // 2, p % 2) of the warp's 16 x 16 tile."""
    row0, col0, active = _volta_tile_origin(C)
    if active:
        p = ti.computation_m8n8k4(cuda.laneid)
        row0 += 8 * (p // 2)
        col0 += 8 * (p % 2)
        acc = ti.load_c_m8n8k4(C, row0, col0)
        for k0 in range(0, A.shape[1], 4):
            a = ti.load_a_m8n8k4_f16(A, row0, k0)
            b = ti.load_b_m8n8k4_f16(B, k0, col0)
            acc = ti.mma_m8n8k4_f32_f16(a, b, acc)
        ti.store_d_m8n8k4(C, row0, col0, acc)


# ------------------------------------------------------------------ twins
@dataclass(frozen=True)
class Gemm:
    kernel: object
    variant: str                  # the mma intrinsic it chains
    ab_dtype: type                # numpy dtype of A and B (uint16: bf16 patterns)
    c_dtype: type
    tile: tuple[int, int]         # a warp's tile of C
    gpu: str                      # the preset it runs on in the kernel library's tests


GEMMS = {
    "mma_gemm_f16": Gemm(mma_gemm_f16, "mma_m16n8k16_f32_f16", np.float16, np.float32, (TILE_M, TILE_N), "sm_80"),
    "mma_gemm_bf16": Gemm(mma_gemm_bf16, "mma_m16n8k16_f32_bf16", np.uint16, np.float32, (TILE_M, TILE_N), "sm_80"),
    "mma_gemm_tf32": Gemm(mma_gemm_tf32, "mma_m16n8k8_f32_tf32", np.float32, np.float32, (TILE_M, TILE_N), "sm_80"),
    "mma_gemm_f16_f16": Gemm(mma_gemm_f16_f16, "mma_m16n8k16_f16_f16", np.float16, np.float16, (TILE_M, TILE_N),
                             "sm_80"),
    "mma_gemm_f16_volta": Gemm(mma_gemm_f16_volta, "mma_m8n8k4_f32_f16", np.float16, np.float32,
                               (VOLTA_TILE, VOLTA_TILE), "sm_70"),
}


@njit(cache=True)
def _round_tf32(x):
    """cvt.rna.tf32.f32 of every element, as the kernel rounds them (emu.numerics.scalar)."""
    bits = x.view(np.uint32).ravel()
    out = np.empty_like(bits)
    for i in range(bits.size):
        out[i] = f32_to_tf32(bits[i], ROUND_RNA)
    return out.view(np.float32).reshape(x.shape)


def operand_values(name: str, M: np.ndarray) -> np.ndarray:
    """A or B as the tensor cores see it: values of the input format (bf16 bits decoded, tf32 rounded)."""
    if name == "mma_gemm_bf16":
        return M.view(ml_dtypes.bfloat16)
    if name == "mma_gemm_tf32":
        return _round_tf32(np.ascontiguousarray(M))
    return M


def twin_d(name: str, A, B, C, arch: str = "sm_80") -> np.ndarray:
    """C + A @ B as the kernel computes it on ``arch``: its mma instructions chained over ascending k."""
    variant = MMA_VARIANTS[GEMMS[name].variant]
    A, B = operand_values(name, A), operand_values(name, B)
    D = C.copy()
    for k0 in range(0, A.shape[1], variant.k):
        D = model_mma(A[:, k0:k0 + variant.k], B[k0:k0 + variant.k], D, arch=arch,
                      input=variant.input_format, accumulate=variant.accumulate_format)
    return D


def fp64_bound(name: str, A, B, C, arch: str = "sm_80") -> np.ndarray:
    """Elementwise bound on |D - (C + A @ B)| (exact, in float64) for the kernel's D on ``arch``.

    Per block of L terms the alignment truncates each of the L products and C
    by less than 2^(e_max - F), and the block's normalisation errs by less
    than u times its result (u = 2^-23 truncating to FP32, 2^-11 rounding to
    FP16). 2^e_max is at most the largest term, or, when that term is
    subnormal, 2^e_low with e_low = max(2 * emin of the input, emin of the
    output). Every term and result is at most S = |C| + |A| @ |B| (plus the
    error so far, covered by the factor 1.01), so with n blocks:

        n * ((L + 1) * 2^-F + u) * S * 1.01  +  n * ((L + 1) * 2^(e_low - F) + smallest subnormal output)
    """
    variant = MMA_VARIANTS[GEMMS[name].variant]
    path = tensor_core(arch).datapath(variant.input_format, variant.accumulate_format)
    A = operand_values(name, A).astype(np.float64)
    B = operand_values(name, B).astype(np.float64)
    n, L, F = math.ceil(A.shape[1] / path.block_terms), path.block_terms, path.alignment_fraction_bits
    u = 2.0 ** -(path.result_fraction_bits + (1 if path.round_to_nearest else 0))
    e_low = max(2 * path.input.emin, path.output.emin)
    S = np.abs(C.astype(np.float64)) + np.abs(A) @ np.abs(B)
    return n * (((L + 1) * 2.0 ** -F + u) * S * 1.01 + (L + 1) * 2.0 ** (e_low - F) + float(path.output.min_subnormal))


def fp64_error(name: str, A, B, C, D) -> np.ndarray:
    """|D - (C + A @ B)| with the exact inputs, in float64."""
    A = operand_values(name, A).astype(np.float64)
    B = operand_values(name, B).astype(np.float64)
    return np.abs(D.astype(np.float64) - (C.astype(np.float64) + A @ B))


# ------------------------------------------------------------------ cases
def make_inputs(name: str, rng, n: int):
    """A is n x (n+3), B (n+3) x (n+7), C n x (n+7): no dimension a multiple of the tile."""
    ab_dtype, c_dtype = GEMMS[name].ab_dtype, GEMMS[name].c_dtype
    m, k, p = n, n + 3, n + 7
    if ab_dtype == np.uint16:
        A, B = (uniform(rng, shape).astype(ml_dtypes.bfloat16).view(np.uint16) for shape in ((m, k), (k, p)))
    else:
        A, B = uniform(rng, (m, k), ab_dtype), uniform(rng, (k, p), ab_dtype)
    return A, B, uniform(rng, (m, p), c_dtype)


def launch_config(name: str, args):
    M, N = args[2].shape
    tile_m, tile_n = GEMMS[name].tile
    tiles = blocks(M, tile_m) * blocks(N, tile_n)
    return (blocks(tiles, WARPS_PER_BLOCK),), (32 * WARPS_PER_BLOCK,)


def _case(name: str) -> KernelCase:
    gemm = GEMMS[name]

    def run_twin(args):
        return (twin_d(name, *args, arch=gemm.gpu),)
    return KernelCase(
        name=name, kernel=gemm.kernel, make_inputs=functools.partial(make_inputs, name),
        launch_config=functools.partial(launch_config, name), run_twin=run_twin, outputs=(2,), sizes=(16, 37),
        reason=f"exact: the twin is the kernel's chain of mma instructions in emu.numerics.mma ({gemm.gpu})",
        inline_ptx=True, gpu=gemm.gpu)


CASES = [_case(name) for name in GEMMS]
