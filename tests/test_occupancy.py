"""Theoretical occupancy against the CUDA Occupancy Calculator's rules (cuda_occupancy.h).

Each expected row is worked by hand from those rules, per architecture:
warps per CTA = ceil(threads / 32); registers per warp = ceil(regs × 32 / 256) × 256,
warps per sub-partition = (registers per SM / 4) // registers per warp; shared per CTA =
ceil((bytes + reserved) / unit) × unit with unit 256 and no reserve on 7.x, unit 128 and
1 KB reserved on 8.x/9.x; CTAs = min(warp slots // warps per CTA, register limit,
carve-out // shared per CTA, CTA slots). Per SM: sm_70 64 warps, 32 CTAs, 96 KB;
sm_75 32 warps, 16 CTAs, 64 KB; sm_80 64 warps, 32 CTAs, 164 KB; sm_90 64, 32, 228 KB.
"""
import pytest
from hypothesis import given, settings, strategies as st

from emu.arch.occupancy import occupancy, occupancy_for_launch
from emu.arch.presets import PRESETS, get_preset
from emu.errors import LaunchError

# (preset, registers per thread, shared bytes per block, block threads) -> (CTAs per SM, warps per SM, limiters)
CASES = [
    # sm_70: V100
    ("sm_70", 32, 0, 256, 8, 64, ("warps", "registers")),      # 1024 regs/warp: 16 warps per sub-partition
    ("sm_70", 64, 0, 256, 4, 32, ("registers",)),              # 2048 regs/warp: 8 per sub-partition
    ("sm_70", 40, 0, 96, 16, 48, ("registers",)),              # 1280/warp: 12 per sub-partition (not 51 per SM)
    ("sm_70", 32, 48 * 1024, 256, 2, 16, ("shared",)),         # 96 KB // 48 KB
    ("sm_70", 16, 0, 32, 32, 32, ("ctas",)),                   # one-warp CTAs: 32 CTA slots bind
    ("sm_70", 0, 0, 1024, 2, 64, ("warps",)),                  # no registers, no shared: no limit from them
    ("sm_70", 32, 100, 64, 32, 64, ("warps", "registers", "ctas")),   # 100 B -> 256 B: 384 CTAs' worth
    ("sm_70", 255, 0, 1024, 0, 0, ("registers",)),            # 8192 x 32 > 64K
    ("sm_70", 32, 96 * 1024 + 1, 32, 0, 0, ("shared",)),       # over the 96 KB opt-in maximum
    # sm_75: T4
    ("sm_75", 32, 0, 256, 4, 32, ("warps",)),                  # 32 warp slots
    ("sm_75", 64, 0, 256, 4, 32, ("warps", "registers")),
    ("sm_75", 96, 0, 256, 2, 16, ("registers",)),              # 3072/warp: 5 per sub-partition, 20 // 8
    ("sm_75", 32, 0, 32, 16, 16, ("ctas",)),                   # 16 CTA slots on Turing
    ("sm_75", 32, 20000, 128, 3, 12, ("shared",)),             # 20000 -> 20224 (256 B units): 65536 // 20224
    ("sm_75", 0, 64 * 1024, 32, 1, 1, ("shared",)),            # the whole 64 KB
    ("sm_75", 64, 0, 1024, 1, 32, ("warps", "registers")),     # exactly the 64K registers of a block
    ("sm_75", 65, 0, 1024, 0, 0, ("registers",)),              # 2080 -> 2304 per warp: 73728 > 64K
    ("sm_75", 0, 64 * 1024 + 1, 32, 0, 0, ("shared",)),
    # sm_80: A100
    ("sm_80", 32, 0, 256, 8, 64, ("warps", "registers")),      # the reserved 1 KB alone allows 164 CTAs
    ("sm_80", 0, 0, 32, 32, 32, ("ctas",)),
    ("sm_80", 32, 48 * 1024, 256, 3, 24, ("shared",)),         # 49152 + 1024 = 50176: 167936 // 50176
    ("sm_80", 32, 41 * 1024, 128, 3, 12, ("shared",)),         # 4 without the reserved 1 KB, 3 with it
    ("sm_80", 32, 54912, 128, 3, 12, ("shared",)),             # +1 KB = 55936 = 437 x 128 (256 B units: 2)
    ("sm_80", 255, 0, 256, 1, 8, ("registers",)),              # 8192/warp: 2 warps per sub-partition
    ("sm_80", 255, 0, 288, 0, 0, ("registers",)),              # 9 warps x 8192 > 64K
    ("sm_80", 256, 0, 32, 0, 0, ("registers",)),               # over 255 registers per thread
    ("sm_80", 0, 163 * 1024, 32, 1, 1, ("shared",)),           # 163 KB opt-in + 1 KB = the whole carve-out
    ("sm_80", 0, 163 * 1024 + 1, 32, 0, 0, ("shared",)),
    # sm_90: H100
    ("sm_90", 32, 0, 256, 8, 64, ("warps", "registers")),
    ("sm_90", 128, 0, 128, 4, 16, ("registers",)),             # 4096/warp: 4 per sub-partition
    ("sm_90", 72, 0, 256, 3, 24, ("registers",)),              # 2304/warp: 7 per sub-partition, 28 // 8
    ("sm_90", 40, 0, 96, 16, 48, ("registers",)),
    ("sm_90", 32, 100 * 1024, 256, 2, 16, ("shared",)),        # 103424 per CTA: 233472 // 103424
    ("sm_90", 16, 0, 64, 32, 64, ("warps", "ctas")),
    ("sm_90", 0, 227 * 1024, 32, 1, 1, ("shared",)),
    ("sm_90", 0, 227 * 1024 + 1, 32, 0, 0, ("shared",)),
    ("sm_90", 32, 0, 1025, 0, 0, ("warps",)),                  # over 1024 threads per block
]


@pytest.mark.parametrize("sm, registers, shared, threads, ctas, warps, limiters", CASES,
                         ids=[f"{c[0]}-r{c[1]}-s{c[2]}-t{c[3]}" for c in CASES])
def test_occupancy_follows_the_occupancy_calculator(sm, registers, shared, threads, ctas, warps, limiters):
    preset = get_preset(sm)
    occ = occupancy(preset, threads, registers, shared)
    assert (occ.ctas_per_sm, occ.warps_per_sm) == (ctas, warps)
    assert occ.theoretical == warps / preset.limits.max_warps_per_sm
    if ctas:
        assert occ.limiters == limiters and occ.limiter == limiters[0] and occ.reason == ""
    else:
        assert getattr(occ, "ctas_by_" + limiters[0]) == 0 and occ.reason


def test_each_limit_is_reported():
    occ = occupancy(get_preset("a100"), 128, 40, 41 * 1024)
    assert (occ.ctas_by_warps, occ.ctas_by_registers, occ.ctas_by_shared, occ.ctas_by_ctas) == (16, 12, 3, 32)
    assert (occ.registers_per_cta, occ.shared_per_cta) == (4 * 1280, 41 * 1024 + 1024)
    none = occupancy(get_preset("v100"), 32, 0, 0)
    assert none.ctas_by_registers is None and none.ctas_by_shared is None and none.limiter == "ctas"


def test_a_launch_that_cannot_fit_is_refused_with_its_reason():
    t4 = get_preset("t4")
    with pytest.raises(LaunchError, match=r"65 registers per thread need 73728 registers per block"):
        occupancy_for_launch(t4, 1024, 65, 0, kernel="kernel sgemm")
    with pytest.raises(LaunchError, match=r"65537 bytes of shared memory per block exceed sm_75's 65536"):
        occupancy_for_launch(t4, 32, 0, 65537)
    with pytest.raises(LaunchError, match=r"300 registers per thread exceed sm_80's 255"):
        occupancy_for_launch(get_preset("a100"), 32, 300, 0)
    assert occupancy_for_launch(t4, 256, 32, 0).ctas_per_sm == 4


@settings(max_examples=200, deadline=None)
@given(key=st.sampled_from(sorted(PRESETS)), threads=st.integers(1, 1024),
       registers=st.integers(0, 254), shared=st.integers(0, 240 * 1024),
       more_registers=st.integers(0, 64), more_shared=st.integers(0, 64 * 1024))
def test_occupancy_never_grows_with_more_registers_or_shared_memory(key, threads, registers, shared,
                                                                     more_registers, more_shared):
    preset = PRESETS[key]
    base = occupancy(preset, threads, registers, shared).ctas_per_sm
    assert occupancy(preset, threads, registers + more_registers, shared).ctas_per_sm <= base
    assert occupancy(preset, threads, registers, shared + more_shared).ctas_per_sm <= base
    assert 0 <= base <= preset.limits.max_ctas_per_sm
