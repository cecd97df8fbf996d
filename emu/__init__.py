"""emu: a cycle-approximate GPU emulator that runs numba.cuda and CUDA C++ kernels from their PTX."""
from emu import jit_cache

jit_cache.install()     # before any module with cached jitted functions is imported

from emu.errors import (CompileError, EmuError, KernelArgumentError, KernelAssertionError, KernelEntryError,
                        KernelFault, LaunchError, LinkError, PTXSyntaxError, PtxasError, UnsupportedAPIError,
                        UnsupportedPTXError)
from emu.launch import GPU, Run, compile_cuda, ptx_kernel
from emu.dropin import activate, deactivate

__all__ = ["GPU", "Run", "compile_cuda", "ptx_kernel", "activate", "deactivate", "EmuError", "KernelFault", "KernelAssertionError",
           "LaunchError", "KernelArgumentError", "KernelEntryError", "CompileError", "PtxasError", "LinkError",
           "PTXSyntaxError", "UnsupportedPTXError", "UnsupportedAPIError"]
__version__ = "0.1.0"
