"""CUDA C++ friction found by trying it (issue 10): stdio includes, fault source text, scalars for pointers."""
from __future__ import annotations

import numpy as np
import pytest

import emu
from emu.frontend.kernel import address_params
from kernels.cuda_cpp import VECTOR_ADD_SRC

GPU = emu.GPU("sm_80")


@pytest.mark.parametrize("header", ["<cstdio>", "<stdio.h>", "<cassert>", "<assert.h>"])
def test_stdio_and_assert_includes_compile_and_printf_prints(header, capsys):
    source = f'#include {header}\n__global__ void hello() {{ printf("hello from %d\\n", threadIdx.x); }}\n'
    GPU.launch(emu.compile_cuda(source, "hello"), 1, 2)
    assert capsys.readouterr().out.splitlines() == ["hello from 0", "hello from 1"]


def test_a_fault_shows_the_source_line_of_a_file_that_is_not_on_disk(tmp_path):
    source = "__global__ void spill(float *out) {\n    out[threadIdx.x + 1000000] = 1.0f;\n}\n"
    gone = tmp_path / "deleted_kernel.cu"                 # compiled from text: the file never exists
    with pytest.raises(emu.KernelFault) as fault:
        GPU.launch(emu.compile_cuda(source, "spill", filename=str(gone)), 1, 1, (np.zeros(4, np.float32),))
    assert f"{gone}:2 `out[threadIdx.x + 1000000] = 1.0f;`" in str(fault.value)


def test_a_numpy_scalar_where_the_kernel_takes_a_pointer_is_refused_at_launch():
    kernel = GPU.compile(emu.compile_cuda(VECTOR_ADD_SRC, "vectorAdd"))
    assert address_params(kernel.ptx, kernel.entry) == {0, 1, 2}      # A, B, C; not numElements
    a = np.ones(8, np.float32)
    with pytest.raises(emu.KernelArgumentError, match="argument 2 is a numpy scalar .* as a pointer"):
        GPU.launch(kernel, 1, 32, (a, a, np.float32(2.0), np.int32(8)))
    c = np.zeros(8, np.float32)
    GPU.launch(kernel, 1, 32, (a, a, c, np.int32(8)))
    assert np.array_equal(c, 2 * a)
