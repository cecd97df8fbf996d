"""Timing files (``emu.hw.timing``), their comparison (``emu.hw.compare``) and the microbenchmark kernels.

Measured files (tests/data/hw_timing_*.json) are checked for format and
provenance; until one is recorded on a GPU that test is skipped. The format
is checked on emu's stand-in record, and the comparison on a synthetic
"measured" record written to tmp_path, never under tests/data.
"""
import copy
import json
from pathlib import Path

import numpy as np
import pytest

import emu
from emu.hw import compare, timing
from kernels import microbench as mb

MEASURED_FILES = sorted((Path(__file__).parent / "data").glob("hw_timing_*.json"))
NO_MEASUREMENT = ("no tests/data/hw_timing_*.json yet: record one on a machine with an NVIDIA GPU with "
                  "`python -m emu.hw.timing`")
QUICK_KERNELS = {"vector_add", "gemm_tiled"}
QUICK_BENCHMARKS = {"pointer_chase_l1", "pointer_chase_shared", "ffma_latency", "stream_triad", "mma_latency"}


@pytest.mark.parametrize("path", [pytest.param(p, id=p.stem) for p in MEASURED_FILES]
                         or [pytest.param(None, marks=pytest.mark.skip(reason=NO_MEASUREMENT), id="none")])
def test_measured_file_has_format_and_provenance(path):
    record = timing.load(path)
    provenance = record["provenance"]
    assert provenance["source"] == timing.MEASURED
    assert path.name == timing.file_name(provenance["gpu"])
    assert record["kernels"] and record["microbenchmarks"]
    assert all(entry["time_s"] > 0 for entry in record["kernels"] + record["microbenchmarks"])


@pytest.fixture(scope="module")
def stand_in():
    """emu's sm_80 standing in for a GPU, on a quick subset."""
    return timing.record(timing.Emulated("a100"), "tests/test_hw_timing.py", quick=True,
                         kernels=QUICK_KERNELS, benchmarks=QUICK_BENCHMARKS)


def test_stand_in_record_follows_the_format(stand_in, tmp_path):
    timing.validate(stand_in)
    provenance = stand_in["provenance"]
    assert provenance["source"] == timing.EMULATED and provenance["emu_preset"] == "sm_80"
    assert provenance["driver"] is None and provenance["sm_clock_mhz_under_load"] is None
    assert {e["kernel"] for e in stand_in["kernels"]} == QUICK_KERNELS
    assert {e["name"] for e in stand_in["microbenchmarks"]} == QUICK_BENCHMARKS
    assert all(e["warp_instructions"] > 0 for e in stand_in["kernels"] + stand_in["microbenchmarks"])
    path = tmp_path / "emu_timing_sm_80.json"
    timing.save(stand_in, path)
    assert timing.load(path) == json.loads(json.dumps(stand_in))


def test_stand_in_times_are_the_cycle_models(stand_in):
    """emu's stand-in records the cycle model's predicted time of every kernel, marked as emulated."""
    assert stand_in["provenance"]["source"] == timing.EMULATED
    assert all(e["time_s"] > 0 for e in stand_in["kernels"])


def test_an_emulated_record_is_never_filed_as_a_measurement(stand_in, tmp_path):
    with pytest.raises(timing.TimingFileError, match="hw_timing_"):
        timing.save(stand_in, tmp_path / "hw_timing_a100.json")
    (tmp_path / "hw_timing_a100.json").write_text(json.dumps(stand_in))
    with pytest.raises(timing.TimingFileError, match="named as a measurement"):
        timing.load(tmp_path / "hw_timing_a100.json")


@pytest.mark.parametrize("field", ["gpu", "compute_capability", "sm_count", "sm_clock_mhz", "memory_clock_mhz",
                                   "driver", "cuda_driver_version", "cuda_toolkit_version", "numba", "numba_cuda",
                                   "date", "command"])
def test_validate_rejects_missing_provenance(stand_in, field):
    record = copy.deepcopy(stand_in)
    del record["provenance"][field]
    with pytest.raises(timing.TimingFileError, match=f"missing field '{field}'"):
        timing.validate(record)


def test_validate_rejects_a_measurement_without_its_gpu_details(stand_in):
    record = copy.deepcopy(stand_in)
    record["provenance"]["source"] = timing.MEASURED          # with the stand-in's null driver and clock
    record["kernels"][0]["time_s"] = None
    with pytest.raises(timing.TimingFileError) as error:
        timing.validate(record)
    for name in ("'driver' is null", "'memory_clock_mhz' is null", "kernels[0]: 'time_s' is null"):
        assert name in str(error.value)


def test_validate_rejects_wrong_types_and_unknown_fields(stand_in):
    record = copy.deepcopy(stand_in)
    record["provenance"]["sm_count"] = "108"
    record["kernels"][0]["speedup"] = 2.0
    with pytest.raises(timing.TimingFileError, match="'sm_count' is str, not int") as error:
        timing.validate(record)
    assert "unknown field 'speedup'" in str(error.value)


# ------------------------------------------------------------------ compare
def synthetic_measured(stand_in) -> dict:
    """The stand-in's entries dressed as a measurement of an invented GPU: synthetic, for tests only."""
    record = copy.deepcopy(stand_in)
    record["provenance"].update(source=timing.MEASURED, gpu="Synthetic Test GPU", memory_clock_mhz=1.0,
                                driver="synthetic", cuda_driver_version="synthetic",
                                cuda_toolkit_version="synthetic", emu_preset=None)
    for i, entry in enumerate(record["kernels"] + record["microbenchmarks"]):
        entry.update(time_s=1e-5 * (i + 1), launches_timed=20)
    return record


def test_compare_pairs_rows_and_computes_the_error(stand_in):
    measured = synthetic_measured(stand_in)
    emulated = copy.deepcopy(stand_in)
    for ours, theirs in zip(emulated["kernels"] + emulated["microbenchmarks"],
                            measured["kernels"] + measured["microbenchmarks"]):    # emu "predicts" 10% slow
        ours["time_s"] = 1.1 * theirs["time_s"]
        if theirs.get("cycles_per_op") is not None:
            ours["cycles_per_op"] = 1.1 * theirs["cycles_per_op"]
    table = compare.compare_records(measured, emulated)
    assert len(table.rows) == len(table.compared) == len(measured["kernels"]) + len(measured["microbenchmarks"])
    assert table.mape_pct == pytest.approx(10.0)
    assert "mean absolute percentage error: 10.0%" in str(table)


def test_compare_runs_emu_on_the_measured_file(stand_in, tmp_path):
    path = tmp_path / timing.file_name("Synthetic Test GPU")
    timing.save(synthetic_measured(stand_in), path)
    table = compare.compare(path, "a100")
    assert [row.name for row in table.rows][:len(stand_in["kernels"])] == \
        [f"{e['kernel']}[{e['size']}]" for e in stand_in["kernels"]]
    assert table.mape_pct is not None and "mean absolute percentage error" in str(table)
    assert compare.main([str(path), "--gpu", "a100"]) == 0


def test_emu_compare_command_prints_the_table(stand_in, tmp_path):
    from click.testing import CliRunner

    from emu.cli import main
    measured, emulated = tmp_path / timing.file_name("Synthetic Test GPU"), tmp_path / "emu_timing_sm_80.json"
    timing.save(synthetic_measured(stand_in), measured)
    timing.save(stand_in, emulated)
    result = CliRunner().invoke(main, ["compare", str(measured), "--gpu", "a100", "--emulated", str(emulated)])
    assert result.exit_code == 0, result.output
    assert "Synthetic Test GPU" in result.output and "mean absolute percentage error" in result.output


# ------------------------------------------------------------------ the microbenchmark kernels on emu
@pytest.fixture(scope="module")
def gpu():
    return emu.GPU("sm_80")


@pytest.mark.parametrize("n, stride, warm", [(64, 64, 64), (16, 4096, 0), (128, 8, 300)])
def test_global_pointer_chase_follows_the_ring(gpu, n, stride, warm):
    kernel = emu.compile_cuda(mb.CHASE_SRC, "chase_global")
    chain, out = np.zeros(n * stride // 8, np.uint64), np.zeros(4, np.int64)

    def args(mode):
        return chain, np.int32(n), np.int32(stride // 8), np.int32(mode), np.int32(warm), np.int32(37), out
    gpu.launch(kernel, (n + 255) // 256, 256, args(0), mode="functional")
    base = int(out[2])
    gpu.launch(kernel, 1, 32, args(1))
    assert int(out[2]) == base
    assert int(out[1]) == mb.chase_end(base, n, stride, warm + 37)
    assert out[0] > 0


def test_shared_pointer_chase_follows_the_ring(gpu):
    kernel = emu.compile_cuda(mb.CHASE_SRC, "chase_shared")
    out = np.zeros(4, np.int64)
    gpu.launch(kernel, 1, 32, (np.int32(256), np.int32(4), np.int32(512), out))   # twice round: back at the base
    base = int(out[1])
    gpu.launch(kernel, 1, 32, (np.int32(256), np.int32(4), np.int32(37), out))
    assert int(out[1]) == mb.chase_end(base, 256, 16, 37)
    assert out[0] > 0


@pytest.mark.parametrize("n", [64, 128])
def test_ffma_chain_computes_fused_multiply_adds(gpu, n):
    x, cycles = np.full(1, 0.75, np.float32), np.zeros(1, np.int64)
    gpu.launch(emu.compile_cuda(mb.FFMA_SRC, f"ffma_chain_{n}"), 1, 32, (np.float32(0.999), np.float32(0.5), x, cycles))
    assert x[0] == mb.ffma_chain_twin(0.75, 0.999, 0.5, n)
    assert cycles[0] > 0


def test_ffma_throughput_computes_fused_multiply_adds(gpu):
    out, cycles = np.zeros(64, np.float32), np.zeros(2, np.int64)
    gpu.launch(emu.compile_cuda(mb.FFMA_SRC, "ffma_throughput"), 2, 32,
               (np.float32(0.999), np.float32(0.5), np.int32(2), out, cycles))
    np.testing.assert_array_equal(out, mb.ffma_throughput_twin(64, 32, 0.999, 0.5, 2))
    assert (cycles > 0).all()


def test_stream_copy_and_triad(gpu):
    rng = np.random.default_rng(6)
    a, b, c = (rng.random(1000, np.float32) for _ in range(3))
    copied = np.zeros_like(a)
    gpu.launch(mb.stream_copy, 2, 128, (a, copied))          # fewer threads than elements: grid-stride
    np.testing.assert_array_equal(copied, a)
    gpu.launch(mb.stream_triad, 2, 128, (a, b, c, np.float32(3.0)))
    np.testing.assert_array_equal(a, mb.triad_twin(b, c, np.float32(3.0)))


@pytest.mark.parametrize("arch", ["sm_70", "sm_75", "sm_80"])
def test_mma_chains(arch):
    gpu = emu.GPU(arch)
    sm = int(arch.removeprefix("sm_"))
    out, cycles = np.zeros(64, np.float32), np.zeros(2, np.int64)
    gpu.launch(mb.mma_kernel(sm, "latency"), 1, 64, (mb.MMA_AB_ONES, np.int32(6), out, cycles))
    np.testing.assert_array_equal(out, mb.mma_twin(sm, 6, 1))
    assert (cycles > 0).all()
    gpu.launch(mb.mma_kernel(sm), 1, 64, (mb.MMA_AB_ONES, np.int32(6), out, cycles))
    np.testing.assert_array_equal(out, mb.mma_twin(sm, 6, mb.MMA_PER_ITER))
    assert (cycles > 0).all()


def test_benchmark_list_covers_the_machine():
    names = {b.name for b in timing.microbenchmarks(True, 108, 80)}
    assert names == {"pointer_chase_shared", "pointer_chase_l1", "pointer_chase_l2", "pointer_chase_dram",
                     "stream_copy", "stream_triad", "ffma_latency", "ffma_throughput", "mma_latency",
                     "mma_throughput"}
