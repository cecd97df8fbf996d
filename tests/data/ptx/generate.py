"""Regenerate the PTX corpus used by tests/test_ptx_parser.py.

Run from anywhere: ``python tests/data/ptx/generate.py``. Needs numba-cuda
(NVVM) and cuda-bindings (NVRTC) but no GPU. Each kernel goes into its own
small ``.ptx`` file whose first line says how it was made.
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

from numba import cuda, float32, int32

OUT_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(OUT_DIR.parents[2]))   # the repository root, for emu
from emu.frontend.cuda_cpp import nvrtc_compile  # noqa: E402
from emu.frontend.numba_kernel import offline_device  # noqa: E402
from emu.ptx.parser import parse_ptx  # noqa: E402

CC = (8, 0)

# ---------------------------------------------------------------- numba kernels
# The numba kernels' PTX locates them by line in this file (``.loc``) and by
# absolute path (``.file``; NVRTC's by the working directory), so a line added
# or removed above a kernel changes its file: keep the number of lines above,
# or regenerate and review the whole corpus (the checked-in files come from a
# checkout at /work/main).
TILE = 16


def sgemm_tiled(a, b, c):
    sa = cuda.shared.array((TILE, TILE), float32)
    sb = cuda.shared.array((TILE, TILE), float32)
    tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
    row = cuda.blockIdx.y * TILE + ty
    col = cuda.blockIdx.x * TILE + tx
    acc = float32(0.0)
    for t in range(a.shape[1] // TILE):
        sa[ty, tx] = a[row, t * TILE + tx]
        sb[ty, tx] = b[t * TILE + ty, col]
        cuda.syncthreads()
        for k in range(TILE):
            acc += sa[ty, k] * sb[k, tx]
        cuda.syncthreads()
    c[row, col] = acc


def vector_add(a, b, c):
    i = cuda.grid(1)
    if i < c.size:
        c[i] = a[i] + b[i]


def atomics(f32, i32, f64, out):
    i = cuda.grid(1)
    cuda.atomic.add(f32, 0, f32[1])
    cuda.atomic.add(i32, 0, 1)
    cuda.atomic.add(f64, 0, 0.5)
    cuda.atomic.max(i32, 1, i)
    out[i] = cuda.atomic.compare_and_swap(i32[2:], 0, i)


def warp_shuffle(a, out):
    i = cuda.grid(1)
    v = a[i]
    for offset in (16, 8, 4, 2, 1):
        v += cuda.shfl_down_sync(0xFFFFFFFF, v, offset)
    w = cuda.shfl_xor_sync(0xFFFFFFFF, v, 1)
    out[i] = w


def warp_vote(a, out):
    i = cuda.grid(1)
    ballot = cuda.ballot_sync(0xFFFFFFFF, a[i] > 0)
    every = cuda.all_sync(0xFFFFFFFF, a[i] != 0)
    out[i] = ballot + (1 if every else 0)


def local_array(a, out):
    i = cuda.grid(1)
    tmp = cuda.local.array(8, int32)
    for k in range(8):
        tmp[k] = a[(i + k) % a.size]
    out[i] = tmp[a[i] & 7]      # a data-dependent index keeps tmp in local memory


def dynamic_shared(a, out):
    buf = cuda.shared.array(0, float32)
    t = cuda.threadIdx.x
    buf[t] = a[t]
    cuda.syncthreads()
    out[t] = buf[cuda.blockDim.x - 1 - t]


def printf(a):
    i = cuda.grid(1)
    if i == 0:
        print("value", i, a[0])


def math_funcs(a, out):
    i = cuda.grid(1)
    x = a[i]
    out[i] = math.exp(x) + math.sin(x) + math.sqrt(x) + math.tanh(x)


def float64_ops(a, b, out):
    i = cuda.grid(1)
    x = a[i]
    out[i] = x * b[i] / (x + 1.0) - math.sqrt(abs(x))


def fp16_ops(a, b, out):
    i = cuda.grid(1)
    x = a[i]
    y = b[i]
    out[i] = cuda.fp16.hfma(cuda.fp16.hadd(x, y), cuda.fp16.hmul(x, y), x)


@cuda.jit(device=True, lineinfo=True)
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def device_call(out):
    i = cuda.grid(1)
    out[i] = fib(i)


def int_divmod(a, b, q, r):
    i = cuda.grid(1)
    q[i] = a[i] // b[i]
    r[i] = a[i] % b[i]


def bit_ops(a, out):
    i = cuda.grid(1)
    x = a[i]
    out[i] = cuda.popc(x) + cuda.clz(x) + cuda.brev(x)


def warp_misc(out):
    i = cuda.grid(1)
    mask = cuda.activemask()
    lane = cuda.laneid
    cuda.syncwarp()
    out[i] = mask + lane
    cuda.threadfence()


NUMBA_KERNELS = [
    (sgemm_tiled, "(float32[:, :], float32[:, :], float32[:, :])", {}),
    (vector_add, "(float32[:], float32[:], float32[:])", {}),
    (atomics, "(float32[:], int32[:], float64[:], int32[:])", {}),
    (warp_shuffle, "(float32[:], float32[:])", {}),
    (warp_vote, "(int32[:], uint32[:])", {}),
    (local_array, "(int32[:], int32[:])", {}),
    (dynamic_shared, "(float32[:], float32[:])", {}),
    (printf, "(float32[:],)", {}),
    (math_funcs, "(float32[:], float32[:])", {}),
    (float64_ops, "(float64[:], float64[:], float64[:])", {}),
    (fp16_ops, "(float16[:], float16[:], float16[:])", {}),
    (device_call, "(int32[:],)", {"launch_bounds": (128,)}),
    (int_divmod, "(int32[:], int32[:], int32[:], int32[:])", {}),
    (bit_ops, "(uint32[:], uint32[:])", {}),
    (warp_misc, "(uint32[:],)", {}),
]

# ----------------------------------------------------------------- NVRTC kernels
VECTOR_ADD_CU = r"""
extern "C" __global__ void vectorAdd(const float *A, const float *B, float *C, int numElements)
{
    int i = blockDim.x * blockIdx.x + threadIdx.x;
    if (i < numElements) {
        C[i] = A[i] + B[i] + 0.0f;
    }
}
"""

PRINTF_SHFL_CU = r"""
extern "C" __global__ void warpReduce(const int *in, int *out)
{
    int v = in[threadIdx.x];
    for (int offset = 16; offset > 0; offset /= 2)
        v += __shfl_down_sync(0xffffffff, v, offset);
    if ((threadIdx.x & 31) == 0) {
        printf("warp %d sum %d\n", threadIdx.x / 32, v);
        out[threadIdx.x / 32] = v;
    }
}
"""

# numba-cuda's own float16 operators compile to calls of extern functions that
# are linked in later, so real f16 instructions come from cuda_fp16.h here.
HALF_CU = r"""
#include <cuda_fp16.h>
extern "C" __global__ void halfAxpy(const __half *x, __half *y, float alpha)
{
    int i = blockDim.x * blockIdx.x + threadIdx.x;
    __half a = __float2half(alpha);
    __half v = __hfma(a, x[i], y[i]);
    v = __hadd(v, __hmul(x[i], x[i]));
    y[i] = __hlt(v, a) ? a : v;
}
"""


def _cuda_include_dir() -> str:
    import nvidia.cuda_runtime

    return str(Path(nvidia.cuda_runtime.__path__[0]) / "include")


NVRTC_KERNELS = [
    ("nvrtc_vector_add", VECTOR_ADD_CU, ["--gpu-architecture=compute_80"]),
    ("nvrtc_printf_shfl", PRINTF_SHFL_CU, ["--gpu-architecture=compute_80", "-lineinfo"]),
    ("nvrtc_half", HALF_CU, ["--gpu-architecture=compute_80", "-lineinfo", "-I{cuda_include}"]),
]


def compile_numba(pyfunc, sig: str, extra: dict) -> tuple[str, str]:
    # a device function called is compiled for the current device's compute capability: there is
    # no GPU here, so offline_device answers CC
    with offline_device(CC):
        ptx, _ = cuda.compile_ptx(pyfunc, sig, cc=CC, lineinfo=True, **extra)
    options = "".join(f", {k}={v!r}" for k, v in extra.items())
    how = f"numba.cuda.compile_ptx({pyfunc.__name__}, {sig!r}, cc={CC}, lineinfo=True{options})"
    return how, ptx


def compile_nvrtc(name: str, source: str, options: list[str]) -> tuple[str, str]:
    ptx, _ = nvrtc_compile(source, f"{name}.cu", [o.format(cuda_include=_cuda_include_dir()) for o in options])
    shown = " ".join(o.format(cuda_include="<nvidia.cuda_runtime include dir>") for o in options)
    how = f"NVRTC {name}.cu (source in generate.py) with {shown}"
    return how, ptx


def write(name: str, how: str, ptx: str) -> None:
    path = OUT_DIR / f"{name}.ptx"
    path.write_text(f"// Generated by tests/data/ptx/generate.py: {how}\n{ptx}")
    print(f"wrote {path.name} ({ptx.count(chr(10))} lines)")


def corpus_opcodes() -> list[str]:
    """Distinct ``opcode.modifiers`` strings over every .ptx file here, sorted."""
    seen = set()
    for path in OUT_DIR.glob("*.ptx"):
        for fn in parse_ptx(path.read_text()).functions.values():
            seen.update(".".join((inst.opcode, *inst.modifiers)) for inst in fn.body)
    return sorted(seen)


def main() -> None:
    for pyfunc, sig, extra in NUMBA_KERNELS:
        write(f"numba_{pyfunc.__name__}", *compile_numba(pyfunc, sig, extra))
    for name, source, options in NVRTC_KERNELS:
        write(name, *compile_nvrtc(name, source, options))
    opcodes = corpus_opcodes()
    (OUT_DIR / "OPCODES.txt").write_text("\n".join(opcodes) + "\n")
    print(f"wrote OPCODES.txt ({len(opcodes)} opcodes)")


if __name__ == "__main__":
    main()
