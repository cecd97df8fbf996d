"""Warp-level, barrier, special-register and control-flow PTX instructions.

shfl.sync (every mode, per-lane lane operands and clamp/segment values, the
predicate output) is checked against the PTX ISA pseudo-code; vote, activemask,
redux and match run in divergent code so that only the active lanes take part;
bar.sync / bar.arrive with barrier ids and thread counts, bar.red; special
registers in a 3D launch; bra / call / ret / exit.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ptxkit as K
from ptxkit import mask, signed

pytestmark = pytest.mark.both_paths   # each test runs [fast] and [reference]: see tests/conftest.py

SOME = settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
FEW = settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
WARPS = 2
N = 32 * WARPS


# ------------------------------------------------------------------ shfl.sync
def shfl_ref(mode, lane, b, c, src):
    """PTX ISA pseudo-code of shfl.sync for one lane; src: the warp's 32 values of a. Returns (d, p)."""
    bval = b & 0x1F
    cval = c & 0x1F
    segmask = (c >> 8) & 0x1F
    max_lane = (lane & segmask) | (cval & ~segmask & 0x1F)
    min_lane = lane & segmask
    if mode == "up":
        j, ok = lane - bval, lane - bval >= max_lane
    elif mode == "down":
        j, ok = lane + bval, lane + bval <= max_lane
    elif mode == "bfly":
        j, ok = lane ^ bval, (lane ^ bval) <= max_lane
    else:
        j = min_lane | (bval & ~segmask & 0x1F)
        ok = j <= max_lane
    if not ok:
        j = lane
    return src[j], int(ok)


def cuda_c(mode, width):
    """The c operand CUDA's __shfl_*_sync(..., width) passes."""
    return ((32 - width) << 8) | (0 if mode == "up" else 0x1F)


C_VALUES = st.one_of(
    st.sampled_from([cuda_c(m, w) for m in ("up", "down") for w in (1, 2, 4, 8, 16, 32)]),
    st.integers(0, 0x1FFF), st.integers(0, 0xFFFFFFFF))
B_VALUES = st.one_of(st.integers(0, 40), st.integers(0, 0xFFFFFFFF))


@pytest.mark.parametrize("mode", ["up", "down", "bfly", "idx"])
@SOME
@given(data=st.data())
def test_shfl_per_lane_operands(mode, data):
    """b and c differ from lane to lane (registers); d and the in-range predicate p for every lane."""
    a = data.draw(st.lists(st.integers(0, 0xFFFFFFFF), min_size=N, max_size=N))
    uniform = data.draw(st.booleans())
    if uniform:
        b = [data.draw(B_VALUES)] * N
        c = [data.draw(C_VALUES)] * N
    else:
        b = data.draw(st.lists(B_VALUES, min_size=N, max_size=N))
        c = data.draw(st.lists(C_VALUES, min_size=N, max_size=N))
    got = K.run(f"shfl.sync.{mode}.b32 %d|%p, %a, %b, %c, 0xffffffff;",
                {"a": ("b32", a), "b": ("u32", b), "c": ("u32", c)}, {"d": "b32", "p": "pred"})
    for i in range(N):
        w = i // 32 * 32
        want = shfl_ref(mode, i % 32, b[i], c[i], a[w:w + 32])
        assert (got["d"][i], got["p"][i]) == want, f"lane {i}: b={b[i]:#x} c={c[i]:#x}"


@pytest.mark.parametrize("mode, delta, width", [("down", 1, 32), ("down", 3, 8), ("up", 1, 32), ("up", 2, 4),
                                                ("bfly", 16, 32), ("bfly", 1, 2), ("idx", 5, 32),
                                                ("idx", 3, 8), ("idx", 37, 32), ("down", 33, 32)])
def test_shfl_matches_cuda_semantics(mode, delta, width):
    """The immediate forms CUDA emits, against CUDA's documented __shfl_*_sync results."""
    a = [1000 + i for i in range(N)]
    got = K.run(f"shfl.sync.{mode}.b32 %d|%p, %a, {delta}, {cuda_c(mode, width)}, -1;", {"a": ("u32", a)},
                {"d": "u32", "p": "pred"})
    for i in range(N):
        lane = i % 32
        seg = lane // width * width
        d = delta & 31
        if mode == "down":
            ok = lane % width + d < width
            src = lane + d if ok else lane
        elif mode == "up":
            ok = lane % width - d >= 0
            src = lane - d if ok else lane
        elif mode == "bfly":
            ok = (lane ^ d) // width == lane // width
            src = lane ^ d if ok else lane
        else:
            ok, src = True, seg + d % width
        assert (got["d"][i], got["p"][i]) == (1000 + i // 32 * 32 + src, int(ok)), f"lane {i}"


def test_shfl_partial_warp_full_segment():
    """In a warp of 20 threads, shfl among the existing lanes only (membermask 0xfffff)."""
    a = np.arange(20, dtype=np.uint32) * 3
    d = np.zeros(20, dtype=np.uint32)
    body = """
        add.s64 %rd1, %pa0, %o4;
        ld.global.u32 %r1, [%rd1];
        shfl.sync.idx.b32 %r2, %r1, 19, 0x1f, 0xfffff;
        shfl.sync.bfly.b32 %r3, %r1, 1, 0x1f, 0xfffff;
        add.u32 %r4, %r2, %r3;
        add.s64 %rd2, %pa1, %o4;
        st.global.u32 [%rd2], %r4;
    """
    K.launch(K.pointer_kernel(body, 2), [a, d], block=20)
    assert d.tolist() == [57 + 3 * (t ^ 1) for t in range(20)]


# ------------------------------------------------------------------ vote, activemask, redux, match
def active_masks(act):
    masks = []
    for w in range(0, len(act), 32):
        masks.append(sum(1 << i for i, x in enumerate(act[w:w + 32]) if x))
    return masks


DIVERGE = "@!%act bra SKIP;"


@SOME
@given(data=st.data())
def test_vote_and_activemask_in_divergent_code(data):
    act = data.draw(st.lists(st.integers(0, 1), min_size=N, max_size=N))
    v = data.draw(st.one_of(st.lists(st.integers(0, 1), min_size=N, max_size=N),
                            st.sampled_from([[1] * N, [0] * N])))
    body = f"""
        mov.u32 %am, 0xDEADBEEF;
        mov.u32 %ballot, 0xDEADBEEF;
        mov.u32 %nballot, 0xDEADBEEF;
        setp.ne.u32 %all, %gid, %gid;
        setp.ne.u32 %any, %gid, %gid;
        setp.ne.u32 %uni, %gid, %gid;
        setp.ne.u32 %nall, %gid, %gid;
        {DIVERGE}
        activemask.b32 %am;
        vote.sync.ballot.b32 %ballot, %v, %am;
        vote.sync.ballot.b32 %nballot, !%v, %am;
        vote.sync.all.pred %all, %v, %am;
        vote.sync.any.pred %any, %v, %am;
        vote.sync.uni.pred %uni, %v, %am;
        vote.sync.all.pred %nall, !%v, %am;
    SKIP:
    """
    outs = {"am": "b32", "ballot": "b32", "nballot": "b32", "all": "pred", "any": "pred", "uni": "pred",
            "nall": "pred"}
    got = K.run(body, {"act": ("pred", act), "v": ("pred", v)}, outs)
    masks = active_masks(act)
    for i in range(N):
        m = masks[i // 32]
        ballot = sum(1 << k for k in range(32) if (m >> k) & 1 and v[i // 32 * 32 + k])
        if act[i]:
            want = dict(am=m, ballot=ballot, nballot=m & ~ballot, all=int(ballot == m), any=int(ballot != 0),
                        uni=int(ballot in (0, m)), nall=int(ballot == 0))
        else:
            want = dict(am=0xDEADBEEF, ballot=0xDEADBEEF, nballot=0xDEADBEEF, all=0, any=0, uni=0, nall=0)
        assert {k: got[k][i] for k in outs} == want, f"lane {i}"


REDUX = {
    "add.u32": lambda xs: sum(xs), "add.s32": lambda xs: sum(xs),
    "min.u32": min, "max.u32": max,
    "min.s32": lambda xs: min(signed(x, 32) for x in xs), "max.s32": lambda xs: max(signed(x, 32) for x in xs),
    "and.b32": lambda xs: _fold(xs, lambda a, b: a & b), "or.b32": lambda xs: _fold(xs, lambda a, b: a | b),
    "xor.b32": lambda xs: _fold(xs, lambda a, b: a ^ b),
}


def _fold(xs, f):
    acc = xs[0]
    for x in xs[1:]:
        acc = f(acc, x)
    return acc


@SOME
@given(data=st.data())
def test_redux_sync_in_divergent_code(data):
    act = data.draw(st.one_of(st.lists(st.integers(0, 1), min_size=N, max_size=N), st.just([1] * N)))
    a = data.draw(st.lists(st.one_of(st.sampled_from(K.special_values(32)), st.integers(0, 0xFFFFFFFF)),
                           min_size=N, max_size=N))
    names = {op: op.replace(".", "_") for op in REDUX}
    body = "\n".join(f"mov.u32 %{n}, 0xDEADBEEF;" for n in names.values()) + f"\n{DIVERGE}\n" + \
        "activemask.b32 %am;\n" + \
        "\n".join(f"redux.sync.{op} %{n}, %a, %am;" for op, n in names.items()) + "\nSKIP:"
    got = K.run(body, {"act": ("pred", act), "a": ("u32", a)}, {n: "u32" for n in names.values()},
                decls=".reg .b32 %am;")
    masks = active_masks(act)
    for i in range(N):
        w = i // 32 * 32
        members = [a[w + k] for k in range(32) if (masks[i // 32] >> k) & 1]
        for op, n in names.items():
            want = mask(REDUX[op](members), 32) if act[i] else 0xDEADBEEF
            assert got[n][i] == want, f"redux.{op} lane {i}"


@pytest.mark.parametrize("t", ["b32", "b64"])
@SOME
@given(data=st.data())
def test_match_sync_in_divergent_code(t, data):
    bits = 32 if t == "b32" else 64
    act = data.draw(st.one_of(st.lists(st.integers(0, 1), min_size=N, max_size=N), st.just([1] * N)))
    pool = data.draw(st.lists(st.integers(0, (1 << bits) - 1), min_size=1, max_size=4))
    a = data.draw(st.lists(st.sampled_from(pool), min_size=N, max_size=N))
    body = f"""
        mov.u32 %any, 0xDEADBEEF;
        mov.u32 %all, 0xDEADBEEF;
        setp.ne.u32 %p, %gid, %gid;
        {DIVERGE}
        activemask.b32 %am;
        match.any.sync.{t} %any, %a, %am;
        match.all.sync.{t} %all|%p, %a, %am;
    SKIP:
    """
    got = K.run(body, {"act": ("pred", act), "a": (t, a)}, {"any": "b32", "all": "b32", "p": "pred"},
                decls=".reg .b32 %am;")
    masks = active_masks(act)
    for i in range(N):
        m, w = masks[i // 32], i // 32 * 32
        if not act[i]:
            assert (got["any"][i], got["all"][i], got["p"][i]) == (0xDEADBEEF, 0xDEADBEEF, 0)
            continue
        same = sum(1 << k for k in range(32) if (m >> k) & 1 and a[w + k] == a[i])
        uniform = same == m
        assert got["any"][i] == same
        assert (got["all"][i], got["p"][i]) == ((m, 1) if uniform else (0, 0))


# ------------------------------------------------------------------ barriers
def test_named_barriers_with_thread_counts():
    """Two groups of two warps each synchronise on their own barrier (bar.sync id, 64) and exchange data
    through shared memory; a register barrier id, barrier.sync and bar.warp.sync work too."""
    n = 128
    out = np.zeros(n, dtype=np.uint32)
    body = """
        mov.u32 %r1, %tid.x;
        shr.u32 %r2, %r1, 6;
        mov.u32 %r10, sbuf;
        shl.b32 %r11, %r1, 2;
        add.u32 %r12, %r10, %r11;
        mul.lo.u32 %r3, %r1, 5;
        st.shared.u32 [%r12], %r3;
        setp.eq.u32 %p1, %r2, 0;
        @%p1 bar.sync 1, 64;
        @!%p1 bar.sync 2, 64;
        xor.b32 %r4, %r1, 32;
        shl.b32 %r13, %r4, 2;
        add.u32 %r14, %r10, %r13;
        ld.shared.u32 %r5, [%r14];
        mov.u32 %r6, 3;
        bar.sync %r6;
        add.u32 %r7, %r5, 1;
        st.shared.u32 [%r12], %r7;
        barrier.sync 4;
        xor.b32 %r8, %r1, 64;
        shl.b32 %r15, %r8, 2;
        add.u32 %r16, %r10, %r15;
        ld.shared.u32 %r9, [%r16];
        bar.warp.sync 0xffffffff;
        add.s64 %rd1, %pa0, %o4;
        st.global.u32 [%rd1], %r9;
    """
    K.launch(K.pointer_kernel(body, 1, globals_=".shared .align 4 .b32 sbuf[128];"), [out], block=n)
    assert out.tolist() == [((t ^ 64) ^ 32) * 5 + 1 for t in range(n)]


@pytest.mark.parametrize("producer", [0, 1])
def test_bar_arrive_producer_consumer(producer):
    """One warp produces and bar.arrive's, the other bar.sync's on the same barrier (64 threads) and consumes;
    both warp orders."""
    out = np.zeros(64, dtype=np.uint32)
    body = f"""
        mov.u32 %r1, %tid.x;
        and.b32 %r2, %r1, 31;
        shr.u32 %r3, %r1, 5;
        mov.u32 %r10, sbuf;
        shl.b32 %r11, %r2, 2;
        add.u32 %r12, %r10, %r11;
        setp.eq.u32 %p1, %r3, {producer};
        @!%p1 bra CONSUME;
        mul.lo.u32 %r4, %r2, %r2;
        add.u32 %r4, %r4, 11;
        st.shared.u32 [%r12], %r4;
        bar.arrive 1, 64;
        bra.uni DONE;
    CONSUME:
        bar.sync 1, 64;
        ld.shared.u32 %r5, [%r12];
        add.s64 %rd1, %pa0, %o4;
        st.global.u32 [%rd1], %r5;
    DONE:
    """
    K.launch(K.pointer_kernel(body, 1, globals_=".shared .align 4 .b32 sbuf[32];"), [out], block=64)
    consumer = 1 - producer
    for t in range(64):
        assert out[t] == ((t % 32) ** 2 + 11 if t // 32 == consumer else 0), f"thread {t}"


@FEW
@given(data=st.data())
def test_bar_red(data):
    """bar.red.popc / .and / .or over a block of three warps, with plain and negated predicates, several
    barrier ids and an explicit thread count."""
    n = 96
    v = data.draw(st.one_of(st.lists(st.integers(0, 1), min_size=n, max_size=n),
                            st.sampled_from([[1] * n, [0] * n])))
    body = """
        bar.red.popc.u32 %popc, 0, %v;
        bar.red.and.pred %and, 1, %v;
        bar.red.or.pred %or, 2, %v;
        bar.red.popc.u32 %npopc, 3, 96, !%v;
        bar.red.and.pred %nand, 0, !%v;
    """
    got = K.run(body, {"v": ("pred", v)}, {"popc": "u32", "and": "pred", "or": "pred", "npopc": "u32",
                                           "nand": "pred"}, block=n)
    count = sum(v)
    for i in range(n):
        assert (got["popc"][i], got["and"][i], got["or"][i], got["npopc"][i], got["nand"][i]) == \
            (count, int(count == n), int(count > 0), n - count, int(count == 0)), f"thread {i}"


def test_barrier_after_early_exit():
    """Threads that exited no longer count at bar.sync: the rest synchronise and see shared data written
    before the exit."""
    n = 64
    out = np.full(n, 0xFFFFFFFF, dtype=np.uint32)
    body = """
        mov.u32 %r1, %tid.x;
        mov.u32 %r10, sbuf;
        shl.b32 %r11, %r1, 2;
        add.u32 %r12, %r10, %r11;
        add.u32 %r2, %r1, 100;
        st.shared.u32 [%r12], %r2;
        rem.u32 %r3, %r1, 3;
        setp.eq.u32 %p1, %r3, 0;
        @%p1 exit;
        bar.sync 0;
        sub.u32 %r4, 63, %r1;
        shl.b32 %r13, %r4, 2;
        add.u32 %r14, %r10, %r13;
        ld.shared.u32 %r5, [%r14];
        add.s64 %rd1, %pa0, %o4;
        st.global.u32 [%rd1], %r5;
    """
    K.launch(K.pointer_kernel(body, 1, globals_=".shared .align 4 .b32 sbuf[64];"), [out], block=n)
    assert out.tolist() == [0xFFFFFFFF if t % 3 == 0 else 163 - t for t in range(n)]


def test_barrier_after_branch_to_kernel_end():
    n = 64
    out = np.full(n, 0xFFFFFFFF, dtype=np.uint32)
    body = """
        mov.u32 %r1, %tid.x;
        setp.ge.u32 %p1, %r1, 40;
        @%p1 bra END;
        mov.u32 %r10, sbuf;
        shl.b32 %r11, %r1, 2;
        add.u32 %r12, %r10, %r11;
        st.shared.u32 [%r12], %r1;
        bar.sync 0;
        sub.u32 %r4, 39, %r1;
        shl.b32 %r13, %r4, 2;
        add.u32 %r14, %r10, %r13;
        ld.shared.u32 %r5, [%r14];
        add.s64 %rd1, %pa0, %o4;
        st.global.u32 [%rd1], %r5;
    END:
    """
    K.launch(K.pointer_kernel(body, 1, globals_=".shared .align 4 .b32 sbuf[64];"), [out], block=n)
    assert out.tolist() == [39 - t if t < 40 else 0xFFFFFFFF for t in range(n)]


# ------------------------------------------------------------------ special registers
SPECIALS = ["%tid.x", "%tid.y", "%tid.z", "%ntid.x", "%ntid.y", "%ntid.z", "%ctaid.x", "%ctaid.y", "%ctaid.z",
            "%nctaid.x", "%nctaid.y", "%nctaid.z", "%laneid", "%warpid", "%nwarpid", "%lanemask_eq",
            "%lanemask_lt", "%lanemask_le", "%lanemask_gt", "%lanemask_ge", "%smid", "%nsmid"]


def test_special_registers_3d_launch():
    """Thread, block and grid coordinates in a 3D launch whose blocks (4 x 2 x 5 = 40 threads) end in a
    partial warp. %warpid is emu's linear warp index in the block (hardware: a physical slot id, which PTX
    says may change); emu's %nwarpid is the block's warp count, above every %warpid."""
    grid, block = (2, 3, 2), (4, 2, 5)
    per_block = 40
    k = len(SPECIALS)
    out = np.zeros(12 * per_block * k, dtype=np.uint32)
    lines = ["mov.u32 %r1, %ctaid.x;", "mov.u32 %r2, %ctaid.y;", "mov.u32 %r3, %ctaid.z;",
             "mad.lo.u32 %r4, %r3, 3, %r2;", "mad.lo.u32 %r4, %r4, 2, %r1;",
             "mov.u32 %r1, %tid.x;", "mov.u32 %r2, %tid.y;", "mov.u32 %r3, %tid.z;",
             "mad.lo.u32 %r5, %r3, 2, %r2;", "mad.lo.u32 %r5, %r5, 4, %r1;",
             f"mad.lo.u32 %r6, %r4, {per_block}, %r5;", f"mul.wide.u32 %rd1, %r6, {4 * k};",
             "add.s64 %rd1, %rd1, %pa0;"]
    for j, sreg in enumerate(SPECIALS):
        lines += [f"mov.u32 %r7, {sreg};", f"st.global.u32 [%rd1+{4 * j}], %r7;"]
    K.launch(K.pointer_kernel("\n".join(lines), 1), [out], grid=grid, block=block)
    rows = out.reshape(-1, k)
    for cz in range(2):
        for cy in range(3):
            for cx in range(2):
                for tz in range(5):
                    for ty in range(2):
                        for tx in range(4):
                            lin = tx + 4 * ty + 8 * tz
                            row = dict(zip(SPECIALS, rows[(cx + 2 * cy + 6 * cz) * per_block + lin].tolist()))
                            lane = lin % 32
                            assert row == {
                                **row,
                                "%tid.x": tx, "%tid.y": ty, "%tid.z": tz, "%ntid.x": 4, "%ntid.y": 2,
                                "%ntid.z": 5, "%ctaid.x": cx, "%ctaid.y": cy, "%ctaid.z": cz, "%nctaid.x": 2,
                                "%nctaid.y": 3, "%nctaid.z": 2, "%laneid": lane, "%warpid": lin // 32,
                                "%lanemask_eq": 1 << lane, "%lanemask_lt": (1 << lane) - 1,
                                "%lanemask_le": (2 << lane) - 1, "%lanemask_gt": mask(-1 << (lane + 1), 32),
                                "%lanemask_ge": mask(-1 << lane, 32)}, f"block {cx, cy, cz} thread {tx, ty, tz}"
                            assert row["%warpid"] < row["%nwarpid"] <= 64
                            assert row["%smid"] < row["%nsmid"]


def test_special_registers_as_operands():
    """Special registers used directly as instruction operands, 64-bit moves of them, and WARP_SZ."""
    got = K.run("add.u32 %d, %a, %laneid;\ncvt.u64.u32 %e, %tid.x;\nmul.lo.u32 %f, %ntid.x, WARP_SZ;",
                {"a": ("u32", [10] * 40)}, {"d": "u32", "e": "u64", "f": "u32"}, block=40)
    assert got["d"] == [10 + i % 32 for i in range(40)]
    assert got["e"] == list(range(40))
    assert got["f"] == [40 * 32] * 40


# ------------------------------------------------------------------ bra / call / ret / exit
FUNCS = """
.func (.param .b32 r) addmul(.param .b32 x, .param .b32 y)
{
    .reg .b32 %t<4>;
    ld.param.b32 %t1, [x];
    ld.param.b32 %t2, [y];
    mad.lo.s32 %t3, %t1, %t2, 7;
    st.param.b32 [r], %t3;
    ret;
}

.func (.param .b64 r) plus_one(.param .b64 x)
{
    .reg .b64 %v<3>;
    ld.param.b64 %v1, [x];
    add.s64 %v2, %v1, 1;
    st.param.b64 [r], %v2;
    ret;
}

.func (.param .b64 r) triple_plus_one(.param .b64 x)
{
    .reg .b64 %u<4>;
    ld.param.b64 %u1, [x];
    mul.lo.s64 %u2, %u1, 3;
    {
    .param .b64 inner;
    .param .b64 innerr;
    st.param.b64 [inner], %u2;
    call.uni (innerr), plus_one, (inner);
    ld.param.b64 %u3, [innerr];
    }
    st.param.b64 [r], %u3;
    ret;
}

.func (.param .b32 r) half_or_neg(.param .b32 x)
{
    .reg .b32 %w<4>;
    .reg .pred %q;
    ld.param.b32 %w1, [x];
    setp.lt.s32 %q, %w1, 0;
    @%q bra NEGATIVE;
    shr.s32 %w2, %w1, 1;
    st.param.b32 [r], %w2;
    ret;
NEGATIVE:
    mov.b32 %w3, -1;
    st.param.b32 [r], %w3;
    ret;
}

.func (.param .b64 r) sum_pair(.param .align 8 .b8 pair[16])
{
    .reg .b64 %s<4>;
    .local .align 8 .b8 spill[16];
    ld.param.b64 %s1, [pair];
    ld.param.b64 %s2, [pair+8];
    st.local.b64 [spill+8], %s1;
    st.local.b64 [spill], %s2;
    ld.local.b64 %s1, [spill+8];
    ld.local.b64 %s2, [spill];
    sub.s64 %s3, %s1, %s2;
    st.param.b64 [r], %s3;
    ret;
}

.func (.param .f64 r) scale(.param .f64 x, .param .b32 k)
{
    .reg .f64 %z<3>;
    .reg .b32 %zk;
    ld.param.f64 %z1, [x];
    ld.param.b32 %zk, [k];
    cvt.rn.f64.s32 %z2, %zk;
    mul.f64 %z2, %z1, %z2;
    st.param.f64 [r], %z2;
    ret;
}
"""


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_call_with_params_and_return_values(data):
    a = data.draw(st.lists(st.integers(-2**31, 2**31 - 1), min_size=N, max_size=N))
    b = data.draw(st.lists(st.integers(-2**31, 2**31 - 1), min_size=N, max_size=N))
    body = """
        {
        .param .b32 pa;
        .param .b32 pb;
        .param .b32 pr;
        st.param.b32 [pa], %a;
        st.param.b32 [pb], %b;
        call.uni (pr), addmul, (pa, pb);
        ld.param.b32 %d, [pr];
        }
        cvt.s64.s32 %rd1, %a;
        {
        .param .b64 qa;
        .param .b64 qr;
        st.param.b64 [qa], %rd1;
        call (qr), triple_plus_one, (qa);
        ld.param.b64 %e, [qr];
        }
        {
        .param .b32 ha;
        .param .b32 hr;
        st.param.b32 [ha], %b;
        call (hr), half_or_neg, (ha);
        ld.param.b32 %h, [hr];
        }
        {
        .param .f64 sa;
        .param .b32 sk;
        .param .f64 sr;
        cvt.rn.f64.s32 %fd1, %a;
        st.param.f64 [sa], %fd1;
        st.param.b32 [sk], 3;
        call (sr), scale, (sa, sk);
        ld.param.f64 %fd2, [sr];
        cvt.rzi.s64.f64 %g, %fd2;
        }
        {
        .param .align 8 .b8 pp[16];
        .param .b64 pr;
        cvt.s64.s32 %rd2, %b;
        st.param.b64 [pp], %rd1;
        st.param.b64 [pp+8], %rd2;
        call (pr), sum_pair, (pp);
        ld.param.b64 %k, [pr];
        }
    """
    got = K.run(body, {"a": ("s32", a), "b": ("s32", b)}, {"d": "s32", "e": "s64", "h": "s32", "g": "s64", "k": "s64"},
                funcs=FUNCS)
    for i in range(N):
        assert got["d"][i] == mask(a[i] * b[i] + 7, 32)
        assert got["e"][i] == mask(3 * a[i] + 1, 64)
        assert got["h"][i] == mask(b[i] >> 1 if b[i] >= 0 else -1, 32)
        assert got["g"][i] == mask(3 * a[i], 64)
        assert got["k"][i] == mask(a[i] - b[i], 64)


def test_calls_in_divergent_branches():
    """Each side of a divergent branch calls a different function; a function's early ret diverges too."""
    a = [i - 20 for i in range(N)]
    body = """
        and.b32 %r1, %a, 1;
        setp.eq.u32 %p1, %r1, 0;
        @%p1 bra EVEN;
        {
        .param .b32 x;
        .param .b32 r;
        st.param.b32 [x], %a;
        call (r), half_or_neg, (x);
        ld.param.b32 %d, [r];
        }
        bra.uni JOIN;
    EVEN:
        {
        .param .b32 x;
        .param .b32 y;
        .param .b32 r;
        st.param.b32 [x], %a;
        st.param.b32 [y], %a;
        call (r), addmul, (x, y);
        ld.param.b32 %d, [r];
        }
    JOIN:
        add.s32 %d, %d, 1000;
    """
    got = K.run(body, {"a": ("s32", a)}, {"d": "s32"}, funcs=FUNCS)
    want = [(x * x + 7 if x % 2 == 0 else (x >> 1 if x >= 0 else -1)) + 1000 for x in a]
    assert got["d"] == [mask(w, 32) for w in want]


def test_void_function_and_exit():
    """A .func without return value writing through a pointer; @p exit and exit in a branch."""
    funcs = """
.func put(.param .b64 p, .param .b32 v)
{
    .reg .b64 %q;
    .reg .b32 %w;
    ld.param.b64 %q, [p];
    ld.param.b32 %w, [v];
    st.global.u32 [%q], %w;
    ret;
}
"""
    out = np.full(N, 0xFFFFFFFF, dtype=np.uint32)
    body = """
        rem.u32 %r1, %gid, 3;
        setp.eq.u32 %p1, %r1, 0;
        @%p1 exit;
        setp.eq.u32 %p2, %r1, 1;
        @%p2 bra BRANCH;
        add.s64 %rd1, %pa0, %o4;
        {
        .param .b64 pp;
        .param .b32 pv;
        st.param.b64 [pp], %rd1;
        st.param.b32 [pv], %gid;
        call put, (pp, pv);
        }
        exit;
    BRANCH:
        and.b32 %r2, %gid, 4;
        setp.ne.u32 %p3, %r2, 0;
        @%p3 bra FAR;
        exit;
    FAR:
        add.s64 %rd2, %pa0, %o4;
        mov.u32 %r3, 7;
        st.global.u32 [%rd2], %r3;
    """
    K.launch(K.pointer_kernel(body, 1, funcs=funcs), [out], block=N)
    want = []
    for t in range(N):
        if t % 3 == 0:
            want.append(0xFFFFFFFF)
        elif t % 3 == 2:
            want.append(t)
        else:
            want.append(7 if t & 4 else 0xFFFFFFFF)
    assert out.tolist() == want


def test_loops_with_lane_dependent_trip_counts():
    """A backward-branch loop running gid % 37 times, and a loop left by a lane-dependent break."""
    body = """
        mov.u32 %d, 0;
        mov.u32 %r1, 0;
        rem.u32 %r2, %gid, 37;
    LOOP:
        setp.ge.u32 %p1, %r1, %r2;
        @%p1 bra END;
        mad.lo.u32 %d, %r1, %r1, %d;
        add.u32 %r1, %r1, 1;
        bra.uni LOOP;
    END:
        mov.u32 %e, 0;
    SEARCH:
        mul.lo.u32 %r3, %e, %e;
        setp.gt.u32 %p2, %r3, %gid;
        @%p2 bra FOUND;
        add.u32 %e, %e, 1;
        bra SEARCH;
    FOUND:
    """
    got = K.run(body, {"a": ("u32", [0] * 100)}, {"d": "u32", "e": "u32"})
    assert got["d"] == [sum(i * i for i in range(g % 37)) for g in range(100)]
    assert got["e"] == [next(k for k in range(100) if k * k > g) for g in range(100)]
