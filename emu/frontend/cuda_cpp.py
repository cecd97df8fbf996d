"""CUDA C++ source -> PTX with NVRTC (from the cuda-bindings wheel), through the compile cache."""
from __future__ import annotations

import functools
import linecache
import os

from cuda.bindings import nvrtc
from cuda.pathfinder import find_nvidia_header_directory

from emu.errors import CompileError

from . import cache
from .kernel import CompiledKernel, choose_entry, entry_source_line

#: Header folders of the CUDA wheels: ``cuda_runtime.h``, ``cuda_fp16.h`` and
#: ``mma.h`` (cudart), the ``crt/`` headers ``mma.h`` includes (nvcc), and
#: ``cuda/std``, ``cuda/barrier``, CUB (cccl).
_HEADER_LIBS = ("cudart", "nvcc", "cccl")


def compile_cuda_source(source: str, kernel_name: str | None, cc: tuple[int, int],
                        options=(), *, filename: str = "kernel.cu") -> CompiledKernel:
    """Compile CUDA C++ ``source`` to PTX for ``compute_XY`` and pick one kernel.

    ``kernel_name`` is the kernel as C++ names it: ``"vectorAdd"``,
    ``"ns::scale<float>"`` (which also instantiates the template) or an
    ``extern "C"`` name; NVRTC lowers it to the mangled ``.entry``. With
    ``None`` the source must define exactly one kernel. ``filename`` names
    the source in the PTX's ``.file`` and in diagnostics (made absolute,
    as NVRTC would). ``options`` are extra NVRTC options. The PTX has no
    numba types (``arg_types`` is ``None``); ``params`` lists what it takes.
    On failure the ``CompileError`` carries NVRTC's log.
    """
    cc = (int(cc[0]), int(cc[1]))
    path = os.path.abspath(filename)
    opts = [f"--gpu-architecture=compute_{cc[0]}{cc[1]}", "-lineinfo",
            *(f"-I{d}" for d in _include_dirs()), *options]
    key = cache.make_key("nvrtc", source, path, kernel_name, opts, list(nvrtc_version()))
    record = cache.get(key)
    if record is None:
        ptx, lowered = nvrtc_compile(source, path, opts, kernel_name)
        record = {"ptx": ptx, "entry": choose_entry(ptx, lowered)}
        cache.put(key, record)
    ptx, entry = record["ptx"], record["entry"]
    _remember_source(path, source)
    return CompiledKernel(name=kernel_name or entry, ptx=ptx, entry=entry, arg_types=None,
                          source_file=path, first_line=entry_source_line(ptx, entry) or 1, cc=cc)


def _remember_source(path: str, source: str) -> None:
    """Keep ``source`` as the text of ``path`` for ``linecache``, so that a fault names the source line
    even when ``path`` does not exist on disk (a made-up name, a temporary file since deleted)."""
    if not os.path.isfile(path):
        linecache.cache[path] = (len(source), None, source.splitlines(keepends=True), path)


def compile_relocatable_ptx(source: str, cc: tuple[int, int], include_dirs=(), *,
                            filename: str = "library.cu") -> str:
    """Compile CUDA C++ ``source`` to relocatable PTX (``-rdc=true``) for ``compute_XY``.

    Relocatable code keeps the definitions of ``extern`` device functions that
    no kernel in ``source`` calls, for ``ptx_link.link_ptx`` to take. The
    folders ``include_dirs`` are searched before the CUDA wheels' headers.
    The PTX has no line info. On failure the ``CompileError`` carries NVRTC's log.
    """
    opts = [f"--gpu-architecture=compute_{int(cc[0])}{int(cc[1])}", "-rdc=true",
            *(f"-I{d}" for d in (*include_dirs, *_include_dirs()))]
    key = cache.make_key("nvrtc-rdc", source, filename, opts, list(nvrtc_version()))
    record = cache.get(key)
    if record is None:
        record = {"ptx": nvrtc_compile(source, filename, opts)[0]}
        cache.put(key, record)
    return record["ptx"]


def nvrtc_compile(source: str, path: str, opts: list[str], kernel_name: str | None = None):
    """NVRTC's PTX for ``source`` with options ``opts`` (uncached), and the lowered name of
    ``kernel_name`` if one is given. ``path`` names the source in ``.file`` and diagnostics."""
    prog = _check(nvrtc.nvrtcCreateProgram(source.encode(), path.encode(), 0, [], []))
    try:
        if kernel_name is not None:
            _check(nvrtc.nvrtcAddNameExpression(prog, kernel_name.encode()))
        (result,) = nvrtc.nvrtcCompileProgram(prog, len(opts), [o.encode() for o in opts])
        if result != nvrtc.nvrtcResult.NVRTC_SUCCESS:
            raise CompileError(f"NVRTC could not compile {path} ({opts[0]}):\n{_log(prog)}")
        size = _check(nvrtc.nvrtcGetPTXSize(prog))
        buf = b" " * size
        _check(nvrtc.nvrtcGetPTX(prog, buf))
        ptx = buf.rstrip(b"\0").decode()
        lowered = (None if kernel_name is None else
                   _check(nvrtc.nvrtcGetLoweredName(prog, kernel_name.encode())).decode())
    finally:
        nvrtc.nvrtcDestroyProgram(prog)
    return ptx, lowered


def _log(prog) -> str:
    size = _check(nvrtc.nvrtcGetProgramLogSize(prog))
    buf = b" " * size
    _check(nvrtc.nvrtcGetProgramLog(prog, buf))
    return buf.rstrip(b"\0").decode(errors="replace").strip()


def _check(result):
    """Unwrap a cuda-bindings ``(status, value...)`` tuple, raising on a failed status."""
    status, *values = result
    if status != nvrtc.nvrtcResult.NVRTC_SUCCESS:
        _, text = nvrtc.nvrtcGetErrorString(status)
        raise CompileError(f"NVRTC call failed: {text.decode()}")
    return values[0] if values else None


#: Stand-ins for host headers kernels include (``<cstdio>``), searched after the CUDA wheels' headers.
_STUB_HEADERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nvrtc_include")


@functools.cache
def _include_dirs() -> tuple[str, ...]:
    wheels = tuple(d for d in map(find_nvidia_header_directory, _HEADER_LIBS) if d is not None)
    return (*wheels, _STUB_HEADERS)


@functools.cache
def nvrtc_version() -> tuple[int, int]:
    status, major, minor = nvrtc.nvrtcVersion()
    _check((status,))
    return major, minor
