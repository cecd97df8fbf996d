"""GPU presets: names and aliases, the datasheet peaks they imply, TOML overrides, and the T4 preset launching."""
import numpy as np
import pytest
from numba import cuda

import emu
from emu.arch.presets import PRESETS, get_preset, load_preset


def test_presets_are_found_by_key_and_alias_in_any_case():
    assert get_preset("sm_90") is get_preset("H100") is PRESETS["sm_90"]
    assert get_preset("t4") is PRESETS["sm_75"] and get_preset("T4").sm == "sm_75"
    assert get_preset("h200").sm == "sm_90" and get_preset("h200") is not get_preset("h100")
    with pytest.raises(ValueError, match="unknown GPU preset 'p100'.*sm_75.*h200.*t4"):
        get_preset("p100")


# datasheet peaks: FP32 and dense FP16 tensor TFLOP/s, DRAM GB/s. NVIDIA computes H100's and H200's
# tensor peak (989) at 1830 MHz and the FP32 peak (67) at the 1980 MHz boost the presets run at.
DATASHEET = {"sm_70": (15.7, 125, 900), "sm_75": (8.1, 65, 320), "sm_80": (19.5, 312, 1555),
             "sm_90": (67, 989.4 * 1980 / 1830, 3350), "h200": (67, 989.4 * 1980 / 1830, 4800)}


@pytest.mark.parametrize("key", PRESETS)
def test_presets_give_the_datasheet_peaks(key):
    preset = PRESETS[key]
    fp32, tensor, dram = DATASHEET[key]
    assert preset.fp32_flops_per_s() / 1e12 == pytest.approx(fp32, rel=0.01)
    assert preset.tensor_flops_per_s("f16") / 1e12 == pytest.approx(tensor, rel=0.01)
    assert preset.memory.dram_bytes_per_s / 1e9 == pytest.approx(dram, rel=0.001)


def test_t4_limits_and_units():
    t4 = get_preset("t4")
    assert (t4.max_threads_per_sm, t4.limits.max_warps_per_sm, t4.limits.max_ctas_per_sm) == (1024, 32, 16)
    assert t4.fp64_flops_per_s() == pytest.approx(t4.fp32_flops_per_s() / 32)     # 2 FP64 units per SM
    assert t4.pipes.interval("fp64") == 64 and t4.tensor.rate("s8") == 2 * t4.tensor.rate("f16")


def write(tmp_path, text):
    path = tmp_path / "gpu.toml"
    path.write_text(text)
    return path


def test_a_toml_file_overrides_a_base_preset(tmp_path):
    path = write(tmp_path, """
base = "a100"
name = "A100 at 1500 MHz"
clock_mhz = 1500
[memory]
dram_bytes_per_s = 2.0e12
[latency]
fma_cycles = 5
[tensor.fma_per_cycle]
f16 = 2048
fp8 = 4096
""")
    preset, a100 = load_preset(path), get_preset("a100")
    assert (preset.name, preset.clock_mhz, preset.memory.dram_bytes_per_s) == ("A100 at 1500 MHz", 1500.0, 2.0e12)
    assert preset.latency.fma_cycles == 5 and preset.latency.alu_cycles == a100.latency.alu_cycles
    assert preset.memory.l2_bytes == a100.memory.l2_bytes
    assert (preset.tensor.rate("f16"), preset.tensor.rate("tf32"), preset.tensor.rate("fp8")) == (2048, 512, 4096)
    gpu = emu.GPU.from_file(path)
    assert gpu.preset == preset and a100.clock_mhz == 1410.0


@pytest.mark.parametrize("text, message", [
    ('base = "a100"\nclock = 1500', r"unknown key 'clock'; allowed: name, sm, cc, sm_count, clock_mhz"),
    ('base = "a100"\n[memory]\ndram_gbps = 1', r"unknown key 'memory.dram_gbps'; allowed: l1_ways, .*dram_bytes_per_s"),
    ('base = "a100"\n[latency]\nfma_cycles = 4.5', r"latency.fma_cycles = 4.5: expected int"),
    ('base = "a100"\nmemory = 3', r"memory is a group of numbers: write it as a table \[memory\]"),
    ('base = "a100"\n[latency]\nfma_cycles = 0', r"every latency must be a positive number"),
    ('clock_mhz = 1500', r'needs base = "<preset>", one of sm_70'),
    ('base = "p100"', r"unknown GPU preset 'p100'"),
])
def test_a_bad_toml_file_is_refused_with_the_key_named(tmp_path, text, message):
    with pytest.raises(ValueError, match=message):
        load_preset(write(tmp_path, text))


@cuda.jit
def add_one(x):
    i = cuda.grid(1)
    if i < x.size:
        x[i] += 1.0


@pytest.mark.parametrize("name", ["t4", "h200"])
def test_the_new_presets_launch_a_kernel(name):
    x = np.arange(100, dtype=np.float32)
    run = emu.GPU(name).launch(add_one, grid=2, block=64, args=(x,))
    assert np.array_equal(x, np.arange(100, dtype=np.float32) + 1) and run.report.gpu
