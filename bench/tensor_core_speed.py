"""How long a 256 x 256 x 256 tensor-core GEMM takes: the numerics model alone, and kernels on the engine.

    python bench/tensor_core_speed.py              # N = 256
    python bench/tensor_core_speed.py --n 512

Two figures per case, wall-clock seconds on this machine (see bench/README.md):

- ``emu.numerics.mma(A, B, C, arch, input)`` on N x N matrices: the bit-exact
  model of the architecture's tensor cores, vectorised over the whole GEMM;
- the GEMM kernels of ``kernels/tensor_core.py`` (one warp per tile, chained
  ``mma.sync``) launched on the engine, after one small warm-up launch; every
  result is checked bit for bit against the model's chain of instructions.
"""
import argparse
import time

import ml_dtypes
import numpy as np

MODEL_CASES = (("sm_70", "fp16"), ("sm_80", "fp16"), ("sm_80", "bf16"), ("sm_80", "tf32"),
               ("sm_90", "fp16"), ("sm_90", "bf16"), ("sm_90", "tf32"), ("sm_90", "e4m3"))
KERNEL_CASES = ("mma_gemm_f16", "mma_gemm_bf16", "mma_gemm_tf32", "mma_gemm_f16_f16", "mma_gemm_f16_volta")
DTYPES = {"fp16": np.float16, "bf16": ml_dtypes.bfloat16, "tf32": np.float32, "e4m3": ml_dtypes.float8_e4m3fn}


def operand(rng, n: int, input: str) -> np.ndarray:
    x = rng.standard_normal((n, n)).astype(np.float32).astype(DTYPES[input])
    if input == "tf32":                                    # values tf32 holds: 10 fraction bits
        x = (x.view(np.uint32) & np.uint32(0xFFFFE000)).view(np.float32)
    return x


def time_model(n: int) -> None:
    from emu.numerics import mma
    rng = np.random.default_rng(0)
    print(f"emu.numerics.mma, {n}x{n}x{n}, fp32 accumulate")
    for arch, input in MODEL_CASES:
        A, B, C = operand(rng, n, input), operand(rng, n, input), np.zeros((n, n), np.float32)
        start = time.perf_counter()
        mma(A, B, C, arch=arch, input=input)
        print(f"  {arch} {input:5s} {time.perf_counter() - start:7.2f} s")


def time_kernels(n: int) -> None:
    import emu
    from kernels import tensor_core as tc
    rng = np.random.default_rng(1)
    print(f"tensor-core GEMM kernels on the engine, {n}x{n}x{n}")
    for name in KERNEL_CASES:
        gemm = tc.GEMMS[name]
        A, B, C = tc.make_inputs(name, rng, n)
        A, B, C = A[:, :n].copy(), B[:n, :n].copy(), C[:, :n].copy()
        gpu = emu.GPU(gemm.gpu)
        small = tuple(x[:16, :16].copy() for x in (A, B, C))
        gpu.launch(gemm.kernel, *tc.launch_config(name, small), small)          # compiles the kernel
        want = tc.twin_d(name, A, B, C, arch=gemm.gpu)
        grid, block = tc.launch_config(name, (A, B, C))
        start = time.perf_counter()
        run = gpu.launch(gemm.kernel, grid, block, (A, B, C))
        seconds = time.perf_counter() - start
        exact = np.array_equal(C.view(np.uint8), want.view(np.uint8))
        mmas = run.report.counts_by_class.get("tensor", 0)
        print(f"  {name:20s} {gemm.gpu}  {seconds:7.2f} s   {mmas:,} mma warp instructions   "
              f"bit-exact vs model: {'yes' if exact else 'NO'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=256, help="matrix size (default 256)")
    n = parser.parse_args().n
    time_model(n)
    time_kernels(n)


if __name__ == "__main__":
    main()
