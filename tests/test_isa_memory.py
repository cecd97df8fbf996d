"""ld / st / cvta / atom / red in every state space, against exact references.

State spaces: global (kernel arguments and module .global variables), shared
(static and dynamic), local, param (kernel parameters), const (module .const
variables) and generic addresses made with cvta. Types u8 s8 u16 s16 u32 s32
u64 f32 f64, scalar and .v2/.v4. Atomics: many threads hit one address; the
returned old values must form one sequential history (see ``check_history``).
"""
from __future__ import annotations

import struct
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ptxkit as K
from ptxkit import bits_of, mask, signed, value

pytestmark = pytest.mark.both_paths   # each test runs [fast] and [reference]: see tests/conftest.py

FEW = settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
TYPES = ("u8", "s8", "u16", "s16", "u32", "s32", "u64", "s64", "f32", "f64")
NP = {"u8": np.uint8, "s8": np.int8, "u16": np.uint16, "s16": np.int16, "u32": np.uint32, "s32": np.int32,
      "u64": np.uint64, "s64": np.int64, "f32": np.float32, "f64": np.float64, "b32": np.uint32,
      "b64": np.uint64}
SIZE = {t: np.dtype(NP[t]).itemsize for t in NP}
REGDECL = {"u8": "u16", "s8": "s16"}        # no 8-bit registers: 8-bit data lives in 16-bit registers


def raw(values, t):
    """Raw unsigned bit patterns of a numpy array of type t."""
    a = np.asarray(values, dtype=NP[t])
    return a.view(np.dtype(f"u{a.itemsize}")).astype(np.uint64).tolist()


def random_array(t, n, seed):
    rng = np.random.default_rng(seed)
    b = rng.integers(0, 256, size=n * SIZE[t], dtype=np.uint8)
    return b.view(NP[t]).copy()


# ------------------------------------------------------------------ global ld/st, all types
@pytest.mark.parametrize("t", TYPES)
def test_global_copy_every_type(t):
    """ld.global/st.global move every bit pattern unchanged (NaN payloads, -0, subnormals included)."""
    src = random_array(t, 70, 1)
    if t in ("f32", "f64"):
        src[:6] = np.array([np.nan, -0.0, np.inf, -np.inf, 1e-40 if t == "f32" else 5e-324, 1.0], dtype=NP[t])
        bits = src.view(np.dtype(f"u{SIZE[t]}"))
        bits[6] = 0x7FC00001 if t == "f32" else 0x7FF0000000000001      # NaN payloads
        bits[7] = 0xFFBADBAD if t == "f32" else 0xFFF00000DEADBEEF
    dst = np.zeros_like(src)
    r = REGDECL.get(t, t)
    body = f"add.s64 %rd1, %pa0, %o{SIZE[t]};\nld.global.{t} %v, [%rd1];\n" \
           f"add.s64 %rd2, %pa1, %o{SIZE[t]};\nst.global.{t} [%rd2], %v;"
    K.launch(K.pointer_kernel(f"setp.lt.u32 %p1, %gid, 70;\n@!%p1 bra DONE;\n{body}\nDONE:", 2,
                              decls=f".reg .{r} %v;"), [src, dst], grid=2, block=64)
    assert raw(dst, t) == raw(src, t)


def test_load_extends_into_wider_registers():
    """ld.s8/s16/s32 sign-extend and ld.u8/u16/u32 zero-extend into a wider destination register."""
    data = np.array([0x80, 0x7F, 0xFF, 0x01] * 4, dtype=np.uint8)          # 16 bytes
    out = np.zeros(12, dtype=np.uint64)
    body = """
        ld.global.s8 %r1, [%pa0];
        ld.global.u8 %r2, [%pa0];
        ld.global.s16 %r3, [%pa0];
        ld.global.u16 %r4, [%pa0];
        ld.global.s8 %rd1, [%pa0+2];
        ld.global.s32 %rd2, [%pa0];
        ld.global.u32 %rd3, [%pa0];
        ld.global.s16 %rd4, [%pa0+2];
        cvt.u64.u32 %rd5, %r1;
        cvt.u64.u32 %rd6, %r2;
        cvt.u64.u32 %rd7, %r3;
        cvt.u64.u32 %rd8, %r4;
        st.global.u64 [%pa1], %rd5;
        st.global.u64 [%pa1+8], %rd6;
        st.global.u64 [%pa1+16], %rd7;
        st.global.u64 [%pa1+24], %rd8;
        st.global.u64 [%pa1+32], %rd1;
        st.global.u64 [%pa1+40], %rd2;
        st.global.u64 [%pa1+48], %rd3;
        st.global.u64 [%pa1+56], %rd4;
    """
    K.launch(K.pointer_kernel(body, 2), [data, out], block=1)
    assert out[:8].tolist() == [0xFFFFFF80, 0x80, 0x7F80, 0x7F80, mask(-1, 64), 0x01FF7F80, 0x01FF7F80,
                                0x01FF]


def test_address_offsets():
    """[reg+imm], [reg+-imm], [reg-imm] and an immediate-only address of a variable."""
    a = np.arange(16, dtype=np.uint32) * 11
    out = np.zeros(4, dtype=np.uint32)
    body = """
        add.s64 %rd1, %pa0, 32;
        ld.global.u32 %r1, [%rd1+8];
        ld.global.u32 %r2, [%rd1+-4];
        ld.global.u32 %r3, [%rd1-32];
        ld.global.u32 %r4, [%rd1+28];
        st.global.v4.u32 [%pa1], {%r1, %r2, %r3, %r4};
    """
    K.launch(K.pointer_kernel(body, 2), [a, out], block=1)
    assert out.tolist() == [a[10], a[7], a[0], a[15]]


VECTORS = [("v2", "u32"), ("v4", "u32"), ("v2", "u64"), ("v2", "s64"), ("v4", "f32"), ("v2", "f64"),
           ("v4", "u16"), ("v4", "s16"), ("v2", "s8"), ("v4", "u8"), ("v4", "s32"), ("v2", "f32")]


@pytest.mark.parametrize("vec, t", VECTORS, ids=[f"{v}.{t}" for v, t in VECTORS])
@pytest.mark.parametrize("space", ["global", "shared", "local", "generic"])
def test_vector_load_store(vec, t, space):
    """ld.{space}.vN.t / st.{space}.vN.t of whole vectors (shared and local: stored there from registers,
    the registers cleared, loaded back); integer values are also checked extended into a 64-bit register."""
    n = int(vec[1])
    size = SIZE[t]
    threads = 40
    src = random_array(t, threads * n, 7)
    dst = np.zeros_like(src)
    ext = np.zeros(threads * n, dtype=np.uint64)
    regs = ", ".join(f"%v{k}" for k in range(n))
    lines = [f"mul.wide.u32 %rd1, %gid, {n * size};",
             "add.s64 %rd2, %pa0, %rd1;", "add.s64 %rd3, %pa1, %rd1;",
             f"ld.global.{vec}.{t} {{{regs}}}, [%rd2];"]
    if space != "global":
        lines.append("mov.u64 %rd4, buf;")
        if space in ("shared", "generic"):
            lines.append("add.s64 %rd4, %rd4, %rd1;")
        if space == "generic":                  # a generic pointer into shared memory
            lines.append("cvta.shared.u64 %rd4, %rd4;")
        sp = "" if space == "generic" else f".{space}"
        lines.append(f"st{sp}.{vec}.{t} [%rd4], {{{regs}}};")
        lines += [f"mov.b{max(16, 8 * size)} %v{k}, 0;" for k in range(n)]
        lines.append(f"ld{sp}.{vec}.{t} {{{regs}}}, [%rd4];")
    lines.append(f"st.global.{vec}.{t} [%rd3], {{{regs}}};")
    if t[0] in "su":
        lines += [f"mul.wide.u32 %rd7, %gid, {8 * n};", "add.s64 %rd7, %rd7, %pa2;"]
        for k in range(n):
            lines += [f"cvt.{t[0]}64.{t} %rd6, %v{k};", f"st.global.u64 [%rd7+{8 * k}], %rd6;"]
    decls = f".reg .{REGDECL.get(t, t)} %v<{n}>;"
    globals_ = ""
    if space in ("shared", "generic"):
        globals_ = f".shared .align 16 .b8 buf[{threads * n * size}];"
    elif space == "local":
        decls += f"\n.local .align 16 .b8 buf[{n * size}];"
    K.launch(K.pointer_kernel("\n".join(lines), 3, decls=decls, globals_=globals_), [src, dst, ext],
             block=threads)
    assert raw(dst, t) == raw(src, t)
    if t[0] in "su":
        assert ext.tolist() == [mask(value(x, t), 64) for x in raw(src, t)]


def test_read_only_and_uniform_loads():
    """ld.global.nc (read-only path) and ldu return the same data as ld.global."""
    src = random_array("u32", 64, 11)
    dst = np.zeros((64, 3), dtype=np.uint32)
    body = """
        add.s64 %rd1, %pa0, %o4;
        ld.global.nc.u32 %r1, [%rd1];
        ldu.global.u32 %r2, [%pa0+8];
        and.b64 %rd2, %o4, -16;
        add.s64 %rd2, %rd2, %pa0;
        ld.global.nc.v4.u32 {%r3, %r4, %r5, %r6}, [%rd2];
        and.b32 %r7, %gid, 3;
        setp.eq.u32 %p1, %r7, 1;
        selp.u32 %r3, %r4, %r3, %p1;
        setp.eq.u32 %p1, %r7, 2;
        selp.u32 %r3, %r5, %r3, %p1;
        setp.eq.u32 %p1, %r7, 3;
        selp.u32 %r3, %r6, %r3, %p1;
        mul.wide.u32 %rd3, %gid, 12;
        add.s64 %rd3, %rd3, %pa1;
        st.global.u32 [%rd3], %r1;
        st.global.u32 [%rd3+4], %r2;
        st.global.u32 [%rd3+8], %r3;
    """
    K.launch(K.pointer_kernel(body, 2), [src, dst], block=64)
    assert dst[:, 0].tolist() == src.tolist()
    assert dst[:, 1].tolist() == [int(src[2])] * 64
    assert dst[:, 2].tolist() == src.tolist()


# ------------------------------------------------------------------ shared memory
def test_shared_exchange_across_warps():
    """Static shared memory: each thread writes its slot, bar.sync, reads the mirrored slot (other warp)."""
    n = 96
    out = np.zeros(n, dtype=np.uint32)
    body = """
        mov.u32 %r1, %tid.x;
        mul.lo.u32 %r2, %r1, 7;
        add.u32 %r2, %r2, 3;
        mov.u32 %r3, sdata;
        shl.b32 %r4, %r1, 2;
        add.u32 %r5, %r3, %r4;
        st.shared.u32 [%r5], %r2;
        bar.sync 0;
        sub.u32 %r6, 95, %r1;
        shl.b32 %r6, %r6, 2;
        ld.shared.u32 %r7, [sdata+%r6];
    """
    # PTX has no [sym+reg]; build the address in a register instead
    body = body.replace("ld.shared.u32 %r7, [sdata+%r6];", "add.u32 %r8, %r3, %r6;\nld.shared.u32 %r7, [%r8];")
    body += "\nadd.s64 %rd1, %pa0, %o4;\nst.global.u32 [%rd1], %r7;"
    K.launch(K.pointer_kernel(body, 1, globals_=".shared .align 4 .b32 sdata[96];"), [out], block=n)
    assert out.tolist() == [(95 - t) * 7 + 3 for t in range(n)]


def test_shared_every_type_and_symbol_addressing():
    """st.shared/ld.shared of every type at [sym+offset]; 32-bit shared addresses; generic access to the
    variable by name."""
    out = np.zeros(12, dtype=np.uint64)
    body = """
        mov.u16 %h1, 0xFF85;
        st.shared.u8 [sbuf+1], %h1;
        st.shared.u16 [sbuf+2], %h1;
        mov.u32 %r1, 0x89ABCDEF;
        st.shared.u32 [sbuf+4], %r1;
        mov.u64 %rd1, 0xFEDCBA9876543210;
        st.shared.u64 [sbuf+8], %rd1;
        mov.f32 %f1, 0fC0490FDB;
        st.shared.f32 [sbuf+16], %f1;
        mov.f64 %fd1, 0d400921FB54442D18;
        st.shared.f64 [sbuf+24], %fd1;
        ld.shared.s8 %rd2, [sbuf+1];
        ld.shared.u8 %rd3, [sbuf+1];
        ld.shared.s16 %rd4, [sbuf+2];
        ld.shared.u16 %rd5, [sbuf+2];
        ld.shared.s32 %rd6, [sbuf+4];
        ld.shared.u32 %rd7, [sbuf+4];
        ld.shared.u64 %rd8, [sbuf+8];
        ld.shared.f32 %f2, [sbuf+16];
        mov.b32 %r2, %f2;
        cvt.u64.u32 %rd9, %r2;
        ld.shared.f64 %fd2, [sbuf+24];
        mov.b64 %rd10, %fd2;
        mov.u32 %r3, sbuf;
        ld.shared.u32 %r4, [%r3+4];
        cvt.u64.u32 %rd11, %r4;
        ld.u64 %rd12, [sbuf+8];
        st.global.u64 [%pa0], %rd2;
        st.global.u64 [%pa0+8], %rd3;
        st.global.u64 [%pa0+16], %rd4;
        st.global.u64 [%pa0+24], %rd5;
        st.global.u64 [%pa0+32], %rd6;
        st.global.u64 [%pa0+40], %rd7;
        st.global.u64 [%pa0+48], %rd8;
        st.global.u64 [%pa0+56], %rd9;
        st.global.u64 [%pa0+64], %rd10;
        st.global.u64 [%pa0+72], %rd11;
        st.global.u64 [%pa0+80], %rd12;
    """
    K.launch(K.pointer_kernel(body, 1, globals_=".shared .align 8 .b8 sbuf[32];"), [out], block=1)
    assert out.tolist() == [mask(-0x7B, 64), 0x85, mask(-0x7B, 64), 0xFF85, mask(signed(0x89ABCDEF, 32), 64),
                            0x89ABCDEF, 0xFEDCBA9876543210, 0xC0490FDB, 0x400921FB54442D18, 0x89ABCDEF,
                            0xFEDCBA9876543210, 0]


def test_dynamic_shared_memory():
    """extern .shared sized at launch: visible size in %dynamic_smem_size, usable up to its end."""
    n = 64
    out = np.zeros(n, dtype=np.uint32)
    size = np.zeros(1, dtype=np.uint32)
    body = """
        mov.u32 %r1, %tid.x;
        mov.u64 %rd1, dyn;
        mul.wide.u32 %rd2, %r1, 8;
        add.s64 %rd3, %rd1, %rd2;
        add.u32 %r2, %r1, 1000;
        st.shared.u32 [%rd3+4], %r2;
        bar.sync 0;
        xor.b32 %r3, %r1, 1;
        mul.wide.u32 %rd4, %r3, 8;
        add.s64 %rd5, %rd1, %rd4;
        ld.shared.u32 %r4, [%rd5+4];
        add.s64 %rd6, %pa0, %o4;
        st.global.u32 [%rd6], %r4;
        mov.u32 %r5, %dynamic_smem_size;
        st.global.u32 [%pa1], %r5;
    """
    K.launch(K.pointer_kernel(body, 2, globals_=".extern .shared .align 16 .b8 dyn[];"), [out, size], block=n,
             shared_mem=n * 8)
    assert out.tolist() == [(t ^ 1) + 1000 for t in range(n)]
    assert size[0] == n * 8


def test_shared_is_per_block_and_zeroed():
    """Each CTA gets its own shared memory, starting at zero."""
    out = np.zeros(4, dtype=np.uint32)
    body = """
        mov.u32 %r1, %tid.x;
        setp.ne.u32 %p1, %r1, 0;
        @%p1 bra DONE;
        ld.shared.u32 %r2, [cnt];
        mov.u32 %r3, %ctaid.x;
        add.u32 %r4, %r2, %r3;
        add.u32 %r4, %r4, 1;
        st.shared.u32 [cnt], %r4;
        ld.shared.u32 %r5, [cnt];
        mul.wide.u32 %rd1, %r3, 4;
        add.s64 %rd1, %pa0, %rd1;
        st.global.u32 [%rd1], %r5;
    DONE:
    """
    K.launch(K.pointer_kernel(body, 1, globals_=".shared .align 4 .u32 cnt;"), [out], grid=4, block=32)
    assert out.tolist() == [1, 2, 3, 4]


# ------------------------------------------------------------------ local memory
def test_local_memory_is_per_thread():
    """.local arrays: every thread has its own copy (zeroed), at the same local address."""
    n = 40
    out = np.zeros(n, dtype=np.uint64)
    body = """
        mov.u64 %rd1, lbuf;
        ld.local.u32 %r9, [%rd1+12];
        mul.lo.u32 %r1, %gid, 3;
        st.local.u32 [%rd1], %r1;
        st.local.u32 [lbuf+4], %gid;
        mov.u16 %h1, 0xFFFE;
        st.local.s16 [lbuf+8], %h1;
        cvt.u64.u32 %rd2, %gid;
        st.local.u64 [lbuf+16], %rd2;
        ld.local.u32 %r2, [lbuf];
        ld.local.u32 %r3, [%rd1+4];
        ld.local.s16 %r4, [lbuf+8];
        ld.local.u64 %rd3, [lbuf+16];
        add.u32 %r5, %r2, %r3;
        add.u32 %r5, %r5, %r4;
        add.u32 %r5, %r5, %r9;
        cvt.u64.u32 %rd4, %r5;
        add.s64 %rd4, %rd4, %rd3;
        add.s64 %rd5, %pa0, %o8;
        st.global.u64 [%rd5], %rd4;
    """
    K.launch(K.pointer_kernel(body, 1, decls=".local .align 8 .b8 lbuf[24];"), [out], block=n)
    assert out.tolist() == [mask(3 * t + t - 2, 32) + t for t in range(n)]


# ------------------------------------------------------------------ param space
PARAM_TYPES = ("u8", "s8", "u16", "s16", "u32", "s32", "u64", "s64", "f32", "f64")


@FEW
@given(st.data())
def test_param_space_scalars(data):
    """ld.param of every scalar parameter type; signed ones sign-extend into the 64-bit register."""
    values = []
    for t in PARAM_TYPES:
        if t[0] == "f":
            values.append(data.draw(st.floats(width=bits_of(t), allow_nan=False)))
        else:
            bits = bits_of(t)
            lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if t[0] == "s" else (0, (1 << bits) - 1)
            values.append(data.draw(st.integers(lo, hi)))
    out = np.zeros(len(PARAM_TYPES), dtype=np.uint64)
    lines = []
    for j, t in enumerate(PARAM_TYPES):
        if t[0] == "f":
            reg = "%f1" if t == "f32" else "%fd1"
            lines += [f"ld.param.{t} {reg}, [s{j}];",
                      "mov.b32 %r1, %f1;\ncvt.u64.u32 %rd1, %r1;" if t == "f32" else "mov.b64 %rd1, %fd1;"]
        else:
            lines.append(f"ld.param.{t} %rd1, [s{j}];")
        lines.append(f"st.global.u64 [%pa0+{8 * j}], %rd1;")
    text = K.pointer_kernel("\n".join(lines), 1, scalars=PARAM_TYPES)
    args = [out] + [NP[t](v) for t, v in zip(PARAM_TYPES, values)]
    K.launch(text, args, block=1)
    want = []
    for t, v in zip(PARAM_TYPES, values):
        if t == "f32":
            want.append(struct.unpack("<I", struct.pack("<f", v))[0])
        elif t == "f64":
            want.append(struct.unpack("<Q", struct.pack("<d", v))[0])
        else:
            want.append(mask(v, 64))
    assert out.tolist() == want


def test_param_pointer_through_cvta_to_global():
    """The usual numba/nvcc prologue: ld.param.u64 then cvta.to.global.u64 (identity on emu's heap)."""
    a = np.arange(8, dtype=np.int32)
    body = """
        ld.param.u64 %rd1, [p0];
        cvta.to.global.u64 %rd2, %rd1;
        cvta.global.u64 %rd3, %rd2;
        add.s64 %rd4, %rd3, %o4;
        ld.s32 %r1, [%rd4];
        mul.lo.s32 %r1, %r1, -2;
        add.s64 %rd5, %rd2, %o4;
        st.global.s32 [%rd5], %r1;
    """
    K.launch(K.pointer_kernel(body, 1), [a], block=8)
    assert a.tolist() == [-2 * t for t in range(8)]


# ------------------------------------------------------------------ const and global module variables
MODULE_VARS = """
.const .align 4 .b32 ctab[4] = {10, 20, 30, 0xFFFFFFF6};
.const .align 8 .u64 cwide = 0x0123456789ABCDEF;
.const .align 4 .f32 cf = 0f3FC00000;
.const .align 2 .s16 cshort[2] = {-2, 7};
.global .align 4 .u32 gvar[2] = {7, 9};
"""


def test_const_and_global_module_variables():
    n = 8
    out = np.zeros((n, 8), dtype=np.uint64)
    body = """
        and.b32 %r1, %gid, 3;
        mul.wide.u32 %rd1, %r1, 4;
        mov.u64 %rd2, ctab;
        add.s64 %rd3, %rd2, %rd1;
        ld.const.u32 %r2, [%rd3];
        ld.const.s32 %rd4, [ctab+12];
        ld.const.u64 %rd5, [cwide];
        ld.const.f32 %f1, [cf];
        mov.b32 %r3, %f1;
        ld.const.v4.u32 {%r4, %r5, %r6, %r7}, [ctab];
        add.u32 %r4, %r4, %r5;
        add.u32 %r4, %r4, %r6;
        ld.const.s16 %rd6, [cshort];
        ld.global.u32 %r8, [gvar+4];
        mov.u64 %rd7, gvar;
        ld.u32 %r9, [%rd7];
        add.u32 %r8, %r8, %r9;
        mul.wide.u32 %rd8, %gid, 64;
        add.s64 %rd8, %pa0, %rd8;
        cvt.u64.u32 %rd9, %r2;
        st.global.u64 [%rd8], %rd9;
        st.global.u64 [%rd8+8], %rd4;
        st.global.u64 [%rd8+16], %rd5;
        cvt.u64.u32 %rd9, %r3;
        st.global.u64 [%rd8+24], %rd9;
        cvt.u64.u32 %rd9, %r4;
        st.global.u64 [%rd8+32], %rd9;
        st.global.u64 [%rd8+40], %rd6;
        cvt.u64.u32 %rd9, %r8;
        st.global.u64 [%rd8+48], %rd9;
    """
    K.launch(K.pointer_kernel(body, 1, globals_=MODULE_VARS), [out], block=n)
    for t in range(n):
        assert out[t].tolist() == [[10, 20, 30, 0xFFFFFFF6][t % 4], mask(-10, 64), 0x0123456789ABCDEF,
                                   0x3FC00000, 60, mask(-2, 64), 16, 0]


def test_global_module_variable_is_fresh_per_launch():
    """A module .global variable starts from its initializer in every launch; atomics on it work."""
    out = np.zeros(2, dtype=np.uint32)
    body = """
        atom.global.add.u32 %r1, [gvar], 1;
        mov.u32 %r2, %tid.x;
        setp.ne.u32 %p1, %r2, 0;
        @%p1 bra DONE;
        ld.global.u32 %r3, [gvar+4];
        st.global.u32 [%pa0+4], %r3;
    DONE:
        bar.sync 0;
        @%p1 bra END;
        ld.volatile.global.u32 %r4, [gvar];
        st.global.u32 [%pa0], %r4;
    END:
    """
    text = K.pointer_kernel(body, 1, globals_=MODULE_VARS)
    for _ in range(2):
        K.launch(text, [out], block=64)
        assert out.tolist() == [7 + 64, 9]


# ------------------------------------------------------------------ generic addressing and cvta
def test_cvta_round_trips_and_generic_access():
    """cvta.{shared,local,global} to generic and cvta.to.* back; generic ld/st reach the right space."""
    n = 48
    out = np.zeros((n, 6), dtype=np.uint64)
    g = np.zeros(n, dtype=np.uint32)
    body = """
        mov.u64 %rd1, sbuf;
        mul.wide.u32 %rd2, %gid, 4;
        add.s64 %rd3, %rd1, %rd2;
        cvta.shared.u64 %rd4, %rd3;
        add.u32 %r1, %gid, 500;
        st.u32 [%rd4], %r1;
        ld.shared.u32 %r2, [%rd3];
        cvta.to.shared.u64 %rd5, %rd4;
        sub.s64 %rd6, %rd5, %rd3;
        mov.u64 %rd7, lbuf;
        cvta.local.u64 %rd8, %rd7;
        mul.lo.u32 %r3, %gid, 9;
        st.u32 [%rd8+4], %r3;
        ld.local.u32 %r4, [lbuf+4];
        cvta.to.local.u64 %rd9, %rd8;
        sub.s64 %rd10, %rd9, %rd7;
        add.s64 %rd11, %pa1, %o4;
        cvta.global.u64 %rd12, %rd11;
        add.u32 %r5, %gid, 77;
        st.u32 [%rd12], %r5;
        cvta.to.global.u64 %rd13, %rd12;
        sub.s64 %rd14, %rd13, %rd11;
        setp.ne.u64 %p1, %rd4, %rd8;
        selp.u64 %rd15, 1, 0, %p1;
        mul.wide.u32 %rd16, %gid, 48;
        add.s64 %rd16, %pa0, %rd16;
        cvt.u64.u32 %rd17, %r2;
        st.global.u64 [%rd16], %rd17;
        st.global.u64 [%rd16+8], %rd6;
        cvt.u64.u32 %rd17, %r4;
        st.global.u64 [%rd16+16], %rd17;
        st.global.u64 [%rd16+24], %rd10;
        st.global.u64 [%rd16+32], %rd14;
        st.global.u64 [%rd16+40], %rd15;
    """
    K.launch(K.pointer_kernel(body, 2, globals_=".shared .align 4 .b8 sbuf[256];",
                              decls=".local .align 4 .b8 lbuf[8];"), [out, g], block=n)
    for t in range(n):
        assert out[t].tolist() == [t + 500, 0, 9 * t, 0, 0, 1]
    assert g.tolist() == [t + 77 for t in range(n)]


def test_generic_pointer_to_shared_through_function_argument():
    """A generic pointer passed to a .func reaches shared memory (what nvcc emits for a __shared__ array
    passed to a device function)."""
    funcs = """
.func store_twice(.param .b64 ptr, .param .b32 v)
{
    .reg .b64 %q;
    .reg .b32 %w<3>;
    ld.param.b64 %q, [ptr];
    ld.param.b32 %w1, [v];
    add.u32 %w2, %w1, %w1;
    st.u32 [%q], %w2;
    ret;
}
"""
    out = np.zeros(32, dtype=np.uint32)
    body = """
        mov.u64 %rd1, sbuf;
        add.s64 %rd2, %rd1, %o4;
        cvta.shared.u64 %rd3, %rd2;
        {
        .param .b64 a0;
        .param .b32 a1;
        st.param.b64 [a0], %rd3;
        st.param.b32 [a1], %gid;
        call.uni store_twice, (a0, a1);
        }
        bar.sync 0;
        xor.b32 %r1, %gid, 31;
        mul.wide.u32 %rd4, %r1, 4;
        add.s64 %rd5, %rd1, %rd4;
        ld.shared.u32 %r2, [%rd5];
        add.s64 %rd6, %pa0, %o4;
        st.global.u32 [%rd6], %r2;
    """
    K.launch(K.pointer_kernel(body, 1, globals_=".shared .align 4 .b32 sbuf[32];", funcs=funcs), [out], block=32)
    assert out.tolist() == [2 * (t ^ 31) for t in range(32)]


# ------------------------------------------------------------------ atomics
def f32(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


def f64(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def from_f32(b):
    return struct.unpack("<f", struct.pack("<I", b & 0xFFFFFFFF))[0]


def from_f64(b):
    return struct.unpack("<d", struct.pack("<Q", b & mask(-1, 64)))[0]


def atomic_ref(op, t):
    """apply(old, b, c) -> new memory value, on raw bit patterns."""
    bits = 64 if t in ("u64", "s64", "b64", "f64") else 32
    if t == "f32":
        return lambda old, b, c: f32(float(np.float32(from_f32(old)) + np.float32(from_f32(b))))
    if t == "f64":
        return lambda old, b, c: f64(from_f64(old) + from_f64(b))
    v = lambda x: value(x, t)  # noqa: E731
    return {
        "add": lambda old, b, c: mask(old + b, bits),
        "min": lambda old, b, c: mask(min(v(old), v(b)), bits),
        "max": lambda old, b, c: mask(max(v(old), v(b)), bits),
        "exch": lambda old, b, c: b,
        "cas": lambda old, b, c: c if old == b else old,
        "and": lambda old, b, c: old & b,
        "or": lambda old, b, c: old | b,
        "xor": lambda old, b, c: old ^ b,
        "inc": lambda old, b, c: 0 if old >= b else old + 1,
        "dec": lambda old, b, c: b if (old == 0 or old > b) else old - 1,
    }[op]


def check_history(init, final, olds, bs, cs, apply, monotone):
    """The old values returned to the threads must come from one sequential order of the operations.

    Always: the values before and after each operation chain up, i.e. multiset({init} + {apply(old_t)}) ==
    multiset({old_t} + {final}). For operations whose changes never return the memory to an earlier value
    (``monotone``) an order is also rebuilt greedily — applying first the operations that leave the value
    unchanged makes the greedy search exact — and must consume every thread and end at ``final``.
    """
    after = [apply(o, b, c) for o, b, c in zip(olds, bs, cs)]
    assert Counter([init] + after) == Counter(list(olds) + [final]), "old values do not chain into one history"
    if not monotone:
        return
    pending = {}
    for i, o in enumerate(olds):
        pending.setdefault(o, []).append(i)
    current, done = init, 0
    while done < len(olds):
        group = pending.get(current)
        assert group, f"no thread saw the value {current:#x}; history broken after {done} operations"
        same = [i for i in group if after[i] == current]
        i = same[0] if same else group[0]
        group.remove(i)
        current = after[i]
        done += 1
    assert current == final


ATOMIC_CASES = [
    # op, type, operand strategy kind, monotone history
    ("add", "u32", "small", True), ("add", "s32", "small", True), ("add", "u64", "small", True),
    ("add", "f32", "smallf", True), ("add", "f64", "smallf", True),
    ("add", "u32", "any", False), ("add", "s32", "any", False), ("add", "u64", "any", False),
    ("min", "u32", "any", True), ("min", "s32", "any", True), ("min", "u64", "any", True),
    ("min", "s64", "any", True),
    ("max", "u32", "any", True), ("max", "s32", "any", True), ("max", "u64", "any", True),
    ("max", "s64", "any", True),
    ("exch", "b32", "distinct", True), ("exch", "b64", "distinct", True),
    ("cas", "b32", "chain", True), ("cas", "b64", "chain", True),
    ("and", "b32", "any", True), ("or", "b32", "any", True), ("xor", "b32", "any", False),
    ("and", "b64", "any", True), ("or", "b64", "any", True), ("xor", "b64", "any", False),
    ("inc", "u32", "bound", False), ("dec", "u32", "bound", False),
]


def atomic_operands(kind, t, n, data):
    bits = 64 if t in ("u64", "s64", "b64", "f64") else 32
    if kind == "small":
        bs = data.draw(st.lists(st.integers(1, 1000), min_size=n, max_size=n))
        return bs, [0] * n, data.draw(st.integers(0, 1 << 20))
    if kind == "smallf":
        conv = f32 if t == "f32" else f64
        bs = data.draw(st.lists(st.integers(1, 1000), min_size=n, max_size=n))
        return [conv(float(b)) for b in bs], [0] * n, conv(float(data.draw(st.integers(0, 1000))))
    if kind == "distinct":
        bs = data.draw(st.lists(st.integers(1, (1 << bits) - 1), min_size=n, max_size=n, unique=True))
        return bs, [0] * n, 0
    if kind == "chain":          # cas(cmp = i, new = i + 1) from 0: exactly the chain 0 -> 1 -> ... -> n
        perm = data.draw(st.permutations(range(n)))
        return list(perm), [p + 1 for p in perm], 0
    if kind == "bound":
        bound = data.draw(st.sampled_from([0, 1, 5, 31, 100, 0xFFFFFFFF]))
        return [bound] * n, [0] * n, data.draw(st.sampled_from([0, 1, 3, bound, 0xFFFFFFFF]))
    op = st.one_of(st.sampled_from(K.special_values(bits)), st.integers(0, (1 << bits) - 1))
    return data.draw(st.lists(op, min_size=n, max_size=n)), [0] * n, data.draw(op)


def atomic_kernel(op, t, space, returns):
    """Every thread applies atom/red op to one word: global (p0[1]), shared (a __shared__ word seeded from
    p0[1]) or generic (the shared word through cvta.shared). p1/p2: operands b/c, p3: the old values."""
    size = SIZE[t]
    r = "f32" if t == "f32" else "f64" if t == "f64" else f"b{8 * size}"
    c = ", %c" if op == "cas" else ""
    lines = [f"add.s64 %rd1, %pa1, %o{size};", f"ld.global.{r} %b, [%rd1];",
             f"add.s64 %rd2, %pa2, %o{size};", f"ld.global.{r} %c, [%rd2];",
             "mov.u32 %r1, %tid.x;", "setp.eq.u32 %p1, %r1, 0;"]
    if space == "global":
        addr, sp = f"[%pa0+{size}]", ".global"
    else:
        lines += [f"@%p1 ld.global.{r} %v, [%pa0+{size}];", f"@%p1 st.shared.{r} [word], %v;", "bar.sync 0;"]
        if space == "shared":
            addr, sp = "[word]", ".shared"
        else:
            lines += ["mov.u64 %rd3, word;", "cvta.shared.u64 %rd4, %rd3;"]
            addr, sp = "[%rd4]", ""
    if returns:
        lines += [f"atom{sp}.{op}.{t} %old, {addr}, %b{c};",
                  f"add.s64 %rd5, %pa3, %o{size};", f"st.global.{r} [%rd5], %old;"]
    else:
        lines.append(f"red{sp}.{op}.{t} {addr}, %b{c};")
    if space != "global":
        lines += ["bar.sync 0;", f"@%p1 ld.shared.{r} %v, [word];", f"@%p1 st.global.{r} [%pa0+{size}], %v;"]
    decls = f".reg .{r} %b;\n.reg .{r} %c;\n.reg .{r} %old;\n.reg .{r} %v;"
    return K.pointer_kernel("\n".join(lines), 4, decls=decls,
                            globals_=".shared .align 8 .b8 word[8];" if space != "global" else "")


@pytest.mark.parametrize("space", ["global", "shared", "generic"])
@pytest.mark.parametrize("op, t, kind, monotone", ATOMIC_CASES, ids=[f"{o}.{t}-{k}" for o, t, k, _ in ATOMIC_CASES])
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_atomics_contended(op, t, kind, monotone, space, data):
    """Up to 160 threads (several warps; for global two blocks) apply one atom to the same word."""
    grid, block = (2, 80) if space == "global" else (1, 160)
    n = grid * block
    bs, cs, init = atomic_operands(kind, t, n, data)
    ut = f"uint{8 * SIZE[t]}"
    word = np.array([0xAAAAAAAAAAAAAAAA, init, 0x5555555555555555], dtype=np.uint64).astype(ut)
    olds = np.zeros(n, dtype=ut)
    args = [word, np.array(bs, dtype=np.uint64).astype(ut), np.array(cs, dtype=np.uint64).astype(ut), olds]
    K.launch(atomic_kernel(op, t, space, True), args, grid=grid, block=block)
    apply = atomic_ref(op, t)
    check_history(init, int(word[1]), [int(x) for x in olds], bs, cs, apply, monotone)
    assert int(word[0]) == mask(0xAAAAAAAAAAAAAAAA, 8 * SIZE[t]) and \
        int(word[2]) == mask(0x5555555555555555, 8 * SIZE[t]), "neighbouring words changed"
    # red: the same operations without the returned values reach the same final value when the operation
    # commutes (everything except exch and cas, whose final value depends on the order)
    if op not in ("exch", "cas"):
        word2 = np.array([0, init, 0], dtype=np.uint64).astype(ut)
        K.launch(atomic_kernel(op, t, space, False), [word2] + args[1:3] + [np.zeros(n, dtype=ut)],
                 grid=grid, block=block)
        assert int(word2[1]) == int(word[1])


@pytest.mark.parametrize("t", ["u32", "s32", "u64", "s64"])
def test_atomic_min_max_signedness(t):
    """atom.min/max compare as the type says: -5 is below 3 for s32/s64, above it for u32/u64."""
    bits = bits_of(t)
    dt = np.uint64 if bits == 64 else np.uint32
    word = np.array([mask(-5, bits)], dtype=dt)
    out = np.zeros(2, dtype=dt)
    r = "%rd" if bits == 64 else "%r"
    body = f"""
        atom.global.min.{t} {r}1, [%pa0], 3;
        atom.global.max.{t} {r}2, [%pa0], 3;
        st.global.b{bits} [%pa1], {r}1;
        st.global.b{bits} [%pa1+{bits // 8}], {r}2;
    """
    K.launch(K.pointer_kernel(body, 2), [word, out], block=1)
    if t[0] == "s":
        assert [int(x) for x in out] == [mask(-5, bits), mask(-5, bits)]
    else:
        assert [int(x) for x in out] == [mask(-5, bits), 3]
    assert int(word[0]) == 3


def test_red_histogram_many_addresses():
    """red.global.add / red.shared.add on a handful of bins hit by many threads."""
    n = 200
    keys = (np.arange(n) * 7919 % 13).astype(np.uint32)
    hist = np.zeros(13, dtype=np.uint32)
    body = """
        setp.ge.u32 %p1, %gid, 200;
        @%p1 bra DONE;
        add.s64 %rd1, %pa0, %o4;
        ld.global.u32 %r1, [%rd1];
        mul.wide.u32 %rd2, %r1, 4;
        add.s64 %rd3, %pa1, %rd2;
        red.global.add.u32 [%rd3], 1;
        mov.u64 %rd4, sh;
        add.s64 %rd5, %rd4, %rd2;
        red.shared.add.u32 [%rd5], 2;
    DONE:
        bar.sync 0;
        mov.u32 %r2, %tid.x;
        setp.ge.u32 %p2, %r2, 13;
        @%p2 bra END;
        mul.wide.u32 %rd6, %r2, 4;
        add.s64 %rd7, %rd4, %rd6;
        ld.shared.u32 %r3, [%rd7];
        add.s64 %rd8, %pa1, %rd6;
        red.global.add.u32 [%rd8], %r3;
    END:
    """
    K.launch(K.pointer_kernel(body, 2, globals_=".shared .align 4 .b32 sh[13];"), [keys, hist], grid=1,
             block=256)
    want = np.bincount(keys, minlength=13) * 3
    assert hist.tolist() == want.tolist()


def test_cas_retry_loop_counter():
    """A lock-free increment through an atom.cas retry loop: lanes of one warp contend and retry in a
    divergent loop; every thread gets a distinct ticket."""
    n = 96
    word = np.zeros(1, dtype=np.uint32)
    tickets = np.zeros(n, dtype=np.uint32)
    body = """
    RETRY:
        ld.volatile.global.u32 %r1, [%pa0];
        add.u32 %r2, %r1, 1;
        atom.global.cas.b32 %r3, [%pa0], %r1, %r2;
        setp.ne.u32 %p1, %r3, %r1;
        @%p1 bra RETRY;
        add.s64 %rd1, %pa1, %o4;
        st.global.u32 [%rd1], %r1;
    """
    K.launch(K.pointer_kernel(body, 2), [word, tickets], block=n)
    assert word[0] == n
    assert sorted(tickets.tolist()) == list(range(n))


def test_atomic_misaligned_and_out_of_bounds():
    word = np.zeros(4, dtype=np.uint32)
    with pytest.raises(emu_fault(), match="misaligned"):
        K.launch(K.pointer_kernel("atom.global.add.u32 %r1, [%pa0+2], 1;", 1), [word], block=1)
    with pytest.raises(emu_fault(), match="out-of-bounds"):
        K.launch(K.pointer_kernel("atom.global.add.u32 %r1, [%pa0+16], 1;", 1), [word], block=1)
    with pytest.raises(emu_fault(), match="out-of-bounds shared"):
        K.launch(K.pointer_kernel("atom.shared.add.u32 %r1, [w+8], 1;", 1, globals_=".shared .b32 w[2];"),
                 [word], block=1)
    assert word.tolist() == [0, 0, 0, 0]


def emu_fault():
    import emu
    return emu.KernelFault
