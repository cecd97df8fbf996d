"""Tensor-core MMA model (emu.numerics.mma): real-GPU vectors, feature probes, properties.

Three kinds of evidence:

1. Replay of the real-GPU vectors in tests/data/tc_vectors (5,000 dot
   products per GPU and format, see its README), bit for bit.
2. Feature probes: constructed inputs whose result depends on exactly one
   feature of the arithmetic (exact products, F, truncation direction, L,
   carries, late normalisation, subnormals, e_zero, NaN/Inf, signed zero),
   checked on every architecture against the number in the parameter table.
3. Hypothesis properties against ``reference_mma`` below, a slow scalar
   reading of the algorithm in Python integers and Fractions that rounds
   through ``emu.numerics.formats`` (the project's one reference rounding).
"""
from __future__ import annotations

import importlib
import math
from fractions import Fraction
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emu.numerics import mma, mma_bits
from emu.numerics.formats import (FORMATS, NAN_IEEE, ROUND_RN, ROUND_RZ, Format, decode, reference_op,
                                  round_float, round_fraction, to_float, to_fraction)
from emu.numerics.mma import ARCHS, Datapath, Fp8ViaFp16, tensor_core

VECTORS = Path(__file__).parent / "data" / "tc_vectors"
FP32, FP16 = FORMATS["fp32"], FORMATS["fp16"]
# FP32 with 13 fraction bits: the FP32 result of Ada's and Hopper's FP8 datapath.
E8M13 = Format("e8m13", 8, 13, 127, True, NAN_IEEE, 0x1FFFFF)
INPUT_DTYPES = {"fp16": np.float16, "bf16": ml_dtypes.bfloat16, "e4m3": ml_dtypes.float8_e4m3fn,
                "e5m2": ml_dtypes.float8_e5m2}


# ------------------------------------------------------------------ reference
def _reference_block(a: list[int], b: list[int], c: int, dp: Datapath) -> int:
    """One fused block, step by step as REFERENCE.md writes it, on Python ints."""
    out, fin = dp.output, dp.input
    da = [decode(x, fin) for x in a]
    db = [decode(y, fin) for y in b]
    dc = decode(c, out)
    kinds = [k for k, *_ in da + db] + [dc[0]]
    infinite_signs = set()
    for (ka, sa, ma, _), (kb, sb, mb, _) in zip(da, db):
        if "nan" in (ka, kb) or (ka == "inf" and kb == "finite" and mb == 0) or \
                (kb == "inf" and ka == "finite" and ma == 0):
            return out.canonical_nan
        if "inf" in (ka, kb):
            infinite_signs.add(sa ^ sb)
    if dc[0] == "nan":
        return out.canonical_nan
    if dc[0] == "inf":
        infinite_signs.add(dc[1])
    if len(infinite_signs) == 2:
        return out.canonical_nan
    if infinite_signs:
        return out.inf_bits | (out.sign_bit if infinite_signs.pop() else 0)
    assert set(kinds) == {"finite"}
    # Terms as (signed significand, exponent of its last bit, exponent of its leading bit).
    terms = []
    for (_, sa, ma, ea), (_, sb, mb, eb) in zip(da, db):
        m = ma * mb
        lead = (ea + fin.fraction_bits) + (eb + fin.fraction_bits)   # each factor's exponent, emin if subnormal
        terms.append((-m if sa ^ sb else m, ea + eb, lead if m else dp.zero_exponent))
    _, sc, mc, ec = dc
    terms.append((-mc if sc else mc, ec, ec + out.fraction_bits if mc else dp.zero_exponent))
    e_max = max(lead for _, _, lead in terms)
    unit = e_max - dp.alignment_fraction_bits
    total = 0
    for m, last, _ in terms:                          # truncate toward zero to F fraction bits
        aligned = Fraction(abs(m)) * Fraction(2) ** (last - unit)
        total += int(aligned) if m >= 0 else -int(aligned)
    value = Fraction(total) * Fraction(2) ** unit
    if abs(value) >= Fraction(2) ** (out.emax + 1):  # past the format even after truncation: infinity
        return out.inf_bits | (out.sign_bit if value < 0 else 0)
    if dp.round_to_nearest:
        bits = round_fraction(value, out, ROUND_RN)
    elif dp.result_fraction_bits == E8M13.fraction_bits:
        bits = round_fraction(value, E8M13, ROUND_RZ) << (FP32.fraction_bits - E8M13.fraction_bits)
    else:
        bits = round_fraction(value, out, ROUND_RZ)
    return 0 if bits & ~out.sign_bit == 0 else bits    # a zero result is +0.0


def _reference_chain(a: list[int], b: list[int], c: int, dp: Datapath) -> int:
    for k0 in range(0, len(a), dp.block_terms):
        c = _reference_block(a[k0:k0 + dp.block_terms], b[k0:k0 + dp.block_terms], c, dp)
    return c


def reference_mma(a_bits, b_bits, c_bits, arch, input, accumulate, instruction="mma") -> np.ndarray:
    """The scalar reference model for (M, K) @ (K, N) + (M, N) patterns."""
    path = tensor_core(arch).datapath(input, accumulate, instruction)
    a_bits, b_bits, c_bits = (np.asarray(x).astype(np.int64) for x in (a_bits, b_bits, c_bits))
    d = np.zeros(c_bits.shape, np.int64)
    for i, j in np.ndindex(*d.shape):
        a, b, c = [int(x) for x in a_bits[i]], [int(y) for y in b_bits[:, j]], int(c_bits[i, j])
        if isinstance(path, Fp8ViaFp16):
            # F2FP to fp16, HMMA on k % 4 < 2 from +0, HMMA on k % 4 >= 2, then FADD/HADD2 with c.
            for k0 in range(0, len(a), path.instruction_terms):
                ks = range(k0, min(k0 + path.instruction_terms, len(a)))
                a16 = {k: round_float(to_float(a[k], path.input), FP16) for k in ks}
                b16 = {k: round_float(to_float(b[k], path.input), FP16) for k in ks}
                low = [k for k in ks if k % 4 < 2]
                high = [k for k in ks if k % 4 >= 2]
                partial = _reference_chain([a16[k] for k in low], [b16[k] for k in low], 0, path.hmma)
                partial = _reference_chain([a16[k] for k in high], [b16[k] for k in high], partial, path.hmma)
                c = reference_op("add", (c, partial), path.output, ROUND_RN)
            d[i, j] = c
        else:
            d[i, j] = _reference_chain(a, b, c, path)
    return d


# ------------------------------------------------------------------- helpers
def _patterns(values, fmt: str) -> np.ndarray:
    """Input-format patterns of exactly representable values (tf32: the FP32 word)."""
    values = np.asarray(values, np.float64)
    if fmt == "tf32":
        return values.astype(np.float32).view(np.uint32)
    narrow = values.astype(INPUT_DTYPES[fmt])
    assert np.array_equal(narrow.astype(np.float64), values, equal_nan=True), (values, fmt)
    return narrow.view(np.uint16 if narrow.itemsize == 2 else np.uint8)


def _dot(arch, input, a, b, c, accumulate, instruction) -> np.ndarray:
    A = np.asarray(a, np.float64)[None, :]
    B = np.asarray(b, np.float64)[:, None]
    return mma(A, B, np.asarray([[c]], np.float64), arch, input, accumulate, instruction)


def dot(arch, input, a, b, c, accumulate="fp32", instruction="mma") -> float:
    """One output element, d = c + sum a[k] b[k], through the public float API."""
    return float(_dot(arch, input, a, b, c, accumulate, instruction)[0, 0])


def dot_bits(arch, input, a, b, c, accumulate="fp32", instruction="mma") -> int:
    """The same, as the output's bit pattern."""
    d = _dot(arch, input, a, b, c, accumulate, instruction)
    return int(d.view(np.uint32 if d.itemsize == 4 else np.uint16)[0, 0])


ALL_ARCHS = list(ARCHS)


def archs_with(input):
    return [a for a in ARCHS if input in ARCHS[a].inputs]


# --------------------------------------------------------------- real GPUs
# (file, arch, input, output column, instruction, how c enters)
REPLAYS = [
    ("V100_fp16", "sm_70", "fp16", "d_fp32", "mma", "c"),
    ("V100_fp16", "sm_70", "fp16", "d_fp16", "mma", "c"),
    ("A100_fp16", "sm_80", "fp16", "d_fp32", "mma", "c"),
    ("A100_fp16", "sm_80", "fp16", "d_fp16", "mma", "c"),
    ("A100_bf16", "sm_80", "bf16", "d_fp32", "mma", "c"),
    ("A100_tf32", "sm_80", "tf32", "d_fp32", "mma", "c"),
    ("H100_fp16", "sm_90", "fp16", "d_fp32", "mma", "c"),
    ("H100_fp16", "sm_90", "fp16", "d_fp16", "mma", "c"),
    ("H100_bf16", "sm_90", "bf16", "d_fp32", "mma", "c"),
    ("H100_tf32", "sm_90", "tf32", "d_fp32", "mma", "c"),
    # FP32 out: the native FP8 datapath (every result has 13 fraction bits, which the HMMAs that
    # ptxas 12.9 makes of mma.sync would not give; the source repository's validation script says
    # wgmma). c did not reach the GPU (README), so it is zero.
    ("H100_E4M3", "sm_90", "e4m3", "d_fp32", "wgmma", "zero"),
    ("H100_E5M2", "sm_90", "e5m2", "d_fp32", "wgmma", "zero"),
    # FP16 out: mma.sync, which ptxas lowers to two HMMA.16816.F16 and an HADD2 on sm_90.
    ("H100_E4M3", "sm_90", "e4m3", "d_fp16", "mma", "c"),
    ("H100_E5M2", "sm_90", "e5m2", "d_fp16", "mma", "c"),
]


@pytest.mark.parametrize("name, arch, input, column, instruction, c_enters", REPLAYS,
                         ids=[f"{r[0]}-{r[3]}" for r in REPLAYS])
def test_replay_real_gpu_vectors(name, arch, input, column, instruction, c_enters):
    data = np.load(VECTORS / f"{name}.npz")
    a = _patterns(data["a"].view(np.float32), input)
    b = _patterns(data["b"].view(np.float32), input)
    c32 = data["c_fp32"].view(np.float32)
    accumulate = "fp16" if column == "d_fp16" else "fp32"
    if c_enters == "zero":
        c = np.zeros(len(c32), np.uint32)
    elif accumulate == "fp16":                          # c enters rounded to nearest fp16 (README)
        c = c32.astype(np.float16).view(np.uint16)
    else:
        c = data["c_fp32"]
    measured = data[column]
    if accumulate == "fp16":                            # stored as the FP32 pattern of the fp16 result
        measured = measured.view(np.float32).astype(np.float16).view(np.uint16)
    d = mma_bits(a[:, None, :], b[:, :, None], c[:, None, None], arch, input, accumulate, instruction)[:, 0, 0]
    matches = int((d == measured).sum())
    assert matches == len(measured), f"{name} {column}: {matches}/{len(measured)} bit-exact"


def test_fp8_fp16_vectors_reject_the_single_block_model():
    """The FP16-output FP8 vectors are not the single fused block (F = 13, L = 32, RNE) that
    MMA-Sim gives wgmma: that simple model matches only about 62-67% of them."""
    for name, input in (("H100_E4M3", "e4m3"), ("H100_E5M2", "e5m2")):
        data = np.load(VECTORS / f"{name}.npz")
        a = _patterns(data["a"].view(np.float32), input)
        b = _patterns(data["b"].view(np.float32), input)
        c = data["c_fp32"].view(np.float32).astype(np.float16).view(np.uint16)
        measured = data["d_fp16"].view(np.float32).astype(np.float16).view(np.uint16)
        d = mma_bits(a[:, None, :], b[:, :, None], c[:, None, None], "sm_90", input, "fp16", "wgmma")[:, 0, 0]
        assert 0.55 < (d == measured).mean() < 0.75


# ------------------------------------------------------------ feature probes
@pytest.mark.parametrize("arch", ALL_ARCHS)
def test_products_are_exact(arch):
    """(1 + 2^-10)^2 = 1 + 2^-9 + 2^-20 needs 21 bits: the product is not rounded to fp16
    [FHMP, KM: products exact]."""
    x = 1 + 2.0 ** -10
    assert dot(arch, "fp16", [x], [x], 0.0) == 1 + 2.0 ** -9 + 2.0 ** -20


@pytest.mark.parametrize("arch", ALL_ARCHS)
def test_alignment_keeps_F_fraction_bits(arch):
    """1 - 2^-24 and 1 - 2^-25 (as c = 1 plus one product): the product survives alignment
    to e_max = 0 only if F >= 24, resp. F >= 25 [KM `neab`, MS `n_accum_fractional_bits`]."""
    F = ARCHS[arch].alignment_fraction_bits
    below_one = 1 - 2.0 ** -24                         # FP32's next number below 1
    assert dot(arch, "fp16", [-2.0 ** -12], [2.0 ** -12], 1.0) == (below_one if F >= 24 else 1.0)
    assert dot(arch, "fp16", [-2.0 ** -12], [2.0 ** -13], 1.0) == (below_one if F >= 25 else 1.0)


@pytest.mark.parametrize("arch", ALL_ARCHS)
def test_alignment_truncates_toward_zero_without_sticky_bit(arch):
    """c = 1 plus a product of -0.75 units of 2^-F: truncation toward zero drops it (1.0);
    rounding to nearest, toward -inf, or a sticky bit under the final truncation would give
    1 - 2^-24 [FHMP, KM: truncation, no sticky bit]."""
    F = ARCHS[arch].alignment_fraction_bits
    assert dot(arch, "fp16", [-1.5 * 2.0 ** -12], [2.0 ** (11 - F)], 1.0) == 1.0


@pytest.mark.parametrize("arch", ALL_ARCHS)
def test_final_rounding_fp32_toward_zero_fp16_nearest_even(arch):
    """1 + 0.75 ulp: FP32 output truncates (1.0), FP16 output rounds to nearest (1 + 2^-10);
    ties go to even [KM `frmode`: rz for fp32, rne for fp16]."""
    assert dot(arch, "fp16", [1.5 * 2.0 ** -12], [2.0 ** -12], 1.0) == 1.0
    assert dot(arch, "fp16", [1.5 * 2.0 ** -6], [2.0 ** -5], 1.0, "fp16") == 1 + 2.0 ** -10
    assert dot(arch, "fp16", [2.0 ** -6], [2.0 ** -5], 1.0, "fp16") == 1.0
    assert dot(arch, "fp16", [2.0 ** -6], [2.0 ** -5], 1 + 2.0 ** -10, "fp16") == 1 + 2.0 ** -9


def _block_size_probe(arch, input, j, accumulate="fp32", instruction="mma"):
    """K = 32: 2^8 - 2^8 at k = 0, 1 and a tiny 2^-2t at k = j. In the block of the large
    terms the tiny one is truncated away; in a later block it is added exactly."""
    t = {"e4m3": 9, "e5m2": 10}.get(input, 10)
    a, b = np.zeros(32), np.zeros(32)
    a[:2], b[:2] = [16.0, -16.0], [16.0, 16.0]
    a[j] = b[j] = 2.0 ** -t
    return dot(arch, input, a, b, 0.0, accumulate, instruction), 2.0 ** (-2 * t)


@pytest.mark.parametrize("arch, input", [(a, i) for a in ARCHS for i in ("fp16", "bf16", "tf32")
                                         if i in ARCHS[a].inputs])
def test_block_size(arch, input):
    """The first k whose tiny product survives is the block size L [KM `fma`, MS split-k, FHMP]."""
    L = ARCHS[arch].block_terms[input]
    for accumulate in ("fp32", "fp16") if input == "fp16" else ("fp32",):
        survivors = [j for j in range(2, 32) if _block_size_probe(arch, input, j, accumulate)[0] != 0]
        assert survivors == list(range(L, 32)), (accumulate, survivors)


@pytest.mark.parametrize("arch, instruction", [(a, ARCHS[a].fp8.instruction) for a in ARCHS if ARCHS[a].fp8])
@pytest.mark.parametrize("input", ["e4m3", "e5m2"])
def test_fp8_native_block_size(arch, instruction, input):
    """The native FP8 datapath's L: 16 on Ada, 32 on Hopper and Blackwell [KM, MS]."""
    L = ARCHS[arch].fp8.block_terms
    survivors = [j for j in range(2, 32) if _block_size_probe(arch, input, j, "fp32", instruction)[0] != 0]
    assert survivors == list(range(L, 32))


@pytest.mark.parametrize("arch", [a for a in ARCHS if ARCHS[a].fp8 and ARCHS[a].fp8.instruction != "mma"])
@pytest.mark.parametrize("accumulate", ["fp32", "fp16"])
def test_fp8_mma_sync_lowered_to_two_interleaved_hmma(arch, accumulate):
    """mma.sync FP8 on sm_90/sm_100 is F2FP + HMMA(k mod 4 < 2) + HMMA(k mod 4 >= 2) (ptxas 12.9
    SASS): the tiny product survives exactly when it sits in the other half than 2^8 - 2^8."""
    survivors = [j for j in range(2, 32) if _block_size_probe(arch, "e4m3", j, accumulate)[0] != 0]
    assert survivors == [j for j in range(2, 32) if j % 4 >= 2]


@pytest.mark.parametrize("arch", [a for a in ARCHS if ARCHS[a].fp8 and ARCHS[a].fp8.instruction != "mma"])
def test_fp8_mma_sync_adds_c_last_rounding_to_nearest(arch):
    """C = 2^12 plus a product of 0.75 ulp: the FADD that adds C after the HMMAs rounds to nearest
    (2^12 + 2^-11); the native datapath (F = 13 on Hopper, 25 on Blackwell, then truncation)
    keeps 2^12 [ptxas 12.9 SASS; the H100 FP16-output vectors]."""
    a, b = [1.5 * 2.0 ** -6], [2.0 ** -6]
    assert dot(arch, "e4m3", a, b, 4096.0) == 4096 + 2.0 ** -11
    assert dot(arch, "e4m3", a, b, 4096.0, instruction=ARCHS[arch].fp8.instruction) == 4096.0
    # The add is exact before it rounds (IEEE): 2^-12 + 2^-18 is just above half an ulp of 2^12.
    assert dot(arch, "e4m3", [2.0 ** -6, 2.0 ** -9], [2.0 ** -6, 2.0 ** -9], 4096.0) == 4096 + 2.0 ** -11
    assert dot(arch, "e4m3", [2.0 ** -6], [2.0 ** -6], 4096.0) == 4096.0          # a tie goes to even


@pytest.mark.parametrize("arch", [a for a in ARCHS if ARCHS[a].fp8])
def test_fp8_native_fp32_result_fraction_bits(arch):
    """1.75 + 1.75 + 2^-13: all three terms survive alignment to e_max = 0 with F = 13, but the
    sum's leading bit is 2^1, so a result of 13 fraction bits (Ada, Hopper) is 3.5 and a full FP32
    result (Blackwell) is 3.5 + 2^-13 [KM output bits 23 + neab, MS "f32_e8m13"]."""
    unit = ARCHS[arch].fp8
    d = dot(arch, "e4m3", [1.75, 1.75, 2.0 ** -6], [1.0, 1.0, 2.0 ** -7], 0.0, instruction=unit.instruction)
    assert d == (3.5 if unit.fp32_result_fraction_bits == 13 else 3.5 + 2.0 ** -13)


@pytest.mark.parametrize("arch", ALL_ARCHS)
def test_carries_beyond_the_product_range(arch):
    """L products of (2 - 2^-10)^2 each just below 4 add up exactly: the adder keeps carry bits
    above the aligned [0, 4) range [KM, MS: exact sum]."""
    L = ARCHS[arch].block_terms["fp16"]
    x = 2 - 2.0 ** -10
    assert dot(arch, "fp16", [x] * L, [x] * L, 0.0) == L * x * x


@pytest.mark.parametrize("arch", ALL_ARCHS)
def test_products_normalised_late(arch):
    """1.5 * 1.5 = 2.25 keeps exponent 0 (significand in [2, 4)), so e_max = 0 and a product of
    2^-F survives: 0.375 + 2^-F. Normalising products first would give e_max = 1 and 0.375
    [KM `denorm_prd` = 1, MS]."""
    F = ARCHS[arch].alignment_fraction_bits
    assert dot(arch, "fp16", [1.5, 1.5, 2.0 ** -12], [1.5, -1.25, 2.0 ** (12 - F)], 0.0) == 0.375 + 2.0 ** -F


@pytest.mark.parametrize("arch", ALL_ARCHS)
def test_subnormal_inputs_and_outputs(arch):
    """Subnormal inputs are used, not flushed; subnormal results are produced
    [KM `in_subnormals` = `out_subnormals` = 1]."""
    tiny = 2.0 ** -24                                   # fp16's smallest subnormal
    assert dot(arch, "fp16", [tiny], [1.0], 0.0) == tiny
    assert dot(arch, "fp16", [tiny], [tiny], 0.0) == 2.0 ** -48
    assert dot(arch, "fp16", [2.0 ** -10], [2.0 ** -10], 0.0, "fp16") == 2.0 ** -20  # fp16 subnormal out
    assert dot(arch, "fp16", [0.0], [1.0], 2.0 ** -140) == 2.0 ** -140               # FP32 subnormal c
    if "bf16" in ARCHS[arch].inputs:
        assert dot(arch, "bf16", [2.0 ** -70], [2.0 ** -70], 0.0) == 2.0 ** -140    # FP32 subnormal out


@pytest.mark.parametrize("arch", ALL_ARCHS)
def test_zero_exponent_fp16_out(arch):
    """A zero c counts as exponent e_zero: with c = 0, 2^-25 (a tie between 0 and fp16's
    smallest subnormal) plus 2^x rounds up if 2^x survives truncation below 2^e_zero, that is
    if x >= e_zero - F [KM `min_exp_limit`]."""
    t = ARCHS[arch]
    edge = t.zero_exponent_fp16_out - t.alignment_fraction_bits
    a, b = [2.0 ** -12, 2.0 ** (edge // 2)], [2.0 ** -13, 2.0 ** (edge - edge // 2)]
    assert dot(arch, "fp16", a, b, 0.0, "fp16") == 2.0 ** -24
    b[1] /= 2
    assert dot(arch, "fp16", a, b, 0.0, "fp16") == 0.0


@pytest.mark.parametrize("arch", archs_with("bf16"))
def test_zero_exponent_fp32_out(arch):
    """With c = 0, 2^-149 - 2^x truncates to 0 if 2^x survives below 2^e_zero (x >= e_zero - F),
    and stays 2^-149 otherwise [KM `min_exp_limit`]. (With fp16 inputs alone, as on sm_70 and
    sm_75, e_zero for FP32 output cannot be observed: products are >= 2^-48.)"""
    t = ARCHS[arch]
    edge = t.zero_exponent_fp32_out - t.alignment_fraction_bits
    a, b = [2.0 ** -75, -(2.0 ** (edge // 2))], [2.0 ** -74, 2.0 ** (edge - edge // 2)]
    assert dot(arch, "bf16", a, b, 0.0) == 0.0
    b[1] /= 2
    assert dot(arch, "bf16", a, b, 0.0) == 2.0 ** -149


@pytest.mark.parametrize("arch", ALL_ARCHS)
@pytest.mark.parametrize("accumulate", ["fp32", "fp16"])
def test_nan_and_infinity(arch, accumulate):
    """NaN in, Inf * 0, Inf - Inf give the canonical NaN; Inf keeps its sign; overflow is Inf,
    also under truncation [KM GEMM.m special cases; MS canonical NaN 0x7FFFFFFF / 0x7FFF]."""
    out = FORMATS[accumulate]
    inf, nan = math.inf, math.nan
    L = ARCHS[arch].block_terms["fp16"]
    assert dot_bits(arch, "fp16", [nan, 1], [1, 1], 0.0, accumulate) == out.canonical_nan
    assert dot_bits(arch, "fp16", [inf, 1], [0, 1], 0.0, accumulate) == out.canonical_nan
    assert dot_bits(arch, "fp16", [inf, inf], [1, -1], 0.0, accumulate) == out.canonical_nan
    assert dot_bits(arch, "fp16", [inf], [1], -inf, accumulate) == out.canonical_nan
    assert dot_bits(arch, "fp16", [1], [1], nan, accumulate) == out.canonical_nan
    assert dot(arch, "fp16", [inf, 1], [2, 1], 5.0, accumulate) == inf
    assert dot(arch, "fp16", [inf, 1], [-2, 1], 5.0, accumulate) == -inf
    assert dot(arch, "fp16", [1], [1], -inf, accumulate) == -inf
    # Across blocks: an infinity from block 1 is block 2's c.
    a = [inf] + [0.0] * (L - 1) + [-inf]
    assert dot_bits(arch, "fp16", a, [1.0] * (L + 1), 0.0, accumulate) == out.canonical_nan
    assert dot(arch, "fp16", [inf] + [0.0] * L, [1.0] * (L + 1), 0.0, accumulate) == inf
    # Overflow: FP16 past 65504 rounds to Inf; FP32 past 2^128 is Inf although it truncates.
    assert dot(arch, "fp16", [65504.0, 65504.0], [1.0, 1.0], 0.0, accumulate) == \
        (inf if accumulate == "fp16" else 131008.0)
    if "bf16" in ARCHS[arch].inputs and accumulate == "fp32":
        assert dot(arch, "bf16", [2.0 ** 127, 2.0 ** 127], [2.0, 2.0], 0.0) == inf


@pytest.mark.parametrize("arch", ALL_ARCHS)
def test_zero_results_are_positive(arch):
    """-0 inputs, exact cancellation and a negative value truncated to zero all give +0.0
    [MS; the model's choice, not confirmed by the measured vectors, which have no zero result]."""
    assert dot_bits(arch, "fp16", [-0.0], [1.0], -0.0) == 0
    assert dot_bits(arch, "fp16", [1.5, -1.5], [2.0, 2.0], 0.0) == 0
    assert dot_bits(arch, "fp16", [1.5, 1.5], [2.0, -2.0], -0.0, "fp16") == 0
    if "bf16" in ARCHS[arch].inputs:
        assert dot_bits(arch, "bf16", [-(2.0 ** -80)], [2.0 ** -80], 0.0) == 0   # lost in alignment
        assert dot_bits(arch, "bf16", [-(2.0 ** -76)], [2.0 ** -76], 0.0) == 0   # lost in the final truncation


@pytest.mark.parametrize("arch", archs_with("tf32"))
def test_tf32_ignores_low_13_bits(arch):
    """TF32 operands are FP32 words whose low 13 bits the tensor core ignores [MS truncate_to_tf32]."""
    rng = np.random.default_rng(1)
    a = rng.standard_normal((4, 8)).astype(np.float32).view(np.uint32)
    b = rng.standard_normal((8, 3)).astype(np.float32).view(np.uint32)
    c = np.zeros((4, 3), np.uint32)
    mask = np.uint32(0xFFFFE000)
    assert np.array_equal(mma_bits(a, b, c, arch, "tf32"), mma_bits(a & mask, b & mask, c, arch, "tf32"))


# --------------------------------------------------------------------- API
def test_mma_refuses_values_its_format_cannot_hold():
    A = np.ones((2, 3))
    A[1, 2] = 0.1
    with pytest.raises(ValueError, match=r"A\[1, 2\] = 0\.1 is not exactly representable in fp16"):
        mma(A, np.ones((3, 2)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"B\[0, 0\] .* in tf32"):
        mma(np.ones((1, 1)), np.full((1, 1), 1 + 2.0 ** -11), np.zeros((1, 1)), input="tf32")
    with pytest.raises(ValueError, match=r"C\[0, 0\] .* in fp16"):
        mma(np.ones((1, 1)), np.ones((1, 1)), np.full((1, 1), 1e6), accumulate="fp16")
    with pytest.raises(ValueError, match="not 'bf16'"):
        mma(np.ones((1, 1)), np.ones((1, 1)), np.zeros((1, 1)), arch="sm_70", input="bf16")
    with pytest.raises(ValueError, match="fp16 accumulator"):
        mma(np.ones((1, 1)), np.ones((1, 1)), np.zeros((1, 1)), input="bf16", accumulate="fp16")
    with pytest.raises(ValueError, match="not 'wgmma'"):
        mma(np.ones((1, 1)), np.ones((1, 1)), np.zeros((1, 1)), arch="sm_80", instruction="wgmma")
    with pytest.raises(ValueError, match="no tensor-core model"):
        mma(np.ones((1, 1)), np.ones((1, 1)), np.zeros((1, 1)), arch="sm_60")
    with pytest.raises(ValueError, match="shapes"):
        mma(np.ones((2, 3)), np.ones((2, 3)), np.zeros((2, 3)))


def test_mma_takes_any_exact_dtype_and_returns_the_accumulator_dtype():
    A = np.array([[1.5, -2.0]], ml_dtypes.bfloat16)
    B = np.array([[4.0], [0.25]], np.float32)
    D = mma(A, B, np.array([[1.0]], np.float16), "sm_80", "bf16")
    assert D.dtype == np.float32 and D[0, 0] == 6.5
    D = mma(A.astype(np.float16), B, np.array([[1.0]], np.float16), "sm_80", "fp16", "fp16")
    assert D.dtype == np.float16 and D[0, 0] == 6.5


def test_gemm_is_the_chain_of_instructions_over_ascending_k(monkeypatch):
    """mma() over K = 64 equals m16n8k16 mma_bits fragments chained in k order (sm_80: two
    8-term blocks each), also when it computes D in row chunks."""
    rng = np.random.default_rng(2)
    A = rng.standard_normal((16, 64)).astype(np.float16)
    B = rng.standard_normal((64, 8)).astype(np.float16)
    C = rng.standard_normal((16, 8)).astype(np.float32)
    d = C.view(np.uint32)
    for k0 in range(0, 64, 16):
        d = mma_bits(A[:, k0:k0 + 16].view(np.uint16), B[k0:k0 + 16].view(np.uint16), d, "sm_80", "fp16")
    assert np.array_equal(mma(A, B, C, "sm_80").view(np.uint32), d)
    monkeypatch.setattr(importlib.import_module("emu.numerics.mma"), "_ELEMENTS_PER_CHUNK", 8 * 32 * 3)  # 3 rows
    assert np.array_equal(mma(A, B, C, "sm_80").view(np.uint32), d)


def test_fp8_gemm_chains_m16n8k32_instructions():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((4, 64)).astype(ml_dtypes.float8_e4m3fn)
    B = rng.standard_normal((64, 3)).astype(ml_dtypes.float8_e4m3fn)
    C = rng.standard_normal((4, 3)).astype(np.float32)
    for arch in ("sm_89", "sm_90", "sm_100"):
        d = C.view(np.uint32)
        for k0 in (0, 32):
            d = mma_bits(A[:, k0:k0 + 32].view(np.uint8), B[k0:k0 + 32].view(np.uint8), d, arch, "e4m3")
        assert np.array_equal(mma(A, B, C, arch, "e4m3").view(np.uint32), d)


def test_mma_bits_broadcasts_leading_dimensions():
    rng = np.random.default_rng(4)
    a = rng.integers(0, 0x7C00, (5, 16, 16), dtype=np.uint16)
    b = rng.integers(0, 0x7C00, (5, 16, 8), dtype=np.uint16)
    c = rng.integers(0, 0x7F800000, (5, 16, 8), dtype=np.uint32)
    batched = mma_bits(a, b, c, "sm_90", "fp16")
    assert batched.dtype == np.uint32
    for w in range(5):
        assert np.array_equal(batched[w], mma_bits(a[w], b[w], c[w], "sm_90", "fp16"))


# --------------------------------------------------------------- properties
COMBINATIONS = [(arch, input, accumulate, instruction)
                for arch, t in ARCHS.items() for instruction in t.instructions
                for input in t.inputs for accumulate in ("fp32", "fp16")
                if (accumulate == "fp32" or input in ("fp16", "e4m3", "e5m2"))]


def _pattern_strategy(fmt: Format, centre: int, spread: int, specials: bool, zeros: int = 2):
    """Mostly patterns whose exponent field is within ``spread`` of ``centre``, so that terms
    interact; ``zeros`` in 32 are +0, -0 or the smallest subnormal; with ``specials``, one in 16
    is an infinity, a NaN or any pattern at all."""
    top = fmt.total_bits - 1
    near = st.builds(lambda s, e, f: (s << top) | (e << fmt.fraction_bits) | f, st.integers(0, 1),
                     st.integers(max(0, centre - spread), min(fmt.exponent_field_max - 1, centre + spread)),
                     st.integers(0, (1 << fmt.fraction_bits) - 1))
    small = st.sampled_from([0, 1 << top, 1])
    nan = (fmt.canonical_nan >> fmt.container_shift) | (1 << top)
    infinite = [fmt.inf_bits >> fmt.container_shift, (fmt.inf_bits >> fmt.container_shift) | (1 << top)]
    special = st.sampled_from([nan] + (infinite if fmt.has_infinity else []))
    anything = st.integers(0, (1 << fmt.total_bits) - 1)
    strategies = [small] * zeros + ([special, anything] if specials else []) + [near] * (32 - zeros)
    pick = st.integers(0, len(strategies) - 1).flatmap(lambda r: strategies[r])
    return pick.map(lambda x: x << fmt.container_shift)


@st.composite
def fragments(draw, combinations=COMBINATIONS, k_range=(1, 40)):
    """(arch, input, accumulate, instruction, a, b, c) with a (M, K), b (K, N), c (M, N) patterns.

    A quarter of them hold infinities and NaNs; a quarter have up to 8 products near e_zero and
    c mostly zero, where e_zero, subnormals and the sign of zero decide the result."""
    arch, input, accumulate, instruction = draw(st.sampled_from(combinations))
    path = tensor_core(arch).datapath(input, accumulate, instruction)
    zero_exponent = (path.hmma if isinstance(path, Fp8ViaFp16) else path).zero_exponent
    fin, fout = FORMATS[input], FORMATS[accumulate]
    low = draw(st.integers(0, 3)) == 0
    m, n = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    k = draw(st.integers(k_range[0], max(k_range[0], min(k_range[1], 8)) if low else k_range[1]))
    specials = draw(st.integers(0, 3)) == 0
    if low:      # products mostly a little below e_zero, some below the output's subnormals
        ins = _pattern_strategy(fin, max(1, fin.bias + (zero_exponent - 8) // 2), 8, specials)
        acc = _pattern_strategy(fout, 1, 4, specials, zeros=16)
    else:
        ins = _pattern_strategy(fin, fin.bias, 4, specials)
        acc = _pattern_strategy(fout, fout.bias + 1, 4, specials)
    a = np.array(draw(st.lists(ins, min_size=m * k, max_size=m * k)), np.int64).reshape(m, k)
    b = np.array(draw(st.lists(ins, min_size=k * n, max_size=k * n)), np.int64).reshape(k, n)
    c = np.array(draw(st.lists(acc, min_size=m * n, max_size=m * n)), np.int64).reshape(m, n)
    return arch, input, accumulate, instruction, a, b, c


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fragments())
def test_vectorised_model_equals_scalar_reference(fragment):
    arch, input, accumulate, instruction, a, b, c = fragment
    d = mma_bits(a, b, c, arch, input, accumulate, instruction)
    assert np.array_equal(d, reference_mma(a, b, c, arch, input, accumulate, instruction))


def _exponent(x: Fraction, fmt: Format) -> int:
    """Exponent of the leading bit of x > 0 as the format writes it (emin for subnormals)."""
    e = x.numerator.bit_length() - x.denominator.bit_length()
    if Fraction(2) ** e > x:
        e -= 1
    return max(e, fmt.emin)


def _ulp(x: Fraction, fmt: Format) -> Fraction:
    """The format's unit in the last place at x >= 0."""
    return Fraction(2) ** ((_exponent(x, fmt) if x else fmt.emin) - fmt.fraction_bits)


NATIVE = [x for x in COMBINATIONS if x[1] in ("fp16", "bf16", "tf32")]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fragments(NATIVE))
def test_error_bound_against_exact_dot_products(fragment):
    """Each block: |d - (c + sum)| <= T + the final rounding, T = (L + 1) 2^(e_max - F) the
    truncation of L + 1 terms, the rounding 1 ulp (truncation) or 1/2 ulp (nearest) at
    |c + sum| + T, with c + sum exact; and the whole K is the chain of those blocks."""
    arch, input, accumulate, instruction, a, b, c = fragment
    dp = tensor_core(arch).datapath(input, accumulate, instruction)
    fin, fout = dp.input, dp.output
    a, b, c = a[:1], b[:, :1], c[:1, :1]
    d = c
    for k0 in range(0, a.shape[1], dp.block_terms):
        ab, bb = a[:, k0:k0 + dp.block_terms], b[k0:k0 + dp.block_terms]
        kinds = [decode(int(x), fin)[0] for x in np.concatenate([ab.ravel(), bb.ravel()])]
        if decode(int(d[0, 0]), fout)[0] != "finite" or set(kinds) != {"finite"}:
            return
        new = mma_bits(ab, bb, d, arch, input, accumulate, instruction)
        if decode(int(new[0, 0]), fout)[0] != "finite":
            return                                     # overflow to infinity
        factors = [(to_fraction(int(x), fin), to_fraction(int(y), fin)) for x, y in zip(ab[0], bb[:, 0])]
        cv = to_fraction(int(d[0, 0]), fout)
        exact = cv + sum(x * y for x, y in factors)
        exponents = [_exponent(abs(x), fin) + _exponent(abs(y), fin) for x, y in factors if x and y]
        exponents.append(_exponent(abs(cv), fout) if cv else dp.zero_exponent)
        if any(not (x and y) for x, y in factors):
            exponents.append(dp.zero_exponent)
        truncation = (len(factors) + 1) * Fraction(2) ** (max(exponents) - dp.alignment_fraction_bits)
        bound = truncation + _ulp(abs(exact) + truncation, fout) / (2 if dp.round_to_nearest else 1)
        assert abs(to_fraction(int(new[0, 0]), fout) - exact) <= bound
        d = new
    assert np.array_equal(d, mma_bits(a, b, c, arch, input, accumulate, instruction))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fragments([("sm_80", "fp16", "fp32", "mma")], k_range=(16, 16)))
def test_sm80_and_sm90_m16n8k16_differ_where_the_model_says(fragment):
    """m16n8k16 fp16 is two chained 8-term blocks with F = 24 on sm_80 and one 16-term block with
    F = 25 on sm_90: each architecture's result is its reference model's, so the two differ
    exactly where the references do."""
    _, _, _, _, a, b, c = fragment
    d80, d90 = (mma_bits(a, b, c, arch, "fp16") for arch in ("sm_80", "sm_90"))
    r80, r90 = (reference_mma(a, b, c, arch, "fp16", "fp32") for arch in ("sm_80", "sm_90"))
    assert np.array_equal(d80, r80) and np.array_equal(d90, r90)
    assert np.array_equal(d80 != d90, r80 != r90)
