"""print() in numba kernels and printf in CUDA C++ reach the host's stdout through vprintf."""
import numpy as np
from numba import cuda

import emu


@cuda.jit
def greet(values):
    i = cuda.grid(1)
    if i < values.size:
        print("thread", i, "has", values[i])


PRINTF_SRC = r"""

extern "C" __global__ void report(const float *x, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) printf("x[%d] = %.2f (%s)\n", i, x[i], i % 2 ? "odd" : "even");
}
"""


def test_numba_print_reaches_stdout(capsys):
    values = np.array([10, 20, 30], dtype=np.int64)
    run = emu.GPU("sm_80").launch(greet, 1, 32, (values,))
    out = capsys.readouterr().out.splitlines()
    assert sorted(out) == ["thread 0 has 10", "thread 1 has 20", "thread 2 has 30"]
    assert len(run.printed) == 3


def test_run_repr_is_a_one_line_summary():
    values = np.array([10, 20, 30], dtype=np.int64)
    run = emu.GPU("sm_80").launch(greet, 2, 32, (values,))
    text = repr(run)
    assert text.startswith("Run(kernel='greet', gpu='A100 (sm_80)', grid=(2, 1, 1), block=(32, 1, 1), "
                           f"warp_instructions={run.report.warp_instructions:,}, simt_efficiency=")
    assert "printed=3 lines" in text
    assert "\n" not in text and len(text) < 200


def test_cuda_printf_formats_ints_doubles_and_strings(capsys):
    x = np.array([1.5, -2.25], dtype=np.float32)
    emu.GPU("sm_80").launch(emu.compile_cuda(PRINTF_SRC, "report"), 1, 32, (x, np.int32(2)))
    assert capsys.readouterr().out.splitlines() == ["x[0] = 1.50 (even)", "x[1] = -2.25 (odd)"]
