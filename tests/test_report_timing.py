"""The timing half of Report: its text, its JSON, its documentation, the roofline and the stall plot."""
import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pytest

import emu
from emu.report.report import NSIGHT_METRICS, Report
from emu.report.roofline import plot_rooflines, roofline_point
from kernels import BY_NAME

DOC = Path(__file__).resolve().parents[1] / "docs" / "timing.md"
TIMING_FIELDS = [f.name for f in dataclasses.fields(Report)
                 if f.name not in {g.name for g in dataclasses.fields(Report) if g.default is dataclasses.MISSING}
                 and f.default is None]
PNG = b"\x89PNG\r\n\x1a\n"


def _launch(name, mode="timing", gpu="sm_80", size=37):
    case = BY_NAME[name]
    args = case.make_inputs(np.random.default_rng(0), size)
    grid, block = case.launch_config(args)
    return emu.GPU(gpu).launch(case.kernel, grid, block, args, mode=mode).report


@pytest.fixture(scope="module")
def timed():
    return _launch("gemm_tiled")


def test_every_timing_field_is_documented_with_its_nsight_metric():
    table = DOC.read_text().split("## Report fields", 1)[1]
    documented = set(re.findall(r"^\| `(\w+)` \|", table, re.MULTILINE))
    assert TIMING_FIELDS and set(TIMING_FIELDS) <= documented
    assert set(NSIGHT_METRICS) <= {f.name for f in dataclasses.fields(Report)}
    for name, metric in NSIGHT_METRICS.items():
        assert metric.split()[0].strip("`") in table.split(f"| `{name}` |", 1)[1].split("\n", 1)[0]


def test_functional_report_prints_no_timing_and_cannot_go_on_a_roofline(tmp_path):
    report = _launch("gemm_tiled", mode="functional")
    assert all(getattr(report, name) is None for name in TIMING_FIELDS)
    assert "cycles" not in str(report)
    with pytest.raises(ValueError, match="mode='functional'"):
        report.plot_roofline(tmp_path / "r.png")


def test_timing_report_prints_its_section(timed):
    text = str(timed)
    for words in ("cycles", "µs at 1,410 MHz", "IPC", "theoretical (limited by", "registers/thread",
                  "GFLOP/s (fp32", "of the fp32 peak", "GB/s", "L1 hit", "L2 hit", "sectors/request",
                  "bank conflicts", "wavefronts/request", "tensor pipe", "stalls", "costliest lines"):
        assert words in text, words


def test_to_dict_is_plain_json_with_every_field(timed, tmp_path):
    def plain(value):
        assert not isinstance(value, (np.generic, np.ndarray)), type(value)
        if isinstance(value, dict):
            [plain(v) for v in value.values()]
        elif isinstance(value, (list, tuple)):
            [plain(v) for v in value]
    d = timed.to_dict()
    plain(d)
    assert {f.name for f in dataclasses.fields(Report)} <= d.keys()
    timed.to_json(tmp_path / "r.json")
    assert json.loads((tmp_path / "r.json").read_text())["cycles"] == timed.cycles


def test_roofline_point_is_flops_per_dram_byte(timed):
    x, y = roofline_point(timed)
    assert x == pytest.approx(sum(timed.flops.values()) / timed.dram_bytes)
    assert y == pytest.approx(timed.gflops_per_s * 1e9)


def test_rooflines_and_stall_plot_write_pngs(timed, tmp_path):
    pytest.importorskip("matplotlib")
    naive = _launch("gemm_naive", gpu="sm_70")
    for path in (timed.plot_roofline(tmp_path / "one.png"), plot_rooflines([timed, naive], tmp_path / "two.png"),
                 timed.plot(tmp_path / "report.png")):
        assert path.read_bytes()[:8] == PNG
