"""A progress bar for long launches: CTAs done out of the grid, warp instructions per second.

It appears only on a terminal (stderr), and only once a launch has run for
``DELAY_S``: short launches and redirected output stay quiet.
"""
from __future__ import annotations

import sys
import time

DELAY_S = 1.0


class LaunchProgress:
    """``GPU.launch(..., progress=LaunchProgress(name))``; use as a context manager to close the bar."""

    def __init__(self, kernel: str, stream=None):
        self.kernel = kernel
        self.stream = stream if stream is not None else sys.stderr
        self.started = time.perf_counter()
        self.bar = None

    def __call__(self, machine) -> None:
        elapsed = time.perf_counter() - self.started
        if self.bar is None:
            if elapsed < DELAY_S or not self.stream.isatty():
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
            self.bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TextColumn("CTAs  {task.fields[rate]}"), TimeElapsedColumn(),
                                console=Console(file=self.stream), transient=True)
            self.bar.start()
            self.task = self.bar.add_task(self.kernel, total=None, rate="")
        done, total, instructions = machine.progress()
        self.bar.update(self.task, completed=done, total=total,
                        rate=f"{instructions / elapsed / 1e6:,.1f}M warp instr/s")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()
