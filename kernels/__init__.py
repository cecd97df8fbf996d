"""Kernel library: numba.cuda kernels (plus one CUDA C++ kernel), each with a numba
@njit CPU twin that is its reference, described uniformly as KernelCase entries."""

from . import conv, cuda_cpp, elementwise, gemm, histogram, misc, reduction, softmax, tensor_core, transpose
from .case import KernelCase

KERNELS: list[KernelCase] = [
    *elementwise.CASES,
    *gemm.CASES,
    *tensor_core.CASES,
    *reduction.CASES,
    *histogram.CASES,
    *transpose.CASES,
    *conv.CASES,
    *softmax.CASES,
    *misc.CASES,
    *cuda_cpp.CASES,
]

BY_NAME: dict[str, KernelCase] = {case.name: case for case in KERNELS}

__all__ = ["KERNELS", "BY_NAME", "KernelCase"]
