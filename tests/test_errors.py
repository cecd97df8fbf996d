"""What a faulty kernel or launch gets from emu: a precise exception, never a hang or a silent write.

Kernel faults (emu.KernelFault) name the kernel, the block and thread, the
source line (Python for numba kernels, the .loc line for PTX) and, for memory
errors, the array; the caller's arrays are left exactly as they were. Launches
CUDA would refuse raise emu.LaunchError; PTX emu cannot run raises
emu.UnsupportedPTXError naming the instruction and its line.
"""
from __future__ import annotations

import inspect

import numpy as np
import pytest
from numba import cuda

import debug_kernels
import emu
import ptxkit as K
from debug_kernels import checked_copy

GPU = emu.GPU("sm_80")
THIS_FILE = __file__.rsplit("/", 1)[-1]


def line_of(fn, text: str) -> int:
    """Line number in its file of the first line of ``fn`` containing ``text``."""
    lines, first = inspect.getsourcelines(fn)
    for k, line in enumerate(lines):
        if text in line:
            return first + k
    raise AssertionError(text)


# ------------------------------------------------------------------ out-of-bounds and misaligned accesses
@cuda.jit
def read_past_end(a, out):
    i = cuda.grid(1)
    out[i] = a[i + 8] * 2


@cuda.jit
def write_past_end(a, out):
    i = cuda.grid(1)
    if i < a.size:
        out[i] = a[i]
    out[i + 3] = 1


def test_out_of_bounds_global_read():
    a = np.arange(40, dtype=np.int32)
    out = np.full(40, -1, dtype=np.int32)
    before = (a.copy(), out.copy())
    with pytest.raises(emu.KernelFault) as info:
        GPU.launch(read_past_end, 2, 32, (a, out))
    msg = str(info.value)
    assert "out-of-bounds global read of 4 bytes" in msg
    assert "read_past_end" in msg and info.value.kernel == "read_past_end"
    # the first thread to run past the end is thread 0 of block (1,0,0): i = 32, a[40]
    assert "block (1, 0, 0), thread (0, 0, 0)" in msg
    assert info.value.block == (1, 0, 0) and info.value.thread == (0, 0, 0)
    assert f"{THIS_FILE}:{line_of(read_past_end, 'a[i + 8]')}" in msg
    assert "out[i] = a[i + 8] * 2" in msg
    assert "past the end of argument 0 (int32[40])" in msg
    assert "not modified" in msg
    assert np.array_equal(a, before[0]) and np.array_equal(out, before[1])


def test_out_of_bounds_global_write():
    a = np.arange(32, dtype=np.int32)
    out = np.zeros(32, dtype=np.int32)
    with pytest.raises(emu.KernelFault) as info:
        GPU.launch(write_past_end, 1, 32, (a, out))
    msg = str(info.value)
    assert "out-of-bounds global write" in msg and "write_past_end" in msg
    assert "thread (29, 0, 0)" in msg, msg
    assert f"{THIS_FILE}:{line_of(write_past_end, 'out[i + 3] = 1')}" in msg
    assert "argument 1 (int32[32])" in msg
    # threads 0..28 stored before the fault; none of it reaches the caller
    assert out.tolist() == [0] * 32


def test_misaligned_accesses():
    data = np.zeros(8, dtype=np.uint32)
    with pytest.raises(emu.KernelFault, match=r"misaligned global read of 4 bytes"):
        K.launch(K.pointer_kernel("ld.global.u32 %r1, [%pa0+2];", 1), [data], block=1)
    with pytest.raises(emu.KernelFault, match=r"misaligned global write of 16 bytes"):
        K.launch(K.pointer_kernel("st.global.v4.u32 [%pa0+4], {%r1, %r1, %r1, %r1};", 1), [data], block=1)
    with pytest.raises(emu.KernelFault, match=r"misaligned shared read of 8 bytes"):
        K.launch(K.pointer_kernel("ld.shared.u64 %rd1, [s+4];", 1, globals_=".shared .align 8 .b8 s[16];"),
                 [data], block=1)
    assert data.tolist() == [0] * 8


@cuda.jit
def shared_overrun(out):
    s = cuda.shared.array(32, dtype=np.int32)
    t = cuda.threadIdx.x
    s[t + 8] = t
    cuda.syncthreads()
    out[t] = s[t]


def test_shared_out_of_bounds():
    out = np.zeros(32, dtype=np.int32)
    with pytest.raises(emu.KernelFault) as info:
        GPU.launch(shared_overrun, 1, 32, (out,))
    msg = str(info.value)
    assert "out-of-bounds shared write of 4 bytes" in msg
    assert "thread (24, 0, 0)" in msg
    assert f"{THIS_FILE}:{line_of(shared_overrun, 's[t + 8] = t')}" in msg
    assert out.tolist() == [0] * 32


def test_local_and_param_out_of_bounds():
    data = np.zeros(2, dtype=np.uint32)
    with pytest.raises(emu.KernelFault, match="out-of-bounds local write"):
        K.launch(K.pointer_kernel("st.local.u32 [buf+64], %r1;", 1, decls=".local .align 4 .b8 buf[16];"),
                 [data], block=1)
    with pytest.raises(emu.KernelFault, match="out-of-bounds param read"):
        K.launch(K.pointer_kernel("ld.param.u64 %rd1, [p0+8];", 1), [data], block=1)
    with pytest.raises(emu.KernelFault, match="out-of-bounds global read"):
        K.launch(K.pointer_kernel("mov.u64 %rd1, 0;\nld.u32 %r1, [%rd1];", 1), [data], block=1)


# ------------------------------------------------------------------ barriers, runaway loops, trap
@cuda.jit
def half_warp_barrier(out):
    if cuda.threadIdx.x < 16:
        cuda.syncthreads()
    out[cuda.threadIdx.x] = 1


def test_barrier_deadlock_is_reported_not_hung():
    out = np.zeros(32, dtype=np.int32)
    with pytest.raises(emu.KernelFault) as info:
        GPU.launch(half_warp_barrier, 1, 32, (out,))
    msg = str(info.value)
    assert "deadlock" in msg and "half_warp_barrier" in msg
    assert "16 threads arrived" in msg
    assert f"{THIS_FILE}:{line_of(half_warp_barrier, 'cuda.syncthreads()')}" in msg
    assert out.tolist() == [0] * 32


def test_barrier_deadlock_between_warps():
    """Two warps wait at different barriers that each expect the whole block."""
    body = """
        mov.u32 %r1, %tid.x;
        setp.lt.u32 %p1, %r1, 32;
        @%p1 bar.sync 1;
        @!%p1 bar.sync 2;
    """
    with pytest.raises(emu.KernelFault, match="deadlock"):
        K.launch(K.pointer_kernel(body, 0), [], block=64)


@cuda.jit
def spin_forever(flag, counter):
    while flag[0] == 0:
        counter[0] += 1


def test_runaway_loop_hits_budget():
    flag = np.zeros(1, dtype=np.int32)
    counter = np.zeros(1, dtype=np.int64)
    with pytest.raises(emu.KernelFault) as info:
        GPU.launch(spin_forever, 1, 32, (flag, counter), budget=20_000)
    msg = str(info.value)
    assert "budget" in msg and "spin_forever" in msg and "runaway" in msg
    assert counter[0] == 0


def test_trap():
    body = """
        setp.eq.u32 %p1, %gid, 37;
        @%p1 trap;
        add.s64 %rd1, %pa0, %o4;
        st.global.u32 [%rd1], %gid;
    """
    out = np.zeros(64, dtype=np.uint32)
    with pytest.raises(emu.KernelFault, match=r"executed trap .* block \(1, 0, 0\), thread \(5, 0, 0\)"):
        K.launch(K.pointer_kernel(body, 1), [out], grid=2, block=32)
    assert out.tolist() == [0] * 64


# ------------------------------------------------------------------ assert and raise in debug=True kernels
def test_failed_assert_raises_assertion_error_naming_thread_and_line():
    a = np.arange(64, dtype=np.int32)
    out = np.full(64, -7, dtype=np.int32)
    with pytest.raises(AssertionError) as info:
        GPU.launch(checked_copy, 2, 32, (a, out))
    msg = str(info.value)
    assert isinstance(info.value, emu.KernelAssertionError) and isinstance(info.value, emu.KernelFault)
    # the first thread to fail stores the error code: i = 40 is thread 8 of block 1
    assert "kernel checked_copy raised AssertionError in block (1, 0, 0), thread (8, 0, 0)" in msg
    assert info.value.block == (1, 0, 0) and info.value.thread == (8, 0, 0)
    assert info.value.source == f"{debug_kernels.__file__}:{line_of(checked_copy, 'assert a[i] < 40')}"
    assert '`assert a[i] < 40, "a[i] too large"`: a[i] too large' in msg
    # threads that passed the assert wrote out[i] on the device; none of it reaches the caller
    assert "not modified" in msg and out.tolist() == [-7] * 64


def test_passing_asserts_let_the_launch_complete():
    a = np.arange(64, dtype=np.int32) % 40
    out = np.zeros(64, dtype=np.int32)
    GPU.launch(checked_copy, 2, 32, (a, out))
    assert out.tolist() == a.tolist()


def test_raise_in_kernel_raises_that_exception():
    a = np.arange(32, dtype=np.int32) - 3
    with pytest.raises(ValueError) as info:
        GPU.launch(checked_copy, 1, 32, (a, np.zeros(32, dtype=np.int32)))
    assert info.value.args[1:] == (-1,)
    assert "raised ValueError in block (0, 0, 0), thread (0, 0, 0)" in info.value.args[0]
    assert info.value.args[0].endswith("`raise ValueError(\"negative input\", -1)`: negative input. "
                                       "The caller's arrays were not modified.")


def test_raise_of_a_local_exception_class_is_a_kernel_fault():
    class Overflow(Exception):
        pass

    @cuda.jit(debug=True, opt=False)
    def guarded(a):
        if a[cuda.grid(1)] > 5:
            raise Overflow("over five")

    with pytest.raises(emu.KernelFault, match=r"raised test_raise_of_a_local_exception_class_is_a_kernel_fault"
                                              r"\.<locals>\.Overflow in block \(0, 0, 0\), thread \(6, 0, 0\)"
                                              r".*: over five"):
        GPU.launch(guarded, 1, 32, (np.arange(32, dtype=np.int32),))


# ------------------------------------------------------------------ launches CUDA refuses
@cuda.jit
def touch(out):
    out[0] = 1


@pytest.mark.parametrize("grid, block, match", [
    (1, 1025, "1025 threads exceeds the 1024-thread limit"),
    (1, (32, 32, 2), "2048 threads"),
    (1, (1, 1, 65), "block dimension z=65"),
    (1, (1025, 1, 1), "1025 threads"),
    ((1, 65536, 1), 1, "grid dimension y=65536"),
    ((1, 1, 65536), 1, "grid dimension z=65536"),
    (0, 32, "invalid grid dimensions"),
    (1, (32, 0), "invalid block dimensions"),
])
def test_launch_limits(grid, block, match):
    out = np.zeros(1, dtype=np.int32)
    with pytest.raises(emu.LaunchError, match=match):
        GPU.launch(touch, grid, block, (out,))
    assert out[0] == 0


def test_too_much_dynamic_shared_memory():
    text = K.pointer_kernel("mov.u64 %rd1, dyn;", 0, globals_=".extern .shared .align 16 .b8 dyn[];")
    K.launch(text, [], block=32, shared_mem=100 * 1024)                      # fine on sm_80 (opt-in 163 KB)
    with pytest.raises(emu.LaunchError, match="shared memory"):
        K.launch(text, [], block=32, shared_mem=200 * 1024)
    with pytest.raises(emu.LaunchError, match=">= 0"):
        K.launch(text, [], block=32, shared_mem=-1)
    with pytest.raises(emu.LaunchError, match="static shared memory"):
        K.launch(K.pointer_kernel("", 0, globals_=".shared .align 4 .b8 big[65536];"), [], block=32)


def test_wrong_arguments():
    out = np.zeros(4, dtype=np.int32)
    # numba kernels are typed from the arguments, so the count is checked against the Python signature
    # (emu.KernelArgumentError: a LaunchError and a TypeError); PTX kernels against their parameter list
    with pytest.raises(emu.KernelArgumentError, match="too many positional arguments"):
        GPU.launch(touch, 1, 1, (out, out))
    with pytest.raises(emu.LaunchError, match="touch"):
        GPU.launch(touch, 1, 1, ())
    with pytest.raises(TypeError, match="touch"):
        GPU.launch(touch, 1, 1, ())
    with pytest.raises(emu.LaunchError, match="takes 3 PTX parameters but the 2 arguments give 2"):
        K.launch(K.pointer_kernel("", 3), [out, out], block=1)
    with pytest.raises(emu.LaunchError, match="cannot be passed"):
        K.launch(K.pointer_kernel("", 1), [[1, 2, 3]], block=1)



@cuda.jit
def scale(out, a, factor):
    i = cuda.grid(1)
    if i < out.size:
        out[i] = a[i] * factor


def test_array_for_scalar_and_scalar_for_array_name_the_argument():
    x = np.ones(4, dtype=np.float32)
    line = f"line {line_of(scale, 'a[i] * factor')} of {__file__}"
    with pytest.raises(emu.KernelArgumentError) as info:
        GPU.launch(scale, 1, 4, (x, x, x))
    assert str(info.value) == (f"kernel 'scale', argument 2 ('factor'): expected a scalar, got an array "
                               f"(array(float32, 1d, C)); {line} uses factor as a scalar")
    with pytest.raises(emu.KernelArgumentError) as info:
        GPU.launch(scale, 1, 4, (x, 2.0, 2.0))
    assert str(info.value) == (f"kernel 'scale', argument 1 ('a'): expected an array, got a scalar (float64); "
                               f"{line} uses a as an array")
    GPU.launch(scale, 1, 4, (x, np.full(4, 3, dtype=np.float32), np.float32(2)))
    assert x.tolist() == [6.0] * 4

# ------------------------------------------------------------------ PTX emu does not run
def located(body: str) -> str:
    """A kernel whose instructions carry .loc lines of a pretend source file 'kernel.cu'."""
    lines = [f".loc 1 {100 + k} 5\n{line}" for k, line in enumerate(body.strip().splitlines())]
    return K.module("\n".join(lines), globals_='.file 1 "kernel.cu"')


@pytest.mark.parametrize("instruction, match", [
    ("brkpt;", r"unsupported PTX instruction 'brkpt'.*kernel\.cu:101"),
    ("frobnicate.u32 %r1, %r2;", r"unsupported PTX instruction 'frobnicate'.*frobnicate\.u32 %r1, %r2;.*kernel\.cu:101"),
    ("prmt.b32.f4e %r1, %r2, %r3, %r4;", r"prmt modes other than the default.*kernel\.cu:101"),
    ("add.u32.bogus %r1, %r2, %r3;", r"unsupported modifier\(s\) \.bogus.*kernel\.cu:101"),
])
def test_unsupported_ptx_names_instruction_and_line(instruction, match):
    text = located(f"mov.u32 %r2, 1;\n{instruction}\nmov.u32 %r3, 2;")
    with pytest.raises(emu.UnsupportedPTXError, match=match):
        K.launch(text, [], block=1)


def test_unsupported_ptx_without_line_info_names_instruction():
    with pytest.raises(emu.UnsupportedPTXError, match="brkpt"):
        K.launch(K.module("brkpt;"), [], block=1)


def test_recursion_is_refused():
    funcs = """
.func loop_forever(.param .b32 x)
{
    .param .b32 y;
    st.param.b32 [y], 1;
    call loop_forever, (y);
    ret;
}
"""
    body = "{\n.param .b32 a;\nst.param.b32 [a], 1;\ncall loop_forever, (a);\n}"
    with pytest.raises(emu.UnsupportedPTXError, match="recursive"):
        K.launch(K.module(body, funcs=funcs), [], block=1)


def test_malformed_ptx_is_an_emu_error_and_a_value_error():
    text = K.module("mov.u32 %r1, 1\nret;")
    with pytest.raises(emu.EmuError) as info:
        K.launch(text, [], block=1)
    assert isinstance(info.value, ValueError) and isinstance(info.value, emu.PTXSyntaxError)
    assert emu.ptx.parser.PTXSyntaxError is emu.PTXSyntaxError
    assert "expected ',' or ';'" in info.value.message
