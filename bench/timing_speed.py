"""How fast timing mode runs: warp instructions per second under the cycle model, against functional mode.

    python bench/timing_speed.py                # tiled SGEMM N=256 on A100, both modes, same process
    python bench/timing_speed.py --n 512 --gpu v100 --repeat 3

Targets (issue "Cycle model"): timing mode >= 2e6 warp instructions/s on the tiled SGEMM N=256 and at
most 5x slower than functional mode in the same run. Figures are wall-clock on the machine running it.
"""
import argparse
import time

import numpy as np

import emu
from kernels.gemm import TPB, gemm_tiled

TARGET_TIMING_RATE = 2e6
TARGET_SLOWDOWN = 5.0


def best_seconds(gpu, n, mode, repeat):
    """Best wall time over ``repeat`` launches (after one untimed launch that loads the engine)."""
    rng = np.random.default_rng(0)
    a = rng.random((n, n), dtype=np.float32)
    b = rng.random((n, n), dtype=np.float32)
    c = np.zeros((n, n), dtype=np.float32)
    grid = (n // TPB, n // TPB)
    gpu.launch(gemm_tiled, grid, (TPB, TPB), (a, b, c), mode=mode)
    best, run = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        run = gpu.launch(gemm_tiled, grid, (TPB, TPB), (a, b, c), mode=mode)
        best = min(best, time.perf_counter() - start)
    return best, run.report


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=256)
    parser.add_argument("--gpu", default="a100")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    gpu = emu.GPU(args.gpu)
    functional, report = best_seconds(gpu, args.n, "functional", args.repeat)
    timing, timed = best_seconds(gpu, args.n, "timing", args.repeat)
    instructions = report.warp_instructions
    rate_f, rate_t = instructions / functional, instructions / timing
    print(f"tiled SGEMM N={args.n} on {gpu.preset.name}: {instructions:,} warp instructions, "
          f"{timed.cycles:,} cycles emulated")
    print(f"  functional  {functional:8.3f} s  {rate_f / 1e6:7.2f} M warp instructions/s")
    print(f"  timing      {timing:8.3f} s  {rate_t / 1e6:7.2f} M warp instructions/s   "
          f"(target >= {TARGET_TIMING_RATE / 1e6:.0f} M: {'met' if rate_t >= TARGET_TIMING_RATE else 'NOT met'})")
    print(f"  timing / functional: {timing / functional:.1f}x slower   "
          f"(target <= {TARGET_SLOWDOWN:.0f}x: {'met' if timing / functional <= TARGET_SLOWDOWN else 'NOT met'})")


if __name__ == "__main__":
    main()
