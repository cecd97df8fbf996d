"""Emulated against measured: per kernel launch and microbenchmark, and the mean absolute percentage error.

    python -m emu.hw.compare tests/data/hw_timing_nvidia_h200.json --gpu h100
    python -m emu.hw.compare MEASURED.json --gpu a100 --emulated emu_timing_sm_80.json

``compare(measured_file, gpu)`` runs on emu (``emu.hw.timing.Emulated``) the
kernel launches and microbenchmarks the measured file holds, and pairs them
by (kernel, size) and by microbenchmark name: kernel time for the launches,
cycles per operation (``%clock64`` in the kernel) for the microbenchmarks.
An emu without a cycle model gives no time and no cycles; those rows show
"n/a" and count in no error, and the summary says so.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from emu.hw import timing


@dataclass(frozen=True)
class Row:
    """One kernel launch or microbenchmark: what the GPU measured and what emu predicts, in ``unit``."""
    name: str
    unit: str                         # "s" (kernel time) or "cycles/<op>"
    measured: float | None
    emulated: float | None

    @property
    def error_pct(self) -> float | None:
        """(emulated - measured) / measured, in percent; None unless both exist."""
        if self.measured is None or self.emulated is None or self.measured == 0:
            return None
        return 100.0 * (self.emulated - self.measured) / self.measured


@dataclass(frozen=True)
class Comparison:
    measured_gpu: str
    emulated_gpu: str
    rows: tuple[Row, ...]

    @property
    def compared(self) -> tuple[Row, ...]:
        return tuple(row for row in self.rows if row.error_pct is not None)

    @property
    def mape_pct(self) -> float | None:
        """Mean absolute percentage error over the rows with both numbers (None if there are none)."""
        errors = [abs(row.error_pct) for row in self.compared]
        return sum(errors) / len(errors) if errors else None

    def __str__(self) -> str:
        width = max([len(row.name) for row in self.rows] + [6])
        lines = [f"measured: {self.measured_gpu};  emulated: {self.emulated_gpu}",
                 f"{'kernel':<{width}}  {'unit':<14} {'measured':>12} {'emulated':>12} {'error':>9}"]
        for row in self.rows:
            error = "n/a" if row.error_pct is None else f"{row.error_pct:+.1f}%"
            lines.append(f"{row.name:<{width}}  {row.unit:<14} {_number(row.measured):>12} "
                         f"{_number(row.emulated):>12} {error:>9}")
        if self.mape_pct is None:
            lines.append("mean absolute percentage error: n/a (no row has both a measured and an emulated "
                         "number; emu predicts times and cycles only with its cycle model)")
        else:
            lines.append(f"mean absolute percentage error: {self.mape_pct:.1f}% over {len(self.compared)} of "
                         f"{len(self.rows)} rows")
        return "\n".join(lines)


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"


def compare_records(measured: dict, emulated: dict) -> Comparison:
    """Pair the rows of a measured and an emulated timing record (both validated)."""
    for rec, source in ((measured, timing.MEASURED), (emulated, timing.EMULATED)):
        timing.validate(rec)
        if rec["provenance"]["source"] != source:
            raise timing.TimingFileError(f"expected a {source} record, got a {rec['provenance']['source']} one")
    emulated_kernels = {(e["kernel"], e["size"]): e for e in emulated["kernels"]}
    emulated_benches = {e["name"]: e for e in emulated["microbenchmarks"]}
    rows = []
    for entry in measured["kernels"]:
        other = emulated_kernels.get((entry["kernel"], entry["size"]), {})
        rows.append(Row(f"{entry['kernel']}[{entry['size']}]", "s", entry["time_s"], other.get("time_s")))
    for entry in measured["microbenchmarks"]:
        other = emulated_benches.get(entry["name"], {})
        if entry["cycles_per_op"] is not None:
            rows.append(Row(entry["name"], f"cycles/{entry['op']}", entry["cycles_per_op"],
                            other.get("cycles_per_op")))
        else:
            rows.append(Row(entry["name"], "s", entry["time_s"], other.get("time_s")))
    return Comparison(measured["provenance"]["gpu"], emulated["provenance"]["gpu"], tuple(rows))


def emulate_like(measured: dict, gpu: str, command: str) -> dict:
    """Run on emu's ``gpu`` preset the kernel launches and microbenchmarks of ``measured``, at its sizes."""
    backend = timing.Emulated(gpu)
    selection = [(e["kernel"], e["size"]) for e in measured["kernels"]]
    names = {e["name"] for e in measured["microbenchmarks"]}
    quick = measured["provenance"]["quick"]
    kernels, skipped = timing.time_kernels(backend, selection)
    benches = [b for b in timing.microbenchmarks(quick, backend.sm_count, timing._sm(backend.cc))
               if b.name in names]
    bench_entries, bench_skipped = timing.run_microbenchmarks(backend, benches)
    return {"format": timing.FORMAT, "provenance": {**backend.provenance(command), "quick": quick,
                                                    "sm_clock_mhz_under_load": None}, "kernels": kernels,
            "microbenchmarks": bench_entries, "skipped": skipped + bench_skipped}


def compare(measured_file, gpu: str, emulated_file=None) -> Comparison:
    """The measured file against emu's ``gpu`` preset: emulated now, or read from ``emulated_file``."""
    measured = timing.load(measured_file)
    if emulated_file is not None:
        emulated = timing.load(emulated_file)
    else:
        emulated = emulate_like(measured, gpu, f"emu.hw.compare.compare({str(measured_file)!r}, {gpu!r})")
    return compare_records(measured, emulated)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emu.hw.compare", description=__doc__.split("\n\n")[0])
    parser.add_argument("measured", type=Path, help="a measured timing file (python -m emu.hw.timing on a GPU)")
    parser.add_argument("--gpu", required=True, help="the emu preset to compare with (a100, sm_90, ...)")
    parser.add_argument("--emulated", type=Path, help="an emulated timing file to use instead of running emu")
    args = parser.parse_args(argv)
    print(compare(args.measured, args.gpu, args.emulated))
    return 0


if __name__ == "__main__":
    sys.exit(main())
