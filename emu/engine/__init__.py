"""The SIMT engine: numba-jitted execution of decoded PTX on one SM's resident CTAs.

    layout      the decoded program's columns, codes, and the engine's array layouts (the contract)
    state       the machine: named groups of arrays (Code, Memory, Warps, Slots, Output, Scratch),
                built per launch; Machine.run is the functional driver
    control     issue / run_warp (one warp's instructions), barriers, CTA placement, run
    operands    reading and writing operands, special registers
    alu_int, alu_float, alu_half, compare, convert, warp_ops
                the per-lane reference semantics of the PTX ISA, family by family
    fast        fast paths over whole 32-lane register rows (off with EMU_REFERENCE=1)
    address     the one address path of memory instructions; loads and stores
    memory_ops  ld/st, atomics, ldmatrix, wmma.load/store
    tensor      mma.sync and wmma.mma, batched across warps, in Python (mma_fragments -> emu.numerics)
    printf      vprintf records
    memory      the device memory image of a launch (Python)

Everything jitted is compiled without numba's runtime (``_nrt=False``): it
allocates nothing, and passing arrays between functions then costs no
reference counting. With ``NUMBA_DISABLE_JIT=1`` the engine runs as plain
Python, for debugging.
"""
