"""numba-cuda kernels loaded and launched on the emulated GPU.

numba-cuda compiles a kernel with its own compiler (NVVM) into a code library;
on a GPU, ``CUDACodeLibrary.get_cufunc`` links it to a cubin and loads it, and
``dispatcher.launch(stream, LaunchConfig(...), cufunc.kernel, *args)`` runs it.
Here ``load_function`` takes the library's PTX instead, links what the library
asks to be linked (CUDA C++ and PTX files, numba-cuda's shims, and the
device-side functions of CUDA's libraries, from ``device_runtime``) into one PTX module, and
loads it into the session's device memory; ``launch`` runs it with
``emu.GPU.launch`` on that memory. The kernel's arguments arrive as numba
flattened them (numba's array data model, device addresses) and are written
to the PTX parameters as they are.
"""
from __future__ import annotations

import ctypes
import os
import weakref
from collections import namedtuple
from dataclasses import dataclass
from types import SimpleNamespace

from cuda.core._utils.cuda_utils import CUDAError
from numba.cuda.core import config as numba_config
from numba.cuda.cudadrv import devices
from numba.cuda.cudadrv import driver as numba_driver
from numba.cuda.cudadrv.linkable_code import LinkableCode

from emu.errors import KernelArgumentError, LaunchError, UnsupportedAPIError
from emu.frontend.cuda_cpp import compile_relocatable_ptx, nvrtc_version
from emu.frontend.kernel import CompiledKernel, choose_entry, entry_source_line
from emu.frontend.ptx_link import link_ptx
from emu.frontend.resources import ptxas_resources
from emu.launch import load_module

from . import device_runtime
from .progress import LaunchProgress
from .session import current

FuncAttr = namedtuple("FuncAttr", ["regs", "shared", "local", "const", "maxthreads"])


class EmuModule:
    """A loaded module (cuModuleLoad): its globals have addresses in the session's device memory."""

    def __init__(self, context, compiled: CompiledKernel, module_globals: dict, setup_functions):
        self.context, self.compiled = context, compiled
        self.handle = id(self)
        self.globals = module_globals
        self.setup_functions = list(setup_functions)
        self.initialized = False

    def setup(self):
        for setup in self.setup_functions:
            setup(self)
        self.initialized = True

    def get_global_symbol(self, name: str):
        """(a MemoryPointer to the global, its size), as numba reads a debug kernel's error code."""
        if name not in self.globals:
            raise numba_driver.CudaAPIError(numba_driver.binding.CUresult.CUDA_ERROR_NOT_FOUND,
                                            f"no global {name!r} in the module of {self.compiled.name}")
        alloc = self.globals[name]
        return numba_driver.MemoryPointer(self.context, alloc.address, alloc.size), alloc.size


class EmuFunction:
    """A kernel of a loaded module (numba's ``cufunc``; it is its own ``.kernel`` for ``launch``)."""

    def __init__(self, module: EmuModule, compiled: CompiledKernel):
        self.module, self.compiled = module, compiled
        self.name = compiled.entry
        self.handle = id(self)
        self.kernel = self
        current().functions[self.handle] = self

    def __repr__(self):
        return f"<emu function {self.name}>"

    @property
    def device(self):
        return self.module.context.device

    @property
    def attrs(self) -> FuncAttr:
        """Registers, static shared, local and constant bytes as ptxas reports them for the preset's SM."""
        r = ptxas_resources(self.compiled.ptx, self.compiled.entry, self.compiled.cc)
        return FuncAttr(regs=r.registers_per_thread, shared=r.shared_bytes_static, local=r.local_bytes,
                        const=r.constant_bytes, maxthreads=current().gpu.preset.max_threads_per_block)

    @property
    def attributes(self):
        return SimpleNamespace(max_threads_per_block=self.attrs.maxthreads)

    def cache_config(self, prefer_equal=False, prefer_cache=False, prefer_shared=False):
        pass                   # a cache preference changes timing only, which the cycle model owns

    def set_shared_memory_carveout(self, carveout):
        if not -1 <= int(carveout) <= 100:
            raise ValueError("Carveout must be between -1 and 100")


def load_function(library) -> EmuFunction:
    """``CUDACodeLibrary.get_cufunc`` on emu: the kernel linked to one PTX module and loaded."""
    if library._entry_name is None:
        raise RuntimeError("Missing entry_name - are you trying to get the cufunc for a device function?")
    function = library._cufunc_cache.get(0)
    if function is None:
        session = current()
        cc = tuple(session.gpu.preset.cc)
        ptx = linked_ptx(library, cc)
        entry = choose_entry(ptx, library._entry_name)
        compiled = CompiledKernel(name=_kernel_name(library), ptx=ptx, entry=entry, arg_types=None,
                                  source_file="<numba.cuda kernel>", first_line=entry_source_line(ptx, entry) or 1,
                                  cc=cc)
        context = devices.get_context()
        module = EmuModule(weakref.proxy(context), compiled, load_module(compiled, session.memory),
                           library._setup_functions)
        function = EmuFunction(module, compiled)
        library._cufunc_cache[0] = function
    return function


def refuse_module_image(context, object_code, setup_callbacks=None, teardown_callbacks=None):
    """``driver.load_module_image`` on emu: a compiled image (cubin, fatbin) cannot run on the emulator."""
    raise UnsupportedAPIError("emu cannot load a compiled CUDA module image (cuLibraryLoadData: a cubin or "
                              "fatbin, such as the one numba's device runtime NRT builds); it runs numba "
                              "kernels from their PTX")


def linked_ptx(library, cc: tuple[int, int]) -> str:
    """The library's PTX for ``cc`` with everything it links to defined in it."""
    ptx, *libraries = library.get_asm_strs(cc=cc)     # several modules when compiled with debug info
    libraries += [_linkable_ptx(item, cc) for item in library._linking_files]
    libraries.append(device_runtime.LIBRARY_PTX)
    while True:                    # a function linked in may call one that an earlier library defines
        linked = ptx
        for more in libraries:
            linked = link_ptx(linked, more)
        if linked == ptx:
            return ptx
        ptx = linked


def _linkable_ptx(item, cc) -> str:
    """PTX of a file or ``LinkableCode`` numba links with the kernel: CUDA C++ is compiled by NVRTC."""
    if isinstance(item, LinkableCode):
        kind, data, name = item.kind, item.data, item.name
    else:
        kind, name = os.path.splitext(item)[1].lstrip("."), item
        with open(item, "rb") as f:
            data = f.read()
    text = data.decode() if isinstance(data, bytes) else data
    if kind == "cu":
        return compile_relocatable_ptx(text, cc, _include_dirs(name), filename=name)
    if kind == "ptx":
        return text
    raise UnsupportedAPIError(f"cannot link {name} ({kind}): emu links CUDA C++ (.cu) and PTX (.ptx) "
                              "into a kernel, not compiled device code (cubin, fatbin, object, library, LTO-IR)")


def _include_dirs(source_name: str) -> list[str]:
    """Where numba-cuda's NVRTC compile looks for headers (its CUDA headers, its runtime's, the user's
    ``CUDA_NVRTC_EXTRA_SEARCH_PATHS``), after the source's own folder, as nvcc does."""
    numba_cuda = os.path.dirname(os.path.dirname(numba_driver.__file__))
    extra = [d for d in (numba_config.CUDA_NVRTC_EXTRA_SEARCH_PATHS or "").split(":") if d]
    return [os.path.dirname(os.path.abspath(source_name)), os.path.join(numba_cuda, "include", str(nvrtc_version()[0])),
            os.path.join(numba_cuda, "memory_management"), *extra]


def _kernel_name(library) -> str:
    """The Python name of the kernel (numba names its library after the function's qualified name)."""
    return library.name.rpartition(".")[2] or library._entry_name


@dataclass
class LaunchConfig:
    """cuda.core's ``LaunchConfig`` as numba-cuda builds it (cuda.core's own asks the driver for limits)."""
    grid: tuple
    block: tuple
    shmem_size: int = 0
    is_cooperative: bool = False


def core_stream(stream):
    """``driver._to_core_stream``: emu keeps numba's stream object (or 0); work on it is synchronous."""
    return stream


def launch(stream, config: LaunchConfig, kernel: EmuFunction, *args) -> None:
    """``cuda.core.launch`` as numba-cuda calls it: run ``kernel`` on the session's GPU and memory."""
    session = current()
    values = [_parameter(kernel, position, arg) for position, arg in enumerate(args)]
    session.sync_mapped_in()
    try:
        with LaunchProgress(kernel.compiled.name) as progress:
            run = session.gpu.launch(kernel.compiled, config.grid, config.block, values,
                                     shared_mem=config.shmem_size, mode=session.mode, device_memory=session.memory,
                                     cooperative=config.is_cooperative, progress=progress)
    except LaunchError as exc:
        if isinstance(exc, KernelArgumentError):
            raise
        raise RefusedLaunch(str(exc)) from None
    session.sync_mapped_out()
    session.record(run)


class RefusedLaunch(LaunchError, CUDAError):
    """A launch CUDA refuses, raised both as emu raises it and as cuda.core does (a ``CUDAError``
    whose message names the CUDA error, such as ``CUDA_ERROR_INVALID_VALUE``)."""


def _parameter(kernel: EmuFunction, position: int, arg):
    """One flattened argument as a Python number: ints, bools and ctypes scalars are what numba passes."""
    if isinstance(arg, (bool, int)):
        return int(arg)
    if isinstance(arg, ctypes._SimpleCData):
        return 0 if arg.value is None else arg.value        # a null c_void_p has value None
    raise KernelArgumentError(f"kernel {kernel.compiled.name}: parameter {position} is a "
                              f"{type(arg).__qualname__}, which emu cannot pass")
