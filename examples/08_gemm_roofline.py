"""The roofline of naive, tiled and register-blocked SGEMM on a V100, an A100 and an H100.

Each kernel (kernels/gemm.py) runs under the cycle model on each GPU; the table
gives its cycles, GFLOP/s, arithmetic intensity (FLOPs per DRAM byte) and the
share of the FP32 peak, and out/08_gemm_roofline.png places all three on each
GPU's roofline (emu.report.roofline.plot_rooflines).

Size: C = A @ B with A of N x (N+3), B of (N+3) x (N+7) and N = 192 (about 10 s on
a 2-core laptop). That is small for a GPU: the register-blocked kernel's 64 x 64
tiles give it only 16 CTAs, so it leaves most SMs idle and its 96 registers per
thread cap each SM at 8 warps — on a matrix this size it loses, as a library
would also pick smaller tiles here. Tiling against naive shows the lesson at any
size: fewer global loads per FMA, higher intensity, more FLOP/s.

    python examples/08_gemm_roofline.py
"""
import numpy as np

import emu
from coursework import output, print_table, quick_or
from emu.report.roofline import plot_rooflines
from kernels import BY_NAME

N = quick_or(192, 24)
GPUS = ["sm_70", "sm_80", "sm_90"]
KERNELS = ["gemm_naive", "gemm_tiled", "gemm_register_blocked"]


def run(gpu: str, name: str):
    case = BY_NAME[name]
    args = case.make_inputs(np.random.default_rng(0), N)
    grid, block = case.launch_config(args)
    expected = case.run_twin(args)[0]
    report = emu.GPU(gpu).launch(case.kernel, grid, block, args).report
    assert np.array_equal(args[2], expected), f"{name} disagrees with its CPU twin"
    return report


reports = [run(gpu, name) for gpu in GPUS for name in KERNELS]
print_table(f"SGEMM, N = {N}, on the cycle model", ["GPU", "kernel", "cycles", "µs", "GFLOP/s", "FLOP/B",
                                                   "% FP32 peak", "occupancy"],
            [[r.gpu, r.kernel, r.cycles, r.time_s * 1e6, r.gflops_per_s, r.arithmetic_intensity,
              f"{r.gflops_per_s * 1e9 / r.roofline['fp32']:.1%}", f"{r.occupancy_achieved:.0%}"] for r in reports])
print("roofline:", plot_rooflines(reports, output("08_gemm_roofline.png"), labels=[r.kernel for r in reports]))
