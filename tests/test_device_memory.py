"""DeviceMemory: allocations at fixed addresses that outlive launches, and launches that run on them.

A launch on a DeviceMemory (GPU.launch(..., device_memory=...)) sees its allocations at
their addresses and contents, writes its results back only if it completes, and keeps its
module's globals there (numba reads a debug kernel's error code from them).
"""
from __future__ import annotations

import numpy as np
import pytest

import emu
from emu.engine import layout as L
from emu.engine.memory import ALIGN, DeviceMemory
from emu.launch import load_module

GPU = emu.GPU("sm_80")

ADD_ONE_PTX = """
.version 7.0
.target sm_80
.address_size 64
.global .align 4 .u32 calls;
.visible .entry add_one(.param .u64 p, .param .u32 n)
{
    .reg .pred %p<2>;
    .reg .b32 %r<6>;
    .reg .b64 %rd<4>;
    ld.param.u64 %rd1, [p];
    ld.param.u32 %r1, [n];
    mov.u32 %r2, %tid.x;
    setp.ge.u32 %p1, %r2, %r1;
    @%p1 bra DONE;
    mul.wide.u32 %rd2, %r2, 4;
    add.s64 %rd3, %rd1, %rd2;
    ld.global.u32 %r3, [%rd3];
    add.u32 %r3, %r3, 1;
    st.global.u32 [%rd3], %r3;
    setp.ne.u32 %p1, %r2, 0;
    @%p1 bra DONE;
    atom.global.add.u32 %r4, [calls], 1;
DONE:
    ret;
}
"""


def test_allocations_keep_their_addresses_and_reuse_freed_space():
    memory = DeviceMemory()
    a = memory.allocate("a", 100)
    b = memory.allocate("b", 1000)
    assert a.address == L.GLOBAL_BASE and b.address % ALIGN == 0 and b.address > a.address + 100
    memory.free(a.address)
    c = memory.allocate("c", 50)
    assert c.address == a.address                       # first fit into the freed range
    assert memory.find(b.address + 999) is b and memory.find(b.address + 1000) is None
    big = memory.allocate("big", 3 << 20)               # grows the buffer; earlier allocations stay put
    assert memory.find(b.address) is b and big.address > b.address
    memory.free(big.address)
    assert memory.top < big.address - L.GLOBAL_BASE     # launches copy only the part in use
    with pytest.raises(ValueError, match="not the start of a live allocation"):
        memory.free(b.address + 4)


def test_freed_memory_is_out_of_bounds_for_a_kernel():
    memory = DeviceMemory()
    alloc = memory.allocate("x", 64)
    memory.free(alloc.address)
    with pytest.raises(emu.KernelFault, match="out-of-bounds global read"):
        GPU.launch(emu.ptx_kernel(ADD_ONE_PTX), 1, 32, (alloc.address, 16), device_memory=memory)


def test_launches_on_device_memory_see_and_keep_its_contents():
    memory = DeviceMemory()
    data = memory.allocate("data", 32 * 4, np.arange(32, dtype=np.uint32).tobytes())
    kernel = emu.ptx_kernel(ADD_ONE_PTX)
    for _ in range(3):
        GPU.launch(kernel, 1, 32, (data.address, 32), device_memory=memory)
    assert np.array_equal(memory.bytes_at(data.address, 128).view(np.uint32), np.arange(32) + 3)
    compiled = GPU.compile(kernel)
    (calls,) = load_module(compiled, memory).values()   # the module global lives in device memory
    assert memory.bytes_at(calls.address, 4).view(np.uint32)[0] == 3


def test_a_faulting_launch_leaves_device_memory_as_it_was():
    memory = DeviceMemory()
    data = memory.allocate("data", 16 * 4, np.zeros(16, np.uint32).tobytes())
    with pytest.raises(emu.KernelFault):
        GPU.launch(emu.ptx_kernel(ADD_ONE_PTX), 1, 32, (data.address, 32), device_memory=memory)
    assert not memory.bytes_at(data.address, 64).any()


def test_cooperative_launch_refuses_a_grid_that_cannot_be_resident():
    with pytest.raises(emu.LaunchError, match="COOPERATIVE_LAUNCH_TOO_LARGE"):
        GPU._cooperative_ctas(GPU.compile(emu.ptx_kernel(ADD_ONE_PTX)), 10**6, (1024, 1, 1))
