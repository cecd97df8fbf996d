"""What one launch did: instruction mix, memory traffic, divergence, time taken to emulate."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field


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
