"""``ldmatrix``: 8x8 matrices of 16-bit elements from shared memory straight into mma fragments.

``ldmatrix.sync.aligned.m8n8.x<n>{.trans}.shared.b16`` loads n = 1, 2 or 4
matrices. Lanes ``8j .. 8j+7`` give the addresses of rows 0..7 of matrix
``j`` (lanes whose matrix is not loaded give none that is used); each row is
eight consecutive 16-bit elements, 16-byte aligned. Every lane gets one
uint32 register per matrix: lane ``l`` holds row ``l // 4``, elements
``2 * (l % 4)`` and ``+1`` (element 0 in the low half) — the layout of an
mma A/B fragment register. ``.trans`` loads the transposed matrix (lane ``l``
holds column ``l // 4``), which turns a row-major k x n tile into B fragments.

    tile = cuda.shared.array((16, 16), float16)
    ...
    a = ldmatrix_x4(shared_address(tile, lane % 16, (lane // 16) * 8))   # the A of m16n8k16

``shared_address(array, i, j, ...)`` is the shared-memory address of an
element of a ``cuda.shared.array`` (CUDA's ``__cvta_generic_to_shared``);
for an array elsewhere the result is meaningless.
"""
from __future__ import annotations

from llvmlite import ir
from numba.cuda import cgutils, types
from numba.cuda.core.errors import TypingError
from numba.cuda.extending import intrinsic
from numba.cuda.np.arrayobj import make_array

from ._asm import AsmOp, make_intrinsic

_SHARED = 3      # NVPTX address space of shared memory


@intrinsic
def shared_address(typingctx, *args):
    """The shared-memory address (uint64) of ``array[indices]``, for ``ldmatrix``."""
    if not args or not isinstance(args[0], types.Array) or len(args) - 1 != args[0].ndim \
            or not all(isinstance(t, types.Integer) for t in args[1:]):
        raise TypingError(f"shared_address(array, *indices) takes a shared array and one integer index per "
                          f"dimension, not {args}")
    array_type = args[0]

    def codegen(context, builder, signature, llargs):
        (star,) = signature.args
        values = cgutils.unpack_tuple(builder, llargs[0], len(star.types))
        array = make_array(array_type)(context, builder, values[0])
        indices = [context.cast(builder, v, t, types.intp) for v, t in zip(values[1:], star.types[1:])]
        pointer = cgutils.get_item_pointer(context, builder, array_type, array, indices, wraparound=False)
        element = context.get_data_type(array_type.dtype)
        shared = builder.addrspacecast(pointer, ir.PointerType(element, _SHARED))
        return builder.ptrtoint(shared, ir.IntType(64))

    return types.uint64(types.StarArgTuple.from_types(args)), codegen


def _op(count: int, trans: bool) -> AsmOp:
    regs = "{" + ", ".join(f"${i}" for i in range(count)) + "}"
    mod = ".trans" if trans else ""
    return AsmOp(f"ldmatrix_x{count}{'_trans' if trans else ''}",
                 f"ldmatrix.sync.aligned.m8n8.x{count}{mod}.shared.b16 {regs}, [${count}];",
                 ("b32",) * count, ("b64",), 75,
                 f"Load {count} 8x8 b16 matri{'ces' if count > 1 else 'x'}{', transposed,' if trans else ''} from "
                 f"shared memory; this lane's row address is the argument (see the module docstring).",
                 warp_sync=True)


OPS = tuple(_op(count, trans) for trans in (False, True) for count in (1, 2, 4))
INTRINSICS = {op.name: make_intrinsic(op) for op in OPS}
