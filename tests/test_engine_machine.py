"""The engine's machine: the one-instruction issue step, resident CTAs, and stopping a launch with Ctrl-C."""
import os
import signal
import threading
import time

import numpy as np
import pytest

import emu
from emu.engine import control
from emu.engine import layout as L
from kernels.elementwise import vector_add
from ptxkit import launch, pointer_kernel

GPU = emu.GPU("sm_80")


def step_all(prepared):
    """Drive a prepared launch with control.issue alone, warp by warp; returns every issued record
    (pc, mask, space, access bytes, address rows) with a copy of the first address row."""
    m = prepared.machine
    grid = m.grid
    records = []
    while grid[L.G_NEXT_CTA] < grid[L.G_END_CTA]:
        for slot in range(grid[L.G_SLOTS]):
            if grid[L.G_NEXT_CTA] < grid[L.G_END_CTA]:
                control.start_cta(slot, grid[L.G_NEXT_CTA], m.warps, m.slots, m.memory, m.out, grid)
                grid[L.G_NEXT_CTA] += 1
        for gw in range(grid[L.G_SLOTS] * grid[L.G_CTA_WARPS]):
            while True:
                r = control.issue(gw, *m.arguments)
                if r == L.R_DONE:
                    break
                assert r == L.R_ISSUED, r
                records.append((*m.scratch.issued.copy(), m.scratch.addresses[0].copy()))
        control.retire_ctas(m.warps, m.slots, grid)
    return records


def test_issue_executes_one_instruction_and_reports_addresses():
    n = 100
    a = np.arange(n, dtype=np.float32)
    b = np.full(n, 0.5, dtype=np.float32)
    out = np.zeros(n, dtype=np.float32)
    prepared = GPU.prepare(vector_add, grid=2, block=64, args=(a, b, out))
    records = step_all(prepared)
    run = prepared.finish(0.0)
    np.testing.assert_array_equal(out, a + b)
    # every call issued exactly one instruction, and they are all the engine counted
    assert len(records) == run.report.warp_instructions == int(run.instruction_counts.sum())
    accesses = [r for r in records if r[L.I_SPACE] == L.SP_GLOBAL]
    offsets = [alloc.offset for _, alloc in prepared.copies]          # a, b, out
    # the first warp (threads 0..31 of CTA 0) reads a[0..31] and b[0..31] and writes out[0..31]:
    # 4-byte accesses at consecutive addresses
    first_warp = [r for r in accesses if r[L.I_MASK] == L.FULL and r[-1][0] in offsets]
    assert sorted(r[-1][0] for r in first_warp) == offsets
    for r in first_warp:
        assert r[L.I_ACCESS_BYTES] == 4 and r[L.I_ADDRESS_ROWS] == 1
        np.testing.assert_array_equal(r[-1], r[-1][0] + 4 * np.arange(32))
    # the tail warp of CTA 1 has elements 96..99: a partial mask, inactive lanes at offset 0
    tail = [r for r in accesses if r[L.I_MASK] == 0xF]
    assert sorted(r[-1][0] for r in tail) == [o + 4 * 96 for o in offsets]
    for r in tail:
        assert not r[-1][4:].any()


def test_ctas_are_resident_together():
    """Block 0 waits for a flag that block 1 sets: it can only finish if both CTAs live on the SM at
    once, as on hardware (run one after the other, block 0 would spin until the budget)."""
    body = """
        mov.u32 %r1, %ctaid.x;
        setp.eq.u32 %p1, %r1, 1;
        @%p1 bra SET;
    WAIT:
        ld.volatile.global.u32 %r2, [%pa0];
        setp.eq.u32 %p2, %r2, 0;
        @%p2 bra WAIT;
        st.global.u32 [%pa0+4], %r2;
        bra DONE;
    SET:
        mov.u32 %r3, 7;
        st.volatile.global.u32 [%pa0], %r3;
    DONE:
    """
    flag = np.zeros(2, dtype=np.uint32)
    launch(pointer_kernel(body, 1), [flag], grid=2, block=1, budget=10_000_000)
    assert flag.tolist() == [7, 7]


def test_each_resident_cta_has_its_own_shared_memory_and_barriers():
    """Many CTAs at once, each writing its index to shared memory, syncing and reading a neighbour's
    slot: a shared window or barrier shared between resident CTAs would mix their values."""
    body = """
        mov.u32 %r1, %ctaid.x;
        mov.u32 %r2, %tid.x;
        shl.b32 %r3, %r2, 2;
        mov.u32 %r4, sm;
        add.u32 %r5, %r4, %r3;
        add.u32 %r6, %r1, %r2;
        st.shared.u32 [%r5], %r6;
        bar.sync 0;
        xor.b32 %r7, %r2, 1;
        shl.b32 %r7, %r7, 2;
        add.u32 %r7, %r4, %r7;
        ld.shared.u32 %r8, [%r7];
        add.s64 %rd1, %pa0, %o4;
        st.global.u32 [%rd1], %r8;
    """
    ctas, threads = 40, 64
    out = np.zeros(ctas * threads, dtype=np.uint32)
    text = pointer_kernel(body, 1, decls=".shared .align 4 .b8 sm[256];")
    launch(text, [out], grid=ctas, block=threads)
    cta = np.repeat(np.arange(ctas), threads)
    tid = np.tile(np.arange(threads), ctas)
    np.testing.assert_array_equal(out, cta + (tid ^ 1))


def test_ctrl_c_stops_a_long_kernel_promptly_and_leaves_arrays_untouched():
    body = """
        mov.u32 %r1, 0;
    LOOP:
        add.u32 %r1, %r1, 1;
        bra LOOP;
    """
    data = np.arange(64, dtype=np.uint32)
    before = data.copy()
    timer = threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    start = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        launch(pointer_kernel("st.global.u32 [%pa0], %gid;" + body, 1), [data], grid=2, block=32,
               budget=10 ** 12)
    stopped_after = time.perf_counter() - start
    timer.join()
    assert stopped_after < 10, f"Ctrl-C took {stopped_after:.1f} s to stop the kernel"
    np.testing.assert_array_equal(data, before)


def test_hot_instruction_forms_take_the_fast_paths():
    """The decoder's F_FAST choice for the lecture's tiled SGEMM: every executed integer, f32, compare
    and select instruction runs on a whole-row fast path (a per-lane fallback there costs ~20x)."""
    from emu.isa.table import OPCODES
    from kernels.gemm import TPB, gemm_tiled
    n = 32
    A = np.ones((n, n), np.float32)
    run = GPU.launch(gemm_tiled, (n // TPB, n // TPB), (TPB, TPB), (A, A.copy(), np.zeros_like(A)))
    code = run.program.code
    executed = np.flatnonzero(run.instruction_counts)
    slow = {OPCODES[code[pc, L.F_OP]].name for pc in executed if code[pc, L.F_FAST] == L.FAST_NONE}
    assert slow <= {"ld", "st", "bra", "bar", "exit", "cvta", "mov", "or"}, slow
    assert {OPCODES[code[pc, L.F_OP]].name for pc in executed if code[pc, L.F_FAST] != L.FAST_NONE} >= \
        {"fma", "setp", "add", "mul"}


def test_instruction_registers_name_implicit_operands():
    """What a timing model's scoreboard needs per instruction: the registers read and written,
    the guard predicate, the carry flag of add.cc/addc and bar.red's late destination included."""
    from emu.engine.operands import instruction_registers
    body = """
        mov.u32 %r2, 1;
        mov.u32 %r3, 2;
        add.cc.u32 %r1, %r2, %r3;
        addc.u32 %r4, %r2, %r3;
        setp.eq.u32 %p1, %r4, 3;
        @!%p1 add.u32 %r5, %r4, 1;
        bar.red.popc.u32 %r6, 0, !%p1;
    """
    prepared = GPU.prepare(emu.ptx_kernel(pointer_kernel(body, 1), "k"), 1, 32, (np.zeros(1, np.uint32),))
    program = prepared.program
    reads, writes = np.zeros(64, np.int64), np.zeros(64, np.int64)

    def names(pc):
        n, m = instruction_registers(program.code, program.opnd_kind, program.opnd_val, pc, reads, writes)
        return ({program.slot_names[v].split(":")[-1] for v in reads[:n]},
                {program.slot_names[v].split(":")[-1] for v in writes[:m]})

    texts = [ins.text.strip() if ins is not None else "" for ins in program.sources]
    at = {text.split(";")[0]: pc for pc, text in enumerate(texts)}
    carry = program.slot_names[program.code[at["addc.u32 %r4, %r2, %r3"], L.F_AUX]].split(":")[-1]
    assert names(at["add.cc.u32 %r1, %r2, %r3"]) == ({"%r2", "%r3"}, {"%r1", carry})
    assert names(at["addc.u32 %r4, %r2, %r3"]) == ({"%r2", "%r3", carry}, {"%r4"})
    assert names(at["@!%p1 add.u32 %r5, %r4, 1"]) == ({"%p1", "%r4"}, {"%r5"})
    assert names(at["bar.red.popc.u32 %r6, 0, !%p1"]) == ({"%p1"}, {"%r6"})
