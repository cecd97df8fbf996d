"""What one launch did: instruction mix, memory traffic, divergence, time taken to emulate."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

NSIGHT_METRICS = {
    "cycles": "gpc__cycles_elapsed.max",
    "time_s": "gpu__time_duration.sum",
    "ipc": "sm__inst_executed.avg.per_cycle_active",
    "occupancy_theoretical": "sm__maximum_warps_per_active_cycle_pct",
    "occupancy_achieved": "sm__warps_active.avg.pct_of_peak_sustained_active",
    "registers_per_thread": "launch__registers_per_thread",
    "shared_bytes_per_block": "launch__shared_mem_per_block",
    "flops": "smsp__sass_thread_inst_executed_op_{hadd,hmul,hfma,fadd,fmul,ffma,dadd,dmul,dfma}_pred_on "
             "(FMA counted twice) + sm__inst_executed_pipe_tensor (2·m·n·k each)",
    "gflops_per_s": "flops / gpu__time_duration",
    "dram_bytes": "dram__bytes.sum",
    "dram_gb_per_s": "dram__bytes.sum.per_second",
    "l1_hit_rate": "l1tex__t_sector_hit_rate.pct (global and local loads)",
    "l2_hit_rate": "lts__t_sector_hit_rate.pct",
    "sectors_per_request": "l1tex__t_sectors_pipe_lsu_mem_global_op_{ld,st}.sum / l1tex__t_requests_...sum",
    "shared_bank_conflicts": "l1tex__data_bank_conflicts_pipe_lsu_mem_shared.sum",
    "shared_wavefronts_per_request": "l1tex__data_pipe_lsu_wavefronts_mem_shared.sum / shared requests",
    "tensor_utilisation": "sm__pipe_tensor_cycles_active.avg.pct_of_peak_sustained_active",
    "stalls": "smsp__pcsamp_warps_issue_stalled_<reason> (every warp cycle, not sampled)",
    "line_cycles": "Source view: warp stall samples per instruction, summed per source line",
}
"""The Nsight Compute metric each timing field of a Report corresponds to (docs/timing.md)."""


@dataclass
class Report:
    kernel: str
    gpu: str
    grid: tuple
    block: tuple
    warp_instructions: int
    thread_instructions: int
    counts_by_class: dict                 # instruction class -> warp instructions
    global_bytes_loaded: int
    global_bytes_stored: int
    global_load_requests: int             # warp-level ld.global instructions
    global_store_requests: int
    shared_loads: int                     # warp-level ld.shared instructions
    shared_stores: int
    local_accesses: int
    atomics: int
    branches: int
    divergent_branches: int
    barriers: int                         # warp arrivals at bar.sync
    emulation_seconds: float
    hot_lines: list = field(default_factory=list)   # [(source "file:line", warp instructions)], busiest first
    mode: str = "functional"
    # ---- timing mode only (None in functional mode); NSIGHT_METRICS names what each corresponds to
    cycles: int | None = None
    time_s: float | None = None
    ipc: float | None = None
    occupancy_theoretical: float | None = None
    occupancy_achieved: float | None = None
    occupancy_limiter: str | None = None
    registers_per_thread: int | None = None
    shared_bytes_per_block: int | None = None
    flops: dict | None = None                     # precision -> FLOPs
    gflops_per_s: float | None = None
    dram_bytes: int | None = None
    dram_gb_per_s: float | None = None
    l1_hit_rate: float | None = None
    l2_hit_rate: float | None = None
    sectors_per_request: float | None = None
    shared_bank_conflicts: int | None = None
    shared_wavefronts_per_request: float | None = None
    tensor_utilisation: float | None = None
    stalls: dict | None = None                    # reason -> warp cycles
    line_cycles: list | None = None               # [(source, warp cycles, {reason: warp cycles})], most first
    roofline: dict | None = None                  # the preset's ceilings: name -> FLOP/s or B/s

    @property
    def shared_accesses(self) -> int:
        return self.shared_loads + self.shared_stores

    @property
    def simt_efficiency(self) -> float:
        """Average fraction of the 32 lanes active per warp instruction."""
        return self.thread_instructions / (32 * self.warp_instructions) if self.warp_instructions else 0.0

    @property
    def warp_instructions_per_second(self) -> float:
        return self.warp_instructions / self.emulation_seconds if self.emulation_seconds > 0 else 0.0

    def to_dict(self) -> dict:
        d = asdict(self)
        d["shared_accesses"] = self.shared_accesses
        d["simt_efficiency"] = self.simt_efficiency
        return d

    def to_json(self, path) -> None:
        with open(path, "w") as f:
            json.dump(self.to_dict(), f, indent=2)

    def plot(self, path):
        """Save a picture of the report (needs matplotlib: ``pip install emu-gpu-emulator[report]``)."""
        from .plot import plot_report
        return plot_report(self, path)

    def __str__(self) -> str:
        grid = "×".join(map(str, self.grid))
        block = "×".join(map(str, self.block))
        lines = [
            f"{self.kernel} on {self.gpu}: grid {grid}, block {block}",
            f"  warp instructions   {self.warp_instructions:>14,}   (SIMT efficiency {self.simt_efficiency:.1%})",
            "  by class            " + ", ".join(f"{k} {v:,}" for k, v in self.counts_by_class.items() if v),
            f"  global memory       {self.global_bytes_loaded:>14,} B loaded in {self.global_load_requests:,} "
            f"requests, {self.global_bytes_stored:,} B stored in {self.global_store_requests:,}",
            f"  shared memory       {self.shared_loads:>14,} warp loads, {self.shared_stores:,} warp stores",
            f"  branches            {self.branches:>14,} ({self.divergent_branches:,} divergent)",
            f"  barriers            {self.barriers:>14,} warp arrivals;  atomics {self.atomics:,} warp instructions",
            f"  emulated in         {self.emulation_seconds:>14.3f} s "
            f"({self.warp_instructions_per_second:,.0f} warp instructions/s)",
        ]
        if self.hot_lines:
            lines.append("  hottest source lines: " + ", ".join(f"{src} ({n:,})" for src, n in self.hot_lines[:3]))
        return "\n".join(lines)
