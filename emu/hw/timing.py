"""Time the kernel library and the microbenchmarks on a real GPU, or on emu as a stand-in; one JSON format.

On a machine with an NVIDIA GPU and numba-cuda::

    python -m emu.hw.timing                      # writes tests/data/hw_timing_<gpu>.json
    python -m emu.hw.timing --quick --out t.json # smallest sizes, short microbenchmarks

and anywhere, with emu standing in for the GPU::

    python -m emu.hw.timing --emulate a100 [--quick]   # writes emu_timing_sm_80.json (not under tests/data)

Every kernel of ``kernels.KERNELS`` runs at its library sizes above 1 (two or
three each; ``--quick`` the smallest), and every microbenchmark of
``kernels.microbench`` at the parameters ``microbenchmarks()`` chooses (the
same kernels the physics validation, tests/test_timing_physics.py, runs on
emu). On a GPU each launch is timed with CUDA events: warm-up launches, then
the median of repeats. numba kernels are launched by numba; CUDA C++ ones
(``emu.compile_cuda``) are compiled by NVRTC for the device and launched with
the CUDA driver API on numba's context, stream and device arrays. The
microbenchmarks also time themselves inside the kernel with ``%clock64``
(SM cycles); the library kernels do not read the clock, so their
cycle field stays null on hardware. On emu nothing is measured: a time or a
cycle count is recorded only when emu's report has one (``Report.time_s``,
``Report.cycles``, from the cycle model), else null, and the warp
instructions executed are recorded instead. ``provenance.source`` says which
of the two a file is; a file named ``hw_timing_*`` must be measured.

The format is ``PROVENANCE``, ``KERNEL_ENTRY`` and ``MICROBENCH_ENTRY`` below;
``validate(record)`` checks a record against them.
"""
from __future__ import annotations

import argparse
import ctypes
import datetime
import importlib.metadata
import json
import platform
import re
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = "emu-hw-timing/1"
MEASURED, EMULATED = "measured", "emulated"
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "tests" / "data"
SEED = 2026
WARMUP_LAUNCHES = 3
TIMED_LAUNCHES = 20


# ------------------------------------------------------------------ the format
@dataclass(frozen=True)
class Field:
    """One field of a record: its JSON types, and in which files it may be null.

    ``required``: "always" (never null), "measured" (null allowed only in an
    emulated file), "emulated" (null allowed only in a measured file) or
    "never" (null allowed anywhere). Every field is present in every record.
    """
    types: tuple
    required: str
    description: str


_NUM = (int, float)
_STR, _INT, _LIST, _DICT = (str,), (int,), (list,), (dict,)

PROVENANCE = {
    "source": Field(_STR, "always", '"measured" on a real GPU, or "emulated" by emu standing in for one'),
    "gpu": Field(_STR, "always", "the device's name, or the emu preset's name"),
    "compute_capability": Field(_STR, "always", '"major.minor", e.g. "9.0"'),
    "sm_count": Field(_INT, "always", "streaming multiprocessors"),
    "sm_clock_mhz": Field(_NUM, "always", "SM clock: the device's maximum (CLOCK_RATE), or the preset's"),
    "sm_clock_mhz_under_load": Field(_NUM, "never", "clock64 cycles / event time of the FFMA throughput run: "
                                                    "a lower bound on the clock the kernels ran at; null on emu"),
    "memory_clock_mhz": Field(_NUM, "measured", "the device's maximum memory clock (MEMORY_CLOCK_RATE)"),
    "driver": Field(_STR, "measured", "NVIDIA driver release, from nvidia-smi"),
    "cuda_driver_version": Field(_STR, "measured", "the CUDA version the driver supports"),
    "cuda_toolkit_version": Field(_STR, "measured", "the CUDA runtime/NVVM that compiled the kernels"),
    "numba": Field(_STR, "always", "numba version"),
    "numba_cuda": Field(_STR, "always", "numba-cuda version"),
    "emu": Field(_STR, "always", "emu version"),
    "emu_preset": Field(_STR, "emulated", "the emu preset (sm_80, ...) that stood in for the GPU"),
    "platform": Field(_STR, "always", "host OS and machine"),
    "date": Field(_STR, "always", "UTC, ISO 8601"),
    "command": Field(_STR, "always", "the command line that made the file"),
    "quick": Field((bool,), "always", "made with --quick: the smallest kernel sizes, short microbenchmarks"),
}

KERNEL_ENTRY = {
    "kernel": Field(_STR, "always", "name in kernels.BY_NAME"),
    "size": Field(_INT, "always", "the size passed to its make_inputs"),
    "grid": Field(_LIST, "always", "launch grid, 3 integers"),
    "block": Field(_LIST, "always", "launch block, 3 integers"),
    "time_s": Field(_NUM, "measured", "kernel time: median of the timed launches (CUDA events), or emu's"),
    "launches_timed": Field(_INT, "measured", "launches the median is over"),
    "cycles": Field(_NUM, "never", "SM cycles of the launch: emu's cycle model; null on hardware, where "
                                   "the library kernels do not read %clock64"),
    "warp_instructions": Field(_INT, "emulated", "warp instructions executed (emu)"),
}

MICROBENCH_ENTRY = {
    "name": Field(_STR, "always", "the microbenchmark, e.g. pointer_chase_l2"),
    "kernel": Field(_STR, "always", "its kernel in kernels.microbench"),
    "params": Field(_DICT, "always", "its parameters (footprint, stride, loads, iterations, n, ...)"),
    "grid": Field(_LIST, "always", "launch grid, 3 integers"),
    "block": Field(_LIST, "always", "launch block, 3 integers"),
    "time_s": Field(_NUM, "measured", "kernel time: median of the timed launches (CUDA events), or emu's"),
    "launches_timed": Field(_INT, "measured", "launches the median is over (1 for a cold pointer chase)"),
    "op": Field(_STR, "always", "what one operation is: load, ffma, mma.sync, byte"),
    "ops_timed": Field(_INT, "always", "operations one clock64 interval covers (per thread or warp)"),
    "clock64_cycles": Field(_NUM, "never", "median over warps of the in-kernel clock64 interval; null where "
                                           "the kernel has none, and on emu without a cycle model"),
    "cycles_per_op": Field(_NUM, "never", "clock64_cycles / ops_timed"),
    "work": Field(_NUM, "never", "operations of the whole launch for the throughput (bytes or FLOPs)"),
    "throughput": Field(_NUM, "never", "work / time_s in throughput_unit"),
    "throughput_unit": Field(_STR, "never", "GB/s or TFLOP/s"),
    "warp_instructions": Field(_INT, "emulated", "warp instructions executed (emu)"),
}

SKIPPED_ENTRY = {
    "kernel": Field(_STR, "always", "a kernel or microbenchmark not run"),
    "reason": Field(_STR, "always", "why"),
}


class TimingFileError(ValueError):
    """A timing record that does not follow the format; the message lists every problem."""


def _check_fields(where: str, entry: Any, schema: dict, source: str, problems: list) -> None:
    if not isinstance(entry, dict):
        problems.append(f"{where}: not an object")
        return
    for name in entry.keys() - schema.keys():
        problems.append(f"{where}: unknown field {name!r}")
    for name, spec in schema.items():
        if name not in entry:
            problems.append(f"{where}: missing field {name!r} ({spec.description})")
            continue
        value = entry[name]
        if value is None:
            if spec.required == "always" or spec.required == source:
                problems.append(f"{where}: {name!r} is null, which a {source} file may not have")
        elif (isinstance(value, bool) and bool not in spec.types) or not isinstance(value, spec.types):
            wanted = "/".join(t.__name__ for t in spec.types)
            problems.append(f"{where}: {name!r} is {type(value).__name__}, not {wanted}")


def validate(record: Any) -> None:
    """Raise ``TimingFileError`` listing every way ``record`` departs from the format; return if it follows it."""
    problems: list[str] = []
    if not isinstance(record, dict):
        raise TimingFileError("a timing record is a JSON object")
    if record.get("format") != FORMAT:
        problems.append(f"format is {record.get('format')!r}, not {FORMAT!r}")
    for name in record.keys() - {"format", "provenance", "kernels", "microbenchmarks", "skipped"}:
        problems.append(f"unknown top-level field {name!r}")
    provenance = record.get("provenance")
    source = provenance.get("source") if isinstance(provenance, dict) else None
    if source not in (MEASURED, EMULATED):
        problems.append(f"provenance.source is {source!r}, not {MEASURED!r} or {EMULATED!r}")
    _check_fields("provenance", provenance, PROVENANCE, source, problems)
    for section, schema in (("kernels", KERNEL_ENTRY), ("microbenchmarks", MICROBENCH_ENTRY),
                            ("skipped", SKIPPED_ENTRY)):
        entries = record.get(section)
        if not isinstance(entries, list):
            problems.append(f"{section}: missing, or not a list")
            continue
        for i, entry in enumerate(entries):
            _check_fields(f"{section}[{i}]", entry, schema, source, problems)
    if problems:
        raise TimingFileError("not a valid timing record:\n  " + "\n  ".join(problems))


def file_name(gpu_name: str) -> str:
    """``hw_timing_<gpu>.json``: the GPU's name in lower case, other runs of characters as one underscore."""
    return f"hw_timing_{re.sub(r'[^a-z0-9]+', '_', gpu_name.lower()).strip('_')}.json"


def save(record: dict, path: Path) -> None:
    """Validate and write; an emulated record is never written under a measured file's name."""
    validate(record)
    if record["provenance"]["source"] == EMULATED and Path(path).name.startswith("hw_timing_"):
        raise TimingFileError(f"{path}: hw_timing_* files hold measurements; an emulated record may not be one")
    Path(path).write_text(json.dumps(record, indent=1) + "\n")


def load(path) -> dict:
    """Read and validate a timing file (an ``hw_timing_*`` file must say it was measured)."""
    record = json.loads(Path(path).read_text())
    validate(record)
    if Path(path).name.startswith("hw_timing_") and record["provenance"]["source"] != MEASURED:
        raise TimingFileError(f"{path}: named as a measurement but its provenance.source is "
                              f"{record['provenance']['source']!r}")
    return record


# ------------------------------------------------------------------ running: a GPU, or emu
@dataclass
class Launch:
    """What one (timed) launch gave; arrays in the arguments hold the last launch's results."""
    time_s: float | None
    launches_timed: int | None
    cycles: float | None              # emu's cycle model for the launch
    warp_instructions: int | None
    clock_counts_cycles: bool         # %clock64 differences are SM cycles


class Hardware:
    """The real GPU through numba: arguments copied once, warm-up launches, then each launch timed with events."""
    source = MEASURED

    def __init__(self, warmup: int = WARMUP_LAUNCHES, repeats: int = TIMED_LAUNCHES):
        from numba import cuda
        self.cuda, self.warmup, self.repeats = cuda, warmup, repeats
        self.device = cuda.get_current_device()
        self.cc = tuple(self.device.compute_capability)
        self.sm_count = int(self.device.MULTIPROCESSOR_COUNT)

    def run(self, kernel, grid, block, args, cold: bool = False, setup=None) -> Launch:
        """``cold``: one timed launch and no warm-up, which would leave the data in the caches, and L2
        flushed before it. ``setup``: (kernel, grid, block, args) launched once first, untimed, on the
        same device arrays (an array of ``args`` that is also in ``setup``'s args is the same copy)."""
        cuda = self.cuda
        device_args = [cuda.to_device(a) if isinstance(a, np.ndarray) else a for a in args]
        on_device = {id(host): device for host, device in zip(args, device_args) if isinstance(host, np.ndarray)}
        launch = self._launcher(kernel, device_args)       # compiled: not inside the first event interval
        if setup is not None:
            setup_kernel, setup_grid, setup_block, setup_args = setup
            setup_device = [on_device.get(id(a), a) for a in setup_args]
            self._launcher(setup_kernel, setup_device)(setup_grid, setup_block, setup_device)
        for _ in range(0 if cold else self.warmup):
            launch(grid, block, device_args)
        if cold:
            self._flush_l2()
        cuda.synchronize()
        times = []
        for _ in range(1 if cold else self.repeats):
            start, end = cuda.event(), cuda.event()
            start.record()
            launch(grid, block, device_args)
            end.record()
            end.synchronize()
            times.append(cuda.event_elapsed_time(start, end) / 1e3)
        for host, device in zip(args, device_args):
            if isinstance(host, np.ndarray):
                device.copy_to_host(host)
        return Launch(statistics.median(times), len(times), None, None, True)

    def _launcher(self, kernel, device_args) -> Callable:
        """``launch(grid, block, device_args)`` for a numba kernel or an ``emu.compile_cuda`` kernel."""
        from emu.launch import CudaSource
        if isinstance(kernel, CudaSource):
            return _CudaCppKernel(kernel, self.cc)
        import numba
        kernel.compile(tuple(numba.typeof(a) for a in device_args))
        return lambda grid, block, args: kernel[grid, block](*args)

    def _flush_l2(self) -> None:
        """Write a buffer of twice the L2's size, evicting what earlier launches left there."""
        from numba.cuda.cudadrv import driver
        size = 2 * int(getattr(self.device, "L2_CACHE_SIZE", 0) or 64 << 20)
        scratch = self.cuda.device_array(size, np.uint8)
        driver.device_memset(scratch, 0, size)
        self.cuda.synchronize()

    def provenance(self, command: str) -> dict:
        from emu.hw.capture import gpu_metadata
        meta = gpu_metadata()
        sm_mhz, memory_mhz = _device_clocks_mhz(self.device)
        return {
            "source": MEASURED, "gpu": meta["gpu"], "compute_capability": meta["compute_capability"],
            "sm_count": self.sm_count, "sm_clock_mhz": sm_mhz, "sm_clock_mhz_under_load": None,
            "memory_clock_mhz": memory_mhz, "driver": meta["driver"],
            "cuda_driver_version": meta["driver_cuda_version"], "cuda_toolkit_version": meta["toolkit_cuda_version"],
            **_software(), "emu_preset": None, "platform": meta["platform"], "date": meta["date"],
            "command": command,
        }


class _CudaCppKernel:
    """A CUDA C++ kernel on the GPU: emu's NVRTC compile of it for the device's compute capability, loaded
    and launched with the CUDA driver API (cuda-bindings) on numba's current context and default stream,
    so that numba's events time it and numba's device arrays are its arguments."""

    _CTYPES = {np.dtype(np.int32): ctypes.c_int, np.dtype(np.uint32): ctypes.c_uint,
               np.dtype(np.int64): ctypes.c_longlong, np.dtype(np.uint64): ctypes.c_ulonglong,
               np.dtype(np.float32): ctypes.c_float, np.dtype(np.float64): ctypes.c_double}

    def __init__(self, source, cc):
        from cuda.bindings import driver as cu
        self.cu = cu
        compiled = source.compile(cc)
        self.module = self._check(cu.cuModuleLoadData(compiled.ptx.encode() + b"\0"))
        self.function = self._check(cu.cuModuleGetFunction(self.module, compiled.entry.encode()))

    def _check(self, result):
        status, *values = result
        if status != self.cu.CUresult.CUDA_SUCCESS:
            raise RuntimeError(f"CUDA driver: {self.cu.cuGetErrorString(status)[1]!r} ({status!r})")
        return values[0] if values else None

    def __call__(self, grid, block, args) -> None:
        values, types = [], []
        for arg in args:
            if hasattr(arg, "__cuda_array_interface__"):
                values.append(arg.__cuda_array_interface__["data"][0])
                types.append(ctypes.c_void_p)
            elif isinstance(arg, np.generic) and arg.dtype in self._CTYPES:
                values.append(arg.item())
                types.append(self._CTYPES[arg.dtype])
            else:
                raise TypeError(f"a CUDA C++ kernel's scalar arguments must be numpy scalars, not {arg!r}")
        self._check(self.cu.cuLaunchKernel(self.function, *_dims(grid), *_dims(block), 0, 0,
                                           (tuple(values), tuple(types)), 0))


def _device_clocks_mhz(device) -> tuple[float, float]:
    """The SM's and memory's maximum clocks (the driver reports kHz); nvidia-smi if the attributes are gone."""
    try:
        return device.CLOCK_RATE / 1e3, device.MEMORY_CLOCK_RATE / 1e3
    except AttributeError:
        query = ["nvidia-smi", "--query-gpu=clocks.max.sm,clocks.max.mem", "--format=csv,noheader,nounits"]
        out = subprocess.run(query, capture_output=True, text=True, timeout=30, check=True).stdout
        sm, memory = out.splitlines()[0].split(",")
        return float(sm), float(memory)


def _software() -> dict:
    from emu import __version__
    return {"numba": importlib.metadata.version("numba"), "numba_cuda": importlib.metadata.version("numba-cuda"),
            "emu": __version__}


class Emulated:
    """emu standing in for a GPU: one launch each; times and cycles only from emu's cycle model."""
    source = EMULATED

    def __init__(self, preset: str):
        from emu.launch import GPU
        self.gpu = GPU(preset)
        self.cc = tuple(self.gpu.preset.cc)
        self.sm_count = self.gpu.preset.sm_count

    def run(self, kernel, grid, block, args, cold: bool = False, setup=None) -> Launch:
        """Every launch starts with empty caches here, so ``cold`` changes nothing; ``setup`` runs
        first, in functional mode (the same arrays keep the same addresses)."""
        if setup is not None:
            setup_kernel, setup_grid, setup_block, setup_args = setup
            self.gpu.launch(setup_kernel, setup_grid, setup_block, setup_args, mode="functional")
        report = self.gpu.launch(kernel, grid, block, args).report
        time_s = getattr(report, "time_s", None)
        return Launch(time_s, None if time_s is None else 1, getattr(report, "cycles", None),
                      report.warp_instructions, hasattr(report, "cycles"))

    def provenance(self, command: str) -> dict:
        p = self.gpu.preset
        return {
            "source": EMULATED, "gpu": f"{p.name} (emu preset {p.sm})", "compute_capability": f"{p.cc[0]}.{p.cc[1]}",
            "sm_count": p.sm_count, "sm_clock_mhz": p.clock_mhz, "sm_clock_mhz_under_load": None,
            "memory_clock_mhz": None, "driver": None, "cuda_driver_version": None, "cuda_toolkit_version": None,
            **_software(), "emu_preset": p.sm, "platform": platform.platform(),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), "command": command,
        }


Backend = Hardware | Emulated


# ------------------------------------------------------------------ the kernel library
def kernel_selection(quick: bool, names=None) -> list[tuple[str, int]]:
    """(kernel, size) pairs: each library kernel at its sizes above 1 (``quick``: the smallest of them)."""
    from kernels import KERNELS
    pairs = []
    for case in KERNELS:
        if names is not None and case.name not in names:
            continue
        sizes = [s for s in case.sizes if s > 1] or list(case.sizes)
        pairs += [(case.name, size) for size in (sizes[:1] if quick else sizes)]
    return pairs


def _sm(cc) -> int:
    return 10 * cc[0] + cc[1]


def time_kernels(backend: Backend, selection) -> tuple[list[dict], list[dict]]:
    """Time each (kernel, size) of ``selection``; return (entries, skipped)."""
    from emu.errors import LaunchError
    from emu.launch import compile_cuda
    from kernels import BY_NAME
    entries, skipped = [], []
    for name, size in selection:
        case = BY_NAME[name]
        if _sm(backend.cc) < int(case.gpu.removeprefix("sm_")):
            skipped.append({"kernel": f"{name}[{size}]", "reason": f"needs {case.gpu}"})
            continue
        if case.is_cuda_cpp and isinstance(backend, Hardware):
            skipped.append({"kernel": f"{name}[{size}]", "reason": "a CUDA C++ library kernel: not timed on a GPU "
                                                                   "yet (only the microbenchmarks go through the "
                                                                   "driver-API launcher)"})
            continue
        args = case.make_inputs(np.random.default_rng(SEED), size)
        grid, block = case.launch_config(args)
        kernel = compile_cuda(case.kernel, case.entry) if case.is_cuda_cpp else case.kernel
        try:
            launch = backend.run(kernel, grid, block, args)
        except LaunchError as refused:
            skipped.append({"kernel": f"{name}[{size}]", "reason": str(refused)})
            continue
        entries.append({"kernel": name, "size": size, "grid": _dims(grid), "block": _dims(block),
                        "time_s": launch.time_s, "launches_timed": launch.launches_timed, "cycles": launch.cycles,
                        "warp_instructions": launch.warp_instructions})
    return entries, skipped


def _dims(value) -> list[int]:
    dims = [int(value)] if np.isscalar(value) else [int(v) for v in value]
    return dims + [1] * (3 - len(dims))


# ------------------------------------------------------------------ microbenchmarks
@dataclass(frozen=True)
class Microbenchmark:
    """One microbenchmark launch: a kernel of ``kernels.microbench`` with its arguments and what to read back.

    ``cycles_arg`` is the index of the kernel's clock64 output (None: it has
    none) and ``cycles_index`` the element of it holding the interval (None:
    one per warp, take the median); ``ops_timed`` the operations one clock64
    interval covers; ``work`` the bytes or FLOPs of the whole launch for the
    throughput; ``cold``: run once, without warm-up (a DRAM chase would
    otherwise find its lines in L2); ``setup``: ``(kernel, grid, block,
    args -> setup args)``, a launch run once before, untimed, on the same
    arrays (the global chase builds its ring of pointers with it).
    """
    name: str
    kernel: Any
    grid: int
    block: int
    make_args: Callable[[], tuple]
    params: dict
    op: str
    ops_timed: int
    cycles_arg: int | None
    work: int | None = None
    unit: str | None = None
    min_sm: int = 70
    cold: bool = False
    cycles_index: int | None = None
    setup: tuple | None = None


def kernel_name(kernel) -> str:
    """A numba kernel's ``__name__``, or an ``emu.compile_cuda`` kernel's C++ name."""
    return getattr(kernel, "__name__", None) or kernel.name


def microbenchmarks(quick: bool, sm_count: int, sm: int = 80) -> list[Microbenchmark]:
    """The microbenchmarks, sized for a GPU of ``sm_count`` SMs and SM version ``sm`` (the mma.sync
    shape: m16n8k16 on sm_80+, m16n8k8 on sm_75, m8n8k4 on sm_70); ``quick``: small enough for emu.

    Pointer chase (one thread, ``ld.global.ca.u64 p, [p]`` through a ring of
    absolute pointers, no address arithmetic between the loads) footprints:
    L1 16 KiB (fits every L1), L2 4 MiB (above every L1, 256 KiB on H100;
    below every L2, 6 MiB on V100), DRAM 256 MiB (five times H200's 50 MiB
    L2), the chase cold. Quick runs shrink them (L2 1 MiB, DRAM 64 MiB) and
    the loop counts.
    """
    import emu
    from kernels import microbench as mb
    loads = 64 if quick else 1024
    ffma_iters = 1 if quick else 256                   # x FFMA_PER_ITER (128) FFMAs per thread
    full_grid = 2 if quick else 8 * sm_count            # blocks: enough warps on every SM to fill its pipes
    stream_n = 4096 if quick else 1 << 26
    rng = np.random.default_rng(SEED)
    benches = []
    chase_global = emu.compile_cuda(mb.CHASE_SRC, "chase_global")

    def chase(name, footprint, stride, warm, cold=False):
        n, words = footprint // stride, stride // 8
        chain, out = np.zeros(n * words, np.uint64), np.zeros(4, np.int64)
        warm_steps = n if warm else 0

        def args(mode=1):
            return (chain, np.int32(n), np.int32(words), np.int32(mode), np.int32(warm_steps), np.int32(loads), out)
        benches.append(Microbenchmark(
            name, chase_global, 1, 32, args,
            {"footprint_bytes": footprint, "stride_bytes": stride, "warm_loads": warm_steps, "loads": loads},
            "load", loads, 6, cold=cold, cycles_index=0,
            setup=(chase_global, (n + 255) // 256, 256, lambda main: args(0))))

    chase("pointer_chase_l1", 16 << 10, 128, warm=True)
    chase("pointer_chase_l2", (1 if quick else 4) << 20, 128, warm=True)
    chase("pointer_chase_dram", (64 if quick else 256) << 20, 4096, warm=False, cold=True)
    ring, ring_stride = 256, 4                          # 256 words 16 bytes apart
    benches.append(Microbenchmark(
        "pointer_chase_shared", emu.compile_cuda(mb.CHASE_SRC, "chase_shared"), 1, 32,
        lambda: (np.int32(ring), np.int32(ring_stride), np.int32(loads), np.zeros(4, np.int64)),
        {"footprint_bytes": 4 * ring * ring_stride, "stride_bytes": 4 * ring_stride, "loads": loads},
        "load", loads, 3, cycles_index=0))

    a, b = np.float32(1.0), np.float32(0.5)
    chain_ffmas = 128
    benches.append(Microbenchmark(
        "ffma_latency", emu.compile_cuda(mb.FFMA_SRC, f"ffma_chain_{chain_ffmas}"), 1, 32,
        lambda: (a, b, np.ones(1, np.float32), np.zeros(1, np.int64)),
        {"iterations": chain_ffmas, "chains": 1}, "ffma", chain_ffmas, 3, cycles_index=0))
    threads = full_grid * 256
    ffmas = ffma_iters * mb.FFMA_PER_ITER
    benches.append(Microbenchmark(
        "ffma_throughput", emu.compile_cuda(mb.FFMA_SRC, "ffma_throughput"), full_grid, 256,
        lambda: (a, b, np.int32(ffma_iters), np.zeros(threads, np.float32), np.zeros(threads // 32, np.int64)),
        {"iterations": ffmas // 8, "chains": 8, "threads": threads}, "ffma", ffmas, 4,
        2 * threads * ffmas, "TFLOP/s"))

    for kernel, arrays in ((mb.stream_copy, 2), (mb.stream_triad, 3)):
        def args(kernel=kernel, arrays=arrays):
            data = [rng.random(stream_n, np.float32) for _ in range(arrays)]
            return (*data, np.float32(3.0)) if kernel is mb.stream_triad else tuple(data)
        benches.append(Microbenchmark(
            kernel.__name__, kernel, full_grid, 256, args, {"n": stream_n}, "byte", 0, None,
            mb.stream_bytes(kernel, stream_n), "GB/s"))

    entry, m, n, k = mb.mma_entry(sm)
    shape = f"{entry.removeprefix('mma_throughput_')}.f32.f16"
    mma_iterations = 8 if quick else 4096
    benches.append(Microbenchmark(
        "mma_latency", mb.mma_kernel(sm, "latency"), 1, 32,
        lambda: (mb.MMA_AB_ONES, np.int32(mma_iterations), np.zeros(32, np.float32), np.zeros(1, np.int64)),
        {"shape": shape, "iterations": mma_iterations, "chains": 1}, "mma.sync", mma_iterations, 3))
    warps = full_grid * 4
    benches.append(Microbenchmark(
        "mma_throughput", mb.mma_kernel(sm), full_grid, 128,
        lambda: (mb.MMA_AB_ONES, np.int32(mma_iterations), np.zeros(32 * warps, np.float32),
                 np.zeros(warps, np.int64)),
        {"shape": shape, "iterations": mma_iterations, "chains": mb.MMA_PER_ITER, "warps": warps},
        "mma.sync", mma_iterations * mb.MMA_PER_ITER, 3,
        2 * m * n * k * warps * mma_iterations * mb.MMA_PER_ITER, "TFLOP/s"))
    return benches


_SCALE = {"GB/s": 1e9, "TFLOP/s": 1e12}


def run_microbenchmarks(backend: Backend, benches) -> tuple[list[dict], list[dict]]:
    """Run each microbenchmark; return (entries, skipped)."""
    entries, skipped = [], []
    for bench in benches:
        if _sm(backend.cc) < bench.min_sm:
            skipped.append({"kernel": bench.name, "reason": f"needs sm_{bench.min_sm}"})
            continue
        args = bench.make_args()
        setup = None
        if bench.setup is not None:
            setup_kernel, setup_grid, setup_block, setup_args = bench.setup
            setup = (setup_kernel, setup_grid, setup_block, setup_args(args))
        launch = backend.run(bench.kernel, bench.grid, bench.block, args, cold=bench.cold, setup=setup)
        cycles = None
        if bench.cycles_arg is not None and launch.clock_counts_cycles:
            counts = args[bench.cycles_arg]
            cycles = float(counts[bench.cycles_index] if bench.cycles_index is not None else np.median(counts))
        throughput = None
        if bench.work is not None and launch.time_s:
            throughput = bench.work / launch.time_s / _SCALE[bench.unit]
        entries.append({
            "name": bench.name, "kernel": kernel_name(bench.kernel), "params": bench.params,
            "grid": _dims(bench.grid), "block": _dims(bench.block), "time_s": launch.time_s,
            "launches_timed": launch.launches_timed, "op": bench.op, "ops_timed": bench.ops_timed,
            "clock64_cycles": cycles, "cycles_per_op": None if cycles is None else cycles / bench.ops_timed,
            "work": bench.work, "throughput": throughput, "throughput_unit": bench.unit,
            "warp_instructions": launch.warp_instructions})
    return entries, skipped


def _clock_under_load(entries: list[dict]) -> float | None:
    """The FFMA throughput run's clock64 cycles (median warp) over its event time, in MHz.

    Every warp of that launch is resident from start to end, so this is the
    SM clock the kernels ran at, less a little: the event interval also holds
    the launch and the tail. None without both numbers (always on emu).
    """
    for entry in entries:
        if entry["name"] == "ffma_throughput" and entry["clock64_cycles"] and entry["time_s"]:
            return entry["clock64_cycles"] / entry["time_s"] / 1e6
    return None


# ------------------------------------------------------------------ a whole record
def record(backend: Backend, command: str, quick: bool = False, kernels=None, benchmarks=None) -> dict:
    """Time the kernels (names in ``kernels``, default all) and microbenchmarks (names in ``benchmarks``,
    default all) on ``backend``; the validated record."""
    kernel_entries, skipped = time_kernels(backend, kernel_selection(quick, kernels))
    benches = [b for b in microbenchmarks(quick, backend.sm_count, _sm(backend.cc))
               if benchmarks is None or b.name in benchmarks]
    bench_entries, bench_skipped = run_microbenchmarks(backend, benches)
    provenance = {**backend.provenance(command), "quick": quick,
                  "sm_clock_mhz_under_load": _clock_under_load(bench_entries)}
    result = {"format": FORMAT, "provenance": provenance, "kernels": kernel_entries,
              "microbenchmarks": bench_entries, "skipped": skipped + bench_skipped}
    validate(result)
    return result


def _names(text: str | None) -> set[str] | None:
    return None if text is None else set(text.split(","))


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(prog="python -m emu.hw.timing", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="the JSON file (default: tests/data/hw_timing_<gpu>.json on a "
                                                 "GPU, emu_timing_<preset>.json with --emulate)")
    parser.add_argument("--quick", action="store_true", help="smallest kernel sizes, short microbenchmarks")
    parser.add_argument("--emulate", metavar="PRESET", help="run on emu's PRESET (a100, sm_90, ...) instead")
    parser.add_argument("--kernels", help="comma-separated kernel names (default: all)")
    parser.add_argument("--benchmarks", help="comma-separated microbenchmark names (default: all)")
    args = parser.parse_args(argv)
    command = " ".join(["python -m emu.hw.timing", *argv])
    if args.emulate and args.out is not None and args.out.name.startswith("hw_timing_"):
        parser.error("hw_timing_* files hold measurements: give an emulated record another name")
    if args.emulate:
        backend = Emulated(args.emulate)
    else:
        from numba import cuda
        if not cuda.is_available():
            print("no CUDA GPU available to numba: run this on a machine with an NVIDIA GPU and its driver, "
                  "or pass --emulate PRESET to run emu as a stand-in", file=sys.stderr)
            return 1
        backend = Hardware()
    result = record(backend, command, args.quick, _names(args.kernels), _names(args.benchmarks))
    provenance = result["provenance"]
    if args.out is not None:
        path = args.out
    elif args.emulate:
        path = Path(f"emu_timing_{provenance['emu_preset']}.json")
    else:
        path = DEFAULT_DIR / file_name(provenance["gpu"])
    save(result, path)
    print(f"{provenance['gpu']} ({provenance['source']}): {len(result['kernels'])} kernel launches, "
          f"{len(result['microbenchmarks'])} microbenchmarks, {len(result['skipped'])} skipped -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
