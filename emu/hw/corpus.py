"""The fixed corpus of instructions recorded on real GPUs, and running it on any launcher.

Two kinds of cases, each run as a numba.cuda kernel built on ``emu.intrinsics``
so that the GPU and emu execute the same PTX instruction:

- ``SCALAR_CASES``: one scalar instruction per thread (``cvt`` f32 -> f16 /
  bf16 in every rounding mode, ``cvt.rna.tf32.f32``, FP16 and BF16 add, sub,
  mul, fma), with ``reference`` giving the exact result from
  ``emu.numerics.formats`` (the living definition);
- ``mma.VARIANTS``: one whole ``mma.sync`` per warp, A, B and C loaded with
  the fragment loaders, D stored back.

``build_corpus(seed, cc)`` draws the inputs (seeded, so a corpus is the same
everywhere); ``run_corpus(corpus, launch)`` computes the outputs with
``launch(kernel, grid, block, args)``, which runs a kernel and updates its
numpy arguments in place: numba's own launch on a GPU (``emu.hw.capture``)
or ``emu.GPU.launch``. Everything is stored as unsigned bit patterns, keyed
``scalar/<op>/x0 ...``, ``scalar/<op>/out``, ``mma/<name>/{a,b,c,d}``.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numba import cuda

from emu import intrinsics, testing
from emu.arch.presets import sm_number
from emu.intrinsics.fragments import variant_functions
from emu.intrinsics.mma import BY_NAME, VARIANTS, MmaVariant
from emu.intrinsics.scalar import OPS as SCALAR_OPS
from emu.numerics.formats import (FORMATS, ROUND_RM, ROUND_RN, ROUND_RNA, ROUND_RP, ROUND_RZ, reference_op,
                                  round_float, to_float)
from emu.numerics.mma import mma_bits

Launch = Callable[..., None]        # launch(kernel, grid, block, args): runs, updates array args in place

_UINT = {8: np.uint8, 16: np.uint16, 32: np.uint32}
_KERNEL_DTYPE = {"f32": np.float32, "f16": np.float16, "b16": np.uint16, "b32": np.uint32}
_MODES = {"rn": ROUND_RN, "rz": ROUND_RZ, "rm": ROUND_RM, "rp": ROUND_RP, "rna": ROUND_RNA}
_MIN_SM = {op.name: op.min_sm for op in SCALAR_OPS}
_REGISTERS = {op.name: (op.inputs, op.outputs[0]) for op in SCALAR_OPS}
BLOCK = 128


# ------------------------------------------------------------------ patterns
def _as_float(fmt: str, bits: np.ndarray) -> np.ndarray:
    """Bit patterns of ``fmt`` -> float64 values."""
    with np.errstate(invalid="ignore"):                  # NaN patterns
        return np.asarray(bits).view(testing.DTYPES[fmt]).astype(np.float64)


def _values_as(fmt: str, x: np.ndarray) -> np.ndarray:
    """float64 values -> bit patterns of ``fmt``: near them, which is all a corpus needs (through FP32,
    so rounded twice; TF32 by clearing the low 13 bits of FP32)."""
    if fmt == "tf32":
        return x.astype(np.float32).view(np.uint32) & np.uint32(0xFFFFE000)
    dtype = testing.DTYPES[fmt]
    with np.errstate(over="ignore", invalid="ignore"):
        narrow = x.astype(np.float32).astype(dtype)
    return narrow.view(_UINT[FORMATS[fmt].container_bits])


def _format_patterns(fmt_name: str, rng, count: int) -> np.ndarray:
    """Patterns of a format: a third specials, a third normals of any binade, a third any pattern."""
    fmt = FORMATS[fmt_name]
    container = _UINT[fmt.container_bits]
    specials = np.array(testing.special_bits(fmt_name), dtype=container)
    anything = rng.integers(0, 1 << fmt.total_bits, count, dtype=np.int64) << fmt.container_shift
    field = rng.integers(1, fmt.exponent_field_max, count, dtype=np.int64)          # normals, IEEE and E4M3
    fraction = rng.integers(0, 1 << fmt.fraction_bits, count, dtype=np.int64)
    sign = rng.integers(0, 2, count, dtype=np.int64)
    normal = ((sign << (fmt.total_bits - 1)) | (field << fmt.fraction_bits) | fraction) << fmt.container_shift
    pick = rng.integers(0, 3, count)
    out = np.where(pick == 0, specials[rng.integers(0, len(specials), count)], np.where(pick == 1, normal, anything))
    return out.astype(container)


# ------------------------------------------------------------------ scalar cases
@dataclass(frozen=True)
class ScalarCase:
    """A scalar intrinsic with the formats of its operands and result."""
    op: str                     # name in emu.intrinsics (and its PTX, dots as underscores)
    inputs: tuple[str, ...]     # formats of the operands ("fp32", "fp16", "bf16")
    output: str                 # format of the result ("fp16", "bf16", "tf32")
    operation: str              # "cvt", or reference_op's add/sub/mul/fma
    rounding: str

    @property
    def min_sm(self) -> int:
        return _MIN_SM[self.op]

    def reference(self, *operands: int) -> int:
        """The exact result's bit pattern (NaN results canonical, as ``emu.numerics`` defines them)."""
        out = FORMATS[self.output]
        if self.operation == "cvt":
            return round_float(to_float(operands[0], FORMATS[self.inputs[0]]), out, _MODES[self.rounding])
        return reference_op(self.operation, operands, out, _MODES[self.rounding])


def _scalar_cases() -> tuple[ScalarCase, ...]:
    cases = []
    for ptx_type, fmt in (("f16", "fp16"), ("bf16", "bf16")):
        for rnd in ("rn", "rz", "rm", "rp"):
            cases.append(ScalarCase(f"cvt_{rnd}_{ptx_type}_f32", ("fp32",), fmt, "cvt", rnd))
    cases.append(ScalarCase("cvt_rna_tf32_f32", ("fp32",), "tf32", "cvt", "rna"))
    for ptx_type, fmt in (("f16", "fp16"), ("bf16", "bf16")):
        for operation, arity in (("add", 2), ("sub", 2), ("mul", 2), ("fma", 3)):
            cases.append(ScalarCase(f"{operation}_rn_{ptx_type}", (fmt,) * arity, fmt, operation, "rn"))
    return tuple(cases)


SCALAR_CASES = _scalar_cases()


def _near_boundaries(target: str, rng, count: int) -> np.ndarray:
    """FP32 patterns at and next to the rounding boundaries of ``target``: its values, the midpoints between
    them, and a few FP32 ulps either side, over its whole range (subnormals and overflow included)."""
    fmt = FORMATS[target]
    values = _format_patterns(target, rng, count)
    if target == "fp16":
        values = values.view(np.float16).astype(np.float32).view(np.uint32)
    values = values.astype(np.int64) << (16 if target == "bf16" else 0)
    drop = 23 - fmt.fraction_bits                                    # FP32 bits below the target's last place
    low = np.int64(1) << np.maximum(drop - 1, 0)
    midpoint = values | low                                          # the target's half ulp (normals)
    nudged = midpoint + rng.integers(-3, 4, count)
    pick = rng.integers(0, 3, count)
    chosen = np.where(pick == 0, values, np.where(pick == 1, midpoint, nudged))
    return (chosen & 0xFFFFFFFF).astype(np.uint32)


def scalar_inputs(case: ScalarCase, rng, count: int) -> tuple[np.ndarray, ...]:
    """Operand patterns for ``count`` threads: specials, boundaries, random patterns, cancellations."""
    if case.operation == "cvt":
        half = count // 2
        return (np.concatenate([_near_boundaries(case.output, rng, half),
                                _format_patterns("fp32", rng, count - half)]),)
    operands = [_format_patterns(fmt, rng, count) for fmt in case.inputs]
    if case.operation in ("add", "sub", "fma"):    # near-cancellation: the last operand a few ulps from cancelling
        x = [_as_float(case.output, bits) for bits in operands]
        with np.errstate(all="ignore"):
            cancelling = {"add": -x[0], "sub": x[0], "fma": -x[0] * x[1]}[case.operation]
        partner = _values_as(case.output, cancelling).astype(np.int64) + rng.integers(-2, 3, count)
        close = rng.random(count) < 0.25
        operands[-1] = np.where(close, partner & 0xFFFF, operands[-1]).astype(np.uint16)
    return tuple(operands)


# ------------------------------------------------------------------ mma cases
def _mma_matrix(fmt: str, kind: str, rng, shape) -> np.ndarray:
    """Patterns of one operand for one instance of a corpus ``kind``."""
    fmt_ = FORMATS[fmt]
    if kind == "wide":                        # products from 2^emin to 2^15 in one block: alignment, truncation
        exponents = rng.integers(fmt_.emin, 16, shape) / 2
        x = rng.choice([-1.0, 1.0], shape) * (1 + rng.random(shape)) * np.exp2(exponents)
    elif kind == "integers":                  # exact small products: sums land on rounding ties
        x = rng.integers(-7, 8, shape).astype(float)
    elif kind == "tiny":                      # subnormal inputs and products
        x = rng.choice([-1.0, 1.0], shape) * rng.random(shape) * float(fmt_.min_normal) * 4
    else:
        x = rng.standard_normal(shape)
    bits = _values_as(fmt, x)
    if kind == "specials":                    # each special value once, at random places among normal values
        specials = np.array(testing.special_bits(fmt), dtype=bits.dtype)
        flat = bits.ravel()
        flat[rng.choice(flat.size, min(len(specials), flat.size), replace=False)] = specials[:flat.size]
        bits = flat.reshape(shape)
    return bits


def _mma_accumulator(fmt: str, kind: str, rng, shape) -> np.ndarray:
    if kind == "integers":                    # even integers just past 2^precision: every odd sum is a tie
        x = 2.0 ** FORMATS[fmt].precision + 2 * rng.integers(0, 8, shape)
        return _values_as(fmt, x * rng.choice([-1.0, 1.0], shape))
    if kind == "cancel":                      # nothing to hide the cancellation
        return _values_as(fmt, np.zeros(shape))
    return _mma_matrix(fmt, kind, rng, shape)


MMA_KINDS = ("normal", "wide", "integers", "tiny", "specials", "cancel")


def mma_inputs(variant: MmaVariant, rng, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A (count, q·m, k), B (count, q·k, n), C (count, q·m, n) patterns: for each of ``count`` warps the
    q = ``variant.shape.computations`` products stacked by rows; products cycle through ``MMA_KINDS``."""
    q, m, n, k = variant.shape.computations, variant.m, variant.n, variant.k
    a, b, c = [], [], []
    for i in range(count * q):
        kind = MMA_KINDS[i % len(MMA_KINDS)]
        A = _mma_matrix(variant.input_format, kind, rng, (m, k))
        B = _mma_matrix(variant.input_format, kind, rng, (k, n))
        if kind == "cancel":                  # each product pair cancels but for the last bits
            B[:, :] = _values_as(variant.input_format, rng.standard_normal((k, n)))
            half = k // 2
            A[:, half:] = A[:, :half] ^ np.asarray(FORMATS[variant.input_format].sign_bit, A.dtype)
            B[half:, :] = B[:half, :]
            A[:, -1] = _values_as(variant.input_format, rng.standard_normal(m))
        a.append(A)
        b.append(B)
        c.append(_mma_accumulator(variant.accumulate_format, kind, rng, (m, n)))
    return (np.stack(a).reshape(count, q * m, k), np.stack(b).reshape(count, q * k, n),
            np.stack(c).reshape(count, q * m, n))


def model_d(variant: MmaVariant, a, b, c, arch: str) -> np.ndarray:
    """D of ``mma_inputs``-shaped patterns as ``emu.numerics.mma`` computes it for ``arch``."""
    q, m, n, k = variant.shape.computations, variant.m, variant.n, variant.k
    count = len(a)
    d = mma_bits(a.reshape(count, q, m, k), b.reshape(count, q, k, n), c.reshape(count, q, m, n), arch=arch,
                 input=variant.input_format, accumulate=variant.accumulate_format)
    return d.reshape(count, q * m, n)


# ------------------------------------------------------------------ kernels
@functools.cache
def scalar_kernel(op_name: str):
    """One instruction per thread: ``out[i] = op(x0[i], ...)``."""
    op = getattr(intrinsics, op_name)
    arity = len(_REGISTERS[op_name][0])
    if arity == 1:
        @cuda.jit
        def kernel(x0, out):
            i = cuda.grid(1)
            if i < out.shape[0]:
                out[i] = op(x0[i])
    elif arity == 2:
        @cuda.jit
        def kernel(x0, x1, out):
            i = cuda.grid(1)
            if i < out.shape[0]:
                out[i] = op(x0[i], x1[i])
    else:
        @cuda.jit
        def kernel(x0, x1, x2, out):
            i = cuda.grid(1)
            if i < out.shape[0]:
                out[i] = op(x0[i], x1[i], x2[i])
    return kernel


@functools.cache
def mma_kernel(name: str):
    """One mma.sync per warp: instance ``w`` of a (count, ...) corpus, D into ``d[w]``."""
    mma = getattr(intrinsics, name)
    variant = BY_NAME[name]
    f = variant_functions(variant)
    load_a, load_b, load_c, store_d = f["load_a"], f["load_b"], f["load_c"], f["store_d"]
    computation, m, k = f["computation"], variant.m, variant.k

    @cuda.jit
    def kernel(a, b, c, d):
        w = (cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x) // 32
        if w < a.shape[0]:                        # the same for all lanes of a warp
            q = computation(cuda.laneid)          # this lane's product: rows q·m.. of a[w], c[w], d[w]
            acc = mma(load_a(a[w], q * m, 0), load_b(b[w], q * k, 0), load_c(c[w], q * m, 0))
            store_d(d[w], q * m, 0, acc)
    return kernel


def run_scalar(case: ScalarCase, operands, launch: Launch) -> np.ndarray:
    """The result patterns of ``case`` on ``operands`` (pattern arrays), computed by ``launch``."""
    registers, result = _REGISTERS[case.op]
    args = [np.ascontiguousarray(x).view(_KERNEL_DTYPE[r]) for x, r in zip(operands, registers)]
    out = np.zeros(len(operands[0]), _KERNEL_DTYPE[result])
    launch(scalar_kernel(case.op), (len(out) + BLOCK - 1) // BLOCK, BLOCK, (*args, out))
    return out.view(_UINT[out.dtype.itemsize * 8])


def run_mma(variant: MmaVariant, a, b, c, launch: Launch) -> np.ndarray:
    """D patterns of one mma per instance, computed by ``launch``."""
    c_dtype = np.float32 if variant.d == "f32" else np.float16
    c = np.ascontiguousarray(c).view(c_dtype)
    d = np.zeros_like(c)
    warps_per_block = BLOCK // 32
    launch(mma_kernel(variant.name), (len(a) + warps_per_block - 1) // warps_per_block, BLOCK,
           (np.ascontiguousarray(a), np.ascontiguousarray(b), c, d))
    return d.view(_UINT[d.dtype.itemsize * 8])


# ------------------------------------------------------------------ the corpus
def build_corpus(seed: int, cc: tuple[int, int], scalars: int = 4096, mmas: int = 48) -> dict[str, np.ndarray]:
    """Inputs of every case a GPU of compute capability ``cc`` has; the same for the same arguments."""
    sm = sm_number(cc)
    corpus = {}
    for index, case in enumerate(SCALAR_CASES):
        if case.min_sm <= sm:
            rng = np.random.default_rng([seed, 0, index])
            for i, x in enumerate(scalar_inputs(case, rng, scalars)):
                corpus[f"scalar/{case.op}/x{i}"] = x
    for index, variant in enumerate(VARIANTS):
        if variant.shape.runs_on_tensor_cores(sm):
            rng = np.random.default_rng([seed, 1, index])
            a, b, c = mma_inputs(variant, rng, mmas)
            corpus.update({f"mma/{variant.name}/a": a, f"mma/{variant.name}/b": b, f"mma/{variant.name}/c": c})
    return corpus


def cases_in(corpus) -> tuple[list[ScalarCase], list[MmaVariant]]:
    """The scalar cases and mma variants a corpus (or a recorded file) holds."""
    return ([case for case in SCALAR_CASES if f"scalar/{case.op}/x0" in corpus],
            [variant for variant in VARIANTS if f"mma/{variant.name}/a" in corpus])


def is_output(key: str) -> bool:
    return key.endswith(("/out", "/d"))


def run_corpus(corpus, launch: Launch) -> dict[str, np.ndarray]:
    """The outputs of every case in ``corpus``: ``scalar/<op>/out`` and ``mma/<name>/d``."""
    scalar_cases, variants = cases_in(corpus)
    results = {}
    for case in scalar_cases:
        operands = [corpus[f"scalar/{case.op}/x{i}"] for i in range(len(case.inputs))]
        results[f"scalar/{case.op}/out"] = run_scalar(case, operands, launch)
    for v in variants:
        key = f"mma/{v.name}"
        results[f"{key}/d"] = run_mma(v, corpus[f"{key}/a"], corpus[f"{key}/b"], corpus[f"{key}/c"], launch)
    return results
