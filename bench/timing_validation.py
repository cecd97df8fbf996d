"""The cycle model against physics: microbenchmark results (kernels/microbench.py) beside the published
figures (shared/REFERENCE.md, as kernels.microbench cites them), per architecture.

    python bench/timing_validation.py [sm_70 sm_75 sm_80 sm_90 h200]

Prints one row per check: measured | expected | ok. tests/test_timing_physics.py asserts the same;
`python -m emu.hw.timing` times the same kernels on a real GPU.
"""
import sys
import time

import numpy as np

import emu
from kernels import gemm, microbench as mb


def rows_for(arch: str):
    gpu = emu.GPU(arch)
    p = gpu.preset
    lat = mb.level_latencies(gpu)
    for level, expected in mb.PUBLISHED_LATENCY[arch].items():
        ok = abs(lat[level] - expected) <= mb.LATENCY_TOLERANCE * expected
        yield f"{level} latency (cycles)", f"{lat[level]:.1f}", f"{expected:g} ±10%", ok
    c64, c128 = mb.ffma_chain_cycles(gpu, 64), mb.ffma_chain_cycles(gpu, 128)
    f = p.latency.fma_cycles
    yield "FFMA dependent latency", f"{(c128 - c64) / 64:g}", f"{f}", c128 - c64 == 64 * f
    yield "clock64 around 64 FFMA", f"{c64}", f"64×{f} + ≤8", 0 <= c64 - 64 * f <= 8
    peak = p.fp32_flops_per_s() / (p.sm_count * p.clock_hz)
    ffma = mb.ffma_flops_per_cycle(gpu) / peak
    yield "FFMA throughput (of FP32 peak)", f"{ffma:.1%}", f"≥ {mb.FFMA_MIN:.0%}", ffma >= mb.FFMA_MIN
    lo, hi = mb.STREAM_BOUNDS
    for which in ("copy", "triad"):
        s = mb.stream_fraction(gpu, which)
        yield f"STREAM {which} (of DRAM peak)", f"{s:.1%}", f"{lo:.0%}-{hi:.0%}", lo <= s <= hi
    mma = mb.mma_fma_per_cycle(gpu) / mb.TENSOR_FMA_PER_SM[arch]
    bounds = mb.MMA_SYNC_BOUNDS[arch]
    yield ("mma.sync throughput (of tensor peak)", f"{mma:.1%}",
           f"{bounds[0]:.0%}-{bounds[1]:.0%}" if bounds else "(not published)",
           bounds[0] <= mma <= bounds[1] if bounds else None)
    s1, s32 = mb.sectors_per_request(gpu, 1), mb.sectors_per_request(gpu, 32)
    yield "sectors/request stride 1, 32", f"{s1:g}, {s32:g}", "4, 32", (s1, s32) == (4, 32)
    rng = np.random.default_rng(2)
    n = 128
    A, B = rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)
    got = []
    for kernel, launch in ((gemm.gemm_naive, gemm.gemm_launch), (gemm.gemm_tiled, gemm.gemm_launch),
                           (gemm.gemm_register_blocked, gemm.gemm_register_blocked_launch)):
        C = np.zeros((n, n), np.float32)
        grid, block = launch((A, B, C))
        r = gpu.launch(kernel, grid, block, (A, B, C)).report
        got.append((r.gflops_per_s, r.gflops_per_s / min(grid[0] * grid[1], p.sm_count)))
    yield ("GEMM 128 GFLOP/s naive < tiled", f"{got[0][0]:.0f} < {got[1][0]:.0f}", "naive < tiled",
           got[0][0] < got[1][0])
    yield ("  per busy SM: tiled < reg-blocked", f"{got[1][1]:.1f} < {got[2][1]:.1f}", "tiled < blocked",
           got[1][1] < got[2][1])


def main(archs):
    print(f"{'arch':6} {'check':38} {'measured':>18} {'expected':>18}  ok")
    failed = 0
    for arch in archs:
        start = time.perf_counter()
        for name, measured, expected, ok in rows_for(arch):
            mark = "-" if ok is None else "yes" if ok else "NO"
            failed += ok is False
            print(f"{arch:6} {name:38} {measured:>18} {expected:>18}  {mark}")
        print(f"{arch:6} ({time.perf_counter() - start:.0f} s)")
    print(f"{failed} check(s) outside the published range")
    return failed


if __name__ == "__main__":
    sys.exit(1 if main(sys.argv[1:] or mb.ARCHS) else 0)
