"""Theoretical occupancy: how many CTAs of a kernel one SM holds at once, as CUDA computes it.

This follows ``cudaOccMaxActiveBlocksPerMultiprocessor`` in CUDA's ``cuda_occupancy.h``
(the rules of the CUDA Occupancy Calculator) for compute capability 7.0 and later, with
the default shared-memory carve-out (the largest) and dynamic shared memory opted in
up to the preset's per-block maximum. Four limits, each a number of CTAs:

- warps: the SM's warp slots over the CTA's warps (threads rounded up to whole warps);
- registers: a warp is given ``registers × 32`` rounded up to the allocation unit (256).
  Registers live in the sub-partitions, each holding a quarter of the register file, so
  warps are counted per sub-partition first. A CTA whose registers, counted as if its
  warps filled every sub-partition evenly, exceed the per-block limit does not launch;
- shared memory: the CTA's bytes plus the driver's reserved 1 KB (sm_80 and later),
  rounded up to the allocation unit, against the largest carve-out;
- CTAs: the SM's CTA slots.

The SM holds the smallest of the four. When it is 0 the kernel cannot launch at all, as
CUDA refuses it ("too many resources requested for launch"): ``occupancy_for_launch``
raises ``LaunchError`` with the reason.
"""
from __future__ import annotations

from dataclasses import dataclass

from emu.arch.presets import GPUPreset
from emu.errors import LaunchError

LIMITS = ("warps", "registers", "shared", "ctas")     # the order limiters are named in


def _round_up(value: int, unit: int) -> int:
    return -(-value // unit) * unit


@dataclass(frozen=True)
class Occupancy:
    """CTAs and warps resident on one SM, the limit of each resource, and which ones bind.

    ``ctas_by_registers`` and ``ctas_by_shared`` are None where the kernel uses none of
    that resource (no limit). ``reason`` says why a CTA does not fit when ``ctas_per_sm``
    is 0, and is empty otherwise.
    """
    ctas_per_sm: int
    warps_per_sm: int
    max_warps_per_sm: int
    ctas_by_warps: int
    ctas_by_registers: int | None
    ctas_by_shared: int | None
    ctas_by_ctas: int
    registers_per_cta: int           # allocated: per-warp allocation × warps
    shared_per_cta: int              # allocated: bytes + reserved, rounded up to the unit
    reason: str = ""

    @property
    def theoretical(self) -> float:
        """Active warps over the SM's warp slots (Nsight Compute: sm__maximum_warps_per_active_cycle_pct)."""
        return self.warps_per_sm / self.max_warps_per_sm

    @property
    def limiters(self) -> tuple[str, ...]:
        """The limits equal to ``ctas_per_sm``, in the order of LIMITS (several can bind at once)."""
        return tuple(name for name in LIMITS if getattr(self, "ctas_by_" + name) == self.ctas_per_sm)

    @property
    def limiter(self) -> str:
        """The first binding limit: "warps", "registers", "shared" or "ctas"."""
        return self.limiters[0]


def occupancy(preset: GPUPreset, block_threads: int, registers_per_thread: int,
              shared_per_block: int) -> Occupancy:
    """Theoretical occupancy of CTAs of ``block_threads`` threads using ``registers_per_thread``
    registers (ptxas -v) and ``shared_per_block`` bytes of shared memory (static + dynamic)."""
    if block_threads < 1 or registers_per_thread < 0 or shared_per_block < 0:
        raise ValueError("block_threads must be positive; registers and shared memory not negative")
    limits = preset.limits
    sub_partitions = preset.pipes.sub_partitions
    warps_per_cta = -(-block_threads // preset.warp_size)
    reasons = []

    if block_threads > preset.max_threads_per_block:
        ctas_by_warps = 0
        reasons.append(f"a block of {block_threads} threads exceeds the {preset.max_threads_per_block}-thread "
                       f"limit of {preset.sm}")
    else:
        ctas_by_warps = limits.max_warps_per_sm // warps_per_cta

    registers_per_warp = _round_up(registers_per_thread * preset.warp_size, limits.register_allocation_unit)
    registers_per_cta = registers_per_warp * warps_per_cta
    # the hardware checks the per-block limit as if the CTA's warps filled every sub-partition evenly
    registers_checked = registers_per_warp * _round_up(warps_per_cta, sub_partitions)
    if registers_per_thread > preset.max_registers_per_thread:
        ctas_by_registers = 0
        reasons.append(f"{registers_per_thread} registers per thread exceed {preset.sm}'s "
                       f"{preset.max_registers_per_thread}")
    elif max(registers_per_cta, registers_checked) > limits.registers_per_block:
        ctas_by_registers = 0
        reasons.append(f"{warps_per_cta} warps of {registers_per_thread} registers per thread need "
                       f"{max(registers_per_cta, registers_checked)} registers per block (allocated "
                       f"{registers_per_warp} per warp); {preset.sm} allows {limits.registers_per_block}")
    elif registers_per_warp == 0:
        ctas_by_registers = None
    else:
        warps_per_sub_partition = limits.registers_per_sm // sub_partitions // registers_per_warp
        ctas_by_registers = warps_per_sub_partition * sub_partitions // warps_per_cta

    shared_per_cta = _round_up(shared_per_block + limits.reserved_shared_per_block, limits.shared_allocation_unit)
    shared_limit = preset.max_shared_per_block_optin_bytes + limits.reserved_shared_per_block
    if shared_per_cta > shared_limit:
        ctas_by_shared = 0
        reasons.append(f"{shared_per_block} bytes of shared memory per block exceed {preset.sm}'s "
                       f"{preset.max_shared_per_block_optin_bytes}")
    elif shared_per_cta == 0:
        ctas_by_shared = None
    else:
        ctas_by_shared = limits.shared_per_sm_bytes // shared_per_cta

    ctas_by_ctas = limits.max_ctas_per_sm
    ctas = min(n for n in (ctas_by_warps, ctas_by_registers, ctas_by_shared, ctas_by_ctas) if n is not None)
    return Occupancy(ctas_per_sm=ctas, warps_per_sm=ctas * warps_per_cta, max_warps_per_sm=limits.max_warps_per_sm,
                     ctas_by_warps=ctas_by_warps, ctas_by_registers=ctas_by_registers,
                     ctas_by_shared=ctas_by_shared, ctas_by_ctas=ctas_by_ctas,
                     registers_per_cta=registers_per_cta, shared_per_cta=shared_per_cta,
                     reason="; ".join(reasons))


def occupancy_for_launch(preset: GPUPreset, block_threads: int, registers_per_thread: int,
                         shared_per_block: int, kernel: str = "the kernel") -> Occupancy:
    """``occupancy``, for a launch: raises LaunchError, as CUDA refuses the launch, when no CTA fits."""
    occ = occupancy(preset, block_threads, registers_per_thread, shared_per_block)
    if occ.ctas_per_sm == 0:
        raise LaunchError(f"{kernel} cannot launch on {preset.sm} ({preset.name}): {occ.reason} "
                          f"(CUDA: too many resources requested for launch)")
    return occ
