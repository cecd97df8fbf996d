"""Sampled mode on a big grid: the 4096 x 4096 tiled SGEMM, its estimated cycles and how long the estimate takes.

    python bench/sampled_speed.py               # A100, N=4096 (target: under 30 s)
    python bench/sampled_speed.py --n 1024 --full   # also a full simulation, to see the estimate's error

The arrays are not computed in sampled mode (only a sample of the CTAs runs).
"""
import argparse
import time

import numpy as np

import emu
from kernels.gemm import TPB, gemm_tiled

TARGET_SECONDS = 30.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4096)
    parser.add_argument("--gpu", default="a100")
    parser.add_argument("--full", action="store_true", help="also simulate every CTA and compare")
    args = parser.parse_args()
    n = args.n
    a = np.ones((n, n), dtype=np.float32)
    c = np.zeros((n, n), dtype=np.float32)
    gpu = emu.GPU(args.gpu)
    grid = (n // TPB, n // TPB)
    start = time.perf_counter()
    sampled = gpu.launch(gemm_tiled, grid, (TPB, TPB), (a, a, c), mode="sampled").report
    seconds = time.perf_counter() - start
    s = sampled.sampled
    print(f"tiled SGEMM N={n} on {gpu.preset.name}, sampled: {sampled.cycles:,} cycles "
          f"± {s['error_cycles'] if s else 0:,} ({sampled.time_s * 1e3:.3f} ms, {sampled.gflops_per_s:,.0f} GFLOP/s)")
    if s:
        print(f"  {s['ctas']:,} of {s['ctas_total']:,} CTAs on {s['sms']} SMs; waves {s['wave_cycles']}")
    print(f"  took {seconds:.1f} s (target {TARGET_SECONDS:.0f} s: {'met' if seconds <= TARGET_SECONDS else 'NOT met'})")
    if args.full:
        start = time.perf_counter()
        full = gpu.launch(gemm_tiled, grid, (TPB, TPB), (a, a, c)).report
        print(f"  full simulation: {full.cycles:,} cycles in {time.perf_counter() - start:.1f} s; "
              f"sampled estimate off by {(sampled.cycles - full.cycles) / full.cycles:+.1%}")


if __name__ == "__main__":
    main()
