"""emu.intrinsics: the PTX each intrinsic emits, that NVIDIA's ptxas takes it, its fragment layouts, its results.

- PTX: every intrinsic's instruction appears verbatim in the compiled kernel, and the
  ptxas of the CUDA wheels assembles it for its ``min_sm`` and refuses it one
  architecture earlier (so the kernels are real GPU code, and ``min_sm`` is right);
- layouts: the ``frag_*`` maps (those of emu.isa.fragments, which the engine uses too) agree
  with the PTX ISA's tables written out here, and cover each matrix once per warp;
- results on emu: the scalar intrinsics on the corpus of ``emu.hw.corpus`` equal the
  exact reference of ``emu.numerics.formats``, the mma intrinsics ``emu.numerics.mma``,
  bit for bit, on sm_70, sm_80 and sm_90; packing, ldmatrix and the typing errors.
"""
import re

import numpy as np
import pytest
from numba import cuda, uint16

import emu
from emu import intrinsics as ti
from emu.frontend import PtxasError, compile_numba_kernel, ptxas_resources
from emu.hw import corpus
from emu.intrinsics import ldmatrix, mma, scalar
from emu.intrinsics.fragments import variant_functions
from emu.numerics.formats import BF16, ROUND_RN, round_float
from emu.numerics.mma import mma_bits

SM = {"sm_70": (7, 0), "sm_80": (8, 0), "sm_90": (9, 0)}
PREVIOUS_TARGET = {75: (7, 0), 80: (7, 5), 89: (8, 6), 90: (8, 9)}   # to show ptxas refuses below min_sm


def scalar_args(op):
    registers, result = corpus._REGISTERS[op.name]
    return [np.zeros(4, corpus._KERNEL_DTYPE[r]) for r in registers] + [np.zeros(4, corpus._KERNEL_DTYPE[result])]


def mma_args(variant):
    a, b, c = corpus.mma_inputs(variant, np.random.default_rng(0), 1)
    c = c.view(np.float32 if variant.d == "f32" else np.float16)
    return a, b, c, c.copy()


@cuda.jit
def ldmatrix_kernel(src, out):
    """Every ldmatrix form from one 16 x 16 shared tile; lane l addresses row l % 16, column 8 * (l // 16)."""
    tile = cuda.shared.array((16, 16), uint16)
    lane = cuda.threadIdx.x
    for e in range(8):
        tile[(lane * 8 + e) // 16, (lane * 8 + e) % 16] = src[(lane * 8 + e) // 16, (lane * 8 + e) % 16]
    cuda.syncthreads()
    address = ti.shared_address(tile, lane % 16, (lane // 16) * 8)
    out[lane, 0] = ti.ldmatrix_x1(address)
    x2 = ti.ldmatrix_x2(address)
    x4 = ti.ldmatrix_x4(address)
    out[lane, 1] = x2[0]
    out[lane, 2] = x2[1]
    for j in range(4):
        out[lane, 3 + j] = x4[j]
    out[lane, 7] = ti.ldmatrix_x1_trans(address)
    t2 = ti.ldmatrix_x2_trans(address)
    t4 = ti.ldmatrix_x4_trans(address)
    out[lane, 8] = t2[0]
    out[lane, 9] = t2[1]
    for j in range(4):
        out[lane, 10 + j] = t4[j]


@cuda.jit
def packing_kernel(h, f, b, packed, halves, patterns):
    i = cuda.grid(1)
    packed[i, 0] = ti.pack_f16x2(h[i, 0], h[i, 1])
    packed[i, 1] = ti.pack_f16x2_f32(f[i, 0], f[i, 1])
    packed[i, 2] = ti.pack_bf16x2_f32(f[i, 0], f[i, 1])
    packed[i, 3] = ti.pack_bf16x2(b[i, 0], b[i, 1])
    halves[i, 0], halves[i, 1] = ti.unpack_f16x2(packed[i, 0])
    patterns[i, 0], patterns[i, 1] = ti.unpack_bf16x2(packed[i, 3])


PACKING_ARGS = (np.zeros((1, 2), np.float16), np.zeros((1, 2), np.float32), np.zeros((1, 2), np.uint16),
                np.zeros((1, 4), np.uint32), np.zeros((1, 2), np.float16), np.zeros((1, 2), np.uint16))


def own_target(op):
    """(major, minor) of the op's min_sm, sm_70 at the least (emu's oldest preset)."""
    return divmod(max(op.min_sm, 70), 10)


def kernels_and_args():
    """(AsmOp, kernel, args, target) for every intrinsic: its own kernel at its min_sm (sm_70 at the least),
    the packing kernel (sm_80 instructions too) at sm_80 for the unpacking ones."""
    made = [(op, corpus.scalar_kernel(op.name), scalar_args(op), own_target(op)) if len(op.outputs) == 1
            else (op, packing_kernel, PACKING_ARGS, (8, 0)) for op in scalar.OPS]
    made += [(v.op(), corpus.mma_kernel(v.name), mma_args(v), own_target(v)) for v in mma.VARIANTS]
    made += [(op, ldmatrix_kernel, (np.zeros((16, 16), np.uint16), np.zeros((32, 14), np.uint32)), own_target(op))
             for op in ldmatrix.OPS]
    return made


def ptx_pattern(op) -> str:
    """The PTX template as a regex: each $n operand any register (or {...} list item)."""
    return re.sub(r"\\\$\d+", r"%[\\w.]+", re.escape(op.ptx))


@pytest.mark.parametrize("op, kernel, args, cc", [pytest.param(*x, id=x[0].name) for x in kernels_and_args()])
def test_emitted_ptx_is_real_gpu_code(op, kernel, args, cc):
    compiled = compile_numba_kernel(kernel, args, cc)
    assert re.search(ptx_pattern(op), compiled.ptx), f"{op.ptx} not in the PTX"
    ptxas_resources(compiled.ptx, compiled.entry, cc)                # raises if ptxas refuses it
    if op.min_sm in PREVIOUS_TARGET and cc == own_target(op):
        older = PREVIOUS_TARGET[op.min_sm]
        compiled = compile_numba_kernel(kernel, args, older)
        with pytest.raises(PtxasError):
            ptxas_resources(compiled.ptx, compiled.entry, older)


# ------------------------------------------------------------------ layouts
def positions(function, count):
    return [[tuple(function(lane, i)) for i in range(count)] for lane in range(32)]


@pytest.mark.parametrize("variant", mma.VARIANTS, ids=lambda v: v.name)
def test_fragment_maps_cover_each_matrix_once_per_product(variant):
    f = variant_functions(variant)
    per = 32 // variant.element_bits
    q = variant.shape.computations
    for operand, count, rows, cols in (("a", variant.a_registers * per, variant.m, variant.k),
                                       ("b", variant.b_registers * per, variant.k, variant.n),
                                       ("c", variant.m * variant.n * q // 32, variant.m, variant.n)):
        held = sorted((f["computation"](lane), *f[f"frag_{operand}"](lane, i)) for lane in range(32)
                      for i in range(count))
        assert held == [(p, r, c) for p in range(q) for r in range(rows) for c in range(cols)], operand


def test_m8n8k4_layouts_as_the_ptx_isa_writes_them():
    """PTX ISA 9.7.15.5.1, "Matrix Fragments for mma.m8n8k4 with .f16 floating point type"."""
    for lane in range(32):
        assert ti.computation_m8n8k4(lane) == {0: 0, 4: 1, 8: 2, 12: 3}[lane % 16 - lane % 4]
        low = lane < 16
        for i in range(4):
            assert ti.frag_a_m8n8k4_f16(lane, i) == (lane % 4 if low else lane % 4 + 4, i)
            assert ti.frag_a_m8n8k4_col_f16(lane, i) == (i % 4 if low else i % 4 + 4, lane % 4)
            assert ti.frag_b_m8n8k4_row_f16(lane, i) == (lane % 4, i if low else i + 4)
            assert ti.frag_b_m8n8k4_f16(lane, i) == (i, lane % 4 if low else lane % 4 + 4)
        for i in range(8):
            assert ti.frag_c_m8n8k4_f16(lane, i) == (lane % 4 if low else lane % 4 + 4, i)
            x = (lane & 0b1) + (i & 0b10)
            assert ti.frag_c_m8n8k4(lane, i) == (x if low else x + 4, (i & 0b100) + (lane & 0b10) + (i & 0b1))


def test_m16n8k16_layout_as_the_ptx_isa_writes_it():
    for lane in range(32):
        group, tig = lane // 4, lane % 4
        for i in range(8):
            row = group if i in (0, 1, 4, 5) else group + 8
            col = tig * 2 + (i & 1) + (8 if i >= 4 else 0)
            assert ti.frag_a_m16n8k16_f16(lane, i) == (row, col)
        for i in range(4):
            assert ti.frag_b_m16n8k16_f16(lane, i) == (tig * 2 + (i & 1) + (8 if i >= 2 else 0), group)


# ------------------------------------------------------------------ results on emu
@pytest.fixture(scope="module", params=list(SM))
def corpus_run(request):
    """The corpus for the architecture, run on emu: (arch, inputs, outputs)."""
    arch = request.param
    inputs = corpus.build_corpus(seed=5, cc=SM[arch], scalars=256, mmas=12)
    gpu = emu.GPU(arch)
    outputs = corpus.run_corpus(inputs, lambda kernel, grid, block, args: gpu.launch(kernel, grid, block, args))
    return arch, inputs, outputs


def test_scalar_intrinsics_equal_the_exact_reference(corpus_run):
    arch, inputs, outputs = corpus_run
    cases, _ = corpus.cases_in(inputs)
    assert {c.op for c in cases} == {c.op for c in corpus.SCALAR_CASES if c.min_sm <= int(arch[3:])}
    for case in cases:
        operands = [inputs[f"scalar/{case.op}/x{i}"] for i in range(len(case.inputs))]
        got = outputs[f"scalar/{case.op}/out"]
        want = [case.reference(*(int(x[j]) for x in operands)) for j in range(len(got))]
        wrong = [(j, [hex(int(x[j])) for x in operands], hex(int(got[j])), hex(w))
                 for j, w in enumerate(want) if int(got[j]) != w]
        assert not wrong, f"{case.op} on {arch}: {len(wrong)} differ, e.g. {wrong[:3]}"


def test_mma_intrinsics_equal_the_model(corpus_run):
    arch, inputs, outputs = corpus_run
    _, variants = corpus.cases_in(inputs)
    names = {v.name for v in variants}
    assert len(names) == {"sm_70": 8, "sm_80": 8, "sm_90": 10}[arch]
    assert all(("m8n8k4" in name) == (arch == "sm_70") for name in names)
    for v in variants:
        a, b, c = (inputs[f"mma/{v.name}/{x}"] for x in "abc")
        assert np.array_equal(outputs[f"mma/{v.name}/d"], corpus.model_d(v, a, b, c, arch)), v.name


def test_mma_with_separate_registers_and_with_tuples():
    @cuda.jit
    def kernel(a, b, c, flat, tupled):
        lane = cuda.laneid
        d0, d1, d2, d3 = ti.mma_m16n8k8_f32_tf32(a[lane, 0], a[lane, 1], a[lane, 2], a[lane, 3],
                                                b[lane, 0], b[lane, 1], c[lane, 0], c[lane, 1], c[lane, 2], c[lane, 3])
        flat[lane, 0], flat[lane, 1], flat[lane, 2], flat[lane, 3] = d0, d1, d2, d3
        d = ti.mma_m16n8k8_f32_tf32((a[lane, 0], a[lane, 1], a[lane, 2], a[lane, 3]), (b[lane, 0], b[lane, 1]),
                                    (c[lane, 0], c[lane, 1], c[lane, 2], c[lane, 3]))
        for i in range(4):
            tupled[lane, i] = d[i]

    rng = np.random.default_rng(3)
    A = rng.standard_normal((16, 8)).astype(np.float32).view(np.uint32) & np.uint32(0xFFFFE000)
    B = rng.standard_normal((8, 8)).astype(np.float32).view(np.uint32) & np.uint32(0xFFFFE000)
    C = rng.standard_normal((16, 8)).astype(np.float32)
    a = np.array([[A[ti.frag_a_m16n8k8_tf32(lane, i)] for i in range(4)] for lane in range(32)], np.uint32)
    b = np.array([[B[ti.frag_b_m16n8k8_tf32(lane, i)] for i in range(2)] for lane in range(32)], np.uint32)
    c = np.array([[C[ti.frag_c_m16n8(lane, i)] for i in range(4)] for lane in range(32)], np.float32)
    flat, tupled = np.zeros((32, 4), np.float32), np.zeros((32, 4), np.float32)
    emu.GPU("sm_80").launch(kernel, 1, 32, (a, b, c, flat, tupled))
    want = mma_bits(A, B, C.view(np.uint32), arch="sm_80", input="tf32").view(np.float32)
    expected = np.array([[want[ti.frag_c_m16n8(lane, i)] for i in range(4)] for lane in range(32)])
    assert np.array_equal(flat.view(np.uint32), expected.view(np.uint32))
    assert np.array_equal(tupled.view(np.uint32), expected.view(np.uint32))


def test_packing_puts_the_first_value_in_the_low_half():
    rng = np.random.default_rng(4)
    f = rng.standard_normal((32, 2)).astype(np.float32)
    h = f.astype(np.float16)
    b = rng.integers(0, 1 << 16, (32, 2)).astype(np.uint16)
    packed, halves, patterns = np.zeros((32, 4), np.uint32), np.zeros((32, 2), np.float16), np.zeros((32, 2), np.uint16)
    emu.GPU("sm_80").launch(packing_kernel, 1, 32, (h, f, b, packed, halves, patterns))

    def pair(lo, hi):
        return lo.astype(np.uint32) | (hi.astype(np.uint32) << 16)

    h16 = h.view(np.uint16)
    assert np.array_equal(packed[:, 0], pair(h16[:, 0], h16[:, 1]))
    assert np.array_equal(packed[:, 1], pair(h16[:, 0], h16[:, 1]))          # numpy's float16 cast is RN-even
    bf = np.array([[round_float(float(x), BF16, ROUND_RN) for x in row] for row in f], np.uint16)
    assert np.array_equal(packed[:, 2], pair(bf[:, 0], bf[:, 1]))
    assert np.array_equal(packed[:, 3], pair(b[:, 0], b[:, 1]))
    assert np.array_equal(halves.view(np.uint16), h16)
    assert np.array_equal(patterns, b)


def ldmatrix_expected(src: np.ndarray, count: int, trans: bool) -> np.ndarray:
    """Per lane, per matrix: the register ldmatrix delivers, from the lane addresses of ldmatrix_kernel."""
    starts = [(lane % 16, (lane // 16) * 8) for lane in range(32)]
    out = np.zeros((32, count), np.uint32)
    for j in range(count):
        matrix = np.array([src[starts[8 * j + r][0], starts[8 * j + r][1]:starts[8 * j + r][1] + 8]
                           for r in range(8)])
        if trans:
            matrix = matrix.T
        for lane in range(32):
            lo, hi = matrix[lane // 4, 2 * (lane % 4)], matrix[lane // 4, 2 * (lane % 4) + 1]
            out[lane, j] = int(lo) | (int(hi) << 16)
    return out


def test_ldmatrix_delivers_mma_fragments():
    src = np.random.default_rng(5).integers(0, 1 << 16, (16, 16)).astype(np.uint16)
    out = np.zeros((32, 14), np.uint32)
    emu.GPU("sm_80").launch(ldmatrix_kernel, 1, 32, (src, out))
    columns = {(1, False): [0], (2, False): [1, 2], (4, False): [3, 4, 5, 6],
               (1, True): [7], (2, True): [8, 9], (4, True): [10, 11, 12, 13]}
    for (count, trans), where in columns.items():
        assert np.array_equal(out[:, where], ldmatrix_expected(src, count, trans)), (count, trans)
    # The canonical uses: x4 of a row-major 16x16 tile is the A fragment of m16n8k16,
    # x2.trans of its left 16x8 half (read as k x n) the B fragment.
    for lane in range(32):
        for i in range(8):
            value = (int(out[lane, 3 + i // 2]) >> (16 * (i % 2))) & 0xFFFF
            assert value == src[ti.frag_a_m16n8k16_f16(lane, i)]
        for i in range(4):
            value = (int(out[lane, 8 + i // 2]) >> (16 * (i % 2))) & 0xFFFF
            assert value == src[ti.frag_b_m16n8k16_f16(lane, i)]


# ------------------------------------------------------------------ errors a user gets
@cuda.jit
def float_for_a_register(x, out):
    out[0] = ti.mma_m16n8k8_f32_tf32(x[0], x[0], x[0], x[0], x[0], x[0], x[0], x[0], x[0], x[0])[0]


@cuda.jit
def float32_for_a_float16(x, out):
    out[0] = ti.pack_f16x2(x[0], x[0])


@cuda.jit
def integer_for_a_float(x, out):
    out[0] = ti.cvt_f32_bf16(ti.cvt_rn_bf16_f32(cuda.laneid))


@cuda.jit
def too_many_operands(x, out):
    out[0] = ti.cvt_rn_f16_f32(x[0], x[0])


@pytest.mark.parametrize("kernel, message", [
    (float_for_a_register, "mma_m16n8k8_f32_tf32: operand 0 must be an integer bit pattern"),
    (float32_for_a_float16, "pack_f16x2: operand 0 must be a float16"),
    (integer_for_a_float, "cvt_rn_bf16_f32: operand 0 must be a float"),
    (too_many_operands, "cvt_rn_f16_f32 takes 1 operands"),
], ids=["float-for-bits", "float32-for-float16", "integer-for-float", "operand-count"])
def test_typing_errors_name_the_intrinsic_and_operand(kernel, message):
    with pytest.raises(Exception, match=message):
        compile_numba_kernel(kernel, (np.ones(1, np.float32), np.zeros(1, np.float32)), (8, 0))


def test_float16_operands_are_taken_as_is():
    @cuda.jit
    def kernel(x, c, out):
        i = cuda.grid(1)
        out[i] = ti.fma_rn_f16(x[i], x[i], c[i])

    x = np.array([1.5, -2.0, 0.0, 65504.0], np.float16)
    out = np.zeros(4, np.float16)
    emu.GPU("sm_80").launch(kernel, 1, 4, (x, np.full(4, -1.0, np.float16), out))
    assert out.tolist() == [1.25, 3.0, -1.0, np.inf]
