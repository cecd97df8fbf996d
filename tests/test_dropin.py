"""Drop-in mode: numba.cuda's public API runs on emu (emu.activate), one test per feature of issue 10.

The module activates emu once (sm_80) and deactivates it at the end. Kernels with
explicit signatures compile when decorated, so they are defined inside the tests.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from numba import cuda, float32, guvectorize, int32, vectorize
from numba.cuda.random import (create_xoroshiro128p_states, xoroshiro128p_normal_float32,
                               xoroshiro128p_uniform_float32)

import emu
from debug_kernels import checked_copy
from emu.arch.presets import get_preset

pytestmark = pytest.mark.filterwarnings("ignore::numba.cuda.core.errors.NumbaPerformanceWarning")


@pytest.fixture(scope="module", autouse=True)
def session():
    opened = emu.activate("sm_80")
    yield opened
    emu.deactivate()


@cuda.jit
def add_one(a):
    i = cuda.grid(1)
    if i < a.size:
        a[i] += 1


# ---------------------------------------------------------------- device arrays
def test_device_arrays_round_trip_and_describe_themselves():
    host = np.arange(20, dtype=np.float64).reshape(4, 5)
    d = cuda.to_device(host)
    assert d.shape == (4, 5) and d.dtype == np.float64 and d.size == 20
    assert np.array_equal(d.copy_to_host(), host)
    empty = cuda.device_array((3, 2), dtype=np.int16)
    like = cuda.device_array_like(host)
    assert empty.shape == (3, 2) and like.shape == host.shape and like.dtype == host.dtype
    pointer, read_only = d.__cuda_array_interface__["data"]
    assert pointer == d.device_ctypes_pointer.value and not read_only


def test_slices_of_device_arrays_are_views_a_kernel_writes_through():
    d = cuda.to_device(np.zeros(10, dtype=np.int32))
    add_one[1, 32](d[2:6])
    assert np.array_equal(d.copy_to_host(), [0, 0, 1, 1, 1, 1, 0, 0, 0, 0])
    assert np.array_equal(d[2:4].copy_to_host(), [1, 1])


def test_pinned_and_mapped_arrays():
    pinned = cuda.pinned_array(8, dtype=np.int32)
    pinned[:] = 5
    d = cuda.to_device(pinned)
    add_one[1, 32](d)
    assert np.array_equal(d.copy_to_host(), np.full(8, 6))
    mapped = cuda.mapped_array(8, dtype=np.int32)
    mapped[:] = np.arange(8)
    add_one[1, 32](mapped)              # the kernel works on the host memory itself
    cuda.synchronize()
    assert np.array_equal(mapped, np.arange(8) + 1)


def test_host_arrays_passed_to_a_kernel_are_copied_there_and_back():
    host = np.arange(40, dtype=np.int32)
    add_one[2, 32](host)
    assert np.array_equal(host, np.arange(40) + 1)


def test_device_pointers_persist_across_launches_for_captured_arrays():
    table = cuda.to_device(np.arange(32, dtype=np.float32) * 3)

    @cuda.jit
    def read_table(out):                # `table`'s address is baked into the PTX
        out[cuda.threadIdx.x] = table[cuda.threadIdx.x]

    for _ in range(2):
        cuda.to_device(np.ones(1000))   # other allocations in between do not move it
        out = cuda.device_array(32, dtype=np.float32)
        read_table[1, 32](out)
        assert np.array_equal(out.copy_to_host(), np.arange(32) * 3)


# ---------------------------------------------------------------- kernels
def test_lazy_and_explicit_signatures_and_device_functions():
    @cuda.jit(device=True)
    def square(x):
        return x * x

    @cuda.jit("void(float32, float32[:])")
    def scale(a, x):
        i = cuda.grid(1)
        if i < x.size:
            x[i] = a * square(x[i])

    d = cuda.to_device(np.arange(10, dtype=np.float32))
    scale[1, 32](2.0, d)
    assert np.array_equal(d.copy_to_host(), 2 * np.arange(10, dtype=np.float32) ** 2)
    assert len(scale.overloads) == 1
    d = cuda.to_device(np.arange(10, dtype=np.int32))
    add_one[1, 16](d)                   # lazily typed, here for int32
    assert np.array_equal(d.copy_to_host(), np.arange(10) + 1)


def test_launch_with_stream_and_dynamic_shared_memory():
    @cuda.jit
    def reverse(out):
        buffer = cuda.shared.array(0, dtype=float32)
        t = cuda.threadIdx.x
        buffer[t] = t
        cuda.syncthreads()
        out[t] = buffer[cuda.blockDim.x - 1 - t]

    stream = cuda.stream()
    out = cuda.device_array(64, dtype=np.float32, stream=stream)
    reverse[1, 64, stream, 64 * 4](out)
    stream.synchronize()
    assert np.array_equal(out.copy_to_host(stream=stream), np.arange(64)[::-1])


def test_local_shared_and_const_arrays():
    weights = np.arange(4, dtype=np.int32) * 10

    @cuda.jit
    def mix(out):
        shared = cuda.shared.array(32, dtype=int32)
        local = cuda.local.array(4, dtype=int32)
        const = cuda.const.array_like(weights)
        t = cuda.threadIdx.x
        shared[t] = t
        for k in range(4):
            local[k] = k
        cuda.syncthreads()
        out[t] = shared[31 - t] + local[t % 4] + const[t % 4]

    out = cuda.device_array(32, dtype=np.int32)
    mix[1, 32](out)
    t = np.arange(32)
    assert np.array_equal(out.copy_to_host(), 31 - t + t % 4 + 10 * (t % 4))


def test_debug_asserts_raise_as_numba_raises_them():
    a, out = cuda.to_device(np.arange(64)), cuda.device_array(64, dtype=np.int64)
    with pytest.raises(AssertionError, match=r"tid=\[0, 0, 8\] ctaid=\[0, 0, 1\]: a\[i\] too large"):
        checked_copy[2, 32](a, out)                    # a[40] fails: block 1, thread 8 (numba lists z, y, x)
    checked_copy[1, 32](a, out)                        # the error code was reset for the next launch
    assert np.array_equal(out.copy_to_host()[:32], np.arange(32))


def test_vectorize_guvectorize_and_reduce():
    @vectorize(["float32(float32, float32)"], target="cuda")
    def hypot(a, b):
        return math.sqrt(a * a + b * b)

    @guvectorize(["void(float32[:], float32[:])"], "(n)->()", target="cuda")
    def row_sum(row, out):
        total = 0.0
        for v in row:
            total += v
        out[0] = total

    x = np.arange(100, dtype=np.float32)
    assert np.allclose(hypot(x, x), np.hypot(x, x))
    assert np.array_equal(row_sum(np.arange(12, dtype=np.float32).reshape(3, 4)), [6, 22, 38])
    assert cuda.reduce(lambda a, b: a + b)(np.arange(1000, dtype=np.float64)) == 499500


# ---------------------------------------------------------------- runtime
def _xoroshiro_uniform_reference(s0: int, s1: int, draws: int):
    """numba.cuda.random's xoroshiro128+ and its float32 conversion, in Python integers."""
    mask, values = (1 << 64) - 1, []
    for _ in range(draws):
        result = (s0 + s1) & mask
        s1 ^= s0
        s0 = (((s0 << 55) | (s0 >> 9)) & mask) ^ s1 ^ ((s1 << 14) & mask)
        s1 = ((s1 << 36) | (s1 >> 28)) & mask
        values.append(np.float32((result >> 11) * 2.0 ** -53))
    return values


def test_cuda_random_draws_what_xoroshiro128p_gives():
    @cuda.jit
    def draw(states, uniform, normal):
        i = cuda.grid(1)
        if i < uniform.shape[0]:
            uniform[i, 0] = xoroshiro128p_uniform_float32(states, i)
            uniform[i, 1] = xoroshiro128p_uniform_float32(states, i)
            normal[i] = xoroshiro128p_normal_float32(states, i)

    states = create_xoroshiro128p_states(64, seed=42)
    start = states.copy_to_host()
    uniform = cuda.device_array((64, 2), dtype=np.float32)
    normal = cuda.device_array(64, dtype=np.float32)
    draw[2, 32](states, uniform, normal)
    got = uniform.copy_to_host()
    for i in (0, 1, 63):
        assert list(got[i]) == _xoroshiro_uniform_reference(int(start[i]["s0"]), int(start[i]["s1"]), 2)
    assert np.isfinite(normal.copy_to_host()).all()


def test_grid_sync_in_a_cooperative_launch():
    @cuda.jit
    def rotate(a, b):
        grid = cuda.cg.this_grid()
        i = cuda.grid(1)
        a[i] = i
        grid.sync()                     # every block's writes are seen by every block after this
        b[i] = a[(i + 100) % a.size]

    a, b = cuda.device_array(256, dtype=np.int32), cuda.device_array(256, dtype=np.int32)
    rotate[4, 64](a, b)
    assert np.array_equal(b.copy_to_host(), (np.arange(256) + 100) % 256)


def test_events_measure_the_emulated_time_of_the_launches_between_them(session):
    start, end = cuda.event(), cuda.event()
    start.record()
    add_one[1, 32](cuda.to_device(np.zeros(32)))
    add_one[4, 32](cuda.to_device(np.zeros(128)))
    end.record()
    end.synchronize()
    times = [run.report.time_s for run in session.runs[-2:]]
    assert all(t > 0 for t in times)
    assert start.elapsed_time(end) == pytest.approx(1e3 * sum(times))


def test_events_refuse_a_launch_without_emulated_time(session):
    emu.activate("sm_80", mode="functional")
    try:
        start, end = cuda.event(), cuda.event()
        start.record()
        add_one[1, 32](cuda.to_device(np.zeros(32)))
        end.record()
        end.synchronize()
        with pytest.raises(emu.UnsupportedAPIError, match="functional mode"):
            start.elapsed_time(end)
    finally:
        emu.activate("sm_80", mode="timing")


# ---------------------------------------------------------------- device queries and unsupported APIs
def test_device_queries_come_from_the_preset(capsys):
    preset = get_preset("sm_80")
    device = cuda.get_current_device()
    assert cuda.is_available()
    assert device.compute_capability == (8, 0) and preset.name in device.name
    assert device.MULTIPROCESSOR_COUNT == preset.sm_count
    assert device.MAX_THREADS_PER_BLOCK == preset.max_threads_per_block
    assert device.MAX_SHARED_MEMORY_PER_BLOCK == preset.max_shared_per_block_bytes
    assert cuda.detect()
    assert "Compute Capability: 8.0" in capsys.readouterr().out
    with pytest.raises(emu.UnsupportedAPIError, match="device attribute L2_CACHE_SIZE"):
        device.L2_CACHE_SIZE


def test_unsupported_apis_raise_errors_naming_them():
    with pytest.raises(emu.UnsupportedAPIError, match="cuMemAllocManaged"):
        cuda.managed_array(10)
    with pytest.raises(emu.UnsupportedAPIError, match="cuProfilerStart"):
        cuda.profile_start()


def test_registered_host_memory_can_be_mapped():
    host = np.arange(16, dtype=np.int32)
    with cuda.mapped(host) as mapped:
        add_one[1, 32](mapped)
        cuda.synchronize()
    assert np.array_equal(host, np.arange(16) + 1)


def test_gpu_launch_of_a_configured_launch_says_what_to_do_instead():
    with pytest.raises(TypeError, match=r"add_one\[\(2, 1, 1\), \(128, 1, 1\)\] is a configured launch: call it"):
        emu.GPU("sm_80").launch(add_one[2, 128], 2, 128, (np.zeros(4),))


def test_an_assert_in_linked_cuda_cpp_prints_and_faults(tmp_path, capsys):
    source = tmp_path / "positive.cu"
    source.write_text('#include <cassert>\n'
                      'extern "C" __device__ int positive(int* result, int x) { assert(x > 0); *result = x; return 0; }\n')
    positive = cuda.declare_device("positive", "int32(int32)", link=[str(source)])

    @cuda.jit
    def check(values):
        i = cuda.grid(1)
        values[i] = positive(values[i])

    check[1, 4](cuda.to_device(np.arange(1, 5, dtype=np.int32)))
    with pytest.raises(emu.KernelFault, match="executed trap"):
        check[1, 4](cuda.to_device(np.arange(4, dtype=np.int32)))
    assert "positive.cu:2: int positive(int *, int): Assertion `x > 0` failed." in capsys.readouterr().out


def test_launches_cuda_refuses_raise_cuda_errors():
    from cuda.core._utils.cuda_utils import CUDAError

    @cuda.jit(launch_bounds=128)
    def bounded(a):
        a[cuda.grid(1)] = 1

    out = cuda.device_array(256, dtype=np.int32)
    bounded[2, 128](out)
    with pytest.raises(CUDAError, match=r"CUDA_ERROR_INVALID_VALUE") as refused:
        bounded[1, 256](out)
    assert isinstance(refused.value, emu.LaunchError) and ".maxntid" in str(refused.value)
    with pytest.raises(CUDAError, match="too many resources"):
        add_one[1, 2048](out)


def test_occupancy_query_is_cudas_calculation(session):
    """numba's max_cooperative_grid_blocks goes through cuOccupancyMaxActiveBlocksPerMultiprocessor: emu
    answers with CUDA's occupancy rules and the kernel's registers from ptxas."""
    from emu.arch.occupancy import occupancy
    from emu.frontend import ptxas_resources
    add_one[1, 32](cuda.to_device(np.zeros(32)))
    kernel = add_one.overloads[add_one.signatures[0]]
    got = kernel.max_cooperative_grid_blocks(256)
    compiled = next(f.compiled for f in session.functions.values() if "add_one" in f.name)
    registers = ptxas_resources(compiled.ptx, compiled.entry, session.gpu.preset.cc).registers_per_thread
    assert got == occupancy(session.gpu.preset, 256, registers, 0).ctas_per_sm * session.gpu.preset.sm_count
