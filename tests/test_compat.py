"""python -m emu.compat: counting numba-cuda's own tests, and a fast module of them run in CI."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from emu.compat import TABLE_BEGIN, TABLE_END, Counts, markdown_table, parse_junit, write_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_junit_counts_and_failure_causes(tmp_path):
    junit = tmp_path / "junit.xml"
    junit.write_text(textwrap.dedent("""\
        <testsuites><testsuite name="pytest">
          <testcase classname="a" name="ok"/>
          <testcase classname="a" name="skip"><skipped message="needs a GPU"/></testcase>
          <testcase classname="a" name="ipc"><failure message="emu.errors.UnsupportedAPIError: cuIpcGetMemHandle"/></testcase>
          <testcase classname="a" name="wrong"><failure message="AssertionError: 1 != 2"/></testcase>
          <testcase classname="a" name="broken"><error message="fixture failed"/></testcase>
        </testsuite></testsuites>"""))
    counts = parse_junit(junit)
    assert (counts.passed, counts.failed, counts.unsupported, counts.skipped, counts.errors) == (1, 2, 1, 1, 1)
    assert counts.causes == {"emu.errors.UnsupportedAPIError: cuIpcGetMemHandle": 1, "AssertionError: 1 != 2": 1,
                             "fixture failed": 1}


def test_markdown_table_is_rewritten_between_its_markers(tmp_path):
    results = {"cudapy": {"test_x": {"emu": Counts(passed=3, failed=1, unsupported=1), "cudasim": Counts(skipped=4)}}}
    table = markdown_table(results, ["emu", "cudasim"])
    assert "| test_x | 3 / 1 (1) / 0 / 0 | 0 / 0 (0) / 4 / 0 |" in table
    assert "| **total** | 3 / 1 (1) / 0 / 0 | 0 / 0 (0) / 4 / 0 |" in table
    doc = tmp_path / "compat.md"
    doc.write_text(f"# title\n\nbefore\n{TABLE_BEGIN}\nold\n{TABLE_END}\nafter: causes\n")
    write_markdown(doc, table)
    text = doc.read_text()
    assert "old" not in text and "before" in text and "after: causes" in text and "| test_x |" in text


def test_a_module_of_numba_cudas_suite_under_emu_and_under_the_simulator():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "emu.compat", "--suite", "cudapy", "--only", "test_sync",
                           "--jobs", "2"], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "| test_sync | 19 / 0 (0) / 0 / 0 | 16 / 0 (0) / 3 / 0 |" in done.stdout
