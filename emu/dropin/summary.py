"""The launches of a drop-in session as a table (rich), JSON files and plots, for ``python -m emu``."""
from __future__ import annotations

import re
from pathlib import Path

from rich.console import Console
from rich.table import Table

#: Launches listed one per row; beyond that, the table ends with a line for the rest.
MAX_ROWS = 40


def table(runs) -> Table:
    """One row per launch: kernel, grid, block, instructions, SIMT efficiency, emulated time, host time."""
    t = Table(title=f"emu: {len(runs)} kernel launch{'es' if len(runs) != 1 else ''}", title_justify="left")
    for name, justify in [("#", "right"), ("kernel", "left"), ("grid", "left"), ("block", "left"),
                          ("warp instr", "right"), ("thread instr", "right"), ("SIMT eff", "right"),
                          ("device time", "right"), ("emulation", "right")]:
        t.add_column(name, justify=justify)
    for i, run in enumerate(runs[:MAX_ROWS]):
        r = run.report
        t.add_row(str(i), r.kernel, "×".join(map(str, r.grid)), "×".join(map(str, r.block)),
                  f"{r.warp_instructions:,}", f"{r.thread_instructions:,}", f"{r.simt_efficiency:.0%}",
                  _device_time(r), f"{r.emulation_seconds:.3f} s")
    if len(runs) > MAX_ROWS:
        rest = runs[MAX_ROWS:]
        t.add_row("…", f"{len(rest)} more", "", "", f"{sum(r.report.warp_instructions for r in rest):,}",
                  f"{sum(r.report.thread_instructions for r in rest):,}", "", "",
                  f"{sum(r.report.emulation_seconds for r in rest):.3f} s")
    return t


def _device_time(report) -> str:
    """Emulated device time (``report.time_s``); "—" for a launch in functional mode."""
    seconds = getattr(report, "time_s", None)
    return "—" if seconds is None else f"{seconds * 1e6:,.2f} µs"


def print_summary(runs, file, full: bool = False) -> None:
    """The table; with ``full``, each launch's whole report after it."""
    console = Console(file=file, width=None if file.isatty() else 140)
    if not runs:
        console.print("emu: no kernel was launched")
        return
    console.print(table(runs))
    if full:
        for i, run in enumerate(runs):
            console.print(f"[bold]#{i}[/bold] {run.report}", highlight=False)


def _file_stem(index: int, run) -> str:
    return f"{index:04d}_{re.sub(r'[^A-Za-z0-9_]+', '_', run.report.kernel)}"


def _write_each(runs, directory, suffix: str, save) -> list[Path]:
    """``save(report, path)`` for each launch, at ``DIR/NNNN_kernel<suffix>``."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"{_file_stem(i, run)}{suffix}" for i, run in enumerate(runs)]
    for run, path in zip(runs, paths):
        save(run.report, path)
    return paths


def write_json(runs, directory) -> list[Path]:
    """Each launch's report as ``DIR/NNNN_kernel.json``."""
    return _write_each(runs, directory, ".json", lambda report, path: report.to_json(path))


def write_plots(runs, directory) -> list[Path]:
    """Each launch's report plotted as ``DIR/NNNN_kernel.png`` (needs matplotlib)."""
    return _write_each(runs, directory, ".png", lambda report, path: report.plot(path))
