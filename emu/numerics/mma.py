"""Tensor-core MMA arithmetic, bit for bit: the truncated fused dot-product-add.

For every output element ``d = c + sum_k a[k] * b[k]`` the tensor cores of
Volta to Blackwell do the following (Fasi et al., PeerJ CS 7:e330, 2021;
Khattak & Mikaitis, arXiv 2512.07004; Xie et al. "MMA-Sim", arXiv 2511.10909):

1. K is cut into consecutive blocks of ``L`` terms, in ascending k. Each
   block's rounded result is the ``c`` of the next block.
2. Products are exact: integer significands multiplied, exponents added, no
   rounding, overflow or underflow, and no renormalisation.
3. Every term (the block's products and ``c``) is aligned to ``e_max``, the
   largest exponent among them, and truncated toward zero to ``F`` fraction
   bits below ``2^e_max``; there is no sticky bit. A term's exponent is that
   of its leading significand bit as its format writes it (a subnormal keeps
   its format's ``emin``; a product's is the sum of its factors', its
   significand in [0, 4)); a zero term counts as ``e_zero``.
4. The truncated terms are added exactly and the sum is normalised once: to
   FP32 by truncation (round toward zero) to 24 significant bits, with FP32's
   subnormal range; to FP16 by round to nearest, ties to even. A magnitude
   past the largest finite value is infinity, also under truncation (where
   IEEE 754 would give the largest finite number).
5. Any NaN input, infinity times zero, or infinities of both signs give the
   canonical NaN of the output (0x7FFFFFFF, 0x7FFF); otherwise an infinite
   input gives the infinity of its sign.
6. A zero result is +0.0 whatever the signs of the terms (MMA-Sim's choice;
   the measured vectors in tests/data/tc_vectors hold no zero result, so the
   sign of zero is not confirmed by measurement).

TF32 inputs are FP32 patterns whose low 13 bits the unit ignores.

FP8 (E4M3, E5M2) takes one of two routes, by architecture and instruction:

- The native FP8 datapath (Ada's ``mma.sync``, Hopper's ``wgmma``, Blackwell's
  ``tcgen05.mma``): the algorithm above with its own F, L and, on Ada and
  Hopper, an FP32 result of only 13 fraction bits (MMA-Sim "f32_e8m13").
- ``mma.sync`` on sm_90 and sm_100, which ptxas lowers to FP16 tensor-core
  MMAs. The SASS ptxas 12.9 writes for ``mma.sync.m16n8k32...e4m3`` is:
  ``F2FP.F16.E4M3.UNPACK_B`` converts the low and the high fp8 pair of each
  32-bit register to fp16; ``HMMA.16816`` multiplies the low pairs (k mod 4
  in {0, 1}) onto a zero accumulator; a second ``HMMA.16816`` adds the high
  pairs (k mod 4 in {2, 3}); ``FADD`` (FP32) or ``HADD2`` (FP16) adds C last,
  rounding to nearest. (m16n8k16 uses two ``HMMA.1688`` the same way.)

All arithmetic is exact integer arithmetic on int64 numpy arrays: a product
significand has at most 2 * 11 + 2 bits, an aligned term at most F + 2 = 27,
a block's sum at most 27 + log2(33) bits. The error of one block against the
exact ``c + sum`` is at most ``T = (L + 1) * 2^(e_max - F)`` (the truncation
of L + 1 terms) plus the final rounding: one unit in the last place at
``|c + sum| + T`` under truncation, half of one under round to nearest.

Limits: only the floating-point ``mma`` formats are modelled (no integer
MMA, no FP64 DMMA, no block-scaled ``mxf8f6f4``). ``wgmma`` and
``tcgen05.mma`` are assumed to use the same blocks as ``mma.sync`` for
fp16/bf16/tf32 (MMA-Sim does so). ``mma.sync.m8n8k4`` on sm_80 and later is
not a tensor-core operation (ptxas writes FFMA chains for it) and is not
modelled here.
"""
from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import ml_dtypes
import numpy as np

from .formats import FORMATS, NAN_IEEE, ROUND_RN, Format, round_float, to_float

INPUTS = ("fp16", "bf16", "tf32", "e4m3", "e5m2")
FP8_INPUTS = ("e4m3", "e5m2")
ACCUMULATORS = ("fp32", "fp16")
INSTRUCTIONS = ("mma", "wgmma", "tcgen05")   # mma.sync, wgmma.mma_async, tcgen05.mma


# ---------------------------------------------------------------- parameters
@dataclass(frozen=True)
class Fp8Unit:
    """The tensor cores' native FP8 datapath, for E4M3 and E5M2 alike."""
    instruction: str                  # the PTX instruction that reaches it
    alignment_fraction_bits: int      # F
    block_terms: int                  # L
    fp32_result_fraction_bits: int    # fraction bits an FP32 result keeps
    zero_exponent: int                # e_zero, either accumulator

    def __post_init__(self):
        assert self.instruction in INSTRUCTIONS
        assert self.block_terms > 0 and self.block_terms & (self.block_terms - 1) == 0
        assert 2 * FORMATS["e4m3"].fraction_bits <= self.alignment_fraction_bits
        assert FORMATS["fp16"].fraction_bits <= self.fp32_result_fraction_bits <= FORMATS["fp32"].fraction_bits


@dataclass(frozen=True)
class TensorCoreArithmetic:
    """The MMA arithmetic of one architecture's tensor cores.

    ``block_terms`` maps each non-FP8 input format the tensor cores take to
    its block size L; ``fp8`` is the native FP8 datapath, if any.
    """
    arch: str
    gpu: str
    alignment_fraction_bits: int              # F: fraction bits kept after alignment
    block_terms: Mapping[str, int]            # L: products per fused block, by input format
    zero_exponent_fp32_out: int               # e_zero of a zero term, FP32 accumulator
    zero_exponent_fp16_out: int               # e_zero of a zero term, FP16 accumulator
    fp8: Fp8Unit | None = None

    def __post_init__(self):
        object.__setattr__(self, "block_terms", MappingProxyType(dict(self.block_terms)))
        assert "fp16" in self.block_terms, "every tensor core takes fp16"
        for name, terms in self.block_terms.items():
            assert name in INPUTS and name not in FP8_INPUTS, name
            assert terms > 0 and terms & (terms - 1) == 0, f"L = {terms} is not a power of two"
            # Products are exact below the alignment point.
            assert 2 * FORMATS[name].fraction_bits <= self.alignment_fraction_bits, name
        assert self.zero_exponent_fp32_out < FORMATS["fp32"].emin
        assert self.zero_exponent_fp16_out < FORMATS["fp16"].emin

    @property
    def inputs(self) -> tuple[str, ...]:
        return tuple(self.block_terms) + (FP8_INPUTS if self.fp8 else ())

    @property
    def instructions(self) -> tuple[str, ...]:
        native = self.fp8.instruction if self.fp8 else "mma"
        return ("mma",) if native == "mma" else ("mma", native)

    def datapath(self, input: str, accumulate: str, instruction: str = "mma") -> Datapath | Fp8ViaFp16:
        """The arithmetic of ``D = A*B + C`` with ``input`` A, B and ``accumulate`` C, D."""
        if input not in self.inputs:
            raise ValueError(f"{self.arch} ({self.gpu}) tensor cores take {', '.join(self.inputs)}, "
                             f"not {input!r}")
        if accumulate not in ACCUMULATORS:
            raise ValueError(f"accumulate must be one of {ACCUMULATORS}, not {accumulate!r}")
        if accumulate == "fp16" and input not in ("fp16",) + FP8_INPUTS:
            raise ValueError(f"PTX has no {input} MMA with an fp16 accumulator")
        if instruction not in self.instructions:
            raise ValueError(f"{self.arch} has the MMA instructions {', '.join(self.instructions)}, "
                             f"not {instruction!r}")
        fp32_out = accumulate == "fp32"
        if input in FP8_INPUTS and instruction != self.fp8.instruction:
            return Fp8ViaFp16(FORMATS[input], self.datapath("fp16", accumulate))
        if input in FP8_INPUTS:
            return Datapath(
                input=FORMATS[input], output=FORMATS[accumulate],
                alignment_fraction_bits=self.fp8.alignment_fraction_bits,
                block_terms=self.fp8.block_terms,
                zero_exponent=self.fp8.zero_exponent,
                result_fraction_bits=self.fp8.fp32_result_fraction_bits if fp32_out else FORMATS["fp16"].fraction_bits,
                round_to_nearest=not fp32_out)
        return Datapath(
            input=FORMATS[input], output=FORMATS[accumulate],
            alignment_fraction_bits=self.alignment_fraction_bits,
            block_terms=self.block_terms[input],
            zero_exponent=self.zero_exponent_fp32_out if fp32_out else self.zero_exponent_fp16_out,
            result_fraction_bits=FORMATS[accumulate].fraction_bits,
            round_to_nearest=not fp32_out)


@dataclass(frozen=True)
class Datapath:
    """The resolved parameters of one fused dot-product-add datapath."""
    input: Format
    output: Format
    alignment_fraction_bits: int     # F
    block_terms: int                 # L
    zero_exponent: int               # e_zero
    result_fraction_bits: int        # fraction bits the final normalisation keeps
    round_to_nearest: bool           # final rounding: nearest-even (else toward zero)


@dataclass(frozen=True)
class Fp8ViaFp16:
    """FP8 ``mma.sync`` lowered by ptxas to two FP16 MMAs and an add (see the module docstring)."""
    input: Format                    # e4m3 or e5m2, converted exactly to fp16
    hmma: Datapath                   # the architecture's fp16 datapath, same accumulator
    instruction_terms: int = 32      # K of m16n8k32: a longer K is a chain of such instructions

    @property
    def output(self) -> Format:
        return self.hmma.output


# Sources, cited per number below:
#   [KM]   Khattak & Mikaitis, "Accurate Models of NVIDIA Tensor Cores", arXiv 2512.07004, and
#          its models in north-numerical-computing/MATLAB-tensor-core (models/<GPU>TC.m:
#          `fma` is L, `neab` is F - 23, `min_exp_limit` is e_zero).
#   [MS]   Xie et al., "MMA-Sim", arXiv 2511.10909 (mmasim/simulator/nv_ptx.py:
#          `n_accum_fractional_bits` is F; `is_split_k` cuts K into two blocks).
#   [FHMP] Fasi, Higham, Mikaitis, Pranesh, "Numerical behavior of NVIDIA tensor cores",
#          PeerJ CS 7:e330 (2021).
#   [REF]  the table in REFERENCE.md (shared/), compiled from the papers above.
#   [SASS] what ptxas 12.9 (CUDA 12.9.86) writes for the PTX instruction, read with nvdisasm.
#   [VEC]  reproduces the real-GPU vectors in tests/data/tc_vectors bit for bit.
ARCHS: dict[str, TensorCoreArithmetic] = {a.arch: a for a in (
    TensorCoreArithmetic(
        arch="sm_70", gpu="V100",
        alignment_fraction_bits=23,           # [KM] V100TC.m neab = 0; [MS] Volta 23; [VEC]
        block_terms={"fp16": 4},              # [KM] V100TC.m fma = 4; [FHMP] 4-term fused adds; [VEC]
        zero_exponent_fp32_out=-131,          # [REF]; V100TC.m sets no limit (-1024): the same for fp16
                                              # inputs, whose products have exponents >= -28
        zero_exponent_fp16_out=-19,           # [KM] V100TC.m min_exp_limit = -19 for fp16 output
    ),
    TensorCoreArithmetic(
        arch="sm_75", gpu="T4",
        alignment_fraction_bits=24,           # [MS] Turing 24; [REF]
        block_terms={"fp16": 8},              # [REF]; [MS] m16n8k8 is one block
        zero_exponent_fp32_out=-132,          # [REF]
        zero_exponent_fp16_out=-20,           # [REF]
    ),
    TensorCoreArithmetic(
        arch="sm_80", gpu="A100",
        alignment_fraction_bits=24,           # [KM] A100TC.m neab = 1; [MS] Ampere 24; [VEC]
        block_terms={"fp16": 8,               # [KM] A100TC.m fma = 8; [MS] k16 split in two; [VEC]
                     "bf16": 8,               # [KM] A100TC.m fma = 8; [VEC]
                     "tf32": 4},              # [KM] A100TC.m fma = 4 for tf32; [MS] k8 split in two; [VEC]
        zero_exponent_fp32_out=-132,          # [KM] A100TC.m min_exp_limit = -132
        zero_exponent_fp16_out=-20,           # [KM] A100TC.m min_exp_limit = -20 for fp16 output
    ),
    TensorCoreArithmetic(
        arch="sm_89", gpu="L40S",
        alignment_fraction_bits=24,           # [KM] AdaTC.m neab = 1; [MS] Ada Lovelace 24
        block_terms={"fp16": 8, "bf16": 8,    # [KM] AdaTC.m fma = 8
                     "tf32": 4},              # [KM] AdaTC.m fma = 4 for tf32
        zero_exponent_fp32_out=-132,          # [KM] AdaTC.m min_exp_limit = -132
        zero_exponent_fp16_out=-20,           # [KM] AdaTC.m min_exp_limit = -20 for fp16 output
        fp8=Fp8Unit(
            instruction="mma",                # [SASS] QMMA.16832 for mma.sync fp8 on sm_89
            alignment_fraction_bits=13,       # [KM] AdaTC.m neab = -10 for fp8; [MS] Ada fp8 13
            block_terms=16,                   # [KM] AdaTC.m fma = 16 for fp8; [MS] k32 split in two
            fp32_result_fraction_bits=13,     # [KM] output bits 23 + neab; [MS] "f32_e8m13"
            zero_exponent=-132,               # [KM] AdaTC.m min_exp_limit (not changed for fp8)
        ),
    ),
    TensorCoreArithmetic(
        arch="sm_90", gpu="H100",
        alignment_fraction_bits=25,           # [KM] H100TC.m neab = 2; [MS] Hopper 25; [VEC]
        block_terms={"fp16": 16, "bf16": 16,  # [KM] H100TC.m fma = 16; [VEC]
                     "tf32": 8},              # [KM] H100TC.m fma = 8 for tf32
        zero_exponent_fp32_out=-133,          # [KM] H100TC.m min_exp_limit = -133
        zero_exponent_fp16_out=-21,           # [KM] H100TC.m min_exp_limit = -21 for fp16 output
        fp8=Fp8Unit(
            instruction="wgmma",              # [SASS] fp8 mma.sync becomes F2FP + 2 HMMA on sm_90
            alignment_fraction_bits=13,       # [KM] H100TC.m neab = -10 for fp8; [MS] wgmma fp8 13; [VEC]
            block_terms=32,                   # [KM] H100TC.m fma = 32 for fp8; [VEC]
            fp32_result_fraction_bits=13,     # [KM] output bits 23 + neab; [MS] wgmma "f32_e8m13"; [VEC]
            zero_exponent=-133,               # [KM] H100TC.m min_exp_limit (not changed for fp8)
        ),
    ),
    TensorCoreArithmetic(
        arch="sm_100", gpu="B200",
        alignment_fraction_bits=25,           # [KM] B200TC.m neab = 2; [MS] Blackwell 25
        block_terms={"fp16": 16, "bf16": 16,  # [KM] B200TC.m fma = 16
                     "tf32": 8},              # [KM] B200TC.m fma = 8 for tf32
        zero_exponent_fp32_out=-133,          # [KM] B200TC.m min_exp_limit = -133
        zero_exponent_fp16_out=-21,           # [KM] B200TC.m min_exp_limit = -21 for fp16 output
        fp8=Fp8Unit(
            instruction="tcgen05",            # [SASS] fp8 mma.sync becomes F2FP + 2 HMMA on sm_100
            alignment_fraction_bits=25,       # [KM] B200TC.m keeps neab = 2 for fp8; [MS] tcgen05.mma 25
            block_terms=32,                   # [KM] B200TC.m fma = 32 for fp8; [MS] tcgen05.mma: all of k32
            fp32_result_fraction_bits=23,     # [KM] B200TC.m; [MS] tcgen05.mma: a full FP32 result
            zero_exponent=-133,               # [KM] B200TC.m min_exp_limit (not changed for fp8)
        ),
    ),
)}


def tensor_core(arch: str) -> TensorCoreArithmetic:
    """The MMA arithmetic of ``arch`` (``"sm_70"`` ... ``"sm_100"``)."""
    try:
        return ARCHS[arch]
    except KeyError:
        raise ValueError(f"no tensor-core model for {arch!r}; known: {', '.join(ARCHS)}") from None


# ------------------------------------------------------------ the arithmetic
def _decode(bits: np.ndarray, fmt: Format) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Container bit patterns -> ``(significand, exponent, nan, inf)`` arrays of the same shape.

    A finite value is ``significand * 2^(exponent - fraction_bits)``: the
    significand is a signed integer with the implicit bit (0 for a zero), the
    exponent that of the leading bit position, ``emin`` for subnormals. An
    infinity keeps a nonzero significand, so that its sign survives a product.
    """
    x = bits.astype(np.int64) >> fmt.container_shift    # TF32: the low 13 bits are ignored here
    fraction_mask = (1 << fmt.fraction_bits) - 1
    fraction = x & fraction_mask
    field = (x >> fmt.fraction_bits) & fmt.exponent_field_max
    significand = np.where(field == 0, fraction, fraction | (1 << fmt.fraction_bits))
    significand = np.where((x >> (fmt.total_bits - 1)) & 1, -significand, significand)
    exponent = np.maximum(field, 1) - fmt.bias
    top = field == fmt.exponent_field_max
    if fmt.nan_encoding == NAN_IEEE:
        nan, inf = top & (fraction != 0), top & (fraction == 0)
    else:                                              # E4M3: only S.1111.111 is NaN, no infinities
        nan, inf = top & (fraction == fraction_mask), np.zeros(x.shape, bool)
    return significand, exponent, nan, inf


def _align(significand: np.ndarray, exponent: np.ndarray, e_max: np.ndarray, lift: int,
           sticky: bool = False) -> np.ndarray:
    """Terms aligned to ``e_max`` and truncated toward zero, in units of 2^(e_max - F).

    A term ``s * 2^(e - f)`` (``f`` fraction bits) is ``s * 2^(lift - (e_max - e))``
    units, with ``lift = F - f``: shifting left by ``lift`` first keeps the
    truncation exact; a shift of 63 or more leaves nothing (|s| < 2^27).
    ``sticky`` ORs "a nonzero bit was lost" into the last bit (for the IEEE add).
    """
    magnitude = np.abs(significand)
    if lift >= 0:
        magnitude = magnitude << lift
        drop = e_max - exponent
    else:
        drop = e_max - exponent - lift
    drop = np.minimum(drop, 63)
    aligned = magnitude >> drop
    if sticky:
        aligned |= (aligned << drop) != magnitude
    return np.where(significand < 0, -aligned, aligned)


def _normalise(total: np.ndarray, unit_exponent, out: Format, result_fraction_bits: int,
               round_to_nearest: bool) -> np.ndarray:
    """Round ``total * 2^unit_exponent`` (exact integers) once, to ``out``'s bit patterns.

    The result keeps ``result_fraction_bits`` (p) bits after its leading bit,
    fewer in the subnormal range, truncated or rounded to nearest-even. With
    ``kept`` in units of the quantum 2^q, its pattern is
    ``(q + p + bias - 1) << fraction_bits`` plus ``kept`` (moved up to the
    format's fraction field): the implicit bit of ``kept`` adds the missing 1
    to the exponent field, a subnormal has ``q + p + bias - 1 = 0``, and a
    carry out of rounding moves into the exponent field by itself.
    Magnitudes past the largest finite value become infinity; zero is +0.0.
    """
    p = result_fraction_bits
    magnitude = np.abs(total)
    _, length = np.frexp(magnitude.astype(np.float64))   # bit length; exact, magnitude < 2^53
    quantum = np.maximum(unit_exponent + length - 1, out.emin) - p
    drop = quantum - unit_exponent
    right = np.minimum(np.maximum(drop, 0), 62)
    kept = magnitude >> right
    if round_to_nearest:
        rest = magnitude - (kept << right)
        half = (1 << right) >> 1
        kept = kept + ((right > 0) & ((rest > half) | ((rest == half) & (kept & 1).astype(bool))))
    kept = kept << np.minimum(np.maximum(-drop, 0), 62)
    bits = ((quantum + p + out.bias - 1) << out.fraction_bits) + (kept << (out.fraction_bits - p))
    bits = np.where(kept == 0, 0, np.minimum(bits, out.inf_bits))
    return np.where((total < 0) & (kept != 0), bits | out.sign_bit, bits)


def _specials(bits, positive, negative, nan, out: Format) -> np.ndarray:
    """Overwrite results with +-infinity where infinite terms of one sign are, NaN where any rule gives NaN."""
    bits = np.where(positive, out.inf_bits, bits)
    bits = np.where(negative, out.inf_bits | out.sign_bit, bits)
    return np.where(nan | (positive & negative), out.canonical_nan, bits)


def _fused_block(a: tuple, b: tuple, c_bits: np.ndarray, dp: Datapath, special_products=None) -> np.ndarray:
    """One block: ``c + the block's products``, rounded once.

    ``a`` and ``b`` are ``_input_table`` entries shaped (..., M, 1, L) and
    (..., 1, N, L); ``c_bits`` (..., M, N) patterns of the output format;
    ``special_products`` the block's ``_special_products`` masks, if it has any.
    A zero product needs no e_zero of its own: its factors' exponents are
    ``_NO_EXPONENT``, and e_max is at least e_zero already (c is nonzero, with
    an exponent >= the output's emin > e_zero, or zero, counted as e_zero).
    """
    sig_a, exp_a = a
    sig_b, exp_b = b
    sig_c, exp_c, nan_c, inf_c = _decode(c_bits, dp.output)
    fraction_bits = dp.alignment_fraction_bits
    product = sig_a * sig_b                                   # exact
    exp_p = exp_a + exp_b
    exp_c = np.where(sig_c == 0, dp.zero_exponent, exp_c)
    e_max = np.maximum(exp_p.max(axis=-1), exp_c)
    total = _align(product, exp_p, e_max[..., None], fraction_bits - 2 * dp.input.fraction_bits).sum(axis=-1)
    total += _align(sig_c, exp_c, e_max, fraction_bits - dp.output.fraction_bits)
    bits = _normalise(total, e_max - fraction_bits, dp.output, dp.result_fraction_bits, dp.round_to_nearest)
    if special_products is not None or nan_c.any() or inf_c.any():
        positive, negative, nan = special_products or (False, False, False)
        bits = _specials(bits, positive | (inf_c & (sig_c > 0)), negative | (inf_c & (sig_c < 0)),
                         nan | nan_c, dp.output)
    return bits


def _special_products(a_bits, b_bits, fmt: Format) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where a block's products hold +infinity, -infinity, NaN: (..., M, N) masks."""
    sig_a, _, nan_a, inf_a = _decode(a_bits[..., :, None, :], fmt)
    sig_b, _, nan_b, inf_b = _decode(np.swapaxes(b_bits, -1, -2)[..., None, :, :], fmt)
    nan = nan_a | nan_b | (inf_a & (sig_b == 0)) | ((sig_a == 0) & inf_b)
    inf = (inf_a | inf_b) & ~nan
    negative = (sig_a < 0) != (sig_b < 0)
    return (inf & ~negative).any(axis=-1), (inf & negative).any(axis=-1), nan.any(axis=-1)


# The exponent given to a zero input: far below any other, so that a zero product never sets e_max.
_NO_EXPONENT = -(1 << 20)


@functools.cache
def _input_table(fmt: Format) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(significand, exponent, special)`` of every pattern of an input format, by pattern >> container_shift."""
    patterns = np.arange(1 << fmt.total_bits, dtype=np.int64) << fmt.container_shift
    significand, exponent, nan, inf = _decode(patterns, fmt)
    return significand, np.where(significand == 0, _NO_EXPONENT, exponent), nan | inf


def _fused_chain(a_bits, b_bits, c_bits, dp: Datapath) -> np.ndarray:
    """Blocks of L terms in ascending k, each block's result the next one's c.

    ``a_bits`` (..., M, K), ``b_bits`` (..., K, N), ``c_bits`` (..., M, N) as
    int64; returns int64 patterns. A last, short block is not padded with zero
    products, which would change nothing (see ``_fused_block``).
    """
    significand, exponent, special = _input_table(dp.input)
    index_a = a_bits >> dp.input.container_shift
    index_b = np.swapaxes(b_bits, -1, -2) >> dp.input.container_shift
    a = (significand[index_a], exponent[index_a])
    b = (significand[index_b], exponent[index_b])
    check_specials = bool(special[index_a].any() or special[index_b].any())
    d_bits = c_bits
    for k0 in range(0, a_bits.shape[-1], dp.block_terms):
        block = slice(k0, k0 + dp.block_terms)
        specials = _special_products(a_bits[..., block], b_bits[..., block, :], dp.input) if check_specials else None
        d_bits = _fused_block(tuple(x[..., :, None, block] for x in a),
                              tuple(x[..., None, :, block] for x in b), d_bits, dp, specials)
    return d_bits


def _add(x_bits: np.ndarray, y_bits: np.ndarray, fmt: Format) -> np.ndarray:
    """IEEE 754 addition rounded to nearest-even (FADD, HADD2), on int64 patterns of ``fmt``.

    Two guard bits and a sticky bit below the larger operand's last place make
    the rounding exact. A zero sum is +0.0 (the HMMA result added to C here is
    never -0.0, so -0.0 + -0.0 does not arise).
    """
    sig_x, exp_x, nan_x, inf_x = _decode(x_bits, fmt)
    sig_y, exp_y, nan_y, inf_y = _decode(y_bits, fmt)
    e_max = np.maximum(exp_x, exp_y)
    fraction_bits = fmt.fraction_bits + 3
    total = (_align(sig_x, exp_x, e_max, 3, sticky=True) + _align(sig_y, exp_y, e_max, 3, sticky=True))
    bits = _normalise(total, e_max - fraction_bits, fmt, fmt.fraction_bits, round_to_nearest=True)
    if nan_x.any() or nan_y.any() or inf_x.any() or inf_y.any():
        bits = _specials(bits, (inf_x & (sig_x > 0)) | (inf_y & (sig_y > 0)),
                         (inf_x & (sig_x < 0)) | (inf_y & (sig_y < 0)), nan_x | nan_y, fmt)
    return bits


@functools.cache
def _fp16_patterns(fmt: Format) -> np.ndarray:
    """The fp16 pattern of each fp8 pattern (F2FP.F16.E4M3/E5M2: exact; NaN -> canonical NaN)."""
    fp16 = FORMATS["fp16"]
    return np.array([round_float(to_float(bits, fmt), fp16, ROUND_RN) for bits in range(256)], np.int64)


def _fp8_via_fp16(a_bits, b_bits, c_bits, path: Fp8ViaFp16) -> np.ndarray:
    """FP8 mma.sync as ptxas lowers it: two FP16 MMAs (k mod 4 < 2, then >= 2) from +0, then + C."""
    table = _fp16_patterns(path.input)
    a16, b16 = table[a_bits], table[b_bits]
    zero = np.zeros(c_bits.shape, np.int64)
    d_bits = c_bits
    for k0 in range(0, a_bits.shape[-1], path.instruction_terms):
        k = np.arange(k0, min(k0 + path.instruction_terms, a_bits.shape[-1]))
        low, high = k[k % 4 < 2], k[k % 4 >= 2]
        partial = _fused_chain(a16[..., :, low], b16[..., low, :], zero, path.hmma)
        partial = _fused_chain(a16[..., :, high], b16[..., high, :], partial, path.hmma)
        d_bits = _add(d_bits, partial, path.hmma.output)
    return d_bits


_UINT = {8: np.uint8, 16: np.uint16, 32: np.uint32}


def _run(a_bits, b_bits, c_bits, path: Datapath | Fp8ViaFp16) -> np.ndarray:
    a_bits = np.asarray(a_bits).astype(np.int64)
    b_bits = np.asarray(b_bits).astype(np.int64)
    c_bits = np.asarray(c_bits).astype(np.int64) & ((1 << path.output.container_bits) - 1)
    run = _fp8_via_fp16 if isinstance(path, Fp8ViaFp16) else _fused_chain
    return run(a_bits, b_bits, c_bits, path).astype(_UINT[path.output.container_bits])


def mma_bits(a_bits, b_bits, c_bits, arch: str = "sm_80", input: str = "fp16",
             accumulate: str = "fp32", instruction: str = "mma") -> np.ndarray:
    """``D = A*B + C`` on bit patterns, as ``arch``'s tensor cores compute it.

    ``a_bits`` (..., M, K) and ``b_bits`` (..., K, N) hold the inputs' own
    patterns as unsigned integers: uint16 for fp16/bf16, uint8 for e4m3/e5m2,
    and for tf32 the uint32 FP32 pattern (its low 13 bits are ignored, as the
    hardware ignores them). ``c_bits`` (..., M, N) holds uint32 FP32 or uint16
    FP16 patterns, by ``accumulate``. Leading dimensions broadcast, so one call
    can serve every warp of an instruction. Returns D's patterns (uint32 or uint16).

    ``instruction`` is "mma" (``mma.sync``), "wgmma" (sm_90) or "tcgen05"
    (sm_100); it matters only for FP8, which reaches the native FP8 datapath
    through wgmma/tcgen05 but is lowered to FP16 MMAs by ptxas for mma.sync on
    sm_90 and sm_100. K is cut into the architecture's blocks in ascending k:
    one ``mma.sync`` fragment is one call with its own K (e.g. m16n8k16 fp16 on
    sm_80: two chained blocks of 8).

    A call costs a few hundred numpy operations whatever its size (about
    0.2-0.3 ms for one m16n8k16 fragment); give all warps that execute an
    instruction to one call.
    """
    return _run(a_bits, b_bits, c_bits, tensor_core(arch).datapath(input, accumulate, instruction))


# -------------------------------------------------------------- float arrays
# numpy dtypes holding each format exactly (TF32 in float32 with the low 13 bits zero).
_DTYPES = {"fp32": np.float32, "tf32": np.float32, "fp16": np.float16, "bf16": ml_dtypes.bfloat16,
           "e4m3": ml_dtypes.float8_e4m3fn, "e5m2": ml_dtypes.float8_e5m2}

# Rows of D computed at once: rows * N * 32 (the largest L) int64 elements per array.
_ELEMENTS_PER_CHUNK = 1 << 20


def _exact_bits(x, name: str, fmt: Format) -> np.ndarray:
    """The container patterns of ``x``, refusing any element ``fmt`` cannot hold exactly."""
    wide = np.asarray(x).astype(np.float64)
    with np.errstate(over="ignore", invalid="ignore"):      # out-of-range values are refused below
        narrow = wide.astype(_DTYPES[fmt.name])
    back = narrow.astype(np.float64)
    exact = (back == wide) | (np.isnan(wide) & np.isnan(back))
    bits = narrow.view(_UINT[narrow.dtype.itemsize * 8])
    if fmt.container_shift:
        exact &= (bits & ((1 << fmt.container_shift) - 1)) == 0
    if not exact.all():
        where = tuple(int(i) for i in np.argwhere(~exact)[0])
        raise ValueError(f"{name}[{', '.join(map(str, where))}] = {float(wide[where])!r} is not exactly "
                         f"representable in {fmt.name}")
    return bits


def mma(A, B, C, arch: str = "sm_80", input: str = "fp16", accumulate: str = "fp32",
        instruction: str = "mma") -> np.ndarray:
    """``D = A @ B + C`` exactly as ``arch``'s tensor cores compute it.

    ``A`` (M, K) and ``B`` (K, N) hold values exactly representable in
    ``input`` ("fp16", "bf16", "tf32", "e4m3", "e5m2"), ``C`` (M, N) values of
    ``accumulate`` ("fp32" or "fp16"), as float64, float32, float16 or
    ml_dtypes arrays. K is blocked as the hardware blocks it (see ``mma_bits``),
    so a GEMM of any K is the chain of MMAs over ascending k. Returns a
    float32 or float16 array. Raises ``ValueError`` naming the first element
    that its format cannot hold.
    """
    path = tensor_core(arch).datapath(input, accumulate, instruction)
    A, B, C = np.asarray(A), np.asarray(B), np.asarray(C)
    if A.ndim != 2 or B.ndim != 2 or A.shape[1] != B.shape[0] or C.shape != (A.shape[0], B.shape[1]):
        raise ValueError(f"shapes A {A.shape}, B {B.shape}, C {C.shape} do not make A @ B + C")
    a_bits = _exact_bits(A, "A", FORMATS[input])
    b_bits = _exact_bits(B, "B", FORMATS[input])
    c_bits = _exact_bits(C, "C", path.output)
    rows = max(1, _ELEMENTS_PER_CHUNK // max(1, B.shape[1] * 32))
    d_bits = np.concatenate([_run(a_bits[i:i + rows], b_bits, c_bits[i:i + rows], path)
                             for i in range(0, A.shape[0], rows)] or [c_bits])
    return d_bits.view(_DTYPES[path.output.name])
