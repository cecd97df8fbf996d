"""What the timing coursework examples (07-12) share: quick mode, the output folder, and printing a table.

Each example runs at sizes picked to finish in well under a minute on a 2-core laptop.
``EMU_EXAMPLES_QUICK=1`` shrinks them further, so that the test suite can run every
example end to end in seconds (``tests/test_examples_timing.py``); the figures then
mean less, but every line of the example runs.
"""
from __future__ import annotations

import os
from pathlib import Path

QUICK = os.environ.get("EMU_EXAMPLES_QUICK") == "1"
OUT = Path("out")


def quick_or(full, quick):
    """``quick`` under EMU_EXAMPLES_QUICK=1, else ``full``."""
    return quick if QUICK else full


def output(name: str) -> Path:
    """out/<name>, the folder created if needed."""
    OUT.mkdir(exist_ok=True)
    return OUT / name


def print_table(title: str, columns: list[str], rows: list[list]) -> None:
    """Print ``rows`` under ``columns``: with rich if it is installed, else as aligned plain text."""
    cells = [[_cell(value) for value in row] for row in rows]
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
        print(title)
        print("  ".join(c.rjust(w) for c, w in zip(columns, widths)))
        for row in cells:
            print("  ".join(v.rjust(w) for v, w in zip(row, widths)))
        return
    table = Table(title=title)
    for column in columns:
        table.add_column(column, justify="right")
    for row in cells:
        table.add_row(*row)
    Console(width=160).print(table)


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
