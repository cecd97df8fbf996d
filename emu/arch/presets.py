"""GPU presets: the hardware numbers emu uses, one preset per SM version, each number with its source.

Sources:
  [CUDA-CC]  CUDA C++ Programming Guide, "Compute Capabilities", table of
             technical specifications per compute capability (limits per block,
             grid, SM and shared memory).
  [WP-V100]  NVIDIA Tesla V100 GPU Architecture whitepaper (2017).
  [WP-A100]  NVIDIA A100 Tensor Core GPU Architecture whitepaper (2020).
  [WP-H100]  NVIDIA H100 Tensor Core GPU Architecture whitepaper (2022).
  [MEAS]     measured on a real H100 80GB HBM3 (shared/REFERENCE.md, 2026).
  [JIA-V]    Jia, Maggioni, Staiger, Scarpazza, "Dissecting the NVIDIA Volta GPU
             Architecture via Microbenchmarking" (2018): dependent-issue latencies.
  [ACCEL]    Accel-Sim (Khairy et al., ISCA 2020), Tables IV and VI (its TITAN V model).
  [ABD-A]    Abdelkhalik et al., arXiv 2208.11174 (A100 microbenchmarks).
  [LUO]      Luo et al., arXiv 2402.13499 and 2501.12084 (A100, H800 microbenchmarks).
  The latency figures are as collected, with their spread, in shared/REFERENCE.md.
The cycle model adds its own fields in its own issue; only what the
functional engine uses, and the latency of each latency class, is here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, fields

from emu.isa.table import LATENCY_CLASSES

SM_NAME = re.compile(r"sm_(\d+)(\d)([af]?)$")     # sm_80, sm_90a, sm_100f, sm_120


def target_cc(sm: str) -> tuple[int, int]:
    """``"sm_80"`` -> ``(8, 0)``, ``"sm_90a"`` -> ``(9, 0)``, ``"sm_120"`` -> ``(12, 0)``."""
    m = SM_NAME.match(sm)
    if m is None:
        raise ValueError(f"unrecognised SM name {sm!r}")
    return int(m.group(1)), int(m.group(2))


def sm_number(cc: tuple[int, int]) -> int:
    """A compute capability as one number, as in "sm_86": (8, 6) -> 86, (10, 0) -> 100."""
    return cc[0] * 10 + cc[1]


@dataclass(frozen=True)
class LatencyCycles:
    """Cycles from an instruction's issue until a dependent instruction can issue, per latency class.

    One field per class of ``emu.isa.table.LATENCY_CLASSES``. Memory classes are
    the unloaded latency of a hit in the first level (shared memory, L1);
    misses further out are the memory model's business.
    """
    alu_cycles: int          # integer add, logic, shift, multiply-add, move, select
    fma_cycles: int          # FP32 add, multiply, FMA, compare
    half_cycles: int         # f16/bf16 (x2) arithmetic (HADD2, HFMA2)
    fp64_cycles: int         # FP64 arithmetic (DADD, DFMA)
    sfu_cycles: int          # MUFU: rcp, sqrt, rsqrt, ex2, lg2, sin, cos, tanh
    mem_shared_cycles: int   # shared-memory load, no bank conflict
    mem_global_cycles: int   # global/local load that hits L1
    atomic_cycles: int       # global atomic (resolved at L2)
    tensor_cycles: int       # mma.sync m16n8k16 f16 (Volta: wmma m16n16k16)
    branch_cycles: int       # bra, call, ret
    sync_cycles: int         # bar.sync once all threads have arrived

    def __post_init__(self):
        names = tuple(f.name.removesuffix("_cycles") for f in fields(self))
        if names != LATENCY_CLASSES:
            raise ValueError(f"latency fields {names} do not match emu.isa.table.LATENCY_CLASSES")
        if any(self.of(name) <= 0 for name in names):
            raise ValueError("every latency must be a positive number of cycles")

    def of(self, latency_class: str) -> int:
        """Cycles of a latency class named in emu.isa.table.LATENCY_CLASSES."""
        return getattr(self, latency_class + "_cycles")

    def by_id(self) -> tuple[int, ...]:
        """Cycles indexed by latency class id (the code column F_LATENCY)."""
        return tuple(self.of(name) for name in LATENCY_CLASSES)


@dataclass(frozen=True)
class GPUPreset:
    name: str                               # marketing name
    sm: str                                 # "sm_80"
    cc: tuple                               # compute capability (major, minor)
    sm_count: int
    clock_mhz: float                        # boost clock
    warp_size: int
    max_threads_per_block: int
    max_block_dims: tuple
    max_grid_dims: tuple
    max_shared_per_block_bytes: int         # static shared memory limit per block
    max_shared_per_block_optin_bytes: int   # with cudaFuncSetAttribute(MaxDynamicSharedMemorySize)
    max_registers_per_thread: int
    max_threads_per_sm: int
    latency: LatencyCycles

    def __post_init__(self):
        if self.max_shared_per_block_optin_bytes < self.max_shared_per_block_bytes:
            raise ValueError(f"{self.sm}: opt-in shared memory below the static limit")
        if self.max_threads_per_block > self.max_threads_per_sm:
            raise ValueError(f"{self.sm}: more threads per block than per SM")
        if tuple(self.cc) != (int(self.sm[3:-1]), int(self.sm[-1])):   # "sm_80" -> (8, 0), "sm_100" -> (10, 0)
            raise ValueError(f"{self.sm}: compute capability {self.cc} does not match")


# Limits common to compute capabilities 7.0 - 9.0 [CUDA-CC]
_BLOCK_DIMS = (1024, 1024, 64)
_GRID_DIMS = (2**31 - 1, 65535, 65535)

PRESETS = {
    "sm_70": GPUPreset(
        name="Tesla V100", sm="sm_70", cc=(7, 0),
        sm_count=80,                                  # [WP-V100]
        clock_mhz=1530.0,                             # [WP-V100] boost
        warp_size=32, max_threads_per_block=1024,     # [CUDA-CC]
        max_block_dims=_BLOCK_DIMS, max_grid_dims=_GRID_DIMS,
        max_shared_per_block_bytes=48 * 1024,         # [CUDA-CC]
        max_shared_per_block_optin_bytes=96 * 1024,   # [CUDA-CC] 7.0
        max_registers_per_thread=255,                 # [CUDA-CC]
        max_threads_per_sm=2048,                      # [CUDA-CC]
        latency=LatencyCycles(
            alu_cycles=4,                             # [JIA-V] IADD3/IMAD dependent issue
            fma_cycles=4,                             # [JIA-V] FFMA
            half_cycles=6,                            # [JIA-V] HFMA2, approximate (~6)
            fp64_cycles=8,                            # [JIA-V] DFMA
            sfu_cycles=21,                            # [JIA-V] MUFU, approximate (~21)
            mem_shared_cycles=19,                     # [JIA-V] 19-27 measured: 19, the conflict-free load
            mem_global_cycles=28,                     # [JIA-V], [ACCEL] L1 hit 28-36: 28, as Accel-Sim
            atomic_cycles=244,                        # int32 global atomicAdd ~244 (REFERENCE.md, V100), approximate
            tensor_cycles=34,                         # wmma m16n16k16 ~33-35 (REFERENCE.md, V100), approximate
            branch_cycles=4,                          # approximate: no measurement found; taken as alu
            sync_cycles=4,                            # approximate: no measurement found; taken as alu
        ),
    ),
    "sm_80": GPUPreset(
        name="A100", sm="sm_80", cc=(8, 0),
        sm_count=108,                                 # [WP-A100]
        clock_mhz=1410.0,                             # [WP-A100] boost
        warp_size=32, max_threads_per_block=1024,
        max_block_dims=_BLOCK_DIMS, max_grid_dims=_GRID_DIMS,
        max_shared_per_block_bytes=48 * 1024,
        max_shared_per_block_optin_bytes=163 * 1024,  # [CUDA-CC] 8.0
        max_registers_per_thread=255,
        max_threads_per_sm=2048,
        latency=LatencyCycles(
            alu_cycles=4,                             # [ABD-A] IADD/IMAD dependent issue
            fma_cycles=4,                             # [ABD-A] FFMA
            half_cycles=6,                            # [ABD-A] HFMA2 ~4-6, approximate: 6, as V100
            fp64_cycles=8,                            # [ABD-A] DFMA ~6-8, approximate: 8, as V100 and H100
            sfu_cycles=23,                            # [ABD-A] MUFU, approximate (~23)
            mem_shared_cycles=23,                     # [ABD-A] 23-31 measured: 23, the conflict-free load
            mem_global_cycles=32,                     # [ABD-A] L1 hit 32-39: 32, the lower end as for shared
            atomic_cycles=208,                        # approximate: not published; the near-L2 hit (~208) [LUO]
            tensor_cycles=25,                         # [LUO] mma.sync m16n8k16 f16: 24.6
            branch_cycles=4,                          # approximate: no measurement found; taken as alu
            sync_cycles=4,                            # approximate: no measurement found; taken as alu
        ),
    ),
    "sm_90": GPUPreset(
        name="H100 SXM", sm="sm_90", cc=(9, 0),
        sm_count=132,                                 # [WP-H100], [MEAS]
        clock_mhz=1830.0,                             # [WP-H100] boost (REFERENCE.md marks it (?))
        warp_size=32, max_threads_per_block=1024,
        max_block_dims=_BLOCK_DIMS, max_grid_dims=_GRID_DIMS,
        max_shared_per_block_bytes=48 * 1024,
        max_shared_per_block_optin_bytes=227 * 1024,  # [CUDA-CC] 9.0
        max_registers_per_thread=255,
        max_threads_per_sm=2048,
        latency=LatencyCycles(
            alu_cycles=4,                             # [LUO] (H800) IADD/IMAD dependent issue
            fma_cycles=4,                             # [LUO] FFMA
            half_cycles=6,                            # approximate: not published; as A100
            fp64_cycles=8,                            # [LUO] DFMA
            sfu_cycles=23,                            # approximate: only throughput published; as A100
            mem_shared_cycles=29,                     # [LUO] ~29
            mem_global_cycles=32,                     # [LUO] L1 hit 32-40: 32, the lower end as for A100
            atomic_cycles=258,                        # approximate: not published; the near-L2 hit (~258) [LUO]
            tensor_cycles=24,                         # [LUO] mma.sync m16n8k16 f16: 24.1
            branch_cycles=4,                          # approximate: no measurement found; taken as alu
            sync_cycles=4,                            # approximate: no measurement found; taken as alu
        ),
    ),
}
ALIASES = {"v100": "sm_70", "a100": "sm_80", "h100": "sm_90"}


def get_preset(name: str) -> GPUPreset:
    key = ALIASES.get(name.lower(), name.lower())
    if key not in PRESETS:
        raise ValueError(f"unknown GPU preset {name!r}; known: {', '.join(list(PRESETS) + list(ALIASES))}")
    return PRESETS[key]
