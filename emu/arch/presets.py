"""GPU presets: the hardware numbers emu uses, one preset per GPU, each number with its source.

Presets are keyed by name: the SM version names its reference GPU ("sm_90" is the
H100 SXM), and GPUs that share an SM version beside it have their own key ("h200").
``load_preset`` reads a TOML file that starts from a preset and overrides its numbers.

Sources:
  [CUDA-CC]  CUDA C++ Programming Guide, "Compute Capabilities", table of
             technical specifications per compute capability (limits per block,
             grid, SM and shared memory).
  [CUDA-BP]  CUDA C++ Best Practices Guide, "Coalesced Access to Global Memory": 32-byte
             sectors of 128-byte lines.
  [WP-V100]  NVIDIA Tesla V100 GPU Architecture whitepaper (2017).
  [WP-TU]    NVIDIA Turing GPU Architecture whitepaper (2018): TU102/TU104 SM (64 FP32,
             64 INT32, 2 FP64, 16 SFU, 8 tensor cores per SM; 96 KB L1 + shared).
  [DS-T4]    NVIDIA T4 datasheet (2018): 40 SMs (2,560 CUDA cores, 320 tensor cores),
             1590 MHz boost, 8.1 TFLOPS FP32, 65 TFLOPS FP16, 130 TOPS INT8, 16 GB GDDR6
             at 320 GB/s, 4 MB L2.
  [WP-A100]  NVIDIA A100 Tensor Core GPU Architecture whitepaper (2020).
  [WP-H100]  NVIDIA H100 Tensor Core GPU Architecture whitepaper (2022).
  [DS-H100]  NVIDIA H100 datasheet / final specification table: SXM5 boost clock 1980 MHz,
             67 TFLOPS FP32, 34 TFLOPS FP64, 3.35 TB/s HBM3 (the tensor-core figures, 989
             TFLOPS dense FP16, are computed at 1830 MHz: docs/timing.md, "Choices").
  [DS-H200]  NVIDIA H200 datasheet (2024): H100's GH100 with 141 GB HBM3e at 4.8 TB/s;
             the same FP32/FP64/tensor peaks as H100 SXM (67 / 34 / 989 TFLOPS).
  [MEAS]     measured on a real H100 80GB HBM3 and a real H200 (shared/REFERENCE.md, 2026).
  [JIA-V]    Jia, Maggioni, Staiger, Scarpazza, "Dissecting the NVIDIA Volta GPU
             Architecture via Microbenchmarking" (2018): dependent-issue latencies.
  [ACCEL]    Accel-Sim (Khairy et al., ISCA 2020), Tables IV and VI (its TITAN V model).
  [ACCEL-TU] Accel-Sim's tuned Turing model, configs/tested-cfgs/SM75_RTX2060/gpgpusim.config
             (TU106: the same SM as T4's TU104): L1 32, shared 30, L2 ROP 194 (+96 DRAM)
             cycles; FP64 latency and interval 64, SFU 21; L2 16-way.
  [JIA-TU]   Jia, Maggioni, Smith, Scarpazza, "Dissecting the NVidia Turing T4 GPU via
             Microbenchmarking" (arXiv 1903.07486, 2019).
  [ABD-A]    Abdelkhalik et al., arXiv 2208.11174 (A100 microbenchmarks).
  [LUO]      Luo et al., arXiv 2402.13499 and 2501.12084 (A100, H800 microbenchmarks).
  [OCC]      CUDA Occupancy Calculator / cudaOccupancyMaxActiveBlocksPerMultiprocessor
             (cuda_occupancy.h): register allocation per warp in units of 256, shared
             memory in units of 128 (sm_80+) or 256 bytes, 1 KB reserved per block on
             sm_80+, 16 CTAs per SM on 7.5 (emu/arch/occupancy.py implements it).
  [HUERTA]   Huerta et al., "Dissecting and Modeling the Architecture of Modern GPU
             Cores" (MICRO 2025): 4 sub-cores, one issue per cycle, greedy scheduling.
  [STREAM]   gpu-benches (RRZE) stream results: 85-97% of the datasheet DRAM peak.
  The latency figures are as collected, with their spread, in shared/REFERENCE.md;
  docs/timing.md says which value of a spread each preset takes and why.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass, fields, is_dataclass, replace
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:                                   # pragma: no cover - Python 3.10
    import tomli as tomllib

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
class SMLimits:
    """What one SM can hold at once: the limits of CUDA's occupancy calculation [CUDA-CC], [OCC]."""
    max_ctas_per_sm: int
    max_warps_per_sm: int
    registers_per_sm: int             # 32-bit registers
    registers_per_block: int          # the most one CTA may hold (CUDA refuses a launch above it)
    register_allocation_unit: int     # registers are given to a warp in units of this many
    shared_per_sm_bytes: int          # the largest shared-memory carve-out
    shared_allocation_unit: int       # shared memory is given to a block in units of this many bytes
    reserved_shared_per_block: int    # bytes the system keeps per resident block (sm_80+)
    l1_shared_bytes: int              # the unified L1 data cache + shared memory of one SM


@dataclass(frozen=True)
class Pipes:
    """An SM's sub-partitions: each has a warp scheduler and execution units of so many lanes.

    A warp instruction on a unit of ``lanes`` lanes occupies it ``32 / lanes`` cycles (its
    initiation interval); a unit of 32 lanes takes one warp instruction per cycle. A GPU
    with fewer units of a kind than sub-partitions has a fraction of a lane in each: T4's
    2 FP64 units per SM are 0.5 lanes per sub-partition, a warp instruction every 64 cycles.
    """
    sub_partitions: int
    scheduler: str                    # "gto" (greedy then oldest) or "lrr" (loose round robin)
    fp32_lanes: int                   # per sub-partition
    int_lanes: int
    fp64_lanes: float
    sfu_lanes: int                    # MUFU
    lsu_lanes: int                    # load/store units: address generation of memory instructions

    def __post_init__(self):
        if self.scheduler not in ("gto", "lrr"):
            raise ValueError(f"unknown warp scheduler {self.scheduler!r}: 'gto' or 'lrr'")
        if any(lanes <= 0 or not (32 / lanes).is_integer()
               for lanes in (self.fp32_lanes, self.int_lanes, self.fp64_lanes, self.sfu_lanes, self.lsu_lanes)):
            raise ValueError("lanes per sub-partition must divide 32 (a warp instruction takes whole cycles)")

    def interval(self, pipe: str) -> int:
        """Cycles a warp instruction occupies its unit of one sub-partition (``emu.isa.table.PIPES``)."""
        lanes = {"fp32": self.fp32_lanes, "int": self.int_lanes, "fp64": self.fp64_lanes,
                 "sfu": self.sfu_lanes, "lsu": self.lsu_lanes}.get(pipe, 32)
        return int(32 / lanes)


@dataclass(frozen=True)
class MemorySystem:
    """Caches, shared memory and DRAM, as the cycle model sees them (latencies in SM cycles)."""
    l1_ways: int
    l1_bytes_per_cycle: int           # L1 / shared-memory bandwidth per SM
    l2_bytes: int
    l2_ways: int
    l2_near_cycles: int               # load-to-use latency of an L2 hit in the SM's own partition
    l2_far_cycles: int                # ... in the other partition (equal on GPUs with one)
    l2_bytes_per_cycle: int           # L2 bandwidth of the whole GPU
    dram_near_cycles: int             # load-to-use latency of an L2 miss, near partition
    dram_far_cycles: int
    dram_bytes_per_s: float           # datasheet peak
    sector_bytes: int = 32            # [CUDA-BP] global memory is accessed in 32-byte sectors
    line_bytes: int = 128             # [CUDA-BP] of 128-byte cache lines
    shared_banks: int = 32            # [CUDA-CC] 32 banks
    bank_bytes: int = 4               # [CUDA-CC] successive 32-bit words in successive banks
    dram_efficiency: float = 0.90     # [STREAM] 85-97% of peak measured; [MEAS] H100 copy 3.0 of 3.35 TB/s,
                                      # H200 4.3 of 4.8: refresh and bus turnaround cost the rest


@dataclass(frozen=True)
class TensorCores:
    """Dense tensor-core throughput: FMAs per cycle per SM for each input type."""
    units_per_sm: int
    fma_per_cycle: tuple              # ((PTX input type, FMA/cycle/SM), ...)
    mma_sync_efficiency: float        # fraction of the peak a stream of independent mma.sync reaches

    def rate(self, input_type: str) -> int:
        """FMA per cycle per SM for A/B of ``input_type``; 0 where the GPU has no tensor path for it."""
        return dict(self.fma_per_cycle).get(input_type, 0)


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
    limits: SMLimits
    pipes: Pipes
    memory: MemorySystem
    tensor: TensorCores

    def __post_init__(self):
        if self.max_shared_per_block_optin_bytes < self.max_shared_per_block_bytes:
            raise ValueError(f"{self.sm}: opt-in shared memory below the static limit")
        if self.max_threads_per_block > self.max_threads_per_sm:
            raise ValueError(f"{self.sm}: more threads per block than per SM")
        if tuple(self.cc) != (int(self.sm[3:-1]), int(self.sm[-1])):   # "sm_80" -> (8, 0), "sm_100" -> (10, 0)
            raise ValueError(f"{self.sm}: compute capability {self.cc} does not match")

    @property
    def clock_hz(self) -> float:
        return self.clock_mhz * 1e6

    def fp32_flops_per_s(self) -> float:
        """FP32 peak without tensor cores: an FMA (2 FLOP) per FP32 lane per cycle."""
        return 2 * self.pipes.fp32_lanes * self.pipes.sub_partitions * self.sm_count * self.clock_hz

    def fp64_flops_per_s(self) -> float:
        return 2 * self.pipes.fp64_lanes * self.pipes.sub_partitions * self.sm_count * self.clock_hz

    def tensor_flops_per_s(self, input_type: str = "f16") -> float:
        """Dense tensor-core peak for A/B of ``input_type``."""
        return 2 * self.tensor.rate(input_type) * self.sm_count * self.clock_hz

    def dram_bytes_per_cycle(self) -> float:
        """DRAM bandwidth of the whole GPU per SM cycle."""
        return self.memory.dram_bytes_per_s / self.clock_hz

    def l2_bytes_per_s(self) -> float:
        return self.memory.l2_bytes_per_cycle * self.clock_hz


# Limits common to compute capabilities 7.0 - 9.0 [CUDA-CC]
_BLOCK_DIMS = (1024, 1024, 64)
_GRID_DIMS = (2**31 - 1, 65535, 65535)


V100 = GPUPreset(
    name="Tesla V100", sm="sm_70", cc=(7, 0),
    sm_count=80,                                  # [WP-V100]
    clock_mhz=1530.0,                             # [WP-V100] boost
    warp_size=32, max_threads_per_block=1024,     # [CUDA-CC]
    max_block_dims=_BLOCK_DIMS, max_grid_dims=_GRID_DIMS,   # [CUDA-CC]
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
    limits=SMLimits(max_ctas_per_sm=32, max_warps_per_sm=64,                      # [CUDA-CC] 7.0
                    registers_per_sm=65536, registers_per_block=65536,            # [CUDA-CC]
                    register_allocation_unit=256,                                 # [OCC]
                    shared_per_sm_bytes=96 * 1024, shared_allocation_unit=256,    # [CUDA-CC], [OCC]
                    reserved_shared_per_block=0,                                  # [OCC] none before 8.0
                    l1_shared_bytes=128 * 1024),                                  # [WP-V100]
    pipes=Pipes(sub_partitions=4, scheduler="gto",                                # [WP-V100], [HUERTA]
                fp32_lanes=16, int_lanes=16, fp64_lanes=8,                        # [WP-V100] 64/64/32 per SM
                sfu_lanes=4,                                                      # [JIA-V] 16 MUFU results/clk/SM
                lsu_lanes=8),                                                     # [WP-V100] 32 LD/ST per SM
    memory=MemorySystem(l1_ways=4,                                                # approximate: not published
                        l1_bytes_per_cycle=128,                                   # [JIA-V] ~126-128 B/clk/SM
                        l2_bytes=6 * 1024 * 1024, l2_ways=16,                     # [WP-V100]; ways approximate
                        l2_near_cycles=214, l2_far_cycles=214,                    # [JIA-V] 210-220; one partition
                        l2_bytes_per_cycle=1370,                                  # [JIA-V] measured (89% of 1536)
                        dram_near_cycles=300, dram_far_cycles=300,                # [JIA-V] ~300 (TLB hit)
                        dram_bytes_per_s=900e9),                                  # [WP-V100]
    tensor=TensorCores(units_per_sm=8,                                            # [WP-V100]
                       fma_per_cycle=(("f16", 512),),                             # [WP-V100] 8 x 4x4x4
                       mma_sync_efficiency=0.93),                                 # [JIA-V] wmma 478 of 512
)
T4 = GPUPreset(
    name="Tesla T4", sm="sm_75", cc=(7, 5),
    sm_count=40,                                  # [DS-T4] 2,560 CUDA cores / 64 per SM [WP-TU]
    clock_mhz=1590.0,                             # [DS-T4] boost (8.1 TFLOPS FP32 = 40 x 128 FLOP x 1.59 GHz)
    warp_size=32, max_threads_per_block=1024,     # [CUDA-CC]
    max_block_dims=_BLOCK_DIMS, max_grid_dims=_GRID_DIMS,   # [CUDA-CC]
    max_shared_per_block_bytes=48 * 1024,         # [CUDA-CC]
    max_shared_per_block_optin_bytes=64 * 1024,   # [CUDA-CC] 7.5
    max_registers_per_thread=255,                 # [CUDA-CC]
    max_threads_per_sm=1024,                      # [CUDA-CC] 7.5
    latency=LatencyCycles(
        alu_cycles=4,                             # [ACCEL-TU] int latency 4, as Volta [JIA-V]
        fma_cycles=4,                             # [ACCEL-TU] fp latency 4, as Volta [JIA-V]
        half_cycles=6,                            # approximate: not published for Turing; as V100 [JIA-V]
        fp64_cycles=64,                           # [ACCEL-TU] dp latency 64: 2 FP64 units per SM [WP-TU]
        sfu_cycles=21,                            # [ACCEL-TU] sfu latency 21, as V100 [JIA-V]
        mem_shared_cycles=30,                     # [ACCEL-TU] smem latency 30, tuned to the hardware
        mem_global_cycles=32,                     # [ACCEL-TU] l1 latency 32
        atomic_cycles=194,                        # approximate: not published; the L2 hit, as for A100 and H100
        tensor_cycles=34,                         # approximate: not published; wmma m16n16k16 as V100
        branch_cycles=4,                          # approximate: no measurement found; taken as alu
        sync_cycles=4,                            # approximate: no measurement found; taken as alu
    ),
    limits=SMLimits(max_ctas_per_sm=16, max_warps_per_sm=32,                      # [CUDA-CC] 7.5, [OCC]
                    registers_per_sm=65536, registers_per_block=65536,            # [CUDA-CC]
                    register_allocation_unit=256,                                 # [OCC]
                    shared_per_sm_bytes=64 * 1024, shared_allocation_unit=256,    # [CUDA-CC], [OCC]
                    reserved_shared_per_block=0,                                  # [OCC] none before 8.0
                    l1_shared_bytes=96 * 1024),                                   # [WP-TU]
    pipes=Pipes(sub_partitions=4, scheduler="gto",                                # [WP-TU], [ACCEL-TU]
                fp32_lanes=16, int_lanes=16,                                      # [WP-TU] 64/64 per SM
                fp64_lanes=0.5,                                                   # [WP-TU] 2 per SM: 1/32 of FP32
                sfu_lanes=4,                                                      # [WP-TU] 16 per SM; [ACCEL-TU] interval 8
                lsu_lanes=4),                                                     # [WP-TU] 16 LD/ST per SM
    memory=MemorySystem(l1_ways=4,                                                # approximate: not published
                        l1_bytes_per_cycle=64,                                    # [WP-TU] 64 B/clk/SM (16 LD/ST x 4 B)
                        l2_bytes=4 * 1024 * 1024, l2_ways=16,                     # [DS-T4]; [ACCEL-TU] 16-way
                        l2_near_cycles=194, l2_far_cycles=194,                    # [ACCEL-TU] L2 194; one partition
                        l2_bytes_per_cycle=512,                                   # approximate: 16 slices x 32 B, docs/timing.md
                        dram_near_cycles=290, dram_far_cycles=290,                # [ACCEL-TU] L2 194 + DRAM 96
                        dram_bytes_per_s=320e9),                                  # [DS-T4] 256-bit GDDR6 at 10 Gb/s
    tensor=TensorCores(units_per_sm=8,                                            # [DS-T4] 320 / 40 SMs
                       fma_per_cycle=(("f16", 512), ("s8", 1024), ("u8", 1024)),  # [DS-T4] 65 TFLOPS, 130 TOPS
                       mma_sync_efficiency=0.93),                                 # approximate: as V100 [JIA-V]
)

A100 = GPUPreset(
    name="A100", sm="sm_80", cc=(8, 0),
    sm_count=108,                                 # [WP-A100]
    clock_mhz=1410.0,                             # [WP-A100] boost
    warp_size=32, max_threads_per_block=1024,     # [CUDA-CC]
    max_block_dims=_BLOCK_DIMS, max_grid_dims=_GRID_DIMS,   # [CUDA-CC]
    max_shared_per_block_bytes=48 * 1024,         # [CUDA-CC]
    max_shared_per_block_optin_bytes=163 * 1024,  # [CUDA-CC] 8.0
    max_registers_per_thread=255,                 # [CUDA-CC]
    max_threads_per_sm=2048,                      # [CUDA-CC]
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
    limits=SMLimits(max_ctas_per_sm=32, max_warps_per_sm=64,                      # [CUDA-CC] 8.0
                    registers_per_sm=65536, registers_per_block=65536,            # [CUDA-CC]
                    register_allocation_unit=256,                                 # [OCC]
                    shared_per_sm_bytes=164 * 1024, shared_allocation_unit=128,   # [CUDA-CC], [OCC]
                    reserved_shared_per_block=1024,                               # [OCC]
                    l1_shared_bytes=192 * 1024),                                  # [WP-A100]
    pipes=Pipes(sub_partitions=4, scheduler="gto",                                # [WP-A100], [HUERTA]
                fp32_lanes=16, int_lanes=16, fp64_lanes=8,                        # [WP-A100] 64/64/32 per SM
                sfu_lanes=4,                                                      # [WP-A100] 16 SFU per SM
                lsu_lanes=8),                                                     # [WP-A100] 32 LD/ST per SM
    memory=MemorySystem(l1_ways=4,                                                # approximate: not published
                        l1_bytes_per_cycle=128,                                   # [ABD-A]
                        l2_bytes=40 * 1024 * 1024, l2_ways=16,                    # [WP-A100]; ways approximate
                        l2_near_cycles=208, l2_far_cycles=357,                    # [LUO] near ~208, far ~357
                        l2_bytes_per_cycle=3180,                                  # approximate, docs/timing.md
                        dram_near_cycles=475, dram_far_cycles=623,                # [LUO] near/far miss
                        dram_bytes_per_s=1555e9),                                 # [WP-A100] 40 GB
    tensor=TensorCores(units_per_sm=4,                                            # [WP-A100]
                       fma_per_cycle=(("f16", 1024), ("bf16", 1024), ("tf32", 512)),   # [WP-A100] 4 x 8x4x8
                       mma_sync_efficiency=0.95),                                 # [LUO] mma.sync > 95%
)
H100 = GPUPreset(
    name="H100 SXM", sm="sm_90", cc=(9, 0),
    sm_count=132,                                 # [WP-H100], [MEAS]
    clock_mhz=1980.0,                             # [DS-H100] max boost; tensor peaks quote 1830 (docs/timing.md)
    warp_size=32, max_threads_per_block=1024,     # [CUDA-CC]
    max_block_dims=_BLOCK_DIMS, max_grid_dims=_GRID_DIMS,   # [CUDA-CC]
    max_shared_per_block_bytes=48 * 1024,         # [CUDA-CC]
    max_shared_per_block_optin_bytes=227 * 1024,  # [CUDA-CC] 9.0
    max_registers_per_thread=255,                 # [CUDA-CC]
    max_threads_per_sm=2048,                      # [CUDA-CC]
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
    limits=SMLimits(max_ctas_per_sm=32, max_warps_per_sm=64,                      # [CUDA-CC] 9.0
                    registers_per_sm=65536, registers_per_block=65536,            # [CUDA-CC]
                    register_allocation_unit=256,                                 # [OCC]
                    shared_per_sm_bytes=228 * 1024, shared_allocation_unit=128,   # [CUDA-CC], [OCC]
                    reserved_shared_per_block=1024,                               # [OCC]
                    l1_shared_bytes=256 * 1024),                                  # [WP-H100]
    pipes=Pipes(sub_partitions=4, scheduler="gto",                                # [WP-H100], [HUERTA]
                fp32_lanes=32, int_lanes=16, fp64_lanes=16,                       # [WP-H100] 128/64/64 per SM
                sfu_lanes=4,                                                      # [LUO] 16 results/clk/SM
                lsu_lanes=8),                                                     # [WP-H100] 32 LD/ST per SM
    memory=MemorySystem(l1_ways=4,                                                # approximate: not published
                        l1_bytes_per_cycle=128,                                   # [LUO]
                        l2_bytes=50 * 1024 * 1024, l2_ways=16,                    # [WP-H100], [MEAS]
                        l2_near_cycles=258, l2_far_cycles=414,                    # [LUO] near ~258, far ~414
                        l2_bytes_per_cycle=4470,                                  # [LUO] H800 measured
                        dram_near_cycles=555, dram_far_cycles=660,                # [LUO] ~555-660
                        dram_bytes_per_s=3.35e12),                                # [WP-H100] SXM5 HBM3
    tensor=TensorCores(units_per_sm=4,                                            # [WP-H100]
                       fma_per_cycle=(("f16", 2048), ("bf16", 2048), ("tf32", 1024),
                                      ("e4m3", 4096), ("e5m2", 4096)),            # [WP-H100]
                       mma_sync_efficiency=0.63),                                 # [LUO] H800 mma.sync ~63%
)

H200 = replace(
    H100,
    name="H200 SXM",                              # same GH100 chip, SMs, clocks and peaks as H100 SXM [DS-H200]
    memory=replace(H100.memory,
                   l2_bytes=60 * 1024 * 1024,                                     # [MEAS] 60 MB reported (H100: 50)
                   dram_bytes_per_s=4.8e12),                                      # [DS-H200] HBM3e
)

PRESETS = {"sm_70": V100, "sm_75": T4, "sm_80": A100, "sm_90": H100, "h200": H200}
ALIASES = {"v100": "sm_70", "t4": "sm_75", "a100": "sm_80", "h100": "sm_90"}


def get_preset(name: str) -> GPUPreset:
    """The preset of a key of PRESETS or an alias, in any case: "sm_90", "H100", "h200"."""
    key = ALIASES.get(name.lower(), name.lower())
    if key not in PRESETS:
        raise ValueError(f"unknown GPU preset {name!r}; known: {', '.join(list(PRESETS) + list(ALIASES))}")
    return PRESETS[key]


def load_preset(path) -> GPUPreset:
    """A preset read from a TOML file: ``base`` names a preset, every other key overrides one of its numbers.

    Tables override the nested groups (``latency``, ``limits``, ``pipes``, ``memory``,
    ``tensor``), key by key; ``[tensor.fma_per_cycle]`` overrides or adds rates by input type::

        base = "a100"
        name = "A100 at 1500 MHz"
        clock_mhz = 1500
        [memory]
        dram_bytes_per_s = 2.0e12
        [latency]
        fma_cycles = 5

    A key the preset does not have is an error naming the key and the allowed ones.
    """
    path = Path(path)
    with path.open("rb") as f:
        table = tomllib.load(f)
    if not isinstance(table.get("base"), str):
        raise ValueError(f"{path}: needs base = \"<preset>\", one of {', '.join(list(PRESETS) + list(ALIASES))}")
    base = get_preset(table.pop("base"))
    return _overridden(base, table, path, "")


def _overridden(group, table: dict, path: Path, prefix: str):
    """``group`` (a preset or one of its dataclasses, its keys named ``prefix`` + key) with the values of
    ``table``, checked key by key."""
    allowed = [f.name for f in fields(group)]
    changes = {}
    for key, value in table.items():
        if key not in allowed:
            raise ValueError(f"{path}: unknown key {prefix + key!r}; allowed: {', '.join(allowed)}")
        current, name = getattr(group, key), prefix + key
        if is_dataclass(current):
            if not isinstance(value, dict):
                raise ValueError(f"{path}: {name} is a group of numbers: write it as a table [{name}]")
            changes[key] = _overridden(current, value, path, name + ".")
        elif isinstance(value, dict):              # rates by type, e.g. tensor.fma_per_cycle
            if not isinstance(current, tuple) or not all(isinstance(pair, tuple) for pair in current):
                raise ValueError(f"{path}: {name} is a single value, not a table")
            changes[key] = tuple({**dict(current), **value}.items())
        else:
            changes[key] = _typed(current, value, f"{path}: {name}")
    return replace(group, **changes)


def _typed(current, value, name: str):
    """``value`` from TOML as the type of the preset's ``current`` value (an integer may stand for a float)."""
    if isinstance(current, tuple) and isinstance(value, list):
        return tuple(value)
    if isinstance(current, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if type(value) is not type(current):
        raise ValueError(f"{name} = {value!r}: expected {type(current).__name__}, like {current!r}")
    return value
