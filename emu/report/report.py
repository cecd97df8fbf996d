"""What one launch did: instruction mix, memory traffic, divergence, time taken to emulate, and in
timing mode what the cycle model measured (cycles, occupancy, FLOP/s, memory, stalls)."""
from __future__ import annotations

import json
from pathlib import Path
from dataclasses import asdict, dataclass, field, fields

import numpy as np

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
    "sampled": "(none: Nsight measures every launch in full)",
}
"""The Nsight Compute metric each timing field of a Report corresponds to (docs/timing.md)."""

CEILING_OF_PRECISION = {"fp32": "fp32", "fp64": "fp64", "fp16": "tensor_f16", "bf16": "tensor_bf16",
                        "tf32": "tensor_tf32", "fp8": "tensor_e4m3"}
"""The roofline ceiling (a key of ``Report.roofline``) FLOPs of each precision are measured against:
FP32 and FP64 on their SIMT pipes, the narrow types on the tensor cores (the only pipe that
reaches a preset's peak for them)."""

TOP_STALLS = 4          # stall reasons printed
TOP_LINES = 3           # source lines printed with their cycles


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
    sampled: dict | None = None                   # sampled mode: what ran, and the estimate's error bound

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

    @property
    def total_flops(self) -> int | None:
        """FLOPs of every precision (timing mode)."""
        return sum(self.flops.values()) if self.flops is not None else None

    @property
    def arithmetic_intensity(self) -> float | None:
        """FLOPs per DRAM byte: the roofline's x axis (timing mode; None without DRAM traffic)."""
        if self.flops is None or not self.dram_bytes:
            return None
        return self.total_flops / self.dram_bytes

    @property
    def main_precision(self) -> str | None:
        """The precision with the most FLOPs (timing mode; None without FLOPs)."""
        if not self.total_flops:
            return None
        return max(self.flops, key=self.flops.get)

    def compute_ceiling(self, precision: str) -> float | None:
        """The preset's peak FLOP/s for FLOPs of ``precision`` (CEILING_OF_PRECISION), or None."""
        return (self.roofline or {}).get(CEILING_OF_PRECISION.get(precision, ""))

    def to_dict(self) -> dict:
        """Every field, and the derived figures, as plain Python values (json.dump takes it)."""
        d = _plain(asdict(self))
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

    def plot_roofline(self, path):
        """Save the kernel on its GPU's roofline (timing mode; needs matplotlib), see ``emu.report.roofline``."""
        from .roofline import plot_roofline
        return plot_roofline(self, path)

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
        if self.mode == "timing":
            lines += self._timing_lines()
        return "\n".join(lines)

    def _timing_lines(self) -> list[str]:
        """The timing section of ``str(report)``: what the cycle model measured."""
        clock_mhz = self.cycles / self.time_s / 1e6 if self.time_s else 0.0
        lines = [
            "  timing (cycle model)",
            f"  cycles              {self.cycles:>14,}   ({self.time_s * 1e6:,.2f} µs at {clock_mhz:,.0f} MHz)",
            f"  IPC                 {_number(self.ipc, '.2f'):>14}   warp instructions per cycle per SM",
            f"  occupancy           {_percent(self.occupancy_achieved):>14}   achieved, of "
            f"{_percent(self.occupancy_theoretical)} theoretical (limited by {self.occupancy_limiter})",
            f"  resources           {self.registers_per_thread:>14}   registers/thread, "
            f"{self.shared_bytes_per_block:,} B shared/block",
            f"  FLOP/s              {_number(self.gflops_per_s, ',.2f'):>14}   GFLOP/s{self._flops_breakdown()}",
            f"  DRAM                {self.dram_bytes:>14,}   B, {_number(self.dram_gb_per_s, ',.1f')} GB/s"
            + _of_peak(self.dram_gb_per_s, (self.roofline or {}).get("dram"), 1e9, "GB/s"),
            f"  caches              L1 hit {_percent(self.l1_hit_rate)}, L2 hit {_percent(self.l2_hit_rate)}, "
            f"{_number(self.sectors_per_request, '.2f')} sectors/request",
            f"  shared memory       {self.shared_bank_conflicts:>14,}   bank conflicts, "
            f"{_number(self.shared_wavefronts_per_request, '.2f')} wavefronts/request",
            f"  tensor pipe         {_percent(self.tensor_utilisation):>14}   busy",
        ]
        if self.sampled:
            lines.insert(2, f"  sampled             {self.sampled['error_cycles']:>14,}   cycles error bound: "
                            f"{self.sampled['ctas']:,} of {self.sampled['ctas_total']:,} CTAs on "
                            f"{self.sampled['sms']} SMs, extrapolated over {self.sampled['waves_total']:.1f} waves; "
                            "the kernel's results were not computed")
        total = sum(self.stalls.values()) if self.stalls else 0
        if total:
            top = sorted(self.stalls.items(), key=lambda kv: -kv[1])[:TOP_STALLS]
            lines.append(f"  stalls              {total:>14,}   warp cycles: "
                         + ", ".join(f"{name} {n / total:.1%}" for name, n in top))
        for rank, (source, cycles, reasons) in enumerate((self.line_cycles or [])[:TOP_LINES]):
            worst = max(reasons, key=reasons.get) if reasons else "-"
            label = "costliest lines" if rank == 0 else ""
            lines.append(f"  {label:<20}{cycles:>14,}   warp cycles at {short_source(source)}"
                         + (f" ({cycles / total:.1%}, mostly {worst})" if total else ""))
        return lines

    def _flops_breakdown(self) -> str:
        """" (fp32 12.3, 0.5% of the fp32 peak 19.5 TFLOP/s; ...)" for each precision with FLOPs."""
        parts = []
        for precision, n in (self.flops or {}).items():
            if n:
                gflops = n / self.time_s / 1e9
                parts.append(f"{precision} {gflops:,.2f}" + _of_peak(gflops, self.compute_ceiling(precision), 1e9,
                                                                      "GFLOP/s", CEILING_OF_PRECISION[precision]))
        return f" ({'; '.join(parts)})" if parts else ""


def _plain(value):
    """``value`` with numpy scalars and arrays turned into Python numbers and lists (JSON-safe)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _number(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _percent(value) -> str:
    return _number(value, ".1%")


def _of_peak(value, peak, scale: float, unit: str, name: str = "") -> str:
    """", 45.0% of the peak 1,555 GB/s" (``value`` and the printed peak in ``unit``; ``peak`` in base units)."""
    if value is None or not peak:
        return ""
    label = f"{name} peak" if name else "peak"
    return f", {value * scale / peak:.1%} of the {label} {peak / scale:,.0f} {unit}"


def short_source(source: str) -> str:
    """"…/examples/01_tiled_gemm.py:30" -> "01_tiled_gemm.py:30"."""
    file, _, line = source.rpartition(":")
    return f"{Path(file).name}:{line}" if file else source
