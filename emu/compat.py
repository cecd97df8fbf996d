"""numba-cuda's own test suite as emu's yardstick: ``python -m emu.compat``.

Runs the test modules that the installed numba-cuda ships (``numba.cuda.tests.cudapy``
and ``numba.cuda.tests.doc_examples``) twice, side by side:

- ``emu``:     ``python -m emu -q --arch ARCH -m pytest --pyargs numba.cuda.tests.SUITE.MODULE``
- ``cudasim``: the same pytest run with ``NUMBA_ENABLE_CUDASIM=1`` (numba's simulator)

each module in its own process (a module that hangs or crashes costs only itself),
with ``--import-mode=importlib`` and ``-p emu_compat_plugin`` (the class fixture the
wheel lacks, and a time limit per test). Counts come from pytest's JUnit XML: passed, failed, skipped, errors,
and, among the failures, ``unsupported``: tests stopped by ``UnsupportedAPIError``
(a driver feature emu does not model, such as IPC or the profiler), which are listed
with that reason and never counted as passes.

    python -m emu.compat                                  # both suites, both modes (about an hour)
    python -m emu.compat --suite doc_examples --mode emu  # one suite, emu only
    python -m emu.compat --only test_sync --only test_random --jobs 2
    python -m emu.compat --markdown docs/compat.md        # rewrite the table in that file
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

SUITES = ("cudapy", "doc_examples")
MODES = ("emu", "cudasim")
TABLE_BEGIN, TABLE_END = "<!-- compat-table:begin -->", "<!-- compat-table:end -->"


@dataclass
class Counts:
    """One module's results in one mode. ``unsupported`` failures are also in ``failed``."""
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    errors: int = 0
    unsupported: int = 0
    seconds: float = 0.0
    note: str = ""                                   # why there are no counts (timeout, crash)
    causes: dict = field(default_factory=dict)       # first line of a failure -> how many tests

    def add(self, other: "Counts") -> None:
        for name in ("passed", "failed", "skipped", "errors", "unsupported", "seconds"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def modules(suite: str) -> list[str]:
    """The test modules numba-cuda ships in ``numba.cuda.tests.<suite>``."""
    import numba.cuda.tests
    folder = Path(numba.cuda.tests.__file__).parent / suite
    return sorted(p.stem for p in folder.glob("test_*.py"))


#: A test running longer fails (emu_compat_plugin's --test-timeout), so one hang costs one test.
TEST_TIMEOUT_S = 120


def command(mode: str, suite: str, module: str, arch: str, junit: Path) -> tuple[list[str], dict]:
    """The command line and environment that run one module in one mode."""
    pytest_args = ["-m", "pytest", "--pyargs", f"numba.cuda.tests.{suite}.{module}", "--import-mode=importlib",
                   "-p", "emu_compat_plugin", f"--test-timeout={TEST_TIMEOUT_S}", "-p", "no:cacheprovider", "-q",
                   "--no-header", "--tb=short", f"--junitxml={junit}"]   # short: no repr() of frame locals
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    env.pop("NUMBA_ENABLE_CUDASIM", None)
    if mode == "cudasim":
        env["NUMBA_ENABLE_CUDASIM"] = "1"
        return [sys.executable, *pytest_args], env
    return [sys.executable, "-m", "emu", "-q", "--arch", arch, *pytest_args], env


def run_module(mode: str, suite: str, module: str, arch: str, timeout_s: float) -> Counts:
    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "junit.xml"
        argv, env = command(mode, suite, module, arch, junit)
        start = time.perf_counter()
        try:
            done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return Counts(seconds=timeout_s, note=f"timed out after {timeout_s:.0f} s")
        seconds = time.perf_counter() - start
        if not junit.exists():
            tail = (done.stdout + done.stderr).strip().splitlines()[-1:] or ["no output"]
            return Counts(seconds=seconds, note=f"no results (exit {done.returncode}): {tail[0][:200]}")
        counts = parse_junit(junit)
        counts.seconds = seconds
        return counts


def parse_junit(path: Path) -> Counts:
    """Counts of one pytest JUnit XML file, with the first line of each failure grouped."""
    counts, causes = Counts(), Counter()
    for case in ET.parse(path).getroot().iter("testcase"):
        failure = case.find("failure")
        error = case.find("error")
        if case.find("skipped") is not None:
            counts.skipped += 1
        elif failure is not None or error is not None:
            problem = failure if failure is not None else error
            message = (problem.get("message") or problem.text or "").strip().splitlines()
            first = message[0][:160] if message else "(no message)"
            causes[first] += 1
            if failure is not None:
                counts.failed += 1
                counts.unsupported += "UnsupportedAPIError" in first
            else:
                counts.errors += 1
        else:
            counts.passed += 1
    counts.causes = dict(causes.most_common())
    return counts


def run_all(suites, modes, arch: str, only, jobs: int, timeout_s: float, progress=print) -> dict:
    """{suite: {module: {mode: Counts}}} for every module of ``suites`` (or only those named)."""
    work = [(suite, module, mode) for suite in suites for module in modules(suite)
            if not only or module in only for mode in modes]
    results: dict = {}

    def one(item):
        suite, module, mode = item
        counts = run_module(mode, suite, module, arch, timeout_s)
        progress(f"{suite}.{module} [{mode}]: {counts.passed} passed, {counts.failed} failed, "
                 f"{counts.skipped} skipped, {counts.errors} errors ({counts.seconds:.0f} s) {counts.note}")
        return item, counts

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for (suite, module, mode), counts in pool.map(one, work):
            results.setdefault(suite, {}).setdefault(module, {})[mode] = counts
    return results


def totals(results: dict, suite: str, mode: str) -> Counts:
    total = Counts()
    for per_mode in results.get(suite, {}).values():
        if mode in per_mode:
            total.add(per_mode[mode])
    return total


def markdown_table(results: dict, modes) -> str:
    """Per suite: one row per module, passed / failed (unsupported) / skipped / errors in each mode."""
    lines = []
    for suite, per_module in results.items():
        lines += [f"### {suite}", "",
                  "| module | " + " | ".join(f"{m}: passed / failed (unsupported) / skipped / errors" for m in modes)
                  + " |", "|---|" + "---|" * len(modes)]
        rows = [(module, [per_module[module].get(m) for m in modes]) for module in sorted(per_module)]
        rows.append(("**total**", [totals(results, suite, m) for m in modes]))
        for module, cells in rows:
            lines.append(f"| {module} | " + " | ".join(_cell(c) for c in cells) + " |")
        lines.append("")
    return "\n".join(lines)


def _cell(c: Counts | None) -> str:
    if c is None:
        return "—"
    if c.note:
        return c.note
    return f"{c.passed} / {c.failed} ({c.unsupported}) / {c.skipped} / {c.errors}"


def write_markdown(path: Path, table: str) -> None:
    """Replace the table between the compat-table markers of ``path`` (or create the file)."""
    text = path.read_text() if path.exists() else f"# numba-cuda's test suite on emu\n\n{TABLE_BEGIN}\n{TABLE_END}\n"
    head, _, rest = text.partition(TABLE_BEGIN)
    _, _, tail = rest.partition(TABLE_END)
    path.write_text(f"{head}{TABLE_BEGIN}\n{table}\n{TABLE_END}{tail}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emu.compat", description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", action="append", choices=SUITES, help="suites to run (default: both)")
    parser.add_argument("--mode", action="append", choices=MODES, help="modes to run (default: both)")
    parser.add_argument("--only", action="append", metavar="MODULE", help="run only these modules (test_x)")
    parser.add_argument("--arch", default="sm_80", help="emu preset (default sm_80)")
    parser.add_argument("--jobs", type=int, default=1, help="modules run at once (default 1)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per module and mode (whole process)")
    parser.add_argument("--json", metavar="PATH", help="write every count and failure cause as JSON")
    parser.add_argument("--markdown", metavar="PATH", help="rewrite the table in this markdown file")
    args = parser.parse_args(argv)
    suites, modes = args.suite or list(SUITES), args.mode or list(MODES)
    start = time.perf_counter()
    results = run_all(suites, modes, args.arch, set(args.only or ()), args.jobs, args.timeout,
                      progress=lambda line: print(line, file=sys.stderr, flush=True))
    table = markdown_table(results, modes)
    print(table)
    print(f"({time.perf_counter() - start:.0f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(
            {s: {m: {mode: asdict(c) for mode, c in per.items()} for m, per in mods.items()}
             for s, mods in results.items()}, indent=1))
    if args.markdown:
        write_markdown(Path(args.markdown), table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
