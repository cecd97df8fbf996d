"""emu: a cycle-approximate GPU emulator that runs numba.cuda and CUDA C++ kernels from their PTX."""
from emu import jit_cache

jit_cache.install()     # before any module with cached jitted functions is imported

from emu.errors import (CompileError, EmuError, KernelArgumentError, KernelAssertionError, KernelEntryError,
                        KernelFault, LaunchError, LinkError, PTXSyntaxError, PtxasError, UnsupportedPTXError)
from emu.launch import GPU, Run, compile_cuda, ptx_kernel

__all__ = ["GPU", "Run", "compile_cuda", "ptx_kernel", "EmuError", "KernelFault", "KernelAssertionError",
           "LaunchError", "KernelArgumentError", "KernelEntryError", "CompileError", "PtxasError", "LinkError",
           "PTXSyntaxError", "UnsupportedPTXError"]
__version__ = "0.1.0"
