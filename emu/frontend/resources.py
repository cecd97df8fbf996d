"""A kernel's per-thread and per-CTA resources, as NVIDIA's ``ptxas -v`` reports them.

Occupancy depends on the registers ptxas allocates, which no PTX-level count
predicts, so the real assembler (from the ``nvidia-cuda-nvcc-cu12`` wheel) is
run on the CPU and its report parsed. Results are kept in the compile cache.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import re
import subprocess
import tempfile

from cuda.pathfinder import find_nvidia_binary_utility

from emu.errors import PtxasError

from . import cache
from .kernel import ptx_target, target_cc


@dataclasses.dataclass(frozen=True)
class Resources:
    """What ``ptxas -v`` reports for one kernel entry on one SM.

    ``local_bytes`` is the per-thread local memory: the stack frame (local
    arrays and the spill slots) or, when the kernel calls non-inlined
    functions, the cumulative stack size including theirs. The spill
    counts are the bytes moved by spill instructions (traffic, not extra
    space). ``constant_bytes`` sums the constant banks other than bank 0,
    which holds the kernel parameters and driver data: ``__constant__``
    variables and constants the compiler placed there.
    """
    registers_per_thread: int
    shared_bytes_static: int
    local_bytes: int
    constant_bytes: int
    barriers: int
    spill_store_bytes: int
    spill_load_bytes: int


def ptxas_resources(ptx: str, entry: str, cc: tuple[int, int]) -> Resources:
    """Assemble ``entry`` of ``ptx`` for ``sm_XY`` (``cc`` = (X, Y)) and report its resources.

    Raises ``PtxasError`` if ptxas is not installed or rejects the PTX;
    callers decide on a fallback.
    """
    target = ptx_target(ptx)
    arch = target if target_cc(target) == tuple(cc) else f"sm_{cc[0]}{cc[1]}"
    exe = ptxas_path()
    key = cache.make_key("ptxas", hashlib.sha256(ptx.encode()).hexdigest(), entry, arch,
                         _ptxas_version(exe))
    record = cache.get(key)
    if record is None:
        record = dataclasses.asdict(_assemble(exe, ptx, entry, arch))
        cache.put(key, record)
    return Resources(**record)


def ptxas_path() -> str:
    """The ptxas executable of the installed CUDA wheels (or toolkit); never from ``PATH``."""
    exe = find_nvidia_binary_utility("ptxas")
    if exe is None:
        raise PtxasError("ptxas not found: it comes with the nvidia-cuda-nvcc-cu12 wheel "
                         "(pip install 'numba-cuda[cu12]') or a CUDA toolkit at $CUDA_HOME")
    return exe


@functools.cache
def _ptxas_version(exe: str) -> str:
    done = _run([exe, "--version"], "ptxas --version")
    return done.stdout.strip().splitlines()[-1]


def _assemble(exe: str, ptx: str, entry: str, arch: str) -> Resources:
    with tempfile.TemporaryDirectory(prefix="emu-ptxas-") as tmp:
        src = os.path.join(tmp, "kernel.ptx")
        with open(src, "w", encoding="utf-8") as f:
            f.write(ptx)
        done = _run([exe, f"-arch={arch}", "-v", "-e", entry, src, "-o", os.path.join(tmp, "kernel.cubin")],
                    f"ptxas -arch={arch} on entry {entry}")
    return _parse(done.stderr + done.stdout, entry)


def _run(cmd: list[str], what: str) -> subprocess.CompletedProcess:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PtxasError(f"{what} could not run: {exc}") from exc
    if done.returncode != 0:
        raise PtxasError(f"{what} failed (exit {done.returncode}):\n{(done.stderr + done.stdout).strip()}")
    return done


def _parse(report: str, entry: str) -> Resources:
    start = report.find(f"Compiling entry function '{entry}'")
    if start < 0:
        raise PtxasError(f"ptxas reported nothing for entry {entry}:\n{report.strip()}")
    end = report.find("Compiling entry function", start + 1)
    block = report[start:end if end >= 0 else len(report)]

    def number(pattern: str, text: str = block) -> int:
        m = re.search(pattern, text)
        return int(m.group(1)) if m else 0

    if not re.search(r"Used \d+ registers", block):
        raise PtxasError(f"unexpected ptxas report for entry {entry}:\n{report.strip()}")
    frame = re.search(rf"Function properties for {re.escape(entry)}\s*\n\s*(\d+) bytes stack frame, "
                      r"(\d+) bytes spill stores, (\d+) bytes spill loads", block)
    frame_bytes, spill_stores, spill_loads = (int(g) for g in frame.groups()) if frame else (0, 0, 0)
    # Module-scope banks are reported before the entry block, per-entry ones inside it.
    module_scope = report[:report.find("Compiling entry function")]
    constant = sum(int(size) for size, bank in re.findall(r"(\d+) bytes cmem\[(\d+)\]", module_scope + block)
                   if bank != "0")
    return Resources(
        registers_per_thread=number(r"Used (\d+) registers"),
        shared_bytes_static=number(r"(\d+) bytes smem"),
        local_bytes=max(frame_bytes, number(r"(\d+) bytes cumulative stack size")),
        constant_bytes=constant,
        barriers=number(r"used (\d+) barriers"),
        spill_store_bytes=spill_stores,
        spill_load_bytes=spill_loads,
    )
