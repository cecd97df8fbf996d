"""The SM's cycle counter as an intrinsic, for kernels that time themselves (``kernels.microbench``).

numba.cuda has no ``clock64()``; CUDA C++'s reads ``%clock64`` with a volatile
``mov`` and a memory clobber, and so does this one. On a real GPU the value
counts SM clock cycles; on emu it is whatever the engine's clock is (the warp
instructions issued so far until the cycle model counts cycles), so a
difference of two reads is only a measurement on hardware.
"""
from __future__ import annotations

from ._asm import AsmOp, make_intrinsic

OPS: tuple[AsmOp, ...] = (
    AsmOp("clock64", "mov.u64 $0, %clock64;", ("b64",), (), 20,
          "The SM's 64-bit cycle counter (per SM, not synchronised across SMs).", timing_fence=True),
)
INTRINSICS = {op.name: make_intrinsic(op) for op in OPS}
