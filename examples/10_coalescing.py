"""Coalescing: copy every stride-th float of an array, for strides 1 to 32.

A warp's 32 loads of dst[i] = src[i * stride] (kernels/elementwise.py) span
32 * stride words. The coalescer turns them into 32-byte sectors: 4 at stride 1,
8 at stride 2, ... 32 from stride 8 on, each sector bringing 32 bytes of which
the warp uses 4 (stores stay coalesced: 4 sectors each, so the table's
sectors/request is the average of the two). DRAM moves whole sectors, so the
useful bandwidth (bytes the program asked for per second) falls as the stride
grows while the DRAM bandwidth stays high. The table and out/10_coalescing.png
show both on an A100.

Size: 2^16 elements copied (a few seconds on a 2-core laptop).

    python examples/10_coalescing.py
"""
import numpy as np
from matplotlib.figure import Figure      # no pyplot: the figure renders with Agg, no display needed

import emu
from coursework import output, print_table, quick_or
from kernels import BY_NAME

N = quick_or(1 << 16, 1 << 10)
STRIDES = quick_or([1, 2, 4, 8, 16, 32], [1, 32])
GPU = "sm_80"


def run(stride: int):
    case = BY_NAME["copy_strided"]
    args = case.make_inputs(np.random.default_rng(0), N, stride)
    grid, block = case.launch_config(args)
    report = emu.GPU(GPU).launch(case.kernel, grid, block, args).report
    assert np.array_equal(args[1], args[0][::stride]), "the copy went wrong"
    return report


reports = {stride: run(stride) for stride in STRIDES}
useful = {s: 2 * 4 * N / r.time_s / 1e9 for s, r in reports.items()}     # one float read and one written each
print_table(f"strided copy of {N:,} floats on {reports[1].gpu}",
            ["stride", "sectors/request", "DRAM bytes", "DRAM GB/s", "useful GB/s", "cycles"],
            [[s, r.sectors_per_request, r.dram_bytes, r.dram_gb_per_s, useful[s], r.cycles]
             for s, r in reports.items()])

figure = Figure(figsize=(11, 4), layout="constrained")
sectors, bandwidth = figure.subplots(1, 2)
sectors.plot(STRIDES, [r.sectors_per_request for r in reports.values()], "o-")
sectors.set_title("sectors per request (loads and stores)")
bandwidth.plot(STRIDES, [r.dram_gb_per_s for r in reports.values()], "o-", label="DRAM")
bandwidth.plot(STRIDES, list(useful.values()), "s-", label="useful")
bandwidth.axhline(reports[1].roofline["dram"] / 1e9, color="gray", ls=":", label="DRAM peak")
bandwidth.set_title("GB/s")
bandwidth.legend()
for ax in (sectors, bandwidth):
    ax.set_xscale("log", base=2)
    ax.set_xlabel("stride (floats)")
path = output("10_coalescing.png")
figure.savefig(path, dpi=110)
print("plot:", path)
