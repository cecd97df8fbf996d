"""Record what a real GPU computes for the corpus of ``emu.hw.corpus``; the recording's file format.

Run on a machine with an NVIDIA GPU and numba-cuda (``pip install -e .``)::

    python -m emu.hw.capture                 # writes tests/data/hw_<gpu>.npz
    python -m emu.hw.capture --out DIR --seed 7 --scalars 65536 --mmas 192

It runs every case the GPU's compute capability has (scalar conversions and
FP16/BF16 arithmetic, one ``mma.sync`` per warp for each variant) with
numba's own launch, and saves inputs and outputs as bit patterns together
with the GPU's name, compute capability, driver and CUDA runtime versions.
``tests/test_hw_replay.py`` replays every such file through emu, bit for bit,
on every test run; no GPU is needed for that.

File format (``.npz``): the corpus keys of ``emu.hw.corpus`` (inputs and
outputs) plus ``meta/<field>`` 0-d string arrays; ``meta/format`` is
``FORMAT_VERSION``.
"""
from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import platform
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emu.hw.corpus import build_corpus, run_corpus

FORMAT_VERSION = "1"
DEFAULT_SEED = 2026
DEFAULT_OUT = Path(__file__).resolve().parents[2] / "tests" / "data"


@dataclass
class Recording:
    meta: dict[str, str]
    arrays: dict[str, np.ndarray]     # corpus inputs and recorded outputs

    @property
    def cc(self) -> tuple[int, int]:
        major, minor = self.meta["compute_capability"].split(".")
        return int(major), int(minor)


def file_name(gpu_name: str) -> str:
    """``hw_<gpu>.npz`` with the GPU's name in lower case, runs of other characters as one underscore."""
    return f"hw_{re.sub(r'[^a-z0-9]+', '_', gpu_name.lower()).strip('_')}.npz"


def save(path, meta: dict[str, str], corpus: dict, results: dict) -> None:
    arrays = {f"meta/{key}": np.array(str(value)) for key, value in {**meta, "format": FORMAT_VERSION}.items()}
    overlap = corpus.keys() & results.keys()
    assert not overlap, f"outputs would overwrite inputs: {sorted(overlap)}"
    np.savez_compressed(path, **arrays, **corpus, **results)


def load(path) -> Recording:
    with np.load(path, allow_pickle=False) as data:
        meta = {key[5:]: str(data[key]) for key in data.files if key.startswith("meta/")}
        arrays = {key: data[key] for key in data.files if not key.startswith("meta/")}
    if meta.get("format") != FORMAT_VERSION:
        raise ValueError(f"{path}: recording format {meta.get('format')!r}, this emu reads {FORMAT_VERSION!r}")
    return Recording(meta, arrays)


def numba_launch(kernel, grid, block, args) -> None:
    """Launch on the real GPU through numba; array arguments are copied back in place."""
    from numba import cuda

    device_args = [cuda.to_device(a) if isinstance(a, np.ndarray) else a for a in args]
    kernel[grid, block](*device_args)
    cuda.synchronize()
    for host, device in zip(args, device_args):
        if isinstance(host, np.ndarray):
            device.copy_to_host(host)


def _driver_release() -> str:
    """The driver's own version (e.g. 550.54.15) from nvidia-smi; numba only knows its CUDA version."""
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.splitlines()[0].strip() if out.strip() else "unknown"


def gpu_metadata() -> dict[str, str]:
    """Name, compute capability, driver and CUDA versions of the current GPU, and the software used."""
    from numba import cuda
    from numba.cuda.cudadrv.driver import driver
    from numba.cuda.cudadrv.runtime import get_version as toolkit_version

    from emu import __version__ as emu_version

    device = cuda.get_current_device()
    name = device.name.decode() if isinstance(device.name, bytes) else str(device.name)
    major, minor = device.compute_capability
    return {
        "gpu": name,
        "compute_capability": f"{major}.{minor}",
        "driver": _driver_release(),
        "driver_cuda_version": ".".join(map(str, driver.get_version())),
        "toolkit_cuda_version": ".".join(map(str, toolkit_version())),    # NVRTC/NVVM that compiled the kernels
        "numba_cuda": importlib.metadata.version("numba-cuda"),
        "emu": emu_version,
        "platform": platform.platform(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for hw_<gpu>.npz")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--scalars", type=int, default=16384, help="inputs per scalar instruction")
    parser.add_argument("--mmas", type=int, default=96, help="mma.sync instances per variant")
    args = parser.parse_args(argv)

    from numba import cuda
    if not cuda.is_available():
        print("no CUDA GPU available to numba: run this on a machine with an NVIDIA GPU and its driver",
              file=sys.stderr)
        return 1
    meta = gpu_metadata()
    meta.update(seed=str(args.seed), scalars=str(args.scalars), mmas=str(args.mmas))
    cc = tuple(int(x) for x in meta["compute_capability"].split("."))
    corpus = build_corpus(args.seed, cc, args.scalars, args.mmas)
    results = run_corpus(corpus, numba_launch)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / file_name(meta["gpu"])
    save(path, meta, corpus, results)
    print(f"{meta['gpu']} (sm_{cc[0]}{cc[1]}, driver {meta['driver']}, CUDA {meta['driver_cuda_version']}): "
          f"{len(results)} cases -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
