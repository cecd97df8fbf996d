"""GPU presets: the hardware numbers emu uses, one preset per SM version, each number with its source.

Sources:
  [CUDA-CC]  CUDA C++ Programming Guide, "Compute Capabilities", table of
             technical specifications per compute capability (limits per block,
             grid, SM and shared memory).
  [WP-V100]  NVIDIA Tesla V100 GPU Architecture whitepaper (2017).
  [WP-A100]  NVIDIA A100 Tensor Core GPU Architecture whitepaper (2020).
  [WP-H100]  NVIDIA H100 Tensor Core GPU Architecture whitepaper (2022).
  [MEAS]     measured on a real H100 80GB HBM3 (shared/REFERENCE.md, 2026).
The cycle model adds its own fields in its own issue; only what the
functional engine uses is here.
"""
from __future__ import annotations

from dataclasses import dataclass


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
    ),
}
ALIASES = {"v100": "sm_70", "a100": "sm_80", "h100": "sm_90"}


def sm_number(cc: tuple) -> int:
    """The SM number of a compute capability: (8, 0) -> 80, (10, 0) -> 100."""
    return cc[0] * 10 + cc[1]


def get_preset(name: str) -> GPUPreset:
    key = ALIASES.get(name.lower(), name.lower())
    if key not in PRESETS:
        raise ValueError(f"unknown GPU preset {name!r}; known: {', '.join(list(PRESETS) + list(ALIASES))}")
    return PRESETS[key]
