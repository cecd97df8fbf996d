"""Grid-wide synchronisation (``cuda.cg.this_grid().sync()``) as PTX the engine runs.

numba-cuda lowers ``this_grid()`` and ``GridGroup.sync()`` to calls of
``cudaCGGetIntrinsicHandle`` and ``cudaCGSynchronize``, which on a GPU come from
the device runtime library (``libcudadevrt.a``, object code emu cannot run).
``LIBRARY_PTX`` defines both (for any emu preset, sm_70 and up), for ``ptx_link.link_ptx`` to join to the kernel:

- the handle is unused (0): one cooperative grid is running;
- the barrier is a generation counter in two globals of the module. Each CTA
  meets at ``bar.sync``, then its thread (0,0,0) reads the generation and
  counts its CTA in; the last CTA to arrive resets the count and advances the
  generation, the others spin until they see it advance; the CTA meets at
  ``bar.sync`` again. All CTAs must be resident at once, which a cooperative
  launch guarantees (``GPU.launch(..., cooperative=True)``); the engine
  interleaves warps, so spinning CTAs let the others run.
"""
from __future__ import annotations

LIBRARY_PTX = """\
.version 7.0
.target sm_70
.address_size 64

.global .align 4 .u32 emu_grid_arrived;
.global .align 4 .u32 emu_grid_generation;

.visible .func (.param .b64 func_retval0) cudaCGGetIntrinsicHandle(.param .b32 scope)
{
	st.param.b64 	[func_retval0+0], 0;
	ret;
}

.visible .func (.param .b32 func_retval0) cudaCGSynchronize(.param .b64 handle, .param .b32 flags)
{
	.reg .pred 	%p<4>;
	.reg .b32 	%r<12>;

	bar.sync 	0;
	mov.u32 	%r1, %tid.x;
	mov.u32 	%r2, %tid.y;
	mov.u32 	%r3, %tid.z;
	or.b32 	%r4, %r1, %r2;
	or.b32 	%r4, %r4, %r3;
	setp.ne.u32 	%p1, %r4, 0;
	@%p1 bra 	MEET;
	mov.u32 	%r5, %nctaid.x;
	mov.u32 	%r6, %nctaid.y;
	mov.u32 	%r7, %nctaid.z;
	mul.lo.u32 	%r5, %r5, %r6;
	mul.lo.u32 	%r5, %r5, %r7;
	ld.volatile.global.u32 	%r8, [emu_grid_generation];
	membar.gl;
	atom.global.add.u32 	%r9, [emu_grid_arrived], 1;
	add.u32 	%r9, %r9, 1;
	setp.ne.u32 	%p2, %r9, %r5;
	@%p2 bra 	SPIN;
	st.volatile.global.u32 	[emu_grid_arrived], 0;
	membar.gl;
	atom.global.add.u32 	%r10, [emu_grid_generation], 1;
	bra.uni 	MEET;
SPIN:
	ld.volatile.global.u32 	%r10, [emu_grid_generation];
	setp.eq.u32 	%p3, %r10, %r8;
	@%p3 bra 	SPIN;
MEET:
	bar.sync 	0;
	st.param.b32 	[func_retval0+0], 0;
	ret;
}
"""

