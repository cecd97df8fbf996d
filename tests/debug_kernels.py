"""numba kernels with ``assert``, for tests/test_errors.py.

They live outside the test modules because pytest rewrites the ``assert``
statements there into calls numba cannot compile.
"""
from numba import cuda


@cuda.jit(debug=True, opt=False)
def checked_copy(a, out):
    i = cuda.grid(1)
    assert a[i] < 40, "a[i] too large"
    if a[i] < 0:
        raise ValueError("negative input", -1)
    out[i] = a[i]
