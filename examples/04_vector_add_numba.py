"""Lecture example: vectorAdd written with numba.cuda in the ordinary style.

Nothing here mentions emu: on a machine with a GPU, `python 04_vector_add_numba.py`
runs it on the GPU; anywhere, `python -m emu 04_vector_add_numba.py` runs it on
the emulated GPU, unmodified, and prints the launch table on stderr at exit.
examples/03_vector_add_cpp.py is the same program in CUDA C++.

    python -m emu --arch a100 examples/04_vector_add_numba.py [N]
"""
import sys

import numpy as np
from numba import cuda


@cuda.jit
def vector_add(a, b, c):
    i = cuda.grid(1)
    if i < c.size:
        c[i] = a[i] + b[i]


n = int(sys.argv[1]) if len(sys.argv) > 1 else 50000
rng = np.random.default_rng(0)
a = rng.random(n, dtype=np.float32)
b = rng.random(n, dtype=np.float32)

d_a = cuda.to_device(a)                      # host -> device
d_b = cuda.to_device(b)
d_c = cuda.device_array_like(a)              # uninitialised device memory
threads = 256
blocks = (n + threads - 1) // threads
print(f"[Vector addition of {n} elements] on {cuda.get_current_device().name}")
print(f"CUDA kernel launch with {blocks} blocks of {threads} threads")
vector_add[blocks, threads](d_a, d_b, d_c)
c = d_c.copy_to_host()                       # device -> host
print("max error", float(np.abs(a + b - c).max()))
print("Test PASSED" if np.array_equal(c, a + b) else "Test FAILED")
