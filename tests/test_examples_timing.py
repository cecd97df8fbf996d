"""The timing coursework examples (08-13) run end to end, print a table and write their PNG.

Each runs in a subprocess, from a temporary folder (its out/ lands there), at the tiny
sizes of EMU_EXAMPLES_QUICK=1 (examples/coursework.py).
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.py") if p.name[:2].isdigit() and 8 <= int(p.name[:2]) <= 13)

pytest.importorskip("matplotlib")


def test_there_are_six():
    assert [p.name[:2] for p in EXAMPLES] == ["08", "09", "10", "11", "12", "13"]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_example_prints_a_table_and_writes_its_png(example, tmp_path):
    env = {**os.environ, "EMU_EXAMPLES_QUICK": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, str(example)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert len(done.stdout.splitlines()) >= 4
    pngs = list((tmp_path / "out").glob(f"{example.stem}*.png"))
    assert pngs and pngs[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
