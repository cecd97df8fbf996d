"""Occupancy: how block size and registers per thread set the warps an SM holds, and what that buys.

1. Block size: vector_add (kernels/elementwise.py) on an A100 with blocks of 32 to
   1024 threads. An SM holds at most 32 CTAs, so blocks of one warp reach only half
   of its 64 warp slots; the theoretical occupancy column is CUDA's occupancy
   calculator (emu.arch.occupancy), the achieved one what the cycle model measured.
2. Registers: the register-blocked SGEMM (kernels/gemm.py) compiled with
   ``launch_bounds=(256, m)``, which tells ptxas to fit m CTAs of 256 threads per
   SM, so it allocates fewer registers (ptxas -v, as CUDA's __launch_bounds__
   does). Fewer registers, more resident warps, more latency hidden. The GPU is an
   A100 cut down to 4 SMs (a preset override, ``emu.GPU.from_file``) so that a
   256 x 256 GEMM's 16 CTAs give each SM several to hold; per-SM behaviour is the
   A100's. emu runs the PTX, so the spills ptxas would add at low register counts
   are not modelled.

The tables and out/11_occupancy.png show both sweeps. Sizes: 2^18 elements, a
256 x 259 x 263 GEMM (about 7 s on a 2-core laptop).

    python examples/11_occupancy.py
"""
import tempfile
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure      # no pyplot: the figure renders with Agg, no display needed
from numba import cuda

import emu
from coursework import output, print_table, quick_or
from kernels import BY_NAME, gemm

N = quick_or(1 << 18, 1 << 12)
BLOCKS = quick_or([32, 64, 128, 256, 512, 1024], [32, 256])
GEMM_N = quick_or(256, 64)
MIN_CTAS = quick_or([1, 2, 3, 4], [1, 4])
SLICE_SMS = 4


def block_sweep():
    case = BY_NAME["vector_add"]
    reports = []
    for threads in BLOCKS:
        args = case.make_inputs(np.random.default_rng(0), N)
        grid = (-(-N // threads),)
        reports.append(emu.GPU("sm_80").launch(case.kernel, grid, (threads,), args).report)
        assert np.array_equal(args[2], args[0] + args[1])
    return reports


def register_sweep():
    case = BY_NAME["gemm_register_blocked"]
    with tempfile.TemporaryDirectory() as folder:
        toml = Path(folder) / "a100_slice.toml"
        toml.write_text(f'base = "a100"\nsm_count = {SLICE_SMS}\n')
        gpu = emu.GPU.from_file(toml)
    reports = []
    for min_ctas in MIN_CTAS:
        kernel = cuda.jit(launch_bounds=(gemm.RB_THREADS ** 2, min_ctas))(gemm.gemm_register_blocked.py_func)
        args = case.make_inputs(np.random.default_rng(0), GEMM_N)
        grid, block = case.launch_config(args)
        reports.append(gpu.launch(kernel, grid, block, args).report)
        assert np.array_equal(args[2], case.run_twin(args)[0])
    return reports


blocks = block_sweep()
print_table(f"vector_add of {N:,} floats on {blocks[0].gpu}: block size",
            ["threads/block", "theoretical", "achieved", "limited by", "cycles", "DRAM GB/s"],
            [[b, f"{r.occupancy_theoretical:.0%}", f"{r.occupancy_achieved:.0%}", r.occupancy_limiter, r.cycles,
              r.dram_gb_per_s] for b, r in zip(BLOCKS, blocks)])
registers = register_sweep()
print_table(f"register-blocked SGEMM, N = {GEMM_N}, on an A100 cut to {SLICE_SMS} SMs: registers",
            ["launch_bounds CTAs", "registers", "theoretical", "achieved", "limited by", "cycles", "GFLOP/s"],
            [[m, r.registers_per_thread, f"{r.occupancy_theoretical:.0%}", f"{r.occupancy_achieved:.0%}",
              r.occupancy_limiter, r.cycles, r.gflops_per_s] for m, r in zip(MIN_CTAS, registers)])

figure = Figure(figsize=(11, 4), layout="constrained")
left, right = figure.subplots(1, 2)
left.plot(BLOCKS, [r.occupancy_theoretical for r in blocks], "o-", label="theoretical occupancy")
left.plot(BLOCKS, [r.occupancy_achieved for r in blocks], "s-", label="achieved occupancy")
left.set_xscale("log", base=2)
left.set_xlabel("threads per block")
left.set_title("vector_add: occupancy by block size")
left.legend()
right.plot([r.registers_per_thread for r in registers], [r.cycles for r in registers], "o-")
for m, r in zip(MIN_CTAS, registers):
    right.annotate(f"{r.occupancy_theoretical:.0%}", (r.registers_per_thread, r.cycles))
right.set_xlabel("registers per thread")
right.set_ylabel("cycles")
right.set_title("register-blocked SGEMM: cycles by registers (labels: occupancy)")
path = output("11_occupancy.png")
figure.savefig(path, dpi=110)
print("plot:", path)
