"""Run every kernel of the library on the emulator and compare it with its CPU twin.

The twins themselves are validated against numba's CUDA simulator by
`python -m kernels.check` (slow); the PTX compile check below needs no emulator.
"""

import functools
import math
import warnings

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import cuda

import emu
from emu.frontend import compile_cuda_source
from emu.frontend.numba_kernel import offline_device
from kernels import BY_NAME, KERNELS, gemm

SEED = 1234
WARP = 32

# Kernels that stage data in shared memory and synchronise the block; all others
# use neither.
SHARED_MEMORY_KERNELS = {"gemm_tiled", "gemm_tiled_padded", "gemm_register_blocked", "sum_tree", "histogram_shared",
                         "transpose_tiled", "transpose_tiled_unpadded", "softmax_rows"}
assert SHARED_MEMORY_KERNELS <= BY_NAME.keys()

CASE_SIZES = [pytest.param(case, size, id=f"{case.name}-{size}")
              for case in KERNELS for size in case.sizes]


@pytest.fixture(scope="module")
def gpu():
    return emu.GPU("sm_80")


@functools.lru_cache(maxsize=None)
def compiled_cuda_cpp(source, entry):
    return emu.compile_cuda(source, entry)


def launch(gpu, case, args, mode="timing"):
    """Launch `case` on `args` (updated in place) and return the run's report."""
    kernel = compiled_cuda_cpp(case.kernel, case.entry) if case.is_cuda_cpp else case.kernel
    grid, block = case.launch_config(args)
    return gpu.launch(kernel, grid=grid, block=block, args=args, mode=mode).report


def check_outputs(case, args, expected):
    rtol, atol = case.tolerance
    for index, want in zip(case.outputs, expected):
        got = args[index]
        assert got.dtype == want.dtype and got.shape == want.shape
        message = f"{case.name} output arg {index}: {case.reason}"
        if rtol == atol == 0:
            np.testing.assert_array_equal(got, want, err_msg=message)
        else:
            np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=message)


def run_and_check(gpu, case, size, seed=SEED):
    """Run a case on fresh inputs, check it against its twin, return (args, report)."""
    args = case.make_inputs(np.random.default_rng(seed), size)
    expected = case.run_twin(args)
    report = launch(gpu, case, args)
    check_outputs(case, args, expected)
    return args, report


def warps_launched(case, args):
    grid, block = case.launch_config(args)
    return math.prod(grid) * math.ceil(math.prod(block) / WARP)


@pytest.mark.parametrize("case, size", CASE_SIZES)
def test_kernel_matches_twin(case, size):
    args, report = run_and_check(emu.GPU(case.gpu), case, size)
    assert report.warp_instructions >= warps_launched(case, args)   # at least an exit each
    assert report.global_bytes_loaded > 0
    assert report.global_bytes_stored > 0 or report.atomics > 0   # results may leave by atomics only
    if case.name in SHARED_MEMORY_KERNELS:
        assert report.shared_accesses > 0
        assert report.counts_by_class["sync"] > 0
    else:
        assert report.shared_accesses == 0
        assert report.counts_by_class.get("sync", 0) == 0


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in KERNELS])
def test_every_mode_and_path_gives_the_same_bits(case, monkeypatch):
    """Every library kernel gives exactly the same bits and instruction counts in timing mode (the
    cycle model steps the engine one instruction at a time, CTAs of all SMs interleaved), in
    functional mode, and in functional mode with EMU_REFERENCE=1 (only the per-lane definitions run)."""
    runs = []
    for mode, reference in (("timing", "0"), ("functional", "0"), ("functional", "1")):
        monkeypatch.setenv("EMU_REFERENCE", reference)
        args = case.make_inputs(np.random.default_rng(SEED), case.sizes[0])
        report = launch(emu.GPU(case.gpu), case, args, mode)
        runs.append(([args[i].copy() for i in case.outputs], report.warp_instructions, report.counts_by_class))
    (first_out, *first_counts), *others = runs
    for out, *counts in others:
        for got, want in zip(out, first_out):
            np.testing.assert_array_equal(got.view(np.uint8), want.view(np.uint8))
        assert counts == first_counts


@pytest.mark.parametrize("name", ["vector_add", "gemm_tiled", "sum_shuffle"])
def test_instruction_classes_partition_the_count(gpu, name):
    case = BY_NAME[name]
    _, report = run_and_check(gpu, case, case.sizes[-1])
    assert sum(report.counts_by_class.values()) == report.warp_instructions


@pytest.mark.parametrize("name", ["gemm_tiled", "gemm_tiled_padded"])
def test_tiled_gemm_synchronises_twice_per_tile(gpu, name):
    case = BY_NAME[name]
    args, report = run_and_check(gpu, case, 37)
    tiles = math.ceil(args[0].shape[1] / gemm.TPB)
    assert report.counts_by_class["sync"] == 2 * tiles * warps_launched(case, args)
    assert report.shared_accesses > 0


def test_tiling_cuts_global_loads(gpu):
    _, naive = run_and_check(gpu, BY_NAME["gemm_naive"], 37)
    _, tiled = run_and_check(gpu, BY_NAME["gemm_tiled"], 37)
    # Each element fetched into a tile is reused by 16 threads.
    assert 4 * tiled.global_bytes_loaded < naive.global_bytes_loaded


@pytest.mark.parametrize("name", ["transpose_naive", "transpose_tiled"])
def test_transpose_stores_every_element(gpu, name):
    args, report = run_and_check(gpu, BY_NAME[name], 45)
    assert report.global_bytes_stored >= args[1].nbytes
    assert report.global_bytes_loaded >= args[0].nbytes


@pytest.mark.parametrize("n", [1000, 1024])
def test_vector_add_traffic_and_divergence(gpu, n):
    """Only the warp straddling n diverges at the bounds check; with n a multiple of
    the block size no warp does."""
    _, report = run_and_check(gpu, BY_NAME["vector_add"], n)
    useful = 4 * n
    assert 2 * useful <= report.global_bytes_loaded <= 2 * (useful + 256)
    assert useful <= report.global_bytes_stored <= useful + 256
    if n % WARP:
        assert report.divergent_branches > 0
    else:
        assert report.divergent_branches == 0


@settings(max_examples=8, deadline=None)
@given(n=st.integers(1, 3000), seed=st.integers(0, 2**32 - 1))
def test_vector_add_any_size(gpu, n, seed):
    run_and_check(gpu, BY_NAME["vector_add"], n, seed)


@settings(max_examples=6, deadline=None)
@given(n=st.integers(1, 40), seed=st.integers(0, 2**32 - 1))
def test_tiled_gemm_any_size(gpu, n, seed):
    run_and_check(gpu, BY_NAME["gemm_tiled"], n, seed)


@settings(max_examples=6, deadline=None)
@given(n=st.integers(1, 2000), seed=st.integers(0, 2**32 - 1))
def test_sum_shuffle_any_size(gpu, n, seed):
    run_and_check(gpu, BY_NAME["sum_shuffle"], n, seed)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in KERNELS])
def test_compiles_to_ptx(case):
    """Every kernel compiles offline (no GPU, no driver) to PTX for sm_80."""
    args = case.make_inputs(np.random.default_rng(SEED), case.sizes[0])
    if case.is_cuda_cpp:
        ptx = compile_cuda_source(case.kernel, case.entry, (8, 0)).ptx
    else:
        types = tuple(numba.typeof(a) for a in args)
        with warnings.catch_warnings(), offline_device((8, 0)):
            warnings.simplefilter("ignore", numba.NumbaWarning)
            ptx, _ = cuda.compile_ptx(case.kernel.py_func, types, cc=(8, 0), lineinfo=True)
    assert ".target sm_80" in ptx and ".entry" in ptx
