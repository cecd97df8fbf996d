"""Scalar bit casts between floats and integers for jitted code.

numba has no scalar bit cast, so these are LLVM ``bitcast`` intrinsics. With
``NUMBA_DISABLE_JIT=1`` (the readable, debuggable mode) plain-Python versions
built on numpy views take their place.
"""
import numpy as np
from numba import config, types
from numba.extending import intrinsic

if config.DISABLE_JIT:
    def f32_from_bits(bits):
        return np.array([bits & 0xFFFFFFFF], dtype=np.uint32).view(np.float32)[0]

    def f32_to_bits(value):
        return np.int64(np.array([value], dtype=np.float32).view(np.uint32)[0])

    def f64_from_bits(bits):
        # Python ints from the plain-Python engine may be unsigned patterns >= 2**63
        return np.array([int(bits) & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64).view(np.float64)[0]

    def f64_to_bits(value):
        return np.array([value], dtype=np.float64).view(np.int64)[0]
else:
    from llvmlite import ir

    @intrinsic
    def _i32_as_f32(typingctx, bits):
        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], ir.FloatType())
        return types.float32(types.uint32), codegen

    @intrinsic
    def _f32_as_u32(typingctx, value):
        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], ir.IntType(32))
        return types.uint32(types.float32), codegen

    @intrinsic
    def _i64_as_f64(typingctx, bits):
        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], ir.DoubleType())
        return types.float64(types.int64), codegen

    @intrinsic
    def _f64_as_i64(typingctx, value):
        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], ir.IntType(64))
        return types.int64(types.float64), codegen

    from numba import njit

    @njit(inline="always")
    def f32_from_bits(bits):
        """The float32 whose IEEE pattern is the low 32 bits of ``bits``."""
        return _i32_as_f32(np.uint32(bits & 0xFFFFFFFF))

    @njit(inline="always")
    def f32_to_bits(value):
        """The IEEE pattern of a float32, zero-extended to int64."""
        return np.int64(_f32_as_u32(np.float32(value)))

    @njit(inline="always")
    def f64_from_bits(bits):
        return _i64_as_f64(np.int64(bits))

    @njit(inline="always")
    def f64_to_bits(value):
        return _f64_as_i64(np.float64(value))
