"""mma.sync executed by the engine: fragments in registers, bits from the tensor-core model.

Each lane loads its fragment registers from per-lane arrays that the test fills
following the PTX ISA's fragment tables ("Matrix Fragments for mma.m16n8k16",
"... m16n8k8"), written out here independently of emu.engine.mma_fragments.
D must equal emu.numerics.mma for the launch's architecture, bit for bit, and
the same instruction must differ between sm_80 and sm_90 where the model says.
"""
import ml_dtypes
import numpy as np
import pytest

import emu
from emu.numerics.mma import mma as model_mma

PTX = """
.version 8.0
.target sm_80
.address_size 64
.visible .entry k(.param .u64 pa, .param .u64 pb, .param .u64 pc, .param .u64 pd)
{{
  .reg .b32 %a<{na}>; .reg .b32 %b<{nb}>; .reg .f32 %c<4>; .reg .f32 %d<4>;
  .reg .b64 %rd<12>; .reg .b32 %lane;
  ld.param.u64 %rd1, [pa]; ld.param.u64 %rd2, [pb]; ld.param.u64 %rd3, [pc]; ld.param.u64 %rd4, [pd];
  mov.u32 %lane, %laneid;
  mul.wide.u32 %rd5, %lane, {abytes}; add.s64 %rd1, %rd1, %rd5;
  mul.wide.u32 %rd5, %lane, {bbytes}; add.s64 %rd2, %rd2, %rd5;
  mul.wide.u32 %rd5, %lane, 16; add.s64 %rd3, %rd3, %rd5; add.s64 %rd4, %rd4, %rd5;
  {loads}
  ld.global.v4.f32 {{%c0, %c1, %c2, %c3}}, [%rd3];
  mma.sync.aligned.{shape}.row.col.f32.{ty}.{ty}.f32 {{%d0, %d1, %d2, %d3}}, {{{alist}}}, {{{blist}}}, {{%c0, %c1, %c2, %c3}};
  st.global.v4.f32 [%rd4], {{%d0, %d1, %d2, %d3}};
  ret;
}}
"""


def kernel(shape, ty, na, nb, template=PTX):
    loads = " ".join(f"ld.global.u32 %a{i}, [%rd1+{4 * i}];" for i in range(na)) + " " + \
        " ".join(f"ld.global.u32 %b{i}, [%rd2+{4 * i}];" for i in range(nb))
    return emu.ptx_kernel(template.format(na=na, nb=nb, abytes=4 * na, bbytes=4 * nb, loads=loads, shape=shape, ty=ty,
                                     alist=", ".join(f"%a{i}" for i in range(na)),
                                     blist=", ".join(f"%b{i}" for i in range(nb))), "k")


def fragments_m16n8k16(A16, B16, C):
    """Per-lane registers for m16n8k16 .f16/.bf16 (A row-major 16x16, B 16x8 "col"), PTX ISA tables."""
    a = np.zeros((32, 4), np.uint32)
    b = np.zeros((32, 2), np.uint32)
    c = np.zeros((32, 4), np.float32)
    for lane in range(32):
        g, t = lane // 4, lane % 4
        for i in range(8):
            row = g if i in (0, 1, 4, 5) else g + 8
            col = t * 2 + (i & 1) + (8 if i >= 4 else 0)
            a[lane, i // 2] |= np.uint32(A16[row, col]) << (16 * (i & 1))
        for i in range(4):
            row = t * 2 + (i & 1) + (8 if i >= 2 else 0)
            b[lane, i // 2] |= np.uint32(B16[row, g]) << (16 * (i & 1))
        for i in range(4):
            c[lane, i] = C[g + (8 if i >= 2 else 0), t * 2 + (i & 1)]
    return a, b, c


def d_matrix(d):
    D = np.zeros((16, 8), np.float32)
    for lane in range(32):
        g, t = lane // 4, lane % 4
        for i in range(4):
            D[g + (8 if i >= 2 else 0), t * 2 + (i & 1)] = d[lane, i]
    return D


@pytest.mark.parametrize("arch", ["sm_80", "sm_90"])
@pytest.mark.parametrize("ty, dtype, name", [("f16", np.float16, "fp16"), ("bf16", ml_dtypes.bfloat16, "bf16")])
def test_m16n8k16_matches_model(arch, ty, dtype, name):
    rng = np.random.default_rng(1)
    A = rng.standard_normal((16, 16)).astype(dtype)
    B = rng.standard_normal((16, 8)).astype(dtype)
    C = rng.standard_normal((16, 8)).astype(np.float32)
    a, b, c = fragments_m16n8k16(A.view(np.uint16), B.view(np.uint16), C)
    d = np.zeros((32, 4), np.float32)
    emu.GPU(arch).launch(kernel("m16n8k16", ty, 4, 2), 1, 32, (a, b, c, d))
    expected = model_mma(A, B, C, arch=arch, input=name, accumulate="fp32")
    assert np.array_equal(d_matrix(d).view(np.uint32), expected.view(np.uint32))


def fragments_m16n8k8_f16(A16, B16, C):
    """Per-lane registers for m16n8k8 .f16 (A row-major 16x8, B 8x8 "col"), PTX ISA tables."""
    a = np.zeros((32, 2), np.uint32)
    b = np.zeros((32, 1), np.uint32)
    c = np.zeros((32, 4), np.float32)
    for lane in range(32):
        g, t = lane // 4, lane % 4
        for i in range(4):
            a[lane, i // 2] |= np.uint32(A16[g + (8 if i >= 2 else 0), t * 2 + (i & 1)]) << (16 * (i & 1))
        for i in range(2):
            b[lane, 0] |= np.uint32(B16[t * 2 + i, g]) << (16 * i)
        for i in range(4):
            c[lane, i] = C[g + (8 if i >= 2 else 0), t * 2 + (i & 1)]
    return a, b, c


@pytest.mark.parametrize("arch", ["sm_75", "sm_80"])
def test_m16n8k8_f16_matches_model(arch):
    """Turing's shape (T4 runs it on its tensor cores): one 8-term block, as the model computes it per GPU."""
    rng = np.random.default_rng(2)
    A = rng.standard_normal((16, 8)).astype(np.float16)
    B = rng.standard_normal((8, 8)).astype(np.float16)
    C = rng.standard_normal((16, 8)).astype(np.float32)
    a, b, c = fragments_m16n8k8_f16(A.view(np.uint16), B.view(np.uint16), C)
    d = np.zeros((32, 4), np.float32)
    sm75_ptx = PTX.replace(".target sm_80", ".target sm_75")      # runs on sm_75 and later
    emu.GPU(arch).launch(kernel("m16n8k8", "f16", 2, 1, sm75_ptx), 1, 32, (a, b, c, d))
    expected = model_mma(A, B, C, arch=arch, input="fp16", accumulate="fp32")
    assert np.array_equal(d_matrix(d).view(np.uint32), expected.view(np.uint32))


def test_m16n8k16_sm80_and_sm90_differ_where_the_model_says():
    # one product far larger than the others: sm_90 aligns 16 terms at once with 2 extra bits,
    # sm_80 two blocks of 8 with 1 extra bit, so the small terms are truncated differently
    A = np.zeros((16, 16), np.float16)
    B = np.zeros((16, 8), np.float16)
    A[0, :] = np.float16(1.0)
    B[0, 0] = np.float16(2.0 ** 12)
    B[1:, 0] = np.float16(0.75 * 2 ** -12)
    C = np.zeros((16, 8), np.float32)
    a, b, c = fragments_m16n8k16(A.view(np.uint16), B.view(np.uint16), C)
    results = {}
    for arch in ("sm_80", "sm_90"):
        d = np.zeros((32, 4), np.float32)
        emu.GPU(arch).launch(kernel("m16n8k16", "f16", 4, 2), 1, 32, (a, b, c, d))
        results[arch] = d_matrix(d)
        assert results[arch][0, 0] == model_mma(A, B, C, arch=arch)[0, 0]
    assert results["sm_80"][0, 0] != results["sm_90"][0, 0]


def zero_arrays_m16n8k16():
    return (np.zeros((32, 4), np.uint32), np.zeros((32, 2), np.uint32), np.zeros((32, 4), np.float32),
            np.zeros((32, 4), np.float32))


def test_mma_in_a_diverged_warp_is_refused():
    with pytest.raises(emu.KernelFault, match="all 32"):
        emu.GPU("sm_80").launch(kernel("m16n8k16", "f16", 4, 2), 1, 16, zero_arrays_m16n8k16())


def test_mma_shape_newer_than_the_target_is_refused():
    sm70 = kernel("m16n8k16", "f16", 4, 2, PTX.replace(".target sm_80", ".target sm_70"))
    with pytest.raises(emu.UnsupportedPTXError, match="sm_80"):
        emu.GPU("sm_70").launch(sm70, 1, 32, zero_arrays_m16n8k16())


def test_m16n8_shapes_take_only_row_col():
    col_col = kernel("m16n8k16", "f16", 4, 2, PTX.replace("{shape}.row.col", "{shape}.col.col"))
    with pytest.raises(emu.UnsupportedPTXError, match="takes the layouts row.col, not col.col"):
        emu.GPU("sm_80").launch(col_col, 1, 32, zero_arrays_m16n8k16())


# ------------------------------------------------------------------ m8n8k4 (sm_70): four products per warp
PTX_884 = """
.version 8.0
.target sm_70
.address_size 64
.visible .entry k(.param .u64 pa, .param .u64 pb, .param .u64 pc, .param .u64 pd)
{{
  .reg .b32 %a<2>; .reg .b32 %b<2>; .reg .{reg} %c<{nc}>; .reg .{reg} %d<{nc}>;
  .reg .b64 %rd<8>; .reg .b32 %lane;
  ld.param.u64 %rd1, [pa]; ld.param.u64 %rd2, [pb]; ld.param.u64 %rd3, [pc]; ld.param.u64 %rd4, [pd];
  mov.u32 %lane, %laneid;
  mul.wide.u32 %rd5, %lane, 8; add.s64 %rd1, %rd1, %rd5; add.s64 %rd2, %rd2, %rd5;
  mul.wide.u32 %rd5, %lane, {cbytes}; add.s64 %rd3, %rd3, %rd5; add.s64 %rd4, %rd4, %rd5;
  ld.global.u32 %a0, [%rd1]; ld.global.u32 %a1, [%rd1+4]; ld.global.u32 %b0, [%rd2]; ld.global.u32 %b1, [%rd2+4];
  {cloads}
  mma.sync.aligned.m8n8k4.{layout}.{acc}.f16.f16.{acc} {{{dlist}}}, {{%a0, %a1}}, {{%b0, %b1}}, {{{clist}}};
  {dstores}
  ret;
}}
"""


def kernel_884(layout: str, acc: str):
    nc = 8 if acc == "f32" else 4
    reg = "f32" if acc == "f32" else "b32"
    return emu.ptx_kernel(PTX_884.format(
        reg=reg, nc=nc, cbytes=4 * nc, layout=layout, acc=acc,
        cloads=" ".join(f"ld.global.{reg} %c{i}, [%rd3+{4 * i}];" for i in range(nc)),
        dstores=" ".join(f"st.global.{reg} [%rd4+{4 * i}], %d{i};" for i in range(nc)),
        dlist=", ".join(f"%d{i}" for i in range(nc)), clist=", ".join(f"%c{i}" for i in range(nc))), "k")


def fragments_m8n8k4(A, B, C, layout: str, acc: str):
    """Per-lane registers of the four products (A [4, 8, 4], B [4, 4, 8], C [4, 8, 8] patterns), as the PTX ISA's
    m8n8k4 tables place them; lanes 4p..4p+3 and 16+4p..16+4p+3 work on product p."""
    a, b = np.zeros((32, 2), np.uint32), np.zeros((32, 2), np.uint32)
    c = np.zeros((32, 8 if acc == "f32" else 4), np.uint32)
    a_col, b_row = layout.startswith("col"), layout.endswith("row")
    for lane in range(32):
        p, q, hi = (lane % 16) // 4, lane % 4, 4 * (lane >= 16)
        for i in range(4):
            a_rc = (i + hi, q) if a_col else (q + hi, i)
            b_rc = (q, i + hi) if b_row else (i, q + hi)
            a[lane, i // 2] |= np.uint32(A[p][a_rc]) << (16 * (i % 2))
            b[lane, i // 2] |= np.uint32(B[p][b_rc]) << (16 * (i % 2))
        for i in range(8):
            if acc == "f16":
                c[lane, i // 2] |= np.uint32(C[p][q + hi, i]) << (16 * (i % 2))
            else:
                x = (lane & 1) + (i & 2)
                c[lane, i] = C[p][x + hi, (i & 4) + (lane & 2) + (i & 1)]
    return a, b, c


@pytest.mark.parametrize("acc", ["f32", "f16"])
@pytest.mark.parametrize("layout", ["row.col", "row.row", "col.row", "col.col"])
def test_m8n8k4_runs_four_products_as_volta_computes_them(layout, acc):
    rng = np.random.default_rng(8)
    A = rng.standard_normal((4, 8, 4)).astype(np.float16)
    B = rng.standard_normal((4, 4, 8)).astype(np.float16)
    C = rng.standard_normal((4, 8, 8)).astype(np.float32 if acc == "f32" else np.float16)
    A[0, 0, 0], B[0, 0, 0] = np.float16(2.0 ** 10), np.float16(2.0 ** 5)       # one product dwarfs its row's others
    c_bits = C.view(np.uint32 if acc == "f32" else np.uint16)
    a, b, c = fragments_m8n8k4(A.view(np.uint16), B.view(np.uint16), c_bits, layout, acc)
    d = np.zeros_like(c)
    emu.GPU("sm_70").launch(kernel_884(layout, acc), 1, 32, (a, b, c, d))
    model = "fp32" if acc == "f32" else "fp16"
    D = np.stack([model_mma(A[p], B[p], C[p], arch="sm_70", input="fp16", accumulate=model) for p in range(4)])
    _, _, want = fragments_m8n8k4(A.view(np.uint16), B.view(np.uint16), D.view(c_bits.dtype), layout, acc)
    assert np.array_equal(d, want)


def test_m8n8k4_on_later_gpus_is_refused_not_guessed():
    arrays = (np.zeros((32, 2), np.uint32), np.zeros((32, 2), np.uint32), np.zeros((32, 8), np.uint32),
              np.zeros((32, 8), np.uint32))
    with pytest.raises(emu.LaunchError, match="mma.m8n8k4.*sm_80.*emu.GPU\\('sm_70'\\)"):
        emu.GPU("sm_80").launch(kernel_884("row.col", "f32"), 1, 32, arrays)


def test_warps_reaching_an_mma_at_different_times_each_get_their_own_result():
    """The engine runs the mma of all warps waiting at one instruction in one call of the model; here warp w
    repeats the mma w + 1 times on its own matrices, so the warps meet the instruction a different number
    of times, and diverge inside warp 2 first."""
    from numba import cuda

    from emu import intrinsics as ti

    @cuda.jit
    def repeated(A, B, C, D):
        w = cuda.threadIdx.x // 32
        if w == 2 and cuda.laneid < 5:             # a divergent detour before the warp-wide mma
            D[w, 0, 0] = -1.0
        acc = ti.load_c_m16n8(C[w], 0, 0)
        for _ in range(w + 1):
            acc = ti.mma_m16n8k16_f32_f16(ti.load_a_m16n8k16_f16(A[w], 0, 0), ti.load_b_m16n8k16_f16(B[w], 0, 0),
                                          acc)
        ti.store_d_m16n8(D[w], 0, 0, acc)

    rng = np.random.default_rng(12)
    warps = 4
    A = rng.standard_normal((warps, 16, 16)).astype(np.float16)
    B = rng.standard_normal((warps, 16, 8)).astype(np.float16)
    C = rng.standard_normal((warps, 16, 8)).astype(np.float32)
    D = np.zeros_like(C)
    emu.GPU("sm_80").launch(repeated, 1, 32 * warps, (A, B, C, D))
    for w in range(warps):
        want = C[w]
        for _ in range(w + 1):
            want = model_mma(A[w], B[w], want, arch="sm_80")
        assert np.array_equal(D[w].view(np.uint32), want.view(np.uint32)), w
