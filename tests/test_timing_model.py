"""The cycle model's mechanics: accounting that must add up, modes that must agree, CTAs that must overlap.

The physics (latencies, peaks, bandwidths against published figures) is in test_timing_physics.py.
"""
import dataclasses

import numpy as np
import pytest
from numba import cuda, float32

import emu
from emu.arch.presets import get_preset
from emu.errors import PtxasError
from kernels.elementwise import vector_add
from kernels.gemm import TPB, gemm_tiled


@cuda.jit
def spin_until_flag(flag, out):
    """Block 0 spins until block 1 sets the flag: it finishes only if the two CTAs run at the same time."""
    if cuda.blockIdx.x == 1:
        cuda.atomic.exch(flag, 0, 1)
    else:
        while cuda.atomic.add(flag, 0, 0) == 0:
            pass
    out[cuda.blockIdx.x] = 1


@cuda.jit
def shared_broadcast_and_conflict(out, stride):
    """Every lane reads word 0 (a broadcast), then word lane * stride (a ``stride``-way conflict for
    power-of-two strides up to 32)."""
    s = cuda.shared.array(1024, float32)
    lane = cuda.threadIdx.x
    for i in range(lane, 1024, 32):
        s[i] = i
    cuda.syncthreads()
    out[lane] = s[0] + s[(lane * stride) % 1024]


def _tiled(n=64, gpu="a100", **options):
    rng = np.random.default_rng(0)
    a, b = rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)
    c = np.zeros((n, n), dtype=np.float32)
    return emu.GPU(gpu).launch(gemm_tiled, (n // TPB, n // TPB), (TPB, TPB), (a, b, c), **options), c, a @ b


def test_ctas_on_different_sms_run_at_the_same_time():
    flag, out = np.zeros(1, dtype=np.int32), np.zeros(2, dtype=np.int32)
    emu.GPU("a100").launch(spin_until_flag, 2, 1, (flag, out), budget=1_000_000)
    assert out.tolist() == [1, 1]


def test_every_resident_warp_cycle_has_one_stall_reason():
    """Stall reasons partition the warp cycles: 'selected' is one per instruction issued, and the
    total is the warps' residency, which cannot exceed (warps resident) × cycles on each SM."""
    run, c, want = _tiled()
    r = run.report
    np.testing.assert_allclose(c, want, rtol=1e-5)
    assert r.stalls["selected"] == r.warp_instructions
    assert r.stalls["barrier"] > 0 and r.stalls["long_scoreboard"] > 0 and r.stalls["short_scoreboard"] > 0
    assert sum(r.stalls.values()) <= r.occupancy_theoretical * 64 * r.cycles * 16   # 16 CTAs on 16 SMs
    assert 0 < r.occupancy_achieved <= r.occupancy_theoretical
    assert sum(cycles for _, cycles, _ in r.line_cycles) <= sum(r.stalls.values())


def test_timing_is_deterministic_and_both_schedulers_run():
    first, _, _ = _tiled()
    again, _, _ = _tiled()
    assert first.report.cycles == again.report.cycles and first.report.stalls == again.report.stalls
    lrr = dataclasses.replace(get_preset("a100"), pipes=dataclasses.replace(get_preset("a100").pipes,
                                                                               scheduler="lrr"))
    run, c, want = _tiled(gpu=lrr)
    np.testing.assert_allclose(c, want, rtol=1e-5)
    assert run.report.cycles > 0


def test_functional_mode_has_no_cycles():
    run, c, want = _tiled(mode="functional")
    np.testing.assert_allclose(c, want, rtol=1e-5)
    assert run.report.cycles is None and run.report.stalls is None


def test_shared_broadcast_is_free_and_conflicts_replay():
    out = np.zeros(32, dtype=np.float32)
    per_request = {}
    for stride in (1, 2, 32):
        report = emu.GPU("a100").launch(shared_broadcast_and_conflict, 1, 32, (out, stride)).report
        per_request[stride] = report
    # 32 stores of conflict-free rows, then the broadcast (1 wavefront) and the strided read
    conflicts = {stride: r.shared_bank_conflicts for stride, r in per_request.items()}
    assert conflicts[1] == 0
    assert conflicts[2] == 1               # two distinct words in each bank used: one replay
    assert conflicts[32] == 31             # all 32 lanes in bank 0: 31 replays
    assert per_request[32].cycles > per_request[1].cycles


def test_sampled_mode_estimates_a_big_grid_and_leaves_the_arrays():
    n = 1 << 22
    a = np.arange(n, dtype=np.float32)
    out = np.zeros_like(a)
    gpu = emu.GPU("v100")
    sampled = gpu.launch(vector_add, n // 256, 256, (a, a, out), mode="sampled").report
    assert not out.any()                                   # only a sample ran: nothing copied back
    assert sampled.sampled["ctas"] < sampled.sampled["ctas_total"] == n // 256
    full = gpu.launch(vector_add, n // 256, 256, (a, a, out)).report
    assert (out == 2 * a).all()
    assert abs(sampled.cycles - full.cycles) <= 0.05 * full.cycles
    assert abs(sampled.dram_bytes - full.dram_bytes) <= 0.05 * full.dram_bytes


def test_sampled_mode_runs_a_small_grid_in_full():
    run, c, want = _tiled(mode="sampled")
    np.testing.assert_allclose(c, want, rtol=1e-5)
    assert run.report.sampled is None and run.report.cycles == _tiled()[0].report.cycles


def test_a_kernel_ptxas_refuses_names_functional_mode():
    bad = """
.version 7.0
.target sm_80
.address_size 64
.visible .entry k(.param .u64 p)
{
    .reg .b16 %h<2>;
    .reg .f32 %f<2>;
    mov.f32 %f1, 0f3F800000;
    cvt.rn.satfinite.f16.f32 %h1, %f1;
    ret;
}
"""
    out = np.zeros(1, dtype=np.float32)
    with pytest.raises(PtxasError, match="mode='functional'"):
        emu.GPU("a100").launch(emu.ptx_kernel(bad, "k"), 1, 1, (out,))
    emu.GPU("a100").launch(emu.ptx_kernel(bad, "k"), 1, 1, (out,), mode="functional")


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="timing, functional, sampled"):
        _tiled(mode="fast")
