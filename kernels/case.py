"""The uniform description of a kernel test case, plus helpers shared by the twins."""

import math
from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np
from numba import njit

Args = tuple
LaunchConfig = tuple[tuple[int, ...], tuple[int, ...]]

EXACT = "exact: the twin performs the same float operations in the same order"
EXACT_FMA = ("exact: the twin reproduces each fused multiply-add (one rounding, via fma32) "
             "in the same order")


@dataclass(frozen=True)
class KernelCase:
    """One kernel plus everything needed to launch it and check its result.

    kernel        numba.cuda dispatcher, or CUDA C++ source text (then `entry` names
                  the __global__ function to compile with emu.compile_cuda)
    make_inputs   (rng, size) -> args tuple of numpy arrays / numpy scalars
    launch_config args -> (grid, block), both tuples
    run_twin      args -> expected values of the output args, in `outputs` order;
                  never modifies args
    outputs       indices into args of the arrays the kernel writes
    tolerance     (rtol, atol); (0, 0) means bit-exact
    reason        why the tolerance is what it is
    sizes         awkward problem sizes (not multiples of the block size) for tests
    fuses_fma     the PTX contains fused multiply-adds (NVVM contracts a*b+c); the twin
                  reproduces them exactly, but numba's CUDA simulator rounds twice
    inline_ptx    the kernel uses emu.intrinsics (inline PTX such as mma.sync), which
                  numba's CUDA simulator cannot run
    gpu           the emu preset the case runs on (one whose instructions it uses)
    """

    name: str
    kernel: Any
    make_inputs: Callable[[np.random.Generator, int], Args]
    launch_config: Callable[[Args], LaunchConfig]
    run_twin: Callable[[Args], tuple]
    outputs: tuple[int, ...]
    sizes: tuple[int, ...]
    tolerance: tuple[float, float] = (0.0, 0.0)
    reason: str = EXACT
    fuses_fma: bool = False
    inline_ptx: bool = False
    entry: Optional[str] = None
    gpu: str = "sm_80"

    @property
    def is_cuda_cpp(self) -> bool:
        return isinstance(self.kernel, str)


def twin_runner(twin: Callable, outputs: tuple[int, ...]) -> Callable[[Args], tuple]:
    """Wrap `twin` (same signature as the kernel, writes its outputs in place) so that it
    runs on copies of the output arrays and returns them."""

    def run_twin(args: Args) -> tuple:
        args = tuple(a.copy() if i in outputs else a for i, a in enumerate(args))
        twin(*args)
        return tuple(args[i] for i in outputs)

    return run_twin


def blocks(n: int, per_block: int) -> int:
    """Number of blocks of `per_block` threads needed to cover n items."""
    return (n + per_block - 1) // per_block


def uniform(rng: np.random.Generator, shape, dtype=np.float32, low=-1.0, high=1.0):
    """Random array (or scalar for shape=()) of `dtype` uniform in [low, high)."""
    return np.asarray(rng.uniform(low, high, shape)).astype(dtype)[()]


@njit(cache=True)
def fma_odd(a, b, c):
    """a*b + c as a float64 rounded to odd.

    For float32 or float16 inputs a*b is exact in float64; rounding the sum to odd and
    then to nearest in the narrow type gives the correctly rounded fused multiply-add
    (Boldo & Melquiond, "Emulation of FMA and correctly rounded sums", 2008).
    """
    p = np.float64(a) * np.float64(b)
    c = np.float64(c)
    s = p + c
    bv = s - p
    err = (p - (s - bv)) + (c - bv)          # TwoSum: p + c == s + err exactly
    if err != 0.0:
        mantissa = np.int64(math.frexp(abs(s))[0] * 9007199254740992.0)   # * 2**53
        if mantissa % 2 == 0:
            s = np.nextafter(s, math.inf if err > 0.0 else -math.inf)
    return s


@njit(cache=True)
def fma32(a, b, c):
    """float32 fused multiply-add with one rounding, like PTX fma.rn.f32."""
    return np.float32(fma_odd(a, b, c))
