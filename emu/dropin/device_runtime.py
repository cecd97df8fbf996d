"""The device-side functions CUDA's libraries give a kernel, as PTX the engine runs.

On a GPU they come as object code emu cannot run: ``LIBRARY_PTX`` defines them
(for any emu preset, sm_70 and up), for ``ptx_link.link_ptx`` to join to a kernel,
which takes only the ones the kernel calls.

``__assertfail`` (a failed ``assert`` in CUDA C++): prints what CUDA prints,
``file:line: function: Assertion `message` failed.``, through ``vprintf``, and
traps, which ends the launch with a ``KernelFault``.

Grid-wide synchronisation (``cuda.cg.this_grid().sync()``): numba-cuda lowers
``this_grid()`` and ``GridGroup.sync()`` to calls of ``cudaCGGetIntrinsicHandle``
and ``cudaCGSynchronize``, from the device runtime library (``libcudadevrt.a``):

- the handle is unused (0): one cooperative grid is running;
- the barrier is a generation counter in two globals of the module. The CTA
  meets at ``bar.sync 0``; its first warp reads the generation, its thread 0
  counts the CTA in, and the last CTA to arrive resets the count and advances
  the generation; the first warp waits until it sees the generation advance;
  the CTA meets again at ``bar.sync 0``. All CTAs must be resident at once,
  which a cooperative launch guarantees (``GPU.launch(..., cooperative=True)``).
- waiting costs little: each poll ends with ``bar.sync 15`` among the warp's
  own active lanes, which holds the warp until the engine's next round over the
  warps, so the CTAs still working get the engine instead of a spinning warp
  (a CTA of fewer than 32 threads makes that count less than the multiple of 32
  PTX asks for, which the engine accepts: this PTX runs only on emu).
"""
from __future__ import annotations

_ASSERT_FORMAT = b"%s:%d: %s: Assertion `%s` failed.\n\0"

LIBRARY_PTX = """\
.version 7.0
.target sm_70
.address_size 64

.extern .func (.param .b32 func_retval0) vprintf(.param .b64 vprintf_param_0, .param .b64 vprintf_param_1);

.global .align 1 .b8 emu_assert_format[FORMAT_SIZE] = {FORMAT_BYTES};

.visible .func __assertfail(.param .b64 message, .param .b64 file, .param .b32 line, .param .b64 function,
                            .param .b64 char_size)
{
	.local .align 8 .b8 	arguments[32];
	.reg .b32 	%r<3>;
	.reg .b64 	%rd<8>;

	ld.param.b64 	%rd1, [message];
	ld.param.b64 	%rd2, [file];
	ld.param.b32 	%r1, [line];
	ld.param.b64 	%rd3, [function];
	st.local.u64 	[arguments], %rd2;
	st.local.u32 	[arguments+8], %r1;
	st.local.u64 	[arguments+16], %rd3;
	st.local.u64 	[arguments+24], %rd1;
	mov.u64 	%rd4, arguments;
	cvta.local.u64 	%rd5, %rd4;
	mov.u64 	%rd6, emu_assert_format;
	cvta.global.u64 	%rd7, %rd6;
	{
	.param .b64 format;
	st.param.b64 	[format+0], %rd7;
	.param .b64 values;
	st.param.b64 	[values+0], %rd5;
	.param .b32 printed;
	call.uni (printed), vprintf, (format, values);
	}
	trap;
}

.global .align 4 .u32 emu_grid_arrived;
.global .align 4 .u32 emu_grid_generation;

.visible .func (.param .b64 func_retval0) cudaCGGetIntrinsicHandle(.param .b32 scope)
{
	st.param.b64 	[func_retval0+0], 0;
	ret;
}

.visible .func (.param .b32 func_retval0) cudaCGSynchronize(.param .b64 handle, .param .b32 flags)
{
	.reg .pred 	%p<5>;
	.reg .b32 	%r<16>;

	bar.sync 	0;
	mov.u32 	%r1, %tid.x;
	mov.u32 	%r2, %tid.y;
	mov.u32 	%r3, %tid.z;
	mov.u32 	%r11, %ntid.x;
	mov.u32 	%r12, %ntid.y;
	mad.lo.u32 	%r4, %r3, %r12, %r2;
	mad.lo.u32 	%r4, %r4, %r11, %r1;
	setp.ge.u32 	%p1, %r4, 32;
	@%p1 bra 	MEET;
	activemask.b32 	%r13;
	popc.b32 	%r14, %r13;
	ld.volatile.global.u32 	%r8, [emu_grid_generation];
	setp.ne.u32 	%p2, %r4, 0;
	@%p2 bra 	POLL;
	mov.u32 	%r5, %nctaid.x;
	mov.u32 	%r6, %nctaid.y;
	mov.u32 	%r7, %nctaid.z;
	mul.lo.u32 	%r5, %r5, %r6;
	mul.lo.u32 	%r5, %r5, %r7;
	membar.gl;
	atom.global.add.u32 	%r9, [emu_grid_arrived], 1;
	add.u32 	%r9, %r9, 1;
	setp.ne.u32 	%p3, %r9, %r5;
	@%p3 bra 	POLL;
	st.volatile.global.u32 	[emu_grid_arrived], 0;
	membar.gl;
	atom.global.add.u32 	%r10, [emu_grid_generation], 1;
POLL:
	ld.volatile.global.u32 	%r10, [emu_grid_generation];
	setp.ne.u32 	%p4, %r10, %r8;
	@%p4 bra 	MEET;
	bar.sync 	15, %r14;
	bra.uni 	POLL;
MEET:
	bar.sync 	0;
	st.param.b32 	[func_retval0+0], 0;
	ret;
}
""".replace("FORMAT_SIZE", str(len(_ASSERT_FORMAT))).replace(
    "FORMAT_BYTES", ", ".join(map(str, _ASSERT_FORMAT)))
