"""CUDA C++ nvcuda::wmma through NVRTC: wmma.load / wmma.mma / wmma.store on the engine.

The fragment layout is emu's own (the PTX ISA leaves it unspecified), so the
test checks what is specified: D = A*B + C for the tile, with the bits of the
tensor-core model for the launch's architecture, for row- and column-major
operands and strides larger than the tile.
"""
import ml_dtypes
import numpy as np
import pytest

import emu
from emu.numerics.mma import mma as model_mma

WMMA_SRC = r"""
#include <mma.h>
#include <cuda_fp16.h>
#include <cuda_bf16.h>
using namespace nvcuda;

extern "C" __global__ void tile_f16(const half *a, const half *b, const float *c, float *d, int lda, int ldb, int ldc)
{
    wmma::fragment<wmma::matrix_a, 16, 16, 16, half, wmma::row_major> fa;
    wmma::fragment<wmma::matrix_b, 16, 16, 16, half, wmma::col_major> fb;
    wmma::fragment<wmma::accumulator, 16, 16, 16, float> fc;
    wmma::load_matrix_sync(fa, a, lda);
    wmma::load_matrix_sync(fb, b, ldb);
    wmma::load_matrix_sync(fc, c, ldc, wmma::mem_row_major);
    wmma::mma_sync(fc, fa, fb, fc);
    wmma::store_matrix_sync(d, fc, ldc, wmma::mem_row_major);
}

extern "C" __global__ void tile_bf16(const __nv_bfloat16 *a, const __nv_bfloat16 *b, float *d)
{
    wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::col_major> fa;
    wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::row_major> fb;
    wmma::fragment<wmma::accumulator, 16, 16, 16, float> fc;
    wmma::fill_fragment(fc, 0.0f);
    wmma::load_matrix_sync(fa, a, 16);
    wmma::load_matrix_sync(fb, b, 16);
    wmma::mma_sync(fc, fa, fb, fc);
    wmma::store_matrix_sync(d, fc, 16, wmma::mem_col_major);
}
"""


@pytest.mark.parametrize("arch", ["sm_80", "sm_90"])
def test_wmma_f16_row_col_with_padded_strides(arch):
    rng = np.random.default_rng(2)
    lda, ldb, ldc = 24, 20, 18
    A = rng.standard_normal((16, 16)).astype(np.float16)
    B = rng.standard_normal((16, 16)).astype(np.float16)
    C = rng.standard_normal((16, 16)).astype(np.float32)
    a = np.zeros((16, lda), np.float16); a[:, :16] = A                 # row-major, stride lda
    b = np.zeros((16, ldb), np.float16); b[:, :16] = B.T               # column-major: column j at b[j]
    c = np.zeros((16, ldc), np.float32); c[:, :16] = C
    d = np.full((16, ldc), -7.0, np.float32)
    kernel = emu.compile_cuda(WMMA_SRC, "tile_f16")
    emu.GPU(arch).launch(kernel, 1, 32, (a, b, c, d, np.int32(lda), np.int32(ldb), np.int32(ldc)))
    expected = model_mma(A, B, C, arch=arch, input="fp16", accumulate="fp32")
    assert np.array_equal(d[:, :16].view(np.uint32), expected.view(np.uint32))
    assert np.all(d[:, 16:] == -7.0)                                    # padding untouched


def test_wmma_bf16_col_row_layouts():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((16, 16)).astype(ml_dtypes.bfloat16)
    B = rng.standard_normal((16, 16)).astype(ml_dtypes.bfloat16)
    a = np.ascontiguousarray(A.T)                                       # column-major A
    b = np.ascontiguousarray(B)                                         # row-major B
    d = np.zeros((16, 16), np.float32)
    emu.GPU("sm_80").launch(emu.compile_cuda(WMMA_SRC, "tile_bf16"), 1, 32, (a.view(np.uint16), b.view(np.uint16), d))
    expected = model_mma(A, B, np.zeros((16, 16), np.float32), arch="sm_80", input="bf16")
    assert np.array_equal(d.T.view(np.uint32), expected.view(np.uint32))  # stored column-major
