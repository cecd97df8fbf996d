"""emu.frontend: numba / CUDA C++ / PTX -> CompiledKernel, the compile cache, ptxas resources."""
import importlib
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from numba import cuda, float32
from numba.core import types
from numba.np import numpy_support

from emu.frontend import (CompileError, KernelArgumentError, KernelEntryError, PtxasError,
                          compile_cuda_source, compile_numba_kernel, load_ptx, ptxas_resources)
from emu.frontend import cache, resources
from emu.frontend.kernel import PtxParam, entry_params, ptx_entries, ptx_target, runs_on, target_cc
from emu.frontend.numba_kernel import infer_arg_types

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module", autouse=True)
def cache_dir(tmp_path_factory):
    """Every test here uses a fresh disk cache, never the user's."""
    path = tmp_path_factory.mktemp("emu-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EMU_CACHE_DIR", str(path))
        cache.clear_memory()
        yield path
    cache.clear_memory()


# ------------------------------------------------------------------ kernels
TPB = 16


@cuda.jit
def sgemm_tiled(A, B, C):
    """The shared-memory tiled matmul of the numba.cuda documentation (16x16 tiles)."""
    sA = cuda.shared.array(shape=(TPB, TPB), dtype=float32)
    sB = cuda.shared.array(shape=(TPB, TPB), dtype=float32)
    x, y = cuda.grid(2)
    tx = cuda.threadIdx.x
    ty = cuda.threadIdx.y
    bpg = cuda.gridDim.x
    tmp = float32(0.)
    for i in range(bpg):
        sA[ty, tx] = 0
        sB[ty, tx] = 0
        if y < A.shape[0] and (tx + i * TPB) < A.shape[1]:
            sA[ty, tx] = A[y, tx + i * TPB]
        if x < B.shape[1] and (ty + i * TPB) < B.shape[0]:
            sB[ty, tx] = B[ty + i * TPB, x]
        cuda.syncthreads()
        for j in range(TPB):
            tmp += sA[ty, j] * sB[j, tx]
        cuda.syncthreads()
    if y < C.shape[0] and x < C.shape[1]:
        C[y, x] = tmp


@cuda.jit
def saxpy(a, x, y, out):
    i = cuda.grid(1)
    if i < x.size:
        out[i] = a * x[i] + y[i]


def first_element(x, out):
    """A plain Python function (no @cuda.jit) works too."""
    out[0] = x[0]


def store_first(x, out):
    out[()] = x[0]


def corner(x, out):
    out[0, 0] = x[0, 0]


VECTOR_ADD = """
/**
 * CUDA Kernel Device code
 *
 * Computes the vector addition of A and B into C. The 3 vectors have the same
 * number of elements numElements.
 */
__global__ void vectorAdd(const float *A, const float *B, float *C,
                          int numElements) {
  int i = blockDim.x * blockIdx.x + threadIdx.x;

  if (i < numElements) {
    C[i] = A[i] + B[i] + 0.0f;
  }
}
"""

# A module whose global constant and device function the cache must track;
# written to disk so that a second process can import the same source.
CONSTS_MODULE = '''
from numba import cuda

SCALE = 2.0


@cuda.jit(device=True)
def scaled(v):
    return v * SCALE


@cuda.jit
def scale_kernel(x):
    i = cuda.grid(1)
    if i < x.size:
        x[i] = scaled(x[i])
'''


@pytest.fixture(scope="module")
def consts_module(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kernels")
    (folder / "emu_consts_kernels.py").write_text(CONSTS_MODULE)
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module("emu_consts_kernels")
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop("emu_consts_kernels", None)


@pytest.fixture(scope="module")
def sgemm_sm80():
    a = np.zeros((64, 64), np.float32)
    return compile_numba_kernel(sgemm_tiled, (a, a, a), (8, 0))


@pytest.fixture(scope="module")
def vector_add_sm80():
    return compile_cuda_source(VECTOR_ADD, "vectorAdd", (8, 0))


# ------------------------------------------------------- signature inference
DTYPES = [np.float16, np.float32, np.float64, np.int8, np.uint8, np.int16, np.uint16,
          np.int32, np.uint32, np.int64, np.uint64, np.bool_, np.complex64]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_array_types_follow_dtype_and_ndim(dtype, ndim):
    ty, _ = infer_arg_types(first_element, (np.zeros((2,) * ndim, dtype), 0))
    assert isinstance(ty, types.Array)
    assert ty.dtype == numpy_support.from_dtype(np.dtype(dtype))
    assert (ty.ndim, ty.layout, ty.mutable) == (ndim, "C", True)


@pytest.mark.parametrize("make, layout", [
    (lambda: np.zeros((4, 6)), "C"),
    (lambda: np.zeros((4, 6), order="F"), "F"),
    (lambda: np.zeros((4, 6))[:, ::2], "A"),
    (lambda: np.zeros((4, 6, 8))[::2, :, 1:5], "A"),
    (lambda: np.zeros((4, 6)).T, "F"),
])
def test_array_layouts(make, layout):
    (ty, _) = infer_arg_types(first_element, (make(), 0))
    assert ty.layout == layout


def test_readonly_and_zero_dim_arrays():
    ro = np.zeros(3)
    ro.flags.writeable = False
    ro_ty, zero_d = infer_arg_types(first_element, (ro, np.zeros(())))
    assert not ro_ty.mutable
    assert (zero_d.ndim, zero_d.dtype) == (0, types.float64)


@pytest.mark.parametrize("value, expected", [
    (3, types.int64), (2 ** 63, types.uint64), (-1.5, types.float64), (True, types.boolean),
    (1j, types.complex128), (np.float32(1), types.float32), (np.float16(1), types.float16),
    (np.int8(-3), types.int8), (np.uint64(7), types.uint64), (np.bool_(False), types.boolean),
    (types.float32, types.float32),
])
def test_scalar_types(value, expected):
    assert infer_arg_types(first_element, (np.zeros(1), value))[1] == expected


def test_many_kinds_compile_and_have_array_params():
    args = (np.zeros(4, np.float16), np.zeros(1, np.float16))
    kernel = compile_numba_kernel(first_element, args, (8, 0))
    # numba passes an array as meminfo, parent, nitems, itemsize, data, shape[ndim], strides[ndim]
    assert len(kernel.params) == 2 * (5 + 2)
    f_order = np.zeros((3, 4), np.int8, order="F")
    strided = np.zeros((3, 8), np.int8)[:, ::2]
    kernel = compile_numba_kernel(corner, (f_order, strided), (8, 0))
    assert len(kernel.params) == 2 * (5 + 2 * 2)
    read_only = np.zeros(3)
    read_only.flags.writeable = False
    kernel = compile_numba_kernel(store_first, (read_only, np.zeros(())), (8, 0))
    assert "readonly" in kernel.entry and len(kernel.params) == (5 + 2) + 5


# ------------------------------------------------------------- numba -> PTX
@pytest.mark.parametrize("cc", [(7, 0), (8, 0), (9, 0)])
def test_ptx_targets_cc(cc):
    x = np.zeros(8, np.float32)
    kernel = compile_numba_kernel(saxpy, (np.float32(2), x, x, x), cc)
    assert f".target sm_{cc[0]}{cc[1]}\n" in kernel.ptx
    assert ptx_target(kernel.ptx) == f"sm_{cc[0]}{cc[1]}"
    assert kernel.cc == cc


def test_compiled_kernel_fields(sgemm_sm80):
    k = sgemm_sm80
    assert k.name == "sgemm_tiled"
    assert f".visible .entry {k.entry}(" in k.ptx
    assert "sgemm_tiled" in k.entry
    assert k.source_file == __file__
    assert k.first_line == sgemm_tiled.py_func.__code__.co_firstlineno
    assert "bar.sync" in k.ptx and "st.shared.f32" in k.ptx
    assert ".loc\t" in k.ptx                        # lineinfo is on
    assert k.arg_types == (types.Array(types.float32, 2, "C"),) * 3
    assert len(k.params) == 3 * 9
    assert k.params[0] == PtxParam(f"{k.entry}_param_0", "u64")


def test_scalar_param_is_single():
    x = np.zeros(8, np.float32)
    kernel = compile_numba_kernel(saxpy, (np.float32(2), x, x, x), (8, 0))
    assert kernel.params[0].type == "f32"
    assert len(kernel.params) == 1 + 3 * 7


def test_dispatcher_fastmath_is_honoured():
    @cuda.jit(fastmath=True)
    def fast(x):
        x[0] = x[0] / x[1]

    def exact(x):
        x[0] = x[0] / x[1]

    x = np.ones(2, np.float32)
    assert "div.approx.ftz.f32" in compile_numba_kernel(fast, (x,), (8, 0)).ptx
    assert "div.rn.f32" in compile_numba_kernel(exact, (x,), (8, 0)).ptx


def test_device_functions_compile_per_cc():
    """numba-cuda keeps device-function overloads by argument types only; emu keeps them per cc.

    With fastmath, ``tanh`` lowers to ``tanh.approx.f32`` from sm_75 on and
    to libdevice below; the sm_80 kernel must not reuse the sm_70 lowering.
    """
    import math

    @cuda.jit(device=True, fastmath=True)
    def th(v):
        return math.tanh(v)

    @cuda.jit(fastmath=True)
    def apply_tanh(x):
        x[0] = th(x[0])

    x = np.ones(1, np.float32)
    found = {cc: "tanh.approx.f32" in compile_numba_kernel(apply_tanh, (x,), cc).ptx
             for cc in [(7, 0), (8, 0), (7, 0), (9, 0)]}
    assert found == {(7, 0): False, (8, 0): True, (9, 0): True}
    assert len(th.overloads) == 0                  # the user's dispatcher is left as it was


# ------------------------------------------------------------------ caching
def _compile_scale(module):
    return compile_numba_kernel(module.scale_kernel, (np.zeros(4),), (8, 0))


def test_cache_hits_in_process_and_on_disk(consts_module, cache_dir):
    before = cache.stats.copy()
    first = _compile_scale(consts_module)
    second = _compile_scale(consts_module)
    assert cache.stats["miss"] - before["miss"] == 1
    assert cache.stats["memory"] - before["memory"] == 1
    assert second == first
    cache.clear_memory()
    third = _compile_scale(consts_module)
    assert cache.stats["disk"] - before["disk"] == 1
    assert third == first
    assert not [p for p in cache_dir.iterdir() if p.suffix != ".json"]   # no temp files left


def test_global_constant_change_misses(consts_module):
    base = _compile_scale(consts_module)
    consts_module.SCALE = 3.0          # read by the device function the kernel calls
    try:
        misses = cache.stats["miss"]
        changed = _compile_scale(consts_module)
        assert cache.stats["miss"] == misses + 1
        assert changed.ptx != base.ptx
        assert "0d4008000000000000" in changed.ptx      # 3.0 as a PTX f64 immediate
    finally:
        consts_module.SCALE = 2.0
    misses = cache.stats["miss"]
    assert _compile_scale(consts_module).ptx == base.ptx
    assert cache.stats["miss"] == misses


def test_closure_values_are_part_of_the_key():
    def make(factor):
        def scale(x):
            x[0] = x[0] * factor
        return scale

    x = np.ones(1)
    three = compile_numba_kernel(make(3.0), (x,), (8, 0))
    five = compile_numba_kernel(make(5.0), (x,), (8, 0))
    assert "0d4008000000000000" in three.ptx and "0d4014000000000000" in five.ptx


def test_user_module_attributes_are_part_of_the_key(consts_module):
    def make(module):
        def from_module(x):
            x[0] = module.SCALE
        return from_module

    kernel = make(consts_module)
    x = np.zeros(1)
    before = compile_numba_kernel(kernel, (x,), (8, 0))
    consts_module.SCALE = 5.0
    try:
        after = compile_numba_kernel(kernel, (x,), (8, 0))
    finally:
        consts_module.SCALE = 2.0
    five = str(np.float64(5.0).view(np.int64))     # the store is of the constant's bits
    assert five in after.ptx and five not in before.ptx


def test_user_intrinsics_compile():
    """An ``@intrinsic`` emitting inline PTX (how emu adds mma.sync and friends) is kept as is."""
    from llvmlite import ir
    from numba.cuda.extending import intrinsic

    @intrinsic
    def lane_id(typingctx):
        def codegen(context, builder, sig, args):
            asm = ir.InlineAsm(ir.FunctionType(ir.IntType(32), []), "mov.u32 $0, %laneid;", "=r")
            return builder.call(asm, [])
        return types.int32(), codegen

    def write_lane(out):
        out[0] = lane_id()

    assert "%laneid" in compile_numba_kernel(write_lane, (np.zeros(1, np.int32),), (8, 0)).ptx


def test_signature_and_cc_are_part_of_the_key(consts_module):
    k64 = _compile_scale(consts_module)
    k32 = compile_numba_kernel(consts_module.scale_kernel, (np.zeros(4, np.float32),), (8, 0))
    k90 = compile_numba_kernel(consts_module.scale_kernel, (np.zeros(4),), (9, 0))
    assert len({k64.ptx, k32.ptx, k90.ptx}) == 3


SECOND_PROCESS = """
import json, sys
import numpy as np
import emu_consts_kernels as m
from emu.frontend import cache, compile_numba_kernel
if len(sys.argv) > 1:
    m.SCALE = float(sys.argv[1])
k = compile_numba_kernel(m.scale_kernel, (np.zeros(4),), (8, 0))
print(json.dumps({"stats": dict(cache.stats), "ptx": k.ptx}))
"""


def _second_process(consts_module, cache_dir, *argv):
    env = dict(os.environ, EMU_CACHE_DIR=str(cache_dir),
               PYTHONPATH=os.pathsep.join([str(REPO), str(Path(consts_module.__file__).parent)]))
    done = subprocess.run([sys.executable, "-c", SECOND_PROCESS, *argv], env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def test_second_process_hits_disk_cache(consts_module, cache_dir):
    here = _compile_scale(consts_module)
    there = _second_process(consts_module, cache_dir)
    assert there["stats"] == {"disk": 1}
    assert there["ptx"] == here.ptx
    changed = _second_process(consts_module, cache_dir, "7.0")
    assert changed["stats"] == {"miss": 1}
    assert changed["ptx"] != here.ptx


def test_corrupt_cache_record_is_a_miss(cache_dir):
    def corrupt_me(x):
        x[0] = 42.0

    x = np.zeros(1)
    good = compile_numba_kernel(corrupt_me, (x,), (8, 0))
    cache.clear_memory()
    (record,) = [p for p in cache_dir.glob("numba-*.json")
                 if json.loads(p.read_text())["record"]["ptx"] == good.ptx]
    record.write_text("{not json")
    misses = cache.stats["miss"]
    again = compile_numba_kernel(corrupt_me, (x,), (8, 0))
    assert cache.stats["miss"] == misses + 1
    # numba numbers each compile in mangled names (ABI tag "v<n>"); the rest is the same
    def unnumbered(ptx):
        return re.sub(r"B\d+v\d+B", "B", ptx)
    assert unnumbered(again.ptx) == unnumbered(good.ptx)
    assert json.loads(record.read_text())["record"]["ptx"] == again.ptx


# -------------------------------------------------------- argument errors
@pytest.mark.parametrize("bad, words", [
    ({"a": 1}, ["argument 1", "'out'", "builtins.dict"]),
    ([1.0, 2.0], ["argument 1", "builtins.list", "reflected list"]),
    (np.array([object()]), ["argument 1", "numpy.ndarray", "Python objects"]),
    (2 ** 70, ["argument 1", "builtins.int", "too large"]),
    ("text", ["argument 1", "builtins.str"]),
    (np.zeros(2, ">f8"), ["argument 1", "numpy.ndarray", "Unsupported array dtype: >f8"]),
])
def test_untypeable_arguments_are_refused(bad, words):
    with pytest.raises(KernelArgumentError) as err:
        compile_numba_kernel(first_element, (np.zeros(1), bad), (8, 0))
    assert isinstance(err.value, TypeError)
    for word in words:
        assert word in str(err.value)
    assert "first_element" in str(err.value)


def test_wrong_argument_count_is_refused():
    with pytest.raises(KernelArgumentError, match="missing a required argument: 'out'"):
        compile_numba_kernel(first_element, (np.zeros(1),), (8, 0))


def test_device_function_cannot_be_launched(consts_module):
    with pytest.raises(TypeError, match="device function"):
        compile_numba_kernel(consts_module.scaled, (1.0,), (8, 0))


# ------------------------------------------------------------ CUDA C++
def test_nvrtc_vector_add(vector_add_sm80):
    k = vector_add_sm80
    assert (k.name, k.entry, k.arg_types) == ("vectorAdd", "_Z9vectorAddPKfS0_Pfi", None)
    assert [p.type for p in k.params] == ["u64", "u64", "u64", "u32"]
    assert ".target sm_80" in k.ptx and "add.f32" in k.ptx
    assert k.source_file == os.path.abspath("kernel.cu")
    assert k.first_line == 8                        # the __global__ line in VECTOR_ADD


def test_nvrtc_kernel_selection_and_templates():
    source = """
    #include <cuda_fp16.h>
    struct Pair { double a; int b; };
    extern "C" __global__ void plain(float *x) { x[0] = 1.0f; }
    namespace ns {
    template <typename T> __global__ void fill(T *x, Pair p) { x[threadIdx.x] = T(p.a); }
    }
    __global__ void halves(__half *x) { x[0] = __hadd(x[0], x[1]); }
    """
    plain = compile_cuda_source(source, "plain", (8, 0))
    assert plain.entry == "plain"
    fill = compile_cuda_source(source, "ns::fill<float>", (8, 0))
    assert fill.entry == "_ZN2ns4fillIfEEvPT_4Pair"
    assert fill.params[1] == PtxParam("_ZN2ns4fillIfEEvPT_4Pair_param_1", "b8", count=16, align=8)
    assert "add.f16" in compile_cuda_source(source, "halves", (8, 0)).ptx
    with pytest.raises(KernelEntryError, match="plain"):
        compile_cuda_source(source, None, (8, 0))


def test_nvrtc_finds_mma_header():
    source = """
    #include <mma.h>
    using namespace nvcuda;
    __global__ void wmma_tile(const half *a, const half *b, float *c) {
      wmma::fragment<wmma::matrix_a, 16, 16, 16, half, wmma::row_major> fa;
      wmma::fragment<wmma::matrix_b, 16, 16, 16, half, wmma::col_major> fb;
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> fc;
      wmma::fill_fragment(fc, 0.0f);
      wmma::load_matrix_sync(fa, a, 16);
      wmma::load_matrix_sync(fb, b, 16);
      wmma::mma_sync(fc, fa, fb, fc);
      wmma::store_matrix_sync(c, fc, 16, wmma::mem_row_major);
    }
    """
    assert "wmma.mma.sync" in compile_cuda_source(source, "wmma_tile", (8, 0)).ptx


def test_nvrtc_error_carries_the_log():
    with pytest.raises(CompileError) as err:
        compile_cuda_source("__global__ void k(float *x) {\n  x[0] = y;\n}\n", "k", (8, 0),
                            filename="broken.cu")
    message = str(err.value)
    assert "broken.cu(2)" in message and 'identifier "y" is undefined' in message


def test_nvrtc_result_is_cached(vector_add_sm80):
    hits = cache.stats["memory"]
    assert compile_cuda_source(VECTOR_ADD, "vectorAdd", (8, 0)) == vector_add_sm80
    assert cache.stats["memory"] == hits + 1


# ------------------------------------------------------------------- raw PTX
def test_load_ptx_text_and_file(vector_add_sm80, tmp_path):
    from_text = load_ptx(vector_add_sm80.ptx)
    assert (from_text.entry, from_text.cc, from_text.source_file) == (vector_add_sm80.entry, (8, 0), "<ptx>")
    assert from_text.ptx.splitlines()[from_text.first_line - 1].startswith(".visible .entry _Z9vectorAdd")
    path = tmp_path / "vadd.ptx"
    path.write_text(vector_add_sm80.ptx)
    for arg in (path, str(path)):
        from_file = load_ptx(arg, entry="_Z9vectorAddPKfS0_Pfi", cc=(9, 0))
        assert (from_file.source_file, from_file.cc) == (str(path), (9, 0))
        assert from_file.params == vector_add_sm80.params


def test_load_ptx_refusals(vector_add_sm80):
    with pytest.raises(KernelEntryError, match="no .entry named 'nope'"):
        load_ptx(vector_add_sm80.ptx, entry="nope")
    with pytest.raises(ValueError, match="cannot run on compute capability 7.0"):
        load_ptx(vector_add_sm80.ptx, cc=(7, 0))
    with pytest.raises(FileNotFoundError):
        load_ptx("no/such/kernel.ptx")
    with pytest.raises(ValueError, match="no .target"):
        load_ptx(".version 8.8\n.entry k()\n{\nret;\n}\n")


def test_ptx_scanning_helpers():
    ptx = textwrap.dedent("""\
        .version 8.8
        .target sm_90a, debug
        .address_size 64
        .visible .entry k(
            .param .u64 .ptr .global .align 16 k_param_0,
            .param .align 8 .b8 k_param_1[24],
            .param .f32 k_param_2
        )
        {
            ret;
        }
        .entry no_params()
        {
            ret;
        }
        """)
    assert ptx_target(ptx) == "sm_90a" and target_cc("sm_120") == (12, 0)
    assert ptx_entries(ptx) == ["k", "no_params"]
    assert entry_params(ptx, "k") == (PtxParam("k_param_0", "u64"),
                                      PtxParam("k_param_1", "b8", count=24, align=8),
                                      PtxParam("k_param_2", "f32"))
    assert entry_params(ptx, "no_params") == ()
    assert load_ptx(ptx, entry="k").cc == (9, 0)
    with pytest.raises(ValueError, match="sm_90a cannot run on compute capability 10.0"):
        load_ptx(ptx, entry="k", cc=(10, 0))
    assert runs_on("sm_80", (9, 0)) and not runs_on("sm_90", (8, 9))
    assert runs_on("sm_100f", (10, 3)) and not runs_on("sm_100f", (12, 0))


# ------------------------------------------------------------------ ptxas
def test_sgemm_resources(sgemm_sm80):
    """ptxas 12.9 (numba-cuda 0.30.4) on the documentation's 16x16 tiled SGEMM, measured:
    30 registers at sm_80 and 32 at sm_90 (DESIGN.md's 32 was a different SGEMM); shared
    memory is exactly the two 16x16 float32 tiles; one barrier (bar.sync 0); no stack.
    The 8 constant bytes at sm_80 are the compiler's bank-4 copy of a 64-bit address."""
    r80 = ptxas_resources(sgemm_sm80.ptx, sgemm_sm80.entry, (8, 0))
    assert (r80.registers_per_thread, r80.shared_bytes_static, r80.barriers) == (30, 2 * 16 * 16 * 4, 1)
    assert (r80.local_bytes, r80.spill_store_bytes, r80.spill_load_bytes) == (0, 0, 0)
    a = np.zeros((64, 64), np.float32)
    k90 = compile_numba_kernel(sgemm_tiled, (a, a, a), (9, 0))
    r90 = ptxas_resources(k90.ptx, k90.entry, (9, 0))
    assert (r90.registers_per_thread, r90.shared_bytes_static, r90.barriers) == (32, 2048, 1)


def test_resources_of_local_and_constant_memory():
    source = """
    __constant__ float coef[64];
    extern "C" __global__ void heavy(float *x, int n) {
      float acc[40];
      for (int i = 0; i < 40; i++) acc[i] = x[i * n] * coef[i];
      float s = 0;
      for (int i = 0; i < 40; i++) s += acc[(i * n) % 40] * acc[i];
      x[threadIdx.x] = s;
    }
    """
    k = compile_cuda_source(source, "heavy", (8, 0))
    r = ptxas_resources(k.ptx, k.entry, (8, 0))
    assert r.local_bytes == 40 * 4                  # acc[40], indexed dynamically: a stack array
    assert r.constant_bytes == 64 * 4               # coef[64]
    assert (r.shared_bytes_static, r.barriers, r.spill_store_bytes) == (0, 0, 0)


def test_resources_of_register_spills():
    """__launch_bounds__(1024, 2) caps registers at 65536 / 2048 = 32; 64 live floats spill."""
    source = """
    extern "C" __global__ void __launch_bounds__(1024, 2) spill(const float *x, float *y, int n) {
      float acc[64];
      #pragma unroll
      for (int j = 0; j < 64; j++) acc[j] = x[j * n + threadIdx.x];
      for (int i = 0; i < n; i++) {
        #pragma unroll
        for (int j = 0; j < 64; j++) acc[j] = acc[j] * acc[(j + 1) % 64] + x[i];
      }
      float s = 0;
      #pragma unroll
      for (int j = 0; j < 64; j++) s += acc[j];
      y[threadIdx.x] = s;
    }
    """
    k = compile_cuda_source(source, "spill", (8, 0))
    r = ptxas_resources(k.ptx, k.entry, (8, 0))
    assert r.registers_per_thread == 32
    assert r.spill_store_bytes > 0 and r.spill_load_bytes > 0
    assert r.local_bytes > 0                        # the spill slots are in the stack frame


def test_resources_are_cached(vector_add_sm80):
    first = ptxas_resources(vector_add_sm80.ptx, vector_add_sm80.entry, (8, 0))
    hits = cache.stats["memory"]
    assert ptxas_resources(vector_add_sm80.ptx, vector_add_sm80.entry, (8, 0)) == first
    assert cache.stats["memory"] == hits + 1


def test_ptxas_failures_are_reported(vector_add_sm80, monkeypatch):
    with pytest.raises(PtxasError, match="SM version specified by .target is higher"):
        ptxas_resources(vector_add_sm80.ptx, vector_add_sm80.entry, (7, 0))
    with pytest.raises(PtxasError, match="Unknown function nope"):
        ptxas_resources(vector_add_sm80.ptx, "nope", (8, 0))
    monkeypatch.setattr(resources, "find_nvidia_binary_utility", lambda name: None)
    with pytest.raises(PtxasError, match="ptxas not found.*nvidia-cuda-nvcc-cu12"):
        ptxas_resources(vector_add_sm80.ptx, vector_add_sm80.entry, (8, 0))
