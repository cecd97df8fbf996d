"""CPU vs GPU: the kernels' numba @njit CPU twins timed on this host, beside the emulated GPU's GFLOP/s.

Every kernel in kernels/ has a CPU twin, a plain loop compiled by numba that
computes the same bits. Here the twins of SGEMM, saxpy and vector add are timed
on this machine (best of 3, after a warm-up compile), numpy's BLAS matmul beside
the GEMM for scale, and the GPU kernels run on an emulated A100 and H100: the
lab's "how much faster is the GPU" table, with the GPU side predicted by the
cycle model. The twins are references, single-threaded and not vectorised (the
GEMM twin rounds each FMA exactly in software), so they are a floor for the CPU.

Sizes: SGEMM 192 x 195 x 199, vectors of 2^18 (about 5 s on a 2-core laptop).

    python examples/12_cpu_vs_gpu.py
"""
import time

import numpy as np
from matplotlib.figure import Figure      # no pyplot: the figure renders with Agg, no display needed

import emu
from coursework import output, print_table, quick_or
from kernels import BY_NAME

SIZES = {"gemm_tiled": quick_or(192, 24), "saxpy": quick_or(1 << 18, 1 << 10), "vector_add": quick_or(1 << 18, 1 << 10)}
GPUS = ["sm_80", "sm_90"]


def flops(name: str, args) -> int:
    """FLOPs the computation needs (not what a kernel executes): 2·M·N·K, 2 per saxpy element, 1 per add."""
    if name == "gemm_tiled":
        (m, k), n = args[0].shape, args[1].shape[1]
        return 2 * m * n * k
    return (2 if name == "saxpy" else 1) * args[-1].size


def best_seconds(function, repeats: int = 3) -> float:
    function()                                   # compile, warm the caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


rows, bars = [], {}
for name, size in SIZES.items():
    case = BY_NAME[name]
    args = case.make_inputs(np.random.default_rng(0), size)
    work = flops(name, args)
    measured = {"CPU twin": work / best_seconds(lambda: case.run_twin(args)) / 1e9}
    if name == "gemm_tiled":
        measured["CPU numpy"] = work / best_seconds(lambda: args[0] @ args[1]) / 1e9
    for gpu in GPUS:
        grid, block = case.launch_config(args)
        report = emu.GPU(gpu).launch(case.kernel, grid, block, args).report
        measured[report.gpu] = work / report.time_s / 1e9
    bars[name] = measured
    rows += [[name, f"{size:,}", where, gflops] for where, gflops in measured.items()]
print_table("GFLOP/s: this host's CPU vs the emulated GPUs", ["kernel", "size", "where", "GFLOP/s"], rows)

figure = Figure(figsize=(11, 4), layout="constrained")
axes = figure.subplots(1, len(bars))
for ax, (name, measured) in zip(axes, bars.items()):
    ax.barh(list(measured), list(measured.values()), color="tab:blue")
    ax.set_xscale("log")
    ax.set_title(name)
    ax.set_xlabel("GFLOP/s")
path = output("12_cpu_vs_gpu.png")
figure.savefig(path, dpi=110)
print("plot:", path)
