"""Frontends: numba.cuda kernels, CUDA C++ and raw PTX to a ``CompiledKernel``; ptxas resources."""
from emu.errors import CompileError, KernelArgumentError, KernelEntryError, LinkError, PtxasError

from .cuda_cpp import compile_cuda_source
from .kernel import CompiledKernel, PtxParam
from .numba_kernel import compile_numba_kernel
from .ptx_text import load_ptx
from .resources import Resources, ptxas_resources

__all__ = [
    "CompiledKernel", "PtxParam", "Resources",
    "compile_numba_kernel", "compile_cuda_source", "load_ptx", "ptxas_resources",
    "CompileError", "KernelArgumentError", "KernelEntryError", "LinkError", "PtxasError",
]
