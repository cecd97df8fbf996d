"""A launch report as a picture: instruction mix, memory traffic and the busiest source lines."""
from __future__ import annotations

from pathlib import Path

from .report import Report, short_source


def plot_report(report: Report, path) -> Path:
    """Save a three-panel PNG (or any format matplotlib infers from ``path``) of ``report``; returns the path."""
    import matplotlib
    matplotlib.use("Agg")                      # files only: works without a display
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    fig, (mix, memory, lines) = plt.subplots(1, 3, figsize=(15, 4.2), constrained_layout=True)
    fig.suptitle(f"{report.kernel} on {report.gpu}: {report.warp_instructions:,} warp instructions, "
                 f"SIMT efficiency {report.simt_efficiency:.1%}")

    classes = [(name, count) for name, count in report.counts_by_class.items() if count]
    mix.barh([name for name, _ in classes], [count for _, count in classes], color="tab:blue")
    mix.invert_yaxis()
    mix.set_title("warp instructions by class")
    mix.set_xlabel("warp instructions")

    traffic = {"global loads": report.global_load_requests, "global stores": report.global_store_requests,
               "shared loads": report.shared_loads, "shared stores": report.shared_stores,
               "local": report.local_accesses, "atomics": report.atomics}
    memory.barh(list(traffic), list(traffic.values()), color="tab:orange")
    memory.invert_yaxis()
    memory.set_title(f"memory instructions (global: {report.global_bytes_loaded:,} B in, "
                     f"{report.global_bytes_stored:,} B out)", fontsize=10)
    memory.set_xlabel("warp instructions")

    hot = report.hot_lines[:8]
    lines.barh([short_source(source) for source, _ in hot], [count for _, count in hot], color="tab:green")
    lines.invert_yaxis()
    lines.set_title("busiest source lines")
    lines.set_xlabel("warp instructions")

    for ax in (mix, memory, lines):
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.0f}"))
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path

