"""The tensor-core GEMMs of kernels/tensor_core.py on sm_80 and sm_90 (and the Volta one on sm_70).

tests/test_kernels.py runs them on their own preset against their twins like every
kernel; here: the m16n8 ones bit-exact on sm_90 too, all within the model's
documented distance of the exact (fp64) product, and different between sm_80 and
sm_90 exactly where the model says.
"""
import ml_dtypes
import numpy as np
import pytest

import emu
from kernels import BY_NAME
from kernels import tensor_core as tc

NAMES = [name for name, gemm in tc.GEMMS.items() if gemm.gpu == "sm_80"]     # the m16n8 kernels (sm_80+)
ARCHS = [pytest.param(name, arch, id=f"{name}-{arch}") for name in NAMES for arch in ("sm_80", "sm_90")] + \
    [pytest.param("mma_gemm_f16_volta", "sm_70", id="mma_gemm_f16_volta-sm_70")]


def run(name, args, arch):
    """The kernel's C on ``arch`` (args are not modified)."""
    A, B, C = (x.copy() for x in args)
    grid, block = tc.launch_config(name, (A, B, C))
    emu.GPU(arch).launch(tc.GEMMS[name].kernel, grid, block, (A, B, C))
    return C


def wide_range_inputs(name, rng, m=32, k=48, n=24):
    """Values spread over many binades, so that alignment truncation differs between architectures."""
    dtype_ab, dtype_c = tc.GEMMS[name].ab_dtype, tc.GEMMS[name].c_dtype

    def spread(shape, dtype, low, high):
        x = rng.choice([-1.0, 1.0], shape) * (1 + rng.random(shape)) * np.exp2(rng.integers(low, high, shape))
        if dtype == np.uint16:                                      # bf16 patterns
            return x.astype(np.float32).astype(ml_dtypes.bfloat16).view(np.uint16)
        return x.astype(dtype)

    return spread((m, k), dtype_ab, -8, 5), spread((k, n), dtype_ab, -8, 5), spread((m, n), dtype_c, -4, 2)


@pytest.mark.parametrize("name", NAMES)
def test_bit_exact_on_sm90(name):
    args = BY_NAME[name].make_inputs(np.random.default_rng(7), 37)
    got = run(name, args, "sm_90")
    assert np.array_equal(got.view(np.uint8), tc.twin_d(name, *args, arch="sm_90").view(np.uint8))


@pytest.mark.parametrize("name, arch", ARCHS)
def test_within_the_documented_distance_of_fp64(name, arch):
    rng = np.random.default_rng(8)
    for args in (BY_NAME[name].make_inputs(rng, 37), wide_range_inputs(name, rng)):
        D = tc.twin_d(name, *args, arch=arch)
        error = tc.fp64_error(name, *args, D)
        bound = tc.fp64_bound(name, *args, arch=arch)
        assert (error <= bound).all(), f"worst error / bound = {(error / bound).max():.3g}"
        # and it says something: a small fraction of the size of the terms (K <= 48 here)
        size = np.abs(args[2].astype(np.float64)) + np.abs(tc.operand_values(name, args[0]).astype(np.float64)) \
            @ np.abs(tc.operand_values(name, args[1]).astype(np.float64))
        assert (bound <= size * (1e-2 if args[2].dtype == np.float16 else 1e-5) + 1e-6).all()


@pytest.mark.parametrize("name", NAMES)
def test_sm80_and_sm90_differ_exactly_where_the_model_says(name):
    args = wide_range_inputs(name, np.random.default_rng(9))
    got = {arch: run(name, args, arch) for arch in ("sm_80", "sm_90")}
    want = {arch: tc.twin_d(name, *args, arch=arch) for arch in ("sm_80", "sm_90")}
    for arch in got:
        assert np.array_equal(got[arch].view(np.uint8), want[arch].view(np.uint8)), arch
    emulated = got["sm_80"] != got["sm_90"]
    modelled = want["sm_80"] != want["sm_90"]
    assert np.array_equal(emulated, modelled)
    assert 0 < modelled.sum() < modelled.size      # the architectures do disagree, but not everywhere


def test_volta_gemm_is_bit_exact_and_differs_from_ampere_where_the_model_says():
    """V100 aligns a block of 4 products to C with 23 fraction bits and truncates; A100's m16n8k16 blocks of 8.
    The same product over many binades, on each GPU's own kernel."""
    args = wide_range_inputs("mma_gemm_f16_volta", np.random.default_rng(10))
    volta = run("mma_gemm_f16_volta", args, "sm_70")
    assert np.array_equal(volta.view(np.uint8), tc.twin_d("mma_gemm_f16_volta", *args, arch="sm_70").view(np.uint8))
    ampere = run("mma_gemm_f16", args, "sm_80")
    modelled = tc.twin_d("mma_gemm_f16_volta", *args, arch="sm_70") != tc.twin_d("mma_gemm_f16", *args, arch="sm_80")
    assert np.array_equal(volta != ampere, modelled)
    assert 0 < modelled.sum() < modelled.size
