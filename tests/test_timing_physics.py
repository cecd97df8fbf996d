"""The cycle model against physics: microbenchmarks (kernels/microbench.py) whose results must match
published measurements of real GPUs (issue 8, "Validation against physics").

Every expected value comes from shared/REFERENCE.md or the preset's cited numbers
(kernels.microbench.PUBLISHED_LATENCY and friends, each with its source), never from the
model's own output. bench/timing_validation.py prints the same measurements as a table, and
emu.hw.timing runs the same kernels on a real GPU (tests/data/README_hw_timing.md).
"""
import numpy as np
import pytest

import emu
from kernels import gemm, microbench as mb, tensor_core, transpose

ARCHS = mb.ARCHS


@pytest.fixture(scope="module", params=ARCHS)
def gpu(request):
    return emu.GPU(request.param)


def key(gpu):
    return next(k for k in ARCHS if emu.GPU(k).preset == gpu.preset)


# ------------------------------------------------------------------ pointer chase
def test_pointer_chase_latencies_within_10_percent_of_published(gpu):
    measured = mb.level_latencies(gpu)
    published = mb.PUBLISHED_LATENCY[key(gpu)]
    for level, expected in published.items():
        assert measured[level] == pytest.approx(expected, rel=mb.LATENCY_TOLERANCE), (level, measured, published)


def test_l2_chase_hits_l2_and_dram_chase_misses_it():
    a100 = emu.GPU("sm_80")
    n = (1 << 20) // 32
    _, l2 = mb.chase_global_latency(a100, n, 32, n, 512)
    _, dram = mb.chase_global_latency(a100, 512, 33 * 128, 0, 512)
    # warm walk: n misses; timed walk: 512 hits (plus the few params and result stores)
    assert l2.l1_hit_rate == 0.0 and l2.l2_hit_rate >= 512 / (n + 512 + 8)
    assert dram.l2_hit_rate < 0.01


# ------------------------------------------------------------------ arithmetic, %clock
def test_dependent_ffma_latency_and_clock64_read_model_cycles(gpu):
    lat = gpu.preset.latency.fma_cycles                    # [JIA-V], [ABD-A], [LUO]: 4
    c64, c128 = mb.ffma_chain_cycles(gpu, 64), mb.ffma_chain_cycles(gpu, 128)
    assert c128 - c64 == 64 * lat                           # 64 more dependent FFMAs: exactly 64 latencies
    # the chain of n between two clock reads: n latencies, plus the issue of the clock reads and
    # of the mov/and that make the second read wait for the result
    assert 0 <= c64 - 64 * lat <= 8


def test_independent_ffma_reach_90_percent_of_fp32_peak(gpu):
    p = gpu.preset
    peak_per_sm_cycle = p.fp32_flops_per_s() / (p.sm_count * p.clock_hz)     # 2 x FP32 lanes per SM
    assert mb.ffma_flops_per_cycle(gpu) >= mb.FFMA_MIN * peak_per_sm_cycle


# ------------------------------------------------------------------ streams
@pytest.mark.parametrize("which", ["copy", "triad"])
def test_stream_reaches_80_to_95_percent_of_dram_peak(gpu, which):
    # 4 M floats per array (16 MB): more than V100's and T4's L2, less than A100's/H100's. The model
    # starts each launch with an empty L2 and the kernel touches each byte once, so every byte is a
    # DRAM access at any size; larger arrays only amortise the first and last latency (and take
    # longer to simulate: ~1-2 s here).
    lo, hi = mb.STREAM_BOUNDS
    fraction = mb.stream_fraction(gpu, which)
    assert lo <= fraction <= hi, fraction


# ------------------------------------------------------------------ tensor cores
def test_mma_sync_throughput_fraction_of_tensor_peak(gpu):
    bounds = mb.MMA_SYNC_BOUNDS[key(gpu)]
    if bounds is None:
        pytest.skip("no published mma.sync efficiency for this GPU")
    fraction = mb.mma_fma_per_cycle(gpu) / mb.TENSOR_FMA_PER_SM[key(gpu)]
    assert bounds[0] <= fraction <= bounds[1], fraction


@pytest.mark.parametrize("arch,name,k", [("sm_70", "mma_gemm_f16_volta", 4 * 4), ("sm_80", "mma_gemm_f16", 16)])
def test_tensor_gemm_cycles_show_the_per_unit_rate(arch, name, k):
    """V100's 4x4x4 and A100's 8x4x8 tensor cores: each mma.sync of a tensor-core GEMM holds its
    sub-partition's tensor cores m*n*k / (cores per sub-partition x FMA per core per cycle) cycles, at
    the published mma.sync efficiency or better; the GEMM cannot beat that bound."""
    gpu = emu.GPU(arch)
    per_unit, units = mb.TC_FMA_PER_UNIT[arch]
    spec = tensor_core.GEMMS[name]
    m, n = spec.tile if arch == "sm_80" else (8, 8)
    rng = np.random.default_rng(1)
    rows, cols = 2 * spec.tile[0], 2 * spec.tile[1]       # four warp tiles: one CTA of four warps, one SM
    A = rng.random((rows, 256)).astype(spec.ab_dtype)
    B = rng.random((256, cols)).astype(spec.ab_dtype)
    C = np.zeros((rows, cols), spec.c_dtype)
    grid, block = tensor_core.launch_config(name, (A, B, C))
    assert grid == (1,)
    r = gpu.launch(spec.kernel, grid, block, (A, B, C)).report
    parts = gpu.preset.pipes.sub_partitions
    fmas_per_mma = m * n * k
    n_mma = r.flops["fp16"] // (2 * fmas_per_mma)
    busy = r.tensor_utilisation * r.cycles * parts        # tensor_utilisation: busy / (SM cycles x parts)
    ideal = fmas_per_mma / (units / parts * per_unit)      # V100: 1024 / (2 x 64) = 8; A100: 2048 / 256 = 8
    per_mma = busy / n_mma
    assert ideal <= per_mma <= ideal / 0.85 + 1, (per_mma, ideal)
    assert r.cycles >= ideal * n_mma / parts              # no faster than the tensor cores' rate


# ------------------------------------------------------------------ coalescing, banks
@pytest.mark.parametrize("arch", ["sm_70", "sm_80", "sm_90"])
def test_coalesced_float_load_is_4_sectors_stride_32_is_32(arch):
    gpu = emu.GPU(arch)
    assert mb.sectors_per_request(gpu, 1) == 4.0       # 32 lanes x 4 B = 128 B = 4 sectors of 32 B [CUDA-BP]
    assert mb.sectors_per_request(gpu, 32) == 32.0     # 128 B apart: one sector per lane


@pytest.mark.parametrize("arch", ["sm_70", "sm_80", "sm_90"])
def test_transpose_through_shared_is_32_way_unpadded_and_1_way_padded(arch):
    gpu = emu.GPU(arch)
    a = np.arange(32 * 32, dtype=np.float32).reshape(32, 32)
    for kernel, ways in ((transpose.transpose_tiled_unpadded, 32), (transpose.transpose_tiled, 1)):
        out = np.zeros_like(a)
        r = gpu.launch(kernel, (1, 1), (transpose.TILE, transpose.ROWS), (a, out)).report
        np.testing.assert_array_equal(out, a.T)
        # the row-wise stores tile[ty + k, tx] are conflict-free (32 consecutive words: one wavefront);
        # the column-wise loads tile[tx, ty + k] touch 32 words 32 (or 33) words apart
        total = r.shared_wavefronts_per_request * (r.shared_loads + r.shared_stores)
        per_load = (total - r.shared_stores) / r.shared_loads
        assert per_load == ways
        assert r.shared_bank_conflicts == (ways - 1) * r.shared_loads


# ------------------------------------------------------------------ ordering
def test_gemm_ordering_naive_tiled_register_blocked(gpu):
    rng = np.random.default_rng(2)
    n = 128
    A, B = rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)

    def run(kernel, launch):
        C = np.zeros((n, n), np.float32)
        grid, block = launch((A, B, C))
        r = gpu.launch(kernel, grid, block, (A, B, C)).report
        return r.gflops_per_s, r.gflops_per_s / min(grid[0] * grid[1], gpu.preset.sm_count)

    naive, _ = run(gemm.gemm_naive, gemm.gemm_launch)
    tiled, tiled_per_sm = run(gemm.gemm_tiled, gemm.gemm_launch)
    _, blocked_per_sm = run(gemm.gemm_register_blocked, gemm.gemm_register_blocked_launch)
    assert naive < tiled
    # at n = 128 the register-blocked kernel has 4 CTAs (64 x 64 tiles) against the others' 64: the
    # GPU is mostly idle, as it would be on real hardware, so compare GFLOP/s per busy SM
    assert tiled_per_sm < blocked_per_sm
