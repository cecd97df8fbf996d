"""The command line: `python -m emu script.py` runs a real numba.cuda program unmodified; emu run|arch|ptx.

The drop-in runs are subprocesses (as a user runs them): a numba.cuda program
file from examples/, unmodified, and a module run with -m.
"""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from click.testing import CliRunner

from emu.cli import main
from emu.dropin.progress import LaunchProgress
from emu.dropin.summary import MAX_ROWS, print_summary

ROOT = Path(__file__).resolve().parents[1]
VECTOR_ADD = ROOT / "examples" / "04_vector_add_numba.py"


def python_m_emu(*args, cwd=ROOT, extra_path=()):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), *map(str, extra_path)]),
               PYTHONWARNINGS="ignore")
    return subprocess.run([sys.executable, "-m", "emu", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_python_m_emu_runs_an_unmodified_numba_program(tmp_path):
    done = python_m_emu("--arch", "a100", "--json", tmp_path / "reports", VECTOR_ADD, 3000)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "[Vector addition of 3000 elements] on A100 (emu sm_80)",
        "CUDA kernel launch with 12 blocks of 256 threads",
        "max error 0.0",
        "Test PASSED",
    ]
    assert "vector_add" in done.stderr and "12×1×1" in done.stderr     # the launch table, on stderr
    (report,) = (tmp_path / "reports").glob("*.json")
    assert json.loads(report.read_text())["grid"] == [12, 1, 1]


def test_python_m_emu_dash_m_runs_a_module_with_its_arguments(tmp_path):
    (tmp_path / "square_module.py").write_text(textwrap.dedent("""
        import sys
        import numpy as np
        from numba import cuda

        @cuda.jit
        def square(x):
            i = cuda.grid(1)
            if i < x.size:
                x[i] = x[i] * x[i]

        x = cuda.to_device(np.arange(int(sys.argv[1]), dtype=np.int64))
        square[1, 64](x)
        print(sys.argv[0].endswith("square_module.py"), x.copy_to_host().sum(),
              cuda.get_current_device().compute_capability)
        sys.exit(3)
    """))
    done = python_m_emu("--arch", "h100", "-q", "-m", "square_module", 10, cwd=tmp_path)
    assert done.returncode == 3, done.stderr                # the program's exit status
    assert done.stdout.split() == ["True", "285", "(9,", "0)"]
    assert "launch" not in done.stderr                      # -q: no table


def test_emu_ptx_lists_the_kernel_with_its_source_lines():
    done = python_m_emu("ptx", f"{VECTOR_ADD}:vector_add", "--arch", "sm_70",
                        "--signature", "float32[:], float32[:], float32[:]")
    assert done.returncode == 0, done.stderr
    assert ".target sm_70" in done.stdout
    assert "// 04_vector_add_numba.py:20  c[i] = a[i] + b[i]" in done.stdout
    assert "Test PASSED" not in done.stdout                 # the script's own output went to stderr


def test_emu_arch_tables():
    runner = CliRunner()
    listing = runner.invoke(main, ["arch"])
    assert listing.exit_code == 0 and all(sm in listing.output for sm in ("sm_70", "sm_80", "sm_90"))
    one = runner.invoke(main, ["arch", "h100"], terminal_width=200)
    assert one.exit_code == 0 and "sm_count" in one.output and "132" in one.output
    assert runner.invoke(main, ["arch", "sm_12"]).exit_code != 0


class _Run:
    def __init__(self, name):
        from emu.report.report import Report
        self.report = Report(kernel=name, gpu="A100 (sm_80)", grid=(2, 1, 1), block=(32, 1, 1),
                             warp_instructions=10, thread_instructions=320, counts_by_class={},
                             global_bytes_loaded=0, global_bytes_stored=0, global_load_requests=0,
                             global_store_requests=0, shared_loads=0, shared_stores=0, local_accesses=0,
                             atomics=0, branches=0, divergent_branches=0, barriers=0, emulation_seconds=0.5)


def test_summary_table_lists_launches_and_folds_the_rest():
    out = io.StringIO()
    print_summary([_Run(f"k{i}") for i in range(MAX_ROWS + 5)], out)
    text = out.getvalue()
    assert "k0" in text and f"k{MAX_ROWS - 1}" in text and f"k{MAX_ROWS}" not in text
    assert "5 more" in text and "—" in text                 # no device time before the cycle model


class _Terminal(io.StringIO):
    def isatty(self):
        return True


class _Machine:
    def progress(self):
        return 3, 8, 5_000_000


def test_progress_bar_only_on_a_terminal_and_only_for_long_launches(monkeypatch):
    import emu.dropin.progress as progress
    quiet = io.StringIO()
    with LaunchProgress("k", stream=quiet) as bar:
        monkeypatch.setattr(progress, "DELAY_S", 0.0)
        bar(_Machine())
    assert quiet.getvalue() == ""                           # not a terminal
    terminal = _Terminal()
    with LaunchProgress("busy_kernel", stream=terminal) as bar:
        bar(_Machine())
        assert bar.bar is not None
    monkeypatch.setattr(progress, "DELAY_S", 60.0)
    with LaunchProgress("short", stream=_Terminal()) as bar:
        bar(_Machine())
        assert bar.bar is None                              # not yet long enough


def test_emu_bench_runs_the_tiled_sgemm():
    result = CliRunner().invoke(main, ["bench", "--n", "32"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "tiled SGEMM N=32" in result.output and "warp instructions/s" in result.output


def test_python_processes_the_program_starts_run_on_emu_too(tmp_path):
    (tmp_path / "parent.py").write_text(textwrap.dedent('''
        import subprocess, sys
        child = "from numba import cuda; print(cuda.get_current_device().name)"
        print(subprocess.run([sys.executable, "-c", child], capture_output=True, text=True).stdout.strip())
    '''))
    done = python_m_emu("--arch", "v100", "-q", tmp_path / "parent.py")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Tesla V100 (emu sm_70)"
