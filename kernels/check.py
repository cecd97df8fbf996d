"""Validate the kernel library without a GPU or the emulator's engine.

    python -m kernels.check          # PTX compile check, then CUDA-simulator check
    python -m kernels.check --ptx    # only compile every kernel to PTX (sm_80)
    python -m kernels.check --sim    # only run every kernel in numba's CUDA simulator

The simulator check runs in a subprocess with NUMBA_ENABLE_CUDASIM=1 (it must be set
before numba.cuda is imported) and compares each kernel with its twin. The simulator
rounds a*b+c twice where the PTX fuses it, so cases with fuses_fma get SIM_FMA_TOLERANCE.
"""

import os
import subprocess
import sys
import time
import warnings

import numpy as np

# (rtol, atol) for fused cases in the simulator, by output dtype. float16: results are
# below 2 in magnitude, so one float16 ulp is at most 2**-10.
SIM_FMA_TOLERANCE = {np.dtype(np.float32): (1e-5, 1e-6), np.dtype(np.float16): (0.0, 2**-10)}
SIM_ENV = "NUMBA_ENABLE_CUDASIM"


def check_ptx(cases) -> bool:
    """Compile each kernel for sm_80, with the argument types of its first size."""
    import numba
    from numba import cuda

    from emu.frontend import compile_cuda_source
    from emu.frontend.numba_kernel import offline_device

    ok = True
    rng = np.random.default_rng(0)
    for case in cases:
        args = case.make_inputs(rng, case.sizes[0])
        try:
            if case.is_cuda_cpp:
                ptx = compile_cuda_source(case.kernel, case.entry, (8, 0)).ptx
            else:
                types_ = tuple(numba.typeof(a) for a in args)
                with warnings.catch_warnings(), offline_device((8, 0)):
                    warnings.simplefilter("ignore")   # lineinfo can't find source for lambdas
                    ptx, _ = cuda.compile_ptx(case.kernel.py_func, types_, cc=(8, 0),
                                              lineinfo=True)
        except Exception as exc:  # report every failure, not just the first
            ok = False
            print(f"FAIL ptx  {case.name}: {type(exc).__name__}: {exc}")
            continue
        body = [line.split()[0] for line in ptx.splitlines()
                if line.startswith("\t") and line.rstrip().endswith(";")
                and not line.lstrip().startswith((".", "//"))]
        notes = [word for word, op in [("fma", "fma."), ("f64", ".f64"), ("shared", ".shared"),
                                       ("local", ".local"), ("atom", "atom."),
                                       ("bar", "bar."), ("shfl", "shfl.")]
                 if any(op in line for line in body)]
        print(f"ok   ptx  {case.name:20s} {len(body):4d} instructions  {' '.join(notes)}")
    return ok


def _patch_simulator_shuffle():
    """numba's simulator lacks shfl_down_sync: emulate it with two block barriers.
    Valid only when the whole block reaches each shuffle, as in sum_shuffle."""
    import threading

    from numba.cuda.simulator import kernelapi

    def shfl_down_sync(self, mask, value, delta):
        thread = threading.current_thread()
        slots = thread._manager.__dict__.setdefault("shfl_slots", {})
        tid = thread.thread_id
        slots[tid] = value
        thread.syncthreads()
        src = tid + delta if tid % 32 + delta < 32 else tid
        result = slots[src]
        thread.syncthreads()
        return result

    kernelapi.FakeCUDAModule.shfl_down_sync = shfl_down_sync


def check_sim(cases) -> bool:
    """Run each numba kernel (every size) in the CUDA simulator against its twin."""
    from numba import config
    assert config.ENABLE_CUDASIM, f"set {SIM_ENV}=1 before importing numba"
    _patch_simulator_shuffle()

    ok = True
    for case in cases:
        if case.is_cuda_cpp:
            print(f"skip sim  {case.name}: CUDA C++ source")
            continue
        if case.inline_ptx:
            print(f"skip sim  {case.name}: inline PTX (emu.intrinsics)")
            continue
        for size in case.sizes:
            args = case.make_inputs(np.random.default_rng(size), size)
            rtol, atol = case.tolerance
            if case.fuses_fma:
                sim_rtol, sim_atol = SIM_FMA_TOLERANCE[args[case.outputs[0]].dtype]
                rtol, atol = max(rtol, sim_rtol), max(atol, sim_atol)
            expected = case.run_twin(args)
            grid, block = case.launch_config(args)
            start = time.perf_counter()
            case.kernel[grid, block](*args)
            elapsed = time.perf_counter() - start
            exact, error = True, ""
            for index, want in zip(case.outputs, expected):
                exact &= np.array_equal(args[index], want)
                try:
                    np.testing.assert_allclose(args[index], want, rtol=rtol, atol=atol)
                except AssertionError as exc:
                    error = str(exc)
            ok &= not error
            result = ("bit-exact" if exact else
                      f"within rtol={rtol:g} atol={atol:g}" if not error else error)
            print(f"{'FAIL' if error else 'ok  '} sim  {case.name:20s} size {size:5d}  "
                  f"{result}  ({elapsed:.1f}s)")
    return ok


def main(argv) -> int:
    if "--sim-worker" in argv:
        from kernels import KERNELS
        return 0 if check_sim(KERNELS) else 1
    ok = True
    if "--sim" not in argv:
        from kernels import KERNELS
        ok &= check_ptx(KERNELS)
    if "--ptx" not in argv:
        env = dict(os.environ, **{SIM_ENV: "1"})
        worker = subprocess.run([sys.executable, "-m", "kernels.check", "--sim-worker"],
                                env=env)
        ok &= worker.returncode == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
