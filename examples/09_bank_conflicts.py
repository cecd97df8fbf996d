"""Shared-memory bank conflicts: a matrix transpose through a 32 x 32 tile, unpadded and padded.

Each block reads a 32 x 32 tile of the matrix row by row into shared memory and
writes it out column by column (kernels/transpose.py), so that both global reads
and writes are coalesced. Reading a column of a 32-word-wide tile puts all 32
lanes' words in one bank: the access is replayed 32 times (32 wavefronts). With
one word of padding per row (32 x 33) consecutive rows start in consecutive
banks and the column read takes one wavefront. The table shows the bank
conflicts, wavefronts per shared request, cycles and GB/s on each GPU;
out/09_bank_conflicts.png plots them.

Size: a 256 x 517 matrix (a few seconds on a 2-core laptop).

    python examples/09_bank_conflicts.py
"""
import numpy as np
from matplotlib.figure import Figure      # no pyplot: the figure renders with Agg, no display needed

import emu
from coursework import output, print_table, quick_or
from kernels import BY_NAME

N = quick_or(256, 32)
GPUS = ["sm_70", "sm_80", "sm_90"]
KERNELS = ["transpose_tiled_unpadded", "transpose_tiled"]


def run(gpu: str, name: str):
    case = BY_NAME[name]
    args = case.make_inputs(np.random.default_rng(0), N)
    grid, block = case.launch_config(args)
    report = emu.GPU(gpu).launch(case.kernel, grid, block, args).report
    assert np.array_equal(args[1], args[0].T), f"{name} did not transpose"
    return report


reports = {(gpu, name): run(gpu, name) for gpu in GPUS for name in KERNELS}
print_table(f"transpose of a {N} x {2 * N + 5} float32 matrix through shared memory",
            ["GPU", "kernel", "bank conflicts", "wavefronts/request", "cycles", "GB/s"],
            [[r.gpu, name, r.shared_bank_conflicts, r.shared_wavefronts_per_request, r.cycles, r.dram_gb_per_s]
             for (gpu, name), r in reports.items()])

figure = Figure(figsize=(11, 4), layout="constrained")
conflicts, cycles = figure.subplots(1, 2)
x = np.arange(len(GPUS))
for i, name in enumerate(KERNELS):
    rows = [reports[gpu, name] for gpu in GPUS]
    conflicts.bar(x + 0.4 * i, [r.shared_wavefronts_per_request for r in rows], 0.4, label=name)
    cycles.bar(x + 0.4 * i, [r.cycles for r in rows], 0.4, label=name)
for ax, title in ((conflicts, "shared wavefronts per request"), (cycles, "cycles")):
    ax.set_xticks(x + 0.2, [reports[gpu, KERNELS[0]].gpu for gpu in GPUS])
    ax.set_title(title)
    ax.legend()
path = output("09_bank_conflicts.png")
figure.savefig(path, dpi=110)
print("plot:", path)
