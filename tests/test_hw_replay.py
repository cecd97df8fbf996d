"""Recordings of real GPUs (tests/data/hw_*.npz, from ``python -m emu.hw.capture``) replayed through emu bit for bit.

Without a recording the replay test is skipped; the capture's file format, corpus
and comparison are checked here by "capturing" from emu itself.
"""
from pathlib import Path

import numpy as np
import pytest

import emu
from emu.hw import capture, corpus, replay

RECORDINGS = sorted((Path(__file__).parent / "data").glob("hw_*.npz"))
NO_RECORDING = ("no tests/data/hw_*.npz yet: record one on a machine with an NVIDIA GPU and numba-cuda "
                "with `python -m emu.hw.capture`")


@pytest.mark.parametrize("path", [pytest.param(p, id=p.stem) for p in RECORDINGS]
                         or [pytest.param(None, marks=pytest.mark.skip(reason=NO_RECORDING), id="none")])
def test_recorded_gpu_replays_bit_for_bit(path):
    recording = capture.load(path)
    mismatches = replay.replay(recording)
    gpu = f"{recording.meta['gpu']} (sm_{''.join(map(str, recording.cc))}, driver {recording.meta['driver']})"
    assert not mismatches, f"{gpu}:\n" + "\n".join(map(str, mismatches))


@pytest.fixture(scope="module")
def emu_recording(tmp_path_factory):
    """A small corpus "captured" on emu's sm_80 and written as a recording file."""
    inputs = corpus.build_corpus(seed=11, cc=(8, 0), scalars=128, mmas=6)
    gpu = emu.GPU("sm_80")
    outputs = corpus.run_corpus(inputs, lambda kernel, grid, block, args: gpu.launch(kernel, grid, block, args))
    meta = {"gpu": "emu A100 (self-test)", "compute_capability": "8.0", "driver": "none",
            "driver_cuda_version": "0.0"}
    path = tmp_path_factory.mktemp("hw") / capture.file_name(meta["gpu"])
    capture.save(path, meta, inputs, outputs)
    return path, meta, inputs, outputs


def test_recording_round_trips_and_replays(emu_recording):
    path, meta, inputs, outputs = emu_recording
    assert path.name == "hw_emu_a100_self_test.npz"
    recording = capture.load(path)
    assert recording.meta == {**meta, "format": capture.FORMAT_VERSION}
    assert recording.cc == (8, 0)
    assert recording.arrays.keys() == inputs.keys() | outputs.keys()
    for key, array in {**inputs, **outputs}.items():
        assert recording.arrays[key].dtype == array.dtype and np.array_equal(recording.arrays[key], array), key
    assert replay.replay(recording) == []


def test_replay_finds_and_locates_a_wrong_bit(emu_recording):
    path, _, _, _ = emu_recording
    recording = capture.load(path)
    recording.arrays["scalar/cvt_rn_f16_f32/out"][5] ^= 1
    recording.arrays["mma/mma_m16n8k16_f32_bf16/d"][2, 9, 3] ^= 1 << 31
    found = {m.key: m for m in replay.replay(recording)}
    assert found.keys() == {"scalar/cvt_rn_f16_f32/out", "mma/mma_m16n8k16_f32_bf16/d"}
    scalar = found["scalar/cvt_rn_f16_f32/out"]
    assert scalar.count == 1 and scalar.examples[0].startswith("[5]:")
    assert found["mma/mma_m16n8k16_f32_bf16/d"].examples[0].startswith("[2, 9, 3]:")


def test_recorded_case_unknown_to_emu_is_reported(emu_recording):
    recording = capture.load(emu_recording[0])
    recording.arrays["scalar/cvt_rs_f16_f32/out"] = np.zeros(4, np.uint16)
    assert [m.key for m in replay.replay(recording)] == ["scalar/cvt_rs_f16_f32/out"]


def test_corpus_is_seeded_and_follows_the_compute_capability():
    first = corpus.build_corpus(seed=3, cc=(8, 0), scalars=64, mmas=6)
    again = corpus.build_corpus(seed=3, cc=(8, 0), scalars=64, mmas=6)
    other = corpus.build_corpus(seed=4, cc=(8, 0), scalars=64, mmas=6)
    assert first.keys() == again.keys() and all(np.array_equal(first[k], again[k]) for k in first)
    assert any(not np.array_equal(first[k], other[k]) for k in first)
    hopper = corpus.build_corpus(seed=3, cc=(9, 0), scalars=64, mmas=6)
    turing = corpus.build_corpus(seed=3, cc=(7, 5), scalars=64, mmas=6)
    assert "scalar/add_rn_bf16/x0" in hopper and "scalar/add_rn_bf16/x0" not in first
    assert "mma/mma_m16n8k32_f32_e4m3/a" in hopper and "mma/mma_m16n8k32_f32_e4m3/a" not in first
    volta = corpus.build_corpus(seed=3, cc=(7, 0), scalars=64, mmas=6)     # m8n8k4: Volta's tensor cores only
    assert "mma/mma_m8n8k4_col_row_f16_f16/a" in volta and "mma/mma_m16n8k16_f32_f16/a" not in volta
    assert not any("m8n8k4" in key for key in {**first, **hopper, **turing})
    assert volta["mma/mma_m8n8k4_f32_f16/a"].shape == (6, 4 * 8, 4)          # four 8x4 A per warp, stacked
    assert {k.split("/")[1] for k in turing if k.startswith("mma/")} == {"mma_m16n8k8_f32_f16", "mma_m16n8k8_f16_f16"}


def test_corpus_reaches_the_hard_cases():
    inputs = corpus.build_corpus(seed=0, cc=(9, 0), scalars=512, mmas=12)
    x = inputs["scalar/cvt_rn_f16_f32/x0"].view(np.float32)
    with np.errstate(all="ignore"):
        half = x.astype(np.float16)
        ties = x.astype(np.float64) == (half.astype(np.float64) + np.nextafter(half, np.inf).astype(np.float64)) / 2
    assert np.isnan(x).any() and np.isinf(x).any() and (x == 0).any()
    assert ((np.abs(x) < 2.0 ** -14) & (x != 0)).sum() > 10               # fp16 subnormal results
    assert (np.abs(x) > 65520).sum() > 10                                 # fp16 overflow
    assert ties.sum() > 10                                                # exactly halfway between two fp16
    a = inputs["mma/mma_m16n8k16_f32_f16/a"].view(np.float16)
    assert np.isinf(a).any() and np.isnan(a).any()
    assert ((a != 0) & (np.abs(a) < 2.0 ** -14)).any()


def test_replay_gpu_follows_the_compute_capability():
    assert replay.emulated_gpu((8, 6)).preset.cc == (8, 6)
    assert replay.emulated_gpu((8, 6)).preset.sm_count == emu.GPU("sm_80").preset.sm_count
    assert replay.emulated_gpu((9, 0)).preset == emu.GPU("sm_90").preset
    with pytest.raises(ValueError, match="no emu preset"):
        replay.emulated_gpu((6, 1))


def test_capture_without_a_gpu_says_so_and_writes_nothing(tmp_path, capsys):
    assert capture.main(["--out", str(tmp_path / "out")]) == 1
    assert "no CUDA GPU" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
