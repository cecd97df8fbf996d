"""The roofline: where a kernel's FLOP/s sit against its arithmetic intensity, under its GPU's ceilings.

A kernel that does F FLOPs while moving D bytes to and from DRAM has arithmetic
intensity I = F / D. Its FLOP/s cannot exceed the compute peak P of its
precision, nor I times the DRAM bandwidth B: attainable = min(P, I·B). Left of
the ridge point I = P / B a kernel is memory-bound, right of it compute-bound.
The ceilings are the preset's (``Report.roofline``: FP32, FP64 and tensor-core
peaks per input type, DRAM and L2 bandwidth); the kernel's point is what the
cycle model measured, so only timing-mode reports have one.
"""
from __future__ import annotations

import math
from pathlib import Path

from .report import Report

BANDWIDTHS = ("dram", "l2")          # Report.roofline keys in bytes/s; every other key is FLOP/s
MARKERS = "o^sDvP*X"


def roofline_point(report: Report) -> tuple[float, float]:
    """(arithmetic intensity in FLOP per DRAM byte, achieved FLOP/s) of a timing-mode report."""
    if report.mode != "timing":
        raise ValueError(f"{report.kernel}: the roofline needs the cycle model's measurements; this report "
                         f"is from mode={report.mode!r} (launch with mode=\"timing\", the default)")
    if not report.total_flops:
        raise ValueError(f"{report.kernel}: no floating-point operations, so no point on a roofline")
    if not report.dram_bytes:
        raise ValueError(f"{report.kernel}: no DRAM traffic, so its arithmetic intensity is unbounded")
    return report.arithmetic_intensity, report.total_flops / report.time_s


def ridge_point(report: Report) -> float:
    """The arithmetic intensity where the DRAM slope meets the peak of the report's main precision."""
    return report.compute_ceiling(report.main_precision) / report.roofline["dram"]


def plot_roofline(report: Report, path) -> Path:
    """Save ``report``'s kernel on its GPU's roofline to ``path`` (PNG or any format matplotlib infers)."""
    return plot_rooflines([report], path)


def plot_rooflines(reports, path, labels=None) -> Path:
    """Save several timing-mode reports on rooflines to ``path``: one panel per GPU, each kernel a point.

    ``labels`` names the points (default: the kernel names), e.g. to put naive, tiled and
    register-blocked GEMM side by side on a V100, an A100 and an H100.
    """
    reports = list(reports)
    labels = list(labels) if labels is not None else [r.kernel for r in reports]
    if not reports or len(labels) != len(reports):
        raise ValueError("plot_rooflines needs at least one report and one label per report")
    points = [roofline_point(r) for r in reports]          # raises on functional-mode reports
    gpus = list(dict.fromkeys(r.gpu for r in reports))

    import matplotlib
    matplotlib.use("Agg")                      # files only: works without a display
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(gpus), figsize=(6.5 * len(gpus), 5), squeeze=False, constrained_layout=True)
    for ax, gpu in zip(axes[0], gpus):
        mine = [i for i, r in enumerate(reports) if r.gpu == gpu]
        _draw(ax, reports[mine[0]], [(labels[i], *points[i], reports[i]) for i in mine])
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _draw(ax, first: Report, kernels) -> None:
    """One GPU's roofline (from ``first``'s ceilings) with ``kernels``: [(label, intensity, FLOP/s, report)]."""
    ceilings = first.roofline
    compute = _grouped({k: v for k, v in ceilings.items() if k not in BANDWIDTHS})
    top = max(compute)
    ridge = ridge_point(first)
    x_lo = min([1 / 16] + [x / 4 for _, x, _, _ in kernels])
    x_hi = max([top / ceilings["dram"] * 8] + [x * 4 for _, x, _, _ in kernels])
    y_lo = min([x_lo * ceilings["dram"]] + [y / 4 for _, _, y, _ in kernels])
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, top * 3)

    for peak, names in sorted(compute.items()):
        ax.plot([peak / ceilings["dram"], x_hi], [peak, peak], color="tab:gray", lw=1.2)
        ax.text(x_hi, peak * 1.08, f"{' / '.join(names)} {peak / 1e12:,.3g} TFLOP/s", ha="right", va="bottom",
                fontsize=8, color="dimgray")
    for name, style in zip(BANDWIDTHS, ("-", "--")):
        bandwidth = ceilings[name]
        ax.plot([x_lo, top / bandwidth], [x_lo * bandwidth, top], color="tab:red", ls=style, lw=1.2)
        ax.text(x_lo * 1.3, x_lo * 1.3 * bandwidth * 1.15, f"{name.upper()} {bandwidth / 1e9:,.0f} GB/s",
                rotation_mode="anchor", fontsize=8, color="tab:red", rotation=_slope_angle(ax))

    ax.axvspan(x_lo, ridge, color="tab:blue", alpha=0.06)
    ax.axvline(ridge, color="tab:blue", lw=0.8, ls=":")
    peak_name = first.main_precision
    ax.text(ridge / 1.15, y_lo * 1.5, "memory-bound", ha="right", fontsize=9, color="tab:blue")
    ax.text(ridge * 1.15, y_lo * 1.5, f"compute-bound\n(ridge {ridge:.3g} FLOP/B, {peak_name})", ha="left",
            fontsize=9, color="tab:blue")

    for (label, x, y, report), marker in zip(kernels, MARKERS * len(kernels)):
        attainable = min(report.compute_ceiling(report.main_precision), x * report.roofline["dram"])
        ax.plot([x], [y], marker=marker, ms=8, ls="none",
                label=f"{label}: {x:.3g} FLOP/B, {y / 1e9:,.1f} GFLOP/s ({y / attainable:.1%} of the roof)")
    ax.set_title(first.gpu)
    ax.set_xlabel("arithmetic intensity (FLOP per DRAM byte)")
    ax.set_ylabel("FLOP/s")
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(True, which="major", alpha=0.3)


def _grouped(ceilings: dict) -> dict:
    """{peak: [names]}: ceilings of equal value (A100's f16 and bf16 tensor peaks) drawn as one line."""
    grouped: dict = {}
    for name, value in ceilings.items():
        if value:
            grouped.setdefault(value, []).append(name.replace("tensor_", "tensor "))
    return grouped


def _slope_angle(ax) -> float:
    """The on-screen angle of a line of slope 1 in log-log axes (the bandwidth lines), in degrees."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    bbox = ax.get_window_extent()
    dx = bbox.width / math.log10(x1 / x0)
    dy = bbox.height / math.log10(y1 / y0)
    return math.degrees(math.atan2(dy, dx))
