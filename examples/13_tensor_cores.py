"""Tensor cores vs FP32 SIMT: the same GEMM on the FP32 pipes and on the tensor cores, V100 and A100.

The SIMT kernel is the tiled SGEMM (kernels/gemm.py); the tensor-core kernels
(kernels/tensor_core.py) give each warp a tile of C and chain mma.sync over K:
m8n8k4 on V100 (8 tensor cores of 4x4x4 FMA per cycle per SM), m16n8k16 on A100
(4 of 8x4x8). Both take FP16 inputs and accumulate in FP32. The table gives
cycles, GFLOP/s and how busy the tensor pipe was; out/13_tensor_cores.png
compares the cycles. The tensor-core kernels here load their fragments straight
from global memory, without shared-memory staging, so they are far from the
tensor peak: what shows is the FMAs the tensor cores take off the FP32 pipes.

Size: 128 x 131 x 135 (a few seconds on a 2-core laptop).

    python examples/13_tensor_cores.py
"""
import numpy as np
from matplotlib.figure import Figure      # no pyplot: the figure renders with Agg, no display needed

import emu
from coursework import output, print_table, quick_or
from kernels import BY_NAME

N = quick_or(128, 16)
RUNS = [("sm_70", "gemm_tiled"), ("sm_70", "mma_gemm_f16_volta"), ("sm_80", "gemm_tiled"), ("sm_80", "mma_gemm_f16")]


def run(gpu: str, name: str):
    case = BY_NAME[name]
    args = case.make_inputs(np.random.default_rng(0), N)
    expected = case.run_twin(args)[0]
    grid, block = case.launch_config(args)
    report = emu.GPU(gpu).launch(case.kernel, grid, block, args).report
    assert np.array_equal(args[2], expected), f"{name} disagrees with its twin"
    return report


reports = [run(gpu, name) for gpu, name in RUNS]
print_table(f"GEMM of {N} x {N + 3} by {N + 3} x {N + 7}: FP32 SIMT vs tensor cores",
            ["GPU", "kernel", "cycles", "GFLOP/s", "FLOPs by precision", "tensor pipe busy"],
            [[r.gpu, r.kernel, r.cycles, r.gflops_per_s, ", ".join(f"{k} {v:,}" for k, v in r.flops.items() if v),
              f"{r.tensor_utilisation:.1%}"] for r in reports])

figure = Figure(figsize=(8, 4), layout="constrained")
ax = figure.subplots()
ax.barh([f"{r.gpu}\n{r.kernel}" for r in reports], [r.cycles for r in reports],
        color=["tab:gray" if r.kernel == "gemm_tiled" else "tab:green" for r in reports])
ax.invert_yaxis()
ax.set_xlabel("cycles")
ax.set_title("FP32 SIMT (gray) vs tensor cores (green)")
path = output("13_tensor_cores.png")
figure.savefig(path, dpi=110)
print("plot:", path)
