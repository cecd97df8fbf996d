"""How fast the engine runs: against numba's CUDA simulator, in warp instructions per
second, and at start-up.

    python bench/engine_speed.py                  # everything; takes a few minutes
    python bench/engine_speed.py --quick          # skip CUDASIM and the first-ever compile
    python bench/engine_speed.py --n 512 --json speed.json

All figures are wall-clock times on the machine that runs this; see bench/README.md.
numba is imported only inside the functions: the CUDASIM measurement imports this
module in a subprocess that must set NUMBA_ENABLE_CUDASIM before numba.cuda loads.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SIM_N = 64                  # DESIGN.md: CUDASIM takes ~9 s here (~25,000 FMA/s)
GPU = "sm_80"

TARGET_SPEEDUP = 1000       # emu over CUDASIM, same kernel and N
TARGET_WARP_INSTRUCTIONS_PER_S = 1e7
TARGET_CACHED_START_S = 5.0
TARGET_FIRST_EVER_START_S = 60.0    # DESIGN.md: "well under a minute"

BENCH_DIR = Path(__file__).resolve().parent

# Run in a subprocess with NUMBA_ENABLE_CUDASIM=1; prints the seconds of one launch.
CUDASIM_CHILD = f"""
import sys
sys.path.insert(0, {str(BENCH_DIR)!r})
from engine_speed import cudasim_seconds
print(cudasim_seconds({{n}}))
"""

# Run in a fresh process: import emu, launch the smallest library kernel, print JSON.
# run.s cache counters tell whether numba loaded the engine from disk or compiled it.
START_UP_CHILD = """
import time
start, cpu_start = time.perf_counter(), time.process_time()
import json
import numpy as np
import emu
from emu.engine import control
from kernels.elementwise import vector_add
a = np.arange(1024, dtype=np.float32)
out = np.zeros_like(a)
emu.GPU("sm_80").launch(vector_add, grid=8, block=128, args=(a, a, out))
seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
assert (out == 2 * a).all()
stats = control.run.stats
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds,
                  "engine_cache_hits": sum(stats.cache_hits.values()),
                  "engine_cache_misses": sum(stats.cache_misses.values())}))
"""


def gemm_problem(n):
    """The lecture's 16x16 tiled SGEMM on square n x n inputs: n**3 multiply-adds."""
    from kernels.gemm import TPB, gemm_tiled

    rng = np.random.default_rng(n)
    A = rng.uniform(-1, 1, (n, n)).astype(np.float32)
    B = rng.uniform(-1, 1, (n, n)).astype(np.float32)
    C = np.zeros((n, n), np.float32)
    tiles = (n + TPB - 1) // TPB
    return gemm_tiled, (A, B, C), (tiles, tiles), (TPB, TPB)


def check_gemm(A, B, C):
    error = np.abs(C - A.astype(np.float64) @ B).max()
    assert error < 1e-3, f"wrong SGEMM result: max error {error:.2e}"


def cudasim_seconds(n):
    """One launch + sync under numba's CUDA simulator, after a one-block warm-up."""
    from numba import cuda

    for size in (16, n):
        kernel, (A, B, C), grid, block = gemm_problem(size)
        dA, dB, dC = (cuda.to_device(x) for x in (A, B, C))
        start = time.perf_counter()
        kernel[grid, block](dA, dB, dC)
        cuda.synchronize()
        seconds = time.perf_counter() - start
    check_gemm(A, B, dC.copy_to_host())
    return seconds


def measure_cudasim(n):
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    child = subprocess.run([sys.executable, "-c", CUDASIM_CHILD.format(n=n)], env=env,
                           capture_output=True, text=True)
    if child.returncode:
        sys.exit(f"CUDASIM run failed:\n{child.stderr}")
    seconds = float(child.stdout.split()[-1])
    return {"n": n, "seconds": seconds, "fma_per_second": n**3 / seconds}


def measure_emu(n, repeat):
    """Median of `repeat` launches after a warm-up launch (PTX compile, engine load).
    `seconds` is the whole launch; `engine_seconds` only the engine's loop."""
    import emu

    kernel, args, grid, block = gemm_problem(n)
    gpu = emu.GPU(GPU)
    gpu.launch(kernel, grid=grid, block=block, args=args)
    walls, engines = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        report = gpu.launch(kernel, grid=grid, block=block, args=args).report
        walls.append(time.perf_counter() - start)
        engines.append(report.emulation_seconds)
    check_gemm(*args)
    seconds, engine_seconds = statistics.median(walls), statistics.median(engines)
    return {"n": n, "seconds": seconds, "engine_seconds": engine_seconds,
            "warp_instructions": report.warp_instructions,
            "warp_instructions_per_second": report.warp_instructions / engine_seconds,
            "fma_per_second": n**3 / seconds}


def start_up(env):
    child = subprocess.run([sys.executable, "-c", START_UP_CHILD], env=env,
                           capture_output=True, text=True)
    if child.returncode:
        sys.exit(f"start-up run failed:\n{child.stderr}")
    return json.loads(child.stdout.splitlines()[-1])


def measure_cached_start(repeat):
    """Fresh processes with warm caches (one unmeasured run first fills them)."""
    start_up(os.environ)
    runs = [start_up(os.environ) for _ in range(repeat)]
    assert all(r["engine_cache_hits"] and not r["engine_cache_misses"] for r in runs), \
        f"the engine was compiled, not loaded from the cache: {runs}"
    return {key: statistics.median(r[key] for r in runs) for key in ("seconds", "cpu_seconds")}


def measure_first_ever_start():
    """A fresh process with empty caches. With NUMBA_CACHE_DIR set, numba's cache=True
    looks only there (not in the __pycache__ beside the module); EMU_CACHE_DIR does the
    same for emu's PTX cache."""
    with tempfile.TemporaryDirectory() as numba_dir, tempfile.TemporaryDirectory() as ptx_dir:
        env = dict(os.environ, NUMBA_CACHE_DIR=numba_dir, EMU_CACHE_DIR=ptx_dir)
        env.pop("NUMBA_CACHE_LOCATOR_CLASSES", None)
        run = start_up(env)
        assert run["engine_cache_misses"] and not run["engine_cache_hits"], \
            f"the engine was not compiled from scratch: {run}"
        assert any(Path(numba_dir).rglob("*.nbi")), "numba wrote no cache in NUMBA_CACHE_DIR"
    return {key: run[key] for key in ("seconds", "cpu_seconds")}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="skip the slow measurements: CUDASIM and the first-ever compile")
    parser.add_argument("--n", type=int, default=256, help="SGEMM size for throughput (default 256)")
    parser.add_argument("--repeat", type=int, default=3, help="launches / processes per median")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    opts = parser.parse_args()

    figures = {"gpu": GPU, "cpus": os.cpu_count(), "load_average_1min": os.getloadavg()[0]}
    print(f"emu engine speed: {GPU}, functional engine, {figures['cpus']} CPUs, "
          f"load average {figures['load_average_1min']:.1f} (wall-clock; noisy on a shared machine)\n")

    print(f"16x16 tiled SGEMM, N={SIM_N} ({SIM_N**3:,} FMAs)")
    if not opts.quick:
        figures["cudasim"] = sim = measure_cudasim(SIM_N)
        print(f"  numba CUDASIM        {sim['seconds']:10.3f} s   {sim['fma_per_second']:14,.0f} FMA/s")
    figures["emu_small"] = small = measure_emu(SIM_N, opts.repeat)
    print(f"  emu                  {small['seconds']:10.3f} s   {small['fma_per_second']:14,.0f} FMA/s"
          f"   (engine {small['engine_seconds']:.3f} s)")
    if not opts.quick:
        figures["speedup_over_cudasim"] = sim["seconds"] / small["seconds"]
        print(f"  emu speed-up         {figures['speedup_over_cudasim']:10,.0f} x")

    n = opts.n
    figures["emu_large"] = large = measure_emu(n, opts.repeat)
    print(f"\n16x16 tiled SGEMM, N={n} ({n**3:,} FMAs), emu")
    print(f"  launch               {large['seconds']:10.3f} s   (engine {large['engine_seconds']:.3f} s)")
    print(f"  warp instructions    {large['warp_instructions']:14,}   "
          f"{large['warp_instructions_per_second']:,.0f} /s (engine time)")
    print(f"  FMA/s                {large['fma_per_second']:14,.0f}")

    print("\nstart-up: fresh process, import emu + first launch of vector_add")
    figures["cached_start"] = cached = measure_cached_start(opts.repeat)
    print(f"  warm caches          {cached['seconds']:10.2f} s   (CPU {cached['cpu_seconds']:.2f} s)")
    if not opts.quick:
        figures["first_ever_start"] = first = measure_first_ever_start()
        print(f"  empty caches         {first['seconds']:10.2f} s   (CPU {first['cpu_seconds']:.2f} s; "
              "first-ever compile of the engine)")

    rows = [
        ("speed-up over CUDASIM", f">= {TARGET_SPEEDUP} x", figures.get("speedup_over_cudasim"),
         "{:,.0f} x", lambda v: v >= TARGET_SPEEDUP),
        (f"warp instructions/s, N={n}", f">= {TARGET_WARP_INSTRUCTIONS_PER_S:,.0f}",
         large["warp_instructions_per_second"], "{:,.0f}", lambda v: v >= TARGET_WARP_INSTRUCTIONS_PER_S),
        ("start-up, warm caches", f"<= {TARGET_CACHED_START_S:g} s", cached["seconds"], "{:.2f} s",
         lambda v: v <= TARGET_CACHED_START_S),
        ("start-up, empty caches", f"<= {TARGET_FIRST_EVER_START_S:g} s",
         figures.get("first_ever_start", {}).get("seconds"), "{:.1f} s", lambda v: v <= TARGET_FIRST_EVER_START_S),
    ]
    print(f"\n{'summary':32s}{'target':>14s}{'measured':>14s}  met")
    figures["targets"] = []
    for name, target, value, fmt, met in rows:
        ok = None if value is None else bool(met(value))
        shown = "not run" if value is None else fmt.format(value)
        print(f"  {name:30s}{target:>14s}{shown:>14s}  {'-' if ok is None else 'yes' if ok else 'NO'}")
        figures["targets"].append({"figure": name, "target": target, "measured": value, "met": ok})

    if opts.json:
        opts.json.write_text(json.dumps(figures, indent=2) + "\n")
        print(f"\nfigures written to {opts.json}")


if __name__ == "__main__":
    main()
