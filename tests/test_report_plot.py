"""Report.plot: the launch report as a PNG."""
import numpy as np
import pytest

import emu
from kernels import BY_NAME

pytest.importorskip("matplotlib")


def test_report_plot_writes_a_png(tmp_path):
    case = BY_NAME["gemm_tiled"]
    args = case.make_inputs(np.random.default_rng(0), 37)
    grid, block = case.launch_config(args)
    report = emu.GPU("sm_80").launch(case.kernel, grid, block, args).report
    path = report.plot(tmp_path / "report.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
