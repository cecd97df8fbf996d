"""PTX instructions numba.cuda has no function for, callable inside ``@cuda.jit`` kernels.

Each is inline PTX (``emu.intrinsics._asm``), so a kernel that uses them is
plain numba-cuda: it runs unchanged on a real GPU and on emu. Generated from
tables, one row per instruction:

- ``mma.VARIANTS``: ``mma_m16n8k16_f32_f16``, ``mma_m16n8k16_f16_f16``,
  ``mma_m16n8k16_f32_bf16``, ``mma_m16n8k8_{f32,f16}_f16``,
  ``mma_m16n8k8_f32_bf16``, ``mma_m16n8k8_f32_tf32``, ``mma_m16n8k4_f32_tf32``,
  ``mma_m16n8k32_f32_{e4m3,e5m2}``, and sm_70's ``mma_m8n8k4[_<a>_<b>]_{f32,f16}_f16``
  in the four ``.row``/``.col`` layouts;
- ``fragments``: ``frag_a_<shape>_<type>(lane, i) -> (row, col)`` (and
  ``frag_b_...``, ``frag_c_m16n8``, ``frag_c_m8n8k4[_f16]``), tile loaders
  ``load_a_...``, ``load_b_...``, ``load_c_...`` and ``store_d_...``, and
  ``computation_m8n8k4(lane)``;
- ``scalar.OPS``: ``cvt_{rn,rz,rm,rp}_{f16,bf16}_f32``, ``cvt_rna_tf32_f32``,
  ``cvt_f32_f16``, ``cvt_f32_bf16``, ``{add,sub,mul,fma}_rn_{f16,bf16}``,
  ``pack_f16x2``, ``unpack_f16x2``, ``pack_bf16x2``, ``unpack_bf16x2``,
  ``pack_f16x2_f32``, ``pack_bf16x2_f32``;
- ``ldmatrix.OPS``: ``ldmatrix_x{1,2,4}[_trans]`` and ``shared_address``;
- ``clock.OPS``: ``clock64()``, the SM's cycle counter, for kernels that time themselves.

A warp-tile of a float16 GEMM (A is M x K, B is K x N, C is M x N float32)::

    from emu import intrinsics as ti

    acc = ti.load_c_m16n8(C, row0, col0)
    for k0 in range(0, A.shape[1], 16):
        a = ti.load_a_m16n8k16_f16(A, row0, k0)
        b = ti.load_b_m16n8k16_f16(B, k0, col0)
        acc = ti.mma_m16n8k16_f32_f16(a, b, acc)
    ti.store_d_m16n8(C, row0, col0, acc)

Each intrinsic's docstring names its PTX and the oldest ``sm`` that has it;
``AsmOp.min_sm`` holds it for programs. BF16 values are uint16 bit patterns
(numba has no bfloat16 arrays), FP8 values uint8 patterns.
"""
from . import clock, fragments, ldmatrix, mma, scalar
from ._asm import AsmOp

globals().update(scalar.INTRINSICS)
globals().update(mma.INTRINSICS)
globals().update(ldmatrix.INTRINSICS)
globals().update(clock.INTRINSICS)
globals().update(fragments.FUNCTIONS)
shared_address = ldmatrix.shared_address

__all__ = ["AsmOp", "shared_address", *scalar.INTRINSICS, *mma.INTRINSICS, *ldmatrix.INTRINSICS,
           *clock.INTRINSICS,
           *fragments.FUNCTIONS]
