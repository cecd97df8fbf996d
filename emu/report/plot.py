"""A launch report as a picture: instruction mix, memory traffic, the busiest source lines and, in timing
mode, where the warps stalled."""
from __future__ import annotations

from pathlib import Path

from .report import Report, short_source

LINES_SHOWN = 8


def plot_report(report: Report, path) -> Path:
    """Save a PNG (or any format matplotlib infers from ``path``) of ``report``; returns the path.

    Panels: warp instructions by class, memory instructions, and the busiest source lines —
    by warp cycles (with their stall reasons) in timing mode, by warp instructions otherwise;
    timing mode adds the warp cycles by stall reason.
    """
    import matplotlib
    matplotlib.use("Agg")                      # files only: works without a display
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    timed = report.mode == "timing"
    fig, axes = plt.subplots(1, 4 if timed else 3, figsize=(20 if timed else 15, 4.2), constrained_layout=True)
    title = (f"{report.kernel} on {report.gpu}: {report.warp_instructions:,} warp instructions, "
             f"SIMT efficiency {report.simt_efficiency:.1%}")
    if timed:
        title += f"; {report.cycles:,} cycles ({report.time_s * 1e6:,.2f} µs), IPC {report.ipc or 0:.2f}"
    fig.suptitle(title)

    _instruction_mix(axes[0], report)
    _memory(axes[1], report)
    if timed:
        _stalls(axes[2], report)
        _line_cycles(axes[3], report)
    else:
        _hot_lines(axes[2], report)

    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.0f}"))
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _instruction_mix(ax, report: Report) -> None:
    classes = [(name, count) for name, count in report.counts_by_class.items() if count]
    ax.barh([name for name, _ in classes], [count for _, count in classes], color="tab:blue")
    ax.invert_yaxis()
    ax.set_title("warp instructions by class")
    ax.set_xlabel("warp instructions")


def _memory(ax, report: Report) -> None:
    traffic = {"global loads": report.global_load_requests, "global stores": report.global_store_requests,
               "shared loads": report.shared_loads, "shared stores": report.shared_stores,
               "local": report.local_accesses, "atomics": report.atomics}
    ax.barh(list(traffic), list(traffic.values()), color="tab:orange")
    ax.invert_yaxis()
    ax.set_title(f"memory instructions (global: {report.global_bytes_loaded:,} B in, "
                 f"{report.global_bytes_stored:,} B out)", fontsize=10)
    ax.set_xlabel("warp instructions")


def _hot_lines(ax, report: Report) -> None:
    hot = report.hot_lines[:LINES_SHOWN]
    ax.barh([short_source(source) for source, _ in hot], [count for _, count in hot], color="tab:green")
    ax.invert_yaxis()
    ax.set_title("busiest source lines")
    ax.set_xlabel("warp instructions")


def _stalls(ax, report: Report) -> None:
    """Warp cycles by stall reason, most first, each with its share of all warp cycles."""
    stalls = sorted(((name, n) for name, n in report.stalls.items() if n), key=lambda kv: -kv[1])
    total = sum(n for _, n in stalls) or 1
    bars = ax.barh([name for name, _ in stalls], [n for _, n in stalls], color=[_colours(report)[name] for name, _ in stalls])
    ax.bar_label(bars, labels=[f"{n / total:.0%}" for _, n in stalls], fontsize=8, padding=2)
    ax.invert_yaxis()
    ax.set_title("warp cycles by stall reason")
    ax.set_xlabel("warp cycles")


def _line_cycles(ax, report: Report) -> None:
    """The costliest source lines by warp cycles, each bar split by stall reason."""
    rows = (report.line_cycles or [])[:LINES_SHOWN]
    names = [short_source(source) for source, _, _ in rows]
    reasons = sorted({reason for _, _, split in rows for reason in split}, key=lambda r: -report.stalls.get(r, 0))
    colours = _colours(report)
    left = [0] * len(rows)
    for reason in reasons:
        widths = [split.get(reason, 0) for _, _, split in rows]
        ax.barh(names, widths, left=left, color=colours[reason], label=reason)
        left = [a + b for a, b in zip(left, widths)]
    ax.invert_yaxis()
    ax.set_title("costliest source lines")
    ax.set_xlabel("warp cycles")
    if reasons:
        ax.legend(fontsize=7, loc="lower right")



def _colours(report: Report) -> dict:
    """One colour per stall reason (in the report's order of reasons), the same in both timing panels."""
    palette = ["tab:green", "tab:olive", "tab:gray", "tab:orange", "tab:red", "tab:purple", "tab:brown",
               "tab:pink", "tab:cyan", "tab:blue"]
    return {reason: palette[i % len(palette)] for i, reason in enumerate(report.stalls)}
