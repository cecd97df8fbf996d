"""Replay a recording of a real GPU (``emu.hw.capture``) through emu and compare bit for bit.

The corpus is run again, through the same kernels, on an emulated GPU of the
recording's compute capability (its instruction set and tensor-core
arithmetic), and every output pattern is compared with the recorded one.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from emu.arch.presets import PRESETS, sm_number
from emu.hw.capture import Recording
from emu.hw.corpus import is_output, run_corpus
from emu.launch import GPU


@dataclass(frozen=True)
class Mismatch:
    """Outputs of one case that differ: how many, and the first few as ``index: recorded != emu``."""
    key: str
    count: int
    total: int
    examples: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.key}: {self.count} of {self.total} differ, e.g. {'; '.join(self.examples)}"


def emulated_gpu(cc: tuple[int, int]) -> GPU:
    """An emu GPU of compute capability ``cc``: the newest preset at or below it, with ``cc`` as its own.

    Only the functional behaviour matters here, and it follows the compute
    capability (an sm_86 runs sm_80's tensor-core arithmetic, an sm_89 Ada's).
    """
    sm = sm_number(cc)
    below = [p for p in PRESETS.values() if sm_number(p.cc) <= sm]
    if not below or cc[0] >= 10:
        raise ValueError(f"no emu preset to replay compute capability {cc[0]}.{cc[1]}")
    base = max(below, key=lambda p: p.cc)
    if base.cc == tuple(cc):
        return GPU(base)
    return GPU(dataclasses.replace(base, sm=f"sm_{sm}", cc=tuple(cc), name=f"{base.name} as sm_{sm}"))


def replay(recording: Recording, examples: int = 3) -> list[Mismatch]:
    """Run the recorded corpus on emu; return the cases whose outputs differ (empty: all bit-exact)."""
    inputs = {k: v for k, v in recording.arrays.items() if not is_output(k)}
    gpu = emulated_gpu(recording.cc)
    ours = run_corpus(inputs, lambda kernel, grid, block, args: gpu.launch(kernel, grid, block, args))
    mismatches = [Mismatch(key, want.size, want.size, ("emu has no such case",))
                  for key, want in recording.arrays.items() if is_output(key) and key not in ours]
    for key, got in ours.items():
        want = recording.arrays[key]
        differ = np.argwhere(want != got)
        if len(differ):
            shown = tuple(f"[{', '.join(map(str, i))}]: {int(want[tuple(i)]):#x} != {int(got[tuple(i)]):#x}"
                          for i in differ[:examples])
            mismatches.append(Mismatch(key, len(differ), want.size, shown))
    return mismatches
