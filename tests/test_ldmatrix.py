"""ldmatrix.sync.aligned.m8n8.x{1,2,4}[.trans].shared.b16 against the PTX ISA's description:
lanes 8i..8i+7 supply the addresses of the eight 16-byte rows of matrix i, and lane l receives
elements (l/4, 2(l%4)) and (l/4, 2(l%4)+1) of each matrix (of its transpose with .trans)."""
import numpy as np
import pytest

import emu

PTX = """
.version 8.0
.target sm_80
.address_size 64
.visible .entry k(.param .u64 pin, .param .u64 pout)
{{
  .shared .align 16 .b16 tiles[256];
  .reg .b32 %r<12>; .reg .b64 %rd<12>; .reg .b16 %h<2>; .reg .pred %p;
  ld.param.u64 %rd1, [pin]; ld.param.u64 %rd2, [pout];
  mov.u32 %r1, %laneid;
  mov.u32 %r2, 0;
$copy:
  mad.lo.u32 %r3, %r2, 32, %r1;
  mul.wide.u32 %rd3, %r3, 2;
  add.s64 %rd4, %rd1, %rd3;
  ld.global.u16 %h0, [%rd4];
  mov.u64 %rd5, tiles;
  add.s64 %rd5, %rd5, %rd3;
  st.shared.u16 [%rd5], %h0;
  add.u32 %r2, %r2, 1;
  setp.lt.u32 %p, %r2, 8;
  @%p bra $copy;
  bar.sync 0;
  // row address: matrix lane/8, row lane%8
  shr.u32 %r4, %r1, 3;
  and.b32 %r5, %r1, 7;
  mad.lo.u32 %r6, %r4, 64, 0;
  mad.lo.u32 %r6, %r5, 8, %r6;
  mul.wide.u32 %rd6, %r6, 2;
  mov.u64 %rd7, tiles;
  add.s64 %rd7, %rd7, %rd6;
  ldmatrix.sync.aligned.m8n8.x{count}{trans}.shared.b16 {{{dsts}}}, [%rd7];
  mul.wide.u32 %rd8, %r1, {stride};
  add.s64 %rd9, %rd2, %rd8;
  {stores}
  ret;
}}
"""


@pytest.mark.parametrize("count", [1, 2, 4])
@pytest.mark.parametrize("trans", [False, True])
def test_ldmatrix_fragments(count, trans):
    dsts = ", ".join(f"%r{8 + i}" for i in range(count))
    stores = " ".join(f"st.global.u32 [%rd9+{4 * i}], %r{8 + i};" for i in range(count))
    ptx = PTX.format(count=count, trans=".trans" if trans else "", dsts=dsts, stride=4 * count, stores=stores)
    tiles = np.arange(256, dtype=np.uint16) * 3 + 1          # four 8x8 matrices, row-major
    out = np.zeros((32, count), dtype=np.uint32)
    emu.GPU("sm_80").launch(emu.ptx_kernel(ptx, "k"), 1, 32, (tiles, out))
    mats = tiles.reshape(4, 8, 8)
    for lane in range(32):
        for i in range(count):
            m = mats[i].T if trans else mats[i]
            lo, hi = m[lane // 4, 2 * (lane % 4)], m[lane // 4, 2 * (lane % 4) + 1]
            assert out[lane, i] == (int(hi) << 16 | int(lo)), (lane, i)
